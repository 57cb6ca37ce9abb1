"""The interpreter, node type by node type, on voice and chat."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from madoguchi.core.config import (
    Closure,
    HoursCalendar,
    TimeRange,
    epoch,
)
from madoguchi.core.events import from_record, to_record
from madoguchi.core.flows import FlowOutcome, FlowPhase, StaticFlowEnvironment
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows.events import (
    FlowEntered,
    FlowExited,
    InputReceived,
    NodeVisited,
    QueueOfferAccepted,
    SurveyAnswered,
)
from madoguchi.core.flows.model import InputMode, TransferKind
from madoguchi.core.model import Channel

Walker = Callable[..., Any]
Text = Callable[..., str]

MENU = """
a:
  type: menu
  prompt: {ja: ご用件を選んでください, en: Choose}
  options:
    - {key: 1, label: {ja: 注文, en: Orders}, next: orders, keywords: [注文]}
    - {key: 2, label: {ja: その他, en: Other}, next: other}
  attempts: 3
  timeout: 5
  no_input: {ja: 入力がありません, en: No input}
  invalid: {ja: 選択肢にありません, en: Not a choice}
  fallback: other
orders: {type: disconnect, prompt: {ja: 注文です, en: Orders}}
other: {type: disconnect, outcome: closed}
"""


def test_say_then_disconnect_emits_prompt_hangup_and_one_exit(
    walk: Walker, flow_text: Text
) -> None:
    w = walk(
        flow_text(
            """
            a: {type: say, prompt: {ja: こんにちは, en: Hello, audio: hello.wav}, next: b}
            b: {type: disconnect, prompt: {ja: さようなら, en: Bye}}
            """
        )
    )
    commands = w.start()
    assert commands == [
        c.Play("hello.wav", "こんにちは", "ja", True),
        c.Say("さようなら", "ja", False),
        c.Hangup("self_service"),
    ]
    assert [type(e) for e in w.events] == [FlowEntered, NodeVisited, NodeVisited, FlowExited]
    (exit_event,) = w.exits()
    assert exit_event.outcome is FlowOutcome.SELF_SERVICE
    assert exit_event.node == "b"
    assert w.session.phase is FlowPhase.ENDED


def test_chat_shows_the_text_of_an_audio_prompt(walk: Walker, flow_text: Text) -> None:
    w = walk(
        flow_text(
            "a: {type: say, prompt: {ja: こんにちは, en: Hello, audio: hello.wav}, next: b}\n"
            "b: {type: disconnect}\n"
        ),
        channel=Channel.CHAT,
        language="en",
    )
    assert w.start()[0] == c.Say("Hello", "en", True)


def test_menu_digit_picks_the_option(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(MENU))
    commands = w.start()
    assert commands[-1] == c.Gather(InputMode.DIGITS, 1, 5.0, ())
    assert w.session.next_timer() == w.now + 5.0
    w.digits("1")
    assert w.said()[-1] == "注文です"
    option = next(e for e in w.events if isinstance(e, InputReceived))
    assert (option.kind, option.value, option.valid) == ("option", "1", True)


def test_menu_in_chat_offers_buttons_and_understands_labels_and_keywords(
    walk: Walker, flow_text: Text
) -> None:
    w = walk(flow_text(MENU), channel=Channel.CHAT)
    assert w.start()[-1].buttons == ("注文", "その他")
    w.text("注文の状況を知りたい")
    assert w.said()[-1] == "注文です"
    w2 = walk(flow_text(MENU), channel=Channel.CHAT)
    w2.start()
    w2.text("その他")
    assert w2.exits()[0].outcome is FlowOutcome.CLOSED


def test_menu_retries_on_silence_and_wrong_key_then_falls_back(
    walk: Walker, flow_text: Text
) -> None:
    w = walk(flow_text(MENU))
    w.start()
    w.silence()
    assert w.said()[-2:] == ["入力がありません", "ご用件を選んでください"]
    w.digits("7")
    assert w.said()[-2:] == ["選択肢にありません", "ご用件を選んでください"]
    w.silence()
    assert w.exits()[0].node == "other"
    kinds = [e.kind for e in w.events if isinstance(e, InputReceived)]
    assert kinds == ["no_input", "invalid", "no_input"]


COLLECT = """
a:
  type: collect
  prompt: {{ja: 番号を入力, en: Enter}}
  into: value
  min_length: {min}
  max_length: {max}
  format: {fmt}
  attempts: 2
  invalid: {{ja: 違います, en: Wrong}}
  next: ok
  fallback: ng
