"""Callbacks are called back: routing's offer of a callback contact rings the agent, then the
customer is dialled over the tenant's SIP trunk and bridged to the agent.

A callback contact is a voice contact routing holds with a number to call: one whose caller
asked to keep their place and hung up (``CallbackRequested``: the contact's
``callback_number``), or a callback of its own (direction ``callback``, ``ScheduleCallback`` →
``CallbackReleased``; the number is its ``from_address``). Nobody is on the line for it, so the
voice gateway has no call to follow; it hands routing's events about such contacts to
:class:`CallbackDialer`:

1. ``ContactOffered`` → the agent's registered phone is rung (from the customer's number); the
   agent's answer accepts the offer (``AcceptOffer``). An agent working in the browser softphone
   answers through the API instead, and ``ContactConnected`` starts step 2.
2. The customer's number is dialled over the tenant's trunk (:mod:`madoguchi.runtime.sip_trunk`),
   for at most :attr:`CallbackDialer.ring_timeout_s`.
3. Answered: the customer's leg becomes the contact's call in the gateway and is bridged and
   recorded like an inbound caller (``VoiceGateway._connect``): hold, transfers, hang-ups and
   after-contact work as usual. Busy, no answer, invalid number, refused, no trunk: the contact
   ends with ``customer_busy``, ``customer_no_answer`` or ``customer_unreachable``
   (``EndContact``), the agent's phone is hung up and the agent goes to after-contact work to
   note it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from madoguchi.core.dialer import DialOutcome
from madoguchi.core.events import Event
from madoguchi.core.model import Channel, Contact, Direction, EndReason, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.runtime.sip_trunk import Trunk, await_answer, place_call
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.sdp import build_sdp

if TYPE_CHECKING:
    from madoguchi.runtime.voice import VoiceGateway

log = logging.getLogger("madoguchi.voice.callback")

CUSTOMER_RING_TIMEOUT_S = 30.0
"""How long the customer's phone rings before the callback counts as not answered."""

_END_REASONS = {
    DialOutcome.BUSY: EndReason.CUSTOMER_BUSY,
    DialOutcome.NO_ANSWER: EndReason.CUSTOMER_NO_ANSWER,
}


