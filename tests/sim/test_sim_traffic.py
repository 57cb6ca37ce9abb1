"""Arrivals, distributions and rosters: the simulated traffic has the shape it claims."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from madoguchi.samples import load_sample_center
from madoguchi.sim.arrivals import generate_arrivals
from madoguchi.sim.distributions import (
    DEFAULT_PATIENCE,
    Empirical,
    Exponential,
    Lognormal,
    fraction_waiting_beyond,
)
from madoguchi.sim.profile import DEFAULT_PROFILE, FLAT_PROFILE
from madoguchi.sim.scenario import AgentPool, Break, ContactKind, Scenario
from madoguchi.sim.staffing import RosterAction, build_roster


def day(**changes: object) -> Scenario:
    base = Scenario(
        name="t",
        day=date(2026, 11, 25),  # a Wednesday: weekday factor 1.0
        open_min=9 * 60,
        close_min=18 * 60,
        volume=20_000,
        mix=(ContactKind("general", 0.75), ContactKind("orders", 0.25)),
        pools=(AgentPool("p", 4, 9 * 60, 18 * 60, skills=(("general", 5),)),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_given_the_default_profile_when_arrivals_are_drawn_then_mornings_are_busiest() -> None:
    arrivals = generate_arrivals(day(), np.random.default_rng(1))
    hours = np.bincount((arrivals.times // 3600).astype(int), minlength=9)
    morning, afternoon, evening = hours[1:3].mean(), hours[4:7].mean(), hours[8]
    assert morning > afternoon > evening


def test_given_a_volume_when_arrivals_are_drawn_then_the_count_is_poisson_around_it() -> None:
    arrivals = generate_arrivals(day(), np.random.default_rng(2))
    assert abs(len(arrivals) - 20_000) < 4 * math.sqrt(20_000)
    assert np.all(np.diff(arrivals.times) >= 0)
    assert arrivals.times.min() >= 0
    assert arrivals.times.max() < 9 * 3600


def test_given_a_flat_profile_when_arrivals_are_drawn_then_gaps_are_exponential() -> None:
    arrivals = generate_arrivals(day(profile=FLAT_PROFILE), np.random.default_rng(3))
    gaps = np.diff(arrivals.times)
    mean = 9 * 3600 / 20_000
    assert gaps.mean() == pytest.approx(mean, rel=0.03)
    assert gaps.std() == pytest.approx(mean, rel=0.05)  # exponential: std equals the mean


def test_given_a_mix_when_arrivals_are_drawn_then_kinds_follow_the_shares() -> None:
    arrivals = generate_arrivals(day(), np.random.default_rng(4))
    assert np.mean(arrivals.kinds == 1) == pytest.approx(0.25, abs=0.02)


def test_given_monday_when_volume_is_computed_then_the_weekday_effect_applies() -> None:
    assert day(day=date(2026, 11, 30)).expected_volume == pytest.approx(25_000)
    assert day(day=date(2026, 11, 29)).expected_volume == pytest.approx(14_000)


def test_given_the_same_seed_when_drawn_twice_then_arrivals_are_identical() -> None:
    first = generate_arrivals(day(), np.random.default_rng(9))
    second = generate_arrivals(day(), np.random.default_rng(9))
    assert np.array_equal(first.times, second.times)
    assert np.array_equal(first.handle_times, second.handle_times)


def test_given_a_lognormal_by_mean_and_cv_when_sampled_then_moments_match() -> None:
    draws = Lognormal(210.0, 1.0).sample(np.random.default_rng(5), 400_000)
    assert draws.mean() == pytest.approx(210.0, rel=0.02)
    assert draws.std() / draws.mean() == pytest.approx(1.0, rel=0.05)


def test_given_the_default_patience_then_few_callers_wait_beyond_six_minutes() -> None:
    assert isinstance(DEFAULT_PATIENCE, Exponential)
    assert fraction_waiting_beyond(DEFAULT_PATIENCE, 360.0) < 0.15
    assert fraction_waiting_beyond(Empirical((10.0, 400.0)), 360.0) == pytest.approx(0.5, abs=0.01)


def test_given_the_default_profile_then_it_covers_any_opening_hours() -> None:
    assert DEFAULT_PROFILE.covers(0, 1440)


def test_given_breaks_spread_over_a_pool_when_rostered_then_starts_are_staggered() -> None:
    pool = AgentPool(
        "p", 4, 540, 1080, skills=(("general", 5),), breaks=(Break(720, 60, spread_min=120),)
    )
    roster = build_roster(day(pools=(pool,)), load_sample_center(), np.random.default_rng(0))
    starts = sorted(c.at for c in roster.changes if c.action is RosterAction.NOT_READY)
    assert starts == [3 * 3600 + 30 * 60 * i for i in range(4)]
    assert len(roster.agents) == 4
    assert sum(c.action is RosterAction.LOGIN for c in roster.changes) == 4


def test_given_a_staffing_plan_when_rostered_then_agents_follow_it_per_interval() -> None:
    scenario = day(staffing_plan=(2, 5, 3), interval_min=60)
    roster = build_roster(scenario, load_sample_center(), np.random.default_rng(0))
    assert len(roster.agents) == 5
    signed_in = 0
    per_interval = []
    for hour in range(3):
        for change in roster.changes:
            if change.at == hour * 3600:
                signed_in += 1 if change.action is RosterAction.LOGIN else -1
        per_interval.append(signed_in)
    assert per_interval == [2, 5, 3]


def test_given_a_rate_when_live_arrivals_are_drawn_then_gaps_and_kinds_follow_it() -> None:
    from madoguchi.sim.arrivals import LiveArrivals

    live = LiveArrivals(120.0, [3.0, 1.0], np.random.default_rng(8))
    gaps = [live.next_gap() for _ in range(20_000)]
    kinds = [live.next_kind() for _ in range(20_000)]
    assert np.mean(gaps) == pytest.approx(30.0, rel=0.03)
    assert np.mean(np.asarray(kinds) == 1) == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match="positive"):
        LiveArrivals(0.0, [1.0], np.random.default_rng(0))
