"""A :class:`~madoguchi.core.config.CenterConfig` back as a document in the center-file format.

:func:`center_document` writes every value explicitly (defaults filled in), so the result shows
what the loader understood, and parsing its YAML gives an equal configuration again.
"""

from __future__ import annotations

from typing import Any

from madoguchi.core._config_values import DAY_NAMES, format_range
from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    CodeConfig,
    HoursCalendar,
    LocalizedText,
    QueueConfig,
    TeamConfig,
    TimeRange,
    Treatment,
)

__all__ = ["center_document"]


def center_document(config: CenterConfig) -> dict[str, Any]:
    """The whole center as plain dicts, lists, strings and numbers."""
    return {
        "version": 1,
        "name": _text(config.name),
        "timezone": config.timezone,
        "unmapped_numbers_to_main_flow": config.unmapped_numbers_to_main_flow,
        "metrics": {
            "short_abandon": config.metrics.short_abandon_s,
            "intervals_min": list(config.metrics.intervals_min),
        },
        "tenants": [
            _drop_none(
                {
                    "id": t.id,
                    "name": _text(t.name),
                    "timezone": t.timezone,
                    "numbers": list(t.numbers),
                    "main_flow": t.main_flow,
                }
            )
            for t in config.tenants
        ],
        "calendars": [_calendar(c) for c in config.calendars],
        "skills": [{"id": s.id, "name": _text(s.name)} for s in config.skills],
        "queues": [_queue(q) for q in config.queues],
        "teams": [_team(t) for t in config.teams],
        "agents": [_agent(a) for a in config.agents],
        "dispositions": [_code(c) for c in config.dispositions],
        "not_ready_reasons": [_code(c) for c in config.not_ready_reasons],
    }


def _text(text: LocalizedText) -> dict[str, str]:
    return {key: value for key, value in (("ja", text.ja), ("en", text.en)) if value}


def _hours(ranges: tuple[TimeRange, ...]) -> list[str] | str:
    return [format_range(r) for r in ranges] if ranges else "closed"


def _calendar(calendar: HoursCalendar) -> dict[str, Any]:
    closures: list[dict[str, str]] = [
        {"from": f"{a.first[0]:02d}-{a.first[1]:02d}", "to": f"{a.last[0]:02d}-{a.last[1]:02d}"}
        | ({"name": a.name} if a.name else {})
        for a in calendar.annual_closures
    ]
    closures += [
        {"from": c.first.isoformat(), "to": c.last.isoformat()}
        | ({"name": c.name} if c.name else {})
        for c in calendar.closures
    ]
    return _drop_none(
        {
            "id": calendar.id,
            "name": _text(calendar.name) if calendar.name else None,
            "timezone": calendar.timezone,
            "weekly": {DAY_NAMES[i]: _hours(day) for i, day in enumerate(calendar.weekly)},
            "national_holidays": calendar.national_holidays,
            "holiday_country": calendar.holiday_country,
            "holiday_hours": _hours(calendar.holiday_hours),
            "closures": closures,
            "special_days": [
                {"date": day.isoformat(), "hours": _hours(ranges)}
                for day, ranges in calendar.special_days
            ],
        }
    )


def _treatment(treatment: Treatment | None) -> dict[str, Any] | None:
    if treatment is None:
        return None
    return _drop_none(
        {
            "action": treatment.kind.value,
            "target": treatment.target,
            "message": _text(treatment.message) if treatment.message else None,
        }
    )


def _queue(queue: QueueConfig) -> dict[str, Any]:
    return _drop_none(
        {
            "id": queue.id,
            "tenant": queue.tenant,
            "name": _text(queue.name),
            "channels": sorted(c.value for c in queue.channels),
            "skills": {s.skill: s.min_proficiency for s in queue.skills},
            "priority": queue.priority,
            "aging_per_minute": queue.aging_per_minute,
            "service_level": {
                "fraction": queue.service_level.fraction,
                "seconds": queue.service_level.seconds,
            },
            "max_wait": queue.max_wait_s,
            "overflow": _treatment(queue.overflow),
            "max_size": queue.max_size,
            "when_full": _treatment(queue.when_full),
            "hours": queue.hours,
            "when_closed": _treatment(queue.when_closed),
            "policy": queue.policy.value,
            "offer_timeout": queue.offer_timeout_s,
            "after_contact_work": queue.after_contact_work_s,
        }
    )


def _team(team: TeamConfig) -> dict[str, Any]:
    return _drop_none(
        {
            "id": team.id,
            "tenant": team.tenant,
            "name": _text(team.name),
            "supervisor": team.supervisor,
            "work_mode": team.work_mode.value,
            "max_continuous_queue": team.max_continuous_queue_s,
        }
    )


def _agent(agent: AgentConfig) -> dict[str, Any]:
    return _drop_none(
        {
            "id": agent.id,
            "tenant": agent.tenant,
            "name": agent.name,
            "team": agent.team,
            "skills": dict(agent.skills),
            "capacity": {channel.value: count for channel, count in agent.capacity},
            "work_mode": agent.work_mode.value,
            "extension": agent.extension,
            "languages": list(agent.languages),
        }
    )


def _code(code: CodeConfig) -> dict[str, Any]:
    return _drop_none(
        {
            "code": code.code,
            "name": _text(code.name),
            "tenant": code.tenant,
            "category": code.category or None,
        }
    )


def _drop_none(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value is not None}
