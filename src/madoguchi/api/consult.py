"""Consulting a colleague during a call, with audio between the two browser agents.

``POST /api/v1/contacts/{id}/consult`` ``{"agent_id": "op02"}``: the agent on the contact puts
the caller on hold (routing's ``HoldContact``; the caller hears music) and their softphone is
connected to the colleague's, so the two talk. Then either *Complete transfer*
(``POST contacts/{id}/transfer`` ``{"to_agent": "op02"}``): the consult ends, routing offers
the contact to the colleague directly, and when the colleague accepts, the caller's audio is
handed over to them (the recording goes on in the same file); or *Back to caller*
(``POST contacts/{id}/resume``), which ends the consult and reconnects the caller.
``POST contacts/{id}/consult/end`` separates the agents and leaves the caller on hold.

The audio is the WebRTC softphone's (:class:`madoguchi.telephony.webrtc.WebRtcSoftphones`,
plugged in as ``extras["softphone"]``): both agents need a connected softphone and the
colleague must not be on a call (409 ``consult-no-session`` / ``consult-colleague-busy``…).
An agent on a SIP phone consults with the phone's own attended transfer (the voice gateway
bridges that consult call); a consult between a browser agent and a SIP phone is not offered.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from madoguchi.api.agents import Accepted, own_agent
from madoguchi.api.auth import Caller
from madoguchi.api.commands import submit
from madoguchi.api.context import ApiContext, Ctx
from madoguchi.api.errors import COMMON_RESPONSES, ApiError, Conflict, InvalidField
from madoguchi.core.routing import commands as rc

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=COMMON_RESPONSES)

#: ``ctx.extras`` key: contact id → the agent whose caller waits to be handed over.
HANDOVERS_KEY = "consult_handovers"


class ConsultRequest(BaseModel):
    """The colleague to talk to."""

    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=64)


class ConsultRefused(ApiError):
    """The consult cannot start now (``consult-<reason>``)."""

    status = 409
    error_id = "consult-refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, error_id=f"consult-{reason}")


def media(ctx: ApiContext) -> Any | None:
    """The softphone gateway when it supports hold and consult (None otherwise)."""
    gateway = ctx.extras.get("softphone")
    if gateway is None or not hasattr(gateway, "consult"):
        return None
    return gateway


def contact_agent(ctx: ApiContext, contact_id: str) -> str | None:
    """The agent connected to ``contact_id`` in routing, if any."""
    live = ctx.runtime.engine.contacts.get(contact_id)
    agent = getattr(live, "agent_id", None)
    return agent if isinstance(agent, str) else None


def after_hold(ctx: ApiContext, contact_id: str) -> None:
    """Routing holds the contact: the browser agent's caller hears music."""
    gateway, agent = media(ctx), contact_agent(ctx, contact_id)
    if gateway is not None and agent is not None:
        gateway.hold(agent)


def after_resume(ctx: ApiContext, contact_id: str) -> None:
    """Back to the caller: any consult ends, caller and agent hear each other again."""
    gateway, agent = media(ctx), contact_agent(ctx, contact_id)
    if gateway is not None and agent is not None:
        gateway.resume(agent)


def before_transfer(ctx: ApiContext, contact_id: str, to_agent: str | None) -> None:
    """Complete transfer to the consulted colleague: the consult ends; their accept takes the
    caller over (:func:`after_accept`)."""
    gateway, agent = media(ctx), contact_agent(ctx, contact_id)
    if gateway is None or agent is None or to_agent is None:
        return
    if gateway.consulting(agent) == to_agent:
        gateway.end_consult(agent)
    ctx.extras.setdefault(HANDOVERS_KEY, {})[contact_id] = agent


def after_accept(ctx: ApiContext, contact_id: str, agent_id: str) -> None:
    """The colleague accepted a contact transferred to them: hand the caller's audio over."""
    waiting: dict[str, str] = ctx.extras.get(HANDOVERS_KEY, {})
    from_agent = waiting.pop(contact_id, None)
    gateway = media(ctx)
    if from_agent is not None and gateway is not None:
        gateway.hand_over(from_agent, agent_id)


@router.post("/{contact_id}/consult", response_model=Accepted, summary="Consult a colleague")
async def consult(contact_id: str, body: ConsultRequest, caller: Caller, ctx: Ctx) -> Accepted:
    """Hold the caller and talk to a colleague (see the module docstring)."""
    me = own_agent(caller)
    if contact_agent(ctx, contact_id) != me:
        raise Conflict(f"{contact_id} is not your call", error_id="not-your-contact")
    try:
        colleague_tenant = ctx.config.agent(body.agent_id).tenant
    except KeyError:
        colleague_tenant = None
    if colleague_tenant != caller.tenant:
        raise InvalidField("body.agent_id", "no such agent")
    gateway = media(ctx)
    if gateway is None:
        raise ConsultRefused("no-session", "this server has no WebRTC softphone gateway")
    published: list[tuple[int, Any]] = []
    live = ctx.runtime.engine.contacts.get(contact_id)
    if getattr(live, "held_since", None) is None:
        published = await submit(ctx, rc.HoldContact(contact_id))
    try:
        gateway.consult(me, body.agent_id)
    except ValueError as err:
        raise ConsultRefused(getattr(err, "reason", "refused"), str(err)) from err
    last = published[-1][0] if published else int(ctx.runtime.last_event_id)
    return Accepted(last_event_id=last, events=len(published))


@router.post("/{contact_id}/consult/end", response_model=Accepted, summary="End a consult")
async def end_consult(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """Separate the two agents; the caller stays on hold until resumed or transferred."""
    me = own_agent(caller)
    if contact_agent(ctx, contact_id) != me:
        raise Conflict(f"{contact_id} is not your call", error_id="not-your-contact")
    gateway = media(ctx)
    if gateway is not None:
        gateway.end_consult(me)
    return Accepted(last_event_id=int(ctx.runtime.last_event_id), events=0)
