"""The supervisor wallboard: live figures per queue and in total, the agent grid, alerts.

Figures come from the runtime's :class:`~madoguchi.core.metrics.MetricsBoard` (kept current
from the event log) and the runtime snapshot; this module only selects the caller's tenant and
applies the two alert rules: service level today below the queue's target, and a contact
waiting longer than ``Settings.long_wait_alert_s`` (6 minutes by default — about what Japanese
callers tolerate).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from madoguchi.api.context import ApiContext
from madoguchi.core.config import local_datetime
from madoguchi.core.metrics import IntervalStats, MetricsBoard, Tally
from madoguchi.core.metrics.board import RECENT_S


class ServiceLevelTargetOut(BaseModel):
    """A queue's target: ``fraction`` answered within ``seconds``."""

    fraction: float
    seconds: float


class QueueFigures(BaseModel):
    """Live figures of one queue (or of all queues together)."""

    id: str
    name: dict[str, str]
    waiting: int
    longest_wait_s: float | None
    service_level_today: float | None
    service_level_15m: float | None
    asa_s: float | None
    abandon_rate: float | None
    offered: int
    answered: int
    abandoned: int
    agents: dict[str, int]
    """Agents able to serve this queue, counted by state."""
    target: ServiceLevelTargetOut


class AgentRow(BaseModel):
    """One agent in the grid."""

    agent_id: str
    name: str
    team: str | None
    state: str
    reason: str | None
    since: float | None
    work_mode: str
    contact_id: str | None
    handled_today: int
    aht_s: float | None


class Alert(BaseModel):
    """Something a supervisor should act on now."""

    kind: str
    """``service_level`` or ``long_wait``."""
    queue_id: str
    queue_name: dict[str, str]
    value: float
    limit: float


class Wallboard(BaseModel):
    """Everything the wallboard shows."""

    at: float
    last_event_id: int
    long_wait_limit_s: float
    total: QueueFigures
    queues: list[QueueFigures]
    agents: list[AgentRow]
    alerts: list[Alert]


def build_wallboard(ctx: ApiContext, tenant: str) -> Wallboard:
    """The wallboard of ``tenant`` now."""
    runtime = ctx.runtime
    board: MetricsBoard = runtime.metrics
    config = ctx.config
    now: float = runtime.clock.now()
    snapshot = runtime.snapshot()
    day_start = _local_day_start(now, config.timezone)
    recent_start = now - RECENT_S
    limit = ctx.settings.long_wait_alert_s
    figures: list[QueueFigures] = []
    day_parts: list[IntervalStats] = []
    recent_parts: list[IntervalStats] = []
    alerts: list[Alert] = []
    for queue in config.queues:
        if queue.tenant != tenant:
            continue
        today = board.interval(queue.id, _minutes_since(day_start, now), day_start)
        recent = board.recent(queue.id, now)  # rolling: the last 15 minutes up to now
        live = board.queue_now(queue.id, now)
        day_parts.append(today)
        recent_parts.append(recent)
        row = _figures(
            queue.id,
            _name(queue.name),
            today,
            recent,
            live.waiting,
            live.longest_wait_s if live.waiting else None,
            live.agents_by_state,
            queue.service_level.fraction,
            queue.service_level.seconds,
        )
        figures.append(row)
        if today.service_level is not None and today.service_level < queue.service_level.fraction:
            alerts.append(
                Alert(
                    kind="service_level",
                    queue_id=queue.id,
                    queue_name=row.name,
                    value=today.service_level,
                    limit=queue.service_level.fraction,
                )
            )
        if live.waiting and live.longest_wait_s > limit:
            alerts.append(
                Alert(
                    kind="long_wait",
                    queue_id=queue.id,
                    queue_name=row.name,
                    value=live.longest_wait_s,
                    limit=limit,
                )
            )
    agents = _agent_rows(ctx, tenant, snapshot.agents, now)
    by_state: dict[str, int] = {}
    for agent in agents:
        by_state[agent.state] = by_state.get(agent.state, 0) + 1
    waiting = sum(f.waiting for f in figures)
    longest = max((f.longest_wait_s for f in figures if f.longest_wait_s is not None), default=None)
    total = _figures(
        "total",
        {"ja": "合計", "en": "Total"},
        _sum(day_parts, day_start),
        _sum(recent_parts, recent_start),
        waiting,
        longest,
        by_state,
        None,
        None,
    )
    return Wallboard(
        at=now,
        last_event_id=int(snapshot.last_event_id),
        long_wait_limit_s=limit,
        total=total,
        queues=figures,
        agents=agents,
        alerts=alerts,
    )


def _figures(
    queue_id: str,
    name: dict[str, str],
    today: IntervalStats,
    recent: IntervalStats,
    waiting: int,
    longest: float | None,
    agents: dict[str, int],
    fraction: float | None,
    seconds: float | None,
) -> QueueFigures:
    return QueueFigures(
        id=queue_id,
        name=name,
        waiting=waiting,
        longest_wait_s=longest,
        service_level_today=today.service_level,
        service_level_15m=recent.service_level,
        asa_s=today.asa_s,
        abandon_rate=today.abandon_rate,
        offered=today.offered,
        answered=today.answered,
        abandoned=today.abandoned,
        agents=agents,
        target=ServiceLevelTargetOut(
            fraction=fraction if fraction is not None else 0.0,
            seconds=seconds if seconds is not None else 0.0,
        ),
    )


def _sum(parts: list[IntervalStats], start: float) -> IntervalStats:
    tally = Tally()
    for part in parts:
        for name in Tally.__slots__:
            setattr(tally, name, getattr(tally, name) + getattr(part, name))
    return tally.freeze("total", start, 0)


def _agent_rows(
    ctx: ApiContext, tenant: str, views: list[dict[str, Any]], now: float
) -> list[AgentRow]:
    by_id = {str(v.get("agent_id", v.get("id"))): v for v in views}
    rows: list[AgentRow] = []
    for agent in ctx.config.agents:
        if agent.tenant != tenant:
            continue
        view = by_id.get(agent.id, {})
        stats = ctx.runtime.metrics.agent(agent.id, now)
        rows.append(
            AgentRow(
                agent_id=agent.id,
                name=agent.name,
                team=agent.team,
                state=str(view.get("state", "logged_out")),
                reason=view.get("reason"),
                since=view.get("since"),
                work_mode=str(view.get("work_mode", agent.work_mode.value)),
                contact_id=_current_contact(view),
                handled_today=stats.handled,
                aht_s=stats.aht_s,
            )
        )
    return rows


def _current_contact(view: dict[str, Any]) -> str | None:
    for key in ("contact_id", "offer"):
        if isinstance(view.get(key), str):
            return str(view[key])
    contacts = view.get("contacts") or view.get("active") or ()
    for item in contacts:
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and isinstance(item.get("contact_id"), str):
            return str(item["contact_id"])
    return None


def _local_day_start(now: float, timezone: str) -> float:
    local = local_datetime(now, timezone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _minutes_since(start: float, now: float) -> int:
    return max(1, math.ceil((now - start) / 60) + 1)


def _name(value: Any) -> dict[str, str]:
    return {"ja": value.get("ja"), "en": value.get("en")}
