"""How simulated people behave: callers who wait, hang up and call again; agents who answer.

These models only draw durations and decisions; they do not know the routing engine. The
simulation driver (virtual time) and a live demo driver (wall-clock time, real SIP calls) both
use them, so a demo center and a simulated day share one description of people.
Each model draws from its own :class:`~madoguchi.sim.distributions.DurationStream`, spawned from
one seed, so a run is reproducible to the event.
"""

from __future__ import annotations

import numpy as np

from madoguchi.sim.distributions import Distribution, DurationStream
from madoguchi.sim.scenario import AgentPool, ContactKind, Redial


class CallerBehaviour:
    """Callers of one contact kind: talk time, patience, whether and when they call again."""

    def __init__(
        self, kind: ContactKind, redial: Redial | None, generator: np.random.Generator
    ) -> None:
        self.kind = kind
        self.redial = redial
        seeds = generator.spawn(4)
        self._handle = DurationStream(kind.handle_time, seeds[0])
        self._patience = None if kind.patience is None else DurationStream(kind.patience, seeds[1])
        self._acw = (
            None
            if kind.after_contact_work is None
            else DurationStream(kind.after_contact_work, seeds[2])
        )
        self._redial_generator = seeds[3]
        self._redial_delay = (
            None if redial is None else DurationStream(redial.delay, seeds[3].spawn(1)[0])
        )
        self._coin: list[float] = []

    def handle_time(self) -> float:
        """Seconds of conversation once connected."""
        return self._handle.next()

    def patience(self) -> float:
        """Seconds the caller will wait in queue before hanging up (``inf``: never)."""
        return float("inf") if self._patience is None else self._patience.next()

    def after_contact_work(self) -> float | None:
        """Seconds of wrap-up the agent needs, or None to let the queue's timer decide."""
        return None if self._acw is None else self._acw.next()

    def redial_after(self, attempt: int) -> float | None:
        """After abandoning on ``attempt`` (1 = first call): seconds until the next try, or None."""
        if self.redial is None or self._redial_delay is None:
            return None
        if attempt >= self.redial.max_attempts:
            return None
        if not self._coin:
            self._coin = self._redial_generator.random(1024).tolist()
        if self._coin.pop() >= self.redial.probability:
            return None
        return self._redial_delay.next()


class AgentBehaviour:
    """Agents of one pool: how long an offered contact rings before they answer."""

    def __init__(self, pool: AgentPool, generator: np.random.Generator) -> None:
        self.pool = pool
        self._ring: DurationStream | None = None
        if not _is_zero(pool.ring_delay):
            self._ring = DurationStream(pool.ring_delay, generator)
        self.answers_at_once = self._ring is None
        """Whether every offer is answered at once (a ring delay of 0)."""

    def ring_delay(self) -> float:
        """Seconds from an offer to the answer (0 answers at once)."""
        return 0.0 if self._ring is None else self._ring.next()


def _is_zero(distribution: Distribution) -> bool:
    from madoguchi.sim.distributions import Fixed

    return isinstance(distribution, Fixed) and distribution.value == 0.0
