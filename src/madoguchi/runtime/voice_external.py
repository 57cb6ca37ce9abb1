"""Transfers to an external number: the caller is put through to a number outside the center
(a partner, an after-hours emergency line) over the tenant's SIP trunk.

A flow's ``transfer`` node with ``to: {number: …}`` hands the caller on with
``Transfer(TransferKind.NUMBER, target)``; the voice gateway gives it to
:func:`transfer_to_number`. An agent's phone that REFERs its caller to a number naming no agent
or queue goes to :func:`refer_to_number` (the contact ends in routing as
``transferred_external`` at once, the agent goes to after-contact work), then the same steps 2–4:

1. The number is validated with ``phonenumbers`` (Japan the default region) and put in E.164.
   A number that is not a possible phone number is refused — logged, never dialled.
2. It is dialled over the tenant's trunk (:mod:`madoguchi.runtime.sip_trunk`, the same module
   the callback and campaign dialers use) for at most :data:`EXTERNAL_RING_TIMEOUT_S`; the
   caller hears the music on hold meanwhile.
3. Answered: the caller's leg and the external party's leg are bridged and recorded like an
   agent's call (caller left, external party right, ``<contact>.wav``). If routing holds the
   contact it ends there with ``transferred_external`` (``EndContact``); a contact that only
   went through the flow is recorded by the flow's own ``transferred`` exit. The call stays up
   until either side hangs up; the other side then gets BYE.
4. Busy, no answer, invalid number, refused, no trunk: the caller hears a short apology
   (:data:`UNREACHABLE_MESSAGE`) and is hung up; the log says why (``transfer to … failed:
   busy``). A flow's transfer node is the flow's last step (it has no error exit), and a
   caller who went through the flow to a number was never in a queue, so there is no queue to
   return them to.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import phonenumbers

from madoguchi.core.dialer import DialOutcome
from madoguchi.core.model import EndReason
from madoguchi.core.routing import commands as rc
from madoguchi.runtime.sip_trunk import Trunk, await_answer, place_call
from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState

if TYPE_CHECKING:
    from madoguchi.runtime.voice import VoiceContact, VoiceGateway

log = logging.getLogger("madoguchi.voice.external")

DEFAULT_REGION = "JP"
"""Numbers without a country code are read as Japanese numbers (``0312345678``)."""

EXTERNAL_RING_TIMEOUT_S = 30.0
"""How long the external number rings before the transfer counts as not answered."""

UNREACHABLE_MESSAGE = {
    "ja": "申し訳ございません。ただいまおつなぎできませんでした。"
    "おそれいりますが、おかけ直しください。",
    "en": "We are sorry, we could not put your call through. Please call again later.",
}
"""What the caller hears when the external number is busy, does not answer or is invalid."""


class InvalidExternalNumber(ValueError):
    """A transfer target that is not a possible phone number."""


def possible_number(text: str) -> str | None:
    """``text`` in E.164 when it is a possible phone number, else None (a REFER's target that
    names no agent or queue)."""
    try:
        return external_number(text)
    except InvalidExternalNumber:
        return None


def external_number(text: str, region: str = DEFAULT_REGION) -> str:
    """``text`` as an E.164 number to dial; :class:`InvalidExternalNumber` says why not."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 40:
        raise InvalidExternalNumber(f"{text!r} is not a phone number")
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidExternalNumber(f"{text!r} is not a phone number: {err}") from err
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidExternalNumber(f"{text!r} is not a possible phone number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def transfer_to_number(
    gateway: VoiceGateway,
    voice: VoiceContact,
    target: str,
    *,
    ring_timeout_s: float = EXTERNAL_RING_TIMEOUT_S,
) -> None:
    """Put the caller of ``voice`` through to ``target`` (see the module docstring)."""
    contact_id = voice.contact.id
    try:
        number = external_number(target)
    except InvalidExternalNumber as err:
        log.warning("transfer of %s refused, not dialled: %s", contact_id, err)
        _unreachable(gateway, voice, target, "invalid_number")
        return
    trunk = _trunk(gateway, voice.contact.tenant)
    if trunk is None:
        _unreachable(gateway, voice, number, "no_trunk")
        return
    log.info("transfer of %s to external number %s: dialling", contact_id, number)
    gateway._start_music(voice)  # what the caller hears while the number rings
    gateway._spawn(voice, _dial(gateway, voice, trunk, number, ring_timeout_s))


