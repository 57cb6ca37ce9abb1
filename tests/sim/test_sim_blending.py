"""The simulated blended day: the real engine, dialer and blending policy together."""

from __future__ import annotations

from dataclasses import replace

from madoguchi.core.dialer import ProgressivePacer
from madoguchi.core.dialer.blending import BlendingRules
from madoguchi.core.dialer.events import OutboundCallEnded, OutboundDispositioned
from madoguchi.core.dialer.reports import OutboundReport
from madoguchi.sim.blending import (
    BlendedDaySimulation,
    BlendingDay,
    expected_day_service_level,
    simulate_blending_day,
    split_inbound_team,
)
from madoguchi.sim.outbound_day import OutboundDayRecording, OutboundModel, simulate_outbound_day

SHORT_DAY = BlendingDay(
    agents=14,
    inbound_volume=420.0,
    close_min=12 * 60,
    rules=BlendingRules(plan_margin=-0.3, headroom_agents=0, reclaim_service_level=0.4),
)


def test_split_inbound_team_is_the_smallest_meeting_the_erlang_c_target() -> None:
    n = split_inbound_team(SHORT_DAY)
    assert expected_day_service_level(SHORT_DAY, n) >= SHORT_DAY.target.fraction
    assert expected_day_service_level(SHORT_DAY, n - 1) < SHORT_DAY.target.fraction
    assert 0 < n < SHORT_DAY.agents


def test_given_same_callers_then_blended_team_keeps_target_and_connects_more() -> None:
    split = simulate_blending_day(SHORT_DAY, "split", seed=3)
    blended = simulate_blending_day(SHORT_DAY, "blended", seed=3)
    assert split.inbound_offered == blended.inbound_offered > 300
    assert blended.service_level >= SHORT_DAY.target.fraction
    assert blended.connects > split.connects * 1.2
    assert blended.reclaims > 0  # inbound took agents back from the dialer
    assert blended.outbound_abandon_rate <= 0.03


def test_a_blended_day_is_reproducible_and_no_agent_is_double_booked() -> None:
    first = BlendedDaySimulation(SHORT_DAY, None, seed=5)
    result = first.run()
    again = simulate_blending_day(SHORT_DAY, "blended", seed=5)
    assert (result.connects, result.inbound_within_target) == (
        again.connects,
        again.inbound_within_target,
    )
    assert first.refused == []  # every reservation and release the policy asked for fit
    engine = first.engine
    for agent in first.center.agents:
        live = engine.agents[agent.id]
        assert len(live.active) <= 1


def test_predictive_pacing_also_runs_blended() -> None:
    day = replace(SHORT_DAY, pacing="predictive")
    result = simulate_blending_day(day, "blended", seed=2)
    assert result.connects > 0
    assert result.service_level >= day.target.fraction


def test_a_recorded_outbound_day_yields_events_for_the_report() -> None:
    model = OutboundModel(agents=5, hours=1.0)
    recording = OutboundDayRecording()
    result = simulate_outbound_day(model, ProgressivePacer(), seed=1, recording=recording)
    ended = [e for e in recording.events if isinstance(e, OutboundCallEnded)]
    dispositions = [e for e in recording.events if isinstance(e, OutboundDispositioned)]
    assert len(ended) == len(dispositions) > 0
    report = OutboundReport().apply_all(recording.events)
    total = report.campaigns["bench"].total
    assert total.attempts == result.dials
    assert total.connects == result.connected
    assert sum(a.talk_s for a in report.campaigns["bench"].agents.values()) > 0
