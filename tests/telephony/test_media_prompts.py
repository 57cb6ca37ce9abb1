"""Prompts synthesized by Open JTalk and espeak-ng, cached; WAV conversion; music on hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from madoguchi.telephony.media import AudioError, PromptCache, music_on_hold, resample_to_8k
from madoguchi.telephony.media.audio import SAMPLE_RATE, decode_wav, encode_wav


def test_japanese_prompt_is_synthesized_once_then_served_from_cache(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    audio = cache.get("お電話ありがとうございます。", "ja")
    assert audio.dtype == np.int16
    assert 0.8 * SAMPLE_RATE < len(audio) < 6 * SAMPLE_RATE
    assert np.abs(audio).max() > 1000  # speech, not silence
    files = list(tmp_path.glob("*.wav"))
    assert len(files) == 1
    again = PromptCache(tmp_path).get("お電話ありがとうございます。", "ja")
    assert np.array_equal(audio, again)


def test_english_prompt_uses_espeak(tmp_path: Path) -> None:
    audio = PromptCache(tmp_path).get("Thank you for calling.", "en")
    assert len(audio) > 0.5 * SAMPLE_RATE
    assert np.abs(audio).max() > 1000


async def test_async_synthesis_does_not_block(tmp_path: Path) -> None:
    audio = await PromptCache(tmp_path).get_async("少々お待ちください。", "ja")
    assert len(audio) > SAMPLE_RATE // 2


def test_uploaded_stereo_44k_wav_is_converted_to_8k_mono() -> None:
    rate = 44100
    t = np.arange(rate) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    converted = decode_wav(encode_wav(stereo.astype(np.int16), rate=rate, channels=2))
    assert abs(len(converted) - SAMPLE_RATE) <= 1
    spectrum = np.abs(np.fft.rfft(converted.astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 2  # 1-second window: bin = Hz


def test_not_a_wav_is_refused_with_a_clear_error() -> None:
    with pytest.raises(AudioError, match="not a PCM WAV"):
        decode_wav(b"ID3 this is an mp3", "hold.mp3")


def test_music_on_hold_is_audible_and_loopable() -> None:
    music = music_on_hold(8.0)
    assert len(music) == pytest.approx(8 * SAMPLE_RATE, abs=16)
    assert np.abs(music).max() > 3000
    assert abs(int(music[0])) < 500  # starts near silence: no click when looping


def test_resample_keeps_level() -> None:
    t = np.arange(48000) / 48000
    tone = np.sin(2 * np.pi * 1000 * t) * 8000
    out = resample_to_8k(tone, 48000)
    assert len(out) == 8000
    assert 7000 < np.abs(out[100:-100]).max() < 9000


async def test_the_same_new_prompt_asked_twice_at_once_is_served_to_both(tmp_path: Path) -> None:
    import asyncio

    first, second = (PromptCache(tmp_path), PromptCache(tmp_path))
    a, b = await asyncio.gather(
        first.get_async("ただいま電話が混み合っております。", "ja"),
        second.get_async("ただいま電話が混み合っております。", "ja"),
    )
    assert np.array_equal(a, b)
    assert [p.suffix for p in tmp_path.iterdir()] == [".wav"]
