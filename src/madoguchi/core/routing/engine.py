"""The ACD: a sans-I/O routing engine driven by commands and timers, emitting events.

::

    engine = RoutingEngine(config)
    events = engine.receive(command, now)   # RoutingError → nothing changed
    due = engine.next_timer()               # earliest instant handle_timer has work, or None
    events = engine.handle_timer(now)

Every decision is emitted as an event and applied to the state at once
(:class:`~madoguchi.core.routing.state.RoutingState`), so the event log rebuilds the engine
(:meth:`RoutingEngine.rebuild`). A command is validated completely before its first event;
a refused command leaves the state as it was.

Routing keeps one invariant after every command and timer: no ready agent and waiting contact
that fit each other are left unmatched. So a contact arriving to a free agent is offered at once,
and an agent becoming free takes the best waiting contact it can serve (highest priority with
aging, then earliest arrival).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from madoguchi.core.config import CenterConfig, QueueConfig, Treatment, TreatmentKind
from madoguchi.core.events import Event
from madoguchi.core.model import (
    EXCLUSIVE_CHANNELS,
    AgentState,
    Channel,
    ContactState,
    EndReason,
    SelectionPolicy,
    SkillRequirement,
    WorkMode,
)
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev
from madoguchi.core.routing.agent_state import AgentTrigger, allows, next_state
from madoguchi.core.routing.agents import LiveAgent
from madoguchi.core.routing.errors import (
    AgentUnavailable,
    ContactNotConnected,
    DuplicateContact,
    InvalidCommand,
    InvalidTransition,
    NotOfferedToAgent,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from madoguchi.core.routing.queues import LiveContact, Requirement
from madoguchi.core.routing.selection import select_agent
from madoguchi.core.routing.state import DEFAULT_HANDLE_S, RoutingState
from madoguchi.core.routing.timers import TimerKind

T = AgentTrigger
DEFAULT_OFFER_TIMEOUT_S = 20.0
"""Offer time-out for a direct transfer of a contact that has no queue."""
_DEFAULT_TREATMENT = Treatment(TreatmentKind.MESSAGE)
_END_REASON = {
    ev.OverflowCause.CLOSED: EndReason.CLOSED,
    ev.OverflowCause.FULL: EndReason.QUEUE_FULL,
    ev.OverflowCause.MAX_WAIT: EndReason.OVERFLOW,
}


class RoutingEngine(RoutingState):
    """Skills-based routing for one center; see the module docstring and docs/dev/routing-api.md."""

    def __init__(self, config: CenterConfig) -> None:
        super().__init__(config)
        self._out: list[Event] = []
        self._now = 0.0
        self._calendar: dict[str, tuple[float, float, bool]] = {}
        self._hours_queues = tuple(q for q in config.queues if q.hours is not None)
        self._req_cache: dict[tuple[SkillRequirement, ...], tuple[Requirement, ...]] = {}
        self._commands: dict[type[Any], Callable[[Any, float], None]] = {
            rc.AgentLogin: self._login,
            rc.AgentLogout: self._logout,
            rc.SetAgentState: self._set_state,
            rc.SetWorkMode: self._set_work_mode,
            rc.EnqueueContact: self._enqueue,
            rc.ConnectContact: self._connect,
            rc.AcceptOffer: self._accept,
            rc.RejectOffer: self._reject,
            rc.AbandonContact: self._abandon,
            rc.EndContact: self._end,
            rc.CompleteWrapUp: self._complete_wrap_up,
            rc.TransferContact: self._transfer,
            rc.HoldContact: self._hold,
            rc.ResumeContact: self._resume,
            rc.RequestCallback: self._request_callback,
            rc.ReserveAgent: self._reserve,
            rc.ReleaseAgent: self._release,
        }

    # ================================================================ interface
    @classmethod
    def rebuild(cls, config: CenterConfig, events: Iterable[Event]) -> RoutingEngine:
        """An engine in the state the logged ``events`` (in order) left behind."""
        engine = cls(config)
        for item in events:
            engine.apply(item)
            engine._now = max(engine._now, item.at)
        return engine

    def receive(self, command: rc.RoutingCommand, now: float) -> list[Event]:
        """Carry out one command at ``now``; the events it caused, in order.

        Raises a :class:`~madoguchi.core.routing.errors.RoutingError` subclass (and changes
        nothing) when the command names something unknown or does not fit the current state.
        """
        handler = self._commands.get(type(command))
        if handler is None:
            raise InvalidCommand(f"not a routing command: {type(command).__name__}")
        self._out = out = list[Event]()
        self._now = now
        handler(command, now)
        return out

    def next_timer(self) -> float | None:
        """The earliest instant at which :meth:`handle_timer` has something to do, or None."""
        due = self.timers.next_due()
        for queue in self._hours_queues:
            if self.lines.live_count(queue.id) > 0:
                _start, end, is_open = self._calendar_span(queue, self._now)
                if is_open and (due is None or end < due):
                    due = end
        return due

    def handle_timer(self, now: float) -> list[Event]:
        """Fire every timer due at or before ``now``; the events that caused."""
        self._out = out = list[Event]()
        self._now = now
        while (item := self.timers.pop_due(now)) is not None:
            kind, key, _due = item
            if kind is TimerKind.OFFER:
                self._offer_timed_out(key, now)
            elif kind is TimerKind.MAX_WAIT:
                self._max_wait_reached(key, now)
            else:
                self._after_contact_work_over(key, now)
        self._close_queues(now)
        return out

    def estimated_wait(self, queue_id: str, now: float) -> float:
        """Expected wait (s) for a contact joining ``queue_id`` now (inf: nobody staffed).

        With ``k`` contacts waiting, ``n`` agents staffed for the queue and a moving average
        handle time ``h``: 0 when nobody waits and a fitting agent is ready, else ``(k+1)·h/n``
        (the wait of an M/M/n queue for the (k+1)-th in line).
        """
        queue = self._queue(queue_id)
        return self._expected_wait(queue, self.lines.sizes.get(queue_id, 0), joining=True)

    def estimated_wait_for(self, contact_id: str, now: float) -> float:
        """Expected remaining wait (s) of a waiting contact: ``position·h/n`` (0 if not waiting)."""
        contact = self._contact(contact_id)
        if contact.state is not ContactState.QUEUED:
            return 0.0
        queue = self.queues[contact.queue_id]
        return self._expected_wait(queue, self.lines.position(contact) - 1, joining=False)

    def queue_position(self, contact_id: str) -> int:
        """1-based place of a waiting contact in its queue; 0 when it is not waiting."""
        contact = self._contact(contact_id)
        if contact.state is not ContactState.QUEUED:
            return 0
        return self.lines.position(contact)

    def waiting_count(self, queue_id: str) -> int:
        """Contacts waiting in a queue, callback requests included."""
        self._queue(queue_id)
        return self.lines.sizes.get(queue_id, 0)

    def agent_state(self, agent_id: str) -> AgentState:
        """An agent's current routing state."""
        return self._agent(agent_id).state

    def contact_state(self, contact_id: str) -> ContactState:
        """A live contact's state (ENDED for one routing has finished with)."""
        if contact_id in self.ended:
            return ContactState.ENDED
        return self._contact(contact_id).state

    # ================================================================= helpers
    def _emit(self, event: Event) -> None:
        self._appliers[type(event)](event)
        self._out.append(event)

    def _agent(self, agent_id: str) -> LiveAgent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _contact(self, contact_id: str) -> LiveContact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise UnknownContact(contact_id)
        return contact

    def _queue(self, queue_id: str) -> QueueConfig:
        queue = self.queues.get(queue_id)
        if queue is None:
            raise UnknownQueue(queue_id)
        return queue

    def _change_state(
        self, agent: LiveAgent, trigger: AgentTrigger, now: float, reason: str | None = None
    ) -> None:
        new = next_state(agent.id, agent.state, trigger)
        if new is not agent.state or (new is AgentState.NOT_READY and reason != agent.reason):
            self._emit(
                ev.AgentStateChanged(
                    at=now, agent_id=agent.id, state=new, previous=agent.state, reason=reason
                )
            )

    def _requirements(self, needs: tuple[SkillRequirement, ...]) -> tuple[Requirement, ...]:
        found = self._req_cache.get(needs)
        if found is None:
            best: dict[str, int] = {}
            for need in needs:
                best[need.skill] = max(best.get(need.skill, 0), need.min_proficiency)
            found = self._req_cache[needs] = tuple(sorted(best.items()))
        return found

    def _calendar_span(self, queue: QueueConfig, now: float) -> tuple[float, float, bool]:
        span = self._calendar.get(queue.id)
        if span is None or not span[0] <= now < span[1]:
            assert queue.hours is not None
            calendar = self.config.calendar(queue.hours)
            change = calendar.next_change(now)
            span = (now, math.inf if change is None else change, calendar.is_open(now))
            self._calendar[queue.id] = span
        return span

    def _is_open(self, queue: QueueConfig, now: float) -> bool:
        return queue.hours is None or self._calendar_span(queue, now)[2]

    def _expected_wait(self, queue: QueueConfig, ahead: int, joining: bool) -> float:
        channel = Channel.VOICE if Channel.VOICE in queue.channels else min(queue.channels)
        staffed = 0
        free = False
        for agent in self.queue_agents[queue.id]:
            if agent.work_mode is WorkMode.OUTBOUND or agent.state in _OFF_DUTY:
                continue
            staffed += 1
            if agent.ready and agent.has_capacity_for(channel):
                free = True
        if joining and ahead == 0 and free:
            return 0.0
        if staffed == 0:
            return math.inf
        handle = self.handle_average.get(queue.id, DEFAULT_HANDLE_S)
        return (ahead + 1) * handle / staffed

    # ============================================================ agent commands
    def _login(self, cmd: rc.AgentLogin, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        trigger = T.LOGIN_AVAILABLE if cmd.available else T.LOGIN
        next_state(agent.id, agent.state, trigger)
        if cmd.work_mode is not None and cmd.work_mode is not agent.work_mode:
            self._emit(
                ev.AgentWorkModeChanged(
                    at=now, agent_id=agent.id, work_mode=cmd.work_mode, previous=agent.work_mode
                )
            )
        self._change_state(agent, trigger, now, None if cmd.available else "login")
        self._route_agent(agent, now)

    def _logout(self, cmd: rc.AgentLogout, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        next_state(agent.id, agent.state, T.LOGOUT)
        self._auto_wrap_up(agent, now)
        self._change_state(agent, T.LOGOUT, now)

    def _set_state(self, cmd: rc.SetAgentState, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        state = agent.state
        if cmd.state is AgentState.LOGGED_OUT:
            self._logout(rc.AgentLogout(agent.id), now)
        elif cmd.state is AgentState.AVAILABLE:
            if state is AgentState.AVAILABLE:
                return
            next_state(agent.id, state, T.MAKE_AVAILABLE)
            self._auto_wrap_up(agent, now)
            self._change_state(agent, T.MAKE_AVAILABLE, now)
            self._route_agent(agent, now)
        elif cmd.state is AgentState.NOT_READY:
            reason = cmd.reason or "not_ready"
            next_state(agent.id, state, T.MAKE_NOT_READY)
            if state is AgentState.ON_CONTACT:
                self._emit(ev.AgentNotReadyRequested(at=now, agent_id=agent.id, reason=reason))
                return
            self._auto_wrap_up(agent, now)
            self._change_state(agent, T.MAKE_NOT_READY, now, reason)
        else:
            raise InvalidTransition(agent.id, state.value, f"be set to {cmd.state.value}")

    def _set_work_mode(self, cmd: rc.SetWorkMode, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        if cmd.work_mode is agent.work_mode:
            return
        self._emit(
            ev.AgentWorkModeChanged(
                at=now, agent_id=agent.id, work_mode=cmd.work_mode, previous=agent.work_mode
            )
        )
        self._route_agent(agent, now)

    def _reserve(self, cmd: rc.ReserveAgent, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        if agent.work_mode is WorkMode.INBOUND:
            raise AgentUnavailable(f"agent {agent.id!r} works inbound only")
        if agent.active or not allows(agent.state, T.DIALER_RESERVE):
            raise AgentUnavailable(f"agent {agent.id!r} is {agent.state.value}, not idle")
        self._emit(ev.AgentReserved(at=now, agent_id=agent.id, campaign_id=cmd.campaign_id))
        self._change_state(agent, T.DIALER_RESERVE, now)

    def _release(self, cmd: rc.ReleaseAgent, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        if agent.campaign is None:
            raise InvalidCommand(f"agent {agent.id!r} is not reserved by the dialer")
        self._emit(ev.AgentReleased(at=now, agent_id=agent.id, campaign_id=agent.campaign))
        self._change_state(agent, T.DIALER_RELEASE, now)
        self._route_agent(agent, now)

    # ========================================================== contact commands
    def _enqueue(self, cmd: rc.EnqueueContact, now: float) -> None:
        queue = self._queue(cmd.queue_id)
        contact = cmd.contact
        if contact.id in self.contacts or contact.id in self.ended:
            raise DuplicateContact(contact.id)
        needs = cmd.skills if cmd.skills is not None else (contact.skills or queue.skills)
        priority = cmd.priority if cmd.priority is not None else queue.priority + contact.priority
        self._emit(
            ev.ContactQueued(
                at=now,
                contact_id=contact.id,
                queue_id=queue.id,
                tenant=contact.tenant,
                channel=contact.channel,
                direction=contact.direction,
                created_at=contact.created_at,
                priority=priority,
                skills=self._requirements(needs),
                wait_started_at=now,
                customer_id=contact.customer_id,
                from_address=contact.from_address,
                to_address=contact.to_address,
                language=contact.language,
                attributes=dict(contact.attributes),
            )
        )
        self._entered_queue(self.contacts[contact.id], now, (queue.id,))

    def _connect(self, cmd: rc.ConnectContact, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        contact = cmd.contact
        if contact.id in self.contacts or contact.id in self.ended:
            raise DuplicateContact(contact.id)
        if cmd.queue_id is not None:
            self._queue(cmd.queue_id)
        idle = agent.state is AgentState.AVAILABLE or agent.campaign is not None
        if not idle or not agent.has_capacity_for(contact.channel):
            raise AgentUnavailable(f"agent {agent.id!r} is {agent.state.value}")
        next_state(agent.id, agent.state, T.CONNECT)
        queue_id = cmd.queue_id or ""
        self._emit(
            ev.ContactQueued(
                at=now,
                contact_id=contact.id,
                queue_id=queue_id,
                tenant=contact.tenant,
                channel=contact.channel,
                direction=contact.direction,
                created_at=contact.created_at,
                priority=contact.priority,
                skills=(),
                wait_started_at=now,
                via=ev.QueueEntry.DIRECT,
                customer_id=contact.customer_id,
                from_address=contact.from_address,
                to_address=contact.to_address,
                language=contact.language,
                attributes=dict(contact.attributes),
            )
        )
        self._emit(
            ev.ContactConnected(
                at=now, contact_id=contact.id, agent_id=agent.id, queue_id=queue_id, wait_s=0.0
            )
        )
        self._change_state(agent, T.CONNECT, now)

    def _accept(self, cmd: rc.AcceptOffer, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        agent = self._agent(cmd.agent_id)
        if contact.state is not ContactState.OFFERED or contact.offered_to != agent.id:
            raise NotOfferedToAgent(f"{contact.id!r} is not ringing at {agent.id!r}")
        next_state(agent.id, agent.state, T.ACCEPT)
        self._emit(
            ev.ContactConnected(
                at=now,
                contact_id=contact.id,
                agent_id=agent.id,
                queue_id=contact.queue_id,
                wait_s=now - contact.wait_started_at,
            )
        )
        self._change_state(agent, T.ACCEPT, now)
        self._route_agent(agent, now)

    def _reject(self, cmd: rc.RejectOffer, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        agent = self._agent(cmd.agent_id)
        if contact.state is not ContactState.OFFERED or contact.offered_to != agent.id:
            raise NotOfferedToAgent(f"{contact.id!r} is not ringing at {agent.id!r}")
        self._emit(
            ev.ContactOfferRejected(
                at=now, contact_id=contact.id, agent_id=agent.id, queue_id=contact.queue_id
            )
        )
        self._agent_missed(agent, T.REJECT, "rejected", now)
        self._offer_came_back(contact, now)

    def _abandon(self, cmd: rc.AbandonContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state not in _WAITING:
            raise InvalidCommand(f"contact {contact.id!r} is {contact.state.value}, not waiting")
        self._leave_waiting(contact, EndReason.ABANDONED, now)

    def _leave_waiting(self, contact: LiveContact, reason: EndReason, now: float) -> None:
        agent = self.agents[contact.offered_to] if contact.offered_to is not None else None
        if reason is EndReason.ABANDONED:
            self._emit(
                ev.ContactAbandoned(
                    at=now,
                    contact_id=contact.id,
                    queue_id=contact.queue_id,
                    wait_s=now - contact.wait_started_at,
                    agent_id=agent.id if agent is not None else None,
                )
            )
        self._emit(
            ev.ContactEnded(at=now, contact_id=contact.id, reason=reason, queue_id=contact.queue_id)
        )
        if agent is not None:
            self._change_state(agent, T.OFFER_WITHDRAWN, now)
            self._route_agent(agent, now)

    def _end(self, cmd: rc.EndContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactState.CONNECTED:
            if contact.state not in _WAITING:
                raise ContactNotConnected(f"contact {contact.id!r} is {contact.state.value}")
            self._leave_waiting(contact, cmd.reason, now)
            return
        agent = self.agents[contact.agent_id or ""]
        talk, hold = self._talk_and_hold(contact, now)
        self._emit(
            ev.ContactEnded(
                at=now,
                contact_id=contact.id,
                reason=cmd.reason,
                queue_id=contact.queue_id,
                agent_id=agent.id,
                talk_s=talk,
                hold_s=hold,
            )
        )
        if self._agent_finished_contact(agent, now):
            self._finish_after_contact_work(agent, now)
        else:
            self._route_agent(agent, now)

    def _complete_wrap_up(self, cmd: rc.CompleteWrapUp, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        pending = agent.wrapups.get(cmd.contact_id)
        if pending is None:
            if cmd.contact_id not in self.contacts and cmd.contact_id not in self.ended:
                raise UnknownContact(cmd.contact_id)
            raise InvalidCommand(f"no wrap-up of {cmd.contact_id!r} pending for {agent.id!r}")
        codes = {d.code for d in self.config.dispositions}
        if cmd.disposition is not None and codes and cmd.disposition not in codes:
            raise InvalidCommand(f"unknown disposition code {cmd.disposition!r}")
        self._emit(
            ev.ContactWrappedUp(
                at=now,
                contact_id=cmd.contact_id,
                agent_id=agent.id,
                queue_id=pending[0],
                acw_s=now - pending[1],
                disposition=cmd.disposition,
                notes=cmd.notes,
            )
        )
        if agent.state is AgentState.AFTER_CONTACT_WORK and not agent.wrapups:
            self._finish_after_contact_work(agent, now)

    def _transfer(self, cmd: rc.TransferContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactState.CONNECTED or contact.agent_id is None:
            raise ContactNotConnected(f"contact {contact.id!r} is {contact.state.value}")
        if (cmd.to_queue is not None) + (cmd.to_agent is not None) + cmd.to_supervisor != 1:
            raise InvalidCommand("transfer needs exactly one of to_queue, to_agent, to_supervisor")
        agent = self.agents[contact.agent_id]
        queue: QueueConfig | None = None
        target: LiveAgent | None = None
        if cmd.to_queue is not None:
            queue = self._queue(cmd.to_queue)
        else:
            target = self._transfer_target(agent, cmd)
            if target is agent:
                raise InvalidCommand("cannot transfer a contact to the agent who holds it")
            if not target.ready or not target.has_capacity_for(contact.channel):
                raise AgentUnavailable(f"agent {target.id!r} cannot take a contact now")
        talk, hold = self._talk_and_hold(contact, now)
        self._emit(
            ev.ContactTransferred(
                at=now,
                contact_id=contact.id,
                from_agent=agent.id,
                from_queue=contact.queue_id,
                to_queue=queue.id if queue is not None else None,
                to_agent=target.id if target is not None else None,
                talk_s=talk,
                hold_s=hold,
            )
        )
        wrap_now = self._agent_finished_contact(agent, now)
        if queue is not None:
            self._requeue(contact, queue, ev.QueueEntry.TRANSFER, now, wait_started_at=now)
            self._entered_queue(contact, now, (queue.id,))
        elif target is not None:
            self._offer(contact, target, now, direct=True)
        if wrap_now:
            self._finish_after_contact_work(agent, now)
        elif agent.ready:
            self._route_agent(agent, now)

    def _transfer_target(self, agent: LiveAgent, cmd: rc.TransferContact) -> LiveAgent:
        if cmd.to_agent is not None:
            return self._agent(cmd.to_agent)
        team_id = agent.config.team
        supervisor = None
        if team_id is not None:
            team = next((t for t in self.config.teams if t.id == team_id), None)
            supervisor = team.supervisor if team is not None else None
        if supervisor is None or supervisor not in self.agents:
            raise AgentUnavailable(f"agent {agent.id!r} has no supervisor who takes contacts")
        return self.agents[supervisor]

    def _hold(self, cmd: rc.HoldContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactState.CONNECTED or contact.agent_id is None:
            raise ContactNotConnected(f"contact {contact.id!r} is {contact.state.value}")
        if contact.held_since is not None:
            raise InvalidCommand(f"contact {contact.id!r} is already on hold")
        self._emit(ev.ContactHeld(at=now, contact_id=contact.id, agent_id=contact.agent_id))

    def _resume(self, cmd: rc.ResumeContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactState.CONNECTED or contact.agent_id is None:
            raise ContactNotConnected(f"contact {contact.id!r} is {contact.state.value}")
        if contact.held_since is None:
            raise InvalidCommand(f"contact {contact.id!r} is not on hold")
        self._emit(
            ev.ContactResumed(
                at=now,
                contact_id=contact.id,
                agent_id=contact.agent_id,
                held_s=now - contact.held_since,
            )
        )

    def _request_callback(self, cmd: rc.RequestCallback, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactState.QUEUED:
            raise InvalidCommand(f"contact {contact.id!r} is {contact.state.value}, not queued")
        if contact.callback_number is not None:
            raise InvalidCommand(f"contact {contact.id!r} already has a callback request")
        self._emit(
            ev.CallbackRequested(
                at=now,
                contact_id=contact.id,
                queue_id=contact.queue_id,
                number=cmd.number,
                wait_s=now - contact.wait_started_at,
            )
        )

    # ================================================================== timers
    def _offer_timed_out(self, contact_id: str, now: float) -> None:
        contact = self.contacts.get(contact_id)
        if contact is None or contact.offered_to is None:
            return
        agent = self.agents[contact.offered_to]
        self._emit(
            ev.ContactOfferTimedOut(
                at=now, contact_id=contact.id, agent_id=agent.id, queue_id=contact.queue_id
            )
        )
        self._agent_missed(agent, T.OFFER_TIMEOUT, "missed", now)
        self._offer_came_back(contact, now)

    def _max_wait_reached(self, contact_id: str, now: float) -> None:
        contact = self.contacts.get(contact_id)
        if contact is None or contact.state is not ContactState.QUEUED:
            return
        if contact.overflow_due is None or contact.overflow_due > now:
            return
        self._treat(contact, ev.OverflowCause.MAX_WAIT, now, (contact.queue_id,))

    def _after_contact_work_over(self, agent_id: str, now: float) -> None:
        agent = self.agents[agent_id]
        if agent.state is AgentState.AFTER_CONTACT_WORK:
            self._finish_after_contact_work(agent, now)

    def _close_queues(self, now: float) -> None:
        for queue in self._hours_queues:
            if self.lines.live_count(queue.id) == 0 or self._is_open(queue, now):
                continue
            for contact_id in self.lines.in_order(queue.id):
                contact = self.contacts[contact_id]
                if contact.state is ContactState.QUEUED and contact.callback_number is None:
                    self._treat(contact, ev.OverflowCause.CLOSED, now, (queue.id,))

    # ========================================================= routing moves
    def _entered_queue(self, contact: LiveContact, now: float, visited: tuple[str, ...]) -> None:
        queue = self.queues[contact.queue_id]
        if queue.hours is not None and not self._is_open(queue, now):
            self._treat(contact, ev.OverflowCause.CLOSED, now, visited)
        elif queue.max_size is not None and self.lines.live_count(queue.id) > queue.max_size:
            self._treat(contact, ev.OverflowCause.FULL, now, visited)
        else:
            self._route_contact(contact, now)

    def _treat(
        self,
        contact: LiveContact,
        cause: ev.OverflowCause,
        now: float,
        visited: tuple[str, ...],
    ) -> None:
        queue = self.queues[contact.queue_id]
        if cause is ev.OverflowCause.MAX_WAIT:
            treatment = queue.overflow or _DEFAULT_TREATMENT
        elif cause is ev.OverflowCause.FULL:
            treatment = queue.when_full
        else:
            treatment = queue.when_closed
        kind = treatment.kind
        wait_s = now - contact.wait_started_at
        target = self.queues.get(treatment.target or "")
        if kind is TreatmentKind.QUEUE and (target is None or target.id in visited):
            kind = TreatmentKind.DISCONNECT
        if kind is TreatmentKind.CALLBACK and not contact.origin.from_address:
            kind = TreatmentKind.MESSAGE
        self._emit(
            ev.ContactOverflowed(
                at=now,
                contact_id=contact.id,
                from_queue=queue.id,
                cause=cause,
                treatment=kind,
                to_queue=target.id if kind is TreatmentKind.QUEUE and target else None,
                wait_s=wait_s,
            )
        )
        if kind is TreatmentKind.QUEUE and target is not None:
            self._requeue(contact, target, ev.QueueEntry.OVERFLOW, now, contact.wait_started_at)
            self._entered_queue(contact, now, (*visited, target.id))
        elif kind is TreatmentKind.CALLBACK:
            self._emit(
                ev.CallbackRequested(
                    at=now,
                    contact_id=contact.id,
                    queue_id=queue.id,
                    number=contact.origin.from_address or "",
                    wait_s=wait_s,
                    by_overflow=True,
                )
            )
            self._route_contact(contact, now)
        else:
            reason = EndReason.VOICEMAIL if kind is TreatmentKind.VOICEMAIL else _END_REASON[cause]
            self._emit(
                ev.ContactEnded(at=now, contact_id=contact.id, reason=reason, queue_id=queue.id)
            )

    def _requeue(
        self,
        contact: LiveContact,
        queue: QueueConfig,
        via: ev.QueueEntry,
        now: float,
        wait_started_at: float,
    ) -> None:
        """Emit the ContactQueued that moves ``contact`` to ``queue`` (same description)."""
        origin = contact.origin
        old = self.queues.get(contact.queue_id)
        extra_priority = origin.priority - (old.priority if old is not None else 0)
        defaults = set(self._requirements(old.skills)) if old is not None else set()
        extra_needs = tuple(
            SkillRequirement(s, m) for s, m in contact.reqs if (s, m) not in defaults
        )
        self._emit(
            ev.ContactQueued(
                at=now,
                contact_id=contact.id,
                queue_id=queue.id,
                tenant=origin.tenant,
                channel=origin.channel,
                direction=origin.direction,
                created_at=origin.created_at,
                priority=queue.priority + extra_priority,
                skills=self._requirements(queue.skills + extra_needs),
                wait_started_at=wait_started_at,
                via=via,
                customer_id=origin.customer_id,
                from_address=origin.from_address,
                to_address=origin.to_address,
                language=origin.language,
                attributes=origin.attributes,
            )
        )

    def _route_contact(self, contact: LiveContact, now: float) -> None:
        agent = self._pick_agent(contact)
        if agent is None and contact.inbound and self.dialer_reserved:
            agent = self._reclaim(contact, now)
        if agent is not None:
            self._offer(contact, agent, now, direct=False)

    def _fits(self, agent: LiveAgent, contact: LiveContact) -> bool:
        mask = contact.mask
        if agent.mask & mask != mask:
            return False
        levels = agent.levels
        for skill, level in contact.high_reqs:
            if levels[skill] < level:
                return False
        return agent.has_capacity_for(contact.channel)

    def _pick_agent(self, contact: LiveContact) -> LiveAgent | None:
        ready = self.ready
        if contact.inbound:
            by_skill, every = ready.inbound_by_skill, ready.inbound_all
        else:
            by_skill, every = ready.outbound_by_skill, ready.outbound_all
        pool = every
        if contact.reqs:
            smallest: dict[str, LiveAgent] | None = None
            for skill, _level in contact.reqs:
                holders = by_skill.get(skill)
                if not holders:
                    return None
                if smallest is None or len(holders) < len(smallest):
                    smallest = holders
            assert smallest is not None
            pool = smallest
        policy = self.queues[contact.queue_id].policy
        if policy is SelectionPolicy.LONGEST_IDLE:
            mask = contact.mask
            high = contact.high_reqs
            channel = contact.channel
            exclusive = channel in EXCLUSIVE_CHANNELS
            for agent in pool.values():
                if agent.mask & mask != mask:
                    continue
                if high and not all(agent.levels[s] >= lv for s, lv in high):
                    continue
                if exclusive:
                    if not agent.active and channel in agent.capacity:
                        return agent
                elif agent.has_capacity_for(channel):
                    return agent
            return None
        candidates = [a for a in pool.values() if self._fits(a, contact)]
        if not candidates:
            return None
        last = self.round_robin_last.get(contact.queue_id, -1)
        return select_agent(policy, candidates, contact.reqs, last)

    def _reclaim(self, contact: LiveContact, now: float) -> LiveAgent | None:
        for agent in list(self.dialer_reserved.values()):
            if agent.work_mode is not WorkMode.BLENDED or agent.active:
                continue
            mask = contact.mask
            if agent.mask & mask != mask:
                continue
            if any(agent.levels[s] < lv for s, lv in contact.high_reqs):
                continue
            if contact.channel not in agent.capacity:
                continue
            campaign = agent.campaign or ""
            self._emit(
                ev.AgentReleased(at=now, agent_id=agent.id, campaign_id=campaign, reclaimed=True)
            )
            self._change_state(agent, T.DIALER_RELEASE, now)
            return agent
        return None

    def _offer(self, contact: LiveContact, agent: LiveAgent, now: float, direct: bool) -> None:
        queue = self.queues.get(contact.queue_id)
        timeout = queue.offer_timeout_s if queue is not None else DEFAULT_OFFER_TIMEOUT_S
        self._emit(
            ev.ContactOffered(
                at=now,
                contact_id=contact.id,
                agent_id=agent.id,
                queue_id=contact.queue_id,
                timeout_at=now + timeout,
                direct=direct,
            )
        )
        if agent.state is AgentState.AVAILABLE:
            self._emit(
                ev.AgentStateChanged(
                    at=now,
                    agent_id=agent.id,
                    state=AgentState.RESERVED,
                    previous=AgentState.AVAILABLE,
                )
            )

    def _route_agent(self, agent: LiveAgent, now: float) -> None:
        if not agent.ready or not self.lines.groups:
            return
        contact = self._pick_contact(agent, now)
        if contact is not None:
            self._offer(contact, agent, now, direct=False)

    def _pick_contact(self, agent: LiveAgent, now: float) -> LiveContact | None:
        lines = self.lines
        subsets = agent.skill_subsets(lines.max_req_len)
        if len(lines.groups) <= len(subsets):
            groups: Iterable[Any] = lines.groups.values()
        else:
            found: list[Any] = []
            by_skillset = lines.by_skillset
            for subset in subsets:
                holders = by_skillset.get(subset)
                if holders:
                    found.extend(holders.values())
            groups = found
        takes_inbound = agent.work_mode is not WorkMode.OUTBOUND
        takes_outbound = agent.work_mode is not WorkMode.INBOUND
        best: tuple[float, int, str] | None = None
        best_value = 0.0
        levels = agent.levels
        for group in groups:
            if not (takes_inbound if group.inbound else takes_outbound):
                continue
            if agent.mask & group.mask != group.mask:
                continue
            if group.high_reqs and not all(levels[s] >= lv for s, lv in group.high_reqs):
                continue
            if not agent.has_capacity_for(group.channel):
                continue
            head = group.entries[0]
            value = group.aging_per_s * now - head[0]
            if best is None or value > best_value or (value == best_value and head[1] < best[1]):
                best = head
                best_value = value
        return self.contacts[best[2]] if best is not None else None

    # ======================================================= agent work steps
    def _agent_missed(
        self, agent: LiveAgent, trigger: AgentTrigger, reason: str, now: float
    ) -> None:
        if agent.state is AgentState.RESERVED:
            self._change_state(agent, trigger, now, reason)
        else:
            self._emit(ev.AgentNotReadyRequested(at=now, agent_id=agent.id, reason=reason))

    def _offer_came_back(self, contact: LiveContact, now: float) -> None:
        if contact.state is ContactState.QUEUED:
            self._route_contact(contact, now)
            return
        queue = self.queues.get(contact.queue_id)
        if queue is None:
            self._emit(
                ev.ContactEnded(at=now, contact_id=contact.id, reason=EndReason.ERROR, queue_id="")
            )
            return
        self._requeue(contact, queue, ev.QueueEntry.TRANSFER, now, contact.wait_started_at)
        self._entered_queue(contact, now, (queue.id,))

    def _talk_and_hold(self, contact: LiveContact, now: float) -> tuple[float, float]:
        hold = contact.hold_s
        if contact.held_since is not None:
            hold += now - contact.held_since
        return now - contact.connected_at - hold, hold

    def _agent_finished_contact(self, agent: LiveAgent, now: float) -> bool:
        """Move the agent on after a contact left them; True when ACW should end at once."""
        if agent.active:
            return False
        if agent.offer is not None:
            self._change_state(agent, T.END_LAST_CONTACT_RINGING, now)
            return False
        self._change_state(agent, T.END_LAST_CONTACT, now)
        return self.acw_seconds(agent.acw_queue) <= 0

    def _auto_wrap_up(self, agent: LiveAgent, now: float) -> None:
        if agent.active:
            return
        for contact_id, (queue_id, ended_at, _, _) in list(agent.wrapups.items()):
            self._emit(
                ev.ContactWrappedUp(
                    at=now,
                    contact_id=contact_id,
                    agent_id=agent.id,
                    queue_id=queue_id,
                    acw_s=now - ended_at,
                    auto=True,
                )
            )

    def _finish_after_contact_work(self, agent: LiveAgent, now: float) -> None:
        self._auto_wrap_up(agent, now)
        if agent.pending_reason is not None:
            self._change_state(agent, T.WRAP_UP_DONE_NOT_READY, now, agent.pending_reason)
        else:
            self._change_state(agent, T.WRAP_UP_DONE, now)
            self._route_agent(agent, now)


_WAITING = frozenset({ContactState.QUEUED, ContactState.OFFERED})
_OFF_DUTY = frozenset({AgentState.LOGGED_OUT, AgentState.NOT_READY})
