"""Prompts encoded once: kept G.711 payloads, lazy 20 ms slicing, barge-in, unchanged wire bytes."""

from __future__ import annotations

import asyncio
import gc
import itertools
from pathlib import Path

import numpy as np
import pytest

from madoguchi.telephony.media import PromptCache, music_on_hold
from madoguchi.telephony.media.audio import encode_wav
from madoguchi.telephony.rtp import g711, playout
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.packet import RtpPacket

HOST = "127.0.0.1"


def speech_like(samples: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-20000, 20000, samples).astype(np.int16)


def padded(pcm: np.ndarray) -> np.ndarray:
    pad = (-len(pcm)) % 160
    return np.concatenate([pcm, np.zeros(pad, dtype=np.int16)])


async def listen(payload_type: int, pcm: np.ndarray, frames: int) -> list[RtpPacket]:
    """Play ``pcm`` from one leg and collect ``frames`` packets at the other."""
    sender = RtpEndpoint(host=HOST, payload_type=payload_type)
    receiver = RtpEndpoint(host=HOST, payload_type=payload_type)
    await sender.start()
    await receiver.start()
    sender.set_remote((HOST, receiver.port))
    got: list[RtpPacket] = []
    receiver.on_packet = got.append
    sender.play(pcm)
    for _ in range(100):
        if len(got) >= frames:
            break
        await asyncio.sleep(0.02)
    sender.close()
    receiver.close()
    return got


def test_encode_once_keeps_both_codecs_of_the_padded_audio_and_freezes_it() -> None:
    pcm = speech_like(1000)  # not a whole number of frames: the last is padded
    kept = playout.encode_once(pcm)
    assert kept is pcm
    assert not pcm.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        pcm[0] = 1
    for payload_type in (0, 8):
        payload = playout.payload_for(pcm, payload_type)
        assert payload == g711.encode(padded(pcm), payload_type)
        assert len(payload) == 1120
        # the same bytes object every time: nothing is encoded again
        assert playout.payload_for(pcm, payload_type) is payload


def test_a_view_of_writable_audio_is_copied_before_it_is_kept() -> None:
    base = speech_like(800)
    view = base[160:]
    kept = playout.encode_once(view)
    assert kept is not view
    base[500] = 0  # changing the original cannot make the kept bytes stale
    assert playout.payload_for(kept, 0) == g711.encode(padded(kept), 0)
    assert np.array_equal(kept, speech_like(800)[160:])


def test_audio_not_kept_is_encoded_as_before_and_kept_payloads_are_forgotten_with_it() -> None:
    fresh = speech_like(480)
    assert playout.payload_for(fresh, 8) == g711.encode(fresh, 8)
    before = playout.kept()
    frozen = playout.encode_once(speech_like(320, seed=3))
    assert playout.kept() == before + 1
    del frozen
    gc.collect()
    assert playout.kept() == before


def test_playing_a_cached_prompt_to_many_legs_encodes_it_never_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompt = playout.encode_once(speech_like(8000 * 23))  # a 23 s menu
    calls: list[int] = []
    real = g711.encode

    def counting(pcm: g711.Pcm, payload_type: int) -> bytes:
        calls.append(len(pcm))
        return real(pcm, payload_type)

    monkeypatch.setattr(g711, "encode", counting)
    legs = [RtpEndpoint(host=HOST, payload_type=0 if i % 2 else 8) for i in range(50)]
    for leg in legs:  # not started: play queues, nothing is sent
        leg.play(prompt)
        assert leg.queued_frames == 1150
    assert calls == []
    legs[0].play(speech_like(300))  # other audio: encoded once, on the call that plays it
    assert calls == [320]
    assert legs[0].queued_frames == 1152


async def test_cached_prompt_goes_out_byte_for_byte_as_encoding_per_call_would() -> None:
    pcm = speech_like(8000 // 4 + 37)  # 13 frames, the last padded
    expected = {pt: g711.encode(padded(pcm), pt) for pt in (0, 8)}
    frozen = playout.encode_once(pcm.copy())
    for payload_type in (0, 8):
        for audio in (pcm, frozen):
            got = await listen(payload_type, audio, 13)
            assert len(got) == 13
            assert b"".join(p.payload for p in got) == expected[payload_type]
            assert all(p.payload_type == payload_type for p in got)
            assert [p.marker for p in got] == [True] + [False] * 12
            steps = {(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in itertools.pairwise(got)}
            assert steps == {160}
            sequences = {(b.sequence - a.sequence) & 0xFFFF for a, b in itertools.pairwise(got)}
            assert sequences == {1}


async def test_barge_in_drops_the_rest_of_a_long_prompt_at_once() -> None:
    prompt = playout.encode_once(speech_like(8000 * 23))
    sender = RtpEndpoint(host=HOST)
    receiver = RtpEndpoint(host=HOST)
    await sender.start()
    await receiver.start()
    sender.set_remote((HOST, receiver.port))
    got: list[RtpPacket] = []
    receiver.on_packet = got.append
    sender.play(prompt)
    sender.play_payload(b"\xff" * 160)  # a single frame queued after the prompt
    await asyncio.sleep(0.2)
    sent = sender.packets_sent
    assert 5 <= sent <= 20
    dropped = sender.stop_playback()
    assert dropped == 1151 - sent
    assert sender.queued_frames == 0
    await asyncio.sleep(0.1)
    assert sender.packets_sent == sent
    sender.play(prompt)  # the same prompt again: from its start
    await asyncio.sleep(0.1)
    sender.close()
    receiver.close()
    after = got[sent:]
    assert after
    assert after[0].payload == playout.payload_for(prompt, 0)[:160]
    assert after[0].marker


def test_prompt_cache_and_music_on_hold_hand_out_audio_with_payloads_kept(
    tmp_path: Path,
) -> None:
    cache = PromptCache(tmp_path)
    text = "ご用件の番号を押してください。"
    tone = speech_like(4000)
    (tmp_path / f"{cache.key(text, 'ja')}.wav").write_bytes(encode_wav(tone))
    prompt = cache.get(text, "ja")
    assert np.array_equal(prompt, tone)
    assert not prompt.flags.writeable
    assert cache.get(text, "ja") is prompt
    assert playout.payload_for(prompt, 0) is playout.payload_for(prompt, 0)
    music = music_on_hold(2.0)
    assert not music.flags.writeable
    assert playout.payload_for(music, 8) is playout.payload_for(music, 8)
    assert playout.payload_for(music, 8) == g711.encode(padded(music), 8)
