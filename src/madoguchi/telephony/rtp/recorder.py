"""Two-channel call recording: caller on the left, agent on the right, 8 kHz 16-bit WAV.

A frame that arrives within ``GAP_SECONDS`` of where its channel's audio ends is appended right
after it (arrival jitter does not cut the audio); a frame after a longer pause (no packets: hold,
silence suppression, one side quiet) is placed at its arrival time on the loop clock, so the
pause stays silence and the two channels stay aligned.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from madoguchi.telephony.rtp import g711

CALLER = 0
AGENT = 1
RATE = 8000
GAP_SECONDS = 0.1
LINEAR = -1


class StereoRecorder:
    """Collects both sides of a call and writes one two-channel WAV file."""

    def __init__(self, path: Path, started_at: float, max_seconds: float = 4 * 3600) -> None:
        self.path = path
        self.started_at = started_at
        self._max_samples = int(max_seconds * RATE)
        # (position, data, kind): kind is the G.711 payload type, or LINEAR for int16 bytes
        self._chunks: list[list[tuple[int, bytes, int]]] = [[], []]
        self._ends = [0, 0]

    def add(self, channel: int, pcm: npt.NDArray[np.int16], at: float) -> None:
        """Add linear audio heard on ``channel`` (CALLER or AGENT) at loop time ``at``."""
        self._place(channel, pcm.astype("<i2").tobytes(), LINEAR, len(pcm), at)

    def add_g711(self, channel: int, payload: bytes, payload_type: int, at: float) -> None:
        """Add a G.711 frame as received (decoded only when the file is written)."""
        self._place(channel, payload, payload_type, len(payload), at)

    def _place(self, channel: int, data: bytes, kind: int, samples: int, at: float) -> None:
        wanted = round((at - self.started_at) * RATE)
        end = self._ends[channel]
        position = end if wanted - end <= GAP_SECONDS * RATE else wanted
        if position + samples > self._max_samples:
            return
        self._chunks[channel].append((position, data, kind))
        self._ends[channel] = position + samples

    @property
    def duration(self) -> float:
        """Seconds recorded so far (the longer channel)."""
        return max(self._ends) / RATE

    def channel(self, channel: int) -> npt.NDArray[np.int16]:
        """One channel as a mono array of the full length."""
        out = np.zeros(max(self._ends), dtype=np.int16)
        for position, data, kind in self._chunks[channel]:
            pcm = np.frombuffer(data, dtype="<i2") if kind == LINEAR else g711.decode(data, kind)
            out[position : position + len(pcm)] = pcm
        return out

    def close(self) -> Path:
        """Write the WAV file; returns its path."""
        stereo = np.empty((max(self._ends), 2), dtype="<i2")
        stereo[:, 0] = self.channel(CALLER)
        stereo[:, 1] = self.channel(AGENT)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(self.path), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(stereo.tobytes())
        return self.path
