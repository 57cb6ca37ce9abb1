"""Contact ids routing has finished with, remembered for a bounded horizon.

Routing remembers an ended contact so that its id is refused for a new contact
(``DuplicateContact``), ``contact_state`` answers ENDED, and late commands naming it get the
errors that say it has ended. A server runs for months, so the memory is bounded: an id is
forgotten once ``horizon_s`` has passed since it ended, and at most ``limit`` ids are kept (the
oldest go first). Forgetting is incremental: each id added (and each new arrival, see
:class:`~madoguchi.core.routing.state.RoutingState`) drops the expired ids at the front of a
queue kept in end order, so no call scans the whole memory. Pruning is driven by the logged
events' own instants, so replaying the log rebuilds exactly the same memory.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator

DEFAULT_ENDED_HORIZON_S = 24 * 3600.0
"""An ended contact is remembered for a day after it ended …"""
DEFAULT_ENDED_LIMIT = 250_000
"""… and at most this many ended contacts are remembered at once (the oldest are forgotten)."""


class EndedContacts:
    """Ended contact ids, kept for ``horizon_s`` seconds and at most ``limit`` of them."""

    __slots__ = ("_ids", "_order", "_times", "horizon_s", "limit")

    def __init__(
        self, horizon_s: float = DEFAULT_ENDED_HORIZON_S, limit: int = DEFAULT_ENDED_LIMIT
    ) -> None:
        if (
            isinstance(horizon_s, bool)
            or not isinstance(horizon_s, int | float)
            or math.isnan(horizon_s)
            or horizon_s < 0
        ):
            raise ValueError(
                f"ended_horizon_s: must be a number of seconds >= 0, not {horizon_s!r}"
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"ended_limit: must be a whole number >= 1, not {limit!r}")
        self.horizon_s = float(horizon_s)
        self.limit = limit
        self._ids: set[str] = set()
        self._order: deque[str] = deque()
        """The remembered ids, in the order they ended."""
        self._times: deque[float] = deque()
        """When each id of :attr:`_order` ended (same positions)."""

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        """The remembered ids, oldest end first."""
        return iter(self._order)

    def add(self, contact_id: str, at: float) -> None:
        """Remember that ``contact_id`` ended at ``at``, then forget what expired by then."""
        ids = self._ids
        if contact_id not in ids:
            ids.add(contact_id)
            self._order.append(contact_id)
            self._times.append(at)
        times = self._times
        if times[0] < at - self.horizon_s or len(ids) > self.limit:  # forget_before, inlined
            self.forget_before(at)

    def forget_before(self, now: float) -> None:
        """Forget ids that ended more than ``horizon_s`` before ``now``, and any over ``limit``.

        Costs one comparison when nothing expired; each forgotten id is dropped once.
        """
        times = self._times
        if not times:
            return
        cutoff = now - self.horizon_s
        order = self._order
        ids = self._ids
        limit = self.limit
        while times and (times[0] < cutoff or len(order) > limit):
            times.popleft()
            ids.discard(order.popleft())

    def oldest(self) -> float | None:
        """When the oldest remembered id ended (None when none is remembered)."""
        return self._times[0] if self._times else None
