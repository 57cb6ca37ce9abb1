"""Staffing per interval: textbook answers, exact minimum, shrinkage, Erlang A targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.wfm.erlang import asa_c, service_level_c
from madoguchi.core.wfm.erlang_a import erlang_a_metrics
from madoguchi.core.wfm.staffing import (
    StaffingTarget,
    staff_interval,
    staff_intervals,
    staff_intervals_erlang_c,
)


def test_100_calls_per_half_hour_aht_180_at_80_20_needs_14_agents() -> None:
    plan = staff_interval(100, 1800, 180, StaffingTarget(service_level=0.8, answer_time_s=20))
    assert plan.agents == 14
    assert plan.service_level == pytest.approx(0.888, abs=5e-4)
    assert plan.asa_s == pytest.approx(7.8, abs=0.05)
    assert plan.occupancy == pytest.approx(10 / 14)


def test_360_calls_per_half_hour_aht_240_at_80_20_needs_54_agents() -> None:
    assert staff_interval(360, 1800, 240, StaffingTarget()).agents == 54


def test_shrinkage_of_30_percent_schedules_20_for_14_on_the_phones() -> None:
    plan = staff_interval(100, 1800, 180, StaffingTarget(shrinkage=0.3))
    assert (plan.agents, plan.scheduled_agents) == (14, 20)


def test_asa_and_occupancy_targets_raise_the_staff_when_they_bind() -> None:
    assert staff_interval(100, 1800, 180, StaffingTarget(max_asa_s=3.0)).agents == 16
    occupancy_bound = staff_interval(100, 1800, 180, StaffingTarget(max_occupancy=0.6))
    assert occupancy_bound.agents == 17  # ⌈10 / 0.6⌉


def test_an_interval_without_calls_needs_no_agents() -> None:
    plan = staff_interval(0, 900, 180, StaffingTarget())
    assert plan.agents == 0
    assert plan.service_level == 1.0


@settings(max_examples=60, deadline=None)
@given(
    calls=st.floats(min_value=1, max_value=5000),
    aht=st.floats(min_value=30, max_value=900),
    sl=st.floats(min_value=0.5, max_value=0.95),
)
def test_erlang_c_staffing_is_the_exact_minimum(calls: float, aht: float, sl: float) -> None:
    plan = staff_intervals_erlang_c([calls], 900, aht, StaffingTarget(service_level=sl))[0]
    a = calls * aht / 900
    n = plan.agents
    assert float(service_level_c(n, a, aht, 20)) >= sl
    assert n - 1 <= a or float(service_level_c(n - 1, a, aht, 20)) < sl


def test_day_staffing_matches_interval_by_interval() -> None:
    rng = np.random.default_rng(7)
    calls = rng.uniform(100, 5000, 24)
    aht = rng.uniform(180, 600, 24)
    target = StaffingTarget(shrinkage=0.3)
    day = staff_intervals(calls, 900, aht, target)
    for c, h, plan in zip(calls, aht, day, strict=True):
        single = staff_interval(float(c), 900, float(h), target)
        assert single.agents == plan.agents
        assert float(asa_c(plan.agents, float(c * h / 900), float(h))) == pytest.approx(plan.asa_s)


@pytest.mark.parametrize(
    ("calls", "aht", "patience"), [(100, 180, 120), (2000, 400, 180), (30, 600, 60)]
)
def test_erlang_a_staffing_is_the_exact_minimum_for_sl_and_abandonment(
    calls: float, aht: float, patience: float
) -> None:
    target = StaffingTarget(patience_s=patience, max_abandonment=0.05)
    plan = staff_interval(calls, 900, aht, target)
    assert plan.abandonment is not None
    assert plan.abandonment <= 0.05
    assert plan.service_level >= 0.8
    below = erlang_a_metrics(plan.agents - 1, calls, 900, aht, patience, 20)
    assert below.abandonment > 0.05 or below.service_level < 0.8


def test_erlang_a_needs_fewer_agents_than_erlang_c_when_callers_hang_up() -> None:
    erlang_c_plan = staff_interval(2000, 900, 400, StaffingTarget())
    erlang_a_plan = staff_interval(2000, 900, 400, StaffingTarget(patience_s=120))
    assert erlang_a_plan.agents < erlang_c_plan.agents


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_level": 1.0}, "service_level"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"max_abandonment": 0.05}, "patience_s"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
    ],
)
def test_targets_reject_impossible_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StaffingTarget(**kwargs)
