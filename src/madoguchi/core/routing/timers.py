"""Due times the engine must act on: offer time-outs, queue max-waits, after-contact work.

A heap of ``(due, seq, kind, key)`` with lazy cancelling: each (kind, key) has at most one
current timer; an entry whose token is no longer current is skipped when popped. Scheduling
happens only while applying events, so a rebuilt engine has the same timers as the original.
"""

from __future__ import annotations

import heapq
from enum import StrEnum


class TimerKind(StrEnum):
    """What a timer is for."""

    OFFER = "offer"
    """key: contact id."""
    MAX_WAIT = "max_wait"
    """key: contact id."""
    AFTER_CONTACT_WORK = "acw"
    """key: agent id."""
    CALLBACK = "callback"
    """key: contact id of a scheduled callback."""


class Timers:
    """One current due time per (kind, key), earliest first."""

    __slots__ = ("_by_kind", "_compact_at", "_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerKind, str]] = []
        self._by_kind: dict[TimerKind, dict[str, int]] = {kind: {} for kind in TimerKind}
        """kind → {key: token of its current timer} (no tuple keys to build on hot paths)."""
        self._seq = 0
        self._compact_at = _MIN_COMPACT
        """Heap size at which cancelled entries are swept out (see :meth:`_compact`)."""

    def set(self, kind: TimerKind, key: str, due: float) -> None:
        """Schedule (or move) the timer (kind, key) to ``due``."""
        self._seq = seq = self._seq + 1
        self._by_kind[kind][key] = seq
        heap = self._heap
        heapq.heappush(heap, (due, seq, kind, key))
        if len(heap) > self._compact_at:
            self._compact()

    def _compact(self) -> None:
        """Drop cancelled entries that are not yet due (they would wait in the heap until then).

        Runs when the heap has doubled since the last sweep, so each entry is swept at most a
        bounded number of times: amortised constant cost per :meth:`set`, and the heap holds at
        most about twice the current timers (or ``_MIN_COMPACT``) however long the engine runs.
        """
        by_kind = self._by_kind
        live = [item for item in self._heap if by_kind[item[2]].get(item[3]) == item[1]]
        heapq.heapify(live)
        self._heap = live
        self._compact_at = max(_MIN_COMPACT, 2 * len(live))

    def __len__(self) -> int:
        """Entries in the heap, cancelled ones not yet swept included (for bounds tests)."""
        return len(self._heap)

    def cancel(self, kind: TimerKind, key: str) -> None:
        """Forget the timer (kind, key) if any."""
        self._by_kind[kind].pop(key, None)

    def cancel_contact(self, key: str) -> None:
        """Forget a contact's offer and max-wait timers (one call on routing's hot path)."""
        by_kind = self._by_kind
        by_kind[TimerKind.OFFER].pop(key, None)
        by_kind[TimerKind.MAX_WAIT].pop(key, None)

    def due_of(self, kind: TimerKind, key: str) -> float | None:
        """When (kind, key) is due, or None (linear: for snapshots and tests)."""
        token = self._by_kind[kind].get(key)
        if token is None:
            return None
        for due, seq, _, _ in self._heap:
            if seq == token:
                return due
        return None

    def next_due(self) -> float | None:
        """The earliest current due time (drops cancelled heads)."""
        heap = self._heap
        by_kind = self._by_kind
        while heap:
            due, seq, kind, key = heap[0]
            if by_kind[kind].get(key) == seq:
                return due
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> tuple[TimerKind, str, float] | None:
        """Remove and return the earliest current timer due at or before ``now``."""
        heap = self._heap
        by_kind = self._by_kind
        while heap and heap[0][0] <= now:
            due, seq, kind, key = heapq.heappop(heap)
            current = by_kind[kind]
            if current.get(key) == seq:
                del current[key]
                return kind, key, due
        return None

    def pending(self) -> dict[tuple[str, str], float]:
        """Every current timer as {(kind, key): due} (for snapshots)."""
        found: dict[tuple[str, str], float] = {}
        by_kind = self._by_kind
        for due, seq, kind, key in self._heap:
            if by_kind[kind].get(key) == seq:
                found[str(kind), key] = due
        return found


_MIN_COMPACT = 4096
"""Below this many heap entries cancelled ones are left to be dropped when due."""
