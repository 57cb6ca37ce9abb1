"""Shift scheduling by MILP: coverage, least paid hours, breaks, labour rules."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.wfm.schedule import (
    BreakWindow,
    LabourRules,
    ScheduleError,
    ShiftPattern,
    agents_per_interval,
    plan_shifts,
    slots_for_hours,
)

HALF_HOUR = 1800


def test_flat_requirement_with_four_hour_shifts_is_covered_exactly() -> None:
    pattern = ShiftPattern("4h", start_slots=(0,), length_slots=8)
    plan = plan_shifts([3] * 8, HALF_HOUR, [pattern])
    assert plan.headcount == 3
    assert plan.paid_hours == 12.0
    assert plan.under.sum() == 0
    assert plan.over.sum() == 0


def test_staggered_lunches_keep_two_agents_on_the_phones_all_day() -> None:
    lunch = BreakWindow(length_slots=2, earliest_slot=6, latest_slot=10)
    pattern = ShiftPattern("9h", start_slots=(0,), length_slots=18, breaks=(lunch,))
    plan = plan_shifts([2] * 18, HALF_HOUR, [pattern])
    assert plan.headcount == 3
    assert plan.paid_hours == 24.0
    assert (plan.scheduled >= 2).all()
    lunches = sorted(s.break_slots[0][0] for s in plan.shifts for _ in range(s.agents))
    assert all(b - a >= 2 for a, b in itertools.pairwise(lunches))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=8, max_size=24))
def test_every_interval_is_covered_and_paid_time_is_at_least_the_requirement(
    required: list[int],
) -> None:
    patterns = [
        ShiftPattern("4h", start_slots=tuple(range(24)), length_slots=8),
        ShiftPattern("2h", start_slots=tuple(range(24)), length_slots=4),
    ]
    padded = [*required, *[0] * (24 - len(required))]
    plan = plan_shifts(padded, HALF_HOUR, patterns)
    assert (plan.scheduled >= np.asarray(padded)).all()
    assert plan.paid_hours >= sum(padded) * 0.5 - 1e-9
    assert plan.paid_hours == pytest.approx(sum(s.paid_hours * s.agents for s in plan.shifts))


def test_a_headcount_cap_with_a_penalty_leaves_intervals_understaffed() -> None:
    pattern = ShiftPattern("4h", start_slots=(0,), length_slots=8)
    rules = LabourRules(max_headcount=2, under_penalty=10.0)
    plan = plan_shifts([3] * 8, HALF_HOUR, [pattern], rules)
    assert plan.headcount == 2
    assert plan.under.tolist() == [1] * 8


def test_a_headcount_cap_without_a_penalty_is_infeasible() -> None:
    pattern = ShiftPattern("4h", start_slots=(0,), length_slots=8)
    with pytest.raises(ScheduleError, match="no schedule"):
        plan_shifts([3] * 8, HALF_HOUR, [pattern], LabourRules(max_headcount=2))


def test_working_more_than_six_hours_without_45_minutes_of_break_is_refused() -> None:
    short_break = BreakWindow(length_slots=1, earliest_slot=6, latest_slot=8)
    pattern = ShiftPattern("7.5h", start_slots=(0,), length_slots=16, breaks=(short_break,))
    with pytest.raises(ScheduleError, match="needs 45 min"):
        plan_shifts([1] * 16, HALF_HOUR, [pattern])


def test_working_more_than_eight_hours_is_refused() -> None:
    lunch = BreakWindow(length_slots=2, earliest_slot=6, latest_slot=8)
    pattern = ShiftPattern("10h", start_slots=(0,), length_slots=20, breaks=(lunch,))
    with pytest.raises(ScheduleError, match="exceed 8"):
        plan_shifts([1] * 20, HALF_HOUR, [pattern])


def test_the_plan_becomes_a_per_interval_staffing_list_for_the_simulator() -> None:
    pattern = ShiftPattern("2h", start_slots=(0, 2), length_slots=4)
    plan = plan_shifts([1, 1, 2, 2, 1, 1], HALF_HOUR, [pattern])
    staffing = agents_per_interval(plan, horizon_start=1_800_000_000.0)
    assert staffing[0] == (1_800_000_000.0, 1)
    assert [n for _, n in staffing] == plan.scheduled.tolist()


def test_hours_must_be_whole_intervals() -> None:
    assert slots_for_hours(8, 900) == 32
    with pytest.raises(ScheduleError, match="whole number"):
        slots_for_hours(7.1, 1800)
