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

The module holds the interface and the command handlers; the shared decisions (picking agents
and contacts, queue treatments, agents' work steps) are in :mod:`._moves`, and the state with
its event appliers in :mod:`.state`.

Routing keeps one invariant after every command and timer: no ready agent and waiting contact
that fit each other are left unmatched. So a contact arriving to a free agent is offered at once,
and an agent becoming free takes the best waiting contact it can serve (highest priority with
aging, then earliest arrival).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from madoguchi.core.config import CenterConfig, QueueConfig
from madoguchi.core.events import Event
from madoguchi.core.model import (
    AgentState,
    ContactState,
    EndReason,
)
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev
from madoguchi.core.routing._members import (
    AgentStates,
    ContactStates,
    EndReasons,
    QueueEntries,
    TimerKinds,
    Triggers,
    WorkModes,
)
from madoguchi.core.routing._moves import _WAITING, RoutingMoves
from madoguchi.core.routing.agent_state import TRANSITIONS as _TRANSITIONS
from madoguchi.core.routing.agent_state import AgentTrigger, allows, next_state
from madoguchi.core.routing.agents import LiveAgent
from madoguchi.core.routing.ended import DEFAULT_ENDED_HORIZON_S, DEFAULT_ENDED_LIMIT
from madoguchi.core.routing.errors import (
    AgentUnavailable,
    ContactNotConnected,
    DuplicateContact,
    InvalidCommand,
    InvalidTransition,
    NotOfferedToAgent,
    UnknownContact,
    UnknownSkill,
)
from madoguchi.core.routing.queues import LiveContact

T = AgentTrigger


class RoutingEngine(RoutingMoves):
    """Skills-based routing for one center; see the module docstring and docs/dev/routing-api.md."""

    def __init__(
        self,
        config: CenterConfig,
        ended_horizon_s: float = DEFAULT_ENDED_HORIZON_S,
        ended_limit: int = DEFAULT_ENDED_LIMIT,
    ) -> None:
        """``ended_horizon_s``/``ended_limit``: how long and how many ended contacts are
        remembered (see :mod:`.ended`); a rebuild must be given the same values."""
        super().__init__(config, ended_horizon_s, ended_limit)
        self._commands: dict[type[Any], Callable[[Any, float], None]] = {
            rc.AgentLogin: self._login,
            rc.AgentLogout: self._logout,
            rc.SetAgentState: self._set_state,
            rc.SetWorkMode: self._set_work_mode,
            rc.SetAgentSkills: self._set_skills,
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
            rc.ScheduleCallback: self._schedule_callback,
            rc.CancelCallback: self._cancel_callback,
            rc.ReserveAgent: self._reserve,
            rc.ReleaseAgent: self._release,
        }

    # ================================================================ interface
    @classmethod
    def rebuild(
        cls,
        config: CenterConfig,
        events: Iterable[Event],
        ended_horizon_s: float = DEFAULT_ENDED_HORIZON_S,
        ended_limit: int = DEFAULT_ENDED_LIMIT,
    ) -> RoutingEngine:
        """An engine in the state the logged ``events`` (in order) left behind."""
        engine = cls(config, ended_horizon_s, ended_limit)
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
        out: list[Event] = []
        self._out = out
        self._now = now
        handler(command, now)
        if self._arrival is not None:
            self._place_arrival(None)
        return out

    def next_timer(self) -> float | None:
        """The earliest instant at which :meth:`handle_timer` has something to do, or None."""
        due = self.timers.next_due()
        if not self.lines.groups:  # nobody waits: no queue's closing matters
            return due
        for queue in self._hours_queues:
            if self.lines.live_count(queue.id) > 0:
                _start, end, is_open = self._calendar_span(queue, self._now)
                if is_open and (due is None or end < due):
                    due = end
        return due

    def handle_timer(self, now: float) -> list[Event]:
        """Fire every timer due at or before ``now``; the events that caused."""
        out: list[Event] = []
        self._out = out
        self._now = now
        while (item := self.timers.pop_due(now)) is not None:
            kind, key, _due = item
            if kind is TimerKinds.OFFER:
                self._offer_timed_out(key, now)
            elif kind is TimerKinds.MAX_WAIT:
                self._max_wait_reached(key, now)
            elif kind is TimerKinds.CALLBACK:
                self._release_callback(key, now)
            else:
                self._after_contact_work_over(key, now)
        self._close_queues(now)
        if self._arrival is not None:
            self._place_arrival(None)
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
        if contact.state is not ContactStates.QUEUED:
            return 0.0
        queue = self.queues[contact.queue_id]
        return self._expected_wait(queue, self.lines.position(contact) - 1, joining=False)

    def queue_position(self, contact_id: str) -> int:
        """1-based place of a waiting contact in its queue; 0 when it is not waiting."""
        contact = self._contact(contact_id)
        if contact.state is not ContactStates.QUEUED:
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
        """A live contact's state (ENDED for one routing finished with within the horizon)."""
        if contact_id in self.ended:
            return ContactStates.ENDED
        if contact_id in self.scheduled:
            return ContactStates.IN_FLOW  # a dormant scheduled callback: not in line yet
        return self._contact(contact_id).state

    # ============================================================ agent commands
    def _login(self, cmd: rc.AgentLogin, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        trigger = Triggers.LOGIN_AVAILABLE if cmd.available else Triggers.LOGIN
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
        next_state(agent.id, agent.state, Triggers.LOGOUT)
        self._auto_wrap_up(agent, now)
        self._change_state(agent, Triggers.LOGOUT, now)

    def _set_state(self, cmd: rc.SetAgentState, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        state = agent.state
        if cmd.state is AgentStates.LOGGED_OUT:
            self._logout(rc.AgentLogout(agent.id), now)
        elif cmd.state is AgentStates.AVAILABLE:
            if state is AgentStates.AVAILABLE:
                return
            next_state(agent.id, state, Triggers.MAKE_AVAILABLE)
            self._auto_wrap_up(agent, now)
            self._change_state(agent, Triggers.MAKE_AVAILABLE, now)
            self._route_agent(agent, now)
        elif cmd.state is AgentStates.NOT_READY:
            reason = cmd.reason or "not_ready"
            next_state(agent.id, state, Triggers.MAKE_NOT_READY)
            if state is AgentStates.ON_CONTACT:
                self._emit(ev.AgentNotReadyRequested(at=now, agent_id=agent.id, reason=reason))
                return
            self._auto_wrap_up(agent, now)
            self._change_state(agent, Triggers.MAKE_NOT_READY, now, reason)
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
        self._reclaim_if_needed(agent, now)

    def _set_skills(self, cmd: rc.SetAgentSkills, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        skills: list[tuple[str, int]] = []
        seen: set[str] = set()
        for index, pair in enumerate(cmd.skills):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidCommand(f"skills[{index}]: expected a (skill, proficiency) pair")
            name, level = pair
            if not isinstance(name, str) or name not in self.known_skills:
                raise UnknownSkill(str(name))
            if name in seen:
                raise InvalidCommand(f"skills[{index}]: skill {name!r} named twice")
            if type(level) is not int or not 1 <= level <= 10:
                raise InvalidCommand(
                    f"skills[{index}]: proficiency of {name!r} must be an integer 1-10, "
                    f"not {level!r}"
                )
            seen.add(name)
            skills.append((name, level))
        self._emit(ev.AgentSkillsChanged(at=now, agent_id=agent.id, skills=tuple(skills)))
        self._route_agent(agent, now)
        self._reclaim_if_needed(agent, now)

    def _reserve(self, cmd: rc.ReserveAgent, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        if agent.work_mode is WorkModes.INBOUND:
            raise AgentUnavailable(f"agent {agent.id!r} works inbound only")
        if agent.active or not allows(agent.state, Triggers.DIALER_RESERVE):
            raise AgentUnavailable(f"agent {agent.id!r} is {agent.state.value}, not idle")
        self._emit(ev.AgentReserved(at=now, agent_id=agent.id, campaign_id=cmd.campaign_id))
        self._change_state(agent, Triggers.DIALER_RESERVE, now)

    def _release(self, cmd: rc.ReleaseAgent, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        if agent.campaign is None:
            raise InvalidCommand(f"agent {agent.id!r} is not reserved by the dialer")
        self._emit(ev.AgentReleased(at=now, agent_id=agent.id, campaign_id=agent.campaign))
        self._change_state(agent, Triggers.DIALER_RELEASE, now)
        self._route_agent(agent, now)

    # ========================================================== contact commands
    def _enqueue(self, cmd: rc.EnqueueContact, now: float) -> None:
        queue = self._queue(cmd.queue_id)
        contact = cmd.contact
        if contact.id in self.contacts or contact.id in self.ended or contact.id in self.scheduled:
            raise DuplicateContact(contact.id)
        needs = cmd.skills if cmd.skills is not None else (contact.skills or queue.skills)
        priority = cmd.priority if cmd.priority is not None else queue.priority + contact.priority
        if len(needs) == 1:
            need = needs[0]
            reqs: tuple[tuple[str, int], ...] = ((need.skill, need.min_proficiency),)
        else:
            reqs = self._requirements(needs)
        queued = ev.ContactQueued(
            at=now,
            contact_id=contact.id,
            queue_id=queue.id,
            tenant=contact.tenant,
            channel=contact.channel,
            direction=contact.direction,
            created_at=contact.created_at,
            priority=priority,
            skills=reqs,
            wait_started_at=now,
            customer_id=contact.customer_id,
            from_address=contact.from_address,
            to_address=contact.to_address,
            language=contact.language,
            attributes=dict(contact.attributes),
        )
        if self._arrival is not None:
            self._place_arrival(queued)
        self._queued(queued)
        self._out.append(queued)
        if queue.hours is None and queue.max_size is None:
            self._route_contact(self.contacts[contact.id], now)
        else:
            self._entered_queue(self.contacts[contact.id], now, (queue.id,))

    def _connect(self, cmd: rc.ConnectContact, now: float) -> None:
        agent = self._agent(cmd.agent_id)
        contact = cmd.contact
        if contact.id in self.contacts or contact.id in self.ended or contact.id in self.scheduled:
            raise DuplicateContact(contact.id)
        if cmd.queue_id is not None:
            self._queue(cmd.queue_id)
        idle = agent.state is AgentStates.AVAILABLE or agent.campaign is not None
        if not idle or not agent.has_capacity_for(contact.channel):
            raise AgentUnavailable(f"agent {agent.id!r} is {agent.state.value}")
        next_state(agent.id, agent.state, Triggers.CONNECT)
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
                via=QueueEntries.DIRECT,
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
        self._change_state(agent, Triggers.CONNECT, now)

    def _accept(self, cmd: rc.AcceptOffer, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        agent = self._agent(cmd.agent_id)
        if contact.state is not ContactStates.OFFERED or contact.offered_to != agent.id:
            raise NotOfferedToAgent(f"{contact.id!r} is not ringing at {agent.id!r}")
        if (agent.state, Triggers.ACCEPT) not in _TRANSITIONS:
            next_state(agent.id, agent.state, Triggers.ACCEPT)  # raises InvalidTransition
        connected = ev.ContactConnected(
            at=now,
            contact_id=contact.id,
            agent_id=agent.id,
            queue_id=contact.queue_id,
            wait_s=now - contact.wait_started_at,
        )
        if self._arrival is not None:
            self._place_arrival(connected)
        self._connected(connected)
        self._out.append(connected)
        self._change_state(agent, Triggers.ACCEPT, now)
        if agent.ready:  # chat capacity left
            self._route_agent(agent, now)

    def _reject(self, cmd: rc.RejectOffer, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        agent = self._agent(cmd.agent_id)
        if contact.state is not ContactStates.OFFERED or contact.offered_to != agent.id:
            raise NotOfferedToAgent(f"{contact.id!r} is not ringing at {agent.id!r}")
        self._emit(
            ev.ContactOfferRejected(
                at=now, contact_id=contact.id, agent_id=agent.id, queue_id=contact.queue_id
            )
        )
        self._agent_missed(agent, Triggers.REJECT, "rejected", now)
        self._offer_came_back(contact, now)

    def _abandon(self, cmd: rc.AbandonContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state not in _WAITING:
            raise InvalidCommand(f"contact {contact.id!r} is {contact.state.value}, not waiting")
        self._leave_waiting(contact, EndReasons.ABANDONED, now)

    def _leave_waiting(self, contact: LiveContact, reason: EndReason, now: float) -> None:
        agent = self.agents[contact.offered_to] if contact.offered_to is not None else None
        if reason is EndReasons.ABANDONED:
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
            self._change_state(agent, Triggers.OFFER_WITHDRAWN, now)
            self._route_agent(agent, now)

    def _end(self, cmd: rc.EndContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactStates.CONNECTED:
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
        if agent.state is AgentStates.AFTER_CONTACT_WORK and not agent.wrapups:
            self._finish_after_contact_work(agent, now)

    def _transfer(self, cmd: rc.TransferContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactStates.CONNECTED or contact.agent_id is None:
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
        if not wrap_now:
            self._route_agent(agent, now)  # freed chat capacity goes to whoever waits longest
        if queue is not None:
            self._requeue(contact, queue, QueueEntries.TRANSFER, now, wait_started_at=now)
            self._entered_queue(contact, now, (queue.id,))
        elif target is not None:
            self._offer(contact, target, now, direct=True)
        if wrap_now:
            self._finish_after_contact_work(agent, now)

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
        if contact.state is not ContactStates.CONNECTED or contact.agent_id is None:
            raise ContactNotConnected(f"contact {contact.id!r} is {contact.state.value}")
        if contact.held_since is not None:
            raise InvalidCommand(f"contact {contact.id!r} is already on hold")
        self._emit(ev.ContactHeld(at=now, contact_id=contact.id, agent_id=contact.agent_id))

    def _resume(self, cmd: rc.ResumeContact, now: float) -> None:
        contact = self._contact(cmd.contact_id)
        if contact.state is not ContactStates.CONNECTED or contact.agent_id is None:
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
        if contact.state is not ContactStates.QUEUED:
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

    def _schedule_callback(self, cmd: rc.ScheduleCallback, now: float) -> None:
        queue = self._queue(cmd.queue_id)
        contact = cmd.contact
        if contact.id in self.contacts or contact.id in self.ended or contact.id in self.scheduled:
            raise DuplicateContact(contact.id)
        if not isinstance(cmd.number, str) or not cmd.number.strip():
            raise InvalidCommand("number: a callback needs a number to call")
        if cmd.due_at is None:
            due = self._next_opening(queue, now)
        elif isinstance(cmd.due_at, bool) or not isinstance(cmd.due_at, int | float):
            raise InvalidCommand(f"due_at: not an instant: {cmd.due_at!r}")
        elif not math.isfinite(cmd.due_at):
            raise InvalidCommand(f"due_at: not a finite instant: {cmd.due_at!r}")
        else:
            due = max(float(cmd.due_at), now)
        needs = contact.skills or queue.skills
        priority = cmd.priority if cmd.priority is not None else queue.priority + contact.priority
        self._emit(
            ev.CallbackHeld(
                at=now,
                contact_id=contact.id,
                queue_id=queue.id,
                due_at=due,
                number=cmd.number,
                tenant=contact.tenant,
                channel=contact.channel,
                direction=contact.direction,
                created_at=contact.created_at,
                priority=priority,
                skills=self._requirements(needs),
                customer_id=contact.customer_id,
                from_address=contact.from_address,
                to_address=contact.to_address,
                language=contact.language,
                attributes=dict(contact.attributes),
            )
        )
        if due <= now:
            self._release_callback(contact.id, now)

    def _next_opening(self, queue: QueueConfig, now: float) -> float:
        """When the queue's business hours next open (``now`` if open or without hours)."""
        if queue.hours is None:
            return now
        calendar = self.config.calendar(queue.hours)
        if calendar.is_open(now):
            return now
        opening = calendar.next_change(now)
        if opening is None:
            raise InvalidCommand(f"queue {queue.id!r} does not open in the next two weeks")
        return opening

    def _release_callback(self, contact_id: str, now: float) -> None:
        """A scheduled callback came due: it waits in its queue as a callback request."""
        item = self.scheduled.get(contact_id)
        if item is None:
            return
        self._emit(
            ev.CallbackReleased(
                at=now, contact_id=item.contact_id, queue_id=item.queue_id, due_at=item.due_at
            )
        )
        self._emit(
            ev.ContactQueued(
                at=now,
                contact_id=item.contact_id,
                queue_id=item.queue_id,
                tenant=item.tenant,
                channel=item.channel,
                direction=item.direction,
                created_at=item.created_at,
                priority=item.priority,
                skills=item.skills,
                wait_started_at=now,
                customer_id=item.customer_id,
                from_address=item.from_address,
                to_address=item.to_address,
                language=item.language,
                attributes=dict(item.attributes),
            )
        )
        self._emit(
            ev.CallbackRequested(
                at=now,
                contact_id=item.contact_id,
                queue_id=item.queue_id,
                number=item.number,
                wait_s=0.0,
            )
        )
        # a callback request waits whatever the hours or the queue's size (as RequestCallback)
        self._route_contact(self.contacts[item.contact_id], now)

    def _cancel_callback(self, cmd: rc.CancelCallback, now: float) -> None:
        item = self.scheduled.get(cmd.contact_id)
        if item is None:
            if cmd.contact_id in self.contacts:
                raise InvalidCommand(
                    f"callback {cmd.contact_id!r} is already in its queue: end it with EndContact"
                )
            if cmd.contact_id in self.ended:
                raise InvalidCommand(f"contact {cmd.contact_id!r} has ended")
            raise UnknownContact(cmd.contact_id)
        self._emit(ev.CallbackCancelled(at=now, contact_id=item.contact_id, queue_id=item.queue_id))