ok: {{type: disconnect, prompt: {{ja: "値は{{value}}", en: "{{value}}"}}}}
ng: {{type: disconnect, outcome: error}}
"""


@pytest.mark.parametrize(
    ("fmt", "lengths", "entered", "stored"),
    [
        ("any", (4, 4), "1234", "1234"),
        ("date", (8, 10), "19850412", "1985-04-12"),
        ("date", (8, 12), "1985年4月12日", "1985-04-12"),
        ("phone_jp", (10, 13), "090-1111-2222", "09011112222"),
        ("phone_jp", (10, 13), "０３１２３４５６７８", "0312345678"),
        ("postal_jp", (7, 8), "1500001", "150-0001"),
    ],
)
def test_collect_validates_and_normalizes(
    walk: Walker, flow_text: Text, fmt: str, lengths: tuple[int, int], entered: str, stored: str
) -> None:
    text = flow_text(COLLECT.format(min=lengths[0], max=lengths[1], fmt=fmt))
    w = walk(text, channel=Channel.CHAT)
    w.start()
    w.text(entered)
    assert w.session.variables["value"] == stored
    assert w.said()[-1] == f"値は{stored}"


@pytest.mark.parametrize(
    ("fmt", "entered"),
    [
        ("any", "12345"),
        ("date", "19851332"),
        ("phone_jp", "0000000000"),
        ("postal_jp", "15000"),
    ],
)
def test_collect_refuses_bad_input_then_falls_back(
    walk: Walker, flow_text: Text, fmt: str, entered: str
) -> None:
    text = flow_text(COLLECT.format(min=4, max=10 if fmt != "any" else 4, fmt=fmt))
    w = walk(text)
    w.start()
    w.digits(entered)
    assert w.said()[-2:] == ["違います", "番号を入力"]
    w.digits(entered)
    assert w.exits()[0].outcome is FlowOutcome.ERROR
    assert "value" not in w.session.variables


def test_collect_pattern_and_sensitive_values_stay_out_of_events(
    walk: Walker, flow_text: Text
) -> None:
    text = flow_text(
        """
        a: {type: collect, prompt: {ja: 暗証番号, en: PIN}, into: pin, pattern: "[0-9]{4}",
            sensitive: true, next: b, fallback: b}
        b: {type: disconnect}
        """
    )
    w = walk(text)
    w.start()
    w.digits("12a4")
    w.digits("1234")
    values = [e.value for e in w.events if isinstance(e, InputReceived)]
    assert values == ["***", "***"]
    assert w.session.variables["pin"] == "1234"


IDENTIFY = """
a: {type: identify, by: caller, fields: [name, tier, birth_date], timeout: 2,
    found: v, not_found: unknown}
v:
  type: verify
  prompt: {ja: 生年月日, en: Birth date}
  secret: customer.birth_date
  format: date
  attempts: 2
  verified: ok
  failed: ng
