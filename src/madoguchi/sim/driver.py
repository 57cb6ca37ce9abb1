"""The simulation driver: a virtual clock running the real routing engine through a day.

The driver owns the clock and the simulated people; the routing decisions are the engine's.
It feeds :class:`~madoguchi.core.routing.RoutingEngine` the same commands the runtime sends —
``EnqueueContact`` when a caller arrives, ``AcceptOffer`` when an offered agent picks up after
the ring delay, ``EndContact`` when the conversation's handle time is over, ``AbandonContact``
when a waiting caller's patience runs out, ``AgentLogin``/``SetAgentState``/``AgentLogout`` as
shifts, breaks and not-ready spells come — and reacts to the events the engine answers with.

Virtual time: a binary heap of the people's pending actions, the sorted array of first-attempt
arrivals, and ``engine.next_timer()`` (offer time-outs, after-contact work, overflow, calendar)
are merged; the earliest goes next. Nothing reads a wall clock, so a day runs as fast as the
engine can route it and the same seed gives the same events.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from madoguchi.core.config import CenterConfig, local_datetime
from madoguchi.core.model import AgentState, Contact, Direction, EndReason, SkillRequirement
from madoguchi.core.routing import RoutingEngine
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as re
from madoguchi.core.routing.errors import RoutingError
from madoguchi.sim import results as rs
from madoguchi.sim.arrivals import Arrivals, generate_arrivals
from madoguchi.sim.behaviour import AgentBehaviour, CallerBehaviour
from madoguchi.sim.flow_callers import OFFER_TAKEN, FlowCallers
from madoguchi.sim.results import ResultCollector, SimResult
from madoguchi.sim.scenario import Scenario
from madoguchi.sim.staffing import RosterAction, RosterChange, build_roster

# what a heap entry asks for
_ARRIVE, _PATIENCE, _ANSWER, _HANG_UP, _WRAP_UP, _ROSTER, _FLOW = range(7)
_INF = float("inf")
# enum members read once: on Python 3.11 a member looked up on its enum class costs ~0.5 µs
_NOT_READY = AgentState.NOT_READY
_ON_CONTACT = AgentState.ON_CONTACT
_RESERVED = AgentState.RESERVED
_ACW = AgentState.AFTER_CONTACT_WORK
_LOGGED_OUT = AgentState.LOGGED_OUT
_COMPLETED = EndReason.COMPLETED
_ABANDONED = EndReason.ABANDONED
_VOICEMAIL = EndReason.VOICEMAIL
_INBOUND = Direction.INBOUND
_NEW = re.QueueEntry.NEW


class _Call:
    """A simulated caller's contact as the driver follows it."""

    __slots__ = (
        "arrived_at",
        "attempt",
        "callback",
        "handle_s",
        "kind",
        "offered_to",
        "patience",
        "queue",
        "stays",
        "waiting",
    )

    def __init__(
        self, kind: int, queue: str, arrived_at: float, attempt: int, handle_s: float
    ) -> None:
        self.kind = kind
        self.queue = queue
        self.arrived_at = arrived_at
        self.attempt = attempt
        self.handle_s = handle_s
        self.waiting = True
        self.offered_to: str | None = None
        self.patience = _INF
        self.callback = False
        """Routing holds a callback request for the contact."""
        self.stays = False
        """No longer abandons: took a queue-time offer, or waits for a callback."""


