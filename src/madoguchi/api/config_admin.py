"""Routes that edit the center's configuration (see :mod:`madoguchi.api.config_edit`).

``GET/PUT /api/v1/admin/config/sections/{section}`` edit a section as YAML;
``PUT /api/v1/admin/agents/{agent_id}/skills`` moves an agent between skills (and so between
the queues that need them). Routing has no command to change an agent's skills while it runs,
so both write a new version of the center file that the center loads at its next restart.
Every change is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from madoguchi.api import audit
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

router = APIRouter(prefix="/api/v1/admin", tags=["configuration"], responses=COMMON_RESPONSES)

RESTART_NOTE = "saved; the running center uses it after a restart (madoguchi serve --config FILE)"


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
    """Where the new version was written."""

    file: str
    backup: str | None
    restart_required: bool
    message: str


class AgentSkills(BaseModel):
    """An agent's skills and levels (``{"general": 8, "orders": 5}``)."""

    model_config = ConfigDict(extra="forbid")

    skills: dict[Annotated[str, Field(min_length=1, max_length=64)], int] = Field(max_length=100)


def _saved(
    ctx: Ctx, db: Db, caller: Principal, request: Request, section: str, text: str, target: str
) -> SavedOut:
    now = ctx.runtime.clock.now()
    saved = save_version(ctx, section, text, caller.tenant, now)
    audit.record(
        db,
        now=now,
        action="config.edit",
        who=caller,
        target=target,
        purpose="administration",
        client=client_address(request),
        detail={"file": str(saved.file), "section": section},
    )
    return SavedOut(
        file=str(saved.file),
        backup=str(saved.backup) if saved.backup is not None else None,
        restart_required=True,
        message=RESTART_NOTE,
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
def write_section(
    section: Section, body: SectionEdit, caller: Admin, ctx: Ctx, db: Db, request: Request
) -> SavedOut:
    """Replace the caller's part of the section; 422 ``config-rejected`` with FILE:LINE
    problems when the center would not load (nothing is written then)."""
    return _saved(ctx, db, caller, request, section, body.yaml, f"config:{section}")


@router.put(
    "/agents/{agent_id}/skills", response_model=SavedOut, summary="Move an agent between skills"
)
def write_agent_skills(
    agent_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: AgentSkills,
    caller: Admin,
    ctx: Ctx,
    db: Db,
    request: Request,
) -> SavedOut:
    """Set the agent's skills (and so the queues they serve) in a new center version."""
    view = section_view(current_document(ctx), "agents", caller.tenant)
    agents = [dict(a) for a in view.editable]
    found = next((a for a in agents if a["id"] == agent_id), None)
    if found is None:
        raise NotFound(f"no agent {agent_id}", error_id="no-such-agent")
    found["skills"] = dict(body.skills)
    return _saved(ctx, db, caller, request, "agents", dump(agents), f"agent:{agent_id}")
