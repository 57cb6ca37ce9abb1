"""Routing moves: the decisions the engine's commands and timers share.

:class:`RoutingMoves` sits between the state (:mod:`.state`, which applies events) and the engine
(:mod:`.engine`, which takes commands): it emits events (each applied at once), picks agents for
contacts and contacts for agents, applies queue treatments, and walks agents through their work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from madoguchi.core.config import CenterConfig, QueueConfig, Treatment
from madoguchi.core.events import Event
from madoguchi.core.model import (
    EXCLUSIVE_CHANNELS,
    Channel,
    SkillRequirement,
)
from madoguchi.core.routing import events as ev
from madoguchi.core.routing._members import (
    AgentStates,
    ContactStates,
    EndReasons,
    OverflowCauses,
    QueueEntries,
    SelectionPolicies,
    TreatmentKinds,
    Triggers,
    WorkModes,
)
from madoguchi.core.routing.agent_state import TRANSITIONS as _TRANSITIONS
from madoguchi.core.routing.agent_state import AgentTrigger, next_state
from madoguchi.core.routing.agents import LiveAgent
from madoguchi.core.routing.ended import DEFAULT_ENDED_HORIZON_S, DEFAULT_ENDED_LIMIT
from madoguchi.core.routing.errors import (
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from madoguchi.core.routing.queues import LiveContact, Requirement
from madoguchi.core.routing.selection import select_agent
from madoguchi.core.routing.state import DEFAULT_HANDLE_S, RoutingState

T = AgentTrigger
DEFAULT_OFFER_TIMEOUT_S = 20.0
"""Offer time-out for a direct transfer of a contact that has no queue."""
_DEFAULT_TREATMENT = Treatment(TreatmentKinds.MESSAGE)
_END_REASON = {
    OverflowCauses.CLOSED: EndReasons.CLOSED,
    OverflowCauses.FULL: EndReasons.QUEUE_FULL,
    OverflowCauses.MAX_WAIT: EndReasons.OVERFLOW,
}


class RoutingMoves(RoutingState):
    """Emitting, picking and treating; see the module docstring."""

    def __init__(
        self,
        config: CenterConfig,
        ended_horizon_s: float = DEFAULT_ENDED_HORIZON_S,
        ended_limit: int = DEFAULT_ENDED_LIMIT,
    ) -> None:
        super().__init__(config, ended_horizon_s, ended_limit)
        self._out: list[Event] = []
        self._now = 0.0
        self._calendar: dict[str, tuple[float, float, bool]] = {}
        self._hours_queues = tuple(q for q in config.queues if q.hours is not None)

    # ================================================================= helpers
    def _emit(self, event: Event) -> None:
        if self._arrival is not None:
            self._place_arrival(event)
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
        new = _TRANSITIONS.get((agent.state, trigger))
        if new is None:
            new = next_state(agent.id, agent.state, trigger)  # raises InvalidTransition
        if new is not agent.state or (new is AgentStates.NOT_READY and reason != agent.reason):
            changed = ev.AgentStateChanged(
                at=now, agent_id=agent.id, state=new, previous=agent.state, reason=reason
            )
            if self._arrival is not None:
                self._place_arrival(changed)
            self._agent_state(changed)
            self._out.append(changed)

    def _requirements(self, needs: tuple[SkillRequirement, ...]) -> tuple[Requirement, ...]:
        if len(needs) == 1:
            need = needs[0]
            return ((need.skill, need.min_proficiency),)
        best: dict[str, int] = {}
        for need in needs:
            level = best.get(need.skill)
            if level is None or need.min_proficiency > level:
                best[need.skill] = need.min_proficiency
        return tuple(sorted(best.items()))

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
        staffed = self.staffed[queue.id]
        if staffed == 0:
            return math.inf
        if joining and ahead == 0 and self._free_agent_for(queue):
            return 0.0
        handle = self.handle_average.get(queue.id, DEFAULT_HANDLE_S)
        return (ahead + 1) * handle / staffed

    def _free_agent_for(self, queue: QueueConfig) -> bool:
        """Whether a staffed agent of the queue is ready with room for its main channel.

        Walks the ready inbound agents holding the queue's least held skill, up to the first
        that fits (every ready agent is on duty; outbound-only ones are not in these dicts).
        """
        channel = Channel.VOICE if Channel.VOICE in queue.channels else min(queue.channels)
        ready = self.ready
        pool = ready.inbound_all
        for need in queue.skills:
            holders = ready.inbound_by_skill.get(need.skill)
            if not holders:
                return False
            if len(holders) < len(pool):
                pool = holders
        queue_id = queue.id
        for agent in pool.values():
            if queue_id in agent.member_of and agent.has_capacity_for(channel):
                return True
        return False

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
        self._agent_missed(agent, Triggers.OFFER_TIMEOUT, "missed", now)
        self._offer_came_back(contact, now)

    def _max_wait_reached(self, contact_id: str, now: float) -> None:
        contact = self.contacts.get(contact_id)
        if contact is None or contact.state is not ContactStates.QUEUED:
            return
        if contact.overflow_due is None or contact.overflow_due > now:
            return
        self._treat(contact, OverflowCauses.MAX_WAIT, now, (contact.queue_id,))

    def _after_contact_work_over(self, agent_id: str, now: float) -> None:
        agent = self.agents[agent_id]
        if agent.state is AgentStates.AFTER_CONTACT_WORK:
            self._finish_after_contact_work(agent, now)

    def _close_queues(self, now: float) -> None:
        if not self.lines.groups:
            return
        for queue in self._hours_queues:
            if self.lines.live_count(queue.id) == 0 or self._is_open(queue, now):
                continue
            for contact_id in self.lines.in_order(queue.id):
                contact = self.contacts[contact_id]
                if contact.state is ContactStates.QUEUED and contact.callback_number is None:
                    self._treat(contact, OverflowCauses.CLOSED, now, (queue.id,))

    # ========================================================= routing moves
    def _entered_queue(self, contact: LiveContact, now: float, visited: tuple[str, ...]) -> None:
        queue = self.queues[contact.queue_id]
        if queue.max_size is not None:
            self._place_arrival(None)
        if queue.hours is not None and not self._is_open(queue, now):
            self._treat(contact, OverflowCauses.CLOSED, now, visited)
        elif queue.max_size is not None and self.lines.live_count(queue.id) > queue.max_size:
            self._treat(contact, OverflowCauses.FULL, now, visited)
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
        if cause is OverflowCauses.MAX_WAIT:
            treatment = queue.overflow or _DEFAULT_TREATMENT
        elif cause is OverflowCauses.FULL:
            treatment = queue.when_full
        else:
            treatment = queue.when_closed
        kind = treatment.kind
        wait_s = now - contact.wait_started_at
        target = self.queues.get(treatment.target or "")
        if kind is TreatmentKinds.QUEUE and (target is None or target.id in visited):
            kind = TreatmentKinds.DISCONNECT
        if kind is TreatmentKinds.CALLBACK and not contact.origin.from_address:
            kind = TreatmentKinds.MESSAGE
        self._emit(
            ev.ContactOverflowed(
                at=now,
                contact_id=contact.id,
                from_queue=queue.id,
                cause=cause,
                treatment=kind,
                to_queue=target.id if kind is TreatmentKinds.QUEUE and target else None,
                wait_s=wait_s,
            )
        )
        if kind is TreatmentKinds.QUEUE and target is not None:
            self._requeue(contact, target, QueueEntries.OVERFLOW, now, contact.wait_started_at)
            self._entered_queue(contact, now, (*visited, target.id))
        elif kind is TreatmentKinds.CALLBACK:
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
            reason = (
                EndReasons.VOICEMAIL if kind is TreatmentKinds.VOICEMAIL else _END_REASON[cause]
            )
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
        # Others of the contact's group (same queue, needs, channel, direction) waiting means no
        # ready agent fits it (routing leaves no fitting pair unmatched after any command), and
        # no reserved blended agent either: skip a search that could only fail.
        group = contact.group
        if group is not None:
            if len(group.entries) > 1:
                return
        elif (
            contact.queue_id,
            contact.reqs,
            contact.channel,
            contact.inbound,
        ) in self.lines.groups:
            return
        agent = self._pick_agent(contact)
        if agent is not None:
            self._offer(contact, agent, now, direct=False)
        elif contact.inbound and self.dialer_reserved:
            self._reclaim(contact, now)

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
        if policy is SelectionPolicies.LONGEST_IDLE:
            mask = contact.mask
            high = contact.high_reqs
            channel = contact.channel
            exclusive = channel in EXCLUSIVE_CHANNELS
            for agent in pool.values():
                if agent.mask & mask != mask:
                    continue
                if high:
                    levels = agent.levels
                    short = False
                    for skill, level in high:
                        if levels[skill] < level:
                            short = True
                            break
                    if short:
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

    def _reclaim(self, contact: LiveContact, now: float) -> None:
        """Take a blended agent back from the dialer for waiting inbound work.

        The agent then takes the best waiting contact it fits (not necessarily ``contact``).
        """
        for agent in list(self.dialer_reserved.values()):
            if agent.work_mode is not WorkModes.BLENDED or agent.active:
                continue
            mask = contact.mask
            if agent.mask & mask != mask:
                continue
            if any(agent.levels[s] < lv for s, lv in contact.high_reqs):
                continue
            if contact.channel not in agent.capacity:
                continue
            self._release_reclaimed(agent, now)
            return

    def _release_reclaimed(self, agent: LiveAgent, now: float) -> None:
        campaign = agent.campaign or ""
        self._emit(
            ev.AgentReleased(at=now, agent_id=agent.id, campaign_id=campaign, reclaimed=True)
        )
        self._change_state(agent, Triggers.DIALER_RELEASE, now)
        self._route_agent(agent, now)

    def _reclaim_if_needed(self, agent: LiveAgent, now: float) -> None:
        """A reserved agent just became blended: reclaim it if inbound work waits for it."""
        if agent.campaign is None or agent.work_mode is not WorkModes.BLENDED:
            return
        best = self._pick_contact(agent, now, inbound_only=True)
        if best is not None:
            self._release_reclaimed(agent, now)

    def _offer(self, contact: LiveContact, agent: LiveAgent, now: float, direct: bool) -> None:
        queue = self.queues.get(contact.queue_id)
        timeout = queue.offer_timeout_s if queue is not None else DEFAULT_OFFER_TIMEOUT_S
        # routing's hottest path: _emit inlined (the arrival being offered stays out of line)
        arrival = self._arrival
        if arrival is not None and arrival is not contact:
            self._place_arrival(None)
        offered = ev.ContactOffered(
            at=now,
            contact_id=contact.id,
            agent_id=agent.id,
            queue_id=contact.queue_id,
            timeout_at=now + timeout,
            direct=direct,
        )
        self._offered(offered)
        out = self._out
        out.append(offered)
        if agent.state is AgentStates.AVAILABLE:
            reserved = ev.AgentStateChanged(
                at=now,
                agent_id=agent.id,
                state=AgentStates.RESERVED,
                previous=AgentStates.AVAILABLE,
            )
            self._agent_state(reserved)
            out.append(reserved)

    def _route_agent(self, agent: LiveAgent, now: float) -> None:
        if not agent.ready or not self.lines.groups:
            return
        contact = self._pick_contact(agent, now)
        if contact is not None:
            self._offer(contact, agent, now, direct=False)

    def _pick_contact(
        self, agent: LiveAgent, now: float, inbound_only: bool = False
    ) -> LiveContact | None:
        lines = self.lines
        waiting = len(lines.groups)
        if waiting <= _FEW_GROUPS or waiting <= len(agent.mask_subsets(lines.max_req_len)):
            groups: Iterable[Any] = lines.groups.values()
        else:
            masks = agent.subsets
            found: list[Any] = []
            by_mask = lines.by_mask
            for mask in masks:
                holders = by_mask.get(mask)
                if holders:
                    found.extend(holders.values())
            groups = found
        takes_inbound = agent.work_mode is not WorkModes.OUTBOUND
        takes_outbound = agent.work_mode is not WorkModes.INBOUND and not inbound_only
        best: tuple[float, int, str] | None = None
        best_value = 0.0
        levels = agent.levels
        agent_mask = agent.mask
        fits_channel: dict[Channel, bool] = {}
        for group in groups:
            if not (takes_inbound if group.inbound else takes_outbound):
                continue
            if agent_mask & group.mask != group.mask:
                continue
            if group.high_reqs:
                short = False
                for skill, level in group.high_reqs:
                    if levels[skill] < level:
                        short = True
                        break
                if short:
                    continue
            channel = group.channel
            fits = fits_channel.get(channel)
            if fits is None:
                fits = fits_channel[channel] = agent.has_capacity_for(channel)
            if not fits:
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
        if agent.state is AgentStates.RESERVED:
            self._change_state(agent, trigger, now, reason)
        else:
            self._emit(ev.AgentNotReadyRequested(at=now, agent_id=agent.id, reason=reason))

    def _offer_came_back(self, contact: LiveContact, now: float) -> None:
        if contact.state is ContactStates.QUEUED:
            self._route_contact(contact, now)
            return
        queue = self.queues.get(contact.queue_id)
        if queue is None:
            self._emit(
                ev.ContactEnded(at=now, contact_id=contact.id, reason=EndReasons.ERROR, queue_id="")
            )
            return
        self._requeue(contact, queue, QueueEntries.TRANSFER, now, contact.wait_started_at)
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
            self._change_state(agent, Triggers.END_LAST_CONTACT_RINGING, now)
            return False
        self._change_state(agent, Triggers.END_LAST_CONTACT, now)
        queue = self.queues.get(agent.acw_queue)
        return queue is None or queue.after_contact_work_s <= 0

    def _auto_wrap_up(self, agent: LiveAgent, now: float) -> None:
        if agent.active:
            return
        if not agent.wrapups:
            return
        for contact_id, (queue_id, ended_at, _, _) in list(agent.wrapups.items()):
            wrapped = ev.ContactWrappedUp(
                at=now,
                contact_id=contact_id,
                agent_id=agent.id,
                queue_id=queue_id,
                acw_s=now - ended_at,
                auto=True,
            )
            if self._arrival is not None:
                self._place_arrival(wrapped)
            self._wrapped_up(wrapped)
            self._out.append(wrapped)

    def _finish_after_contact_work(self, agent: LiveAgent, now: float) -> None:
        self._auto_wrap_up(agent, now)
        if agent.pending_reason is not None:
            self._change_state(agent, Triggers.WRAP_UP_DONE_NOT_READY, now, agent.pending_reason)
        else:
            self._change_state(agent, Triggers.WRAP_UP_DONE, now)
            self._route_agent(agent, now)


_FEW_GROUPS = 8
"""Up to this many groups waiting, an agent's search walks them all (no sub-mask lookups)."""
_WAITING = frozenset({ContactStates.QUEUED, ContactStates.OFFERED})
