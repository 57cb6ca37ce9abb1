"""Agents: sign in to routing, change state with a reason code; supervisors force state and
sign agents out.

An agent acts on their own routing agent (``/agents/me/...``); supervisors and admins act on any
agent of their tenant (``/agents/{agent_id}/...``). Every change goes through the runtime as a
routing command, so the event log and every live client see it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from madoguchi.api import audit
from madoguchi.api.auth import Caller, require, revoke_sessions
from madoguchi.api.commands import submit
from madoguchi.api.context import ApiContext, Ctx, Db, Principal, Role
from madoguchi.api.errors import COMMON_RESPONSES, Conflict, InvalidField, NotFound
from madoguchi.api.values import finite
from madoguchi.core.model import AgentState, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.store.crm import User

router = APIRouter(prefix="/api/v1", tags=["agents"], responses=COMMON_RESPONSES)

Supervisor = Annotated[Principal, require(Role.SUPERVISOR)]


class StateChange(BaseModel):
    """Become available, or not ready with a reason code (休憩, 研修…)."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["available", "not_ready"]
    reason: str | None = Field(default=None, min_length=1, max_length=64)


class RoutingSignIn(BaseModel):
    """Start work: available at once, or not ready until the agent says so."""

    model_config = ConfigDict(extra="forbid")

    available: bool = False
    work_mode: WorkMode | None = None


class SkillsChange(BaseModel):
    """The agent's complete new skills with proficiency 1–10 (``{"orders": 8}``)."""

    model_config = ConfigDict(extra="forbid")

    skills: dict[
        Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=1, le=10)]
    ] = Field(max_length=100)


class WorkModeChange(BaseModel):
    """Inbound, outbound or blended work."""

    model_config = ConfigDict(extra="forbid")

    work_mode: WorkMode


class Accepted(BaseModel):
    """The command was accepted; ``last_event_id`` is the id of the last event it caused."""

    last_event_id: int
    events: int


class Code(BaseModel):
    """A reason or disposition code with its names."""

    code: str
    name_ja: str
    name_en: str
    category: str


class Codes(BaseModel):
    """The codes a tenant uses."""

    not_ready_reasons: list[Code]
    dispositions: list[Code]


def own_agent(caller: Principal) -> str:
    """The routing agent the caller works as; 409 for users who take no contacts."""
    if caller.agent_id is None:
        raise Conflict("this user is not an agent", error_id="not-an-agent")
    return caller.agent_id


def tenant_agent(ctx: ApiContext, caller: Principal, agent_id: str) -> str:
    """``agent_id`` when it is an agent of the caller's tenant, else 404."""
    try:
        agent = ctx.config.agent(agent_id)
    except KeyError:
        agent = None
    if agent is None or agent.tenant != caller.tenant:
        raise NotFound(f"no agent {agent_id}", error_id="no-such-agent")
    return agent_id


def _accepted(published: list[tuple[int, Any]], ctx: ApiContext) -> Accepted:
    last = published[-1][0] if published else int(ctx.runtime.last_event_id)
    return Accepted(last_event_id=last, events=len(published))


def _state_command(agent_id: str, body: StateChange) -> rc.SetAgentState:
    state = AgentState.AVAILABLE if body.state == "available" else AgentState.NOT_READY
    return rc.SetAgentState(agent_id, state, body.reason if state is AgentState.NOT_READY else None)


@router.get("/agents", response_model=list[dict[str, Any]], summary="Agents and their state")
def list_agents(caller: Caller, ctx: Ctx) -> list[dict[str, Any]]:
    """Supervisors see every agent of their tenant; an agent sees only themself."""
    tenant_agents = {a.id for a in ctx.config.agents if a.tenant == caller.tenant}
    views: list[dict[str, Any]] = finite(ctx.runtime.snapshot().agents)
    if caller.role is Role.AGENT:
        return [v for v in views if v.get("agent_id", v.get("id")) == caller.agent_id]
    return [v for v in views if v.get("agent_id", v.get("id")) in tenant_agents]


@router.get("/codes", response_model=Codes, summary="Reason and disposition codes")
def codes(caller: Caller, ctx: Ctx) -> Codes:
    """Not-ready reasons and dispositions shared by all tenants or the caller's own."""

    def pick(items: Any) -> list[Code]:
        return [
            Code(
                code=c.code, name_ja=c.name.get("ja"), name_en=c.name.get("en"), category=c.category
            )
            for c in items
            if c.tenant in (None, caller.tenant)
        ]

    return Codes(
        not_ready_reasons=pick(ctx.config.not_ready_reasons),
        dispositions=pick(ctx.config.dispositions),
    )


