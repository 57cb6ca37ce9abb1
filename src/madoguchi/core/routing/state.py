"""The routing engine's live state, changed only by applying routing events.

:class:`RoutingState` holds agents, contacts, waiting lines, ready agents and timers, and
:meth:`RoutingState.apply` folds one event into them. The engine (:mod:`.engine`) decides which
events a command or a timer produces and applies each as it emits it; replaying the event log
through :meth:`apply` therefore rebuilds exactly the same state (used on restart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from madoguchi.core.config import CenterConfig, QueueConfig
from madoguchi.core.events import Event
from madoguchi.core.model import (
    EXCLUSIVE_CHANNELS,
    AgentState,
    Direction,
    SkillRequirement,
)
from madoguchi.core.routing import events as ev
from madoguchi.core.routing._members import (
    AgentStates,
    ContactStates,
    QueueEntries,
    TimerKinds,
    TreatmentKinds,
    WorkModes,
)
from madoguchi.core.routing.agents import LiveAgent, ReadyAgents
from madoguchi.core.routing.ended import (
    DEFAULT_ENDED_HORIZON_S,
    DEFAULT_ENDED_LIMIT,
    EndedContacts,
)
from madoguchi.core.routing.queues import (
    LiveContact,
    Requirement,
    WaitingLines,
    high_requirements,
)
from madoguchi.core.routing.timers import Timers

DEFAULT_HANDLE_S = 180.0
"""Handle time assumed for a queue's wait estimate before any contact was handled there."""
HANDLE_SMOOTHING = 0.1
"""Weight of the newest handle time in a queue's moving average."""


