"""The interpreter's own phrases (queue announcements, callback questions), in ja and en."""

from __future__ import annotations

from madoguchi.core.config import LocalizedText

POSITION = LocalizedText(
    ja="ただいま{position}番目でお待ちいただいております。",
    en="You are number {position} in line.",
)
WAIT = LocalizedText(
    ja="お待ち時間はおよそ{minutes}分です。",
    en="The estimated wait is about {minutes} minutes.",
)
OFFER_CALLBACK = LocalizedText(
    ja="順番を保ったまま折り返しのお電話をご希望の場合は1を押してください。",
    en="To keep your place in line and be called back, press 1.",
)
OFFER_MESSAGE = LocalizedText(
    ja="メッセージを残される場合は2を押してください。",
    en="To leave a message instead, press 2.",
)
BUTTON_CALLBACK = LocalizedText(ja="折り返しを希望", en="Call me back")
BUTTON_MESSAGE = LocalizedText(ja="メッセージを残す", en="Leave a message")
BUTTON_YES = LocalizedText(ja="この番号でよい", en="Use this number")
BUTTON_OTHER = LocalizedText(ja="別の番号", en="Another number")
RATINGS = tuple(LocalizedText(ja=str(n), en=str(n)) for n in range(1, 6))
FLOW_ERROR = LocalizedText(
    ja="申し訳ございません。ただいまご案内できません。",
    en="Sorry, we cannot help you right now.",
)
