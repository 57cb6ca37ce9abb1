"""Planned figures of a staffing plan and their comparison with simulated counts."""

from __future__ import annotations

import math

import pytest

from madoguchi.core.wfm.erlang_a import erlang_a_metrics
from madoguchi.core.wfm.plan_check import (
    CheckedInterval,
    RealizedInterval,
    check_document,
    planned_intervals,
)


def test_planned_figures_are_erlang_c_for_the_textbook_interval() -> None:
    (p,) = planned_intervals([14], [100.0], [180.0], 1800.0, 20.0)
    assert p.service_level == pytest.approx(0.888, abs=5e-4)
    assert p.asa_s == pytest.approx(7.84, abs=0.01)
    assert p.occupancy == pytest.approx(10 / 14)
    assert p.abandonment is None


def test_planned_figures_with_patience_are_erlang_a() -> None:
    (p,) = planned_intervals([9], [100.0], [180.0], 1800.0, 20.0, patience_s=120.0)
    exact = erlang_a_metrics(9, 100.0, 1800.0, 180.0, 120.0, 20.0)
    assert (p.service_level, p.abandonment, p.asa_s) == (
        exact.service_level,
        exact.abandonment,
        exact.asa_s,
    )


def test_understaffed_and_empty_intervals_have_defined_figures() -> None:
    short, idle, nobody = planned_intervals([5, 3, 0], [100.0, 0.0, 10.0], [180.0] * 3, 1800, 20)
    assert short.service_level == 0.0
    assert math.isinf(short.asa_s)
    assert short.occupancy == 1.0
    assert idle.service_level == 1.0
    assert idle.asa_s == 0.0
    assert nobody.service_level == 0.0
    assert nobody.occupancy == 0.0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one entry per interval"):
        planned_intervals([1, 2], [1.0], [1.0], 1800, 20)


def test_realized_figures_are_ratios_of_the_counts() -> None:
    r = RealizedInterval(
        offered=100,
        answered=90,
        answered_in_target=75,
        abandoned=10,
        wait_answered_s=900.0,
        busy_s=8000.0,
        available_s=2000.0,
    )
    assert (r.service_level, r.asa_s, r.abandonment, r.occupancy) == (0.75, 10.0, 0.1, 0.8)
    assert RealizedInterval().service_level is None


def test_the_document_pools_the_day_and_flags_intervals_well_below_plan() -> None:
    planned = planned_intervals([14, 14], [100.0, 100.0], [180.0, 180.0], 1800.0, 20.0)
    good = RealizedInterval(100, 95, 90, 5, 300.0, 1000.0, 500.0, 14.0)
    bad = RealizedInterval(100, 80, 50, 20, 3000.0, 1400.0, 100.0, 14.0)
    checked = [
        CheckedInterval("09:00", planned[0], good),
        CheckedInterval("09:30", planned[1], bad),
    ]
    document = check_document(checked)
    assert [row["service_level"] for row in document["intervals"]] == [0.9, 0.5]
    assert document["intervals"][1]["service_level_gap"] == pytest.approx(0.5 - 0.888, abs=1e-3)
    day = document["day"]
    assert day["offered"] == 200
    assert day["service_level"] == 0.7
    assert day["planned_service_level"] == pytest.approx(0.888, abs=1e-3)
    assert day["intervals_below_plan"] == 1
    assert day["planned_abandonment"] is None
