"""The center's configuration as JSON for the admin pages, limited to one tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from madoguchi.core.config import CenterConfig, HoursCalendar, LocalizedText, local_datetime

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _text(value: LocalizedText) -> dict[str, str]:
    return {"ja": value.get("ja"), "en": value.get("en")}


def _ranges(ranges: Any) -> str:
    return (
        ", ".join(
            f"{r.start // 60:02d}:{r.start % 60:02d}-{r.end // 60:02d}:{r.end % 60:02d}"
            for r in ranges
        )
        or "closed"
    )


def _calendar(calendar: HoursCalendar, now: float, days: int = 60) -> dict[str, Any]:
    today = local_datetime(now, calendar.timezone).date()
    upcoming: list[dict[str, str]] = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        hours = calendar.hours_on(day)
        if hours != calendar.weekly[day.weekday()]:
            closure = calendar.closure_on(day)
            upcoming.append(
                {
                    "date": day.isoformat(),
                    "hours": _ranges(hours),
                    "name": closure.name if closure is not None else "",
                }
            )
    return {
        "id": calendar.id,
        "timezone": calendar.timezone,
        "weekly": {_DAYS[i]: _ranges(r) for i, r in enumerate(calendar.weekly)},
        "national_holidays": calendar.national_holidays,
        "exceptions_next_60_days": upcoming,
    }


def tenant_config(config: CenterConfig, tenant: str, now: float) -> dict[str, Any]:
    """Skills, queues, calendars (with upcoming holidays), teams, agents and codes of ``tenant``."""
    queues = [q for q in config.queues if q.tenant == tenant]
    calendar_ids = {q.hours for q in queues if q.hours is not None}
    return {
        "tenant": tenant,
        "skills": [{"id": s.id, "name": _text(s.name)} for s in config.skills],
        "queues": [
            {
                "id": q.id,
                "name": _text(q.name),
                "channels": sorted(c.value for c in q.channels),
                "skills": [{"skill": s.skill, "min": s.min_proficiency} for s in q.skills],
                "priority": q.priority,
                "service_level": {
                    "fraction": q.service_level.fraction,
                    "seconds": q.service_level.seconds,
                },
                "max_wait_s": q.max_wait_s,
                "hours": q.hours,
                "policy": q.policy.value,
                "offer_timeout_s": q.offer_timeout_s,
                "after_contact_work_s": q.after_contact_work_s,
            }
            for q in queues
        ],
        "calendars": [_calendar(c, now) for c in config.calendars if c.id in calendar_ids],
        "teams": [
            {
                "id": t.id,
                "name": _text(t.name),
                "supervisor": t.supervisor,
                "work_mode": t.work_mode.value,
            }
            for t in config.teams
            if t.tenant == tenant
        ],
        "agents": [
            {
                "id": a.id,
                "name": a.name,
                "team": a.team,
                "skills": [{"skill": s, "level": lv} for s, lv in a.skills],
                "work_mode": a.work_mode.value,
                "extension": a.extension,
            }
            for a in config.agents
            if a.tenant == tenant
        ],
        "dispositions": [
            {"code": c.code, "name": _text(c.name), "category": c.category}
            for c in config.dispositions
            if c.tenant in (None, tenant)
        ],
        "not_ready_reasons": [
            {"code": c.code, "name": _text(c.name), "category": c.category}
            for c in config.not_ready_reasons
            if c.tenant in (None, tenant)
        ],
    }
