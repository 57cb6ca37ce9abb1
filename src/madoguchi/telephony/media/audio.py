"""Audio as the telephony layer carries it: mono 16-bit linear PCM at 8 kHz in numpy arrays.

G.711 coding happens at the RTP edge (``madoguchi.telephony.rtp.g711``); everything before it —
prompts, uploaded files, music on hold, recordings — is int16 samples at :data:`SAMPLE_RATE`.
"""

from __future__ import annotations

import io
import wave
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from madoguchi.telephony.rtp import playout

SAMPLE_RATE = 8000
Samples = NDArray[np.int16]


class AudioError(ValueError):
    """A file that is not audio we can use (not WAV, not PCM, empty…)."""


def resample_to_8k(samples: NDArray[np.floating] | Samples, rate: int) -> Samples:
    """Mono samples at ``rate`` → int16 at 8 kHz (polyphase filter, no aliasing)."""
    data = np.asarray(samples, dtype=np.float64)
    if rate != SAMPLE_RATE:
        from scipy.signal import resample_poly  # seconds to import: only when converting

        common = gcd(SAMPLE_RATE, rate)
        data = resample_poly(data, SAMPLE_RATE // common, rate // common)
    return np.clip(np.round(data), -32768, 32767).astype(np.int16)


def decode_wav(data: bytes, name: str = "upload") -> Samples:
    """A PCM WAV file's bytes → mono int16 at 8 kHz; :class:`AudioError` if it is not one."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as err:
        raise AudioError(f"{name}: not a PCM WAV file ({err})") from err
    if not frames:
        raise AudioError(f"{name}: no audio")
    if width == 1:
        pcm = (np.frombuffer(frames, np.uint8).astype(np.float64) - 128.0) * 256.0
    elif width == 2:
        pcm = np.frombuffer(frames, "<i2").astype(np.float64)
    elif width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3)
        value = raw[:, 0].astype(np.int32) | (raw[:, 1].astype(np.int32) << 8)
        value |= raw[:, 2].astype(np.int8).astype(np.int32) << 16
        pcm = value.astype(np.float64) / 256.0
    elif width == 4:
        pcm = np.frombuffer(frames, "<i4").astype(np.float64) / 65536.0
    else:
        raise AudioError(f"{name}: unsupported sample width {width}")
    usable = len(pcm) - len(pcm) % channels
    mono = pcm[:usable].reshape(-1, channels).mean(axis=1)
    return resample_to_8k(mono, rate)


def load_wav(path: Path) -> Samples:
    """Read a PCM WAV file as mono int16 at 8 kHz."""
    return decode_wav(path.read_bytes(), str(path))


def encode_wav(samples: Samples, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """int16 samples (interleaved when ``channels`` > 1) as WAV bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return buffer.getvalue()


def save_wav(path: Path, samples: Samples) -> None:
    """Write mono int16 8 kHz samples as a WAV file."""
    path.write_bytes(encode_wav(samples))


def music_on_hold(seconds: float = 12.0) -> Samples:
    """A gentle, loopable phrase synthesized here (no recording, so no rights to clear):
    a slow arpeggio of soft sine tones with a fade in and out on every note."""
    notes_hz = (523.25, 659.25, 783.99, 659.25, 587.33, 698.46, 880.0, 698.46)
    note_s = seconds / len(notes_hz)
    t = np.arange(int(note_s * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.minimum(1.0, t / 0.05) * np.exp(-2.2 * t / note_s)
    parts = [
        (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * envelope for f in notes_hz
    ]
    # played over and over to every caller on hold: read-only, encoded once (see playout)
    return playout.encode_once(np.round(np.concatenate(parts) * 6000.0).astype(np.int16))
