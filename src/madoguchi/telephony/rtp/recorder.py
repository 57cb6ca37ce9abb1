"""Two-channel call recording: caller on the left, agent on the right, 8 kHz 16-bit WAV.

Frames are placed by their arrival time on the loop clock (snapped to 20 ms), so silence on one
side (no packets) stays silence and the channels stay aligned; a frame that would overlap the
previous one on its channel is appended right after it instead.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from madoguchi.telephony.rtp.endpoint import FRAME_SAMPLES

CALLER = 0
AGENT = 1
RATE = 8000


class StereoRecorder:
    """Collects both sides of a call and writes one two-channel WAV file."""

    def __init__(self, path: Path, started_at: float, max_seconds: float = 4 * 3600) -> None:
        self.path = path
        self.started_at = started_at
        self._max_samples = int(max_seconds * RATE)
        self._chunks: list[list[tuple[int, npt.NDArray[np.int16]]]] = [[], []]
        self._ends = [0, 0]

    def add(self, channel: int, pcm: npt.NDArray[np.int16], at: float) -> None:
        """Add a frame heard on ``channel`` (CALLER or AGENT) at loop time ``at``."""
        wanted = round((at - self.started_at) * RATE / FRAME_SAMPLES) * FRAME_SAMPLES
        position = max(wanted, self._ends[channel])
        if position + len(pcm) > self._max_samples:
            return
        self._chunks[channel].append((position, pcm.astype(np.int16)))
        self._ends[channel] = position + len(pcm)

    @property
    def duration(self) -> float:
        """Seconds recorded so far (the longer channel)."""
        return max(self._ends) / RATE

    def channel(self, channel: int) -> npt.NDArray[np.int16]:
        """One channel as a mono array of the full length."""
        out = np.zeros(max(self._ends), dtype=np.int16)
        for position, pcm in self._chunks[channel]:
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