ok: {type: disconnect, prompt: {ja: "{customer.name}様 確認済み", en: "{customer.name} verified"}}
ng: {type: disconnect, outcome: error}
unknown: {type: disconnect, outcome: closed}
"""


def test_identify_by_caller_then_verify_date_of_birth(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(IDENTIFY), caller="09011112222")
    (lookup,) = [cmd for cmd in w.start() if isinstance(cmd, c.LookupCustomer)]
    assert (lookup.by, lookup.value) == ("caller", "09011112222")
    fields = {"name": "山田 花子", "tier": "vip", "birth_date": "1985-04-12"}
    w.send(i.CustomerLookupResult(lookup.request_id, "C1", fields))
    assert w.session.variables["customer.tier"] == "vip"
    w.digits("19850412")
    assert w.said()[-1] == "山田 花子様 確認済み"
    assert w.session.variables["customer.verified"] == "true"


def test_verify_fails_after_limited_attempts(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(IDENTIFY))
    lookup = w.start()[-1]
    w.send(i.CustomerLookupResult(lookup.request_id, "C1", {"birth_date": "1985-04-12"}))
    w.digits("19850413")
    w.digits("20000101")
    assert w.exits()[0].outcome is FlowOutcome.ERROR


def test_identify_not_found_time_out_and_stale_answers(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(IDENTIFY))
    lookup = w.start()[-1]
    w.send(i.CustomerLookupResult("someone-else", "C9", {}))
    assert w.session.phase is FlowPhase.RUNNING
    w.silence()
    assert w.exits()[0].outcome is FlowOutcome.CLOSED
    w2 = walk(flow_text(IDENTIFY), caller="")
    w2.start()
    assert w2.exits()[0].outcome is FlowOutcome.CLOSED
    assert not any(isinstance(cmd, c.LookupCustomer) for cmd in w2.commands)
    assert lookup.request_id == "k1:1"


def test_set_attributes_priority_skills_language_reach_the_enqueue(
    walk: Walker, flow_text: Text
) -> None:
    text = flow_text(
        """
        a: {type: set, attributes: {topic: "注文 {caller}"}, priority: 4, skills: {orders: 3},
            language: en, next: q}
        q: {type: enqueue, queue: orders, skills: {english: 5},
            prompt: {ja: お待ちください, en: Please hold}}
        """
    )
    w = walk(text, caller="0312345678")
    commands = w.start()
    assert commands[0] == c.Say("Please hold", "en", False)
    enqueue = commands[1]
    assert enqueue == c.Enqueue(
        "orders", 4, (("orders", 3), ("english", 5)), (("topic", "注文 0312345678"),), "en"
    )
    assert w.exits()[0].outcome is FlowOutcome.QUEUED
    assert w.session.phase is FlowPhase.QUEUED


CONDITION = """
a:
  type: condition
  branches:
    - when: {closure: office}
      next: closure
    - when: {holiday: office}
      next: holiday
    - when: {not: {open: office}}
      next: closed
    - when: {ewt_above: {queue: general, seconds: 180}}
      next: busy
    - when: {agents_available_below: {queue: general, count: 1}}
      next: nobody
    - when: {any: [{channel: chat}, {language: en}]}
      next: chat_or_en
  otherwise: open
