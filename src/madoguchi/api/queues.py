"""Queues and the supervisor wallboard.

``/api/v1/queues`` lists the caller's tenant's queues with what an agent needs (names, service
level target, after-contact work time) and how many contacts wait now. ``/api/v1/wallboard``
gives supervisors the live figures per queue and in total, the agent grid and the alerts
(:mod:`madoguchi.api.wallboard`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from madoguchi.api.agents import Supervisor
from madoguchi.api.auth import Caller
from madoguchi.api.context import Ctx
from madoguchi.api.errors import COMMON_RESPONSES
from madoguchi.api.wallboard import Wallboard, build_wallboard

router = APIRouter(prefix="/api/v1", tags=["queues"], responses=COMMON_RESPONSES)


class QueueSummary(BaseModel):
    """A queue as the agent desktop uses it."""

    id: str
    name: dict[str, str]
    channels: list[str]
    service_level_fraction: float
    service_level_seconds: float
    after_contact_work_s: float
    waiting: int


@router.get("/queues", response_model=list[QueueSummary], summary="Queues of my tenant")
def list_queues(caller: Caller, ctx: Ctx) -> list[QueueSummary]:
    """Every queue of the caller's tenant with the number of contacts waiting now."""
    waiting: dict[str, int] = {}
    for view in ctx.runtime.snapshot().queues:
        waiting[str(view.get("queue_id", view.get("id")))] = int(view.get("waiting", 0))
    return [
        QueueSummary(
            id=q.id,
            name={"ja": q.name.get("ja"), "en": q.name.get("en")},
            channels=sorted(c.value for c in q.channels),
            service_level_fraction=q.service_level.fraction,
            service_level_seconds=q.service_level.seconds,
            after_contact_work_s=q.after_contact_work_s,
            waiting=waiting.get(q.id, 0),
        )
        for q in ctx.config.queues
        if q.tenant == caller.tenant
    ]


@router.get("/wallboard", response_model=Wallboard, summary="Live figures for supervisors")
def wallboard(caller: Supervisor, ctx: Ctx) -> Any:
    """Per queue and total: waiting, longest wait, service level today and last 15 minutes,
    ASA, abandonment, agents by state; the agent grid; alerts."""
    return build_wallboard(ctx, caller.tenant)
