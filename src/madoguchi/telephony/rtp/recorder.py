"""Two-channel call recording: caller on the left, agent on the right, 8 kHz 16-bit WAV.

A frame that arrives within ``GAP_SECONDS`` of where its channel's audio ends is appended right
after it (arrival jitter does not cut the audio); a frame after a longer pause (no packets: hold,
silence suppression, one side quiet) is placed at its arrival time on the loop clock, so the
pause stays silence and the two channels stay aligned.

The file is written as the call goes, about once per ``FLUSH_SECONDS`` of audio: frames are kept
as they arrived (G.711 bytes, not decoded), and each flush decodes the settled part of both
channels in one numpy pass per run of frames, interleaves them and appends one block to the WAV.
Per packet the recorder only appends a tuple; at the end of the call only the last second is
left to write, so hanging up many calls at once does not stall the event loop.
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
FLUSH_SECONDS = 1.0
LINEAR = -1
_GAP_SAMPLES = int(GAP_SECONDS * RATE)


class _Run:
    """Frames of one channel that follow each other without a gap, in one encoding."""

    __slots__ = ("end", "kind", "parts", "start")

    def __init__(self, start: int, kind: int, data: bytes, end: int) -> None:
        self.start = start
        self.kind = kind
        """The G.711 payload type, or LINEAR for int16 bytes."""
        self.parts = [data]
        self.end = end


def _pcm(data: bytes, kind: int) -> npt.NDArray[np.int16]:
    if kind == LINEAR:
        return np.frombuffer(data, dtype="<i2")
    return g711.decode(data, kind)


class StereoRecorder:
    """Collects both sides of a call and writes them to one two-channel WAV file as it goes."""

    def __init__(self, path: Path, started_at: float, max_seconds: float = 4 * 3600) -> None:
        self.path = path
        self.started_at = started_at
        self._max_samples = int(max_seconds * RATE)
        self._runs: list[list[_Run]] = [[], []]
        self._ends = [0, 0]
        self._written = 0
        self._last_flush = started_at
        self._wav: wave.Wave_write | None = None
        self._closed = False

    def add(self, channel: int, pcm: npt.NDArray[np.int16], at: float) -> None:
        """Add linear audio heard on ``channel`` (CALLER or AGENT) at loop time ``at``."""
        self._place(channel, pcm.astype("<i2").tobytes(), LINEAR, len(pcm), at)

    def add_g711(self, channel: int, payload: bytes, payload_type: int, at: float) -> None:
        """Add a G.711 frame as received (decoded when its second is written)."""
        # the per-packet path of a bridge: _place inlined (one Python frame less per packet)
        if self._closed:
            return
        samples = len(payload)
        wanted = round((at - self.started_at) * RATE)
        end = self._ends[channel]
        position = end if wanted - end <= _GAP_SAMPLES else wanted
        if position + samples > self._max_samples:
            return
        runs = self._runs[channel]
        if runs:
            run = runs[-1]
            if run.end == position and run.kind == payload_type:
                run.parts.append(payload)
                run.end = position + samples
            else:
                runs.append(_Run(position, payload_type, payload, position + samples))
        else:
            runs.append(_Run(position, payload_type, payload, position + samples))
        self._ends[channel] = position + samples
        if at - self._last_flush >= FLUSH_SECONDS:
            self.flush(at)

    def _place(self, channel: int, data: bytes, kind: int, samples: int, at: float) -> None:
        # per packet: a position, and one append to the channel's current run
        if self._closed:
            return
        wanted = round((at - self.started_at) * RATE)
        end = self._ends[channel]
        position = end if wanted - end <= _GAP_SAMPLES else wanted
        if position + samples > self._max_samples:
            return
        runs = self._runs[channel]
        run = runs[-1] if runs else None
        if run is not None and run.end == position and run.kind == kind:
            run.parts.append(data)
            run.end = position + samples
        else:
            runs.append(_Run(position, kind, data, position + samples))
        self._ends[channel] = position + samples
        if at - self._last_flush >= FLUSH_SECONDS:
            self.flush(at)

    @property
    def duration(self) -> float:
        """Seconds recorded so far (the longer channel)."""
        return max(self._ends) / RATE

    def flush(self, now: float) -> None:
        """Write what can no longer change at loop time ``now`` (both channels settled)."""
        self._last_flush = now
        wanted = round((now - self.started_at) * RATE)
        settled = min(
            # a channel quiet for longer than the gap gets its next frame at its arrival time
            end if end >= wanted - _GAP_SAMPLES else wanted
            for end in self._ends
        )
        self._write_until(min(settled, self._max_samples))

    def _write_until(self, upto: int) -> None:
        start = self._written
        if upto <= start:
            return
        block = np.zeros((upto - start, 2), dtype="<i2")
        for channel in (CALLER, AGENT):
            self._fill(block[:, channel], start, upto, channel)
        self._open().writeframesraw(block.tobytes())
        self._written = upto

    def _open(self) -> wave.Wave_write:
        if self._wav is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # open for the whole call (written once a second); close() finishes the header
            wav = wave.open(str(self.path), "wb")  # noqa: SIM115
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            self._wav = wav
        return self._wav

    def _fill(self, out: npt.NDArray[np.int16], start: int, upto: int, channel: int) -> None:
        """Decode this channel's runs below ``upto`` into ``out`` (which starts at ``start``);
        the rest stays for the next block."""
        keep: list[_Run] = []
        for run in self._runs[channel]:
            if run.start >= upto:
                keep.append(run)
                continue
            data = b"".join(run.parts)
            width = 2 if run.kind == LINEAR else 1
            position = run.start
            if position < start:  # below what is written (a clock step back): drop that part
                data = data[(start - position) * width :]
                position = start
            if run.end > upto:  # straddles the boundary: split it
                cut = (upto - position) * width
                rest = _Run(upto, run.kind, data[cut:], run.end)
                keep.append(rest)
                data = data[:cut]
            pcm = _pcm(data, run.kind)
            out[position - start : position - start + len(pcm)] = pcm
        self._runs[channel] = keep

    def close(self) -> Path:
        """Write the rest and finish the WAV file; returns its path."""
        if not self._closed:
            self._closed = True
            self._write_until(max(self._ends))
            self._open().close()  # nothing heard: still an empty but valid file
        return self.path
