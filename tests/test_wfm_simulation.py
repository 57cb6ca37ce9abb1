"""Checking a staffing plan by simulation: alignment, expected traffic, planned vs realized."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from madoguchi.cli import app
from madoguchi.core.config import (
    CenterConfig,
    LocalizedText,
    QueueConfig,
    ServiceLevelTarget,
    SkillConfig,
    TenantConfig,
)
from madoguchi.core.model import SkillRequirement
from madoguchi.sim.distributions import Exponential, Fixed
from madoguchi.sim.profile import FLAT_PROFILE
from madoguchi.sim.scenario import AgentPool, ContactKind, Scenario
from madoguchi.wfm_io import WfmInputError
from madoguchi.wfm_simulation import (
    StaffingPlan,
    align_plan,
    check_plan,
    expected_traffic,
    read_plan_json,
)

runner = CliRunner()
AHT_S = 120.0


def one_queue_center(acw_s: float = 0.0) -> CenterConfig:
    return CenterConfig(
        name=LocalizedText("検証", "check"),
        tenants=(TenantConfig("t", LocalizedText("t")),),
        skills=(SkillConfig("s", LocalizedText("s")),),
        queues=(
            QueueConfig(
                id="q",
                tenant="t",
                name=LocalizedText("q"),
                skills=(SkillRequirement("s", 1),),
                service_level=ServiceLevelTarget(0.8, 20.0),
                offer_timeout_s=3600.0,
                after_contact_work_s=acw_s,
            ),
        ),
    )


def day_of(load: float, hours: int = 8, seed: int = 5) -> Scenario:
    """09:00 to 09:00 + ``hours`` at a constant ``load`` Erlangs; exponential patience 300 s."""
    return Scenario(
        name="plan-check",
        day=date(2026, 11, 25),
        open_min=540,
        close_min=540 + hours * 60,
        volume=load / AHT_S * hours * 3600,
        mix=(ContactKind("q", 1.0, handle_time=Exponential(AHT_S), patience=Exponential(300.0)),),
        pools=(AgentPool("p", 1, 540, 1020, skills=(("s", 5),), ring_delay=Fixed(0.0)),),
        seed=seed,
        interval_min=15,
        profile=FLAT_PROFILE,
        weekday_factors=(1.0,) * 7,
        drain_min=30,
    )


def test_the_plan_is_laid_on_its_own_grid_from_its_opening_time() -> None:
    plan = StaffingPlan(interval_min=30, open_min=480, agents=(1, 2, 3, 4, 5))  # from 08:00
    scenario, staffing = align_plan(day_of(5.0, hours=2), plan)
    assert scenario.interval_min == 30
    assert staffing == [3, 4, 5, 0]  # 09:00…10:30; 10:30 is past the plan's end


def test_a_plan_off_the_scenarios_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="grid"):
        align_plan(day_of(5.0), StaffingPlan(30, 555, (3, 3)))
    with pytest.raises(ValueError, match="no agents"):
        align_plan(day_of(5.0), StaffingPlan(30, 540, (0, 0)))


def test_expected_traffic_counts_talk_and_after_contact_work_over_the_profile() -> None:
    scenario = align_plan(day_of(10.0), StaffingPlan(30, 540, (12,) * 16))[0]
    traffic = expected_traffic(scenario, one_queue_center(acw_s=30.0))
    assert len(traffic.calls) == 16
    assert traffic.calls[0] == pytest.approx(10.0 / AHT_S * 1800)
    assert traffic.aht_s == pytest.approx(AHT_S + 30.0)
    assert traffic.patience_s == 300.0
    assert traffic.answer_time_s == 20.0


def test_a_simulated_mm_n_m_day_delivers_what_erlang_a_planned() -> None:
    """One queue, Poisson arrivals, exponential handling and patience: the model's own case."""
    plan = StaffingPlan(30, 540, (12,) * 16)
    checked = check_plan(day_of(10.0), one_queue_center(), plan, runs=2).intervals
    assert len(checked) == 16
    offered = sum(c.realized.offered for c in checked)
    assert offered == pytest.approx(2 * 2400, rel=0.05)
    realized = sum(c.realized.answered_in_target for c in checked) / offered
    planned = checked[0].planned
    assert planned.abandonment is not None
    assert realized == pytest.approx(planned.service_level, abs=0.04)
    abandoned = sum(c.realized.abandoned for c in checked) / offered
    assert abandoned == pytest.approx(planned.abandonment, abs=0.015)
    assert all(c.realized.agents_staffed == pytest.approx(12.0) for c in checked)