class Simulation:
    """One simulated day of ``scenario`` in ``center`` (see the module docstring)."""

    def __init__(self, scenario: Scenario, center: CenterConfig, *, keep_log: bool = False) -> None:
        self.scenario = scenario
        seeds = np.random.SeedSequence(scenario.seed).spawn(5)
        arrival_gen, roster_gen, caller_gen, agent_gen, flow_gen = (
            np.random.default_rng(s) for s in seeds
        )
        self._arrivals = generate_arrivals(scenario, arrival_gen)
        self._roster = build_roster(scenario, center, roster_gen)
        known = {a.id for a in center.agents}
        extra = tuple(a for a in self._roster.agents if a.id not in known)
        self.center = replace(center, agents=center.agents + extra, _index={})
        self.engine = RoutingEngine(self.center)
        self.agent_count = len(self._roster.agents)
        """Agents the scenario signs in (the center may configure more)."""
        self._callers = [
            CallerBehaviour(kind, scenario.redial, g)
            for kind, g in zip(scenario.mix, caller_gen.spawn(len(scenario.mix)), strict=True)
        ]
        pool_gens = dict(
            zip(
                (p.name for p in scenario.pools),
                agent_gen.spawn(len(scenario.pools)),
                strict=True,
            )
        )
        behaviours = {p.name: AgentBehaviour(p, pool_gens[p.name]) for p in scenario.pools}
        self._agent_behaviour = {
            agent_id: behaviours[pool.name] for agent_id, pool in self._roster.pool_of.items()
        }
        self._answers_at_once = {
            agent_id for agent_id, b in self._agent_behaviour.items() if b.answers_at_once
        }
        """Agents whose ring delay is always 0 (no draw needed)."""
        self._own_acw = [kind.after_contact_work is not None for kind in scenario.mix]
        """Per contact kind: the simulated agent ends after-contact work (else the queue)."""
        timezone = center.timezone
        self.start = scenario.start_epoch(timezone)
        self.close = scenario.epoch_at(scenario.close_min, timezone)
        self.end = self.close + scenario.drain_min * 60.0
        interval_s = scenario.interval_min * 60.0
        labels = [
            local_datetime(self.start + i * interval_s, timezone).strftime("%H:%M")
            for i in range(scenario.intervals)
        ]
        self._collector = ResultCollector(self.start, interval_s, scenario.intervals, labels)
        self._targets = {q.id: q.service_level.seconds for q in self.center.queues}
        self._tenants = {q.id: q.tenant for q in self.center.queues}
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = 0
        self._calls: dict[str, _Call] = {}
        self._logged_in: set[str] = set()
        self._logout_pending: set[str] = set()
        self._agent_states: dict[str, AgentState] = {}
        self._answer_now: list[tuple[str, str]] = []
        self._wrap_ups: dict[str, str] = {}
        """Agent → contact whose after-contact work the simulated agent will end."""
        self._away: dict[str, str] = {}
        """Agents who should be not ready now (on a break or a not-ready spell), with why."""
        self._away_asked: set[str] = set()
        self._next_id = 0
        self._keep_log = keep_log
        self.log: list[Any] = []
        self.commands = 0
        self.events = 0
        self.refused: list[tuple[Any, str]] = []
        self.redials = 0
        self._timer: float | None = None
        self._timer_stale = False
        """A command ran since ``_timer`` was read: ask the engine again before the next step."""
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            re.ContactQueued: self._on_queued,
            re.ContactOffered: self._on_offered,
            re.ContactConnected: self._on_connected,
            re.ContactAbandoned: self._on_abandoned,
            re.ContactEnded: self._on_ended,
            re.CallbackRequested: self._on_callback,
            re.AgentStateChanged: self._on_agent_state,
            re.ContactOfferTimedOut: self._on_offer_lost,
            re.ContactOfferRejected: self._on_offer_lost,
        }
        if any(self._own_acw):  # only simulated agents' own wrap-ups need following
            self._handlers[re.ContactWrappedUp] = self._on_wrapped_up
        self._flows: FlowCallers | None = None
        self.flow_outcomes: dict[str, int] = {}
        if any(kind.flow is not None for kind in scenario.mix):
            self._flows = FlowCallers(
                scenario,
                self.center,
                self.engine,
                flow_gen,
                enqueue=self._enqueue_from_flow,
                callback=self._callback_from_flow,
                ended=self._ended_in_flow,
                schedule=lambda at, payload: self._push(at, _FLOW, payload),
                queued_callback=self._callback_in_queue,
                leave_for_message=self._leave_for_message,
                treated=self._treatment,
            )
            self.flow_outcomes = self._flows.outcomes
        for change in self._roster.changes:
            self._push(self.start + change.at, _ROSTER, change)

    @property
    def arrivals(self) -> Arrivals:
        """The day's first-attempt callers (for comparing with another model)."""
        return self._arrivals

    # -- the loop -------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> SimResult:
        """Run the day to its end (closing time plus the drain) and return the result."""
        times = (self._arrivals.times + self.start).tolist()
        kinds = self._arrivals.kinds.tolist()
        handle_times = self._arrivals.handle_times.tolist()
        patience = self._arrivals.patience.tolist()
        count = len(times)
        index = 0
        heap = self._heap
        end = self.end
        steps = 0
        engine = self.engine
        while True:
            if self._timer_stale:
                self._timer_stale = False
                self._timer = engine.next_timer()
            next_arrival = times[index] if index < count else _INF
            next_own = heap[0][0] if heap else _INF
            timer = self._timer
            if timer is None:
                timer = _INF
            now = next_arrival if next_arrival < next_own else next_own
            if timer < now:
                now = timer
            if now > end:
                break
            if timer <= next_arrival and timer <= next_own:
                fired = engine.handle_timer(now)
                self._handle(fired)
                self._timer_stale = False
                self._timer = engine.next_timer()
                if not fired and self._timer is not None and self._timer <= now:
                    self._timer = None  # nothing to do yet: wait for the next command
            elif next_arrival <= next_own:
                self._arrive(
                    now,
                    kinds[index],
                    handle_times[index],
                    patience[index],
                    1,
                )
                index += 1
            else:
                _, _, what, payload = heapq.heappop(heap)
                self._act(now, what, payload)
            steps += 1
            if progress is not None and steps % 4096 == 0:
                progress(min(1.0, (now - self.start) / (end - self.start)))
        if progress is not None:
            progress(1.0)
        result = self._collector.result(
            self.scenario.name,
            end,
            commands=self.commands,
            events=self.events,
            redials=self.redials,
        )
        result = replace(result, flow_outcomes=dict(self.flow_outcomes))
        if self._keep_log:
            flow_events = self._flows.events if self._flows is not None else []
            result = replace(result, log=tuple(self.log) + tuple(flow_events))
        return result

    def _push(self, at: float, what: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, what, payload))

    def _send(self, command: Any, now: float) -> bool:
        self.commands += 1
        try:
            events = self.engine.receive(command, now)
        except RoutingError as err:
            self.refused.append((command, str(err)))
            return False
        self._handle(events)
        while self._answer_now:
            contact_id, agent_id = self._answer_now.pop()
            self._send(rc.AcceptOffer(contact_id, agent_id), now)
        self._timer_stale = True
        return True

    def _handle(self, events: list[Any]) -> None:
        self.events += len(events)
        if self._keep_log:
            self.log.extend(events)
        handlers = self._handlers
        for item in events:
            handler = handlers.get(type(item))
            if handler is not None:
                handler(item)

    # -- people's actions -----------------------------------------------------------------

    def _arrive(
        self, now: float, kind: int, handle_s: float, patience: float, attempt: int
    ) -> None:
        spec = self.scenario.mix[kind]
        self._next_id += 1
        contact_id = f"sim-{self._next_id}"
        queue = spec.queue
        call = _Call(kind, queue, now, attempt, handle_s)
        self._calls[contact_id] = call
        if self._flows is not None and self._flows.uses_flow(kind):
            call.waiting = False  # in the flow: patience starts in the queue
            call.patience = patience
            contact = self._contact(contact_id, queue, now, kind, in_flow=True)
            self._flows.start(contact, kind, now)
            return
        contact = Contact(
            id=contact_id,
            channel=spec.channel,
            direction=_INBOUND,
            tenant=self._tenants[queue],
            created_at=now,
            queue=queue,
            skills=spec.skills,
            from_address=_caller_number(self._next_id),
        )
        self._send(rc.EnqueueContact(contact, queue, spec.priority, spec.skills or None), now)
        # answered at once (no ring delay) or ended: patience never matters, no heap entry
        if patience != _INF and call.waiting and contact_id in self._calls:
            self._push(now + patience, _PATIENCE, contact_id)

    def _contact(
        self, contact_id: str, queue: str, now: float, kind: int, in_flow: bool
    ) -> Contact:
        spec = self.scenario.mix[kind]
        return Contact(
            id=contact_id,
            channel=spec.channel,
            direction=_INBOUND,
            tenant=self._tenants[queue],
            created_at=now,
            queue=None if in_flow else queue,
            skills=spec.skills,
            from_address=_caller_number(int(contact_id[4:])),
        )

    def _enqueue_from_flow(
        self,
        contact_id: str,
        queue: str,
        priority: int | None,
        skills: tuple[SkillRequirement, ...] | None,
        now: float,
    ) -> None:
        call = self._calls.get(contact_id)
        if call is None:
            return
        if queue not in self._tenants:  # a flow naming no queue of this center: caller lost
            self.refused.append((("Enqueue", contact_id, queue), "unknown queue"))
            del self._calls[contact_id]
            return
        call.queue = queue
        call.waiting = True
        contact = self._contact(contact_id, queue, call.arrived_at, call.kind, in_flow=False)
        self._send(rc.EnqueueContact(contact, queue, priority, skills), now)
        if call.patience != _INF and call.waiting and contact_id in self._calls:
            self._push(now + call.patience, _PATIENCE, contact_id)

    def _callback_from_flow(self, contact_id: str, queue: str, number: str, now: float) -> None:
        call = self._calls.get(contact_id)
        if call is None:
            return
        call.patience = _INF
        self._enqueue_from_flow(contact_id, queue, None, None, now)
        if contact_id in self._calls and self._calls[contact_id].waiting:
            self._send(rc.RequestCallback(contact_id, number), now)

    def _ended_in_flow(self, contact_id: str, outcome: str, now: float) -> None:
        self._calls.pop(contact_id, None)

    def _callback_in_queue(self, contact_id: str, number: str, now: float) -> None:
        """A waiting caller took the queue-time callback offer: keep the place in line."""
        call = self._calls.get(contact_id)
        if call is not None and call.waiting:
            call.stays = True
            if call.offered_to is None:  # else an agent's phone rings for it: answered soon
                self._send(rc.RequestCallback(contact_id, number), now)

    def _leave_for_message(self, contact_id: str, now: float) -> None:
        """A waiting caller took the message offer: out of the line."""
        call = self._calls.get(contact_id)
        if call is not None and call.waiting:
            self._send(rc.EndContact(contact_id, _VOICEMAIL), now)

    def _treatment(self, contact_id: str, what: int, now: float) -> None:
        """A queue-time fact for a waiting caller (see :mod:`madoguchi.sim.flow_callers`)."""
        call = self._calls.get(contact_id)
        if call is None:
            return
        if what == OFFER_TAKEN:
            call.stays = True
        else:
            self._collector.count(what, call.queue, call.arrived_at)

    def _act(self, now: float, what: int, payload: Any) -> None:
        if what == _HANG_UP:
            if payload in self._calls:
                self._send(rc.EndContact(payload, _COMPLETED), now)
        elif what == _PATIENCE:
            call = self._calls.get(payload)
            if call is not None and call.waiting and not call.stays:
                self._send(rc.AbandonContact(payload), now)
        elif what == _ANSWER:
            contact_id, agent_id = payload
            call = self._calls.get(contact_id)
            if call is not None and call.waiting and call.offered_to == agent_id:
                self._send(rc.AcceptOffer(contact_id, agent_id), now)
        elif what == _WRAP_UP:
            agent_id, contact_id = payload
            if self._wrap_ups.get(agent_id) == contact_id:  # not ended by the queue's timer
                self._send(rc.CompleteWrapUp(agent_id, contact_id), now)
        elif what == _FLOW:
            if self._flows is not None:
                self._flows.act(payload, now)
        elif what == _ARRIVE:
            kind, attempt = payload
            caller = self._callers[kind]
            self.redials += 1
            self._arrive(now, kind, caller.handle_time(), caller.patience(), attempt)
        else:
            self._roster_change(now, payload)

    def _roster_change(self, now: float, change: Any) -> None:
        agent_id: str = change.agent_id
        action: RosterAction = change.action
        if action is RosterAction.LOGIN:
            self._logout_pending.discard(agent_id)
            if agent_id not in self._logged_in:
                self._logged_in.add(agent_id)
                self._send(rc.AgentLogin(agent_id, available=True), now)
        elif agent_id not in self._logged_in:
            return
        elif action is RosterAction.LOGOUT:
            self._logout_pending.add(agent_id)
            self._try_logout(agent_id, now)
        elif action is RosterAction.NOT_READY:
            self._away[agent_id] = change.reason
            if self._busy(agent_id):
                return  # asked again when the agent's state changes (see _on_agent_state)
            if self._send(rc.SetAgentState(agent_id, AgentState.NOT_READY, change.reason), now):
                self._away_asked.add(agent_id)
        else:
            self._away.pop(agent_id, None)
            self._away_asked.discard(agent_id)
            if self.engine_agent_state(agent_id) is AgentState.NOT_READY:
                self._send(rc.SetAgentState(agent_id, AgentState.AVAILABLE), now)
            # otherwise busy: the deferred not-ready is undone when it takes effect

    def _busy(self, agent_id: str) -> bool:
        """Ringing, or wrapping up a contact the simulated agent will finish themself."""
        state = self.engine_agent_state(agent_id)
        return state is AgentState.RESERVED or (
            state is AgentState.AFTER_CONTACT_WORK and agent_id in self._wrap_ups
        )

    def _try_logout(self, agent_id: str, now: float) -> None:
        if self._busy(agent_id) or self.engine_agent_state(agent_id) is AgentState.ON_CONTACT:
            return  # leaves when the current contact is done (see _on_agent_state)
        if self._send(rc.AgentLogout(agent_id), now):
            self._logged_in.discard(agent_id)
            self._logout_pending.discard(agent_id)

    def engine_agent_state(self, agent_id: str) -> AgentState:
        """The agent's state as the driver last saw it in the engine's events."""
        return self._agent_states.get(agent_id, AgentState.LOGGED_OUT)

    # -- reactions to the engine's events -------------------------------------------------

    def _on_queued(self, event: re.ContactQueued) -> None:
        call = self._calls.get(event.contact_id)
        if event.via is _NEW:
            arrived = call.arrived_at if call is not None else event.created_at
            self._collector.offered(event.queue_id, arrived)
        if call is not None:
            call.queue = event.queue_id

    def _on_offered(self, event: re.ContactOffered) -> None:
        call = self._calls.get(event.contact_id)
        if call is None:
            return
        call.offered_to = event.agent_id
        agent_id = event.agent_id
        if agent_id in self._answers_at_once:
            self._answer_now.append((event.contact_id, agent_id))
            return
        delay = self._agent_behaviour[agent_id].ring_delay()
        if delay > 0:
            self._push(event.at + delay, _ANSWER, (event.contact_id, event.agent_id))
        else:
            self._answer_now.append((event.contact_id, event.agent_id))

    def _on_offer_lost(self, event: re.ContactOfferTimedOut | re.ContactOfferRejected) -> None:
        call = self._calls.get(event.contact_id)
        if call is not None and call.offered_to == event.agent_id:
            call.offered_to = None

    def _on_connected(self, event: re.ContactConnected) -> None:
        call = self._calls.get(event.contact_id)
        if call is None:
            return
        call.waiting = False
        self._collector.answered(
            event.queue_id,
            call.arrived_at,
            event.wait_s,
            call.handle_s,
            self._targets.get(event.queue_id, 20.0),
            event.agent_id,
        )
        if call.callback:
            self._collector.count(rs.CALLBACK_COMPLETED, event.queue_id, call.arrived_at)
        if self._flows is not None:
            self._flows.connected(event.contact_id, event.agent_id, event.at)
        self._push(event.at + call.handle_s, _HANG_UP, event.contact_id)

    def _on_abandoned(self, event: re.ContactAbandoned) -> None:
        call = self._calls.get(event.contact_id)
        if call is None:
            return
        call.waiting = False
        self._collector.abandoned(event.queue_id, call.arrived_at)
        delay = self._callers[call.kind].redial_after(call.attempt)
        if delay is not None:
            self._push(event.at + delay, _ARRIVE, (call.kind, call.attempt + 1))

    def _on_callback(self, event: re.CallbackRequested) -> None:
        call = self._calls.get(event.contact_id)
        if call is not None:
            call.attempt = 10**6  # the caller hung up for a callback: no patience, no redial
            call.callback = call.stays = True
            if not event.by_overflow:
                self._collector.count(rs.CALLBACK_ACCEPTED, event.queue_id, call.arrived_at)

    def _on_ended(self, event: re.ContactEnded) -> None:
        if self._flows is not None:
            self._flows.left(event.contact_id, event.at)
        call = self._calls.pop(event.contact_id, None)
        if call is None:
            return
        if call.waiting and event.reason is not _ABANDONED:
            self._collector.ended_without_agent(event.queue_id or call.queue, call.arrived_at)
        if event.agent_id is not None and self._own_acw[call.kind]:
            acw = self._callers[call.kind].after_contact_work()
            if acw is not None:
                self._wrap_ups[event.agent_id] = event.contact_id
                self._push(event.at + acw, _WRAP_UP, (event.agent_id, event.contact_id))

    def _on_wrapped_up(self, event: re.ContactWrappedUp) -> None:
        if self._wrap_ups.get(event.agent_id) == event.contact_id:
            del self._wrap_ups[event.agent_id]

    def _on_agent_state(self, event: re.AgentStateChanged) -> None:
        agent_id = event.agent_id
        state = event.state
        states = self._agent_states
        previous = states.get(agent_id)
        states[agent_id] = state
        if not (
            (state is _ON_CONTACT or state is _ACW or state is _RESERVED)
            and (previous is _ON_CONTACT or previous is _ACW or previous is _RESERVED)
        ):  # ringing, talking, wrapping up: one busy stretch, nothing to book in between
            self._collector.agent_state(agent_id, state, event.at)
        away = self._away
        if state is not _NOT_READY and not away and not self._logout_pending:
            return  # the usual case: nobody on a break or leaving
        if (
            state is _NOT_READY
            and agent_id not in away
            and agent_id in self._logged_in
            and agent_id not in self._logout_pending
        ):
            # a break that ended while the agent was busy, a missed offer: back to work
            self._push(event.at, _ROSTER, RosterChange(0.0, agent_id, RosterAction.READY))
        elif away and agent_id in away and agent_id not in self._away_asked:
            reason = away[agent_id]
            change = RosterChange(0.0, agent_id, RosterAction.NOT_READY, reason)
            self._push(event.at, _ROSTER, change)
        if (
            self._logout_pending
            and agent_id in self._logout_pending
            and state is not _ON_CONTACT
            and state is not _RESERVED
            and state is not _LOGGED_OUT
        ):
            self._push(event.at, _ROSTER, RosterChange(0.0, agent_id, RosterAction.LOGOUT))


def _caller_number(serial: int) -> str:
    """A valid Japanese mobile number (090-1xxx-xxxx) per caller: a flow's callback node reads it
    out and offers to call it back."""
    return f"+8190{10_000_000 + serial % 90_000_000:08d}"


def run_scenario(
    scenario: Scenario,
    center: CenterConfig,
    *,
    staffing_plan: tuple[int, ...] | list[int] | None = None,
    plan_interval_min: int | None = None,
    keep_log: bool = False,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Simulate ``scenario`` in ``center`` and return the day.

    ``staffing_plan`` (agents signed in per interval from opening, intervals of
    ``plan_interval_min`` minutes, default the scenario's report interval) replaces the pools'
    shifts: the WFM planner checks a schedule by simulation this way. The agents take their
    skills from the scenario's pools, in turn. ``keep_log`` keeps every event in
    ``SimResult.log``; ``progress`` is called with the simulated fraction of the day.
    """
    if staffing_plan is not None:
        scenario = replace(
            scenario,
            staffing_plan=tuple(staffing_plan),
            staffing_interval_min=plan_interval_min or scenario.staffing_interval_min,
        )
    return Simulation(scenario, center, keep_log=keep_log).run(progress)
