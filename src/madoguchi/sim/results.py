"""What a simulated day produced: per-interval, per-queue and per-agent figures.

:class:`ResultCollector` is fed by the driver from the routing engine's events (a contact
queued, connected, abandoned; an agent's state changed) and from the callers' queue-time
treatment (an announcement heard, a callback or message offered, taken, completed). It only
appends each fact to flat lists of numbers while the day runs; :meth:`ResultCollector.result`
folds them all at once (numpy ``bincount``, in the order they happened) into a
:class:`SimResult`. Contacts count in the interval in which they arrived (as in the usual
interval reports); agent time is split across intervals.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from madoguchi.core.model import AgentState

_BUSY, _AVAILABLE, _NOT_READY, _OFF = 0, 1, 2, -1
"""Where an agent's time is booked: busy, available, not ready, nowhere (logged out)."""
_S_ON_CONTACT = AgentState.ON_CONTACT
_S_ACW = AgentState.AFTER_CONTACT_WORK
_S_RESERVED = AgentState.RESERVED
_S_AVAILABLE = AgentState.AVAILABLE
_S_NOT_READY = AgentState.NOT_READY

# what a count record is (see ResultCollector.count)
OFFERED = 0
ABANDONED = 1
ENDED_OTHER = 2
CALLBACK_OFFERED = 3
"""A waiting caller was offered a callback (queue-time treatment)."""
CALLBACK_ACCEPTED = 4
"""Routing registered a callback the caller asked for (in the queue or in the flow)."""
CALLBACK_COMPLETED = 5
"""An agent took a callback request (the call back was made)."""
MESSAGE_OFFERED = 6
MESSAGE_LEFT = 7
ANNOUNCEMENT = 8
"""A waiting caller heard a position / estimated-wait announcement."""
_COUNT_FIELDS = (
    "offered",
    "abandoned",
    "ended_other",
    "callbacks_offered",
    "callbacks_accepted",
    "callbacks_completed",
    "messages_offered",
    "messages_left",
    "announcements",
)


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
    """Ended without an agent: overflow to nowhere, closed, queue full, flow self-service,
    a message left instead of waiting."""
    callbacks_offered: int = 0
    """Waiting callers offered a callback by the queue-time treatment."""
    callbacks_accepted: int = 0
    """Callbacks callers asked for and routing registered (offer taken in the queue, or the
    flow's callback node before queueing); overflow callbacks are not counted here."""
    callbacks_completed: int = 0
    """Callback requests an agent took (any origin, overflow included)."""
    messages_offered: int = 0
    messages_left: int = 0
    announcements: int = 0
    """Position / estimated-wait announcements heard by waiting callers."""

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
            "callbacks_offered": self.callbacks_offered,
            "callbacks_accepted": self.callbacks_accepted,
            "callbacks_completed": self.callbacks_completed,
            "messages_offered": self.messages_offered,
            "messages_left": self.messages_left,
            "announcements": self.announcements,
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
    queue_intervals: dict[str, tuple[Tally, ...]] = field(default_factory=dict)
    """Each queue's tallies by report interval (same intervals as ``intervals``)."""

    @property
    def treated(self) -> bool:
        """Whether any queue-time treatment or callback happened (reports show its columns)."""
        t = self.total
        return bool(
            t.callbacks_offered
            or t.callbacks_accepted
            or t.callbacks_completed
            or t.messages_offered
            or t.announcements
        )

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
            "queues": {
                q: {
                    **t.as_dict(),
                    "intervals": [
                        {"start": i.label, **tally.as_dict()}
                        for i, tally in zip(
                            self.intervals, self.queue_intervals.get(q, ()), strict=False
                        )
                    ],
                }
                for q, t in sorted(self.queues.items())
            },
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
    """Records the day's facts as flat lists and folds them at the end (module docstring)."""

    def __init__(self, start: float, interval_s: float, count: int, labels: list[str]) -> None:
        self._start = start
        self._interval_s = interval_s
        self._count = count
        self._labels = labels
        self._day_end = start + count * interval_s
        self._queue_index: dict[str, int] = {}
        # Flat arrays of machine numbers (not lists of Python objects): the day's records take
        # 8 bytes a number and keep no float objects alive, so memory grows slowly with the day.
        # count records: what, queue index, arrival instant
        self._c_what = array("q")
        self._c_queue = array("q")
        self._c_at = array("d")
        # answered contacts: queue index, arrival, wait, handle, answered in target (0/1)
        self._a_queue = array("q")
        self._a_at = array("d")
        self._a_wait = array("d")
        self._a_handle = array("d")
        self._a_in = array("q")
        # agents: index, current kind of time and since when; closed stretches of time
        self._agent_index: dict[str, int] = {}
        self._kind: list[int] = []
        self._since: list[float] = []
        self._handled: list[int] = []
        self._s_agent = array("q")
        self._s_kind = array("q")
        self._s_since = array("d")
        self._s_until = array("d")

    def _queue(self, queue: str) -> int:
        index = self._queue_index.get(queue)
        if index is None:
            index = self._queue_index[queue] = len(self._queue_index)
        return index

    def _agent(self, agent_id: str) -> int:
        index = self._agent_index.get(agent_id)
        if index is None:
            index = self._agent_index[agent_id] = len(self._agent_index)
            self._kind.append(_OFF)
            self._since.append(0.0)
            self._handled.append(0)
        return index

    def count(self, what: int, queue: str, arrived_at: float) -> None:
        """One fact of kind ``what`` (``OFFERED``, ``CALLBACK_OFFERED``…) for a contact of
        ``queue`` that arrived at ``arrived_at``."""
        self._c_what.append(what)
        self._c_queue.append(self._queue(queue))
        self._c_at.append(arrived_at)

    def offered(self, queue: str, arrived_at: float) -> None:
        """A contact entered ``queue``."""
        index = self._queue_index.get(queue)
        self._c_what.append(OFFERED)
        self._c_queue.append(self._queue(queue) if index is None else index)
        self._c_at.append(arrived_at)

    def answered(
        self,
        queue: str,
        arrived_at: float,
        wait_s: float,
        handle_s: float,
        target_s: float,
        agent_id: str | None = None,
    ) -> None:
        """A contact that arrived at ``arrived_at`` was connected after ``wait_s`` (to
        ``agent_id``, who then has handled one more)."""
        if agent_id is not None:
            agent = self._agent_index.get(agent_id)
            self._handled[self._agent(agent_id) if agent is None else agent] += 1
        index = self._queue_index.get(queue)
        self._a_queue.append(self._queue(queue) if index is None else index)
        self._a_at.append(arrived_at)
        self._a_wait.append(wait_s)
        self._a_handle.append(handle_s)
        self._a_in.append(wait_s <= target_s)

    def abandoned(self, queue: str, arrived_at: float) -> None:
        """A contact that arrived at ``arrived_at`` hung up while waiting."""
        self.count(ABANDONED, queue, arrived_at)

    def ended_without_agent(self, queue: str, arrived_at: float) -> None:
        """A contact ended by the center (closed, full, overflowed out) without an agent."""
        self.count(ENDED_OTHER, queue, arrived_at)

    def handled_by(self, agent_id: str) -> None:
        """``agent_id`` answered one more contact."""
        self._handled[self._agent(agent_id)] += 1

    def agent_state(self, agent_id: str, state: AgentState, at: float) -> None:
        """``agent_id`` entered ``state`` at ``at``; the time in the previous state is booked.

        Time is booked when the agent moves to another kind of time (busy, available, not
        ready, off): ringing, talking and after-contact work are one busy stretch.
        """
        index = self._agent_index.get(agent_id)
        if index is None:
            index = self._agent(agent_id)
        if state is _S_ON_CONTACT or state is _S_ACW or state is _S_RESERVED:
            kind = _BUSY
        elif state is _S_AVAILABLE:
            kind = _AVAILABLE
        elif state is _S_NOT_READY:
            kind = _NOT_READY
        else:
            kind = _OFF
        previous = self._kind[index]
        if previous == kind:
            return
        if previous != _OFF:
            since = self._since[index]
            if at > since:
                self._s_agent.append(index)
                self._s_kind.append(previous)
                self._s_since.append(since)
                self._s_until.append(at)
        self._kind[index] = kind
        self._since[index] = at

    # -- folding ------------------------------------------------------------------------------

    def _intervals_of(self, at: np.ndarray) -> np.ndarray:
        index = np.floor_divide(at - self._start, self._interval_s).astype(np.int64)
        return np.clip(index, 0, self._count - 1)

    def _tallies(self, key: np.ndarray, size: int) -> list[Tally]:
        """Tallies for ``size`` groups; ``key`` maps the count records, then the answered."""
        n_counts = len(self._c_what)
        c_key = key[:n_counts]
        a_key = key[n_counts:]
        what = _ints(self._c_what)
        counts = np.bincount(what * size + c_key, minlength=len(_COUNT_FIELDS) * size)
        counts = counts.reshape(len(_COUNT_FIELDS), size)
        answered = np.bincount(a_key, minlength=size)
        in_target = np.bincount(a_key, weights=_floats(self._a_in), minlength=size)
        wait = np.bincount(a_key, weights=_floats(self._a_wait), minlength=size)
        handle = np.bincount(a_key, weights=_floats(self._a_handle), minlength=size)
        tallies: list[Tally] = []
        for g in range(size):
            tally = Tally(
                answered=int(answered[g]),
                answered_in_target=int(in_target[g]),
                wait_answered_s=float(wait[g]),
                handle_s=float(handle[g]),
            )
            for row, name in enumerate(_COUNT_FIELDS):
                setattr(tally, name, int(counts[row, g]))
            tallies.append(tally)
        return tallies

    def _agent_time(self) -> tuple[np.ndarray, np.ndarray]:
        """Seconds per (agent, kind) and per (interval, kind)."""
        agents = len(self._agent_index)
        who = _ints(self._s_agent)
        kind = _ints(self._s_kind)
        since = _floats(self._s_since)
        until = _floats(self._s_until)
        per_agent = np.bincount(who * 3 + kind, weights=until - since, minlength=agents * 3)
        # interval buckets: the day's intervals only (time after the last one is not booked)
        start, width, count = self._start, self._interval_s, self._count
        until = np.minimum(until, self._day_end)
        keep = until > since
        since, until, kind = since[keep], until[keep], kind[keep]
        first = np.floor_divide(since - start, width).astype(np.int64)
        last = np.floor_divide(until - start, width).astype(np.int64)
        inside = (first == last) & (first >= 0)
        buckets = np.bincount(
            first[inside] * 3 + kind[inside],
            weights=until[inside] - since[inside],
            minlength=count * 3,
        )
        for s, u, k in zip(
            since[~inside].tolist(), until[~inside].tolist(), kind[~inside].tolist(), strict=True
        ):  # the few stretches across an interval boundary (or starting before the day)
            index = int((s - start) // width)
            while s < u:
                boundary = start + (index + 1) * width
                step = (boundary if boundary < u else u) - s
                if 0 <= index < count:
                    buckets[index * 3 + k] += step
                s += step
                index += 1
        return per_agent.reshape(agents, 3), buckets.reshape(count, 3)

    def result(self, scenario: str, end: float, **counts: int) -> SimResult:
        """Close the books at ``end`` and return the day."""
        for index in self._agent_index.values():  # the stretch still open at the end
            kind = self._kind[index]
            if kind != _OFF and end > self._since[index]:
                self._s_agent.append(index)
                self._s_kind.append(kind)
                self._s_since.append(self._since[index])
                self._s_until.append(end)
            self._since[index] = max(end, self._since[index])
        per_agent, buckets = self._agent_time()
        booked = np.bincount(_ints(self._s_agent), minlength=len(self._kind))
        agents = {
            agent_id: AgentTime(
                float(per_agent[i, 0]),
                float(per_agent[i, 1]),
                float(per_agent[i, 2]),
                self._handled[i],
            )
            for agent_id, i in self._agent_index.items()
            if booked[i] or self._handled[i]
        }
        at = np.concatenate((_floats(self._c_at), _floats(self._a_at)))
        queue = np.concatenate((_ints(self._c_queue), _ints(self._a_queue)))
        interval = self._intervals_of(at)
        by_interval = self._tallies(interval, self._count)
        by_queue = self._tallies(queue, len(self._queue_index))
        cells = self._tallies(queue * self._count + interval, len(self._queue_index) * self._count)
        total = self._tallies(np.zeros(len(at), dtype=np.int64), 1)[0]
        intervals = tuple(
            IntervalResult(
                self._start + i * self._interval_s,
                self._labels[i],
                by_interval[i],
                AgentTime(float(buckets[i, 0]), float(buckets[i, 1]), float(buckets[i, 2])),
                self._interval_s,
            )
            for i in range(self._count)
        )
        return SimResult(
            scenario=scenario,
            intervals=intervals,
            queues={q: by_queue[i] for q, i in self._queue_index.items()},
            queue_intervals={
                q: tuple(cells[i * self._count : (i + 1) * self._count])
                for q, i in self._queue_index.items()
            },
            agents=agents,
            total=total,
            commands=counts.get("commands", 0),
            events=counts.get("events", 0),
            redials=counts.get("redials", 0),
        )


def _ints(values: array[int]) -> np.ndarray:
    return np.frombuffer(values, dtype=np.int64) if len(values) else np.zeros(0, np.int64)


def _floats(values: array[float] | array[int]) -> np.ndarray:
    if values.typecode == "d":
        return np.frombuffer(values, dtype=np.float64) if len(values) else np.zeros(0)
    return _ints(values).astype(np.float64)  # type: ignore[arg-type]
