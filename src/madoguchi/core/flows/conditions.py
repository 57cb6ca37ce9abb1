"""Evaluation of condition nodes' tests against the contact and the center."""

from __future__ import annotations

from madoguchi.core.config import HoursCalendar, is_holiday, local_datetime
from madoguchi.core.flows.environment import FlowEnvironment
from madoguchi.core.flows.model import Condition

_MINUTE_MEMO: dict[tuple[int, int], tuple[HoursCalendar, bool, bool, str | None]] = {}
"""(calendar identity, minute) → (calendar, open, national holiday, closure name).

Calendars change state on whole minutes, and many contacts ask in the same minute: the first
one computes, the others read.
"""


def _calendar_state(calendar: HoursCalendar, now: float) -> tuple[bool, bool, str | None]:
    key = (id(calendar), int(now // 60.0))
    known = _MINUTE_MEMO.get(key)
    if known is not None and known[0] is calendar:
        return known[1], known[2], known[3]
    if len(_MINUTE_MEMO) > 4096:
        _MINUTE_MEMO.clear()
    day = local_datetime(now, calendar.timezone).date()
    closure = calendar.closure_on(day)
    state = (
        calendar.is_open(now),
        is_holiday(calendar.holiday_country, day),
        closure.name if closure is not None else None,
    )
    _MINUTE_MEMO[key] = (calendar, *state)
    return state


def holds(
    condition: Condition,
    variables: dict[str, str],
    environment: FlowEnvironment | None,
    now: float,
) -> bool:
    """Whether ``condition`` is true now; a figure or calendar that is unknown makes it false."""
    kind = condition.kind
    if kind == "attribute":
        value = variables.get(condition.name)
        if value is None:
            return False
        if condition.equals is not None and value != condition.equals:
            return False
        return not condition.one_of or value in condition.one_of
    if kind == "exists":
        return bool(variables.get(condition.name))
    if kind == "channel":
        return variables.get("channel") == condition.equals
    if kind == "language":
        return variables.get("language") == condition.equals
    if kind == "all":
        return all(holds(p, variables, environment, now) for p in condition.parts)
    if kind == "any":
        return any(holds(p, variables, environment, now) for p in condition.parts)
    if kind == "not":
        return not holds(condition.parts[0], variables, environment, now)
    if environment is None:
        return False
    if kind == "ewt_above":
        wait = environment.estimated_wait(condition.queue, now)
        return wait is not None and wait > condition.number
    if kind == "agents_available_below":
        count = environment.agents_available(condition.queue, now)
        return count is not None and count < condition.number
    calendar = environment.calendar(condition.calendar)
    if calendar is None:
        return False
    is_open, holiday, closure = _calendar_state(calendar, now)
    if kind == "open":
        return is_open
    if kind == "holiday":
        return holiday
    if kind == "closure" and closure is not None:
        variables["closure.name"] = closure
        return True
    return False
