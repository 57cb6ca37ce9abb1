"""Pacing methods on the simulated outbound day."""

from __future__ import annotations

from madoguchi.core.dialer import FixedRatioPacer, PacingState, PredictivePacer, ProgressivePacer
from madoguchi.sim.outbound_day import OutboundModel, simulate_outbound_day


def test_progressive_never_abandons() -> None:
    result = simulate_outbound_day(OutboundModel(agents=20, hours=1.0), ProgressivePacer(), 1)
    assert result.abandoned == 0
    assert result.connected > 100


def test_fixed_ratio_dials_ratio_times_free_agents() -> None:
    pacer = FixedRatioPacer(2.5)
    state = PacingState(now=0.0, free_agents=4, busy_elapsed=[], ringing_elapsed=[1.0, 2.0])
    assert pacer.dials_wanted(state) == 8


def test_predictive_never_stalls_with_idle_agents() -> None:
    pacer = PredictivePacer()
    state = PacingState(now=0.0, free_agents=3, busy_elapsed=[], ringing_elapsed=[])
    assert pacer.dials_wanted(state) >= 1


def test_predictive_beats_progressive_and_keeps_abandonment_near_target() -> None:
    model = OutboundModel(agents=50, hours=4.0)
    progressive = simulate_outbound_day(model, ProgressivePacer(), 3)
    predictive = simulate_outbound_day(model, PredictivePacer(target_abandon=0.03), 3)
    assert predictive.utilization > progressive.utilization + 0.1
    assert predictive.abandon_rate <= 0.035


def test_same_seed_same_day() -> None:
    model = OutboundModel(agents=10, hours=0.5)
    first = simulate_outbound_day(model, PredictivePacer(), 9)
    second = simulate_outbound_day(model, PredictivePacer(), 9)
    assert (first.dials, first.abandoned, first.busy_seconds) == (
        second.dials,
        second.abandoned,
        second.busy_seconds,
    )
