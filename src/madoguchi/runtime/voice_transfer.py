"""What an agent does from the desk phone during a call: hold, blind and attended transfer.

The voice gateway hands each bridged agent leg to :class:`AgentCallControl`, which turns the
phone's SIP requests into routing commands and media actions:

* **Hold** — a re-INVITE with ``a=sendonly`` / ``a=inactive`` (or ``c=0.0.0.0``) from the agent's
  phone: the bridge stops relaying, the caller hears music on hold, ``HoldContact`` is
  submitted; the re-INVITE back to ``sendrecv`` resumes the bridge and submits ``ResumeContact``.
* **Blind transfer** — REFER (RFC 3515) on the agent's call. The user part of ``Refer-To`` names
  the target: a queue id (``sip:orders@center``) → ``TransferContact(to_queue=…)``; an agent's
  extension (``sip:2002@center``) → ``TransferContact(to_agent=…)``; a phone number that names
  neither (``sip:0312345678@center``) is dialled over the tenant's trunk (``voice_external``).
  The gateway answers the phone's subscription with NOTIFY 200 when routing accepts the
  transfer (404 for an unknown target, 480 when routing refuses), releases the agent's leg
  (BYE) and plays music to the caller until routing's offer is answered by the new agent (a
  desk phone or a browser softphone: the gateway connects them as it connected the first).
* **Attended transfer** — the agent first puts the caller on hold and dials a colleague's
  extension from the same phone: that INVITE (From an agent's extension, to another agent's
  extension) is a *consult call*, bridged agent ↔ agent without a contact or recording. A REFER
  on the customer's call completes the transfer. Phones send ``?Replaces=`` in the Refer-To
  naming the consult dialog (RFC 3891: Call-ID, the center's tag as ``to-tag``, the phone's as
  ``from-tag``): the endpoint matches it among live dialogs, and the transfer goes to that
  consult call's target; a Replaces that names no dialog, or a dialog that is not this agent's
  answered consult call, is refused with NOTIFY 481 and the call stays as it is. Without
  Replaces the Refer-To user names the colleague's extension. Either way
  ``TransferContact(to_agent=…)`` is submitted, and when routing offers the contact to the
  colleague, their leg of the consult call — already answered — is accepted and bridged to the
  caller instead of ringing the phone again; the referring agent's consult leg is hung up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from madoguchi.core.routing import commands as rc
from madoguchi.runtime.voice_external import possible_number, refer_to_number
from madoguchi.telephony.errors import SdpError
from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.fields import parse_name_addr, parse_uri
from madoguchi.telephony.sip.sdp import answer_offer, build_sdp

if TYPE_CHECKING:
    from madoguchi.runtime.voice import VoiceContact, VoiceGateway

log = logging.getLogger("madoguchi.voice")

CONSULT_RING_TIMEOUT_S = 30.0


@dataclass(eq=False)
class ConsultCall:
    """Agent ↔ agent call made to prepare an attended transfer."""

    from_agent: str
    to_agent: str
    caller_call: Call
    """The consulting agent's INVITE to the center."""
    caller_leg: RtpEndpoint
    target_call: Call | None = None
    target_leg: RtpEndpoint | None = None
    bridge: RtpBridge | None = None
    handed_over: bool = False
    """The target leg now carries a customer (attended transfer done)."""


def refer_user(target: str) -> str:
    """The user part of a Refer-To URI (``sip:2002@host?Replaces=…`` → ``2002``)."""
    try:
        return parse_uri(target.split("?", 1)[0]).user
    except Exception:  # an unreadable target transfers nowhere
        return ""


