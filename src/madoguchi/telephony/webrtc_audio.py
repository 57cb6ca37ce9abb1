"""Audio between aiortc and the RTP legs: 8 kHz mono int16, 20 ms (160 samples) a frame.

:class:`CallerAudioTrack` is the track the server sends to the agent's browser: it yields one
frame every 20 ms on its own clock — the caller's audio when some is queued, silence otherwise —
so the connection keeps flowing between calls. :func:`to_telephone_pcm` turns a received frame
into the RTP legs' format (PCMU/PCMA frames already are; Opus frames are resampled).
"""

from __future__ import annotations

import asyncio
import collections
import fractions
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler
from av.frame import Frame

RATE = 8000
FRAME_SAMPLES = 160
FRAME_SECONDS = FRAME_SAMPLES / RATE
TIME_BASE = fractions.Fraction(1, RATE)
MAX_QUEUED_FRAMES = 5
"""Caller audio waiting beyond this (100 ms) is dropped from the front: latency stays bounded
when the caller's packets arrive faster than our clock (clock drift, bursts)."""


class CallerAudioTrack(MediaStreamTrack):
    """The caller's voice towards the page, paced at 20 ms, silence when nobody talks."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: collections.deque[npt.NDArray[np.int16]] = collections.deque()
        self._pending = np.zeros(0, dtype=np.int16)
        self._start: float | None = None
        self._timestamp = 0
        self.frames_sent = 0
        self.frames_dropped = 0

    def push(self, pcm: npt.NDArray[np.int16]) -> None:
        """Queue caller audio (any length, 8 kHz int16); it goes out in 160-sample frames."""
        samples = np.concatenate([self._pending, np.asarray(pcm, dtype=np.int16)])
        whole = len(samples) - len(samples) % FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._queue.append(samples[start : start + FRAME_SAMPLES])
        self._pending = samples[whole:]
        while len(self._queue) > MAX_QUEUED_FRAMES:
            self._queue.popleft()
            self.frames_dropped += 1

    def clear(self) -> None:
        """Drop queued audio (the call ended)."""
        self._queue.clear()
        self._pending = np.zeros(0, dtype=np.int16)

    @property
    def queued_frames(self) -> int:
        """Frames waiting to be sent."""
        return len(self._queue)

    async def recv(self) -> Frame:
        """The next 20 ms frame, at its time (aiortc's sender calls this in a loop)."""
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._timestamp += FRAME_SAMPLES
            due = self._start + self._timestamp / RATE
            if loop.time() - due > 1.0:  # the loop stalled: restart the clock, no burst
                self._start = loop.time() - self._timestamp / RATE
            await asyncio.sleep(max(0.0, due - loop.time()))
        pcm = self._queue.popleft() if self._queue else np.zeros(FRAME_SAMPLES, dtype=np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._timestamp
        frame.time_base = TIME_BASE
        self.frames_sent += 1
        return frame


def to_telephone_pcm() -> Callable[[object], npt.NDArray[np.int16] | None]:
    """A converter of received audio frames to 8 kHz mono int16 (with its own resampler, made
    only when a frame needs one)."""
    resampler: AudioResampler | None = None

    def convert(frame: object) -> npt.NDArray[np.int16] | None:
        nonlocal resampler
        if not isinstance(frame, AudioFrame):
            return None
        if frame.sample_rate == RATE and frame.layout.name == "mono" and frame.format.name == "s16":
            return np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1)
        if resampler is None:
            resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        parts = [
            np.asarray(f.to_ndarray(), dtype=np.int16).reshape(-1)
            for f in resampler.resample(frame)
        ]
        return np.concatenate(parts) if parts else None

    return convert