@router.post("/agents/me/login", response_model=Accepted, summary="Start work in routing")
async def login(body: RoutingSignIn, caller: Caller, ctx: Ctx) -> Accepted:
    """The caller's agent signs in to routing."""
    command = rc.AgentLogin(own_agent(caller), body.work_mode, body.available)
    return _accepted(await submit(ctx, command), ctx)


@router.post("/agents/me/logout", response_model=Accepted, summary="Stop work in routing")
async def logout(caller: Caller, ctx: Ctx) -> Accepted:
    """The caller's agent signs out of routing."""
    return _accepted(await submit(ctx, rc.AgentLogout(own_agent(caller))), ctx)


@router.post("/agents/me/state", response_model=Accepted, summary="Change my state")
async def set_state(body: StateChange, caller: Caller, ctx: Ctx) -> Accepted:
    """Available, or not ready with a reason code."""
    return _accepted(await submit(ctx, _state_command(own_agent(caller), body)), ctx)


@router.post("/agents/me/work-mode", response_model=Accepted, summary="Change my work mode")
async def set_work_mode(body: WorkModeChange, caller: Caller, ctx: Ctx) -> Accepted:
    """Inbound, outbound or blended."""
    return _accepted(await submit(ctx, rc.SetWorkMode(own_agent(caller), body.work_mode)), ctx)


@router.post(
    "/agents/{agent_id}/state",
    response_model=Accepted,
    summary="Force an agent's state (supervisor)",
)
async def force_state(
    agent_id: str, body: StateChange, caller: Supervisor, ctx: Ctx, db: Db
) -> Accepted:
    """A supervisor sets an agent available or not ready."""
    target = tenant_agent(ctx, caller, agent_id)
    published = await submit(ctx, _state_command(target, body))
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="agent.force_state",
        who=caller,
        target=f"agent:{target}",
        detail={"state": body.state, "reason": body.reason},
    )
    db.commit()
    return _accepted(published, ctx)


@router.post(
    "/agents/{agent_id}/work-mode",
    response_model=Accepted,
    summary="Move an agent between inbound, outbound and blended work (supervisor)",
)
async def force_work_mode(
    agent_id: str, body: WorkModeChange, caller: Supervisor, ctx: Ctx, db: Db
) -> Accepted:
    """A supervisor changes an agent's work mode."""
    target = tenant_agent(ctx, caller, agent_id)
    published = await submit(ctx, rc.SetWorkMode(target, body.work_mode))
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="agent.work_mode",
        who=caller,
        target=f"agent:{target}",
        detail={"work_mode": body.work_mode.value},
    )
    db.commit()
    return _accepted(published, ctx)


@router.post(
    "/agents/{agent_id}/sign-out", response_model=Accepted, summary="Sign an agent out (supervisor)"
)
async def force_sign_out(agent_id: str, caller: Supervisor, ctx: Ctx, db: Db) -> Accepted:
    """Sign the agent out of routing and end their browser sessions."""
    target = tenant_agent(ctx, caller, agent_id)
    published = await submit(ctx, rc.AgentLogout(target))
    for user in db.scalars(
        select(User).where(User.agent_id == target, User.tenant == caller.tenant)
    ).all():
        revoke_sessions(db, user.id)
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="agent.sign_out",
        who=caller,
        target=f"agent:{target}",
    )
    db.commit()
    return _accepted(published, ctx)


@router.put(
    "/agents/{agent_id}/skills",
    response_model=Accepted,
    summary="Move an agent between skills and so between queues, live (supervisor)",
)
async def move_agent(
    agent_id: str, body: SkillsChange, caller: Supervisor, ctx: Ctx, db: Db
) -> Accepted:
    """Routing's ``SetAgentSkills`` now (logged, so a restart keeps it); the center file is
    not changed (admins make a lasting change with ``PUT /admin/agents/{id}/skills``). 422
    naming ``body.skills.NAME`` for a skill the center does not know."""
    target = tenant_agent(ctx, caller, agent_id)
    known = {skill.id for skill in ctx.config.skills}
    for name in body.skills:
        if name not in known:
            raise InvalidField(f"body.skills.{name}", "no such skill")
    published = await submit(ctx, rc.SetAgentSkills(target, tuple(body.skills.items())))
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="agent.skills",
        who=caller,
        target=f"agent:{target}",
        detail={"skills": dict(body.skills)},
    )
    db.commit()
    return _accepted(published, ctx)