class AgentCallControl:
    """Hold and transfers requested from agents' phones; see the module docstring."""

    def __init__(self, gateway: VoiceGateway) -> None:
        self.gateway = gateway
        self.consults: dict[str, ConsultCall] = {}
        """target agent id → the consult call that rings or talks to that agent"""

    # ================================================================ bridged agent legs
    def watch(self, voice: VoiceContact, call: Call) -> None:
        """Follow hold and REFER on the agent's leg of a bridged call."""
        call.on_hold = lambda held: self.on_hold(voice, call, held)
        call.on_refer = lambda target: self.on_refer(voice, call, target)
        call.on_replaced = lambda new: self.gateway._spawn(
            voice, self.take_over_agent_leg(voice, call, new)
        )

    async def take_over_agent_leg(self, voice: VoiceContact, old: Call, new: Call) -> None:
        """An INVITE with Replaces naming the agent's dialog (the agent moves the call to
        another phone, or a phone picks it up): answer it with a new RTP leg that takes the
        agent's place in the bridge — the recording goes on in the same file — and the
        endpoint ends the old dialog with BYE."""
        gateway = self.gateway
        offer = new.remote_sdp
        if offer is None:
            new.reject(488)
            return
        if voice.ended or voice.agent_call is not old or old.state is not CallState.ANSWERED:
            new.reject(481)
            return
        try:
            codec = offer.codec
        except SdpError:
            new.reject(488)
            return
        leg = RtpEndpoint(host=gateway.media_host, payload_type=codec, timeout=0)
        await leg.start()
        try:
            _chosen, body = answer_offer(offer, gateway.media_host, leg.port)
        except SdpError as err:
            leg.close()
            new.reject(err.status_hint)
            return
        if new.state is not CallState.RINGING:  # the new phone gave up meanwhile
            leg.close()
            return
        if voice.ended or voice.agent_call is not old:
            leg.close()
            new.reject(481)
            return
        leg.set_remote((offer.address, offer.port))
        old.on_ended = old.on_hold = old.on_refer = old.on_replaced = None
        previous = voice.agent_leg
        voice.agent_call, voice.agent_leg = new, leg
        new.on_ended = lambda reason: gateway._on_agent_gone(voice, new, reason)
        self.watch(voice, new)
        bridge = voice.bridge
        if bridge is not None and not voice.held:  # held: resuming bridges the new leg
            bridge.detach()
            loop = asyncio.get_running_loop()
            voice.bridge = RtpBridge(voice.leg, leg, bridge.recorder, loop.time)
        if previous is not None:
            previous.close()
        new.answer(body)
        log.info("agent leg of %s moved to a new dialog (Replaces)", voice.contact.id)

    async def take_over_caller_leg(self, voice: VoiceContact, old: Call, new: Call) -> None:
        """An INVITE with Replaces naming the customer's dialog (the customer's PBX completing
        its own transfer, or the customer moving to another phone): the new call takes the
        customer's place — same contact, same flow or queue position, same agent and
        recording — and the endpoint ends the old dialog with BYE. Calls bridged to a browser
        agent are refused (481): their audio is attached to the old leg."""
        gateway = self.gateway
        offer = new.remote_sdp
        if offer is None:
            new.reject(488)
            return
        if (
            voice.ended
            or voice.call is not old
            or old.state is not CallState.ANSWERED
            or voice.detach_media is not None
        ):
            new.reject(481)
            return
        try:
            codec = offer.codec
        except SdpError:
            new.reject(488)
            return
        leg = RtpEndpoint(
            host=gateway.media_host, payload_type=codec, telephone_event_pt=offer.telephone_event_pt
        )
        await leg.start()
        try:
            _chosen, body = answer_offer(offer, gateway.media_host, leg.port)
        except SdpError as err:
            leg.close()
            new.reject(err.status_hint)
            return
        if new.state is not CallState.RINGING:
            leg.close()
            return
        if voice.ended or voice.call is not old or voice.detach_media is not None:
            leg.close()
            new.reject(481)
            return
        leg.set_remote((offer.address, offer.port))
        previous = voice.leg
        leg.on_dtmf = previous.on_dtmf
        leg.on_timeout = lambda: gateway._on_media_timeout(voice)
        new.on_dtmf = old.on_dtmf
        new.on_ended = lambda reason: gateway._on_caller_gone(voice, reason)
        new.on_replaced = lambda newer: gateway._spawn(
            voice, self.take_over_caller_leg(voice, new, newer)
        )
        old.on_ended = old.on_dtmf = old.on_replaced = None
        voice.call, voice.leg = new, leg
        bridge = voice.bridge
        if bridge is not None and voice.agent_leg is not None and not voice.held:
            bridge.detach()
            loop = asyncio.get_running_loop()
            voice.bridge = RtpBridge(leg, voice.agent_leg, bridge.recorder, loop.time)
        previous.close()
        new.answer(body)
        log.info("caller of %s moved to a new dialog (Replaces)", voice.contact.id)

    def on_hold(self, voice: VoiceContact, call: Call, held: bool) -> None:
        """The agent's phone put the caller on hold (True) or took them off it (False)."""
        gateway = self.gateway
        if voice.ended or not voice.connected or voice.agent_call is not call:
            return
        if held and not voice.held:
            voice.held = True
            if voice.bridge is not None:
                voice.bridge.detach()
            gateway._submit(rc.HoldContact(voice.contact.id))
            gateway._start_music(voice)
        elif not held and voice.held:
            voice.held = False
            gateway._stop_music(voice)
            voice.leg.stop_playback()
            bridge = voice.bridge
            if bridge is not None and voice.agent_leg is not None:
                loop = asyncio.get_running_loop()
                voice.bridge = RtpBridge(voice.leg, voice.agent_leg, bridge.recorder, loop.time)
            gateway._submit(rc.ResumeContact(voice.contact.id))

    def on_refer(self, voice: VoiceContact, call: Call, target: str) -> None:
        """The agent's phone asked to transfer the caller (REFER); see the module docstring."""
        gateway = self.gateway
        if voice.ended or not voice.connected or voice.agent_call is not call:
            call.notify_transfer(481)
            return
        user = refer_user(target)
        config = gateway.runtime.config
        agent_id = voice.agent_id
        replaced = call.refer_replaces
        consult: ConsultCall | None = None
        if replaced is not None:
            # attended transfer with Replaces: the dialog it names must be this agent's
            # answered consult call (either of its legs), whatever the Refer-To user says
            consult = self.consult_of(replaced)
            if consult is None or consult.from_agent != agent_id or consult.bridge is None:
                log.info("REFER of %s names a dialog that is no consult call", voice.contact.id)
                call.notify_transfer(481)
                return
            user = next(
                (a.extension for a in config.agents if a.id == consult.to_agent and a.extension),
                user,
            )
        to_agent = next((a.id for a in config.agents if a.extension == user), None)
        is_queue = any(q.id == user for q in config.queues)
        if to_agent is None and not is_queue:
            number = possible_number(user) if replaced is None else None
            if number is not None:  # an outside number: dialled over the trunk
                refer_to_number(gateway, voice, call, number)
                return
            log.info("transfer of %s to unknown target %r", voice.contact.id, target)
            call.notify_transfer(404)
            return
        if consult is None and to_agent is not None:
            consult = self.consults.get(to_agent)  # a phone that sends no Replaces
            if consult is not None and (consult.from_agent != agent_id or consult.bridge is None):
                consult = None
        command = (
            rc.TransferContact(voice.contact.id, to_agent=to_agent)
            if to_agent is not None
            else rc.TransferContact(voice.contact.id, to_queue=user)
        )
        if gateway._submit(command) is None:
            call.notify_transfer(480)
            return
        call.notify_transfer(200)
        voice.consult = consult
        gateway._release_agent(voice)

    def consult_of(self, call: Call) -> ConsultCall | None:
        """The consult call that ``call`` is a leg of (the consulting agent's or the target's)."""
        for consult in self.consults.values():
            if call is consult.caller_call or call is consult.target_call:
                return consult
        return None

    def take_consult(self, voice: VoiceContact, agent_id: str) -> ConsultCall | None:
        """The answered consult leg to ``agent_id`` for this transferred contact, if any."""
        consult = voice.consult
        if consult is None or consult.to_agent != agent_id:
            return None
        voice.consult = None
        target_call = consult.target_call
        if consult.target_leg is None or target_call is None:
            return None
        if target_call.state is not CallState.ANSWERED:
            return None
        consult.handed_over = True
        self.consults.pop(agent_id, None)
        if consult.bridge is not None:
            consult.bridge.detach()
            consult.bridge = None
        consult.caller_call.on_ended = None
        consult.caller_call.hangup()
        consult.caller_leg.close()
        return consult

    # ================================================================ consult calls
    def consult_target(self, call: Call) -> tuple[str, str] | None:
        """(from agent, to agent) when ``call`` is an agent dialling a colleague's extension."""
        config = self.gateway.runtime.config
        dialled = refer_user(call.invite.uri)
        try:
            caller = parse_uri(parse_name_addr(call.invite.headers.first("from")).uri).user
        except Exception:  # a From we cannot read is no agent
            return None
        by_extension = {a.extension: a.id for a in config.agents if a.extension}
        if caller in by_extension and dialled in by_extension and caller != dialled:
            return by_extension[caller], by_extension[dialled]
        return None

    async def start_consult(self, call: Call, from_agent: str, to_agent: str) -> None:
        """Answer the consulting agent, ring the colleague's phone, bridge the two."""
        gateway = self.gateway
        target = gateway._agent_contact_uri(to_agent)
        offer = call.remote_sdp
        if target is None or offer is None or to_agent in self.consults:
            call.reject(480 if target is None else 486)
            return
        try:
            codec = offer.codec
        except SdpError:
            call.reject(488)
            return
        caller_leg = RtpEndpoint(host=gateway.media_host, payload_type=codec, timeout=0)
        await caller_leg.start()
        _chosen, body = answer_offer(offer, gateway.media_host, caller_leg.port)
        caller_leg.set_remote((offer.address, offer.port))
        if call.state is not CallState.RINGING:
            caller_leg.close()
            return
        call.answer(body)
        consult = ConsultCall(from_agent, to_agent, call, caller_leg)
        self.consults[to_agent] = consult
        call.on_ended = lambda _reason: self._end_consult(consult)
        target_leg = RtpEndpoint(host=gateway.media_host, payload_type=codec, timeout=0)
        await target_leg.start()
        consult.target_leg = target_leg
        try:
            target_call = await gateway.endpoint.invite(
                target,
                build_sdp(gateway.media_host, target_leg.port, [codec]),
                from_user=from_agent,
            )
        except Exception:
            log.exception("could not ring %s for a consult call", to_agent)
            self._end_consult(consult)
            return
        consult.target_call = target_call
        target_call.on_ended = lambda _reason: self._target_gone(consult)
        try:
            await asyncio.wait_for(asyncio.shield(target_call.answered), CONSULT_RING_TIMEOUT_S)
        except (TimeoutError, Exception):
            self._end_consult(consult)
            return
        remote = target_call.remote_sdp
        if remote is not None:
            target_leg.set_remote((remote.address, remote.port))
        if consult.caller_call.state is CallState.ANSWERED and not consult.handed_over:
            consult.bridge = RtpBridge(caller_leg, target_leg)

    def _target_gone(self, consult: ConsultCall) -> None:
        if not consult.handed_over:
            self._end_consult(consult)

    def _end_consult(self, consult: ConsultCall) -> None:
        if consult.handed_over:
            return
        if self.consults.get(consult.to_agent) is consult:
            del self.consults[consult.to_agent]
        if consult.bridge is not None:
            consult.bridge.detach()
            consult.bridge = None
        for call in (consult.caller_call, consult.target_call):
            if call is not None and call.state is not CallState.ENDED:
                call.on_ended = None
                call.hangup()
        for leg in (consult.caller_leg, consult.target_leg):
            if leg is not None:
                leg.close()
