"""What a flow may read about the center while it runs: calendars and live queue figures.

Read-only and injected at construction, so the interpreter stays pure. The runtime and
``madoguchi flow run`` pass a :class:`RoutingFlowEnvironment` over the routing engine; tests pass
a :class:`StaticFlowEnvironment` with fixed figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from madoguchi.core.config import CenterConfig, HoursCalendar
from madoguchi.core.model import AgentState


class FlowEnvironment(Protocol):
    """Live figures and calendars a flow's conditions and announcements read."""

    def calendar(self, calendar_id: str) -> HoursCalendar | None:
        """The business-hours calendar with this id, None when unknown."""

    def estimated_wait(self, queue_id: str, now: float) -> float | None:
        """Estimated wait (EWT, seconds) for a contact entering the queue now."""

    def agents_available(self, queue_id: str, now: float) -> int | None:
        """Agents idle and eligible for the queue now."""

    def queue_position(self, contact_id: str) -> int | None:
        """1-based place in line of a queued contact."""


@dataclass(slots=True)
class StaticFlowEnvironment:
    """Fixed figures (tests, the simulator's what-if runs, a flow tried without a center)."""

    calendars: dict[str, HoursCalendar] = field(default_factory=dict)
    waits: dict[str, float] = field(default_factory=dict)
    available: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_center(cls, config: CenterConfig) -> StaticFlowEnvironment:
        """An environment knowing the center's calendars (and no live figures yet)."""
        return cls(calendars={c.id: c for c in config.calendars})

    def calendar(self, calendar_id: str) -> HoursCalendar | None:
        """The calendar, or None."""
        return self.calendars.get(calendar_id)

    def estimated_wait(self, queue_id: str, now: float) -> float | None:
        """The fixed wait of the queue, or None."""
        return self.waits.get(queue_id)

    def agents_available(self, queue_id: str, now: float) -> int | None:
        """The fixed count of the queue, or None."""
        return self.available.get(queue_id)

    def queue_position(self, contact_id: str) -> int | None:
        """The fixed position of the contact, or None."""
        return self.positions.get(contact_id)


class RoutingFigures(Protocol):
    """The part of the routing engine (docs/dev/routing-api.md) a flow reads."""

    def estimated_wait(self, queue_id: str, now: float) -> float:
        """EWT for a contact joining the queue now (inf when nobody is staffed)."""

    def queue_position(self, contact_id: str) -> int:
        """1-based place of a waiting contact, 0 when not waiting."""

    def agent_state(self, agent_id: str) -> AgentState:
        """An agent's routing state."""


class RoutingFlowEnvironment:
    """Live figures from the routing engine, calendars from the center configuration."""

    def __init__(self, engine: RoutingFigures, config: CenterConfig) -> None:
        self.engine = engine
        self.config = config
        self._calendars = {c.id: c for c in config.calendars}
        self._eligible: dict[str, tuple[str, ...]] = {}

    def calendar(self, calendar_id: str) -> HoursCalendar | None:
        """The center's calendar, or None."""
        return self._calendars.get(calendar_id)

    def estimated_wait(self, queue_id: str, now: float) -> float | None:
        """The engine's EWT (inf when nobody is staffed), None for an unknown queue."""
        try:
            return self.engine.estimated_wait(queue_id, now)
        except KeyError:
            return None

    def agents_available(self, queue_id: str, now: float) -> int | None:
        """Agents AVAILABLE now who hold every skill the queue needs."""
        eligible = self._eligible.get(queue_id)
        if eligible is None:
            try:
                queue = self.config.queue(queue_id)
            except KeyError:
                return None
            eligible = tuple(
                agent.id
                for agent in self.config.agents
                if agent.tenant == queue.tenant
                and all(agent.proficiency(s.skill) >= s.min_proficiency for s in queue.skills)
            )
            self._eligible[queue_id] = eligible
        count = 0
        for agent_id in eligible:
            try:
                if self.engine.agent_state(agent_id) is AgentState.AVAILABLE:
                    count += 1
            except KeyError:
                continue
        return count

    def queue_position(self, contact_id: str) -> int | None:
        """The contact's place in line, None when it is not waiting."""
        try:
            position = self.engine.queue_position(contact_id)
        except KeyError:
            return None
        return position or None
