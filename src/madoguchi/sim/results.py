"""What a simulated day produced: per-interval, per-queue and per-agent figures.

:class:`ResultCollector` is fed by the driver from the routing engine's events (a contact
queued, connected, abandoned; an agent's state changed) and folds them into counters; at the end
:meth:`ResultCollector.result` gives a :class:`SimResult`. Contacts count in the interval in
which they arrived (as in the usual interval reports); agent time is split across intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from madoguchi.core.model import AgentState

_KIND = {
    AgentState.ON_CONTACT: 0,
    AgentState.AFTER_CONTACT_WORK: 0,
    AgentState.RESERVED: 0,
    AgentState.AVAILABLE: 1,
    AgentState.NOT_READY: 2,
}
"""Where an agent's time is booked: busy, available, not ready (logged out: nowhere)."""
_OFF = -1


@dataclass(slots=True)
class Tally:
    """Contact counts for an interval or a queue."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_target: int = 0
    """Answered within the queue's service-level threshold."""
    wait_answered_s: float = 0.0
    handle_s: float = 0.0
    ended_other: int = 0
    """Ended without an agent: overflow to nowhere, closed, queue full, flow self-service."""

    @property
    def service_level(self) -> float | None:
        """Answered within the target over offered (abandoned calls count against it)."""
        return self.answered_in_target / self.offered if self.offered else None

    @property
    def asa_s(self) -> float | None:
        """Average speed of answer of answered contacts."""
        return self.wait_answered_s / self.answered if self.answered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def aht_s(self) -> float | None:
        """Mean talk time of answered contacts (without after-contact work)."""
        return self.handle_s / self.answered if self.answered else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "ended_other": self.ended_other,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "abandon_rate": self.abandon_rate,
            "aht_s": self.aht_s,
        }


@dataclass(slots=True)
class AgentTime:
    """Seconds an agent (or all agents in an interval) spent in each kind of state."""

    busy_s: float = 0.0
    """Ringing, talking or in after-contact work."""
    available_s: float = 0.0
    not_ready_s: float = 0.0
    handled: int = 0

    @property
    def staffed_s(self) -> float:
        return self.busy_s + self.available_s + self.not_ready_s

    @property
    def occupancy(self) -> float | None:
        """Busy time over busy plus available time."""
        working = self.busy_s + self.available_s
        return self.busy_s / working if working > 0 else None


@dataclass(frozen=True, slots=True)
class IntervalResult:
    """One report interval."""

    start: float
    """Epoch seconds."""
    label: str
    """Local ``HH:MM``."""
    contacts: Tally
    agents: AgentTime
    interval_s: float

    @property
    def agents_staffed(self) -> float:
        """Average number of agents signed in."""
        return self.agents.staffed_s / self.interval_s


@dataclass(frozen=True, slots=True)
class SimResult:
    """A simulated day."""

    scenario: str
    intervals: tuple[IntervalResult, ...]
    queues: dict[str, Tally]
    agents: dict[str, AgentTime]
    total: Tally
    commands: int
    """Commands sent to the routing engine."""
    events: int
    """Events the routing engine emitted."""
    redials: int
    flow_outcomes: dict[str, int] = field(default_factory=dict)
    """How contacts left their contact flow (queued, self_service, closed…), if any."""
    log: tuple[Any, ...] = field(default=())
    """Every engine event, when the run was asked to keep them."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``madoguchi simulate --json`` writes)."""
        return {
            "scenario": self.scenario,
            "total": self.total.as_dict(),
            "commands": self.commands,
            "events": self.events,
            "redials": self.redials,
            "flow_outcomes": dict(sorted(self.flow_outcomes.items())),
            "intervals": [
                {
                    "start": i.label,
                    **i.contacts.as_dict(),
                    "occupancy": i.agents.occupancy,
                    "agents_staffed": i.agents_staffed,
                }
                for i in self.intervals
            ],
            "queues": {q: t.as_dict() for q, t in sorted(self.queues.items())},
            "agents": {
                a: {
                    "handled": t.handled,
                    "occupancy": t.occupancy,
                    "busy_s": t.busy_s,
                    "available_s": t.available_s,
                    "not_ready_s": t.not_ready_s,
                }
                for a, t in sorted(self.agents.items())
            },
        }