@dataclass(eq=False)
class PendingCallback:
    """A callback contact offered to an agent, until the customer is bridged or it ends."""

    contact: Contact
    number: str
    agent_id: str
    browser: bool
    """The agent answers in the browser softphone (no phone to ring)."""
    agent_call: Call | None = None
    agent_leg: RtpEndpoint | None = None
    customer_call: Call | None = None
    accepted: bool = False
    """The offer is accepted: the customer is being dialled."""
    over: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class CallbackDialer:
    """Calls customers back for the voice gateway; see the module docstring."""

    def __init__(
        self, gateway: VoiceGateway, *, ring_timeout_s: float = CUSTOMER_RING_TIMEOUT_S
    ) -> None:
        self.gateway = gateway
        self.ring_timeout_s = ring_timeout_s
        self.pending: dict[str, PendingCallback] = {}
        """contact id → callback being called back"""
        self.stats = {"offered": 0, "dialled": 0, "answered": 0, "unreached": 0}

    # ================================================================ routing events
    def on_event(self, event: Event) -> None:
        """An event about a contact the gateway has no live call for."""
        contact_id = getattr(event, "contact_id", None)
        if contact_id is None:
            return
        pending = self.pending.get(contact_id)
        if isinstance(event, rev.ContactOffered):
            if pending is None:
                self._offered(event)
        elif pending is None:
            return
        elif isinstance(event, rev.ContactConnected):
            if pending.browser and not pending.accepted:  # the agent answered in the browser
                pending.accepted = True
                self._spawn(pending, self._call_customer(pending))
        elif isinstance(event, rev.ContactOfferTimedOut | rev.ContactOfferRejected):
            if not pending.accepted:
                self._drop(pending)
        elif isinstance(event, rev.ContactEnded):  # ended from the desktop meanwhile
            self._drop(pending)

    def _offered(self, event: rev.ContactOffered) -> None:
        found = self._callback_contact(event.contact_id)
        if found is None:
            return  # not a voice callback: some other channel's contact
        contact, number = found
        media = self.gateway.agent_media
        browser = media is not None and media.has_session(event.agent_id)
        pending = PendingCallback(contact, number, event.agent_id, browser)
        self.pending[contact.id] = pending
        self.stats["offered"] += 1
        log.info("callback %s to %s offered to %s", contact.id, number, event.agent_id)
        if not browser:  # the browser shows the offer; the agent accepts through the API
            self._spawn(pending, self._ring_agent(pending))

    def _callback_contact(self, contact_id: str) -> tuple[Contact, str] | None:
        """The contact and the number to call, for a voice contact routing holds with one."""
        live = self.gateway.runtime.engine.contacts.get(contact_id)
        if live is None or live.channel is not Channel.VOICE:
            return None
        origin = live.origin
        number = live.callback_number
        if number is None and Direction(origin.direction) is Direction.CALLBACK:
            number = origin.from_address
        if not number:
            return None
        contact = Contact(
            id=contact_id,
            channel=Channel.VOICE,
            direction=Direction(origin.direction),
            tenant=origin.tenant,
            created_at=origin.created_at,
            queue=live.queue_id,
            priority=origin.priority,
            skills=tuple(SkillRequirement(skill, level) for skill, level in origin.skills),
            attributes=dict(origin.attributes),
            customer_id=origin.customer_id,
            from_address=number,
            to_address=origin.to_address,
            language=origin.language,
        )
        return contact, number

    # ================================================================ 1. the agent
    async def _ring_agent(self, pending: PendingCallback) -> None:
        gateway = self.gateway
        contact_id, agent_id = pending.contact.id, pending.agent_id
        target = gateway._agent_contact_uri(agent_id)
        if target is None:
            log.info("callback %s: agent %s has no registered phone", contact_id, agent_id)
            self._forget(pending)
            gateway._submit(rc.RejectOffer(contact_id, agent_id))
            return
        leg = RtpEndpoint(host=gateway.media_host, payload_type=0)
        await leg.start()
        pending.agent_leg = leg
        offer = build_sdp(gateway.media_host, leg.port, [0, 8])
        try:
            call = await gateway.endpoint.invite(target, offer, from_user=pending.number)
        except Exception:
            log.exception("callback %s: could not ring agent %s", contact_id, agent_id)
            self._drop(pending)
            gateway._submit(rc.RejectOffer(contact_id, agent_id))
            return
        if pending.over:  # the offer was withdrawn while the INVITE went out
            call.cancel()
            return
        pending.agent_call = call
        call.on_ended = lambda reason: self._agent_gone(pending, call, reason)
        try:
            await asyncio.shield(call.answered)
        except Exception:  # declined, cancelled, timed out: _agent_gone and routing follow up
            return
        if _withdrawn(pending):
            call.hangup()
            return
        remote = call.remote_sdp
        if remote is not None:
            leg.payload_type = remote.codec
            leg.set_remote((remote.address, remote.port))
        if gateway._submit(rc.AcceptOffer(contact_id, agent_id)) is None:
            self._drop(pending)
            return
        pending.accepted = True
        await self._call_customer(pending)

    def _agent_gone(self, pending: PendingCallback, call: Call, reason: str) -> None:
        """The agent's phone hung up (or declined) before the customer was bridged."""
        if pending.over or pending.agent_call is not call:
            return
        if not pending.accepted:
            if reason != "cancelled":
                self._drop(pending)
                self.gateway._submit(rc.RejectOffer(pending.contact.id, pending.agent_id))
            return
        # accepted, the customer's phone rings: stop dialling (the dial ends as not answered)
        log.info(
            "callback %s: agent %s hung up while dialling", pending.contact.id, pending.agent_id
        )
        customer = pending.customer_call
        if customer is not None and customer.state is not CallState.ENDED:
            customer.cancel()

    # ================================================================ 2. the customer
    async def _call_customer(self, pending: PendingCallback) -> None:
        gateway = self.gateway
        contact = pending.contact
        trunk = self._trunk(contact.tenant)
        if trunk is None:
            self._unreached(pending, DialOutcome.FAILED)
            return
        self.stats["dialled"] += 1
        call, leg = await place_call(gateway.endpoint, trunk, gateway.media_host, pending.number)
        if call is None:
            self._unreached(pending, DialOutcome.FAILED)
            return
        pending.customer_call = call
        if pending.over or self._agent_left(pending):
            call.cancel()
        outcome = await await_answer(call, leg, self.ring_timeout_s)
        if outcome is not DialOutcome.ANSWERED:
            self._unreached(pending, outcome)
            return
        if pending.over or self._agent_left(pending):
            call.hangup()
            leg.close()
            self._forget(pending)
            if not pending.over:
                gateway._submit(rc.EndContact(contact.id, EndReason.COMPLETED))
            return
        self.stats["answered"] += 1
        self._bridge(pending, call, leg)

    def _trunk(self, tenant_id: str) -> Trunk | None:
        for tenant in self.gateway.runtime.config.tenants:
            if tenant.id == tenant_id:
                try:
                    return Trunk.from_config(tenant)
                except (ValueError, KeyError) as err:
                    log.error("tenant %s cannot call customers back: %s", tenant_id, err)
                    return None
        log.error("callback for unknown tenant %s", tenant_id)
        return None

    @staticmethod
    def _agent_left(pending: PendingCallback) -> bool:
        call = pending.agent_call
        return not pending.browser and (call is None or call.state is CallState.ENDED)

    # ================================================================ 3. the outcome
    def _bridge(self, pending: PendingCallback, call: Call, leg: RtpEndpoint) -> None:
        """The customer answered: from here on the contact is a connected call of the gateway."""
        from madoguchi.runtime.voice import VoiceContact

        gateway = self.gateway
        self._forget(pending)
        voice = VoiceContact(pending.contact, call, leg, None)
        gateway.calls[pending.contact.id] = voice
        leg.on_timeout = lambda: gateway._on_media_timeout(voice)
        call.on_ended = lambda reason: gateway._on_caller_gone(voice, reason)
        agent_call = pending.agent_call
        if agent_call is not None:
            voice.agent_call, voice.agent_leg = agent_call, pending.agent_leg
            agent_call.on_ended = lambda reason: gateway._on_agent_gone(voice, agent_call, reason)
        log.info("callback %s: %s answered, bridged to %s", voice.contact.id, pending.number,
                 pending.agent_id)  # fmt: skip
        gateway._connect(voice, pending.agent_id, None if pending.browser else pending.agent_leg)

    def _unreached(self, pending: PendingCallback, outcome: DialOutcome) -> None:
        """Busy, no answer, invalid, refused, failed: the contact ends with that reason and the
        agent goes to after-contact work to note it."""
        reason = _END_REASONS.get(outcome, EndReason.CUSTOMER_UNREACHABLE)
        self.stats["unreached"] += 1
        log.info("callback %s to %s: %s, contact ends (%s)", pending.contact.id, pending.number,
                 outcome.value, reason.value)  # fmt: skip
        over = pending.over
        self._drop(pending)
        if not over:
            self.gateway._submit(rc.EndContact(pending.contact.id, reason))

    def _forget(self, pending: PendingCallback) -> None:
        pending.over = True
        if self.pending.get(pending.contact.id) is pending:
            del self.pending[pending.contact.id]

    def _drop(self, pending: PendingCallback) -> None:
        """Hang up whatever this callback still has going."""
        self._forget(pending)
        for call in (pending.agent_call, pending.customer_call):
            if call is None or call.state is CallState.ENDED:
                continue
            if call.state is CallState.ANSWERED:
                call.hangup()
            else:
                call.cancel()
        if pending.agent_leg is not None:
            pending.agent_leg.close()

    def _spawn(self, pending: PendingCallback, coroutine: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)  # type: ignore[arg-type]
        pending.tasks.add(task)
        task.add_done_callback(pending.tasks.discard)
        task.add_done_callback(_log_failure)

    def close(self) -> None:
        """Hang up every callback in progress (shutdown)."""
        for pending in list(self.pending.values()):
            self._drop(pending)


def _withdrawn(pending: PendingCallback) -> bool:
    """Whether the callback was dropped meanwhile (read after an await)."""
    return pending.over


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("callback task failed", exc_info=task.exception())
