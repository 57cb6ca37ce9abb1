"""Evaluation of condition nodes' tests against the contact and the center.

A condition is compiled once, when a flow is prepared for sessions (:func:`compile_condition`):
the result is a closure over the condition's own fields, so a session evaluating it does no
dispatch on the kind and reads no record field. :func:`holds` evaluates a condition directly.
"""

from __future__ import annotations

from collections.abc import Callable

from madoguchi.core.config import HoursCalendar, is_holiday, local_datetime
from madoguchi.core.flows.environment import FlowEnvironment
from madoguchi.core.flows.model import Condition

Test = Callable[[dict[str, str], FlowEnvironment | None, float], bool]
"""A compiled condition: ``test(variables, environment, now)``."""

_MINUTE_MEMO: dict[tuple[int, int], tuple[HoursCalendar, tuple[bool, bool, str | None]]] = {}
"""(calendar identity, minute) → (calendar, (open, national holiday, closure name)).

Calendars change state on whole minutes, and many contacts ask in the same minute: the first
one computes, the others read.
"""


def _calendar_state(calendar: HoursCalendar, now: float) -> tuple[bool, bool, str | None]:
    key = (id(calendar), int(now // 60.0))
    known = _MINUTE_MEMO.get(key)
    if known is not None and known[0] is calendar:
        return known[1]
    if len(_MINUTE_MEMO) > 4096:
        _MINUTE_MEMO.clear()
    day = local_datetime(now, calendar.timezone).date()
    closure = calendar.closure_on(day)
    state = (
        calendar.is_open(now),
        is_holiday(calendar.holiday_country, day),
        closure.name if closure is not None else None,
    )
    _MINUTE_MEMO[key] = (calendar, state)
    return state


def holds(
    condition: Condition,
    variables: dict[str, str],
    environment: FlowEnvironment | None,
    now: float,
) -> bool:
    """Whether ``condition`` is true now; a figure or calendar that is unknown makes it false."""
    return compile_condition(condition)(variables, environment, now)


def compile_condition(condition: Condition) -> Test:
    """The condition as a test function (same meaning as :func:`holds`).

    A true ``closure`` test sets the variable ``closure.name``; every other test only reads.
    """
    kind = condition.kind
    name = condition.name
    equals = condition.equals
    if kind == "attribute":
        one_of = frozenset(condition.one_of)
        if equals is not None and one_of:
            return lambda v, _e, _n: v.get(name) == equals and equals in one_of
        if equals is not None:
            return lambda v, _e, _n: v.get(name) == equals
        if one_of:
            return lambda v, _e, _n: v.get(name) in one_of
        return lambda v, _e, _n: name in v
    if kind == "exists":
        return lambda v, _e, _n: bool(v.get(name))
    if kind == "channel":
        return lambda v, _e, _n: v.get("channel") == equals
    if kind == "language":
        return lambda v, _e, _n: v.get("language") == equals
    if kind in ("all", "any", "not"):
        parts = tuple(compile_condition(p) for p in condition.parts)
        if kind == "all":
            return lambda v, e, n: all(p(v, e, n) for p in parts)
        if kind == "any":
            return lambda v, e, n: any(p(v, e, n) for p in parts)
        inner = parts[0]
        return lambda v, e, n: not inner(v, e, n)
    queue = condition.queue
    number = condition.number
    if kind == "ewt_above":

        def ewt_above(_v: dict[str, str], e: FlowEnvironment | None, n: float) -> bool:
            wait = e.estimated_wait(queue, n) if e is not None else None
            return wait is not None and wait > number

        return ewt_above
    if kind == "agents_available_below":

        def agents_below(_v: dict[str, str], e: FlowEnvironment | None, n: float) -> bool:
            count = e.agents_available(queue, n) if e is not None else None
            return count is not None and count < number

        return agents_below
    if kind not in ("open", "holiday", "closure"):
        return lambda _v, _e, _n: False
    calendar_id = condition.calendar
    index = ("open", "holiday", "closure").index(kind)

    def calendar_test(v: dict[str, str], e: FlowEnvironment | None, n: float) -> bool:
        calendar = e.calendar(calendar_id) if e is not None else None
        if calendar is None:
            return False
        state = _calendar_state(calendar, n)
        if index < 2:
            return bool(state[index])
        closure = state[2]
        if closure is None:
            return False
        v["closure.name"] = closure
        return True

    return calendar_test