class RoutingState:
    """Agents, contacts, lines and timers; see the module docstring."""

    def __init__(
        self,
        config: CenterConfig,
        ended_horizon_s: float = DEFAULT_ENDED_HORIZON_S,
        ended_limit: int = DEFAULT_ENDED_LIMIT,
    ) -> None:
        self.config = config
        self.queues: dict[str, QueueConfig] = {q.id: q for q in config.queues}
        self.aging_per_s: dict[str, float] = {
            q.id: q.aging_per_minute / 60.0 for q in config.queues
        }
        self.skill_bits: dict[str, int] = {}
        self.known_skills: frozenset[str] = frozenset(s.id for s in config.skills)
        self._masks: dict[tuple[Requirement, ...], int] = {}
        self._req_info: dict[tuple[Requirement, ...], tuple[int, tuple[Requirement, ...]]] = {}
        """Requirements → (skill mask, requirements above proficiency 1), cached."""
        for skill in config.skills:
            self._bit(skill.id)
        self.agents: dict[str, LiveAgent] = {}
        for order, agent_config in enumerate(config.agents):
            mask = 0
            for name, _level in agent_config.skills:
                mask |= self._bit(name)
            self.agents[agent_config.id] = LiveAgent(agent_config, order, mask)
        self.queue_agents: dict[str, tuple[LiveAgent, ...]] = {
            q.id: tuple(a for a in self.agents.values() if _meets(a, q.skills))
            for q in config.queues
        }
        self.staffed: dict[str, int] = {q.id: 0 for q in config.queues}
        """Agents counted as staffed per queue (kept up to date by :meth:`_restaff`)."""
        member_of: dict[str, list[str]] = {}
        for queue_id, members in self.queue_agents.items():
            for member in members:
                member_of.setdefault(member.id, []).append(queue_id)
        for agent_id, queue_ids in member_of.items():
            self.agents[agent_id].member_of = tuple(queue_ids)
        self.contacts: dict[str, LiveContact] = {}
        self.ended = EndedContacts(ended_horizon_s, ended_limit)
        """Ids of contacts routing finished with, remembered for a bounded horizon."""
        self.scheduled: dict[str, ev.CallbackHeld] = {}
        """Dormant scheduled callbacks by contact id (not yet in :attr:`contacts`)."""
        self.lines = WaitingLines()
        self.ready = ReadyAgents()
        self.timers = Timers()
        self.round_robin_last: dict[str, int] = {}
        self.dialer_reserved: dict[str, LiveAgent] = {}
        self.handle_average: dict[str, float] = {}
        self._arrival: LiveContact | None = None
        """A contact queued by the last event and not yet put in line (see _place_arrival)."""
        self._appliers: dict[type[Event], Callable[[Any], None]] = {
            ev.ContactQueued: self._queued,
            ev.ContactOffered: self._offered,
            ev.ContactOfferTimedOut: self._offer_returned,
            ev.ContactOfferRejected: self._offer_returned,
            ev.ContactConnected: self._connected,
            ev.ContactAbandoned: self._abandoned,
            ev.ContactOverflowed: self._overflowed,
            ev.ContactTransferred: self._transferred,
            ev.ContactHeld: self._held,
            ev.ContactResumed: self._resumed,
            ev.ContactEnded: self._ended,
            ev.ContactWrappedUp: self._wrapped_up,
            ev.CallbackRequested: self._callback,
            ev.CallbackHeld: self._callback_held,
            ev.CallbackReleased: self._callback_released,
            ev.CallbackCancelled: self._callback_cancelled,
            ev.AgentStateChanged: self._agent_state,
            ev.AgentNotReadyRequested: self._not_ready_requested,
            ev.AgentWorkModeChanged: self._work_mode,
            ev.AgentSkillsChanged: self._skills_changed,
            ev.AgentReserved: self._reserved,
            ev.AgentReleased: self._released,
        }

    # ----------------------------------------------------------------- public
    def apply(self, event: Event) -> None:
        """Fold one routing event into the state (other events are ignored)."""
        applier = self._appliers.get(type(event))
        if applier is not None:
            if self._arrival is not None:
                self._place_arrival(event)
            applier(event)
            if self._arrival is not None:
                self._place_arrival(None)

    def _place_arrival(self, next_event: Event | None) -> None:
        """Put the contact that just arrived in line, unless ``next_event`` offers it.

        A new contact that finds a free agent is offered in the same command; skipping its
        insertion into (and removal from) the line saves time on routing's hottest path. Every
        other event, and the end of every command, puts it in line first.
        """
        contact = self._arrival
        if contact is None:
            return
        if isinstance(next_event, ev.ContactOffered) and next_event.contact_id == contact.id:
            return
        self._arrival = None
        if contact.state is ContactStates.QUEUED and contact.group is None and contact.entry:
            self.lines.insert(contact, contact.entry, self.aging_per_s.get(contact.queue_id, 0.0))

    def mask_of(self, reqs: tuple[Requirement, ...]) -> int:
        """The bit mask of the skill names in ``reqs``."""
        mask = self._masks.get(reqs)
        if mask is None:
            mask = 0
            for name, _level in reqs:
                mask |= self._bit(name)
            self._masks[reqs] = mask
        return mask

    def acw_seconds(self, queue_id: str) -> float:
        """After-contact work time of a queue (0 without a queue)."""
        queue = self.queues.get(queue_id)
        return queue.after_contact_work_s if queue is not None else 0.0

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain data (for comparing a rebuilt engine with the original)."""
        return {
            "agents": {
                a.id: {
                    "state": a.state.value,
                    "reason": a.reason,
                    "since": a.state_since,
                    "work_mode": a.work_mode.value,
                    "skills": sorted(a.levels.items()),
                    "offer": a.offer,
                    "active": list(a.active),
                    "wrapups": dict(a.wrapups),
                    "pending": a.pending_reason,
                    "campaign": a.campaign,
                    "ready": a.ready,
                }
                for a in self.agents.values()
            },
            "ready_order": [*self.ready.inbound_all, "|", *self.ready.outbound_all],
            "lines": {q: self.lines.in_order(q) for q in self.queues},
            "contacts": {
                c.id: {
                    "state": c.state.value,
                    "queue": c.queue_id,
                    "agent": c.agent_id,
                    "offered_to": c.offered_to,
                    "entry": c.entry,
                    "callback": c.callback_number,
                    "wait_started_at": c.wait_started_at,
                    "hold_s": c.hold_s,
                }
                for c in self.contacts.values()
            },
            "ended": sorted(self.ended),
            "scheduled": {
                c: {"queue": s.queue_id, "due_at": s.due_at, "number": s.number}
                for c, s in self.scheduled.items()
            },
            "timers": self.timers.pending(),
            "round_robin": dict(self.round_robin_last),
            "handle_average": dict(self.handle_average),
        }

    # ---------------------------------------------------------------- helpers
    def _bit(self, skill: str) -> int:
        bit = self.skill_bits.get(skill)
        if bit is None:
            bit = self.skill_bits[skill] = 1 << len(self.skill_bits)
        return bit

    def _agent_lost_contact(self, agent: LiveAgent, contact: LiveContact, at: float) -> None:
        channel = agent.active.pop(contact.id, None)
        if channel is not None:
            agent.counts[channel] -= 1
            agent.exclusive = False
        held = contact.hold_s + (at - contact.held_since if contact.held_since is not None else 0)
        agent.wrapups[contact.id] = (contact.queue_id, at, at - contact.connected_at, held)
        agent.acw_queue = contact.queue_id
        contact.agent_id = None
        contact.held_since = None
        self.ready.refresh(agent)

    # --------------------------------------------------------------- appliers
    def _queued(self, e: ev.ContactQueued) -> None:
        contact = self.contacts.get(e.contact_id)
        info = self._req_info.get(e.skills)
        if info is None:
            info = self._req_info[e.skills] = (self.mask_of(e.skills), high_requirements(e.skills))
        mask, high = info
        if contact is None:
            inbound = e.direction != _OUTBOUND
            contact = self.contacts[e.contact_id] = LiveContact(e, mask, inbound, high)
        else:
            contact.origin = e
            contact.queue_id = e.queue_id
            contact.reqs = e.skills
            contact.mask = mask
            contact.high_reqs = high
            contact.wait_started_at = e.wait_started_at
            contact.entered_queue_at = e.at
            contact.entry = None
        if e.via == QueueEntries.DIRECT:
            return
        aging = self.aging_per_s.get(e.queue_id, 0.0)
        lines = self.lines
        lines.seq = seq = lines.seq + 1  # WaitingLines.new_entry, inlined
        contact.entry = (aging * e.wait_started_at - e.priority, seq, e.contact_id)
        contact.state = ContactStates.QUEUED
        self._arrival = contact
        queue = self.queues[e.queue_id]
        if queue.max_wait_s is not None and contact.callback_number is None:
            contact.overflow_due = e.at + queue.max_wait_s
            self.timers.set(TimerKinds.MAX_WAIT, contact.id, contact.overflow_due)
        else:
            contact.overflow_due = None

    def _offered(self, e: ev.ContactOffered) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        if self._arrival is contact:
            self._arrival = None
        if contact.group is not None:
            self.lines.remove(contact)
        contact.state = ContactStates.OFFERED
        contact.offered_to = agent.id
        contact.offer_direct = e.direct
        self.timers.set(TimerKinds.OFFER, contact.id, e.timeout_at)
        agent.offer = contact.id
        if not e.direct:
            self.round_robin_last[e.queue_id] = agent.order
        if agent.state is not AgentStates.AVAILABLE:  # an AVAILABLE agent stays ready until
            self.ready.refresh(agent)  # its AgentStateChanged(reserved)

    def _offer_returned(self, e: ev.ContactOfferTimedOut | ev.ContactOfferRejected) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        self.timers.cancel(TimerKinds.OFFER, contact.id)
        agent.offer = None
        contact.offered_to = None
        if not contact.offer_direct and contact.entry is not None:
            aging = self.aging_per_s.get(contact.queue_id, 0.0)
            self.lines.insert(contact, contact.entry, aging)
            if contact.overflow_due is not None:
                self.timers.set(TimerKinds.MAX_WAIT, contact.id, contact.overflow_due)
        else:
            contact.state = ContactStates.IN_FLOW
        contact.offer_direct = False
        self.ready.refresh(agent)

    def _connected(self, e: ev.ContactConnected) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.agent_id]
        if contact.group is not None:
            self.lines.remove(contact)
        self.timers.cancel_contact(contact.id)
        contact.state = ContactStates.CONNECTED
        contact.agent_id = agent.id
        contact.connected_at = e.at
        contact.offered_to = None
        contact.offer_direct = False
        contact.callback_number = None
        contact.overflow_due = None
        contact.hold_s = 0.0
        contact.held_since = None
        if agent.offer == contact.id:
            agent.offer = None
        agent.active[contact.id] = contact.channel
        agent.counts[contact.channel] = agent.counts.get(contact.channel, 0) + 1
        if contact.channel in EXCLUSIVE_CHANNELS:
            agent.exclusive = True
        if agent.campaign is not None:
            agent.campaign = None
            self.dialer_reserved.pop(agent.id, None)
        self.ready.refresh(agent)

    def _abandoned(self, e: ev.ContactAbandoned) -> None:
        contact = self.contacts[e.contact_id]
        self._withdraw(contact)

    def _withdraw(self, contact: LiveContact) -> None:
        if contact.group is not None:
            self.lines.remove(contact)
        contact.entry = None
        self.timers.cancel_contact(contact.id)
        contact.overflow_due = None
        if contact.offered_to is not None:
            agent = self.agents[contact.offered_to]
            if agent.offer == contact.id:
                agent.offer = None
            contact.offered_to = None
            self.ready.refresh(agent)
        contact.state = ContactStates.IN_FLOW

    def _overflowed(self, e: ev.ContactOverflowed) -> None:
        contact = self.contacts[e.contact_id]
        if e.treatment == TreatmentKinds.CALLBACK:
            return
        self._withdraw(contact)

    def _transferred(self, e: ev.ContactTransferred) -> None:
        contact = self.contacts[e.contact_id]
        agent = self.agents[e.from_agent]
        self._agent_lost_contact(agent, contact, e.at)
        contact.state = ContactStates.IN_FLOW
        contact.entry = None
        contact.wait_started_at = e.at

    def _held(self, e: ev.ContactHeld) -> None:
        self.contacts[e.contact_id].held_since = e.at

    def _resumed(self, e: ev.ContactResumed) -> None:
        contact = self.contacts[e.contact_id]
        contact.hold_s += e.held_s
        contact.held_since = None

    def _ended(self, e: ev.ContactEnded) -> None:
        contact = self.contacts.pop(e.contact_id)
        self._withdraw(contact)
        if contact.agent_id is not None:
            self._agent_lost_contact(self.agents[contact.agent_id], contact, e.at)
        contact.state = ContactStates.ENDED
        self.ended.add(contact.id, e.at)

    def _wrapped_up(self, e: ev.ContactWrappedUp) -> None:
        agent = self.agents[e.agent_id]
        pending = agent.wrapups.pop(e.contact_id, None)
        if pending is not None:
            handled = pending[2] + e.acw_s
            before = self.handle_average.get(e.queue_id)
            self.handle_average[e.queue_id] = (
                handled if before is None else before + HANDLE_SMOOTHING * (handled - before)
            )

    def _callback(self, e: ev.CallbackRequested) -> None:
        contact = self.contacts[e.contact_id]
        self.lines.mark_callback(contact)
        contact.callback_number = e.number
        contact.overflow_due = None
        self.timers.cancel(TimerKinds.MAX_WAIT, contact.id)

    def _callback_held(self, e: ev.CallbackHeld) -> None:
        self.scheduled[e.contact_id] = e
        self.timers.set(TimerKinds.CALLBACK, e.contact_id, e.due_at)

    def _callback_released(self, e: ev.CallbackReleased) -> None:
        self.scheduled.pop(e.contact_id, None)
        self.timers.cancel(TimerKinds.CALLBACK, e.contact_id)

    def _callback_cancelled(self, e: ev.CallbackCancelled) -> None:
        self.scheduled.pop(e.contact_id, None)
        self.timers.cancel(TimerKinds.CALLBACK, e.contact_id)
        self.ended.add(e.contact_id, e.at)

    def _agent_state(self, e: ev.AgentStateChanged) -> None:
        agent = self.agents[e.agent_id]
        agent.state = e.state if type(e.state) is AgentState else AgentState(e.state)
        agent.reason = e.reason
        agent.state_since = e.at
        if agent.state in _SETTLED:
            agent.pending_reason = None
        if agent.state is AgentStates.AFTER_CONTACT_WORK:
            queue = self.queues.get(agent.acw_queue)
            acw_s = queue.after_contact_work_s if queue is not None else 0.0
            # with no after-contact work the same command ends it (see _agent_finished_contact):
            # no timer to set and cancel
            if acw_s > 0:
                self.timers.set(TimerKinds.AFTER_CONTACT_WORK, agent.id, e.at + acw_s)
        elif e.previous == AgentStates.AFTER_CONTACT_WORK:
            self.timers.cancel(TimerKinds.AFTER_CONTACT_WORK, agent.id)
        if (agent.state not in _OFF_DUTY) is not agent.staffed:
            self._restaff(agent)
        self.ready.refresh(agent)

    def _restaff(self, agent: LiveAgent) -> None:
        """Recount the agent in its queues' staffing after its state, mode or skills changed."""
        staffed = agent.work_mode is not WorkModes.OUTBOUND and agent.state not in _OFF_DUTY
        if staffed is agent.staffed:
            return
        agent.staffed = staffed
        delta = 1 if staffed else -1
        counts = self.staffed
        for queue_id in agent.member_of:
            counts[queue_id] += delta

    def _not_ready_requested(self, e: ev.AgentNotReadyRequested) -> None:
        agent = self.agents[e.agent_id]
        agent.pending_reason = e.reason
        self.ready.refresh(agent)

    def _work_mode(self, e: ev.AgentWorkModeChanged) -> None:
        agent = self.agents[e.agent_id]
        self.ready.drop(agent)
        agent.work_mode = e.work_mode
        self._restaff(agent)
        self.ready.refresh(agent)

    def _skills_changed(self, e: ev.AgentSkillsChanged) -> None:
        agent = self.agents[e.agent_id]
        skills = tuple((name, int(level)) for name, level in e.skills)
        mask = 0
        for name, _level in skills:
            mask |= self._bit(name)
        self.ready.drop(agent)
        agent.set_skills(skills, mask)
        self.ready.refresh(agent)
        if agent.staffed:  # leave the old queues' staffing, join the new ones' below
            agent.staffed = False
            for queue_id in agent.member_of:
                self.staffed[queue_id] -= 1
        member_of: list[str] = []
        for queue in self.config.queues:
            members = [a for a in self.queue_agents[queue.id] if a is not agent]
            if _meets(agent, queue.skills):
                members.append(agent)
                members.sort(key=_by_order)
                member_of.append(queue.id)
            self.queue_agents[queue.id] = tuple(members)
        agent.member_of = tuple(member_of)
        self._restaff(agent)

    def _reserved(self, e: ev.AgentReserved) -> None:
        agent = self.agents[e.agent_id]
        agent.campaign = e.campaign_id
        self.dialer_reserved[agent.id] = agent

    def _released(self, e: ev.AgentReleased) -> None:
        agent = self.agents[e.agent_id]
        agent.campaign = None
        self.dialer_reserved.pop(agent.id, None)


_OUTBOUND = Direction.OUTBOUND
_OFF_DUTY = frozenset({AgentStates.LOGGED_OUT, AgentStates.NOT_READY})
_SETTLED = frozenset({AgentStates.AVAILABLE, AgentStates.NOT_READY, AgentStates.LOGGED_OUT})


def _by_order(agent: LiveAgent) -> int:
    return agent.order


def _meets(agent: LiveAgent, needs: tuple[SkillRequirement, ...]) -> bool:
    return all(agent.levels.get(n.skill, 0) >= n.min_proficiency for n in needs)