def test_erlang_c_can_be_asked_for_and_erlang_a_needs_exponential_patience() -> None:
    plan = StaffingPlan(30, 540, (12,) * 4)
    checked = check_plan(day_of(10.0, hours=2), one_queue_center(), plan, model="erlang-c")
    assert list(checked.queues) == ["q"]
    assert checked.queues["q"].offered == sum(c.realized.offered for c in checked.intervals)
    assert all(c.planned.abandonment is None for c in checked.intervals)
    fixed = replace(day_of(10.0, hours=2), mix=(ContactKind("q", 1.0, patience=Fixed(60.0)),))
    with pytest.raises(ValueError, match="exponential"):
        check_plan(fixed, one_queue_center(), plan, model="erlang-a")


def test_plan_files_are_read_and_their_problems_name_the_file(tmp_path: Path) -> None:
    good = tmp_path / "plan.json"
    good.write_text(json.dumps({"interval_min": 30, "open": "09:00", "staffing_plan": [3, 4]}))
    assert read_plan_json(good) == StaffingPlan(30, 540, (3, 4))
    broken = tmp_path / "broken.json"
    broken.write_text('{"interval_min": 30,\n "open": }')
    with pytest.raises(WfmInputError, match=r"broken\.json:2: not JSON"):
        read_plan_json(broken)
    negative = tmp_path / "negative.json"
    negative.write_text(json.dumps({"interval_min": 30, "staffing_plan": [3, -1]}))
    with pytest.raises(WfmInputError, match="staffing_plan"):
        read_plan_json(negative)


SCENARIO = """\
name: check-me
center: sample
date: 2026-11-24
hours: {open: "09:00", close: "11:00"}
seed: 7
interval_minutes: 30
volume: 300
profile: flat
weekday_factors: flat
drain_minutes: 20
contacts:
  - queue: general
    share: 1.0
    handle_time: {distribution: exponential, mean: 180}
    patience: {distribution: exponential, mean: 180}
agents:
  - name: day
    count: 1
    skills: {general: 5}
    shift: "09:00-11:00"
"""


def test_wfm_check_prints_planned_beside_simulated_figures_as_json(tmp_path: Path) -> None:
    scenario = tmp_path / "day.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"interval_min": 30, "open": "09:00", "staffing_plan": [8] * 4}))
    result = runner.invoke(
        app, ["wfm", "check", str(plan), "--scenario", str(scenario), "--runs", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["model"] == "erlang-a"
    assert document["runs"] == 2
    assert [row["interval_start"] for row in document["intervals"]] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]
    row = document["intervals"][0]
    assert row["agents"] == 8
    for key in ("service_level", "asa_s", "abandonment", "occupancy"):
        assert row[key] is not None
        assert row[f"planned_{key}"] is not None
    assert document["day"]["offered"] > 0
    assert document["queues"]["general"]["offered"] == document["day"]["offered"]
    table = runner.invoke(app, ["wfm", "check", str(plan), "--scenario", str(scenario)])
    assert table.exit_code == 0, table.output
    assert "SL" in table.output
    assert "09:30" in table.output


def test_wfm_schedule_simulate_adds_the_check_to_the_schedule(tmp_path: Path) -> None:
    scenario = tmp_path / "day.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    requirement = tmp_path / "req.csv"
    requirement.write_text("interval_start,agents\n09:00,7\n09:30,8\n10:00,8\n10:30,6\n")
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text("patterns:\n  - {name: short, length: 2h, starts: '09:00-10:00/30m'}\n")
    result = runner.invoke(
        app,
        [
            "wfm",
            "schedule",
            str(requirement),
            "--patterns",
            str(patterns),
            "--simulate",
            str(scenario),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    simulated = document["simulation"]["intervals"]
    assert [row["agents"] for row in simulated] == [s["agents"] for s in document["staffing"]]
    assert all(row["offered"] >= 0 for row in simulated)


def test_wfm_check_errors_name_the_file_or_the_flag(tmp_path: Path) -> None:
    scenario = tmp_path / "day.yaml"
    scenario.write_text(SCENARIO.replace("queue: general", "queue: nowhere"), encoding="utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"interval_min": 30, "open": "09:00", "staffing_plan": [8] * 4}))
    bad_scenario = runner.invoke(app, ["wfm", "check", str(plan), "--scenario", str(scenario)])
    assert bad_scenario.exit_code == 2
    assert f"{scenario}:" in bad_scenario.output
    assert "nowhere" in bad_scenario.output
    runs = runner.invoke(
        app, ["wfm", "check", str(plan), "--scenario", str(scenario), "--runs", "0"]
    )
    assert runs.exit_code != 0
    assert "--runs" in runs.output
    missing = runner.invoke(
        app, ["wfm", "check", str(tmp_path / "none.json"), "--scenario", str(scenario)]
    )
    assert missing.exit_code == 2
    assert "none.json" in missing.output