def refer_to_number(gateway: VoiceGateway, voice: VoiceContact, call: Call, number: str) -> None:
    """An agent's phone REFERred its caller to ``number`` (E.164, from :func:`external_number`):
    a blind transfer out. The phone's REFER is accepted (NOTIFY 200) and its leg released; the
    contact ends in routing at once as ``transferred_external`` (the agent goes to
    after-contact work), and the caller hears music while the number is dialled as for a flow's
    transfer. Without a trunk the REFER is refused (NOTIFY 480) and the agent keeps the caller."""
    contact_id = voice.contact.id
    trunk = _trunk(gateway, voice.contact.tenant)
    if trunk is None:
        call.notify_transfer(480)
        return
    call.notify_transfer(200)
    log.info("agent %s transfers %s to external number %s", voice.agent_id, contact_id, number)
    # the gateway lets routing's ContactEnded(transferred_external) pass: the call goes on
    gateway._submit(rc.EndContact(contact_id, EndReason.TRANSFERRED_EXTERNAL))
    gateway._release_agent(voice)  # the agent's leg hung up, music for the caller
    voice.queued = False  # not waiting in routing: nothing to abandon if the caller hangs up
    gateway._spawn(voice, _dial(gateway, voice, trunk, number, EXTERNAL_RING_TIMEOUT_S))


def _trunk(gateway: VoiceGateway, tenant_id: str) -> Trunk | None:
    for tenant in gateway.runtime.config.tenants:
        if tenant.id == tenant_id:
            try:
                return Trunk.from_config(tenant)
            except (ValueError, KeyError) as err:
                log.error("tenant %s cannot transfer to external numbers: %s", tenant_id, err)
                return None
    log.error("external transfer for unknown tenant %s", tenant_id)
    return None


async def _dial(
    gateway: VoiceGateway, voice: VoiceContact, trunk: Trunk, number: str, ring_timeout_s: float
) -> None:
    call, leg = await place_call(gateway.endpoint, trunk, gateway.media_host, number)
    if call is None:
        _unreachable(gateway, voice, number, DialOutcome.FAILED.value)
        return
    if voice.ended:  # the caller hung up while the INVITE went out
        call.cancel()
        leg.close()
        return
    voice.agent_call = call  # the caller's hang-up now cancels the dial (VoiceGateway._release)
    outcome = await await_answer(call, leg, ring_timeout_s)
    if _caller_gone(voice):
        if call.state is CallState.ANSWERED:
            call.hangup()
        leg.close()
        return
    if outcome is not DialOutcome.ANSWERED:
        voice.agent_call = None
        _unreachable(gateway, voice, number, outcome.value)
        return
    _bridge(gateway, voice, call, leg, number)


def _bridge(
    gateway: VoiceGateway, voice: VoiceContact, call: Call, leg: RtpEndpoint, number: str
) -> None:
    """The external party answered: caller and external party talk, recorded; the contact
    leaves routing as ``transferred_external`` if routing holds it."""
    contact_id = voice.contact.id
    gateway._stop_music(voice)
    voice.prompts_epoch += 1  # prompts still being synthesized would play over the talk
    voice.speaking = 0
    voice.leg.stop_playback()
    voice.agent_call, voice.agent_leg = call, leg
    call.on_ended = lambda reason: _external_gone(gateway, voice, call, reason)
    loop = asyncio.get_running_loop()
    voice.bridge = RtpBridge(voice.leg, leg, gateway._recorder(voice), clock=loop.time)
    gateway.stats["bridged"] += 1
    if contact_id in gateway.runtime.engine.contacts:
        gateway._submit(rc.EndContact(contact_id, EndReason.TRANSFERRED_EXTERNAL))
    voice.queued = False  # out of routing: nothing to abandon when the caller hangs up
    log.info("transfer of %s to %s: answered, bridged", contact_id, number)


def _external_gone(gateway: VoiceGateway, voice: VoiceContact, call: Call, reason: str) -> None:
    """The external party hung up: the caller gets BYE and the call is released."""
    if voice.ended or voice.agent_call is not call:
        return
    log.info("transfer of %s: external party hung up (%s)", voice.contact.id, reason)
    voice.ended = True
    voice.call.hangup()
    gateway._release(voice)


def _unreachable(gateway: VoiceGateway, voice: VoiceContact, number: str, why: str) -> None:
    """Busy, no answer, invalid, refused, failed: a short apology, then the caller is hung up."""
    if voice.ended:
        return
    log.warning("transfer of %s to %s failed: %s", voice.contact.id, number, why)
    gateway._stop_music(voice)
    language = voice.contact.language
    text = UNREACHABLE_MESSAGE.get(language.split("-")[0], UNREACHABLE_MESSAGE["ja"])
    gateway._speak(voice, text, language, False)
    gateway._hangup_after_prompts(voice, f"transfer_external_{why}")


def _caller_gone(voice: VoiceContact) -> bool:
    """Whether the caller hung up meanwhile (read after an await)."""
    return voice.ended
