"""Calls out over a tenant's SIP trunk: where the INVITE goes, placing it, waiting for the answer.

Shared by the campaign dialer (:mod:`madoguchi.runtime.outbound`) and the callback dialer
(:mod:`madoguchi.runtime.voice_callback`)::

    trunk = Trunk.from_config(tenant)
    call, leg = await place_call(endpoint, trunk, media_host, "+81312345678")
    outcome = await await_answer(call, leg, ring_timeout_s=30) if call else DialOutcome.FAILED
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from madoguchi.core.config import TenantConfig
from madoguchi.core.dialer import DialOutcome
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import build_sdp

log = logging.getLogger("madoguchi.trunk")


def classify(status: int | None, end_reason: str | None) -> DialOutcome:
    """A dial's outcome from the final SIP status of an unanswered INVITE."""
    if status in (486, 600):
        return DialOutcome.BUSY
    if status in (404, 484, 410, 604):
        return DialOutcome.INVALID_NUMBER
    if status in (603, 403):
        return DialOutcome.REJECTED
    if status in (408, 480, 487) or end_reason in ("timeout", "cancelled"):
        return DialOutcome.NO_ANSWER
    return DialOutcome.FAILED


@dataclass
class Trunk:
    """Where outbound calls go: a SIP URI template and optional digest credentials."""

    uri_template: str
    """``sip:{number}@host:port``; ``{number}`` is the E.164 number without ``+``."""
    credentials: tuple[str, str] | None = None
    caller_id: str = "madoguchi"

    def uri(self, number: str) -> str:
        """The Request-URI for ``number`` (E.164)."""
        return self.uri_template.replace("{number}", number.lstrip("+"))

    @classmethod
    def from_config(cls, tenant: TenantConfig) -> Trunk:
        """The tenant's trunk from the center file; the password from ``password_env`` is read
        from the environment here (KeyError names a variable that is not set)."""
        config = tenant.trunk
        if config is None:
            raise ValueError(f"tenant {tenant.id!r} has no trunk")
        password = config.password
        if config.password_env is not None:
            password = os.environ[config.password_env]
        credentials = (
            (config.username, password)
            if config.username is not None and password is not None
            else None
        )
        caller_id = config.caller_id or (tenant.numbers[0] if tenant.numbers else "madoguchi")
        return cls(config.uri, credentials, caller_id.replace("-", "").replace(" ", ""))


async def place_call(
    endpoint: SipEndpoint,
    trunk: Trunk,
    media_host: str,
    number: str,
    *,
    on_packet: Callable[[RtpEndpoint], None] | None = None,
) -> tuple[Call | None, RtpEndpoint]:
    """Send the INVITE for ``number`` over ``trunk`` with a fresh RTP leg offering μ-law and
    A-law. ``on_packet`` is called once if media arrives before the answer (early media).
    Returns (None, closed leg) when the INVITE could not be sent."""
    leg = RtpEndpoint(host=media_host, payload_type=0)
    await leg.start()
    offer = build_sdp(media_host, leg.port, [0, 8])
    if on_packet is not None:

        def early(_packet: object) -> None:
            leg.on_packet = None  # noted once
            on_packet(leg)

        leg.on_packet = early
    try:
        call = await endpoint.invite(
            trunk.uri(number), offer, from_user=trunk.caller_id, credentials=trunk.credentials
        )
    except Exception:
        log.exception("call to %s could not be placed", number)
        leg.close()
        return None, leg
    return call, leg


async def await_answer(call: Call, leg: RtpEndpoint, ring_timeout_s: float) -> DialOutcome:
    """Wait for the answer (cancelling the call after ``ring_timeout_s``); the outcome. The leg
    is closed unless answered; when answered it is pointed at the callee's media, in the
    codec the callee chose."""
    try:
        await asyncio.wait_for(asyncio.shield(call.answered), ring_timeout_s)
    except TimeoutError:
        if call.state is not CallState.ENDED:
            call.cancel()
        leg.close()
        return DialOutcome.NO_ANSWER
    except Exception:
        leg.close()
        return classify(call.final_status, call.end_reason)
    leg.on_packet = None
    remote = call.remote_sdp
    if remote is not None:
        leg.payload_type = remote.codec
        if remote.telephone_event_pt is not None:  # keypad digits as the callee sends them
            leg.telephone_event_pt = remote.telephone_event_pt
        leg.set_remote((remote.address, remote.port))
    return DialOutcome.ANSWERED