closure: {type: disconnect, prompt: {ja: "{closure.name}休業", en: "{closure.name}"}}
holiday: {type: disconnect, prompt: {ja: 祝日, en: holiday}}
closed: {type: disconnect, prompt: {ja: 時間外, en: closed}}
busy: {type: disconnect, prompt: {ja: 混雑, en: busy}}
nobody: {type: disconnect, prompt: {ja: 不在, en: nobody}}
chat_or_en: {type: disconnect, prompt: {ja: チャットか英語, en: chat or en}}
open: {type: disconnect, prompt: {ja: 営業中, en: open}}
"""

OFFICE = HoursCalendar(
    id="office",
    weekly=((TimeRange(540, 1080),),) * 5 + ((), ()),
    closures=(Closure(datetime(2026, 12, 29).date(), datetime(2027, 1, 3).date(), "年末年始"),),
)


def at(text: str) -> float:
    from zoneinfo import ZoneInfo

    return epoch(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Tokyo")))


@pytest.mark.parametrize(
    ("moment", "wait", "available", "channel", "said"),
    [
        ("2026-12-30T10:00", None, None, Channel.VOICE, "年末年始休業"),
        ("2026-11-23T10:00", None, None, Channel.VOICE, "祝日"),
        ("2026-11-24T20:00", None, None, Channel.VOICE, "時間外"),
        ("2026-11-24T10:00", 200.0, None, Channel.VOICE, "混雑"),
        ("2026-11-24T10:00", 100.0, 0, Channel.VOICE, "不在"),
        ("2026-11-24T10:00", 100.0, 2, Channel.CHAT, "チャットか英語"),
        ("2026-11-24T10:00", None, None, Channel.VOICE, "営業中"),
    ],
)
def test_condition_on_calendar_closures_holidays_and_live_figures(
    walk: Walker,
    flow_text: Text,
    moment: str,
    wait: float | None,
    available: int | None,
    channel: Channel,
    said: str,
) -> None:
    env = StaticFlowEnvironment(calendars={"office": OFFICE})
    if wait is not None:
        env.waits["general"] = wait
    if available is not None:
        env.available["general"] = available
    w = walk(flow_text(CONDITION), environment=env, now=at(moment), channel=channel)
    w.start()
    assert w.said() == [said]


def test_without_environment_figures_are_unknown_and_calendars_closed(
    walk: Walker, flow_text: Text
) -> None:
    w = walk(flow_text(CONDITION))
    w.start()
    assert w.said() == ["時間外"]


QUEUE = """
a:
  type: enqueue
  queue: general
  treatment:
    music: moh.wav
    announce_every: 60
    callback_if_wait_above: 180
    offer_message: true
    callback: cb
    message: vm
cb:
  type: callback
  queue: general
  prompt: {ja: "{number}でよろしければ1、別の番号は2", en: "{number}: 1 yes, 2 other"}
  ask_number: {ja: 番号を入力, en: Enter the number}
  confirmation: {ja: 承りました, en: Done}
  attempts: 2
  fallback: bye
vm:
  type: voicemail
  prompt: {ja: 発信音の後にどうぞ, en: After the tone}
  max_seconds: 60
  confirmation: {ja: 録音しました, en: Recorded}
