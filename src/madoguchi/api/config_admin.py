"""Routes that edit the center's configuration (see :mod:`madoguchi.api.config_edit`).

``GET/PUT /api/v1/admin/config/sections/{section}`` edit a section as YAML;
``PUT /api/v1/admin/agents/{agent_id}/skills`` moves an agent between skills (and so between
the queues that need them). Both write a new version of the center file and then put it into
the running center as far as that can be done live (:mod:`madoguchi.api.live_config`): skills
through routing's ``SetAgentSkills``; calendars, dispositions and not-ready reasons by swapping
the configuration; the answer lists what is live and what waits for a restart. Every change is
written to the audit log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from madoguchi.api import audit, live_config
from madoguchi.api.admin import Admin
from madoguchi.api.auth import client_address
from madoguchi.api.config_edit import (
    Section,
    center_file,
    current_document,
    dump,
    pending_restart,
    save_version,
    section_view,
)
from madoguchi.api.context import Ctx, Db, Principal
from madoguchi.api.errors import COMMON_RESPONSES, NotFound
from madoguchi.core.config import CenterConfig
from madoguchi.core.config_loader import parse_center

router = APIRouter(prefix="/api/v1/admin", tags=["configuration"], responses=COMMON_RESPONSES)

RESTART_NOTE = (
    "saved; part of it takes effect after a restart (madoguchi serve --config FILE): {waiting}"
)
LIVE_NOTE = "saved and in service now"


class SectionOut(BaseModel):
    """A section of the center file: the caller's part as YAML, and what they may only read."""

    section: Section
    yaml: str
    read_only_yaml: str
    file: str
    restart_required: bool
    """A saved version is waiting for a restart."""


class SectionEdit(BaseModel):
    """The new text of the caller's part of a section."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=500_000)


class SavedOut(BaseModel):
    """Where the new version was written, and what of it the running center uses now."""

    file: str
    backup: str | None
    restart_required: bool
    applied: list[str]
    """In service now (``skills of op02``, ``calendars``…)."""
    waiting: list[str]
    """Waiting for a restart (routing builds these at start: queues, the skill catalogue…)."""
    message: str


class AgentSkills(BaseModel):
    """An agent's skills and levels (``{"general": 8, "orders": 5}``)."""

    model_config = ConfigDict(extra="forbid")

    skills: dict[Annotated[str, Field(min_length=1, max_length=64)], int] = Field(max_length=100)


def _write(
    ctx: Ctx, db: Db, caller: Principal, client: str, section: str, text: str, target: str
) -> tuple[FilePath, FilePath | None, CenterConfig]:
    """Check and write the new version (worker thread); the configuration it holds."""
    now = ctx.runtime.clock.now()
    saved = save_version(ctx, section, text, caller.tenant, now)
    audit.record(
        db,
        now=now,
        action="config.edit",
        who=caller,
        target=target,
        purpose="administration",
        client=client,
        detail={"file": str(saved.file), "section": section},
    )
    edited = parse_center(saved.file.read_text(encoding="utf-8"), str(saved.file))
    return saved.file, saved.backup, edited


async def _saved(
    ctx: Ctx, db: Db, caller: Principal, request: Request, section: str, text: str, target: str
) -> SavedOut:
    file, backup, edited = await asyncio.to_thread(
        _write, ctx, db, caller, client_address(request), section, text, target
    )
    outcome = await live_config.apply(ctx, edited)
    return SavedOut(
        file=str(file),
        backup=str(backup) if backup is not None else None,
        restart_required=outcome.restart_required,
        applied=outcome.applied,
        waiting=outcome.waiting,
        message=RESTART_NOTE.format(waiting="; ".join(outcome.waiting))
        if outcome.restart_required
        else LIVE_NOTE,
    )


@router.get(
    "/config/sections/{section}", response_model=SectionOut, summary="A section of the center"
)
def read_section(section: Section, caller: Admin, ctx: Ctx) -> SectionOut:
    """The latest saved version of the section (which may wait for a restart)."""
    view = section_view(current_document(ctx), section, caller.tenant)
    return SectionOut(
        section=section,
        yaml=dump(view.editable),
        read_only_yaml=dump(view.read_only) if view.read_only else "",
        file=str(center_file(ctx)),
        restart_required=pending_restart(ctx),
    )


@router.put(
    "/config/sections/{section}", response_model=SavedOut, summary="Save a new center version"
)
async def write_section(
    section: Section, body: SectionEdit, caller: Admin, ctx: Ctx, db: Db, request: Request
) -> SavedOut:
    """Replace the caller's part of the section and put it in service (see the module
    docstring); 422 ``config-rejected`` with FILE:LINE problems when the center would not load
    (nothing is written or changed then)."""
    return await _saved(ctx, db, caller, request, section, body.yaml, f"config:{section}")


@router.put(
    "/agents/{agent_id}/skills", response_model=SavedOut, summary="Move an agent between skills"
)
async def write_agent_skills(
    agent_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: AgentSkills,
    caller: Admin,
    ctx: Ctx,
    db: Db,
    request: Request,
) -> SavedOut:
    """Set the agent's skills (and so the queues they serve) in a new center version, and in
    routing now (``SetAgentSkills``)."""
    document = await asyncio.to_thread(current_document, ctx)
    view = section_view(document, "agents", caller.tenant)
    agents = [dict(a) for a in view.editable]
    found = next((a for a in agents if a["id"] == agent_id), None)
    if found is None:
        raise NotFound(f"no agent {agent_id}", error_id="no-such-agent")
    found["skills"] = dict(body.skills)
    return await _saved(ctx, db, caller, request, "agents", dump(agents), f"agent:{agent_id}")
