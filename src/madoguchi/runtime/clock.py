"""Clocks: the one place outside tests where the wall clock is read."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Gives the current instant as epoch seconds."""

    def now(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to (tests, replays)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, instant: float) -> None:
        """Jump to ``instant`` (never backwards)."""
        if instant < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = instant

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        self.set(self._now + seconds)
