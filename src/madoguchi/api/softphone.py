"""Signalling for the browser softphone (WebRTC): the page's offer in, the server's answer out.

The media side (aiortc peer connection bridged to SIP/RTP) belongs to the telephony wiring. It
plugs in as ``create_app(..., extras={"softphone": gateway})`` where ``gateway`` implements
:class:`SoftphoneGateway`. Without it these routes answer 409 ``softphone-unavailable`` and the
page says so (an agent can still use a registered SIP phone).
"""

from __future__ import annotations

from typing import Literal, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from madoguchi.api.agents import own_agent
from madoguchi.api.auth import Caller
from madoguchi.api.context import Ctx
from madoguchi.api.errors import COMMON_RESPONSES, ApiError, InvalidField

router = APIRouter(prefix="/api/v1/softphone", tags=["softphone"], responses=COMMON_RESPONSES)


class SoftphoneGateway(Protocol):
    """What the telephony side provides for browser agents."""

    async def answer(self, agent_id: str, offer_sdp: str) -> str:
        """Accept the page's SDP offer for ``agent_id``'s audio session; return the answer SDP.

        The gateway keeps the session for the agent's shift: contacts offered to the agent are
        bridged into it; keypad messages arrive on the data channel ``keypad`` as
        ``{"digit": "5"}``. Raises ``ValueError`` (or a subclass) when the offer cannot be
        answered (no audio, malformed SDP): the API answers 422 naming ``body.sdp``.
        """
        ...

    async def close(self, agent_id: str) -> None:
        """End ``agent_id``'s audio session (no error when there is none)."""
        ...


class SessionDescription(BaseModel):
    """An SDP offer or answer, as ``RTCSessionDescription`` serializes it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["offer", "answer"]
    sdp: str = Field(min_length=1, max_length=20_000)


class Unavailable(ApiError):
    """No softphone gateway is wired into this server (a state of this server, not an outage:
    4xx, so that clients fall back to a SIP phone instead of retrying)."""

    status = 409
    error_id = "softphone-unavailable"


def _gateway(ctx: Ctx) -> SoftphoneGateway:
    gateway = ctx.extras.get("softphone")
    if gateway is None:
        raise Unavailable("this server has no WebRTC softphone gateway; use a SIP phone")
    found: SoftphoneGateway = gateway
    return found


@router.post("/session", response_model=SessionDescription, summary="Start the audio session")
async def start_session(body: SessionDescription, caller: Caller, ctx: Ctx) -> SessionDescription:
    """The page's offer (ICE candidates gathered) in, the server's answer out."""
    agent_id = own_agent(caller)
    if body.type != "offer":
        raise InvalidField("body.type", "send an offer")
    try:
        answer = await _gateway(ctx).answer(agent_id, body.sdp)
    except ValueError as err:
        raise InvalidField("body.sdp", str(err) or "the offer cannot be answered") from err
    return SessionDescription(type="answer", sdp=answer)


@router.delete("/session", status_code=204, summary="End the audio session")
async def end_session(caller: Caller, ctx: Ctx) -> None:
    """Close the agent's softphone session."""
    await _gateway(ctx).close(own_agent(caller))