bye: {type: disconnect}
"""


def test_queue_treatment_announces_position_and_wait_then_offers_a_callback(
    walk: Walker, flow_text: Text
) -> None:
    env = StaticFlowEnvironment(waits={"general": 240.0}, positions={"k1": 3})
    w = walk(flow_text(QUEUE), environment=env, caller="09011112222")
    enqueue = w.start()[-1]
    assert isinstance(enqueue, c.Enqueue)
    assert enqueue.music == "moh.wav"
    assert w.session.next_timer() == w.now + 60
    w.silence()
    assert w.said()[:2] == [
        "ただいま3番目でお待ちいただいております。",
        "お待ち時間はおよそ4分です。",
    ]
    assert "1を押してください" in w.said()[2]
    assert "2を押してください" in w.said()[3]
    w.digits("1")
    (accepted,) = [e for e in w.events if isinstance(e, QueueOfferAccepted)]
    assert (accepted.queue, accepted.offer) == ("general", "callback")
    assert w.said()[-1] == "09011112222でよろしければ1、別の番号は2"
    w.digits("2")
    w.digits("0312345678")
    assert w.last(c.RequestCallback) == c.RequestCallback("general", "0312345678")
    assert w.said()[-1] == "承りました"
    assert [e.outcome for e in w.exits()] == [FlowOutcome.QUEUED]
    assert w.session.outcome is FlowOutcome.CALLBACK
    assert w.session.phase is FlowPhase.ENDED


def test_queued_caller_leaves_a_voice_message(walk: Walker, flow_text: Text) -> None:
    env = StaticFlowEnvironment(waits={"general": 60.0})
    w = walk(flow_text(QUEUE), environment=env)
    w.start()
    w.silence()
    w.digits("2")
    assert w.last(c.RecordMessage) == c.RecordMessage(60.0)
    w.send(i.MessageLeft(duration_s=12.0))
    assert w.said()[-1] == "録音しました"
    assert w.session.outcome is FlowOutcome.VOICEMAIL


def test_agent_answer_ends_the_queued_session_quietly(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(QUEUE))
    w.start()
    assert w.send(i.AgentConnected("op01")) == []
    assert w.session.phase is FlowPhase.ENDED
    assert w.session.next_timer() is None


def test_callback_node_without_caller_number_asks_for_one(walk: Walker, flow_text: Text) -> None:
    text = flow_text(QUEUE, header="flow: t\nversion: 1\nstart: cb\n")
    w = walk(text, caller="anonymous")
    w.start()
    assert w.said() == ["番号を入力"]
    w.digits("12")
    w.silence()
    assert w.exits()[0].node == "bye"


def test_chat_voicemail_takes_the_written_message(walk: Walker, flow_text: Text) -> None:
    text = flow_text(QUEUE, header="flow: t\nversion: 1\nstart: vm\n")
    w = walk(text, channel=Channel.CHAT)
    w.start()
    w.text("明日電話ください")
    assert w.session.variables["message"] == "明日電話ください"
    assert w.exits()[0].outcome is FlowOutcome.VOICEMAIL


def test_silent_voicemail_ends_as_abandoned(walk: Walker, flow_text: Text) -> None:
    text = flow_text(QUEUE, header="flow: t\nversion: 1\nstart: vm\n")
    w = walk(text)
    w.start()
    w.silence()
    assert w.exits()[0].outcome is FlowOutcome.ABANDONED


def test_transfer_to_an_external_number(walk: Walker, flow_text: Text) -> None:
    text = flow_text(
        "a: {type: transfer, to: {number: '0120000000'},"
        " prompt: {ja: 転送します, en: Transferring}}\n"
    )
    w = walk(text)
    commands = w.start()
    assert commands[-1] == c.Transfer(TransferKind.NUMBER, "0120000000")
    assert w.exits()[0].outcome is FlowOutcome.TRANSFERRED
    assert not any(isinstance(cmd, c.Hangup) for cmd in commands)


HTTP = """
a:
  type: http
  url: "{api}/orders/{order_no}"
  timeout: 2
  retries: 1
  map: {order.status: status, order.first_item: items.0.name, order.paid: paid}
  next: ok
  error: ng
ok: {type: disconnect, prompt: {ja: "{order.status} {order.first_item} {order.paid}", en: x}}
ng: {type: disconnect, outcome: error}
"""


def http_walk(walk: Walker, flow_text: Text) -> Any:
    text = flow_text(
        HTTP,
        header="flow: t\nversion: 1\nstart: a\n"
        "variables: {api: 'https://x.example', order_no: ''}\n",
    )
    return walk(text, attributes={"order_no": "12/34 5"})


def test_http_lookup_maps_the_json_answer(walk: Walker, flow_text: Text) -> None:
    w = http_walk(walk, flow_text)
    request = w.start()[-1]
    assert request == c.HttpRequest(
        "k1:1", "GET", "https://x.example/orders/12%2F34%205", None, 2.0
    )
    body = json.dumps({"status": "発送済み", "items": [{"name": "りんご"}], "paid": True})
    w.send(i.HttpResponse(request.request_id, 200, body))
    assert w.said() == ["発送済み りんご true"]


@pytest.mark.parametrize(
    "answer",
    [
        i.HttpResponse("", 500, "{}"),
        i.HttpResponse("", 200, "<html>not json"),
        i.HttpResponse("", 200, json.dumps({"status": "x"})),
        i.HttpResponse("", 200, json.dumps({"status": {"nested": 1}, "items": [], "paid": 1})),
        i.HttpResponse("", 200, "[" * 100_000),  # nested too deep for the JSON decoder
        i.HttpFailed("", "ConnectTimeout"),
    ],
)
def test_http_error_or_garbage_retries_then_takes_the_error_branch(
    walk: Walker, flow_text: Text, answer: Any
) -> None:
    w = http_walk(walk, flow_text)
    first = w.start()[-1]
    w.send(type(answer)(first.request_id, *list(vars_of(answer))[1:]))
    second = w.commands[-1]
    assert isinstance(second, c.HttpRequest)
    assert second.request_id == "k1:2"
    w.send(type(answer)(second.request_id, *list(vars_of(answer))[1:]))
    assert w.exits()[0].outcome is FlowOutcome.ERROR


def vars_of(answer: Any) -> list[Any]:
    return [getattr(answer, name) for name in answer.__slots__]


def test_http_that_never_answers_times_out_to_the_error_branch(
    walk: Walker, flow_text: Text
) -> None:
    w = http_walk(walk, flow_text)
    w.start()
    w.silence()
    w.silence()
    assert w.exits()[0].outcome is FlowOutcome.ERROR


SURVEY = """
a:
  type: survey
  prompt: {ja: 1から5で評価, en: Rate 1-5}
  comment_prompt: {ja: ご意見をどうぞ, en: Comments}
  attempts: 2
  next: b