class ResultCollector:
    """Folds the day's facts into counters (see the module docstring)."""

    def __init__(self, start: float, interval_s: float, count: int, labels: list[str]) -> None:
        self._start = start
        self._interval_s = interval_s
        self._count = count
        self._labels = labels
        self._tallies = [Tally() for _ in range(count)]
        self._buckets: tuple[list[float], list[float], list[float]] = (
            [0.0] * count,
            [0.0] * count,
            [0.0] * count,
        )
        """Seconds busy, available and not ready per interval."""
        self._agent_totals: dict[str, list[float]] = {}
        self._day_end = start + count * interval_s
        self.queues: dict[str, Tally] = {}
        self.agents: dict[str, AgentTime] = {}
        self.total = Tally()
        self._agent_state: dict[str, tuple[AgentState, float]] = {}

    def _interval(self, at: float) -> int:
        index = int((at - self._start) // self._interval_s)
        if index < 0:
            return 0
        return index if index < self._count else self._count - 1

    def _queue(self, queue: str) -> Tally:
        tally = self.queues.get(queue)
        if tally is None:
            tally = self.queues[queue] = Tally()
        return tally

    def offered(self, queue: str, arrived_at: float) -> None:
        """A contact entered ``queue``."""
        for tally in (self._tallies[self._interval(arrived_at)], self._queue(queue), self.total):
            tally.offered += 1

    def answered(
        self, queue: str, arrived_at: float, wait_s: float, handle_s: float, target_s: float
    ) -> None:
        """A contact that arrived at ``arrived_at`` was connected after ``wait_s``."""
        in_target = wait_s <= target_s
        for tally in (self._tallies[self._interval(arrived_at)], self._queue(queue), self.total):
            tally.answered += 1
            tally.wait_answered_s += wait_s
            tally.handle_s += handle_s
            if in_target:
                tally.answered_in_target += 1

    def abandoned(self, queue: str, arrived_at: float) -> None:
        """A contact that arrived at ``arrived_at`` hung up while waiting."""
        for tally in (self._tallies[self._interval(arrived_at)], self._queue(queue), self.total):
            tally.abandoned += 1

    def ended_without_agent(self, queue: str, arrived_at: float) -> None:
        """A contact ended by the center (closed, full, overflowed out) without an agent."""
        for tally in (self._tallies[self._interval(arrived_at)], self._queue(queue), self.total):
            tally.ended_other += 1

    def handled_by(self, agent_id: str) -> None:
        """``agent_id`` answered one more contact."""
        self._agent(agent_id).handled += 1

    def _agent(self, agent_id: str) -> AgentTime:
        time = self.agents.get(agent_id)
        if time is None:
            time = self.agents[agent_id] = AgentTime()
        return time

    def agent_state(self, agent_id: str, state: AgentState, at: float) -> None:
        """``agent_id`` entered ``state`` at ``at``; the time in the previous state is booked.

        Time is booked when the agent moves to another kind of time (busy, available, not
        ready, off): ringing, talking and after-contact work are one busy stretch.
        """
        kind = _KIND.get(state, _OFF)
        previous = self._agent_state.get(agent_id)
        if previous is not None:
            if _KIND.get(previous[0], _OFF) == kind:
                return
            self._book(agent_id, previous[0], previous[1], at)
        self._agent_state[agent_id] = (state, at)

    def _book(self, agent_id: str, state: AgentState, since: float, until: float) -> None:
        kind = _KIND.get(state)
        if kind is None or until <= since:
            return
        totals = self._agent_totals.get(agent_id)
        if totals is None:
            totals = self._agent_totals[agent_id] = [0.0, 0.0, 0.0]
        totals[kind] += until - since
        buckets = self._buckets[kind]
        start, width = self._start, self._interval_s
        until = min(until, self._day_end)
        index = int((since - start) // width)
        while since < until:
            boundary = start + (index + 1) * width
            step = (boundary if boundary < until else until) - since
            buckets[index] += step
            since += step
            index += 1

    def result(self, scenario: str, end: float, **counts: int) -> SimResult:
        """Close the books at ``end`` and return the day."""
        for agent_id, (state, since) in list(self._agent_state.items()):
            self._book(agent_id, state, since, end)
            self._agent_state[agent_id] = (state, end)
        for agent_id, (busy, available, not_ready) in self._agent_totals.items():
            time = self._agent(agent_id)
            time.busy_s, time.available_s, time.not_ready_s = busy, available, not_ready
        busy_i, available_i, not_ready_i = self._buckets
        intervals = tuple(
            IntervalResult(
                self._start + i * self._interval_s,
                self._labels[i],
                self._tallies[i],
                AgentTime(busy_i[i], available_i[i], not_ready_i[i]),
                self._interval_s,
            )
            for i in range(self._count)
        )
        return SimResult(
            scenario=scenario,
            intervals=intervals,
            queues=self.queues,
            agents=self.agents,
            total=self.total,
            commands=counts.get("commands", 0),
            events=counts.get("events", 0),
            redials=counts.get("redials", 0),
        )
