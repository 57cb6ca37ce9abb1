"""Real-time metrics folded incrementally from the event log.

``board.apply(event)`` for every event, in log order; then ask for a queue's interval figures
(15, 30 or 60 minutes by default, aligned in the center's time zone), its figures over the
**rolling** last 15 minutes (:meth:`MetricsBoard.recent`, the wallboard's "last 15 minutes"),
its all-time totals, what is happening now (contacts waiting, longest wait, agents by state) or
an agent's figures. Events from other areas are ignored. Nothing here reads a clock: "now" is a
parameter.

The rolling window is folded incrementally: each event's counts are kept (time-stamped) in the
queue's window and added to a running sum once; a query first drops what has slid out of the
window (subtracting it), so a refresh costs the events that entered or left the window since
the last one, never a rescan of the day. Agents' time in state for the window comes from the
state segments of the window only. Queries must not go back in time (``now`` never decreases).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from madoguchi.core.config import CenterConfig, TreatmentKind
from madoguchi.core.events import Event
from madoguchi.core.metrics.tally import IntervalStats, Tally
from madoguchi.core.model import AgentState
from madoguchi.core.routing import events as ev

_BUSY = frozenset({AgentState.RESERVED, AgentState.ON_CONTACT, AgentState.AFTER_CONTACT_WORK})
#: The wallboard's rolling window ("last 15 minutes").
RECENT_S = 15 * 60.0


class RollingTally:
    """Counts of the events in the last ``span_s`` seconds, kept current incrementally."""

    __slots__ = ("_entries", "_fresh", "_sum", "span_s")

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self._entries: deque[tuple[float, Tally]] = deque()
        self._fresh: list[Tally] = []
        """Deltas not yet in the sum (their handler may still be filling them in)."""
        self._sum = Tally()

    def delta(self, at: float) -> Tally:
        """A new, empty delta for an event at ``at``: the caller fills it in."""
        delta = Tally()
        self._entries.append((at, delta))
        self._fresh.append(delta)
        return delta

    def at(self, now: float) -> Tally:
        """The sum over ``(now - span_s, now]`` (the returned tally must not be changed)."""
        for delta in self._fresh:
            self._sum.add(delta)
        self._fresh.clear()
        entries = self._entries
        horizon = now - self.span_s
        while entries and entries[0][0] <= horizon:
            self._sum.subtract(entries.popleft()[1])
        if not entries:
            self._sum = Tally()  # exactly zero again (no float residue)
        return self._sum


@dataclass(frozen=True, slots=True)
class QueueNow:
    """A queue at an instant: the wallboard line."""

    queue_id: str
    waiting: int
    """Contacts waiting (ringing at an agent included), callback requests included."""
    callbacks_waiting: int
    longest_wait_s: float
    agents_by_state: dict[str, int]
    """The queue's agents (those holding its skills) by routing state."""


@dataclass(frozen=True, slots=True)
class AgentStats:
    """One agent's figures since the log began."""

    agent_id: str
    handled: int
    talk_s: float
    hold_s: float
    acw_s: float
    time_in_state_s: dict[str, float]
    """Seconds in each routing state, the current one counted up to ``now``."""

    @property
    def aht_s(self) -> float | None:
        """Average handle time (talk + hold + after-contact work per handled part)."""
        return (self.talk_s + self.hold_s + self.acw_s) / self.handled if self.handled else None

    @property
    def occupancy(self) -> float | None:
        """Busy (reserved, on contact, after-contact work) over staffed time."""
        busy = sum(self.time_in_state_s.get(s.value, 0.0) for s in _BUSY)
        staffed = busy + self.time_in_state_s.get(AgentState.AVAILABLE.value, 0.0)
        return busy / staffed if staffed else None