b: {type: disconnect}
"""


def test_survey_rating_on_voice(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(SURVEY))
    w.start()
    w.digits("9")
    w.digits("4")
    (answer,) = [e for e in w.events if isinstance(e, SurveyAnswered)]
    assert (answer.rating, answer.comment) == (4, "")
    assert w.exits()[0].outcome is FlowOutcome.SELF_SERVICE


def test_survey_in_chat_takes_a_free_comment(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(SURVEY), channel=Channel.CHAT)
    assert w.start()[-1].buttons == ("1", "2", "3", "4", "5")
    w.text("5")
    assert w.said()[-1] == "ご意見をどうぞ"
    w.text("とても親切でした")
    (answer,) = [e for e in w.events if isinstance(e, SurveyAnswered)]
    assert (answer.rating, answer.comment) == (5, "とても親切でした")


def test_silent_survey_moves_on_without_an_answer(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(SURVEY))
    w.start()
    w.silence()
    w.silence()
    assert not any(isinstance(e, SurveyAnswered) for e in w.events)
    assert w.exits()[0].outcome is FlowOutcome.SELF_SERVICE


def test_customer_hanging_up_is_a_drop_off_at_the_current_node(
    walk: Walker, flow_text: Text
) -> None:
    w = walk(flow_text(MENU))
    w.start()
    w.send(i.CustomerLeft(), after=4.0)
    (exit_event,) = w.exits()
    assert (exit_event.node, exit_event.outcome, exit_event.duration_s) == (
        "a",
        FlowOutcome.ABANDONED,
        4.0,
    )
    assert w.send(i.Digits("1")) == []


def test_visit_cap_ends_a_runaway_flow_with_an_error(flow_text: Text) -> None:
    from madoguchi.core.flows import FlowSession, parse_flow
    from madoguchi.core.model import Contact, Direction

    text = flow_text("a: {type: set, next: b}\nb: {type: set, next: a}\n")
    session = FlowSession(parse_flow(text, "loop.yaml"), max_visits=50)
    contact = Contact("k", Channel.VOICE, Direction.INBOUND, "t", 0.0)
    commands = session.start(contact, 0.0)
    assert commands[-1] == c.Hangup("error")
    assert session.outcome is FlowOutcome.ERROR


def test_flow_events_round_trip_through_records(walk: Walker, flow_text: Text) -> None:
    w = walk(flow_text(SURVEY))
    w.start()
    w.digits("3")
    for item in w.events:
        assert from_record(json.loads(json.dumps(to_record(item)))) == item