class MetricsBoard:
    """KPIs per queue and interval, per agent, and now; see the module docstring."""

    def __init__(self, config: CenterConfig) -> None:
        self.config = config
        minutes = config.metrics.intervals_min or (15,)
        self.intervals_min: tuple[int, ...] = tuple(minutes)
        self._base_s = 60 * math.gcd(*minutes)
        self._zone = ZoneInfo(config.timezone)
        self._offsets: dict[int, float] = {}
        self._short_abandon_s = config.metrics.short_abandon_s
        self._target_s = {q.id: q.service_level.seconds for q in config.queues}
        self._queue_agents: dict[str, tuple[str, ...]] = {
            q.id: tuple(
                a.id
                for a in config.agents
                if all(a.proficiency(r.skill) >= r.min_proficiency for r in q.skills)
            )
            for q in config.queues
        }
        self._tallies: dict[str, dict[float, Tally]] = {}
        self._totals: dict[str, Tally] = {}
        self._waiting: dict[str, dict[str, float]] = {}
        self._callbacks: dict[str, set[str]] = {}
        self._where: dict[str, str] = {}
        self._direct: set[str] = set()
        self._parts: dict[tuple[str, str], tuple[float, float]] = {}
        self._agent_state: dict[str, tuple[AgentState, float]] = {}
        self._agent_time: dict[str, dict[float, dict[AgentState, float]]] = {}
        self._agent_total_time: dict[str, dict[AgentState, float]] = {}
        self._agent_work: dict[str, Tally] = {}
        self._recent: dict[str, RollingTally] = {}
        self._agent_segments: dict[str, deque[tuple[float, float, AgentState]]] = {}
        """Each agent's closed state segments (since, until, state) of the rolling window."""
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            ev.ContactQueued: self._queued,
            ev.ContactConnected: self._connected,
            ev.ContactAbandoned: self._abandoned,
            ev.ContactOverflowed: self._overflowed,
            ev.CallbackRequested: self._callback,
            ev.ContactEnded: self._ended,
            ev.ContactTransferred: self._transferred,
            ev.ContactWrappedUp: self._wrapped_up,
            ev.AgentStateChanged: self._agent_changed,
            ev.AgentSkillsChanged: self._skills_changed,
        }

    # ----------------------------------------------------------------- folding
    def apply(self, event: Event) -> None:
        """Fold one event (any area's; only routing events count)."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def bucket_start(self, at: float) -> float:
        """Start of the base interval holding ``at``, aligned in the center's time zone."""
        return self._start(at, self._base_s)

    def interval_start(self, at: float, minutes: int) -> float:
        """Start of the ``minutes`` interval holding ``at`` (local time: 10:00, 10:15…)."""
        return self._start(at, minutes * 60)

    def _start(self, at: float, size: float) -> float:
        hour = int(at // 3600)
        offset = self._offsets.get(hour)
        if offset is None:
            delta = datetime.fromtimestamp(at, self._zone).utcoffset()
            offset = self._offsets[hour] = delta.total_seconds() if delta is not None else 0.0
        return math.floor((at + offset) / size) * size - offset

    def _tally(self, queue_id: str, at: float) -> tuple[Tally, Tally, Tally]:
        """The tallies an event of ``queue_id`` at ``at`` counts in: its bucket, the queue's
        totals, and its delta in the queue's rolling window."""
        buckets = self._tallies.setdefault(queue_id, {})
        start = self.bucket_start(at)
        tally = buckets.get(start)
        if tally is None:
            tally = buckets[start] = Tally()
        total = self._totals.get(queue_id)
        if total is None:
            total = self._totals[queue_id] = Tally()
        window = self._recent.get(queue_id)
        if window is None:
            window = self._recent[queue_id] = RollingTally(RECENT_S)
        return tally, total, window.delta(at)

    def _stop_waiting(self, contact_id: str) -> None:
        queue_id = self._where.pop(contact_id, None)
        if queue_id is not None:
            self._waiting[queue_id].pop(contact_id, None)
            self._callbacks.get(queue_id, set()).discard(contact_id)

    def _queued(self, e: ev.ContactQueued) -> None:
        self._stop_waiting(e.contact_id)
        if e.via == ev.QueueEntry.DIRECT:
            self._direct.add(e.contact_id)
            return
        # a direct contact transferred to a queue is offered there, and answered from it
        self._direct.discard(e.contact_id)
        for tally in self._tally(e.queue_id, e.at):
            tally.offered += 1
        self._waiting.setdefault(e.queue_id, {})[e.contact_id] = e.wait_started_at
        self._where[e.contact_id] = e.queue_id

    def _connected(self, e: ev.ContactConnected) -> None:
        self._stop_waiting(e.contact_id)
        if e.contact_id in self._direct:
            # Only the direct connection itself is not an answer from a queue; a later
            # connection (a transfer to an agent or supervisor) is, as for any other contact.
            self._direct.discard(e.contact_id)
            return
        in_target = e.wait_s <= self._target_s.get(e.queue_id, 0.0)
        for tally in self._tally(e.queue_id, e.at):
            tally.answered += 1
            tally.answered_in_target += in_target
            tally.wait_answered_s += e.wait_s

    def _abandoned(self, e: ev.ContactAbandoned) -> None:
        self._stop_waiting(e.contact_id)
        short = e.wait_s < self._short_abandon_s
        for tally in self._tally(e.queue_id, e.at):
            if short:
                tally.short_abandoned += 1
            else:
                tally.abandoned += 1

    def _overflowed(self, e: ev.ContactOverflowed) -> None:
        if e.treatment == TreatmentKind.CALLBACK:
            return
        self._stop_waiting(e.contact_id)
        for tally in self._tally(e.from_queue, e.at):
            tally.overflowed += 1

    def _callback(self, e: ev.CallbackRequested) -> None:
        for tally in self._tally(e.queue_id, e.at):
            tally.callbacks += 1
        self._callbacks.setdefault(e.queue_id, set()).add(e.contact_id)

    def _ended(self, e: ev.ContactEnded) -> None:
        self._stop_waiting(e.contact_id)
        if e.agent_id is not None:
            self._add_part(e.contact_id, e.agent_id, e.talk_s, e.hold_s)

    def _transferred(self, e: ev.ContactTransferred) -> None:
        self._add_part(e.contact_id, e.from_agent, e.talk_s, e.hold_s)

    def _add_part(self, contact_id: str, agent_id: str, talk_s: float, hold_s: float) -> None:
        # An agent who gets the same contact back before wrapping it up wraps both parts up once.
        talk, hold = self._parts.get((contact_id, agent_id), (0.0, 0.0))
        self._parts[contact_id, agent_id] = (talk + talk_s, hold + hold_s)

    def _wrapped_up(self, e: ev.ContactWrappedUp) -> None:
        talk, hold = self._parts.pop((e.contact_id, e.agent_id), (0.0, 0.0))
        work = self._agent_work.get(e.agent_id)
        if work is None:
            work = self._agent_work[e.agent_id] = Tally()
        for tally in (*self._tally(e.queue_id, e.at), work):
            tally.handled += 1
            tally.talk_s += talk
            tally.hold_s += hold
            tally.acw_s += e.acw_s
        if e.contact_id in self._direct and not any(k[0] == e.contact_id for k in self._parts):
            self._direct.discard(e.contact_id)

    def _skills_changed(self, e: ev.AgentSkillsChanged) -> None:
        """An agent moved between skills: they now count among other queues' agents."""
        levels = dict(e.skills)
        for queue in self.config.queues:
            members = self._queue_agents.get(queue.id, ())
            serves = all(levels.get(r.skill, 0) >= r.min_proficiency for r in queue.skills)
            if serves and e.agent_id not in members:
                self._queue_agents[queue.id] = (*members, e.agent_id)
            elif not serves and e.agent_id in members:
                self._queue_agents[queue.id] = tuple(a for a in members if a != e.agent_id)

    def _agent_changed(self, e: ev.AgentStateChanged) -> None:
        previous = self._agent_state.get(e.agent_id)
        if previous is not None:
            self._add_state_time(e.agent_id, previous[0], previous[1], e.at)
            if e.at > previous[1]:
                segments = self._agent_segments.setdefault(e.agent_id, deque())
                segments.append((previous[1], e.at, previous[0]))
                while segments and segments[0][1] <= e.at - RECENT_S:
                    segments.popleft()
        self._agent_state[e.agent_id] = (AgentState(e.state), e.at)

    def _add_state_time(self, agent_id: str, state: AgentState, since: float, until: float) -> None:
        if until <= since:
            return
        totals = self._agent_total_time.setdefault(agent_id, {})
        totals[state] = totals.get(state, 0.0) + (until - since)
        buckets = self._agent_time.setdefault(agent_id, {})
        start = self.bucket_start(since)
        while start < until:
            end = start + self._base_s
            part = min(end, until) - max(start, since)
            if part > 0:
                spent = buckets.setdefault(start, {})
                spent[state] = spent.get(state, 0.0) + part
            start = end

    # ----------------------------------------------------------------- queries
    def interval(
        self, queue_id: str, minutes: int, start: float, now: float | None = None
    ) -> IntervalStats:
        """A queue's figures over ``[start, start + minutes)`` (``start`` aligned).

        With ``now``, agents' current states count up to ``now`` (a live interval).
        """
        end = start + minutes * 60
        tally = Tally()
        for bucket, counts in self._tallies.get(queue_id, {}).items():
            if start <= bucket < end:
                tally.add(counts)
        for agent_id in self._queue_agents.get(queue_id, ()):
            for bucket, spent in self._agent_time.get(agent_id, {}).items():
                if start <= bucket < end:
                    _add_agent_time(tally, spent)
            current = self._agent_state.get(agent_id)
            if current is not None and now is not None:
                overlap = min(now, end) - max(current[1], start)
                if overlap > 0:
                    _add_agent_time(tally, {current[0]: overlap})
        return tally.freeze(queue_id, start, minutes)

    def recent(self, queue_id: str, now: float) -> IntervalStats:
        """A queue's figures over the rolling last 15 minutes ``(now - 15 min, now]``.

        Counts are those of events in the window (an answer 14 minutes ago counts, one 16
        minutes ago does not); the queue's agents' time in state is their time inside the
        window, the current state counted up to ``now``. ``start`` is ``now - 15 min``."""
        start = now - RECENT_S
        tally = Tally()
        window = self._recent.get(queue_id)
        if window is not None:
            tally.add(window.at(now))
        for agent_id in self._queue_agents.get(queue_id, ()):
            for since, until, state in self._agent_segments.get(agent_id, ()):
                overlap = min(until, now) - max(since, start)
                if overlap > 0:
                    _add_agent_time(tally, {state: overlap})
            current = self._agent_state.get(agent_id)
            if current is not None:
                overlap = now - max(current[1], start)
                if overlap > 0:
                    _add_agent_time(tally, {current[0]: overlap})
        return tally.freeze(queue_id, start, int(RECENT_S // 60))

    def intervals(self, queue_id: str, minutes: int) -> list[IntervalStats]:
        """Every ``minutes`` interval of a queue that has any count, in time order."""
        starts = sorted(
            {self.interval_start(bucket, minutes) for bucket in self._tallies.get(queue_id, {})}
        )
        return [self.interval(queue_id, minutes, s) for s in starts]

    def totals(self, queue_id: str, now: float | None = None) -> IntervalStats:
        """A queue's figures since the log began (agent time counted up to ``now``)."""
        tally = Tally()
        counts = self._totals.get(queue_id)
        if counts is not None:
            tally.add(counts)
        for agent_id in self._queue_agents.get(queue_id, ()):
            _add_agent_time(tally, self._state_times(agent_id, now))
        return tally.freeze(queue_id, 0.0, 0)

    def queue_now(self, queue_id: str, now: float) -> QueueNow:
        """Contacts waiting, the longest wait and the queue's agents by state at ``now``."""
        waiting = self._waiting.get(queue_id, {})
        longest = now - min(waiting.values()) if waiting else 0.0
        by_state: dict[str, int] = {}
        for agent_id in self._queue_agents.get(queue_id, ()):
            state = self._agent_state.get(agent_id, (AgentState.LOGGED_OUT, 0.0))[0]
            by_state[state.value] = by_state.get(state.value, 0) + 1
        return QueueNow(
            queue_id=queue_id,
            waiting=len(waiting),
            callbacks_waiting=len(self._callbacks.get(queue_id, ())),
            longest_wait_s=max(0.0, longest),
            agents_by_state=by_state,
        )

    def agent(self, agent_id: str, now: float | None = None) -> AgentStats:
        """An agent's handled contacts, handle times and time in each state."""
        work = self._agent_work.get(agent_id) or Tally()
        return AgentStats(
            agent_id=agent_id,
            handled=work.handled,
            talk_s=work.talk_s,
            hold_s=work.hold_s,
            acw_s=work.acw_s,
            time_in_state_s={s.value: t for s, t in self._state_times(agent_id, now).items()},
        )

    def _state_times(self, agent_id: str, now: float | None) -> dict[AgentState, float]:
        times = dict(self._agent_total_time.get(agent_id, {}))
        current = self._agent_state.get(agent_id)
        if current is not None and now is not None and now > current[1]:
            times[current[0]] = times.get(current[0], 0.0) + (now - current[1])
        return times


def _add_agent_time(tally: Tally, spent: dict[AgentState, float]) -> None:
    for state, seconds in spent.items():
        if state in _BUSY:
            tally.busy_s += seconds
        elif state is AgentState.AVAILABLE:
            tally.available_s += seconds
