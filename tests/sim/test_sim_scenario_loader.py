"""Scenario files: good ones load, bad ones are refused with FILE:LINE: messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.core.config import CenterConfig
from madoguchi.samples import load_sample_center
from madoguchi.sim.distributions import Exponential, Fixed, Lognormal, Uniform
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.scenario_loader import ScenarioError, parse_scenario

SAMPLE = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios/sample_day.yaml"

GOOD = """\
name: small
center: sample
date: 2026-11-24
hours: {open: "09:00", close: "18:00"}
volume: 500
contacts:
  - queue: general
    share: 1
    handle_time: {distribution: lognormal, mean: 200, cv: 0.5}
    patience: {distribution: exponential, mean: 120}
agents:
  - {name: day, count: 5, skills: {general: 5}, shift: "09:00-18:00"}
"""


@pytest.fixture(scope="module")
def center() -> CenterConfig:
    return load_sample_center()


def problems(text: str, center: CenterConfig) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "day.yaml", center)
    return [str(p) for p in info.value.problems]


def test_given_a_complete_scenario_when_parsed_then_every_field_is_read(
    center: CenterConfig,
) -> None:
    scenario = parse_scenario(GOOD, "day.yaml", center)
    assert (scenario.open_min, scenario.close_min) == (540, 1080)
    assert scenario.mix[0].handle_time == Lognormal(200.0, 0.5)
    assert scenario.mix[0].patience == Exponential(120.0)
    assert scenario.pools[0].count == 5
    assert scenario.pools[0].skills == (("general", 5),)
    assert scenario.expected_volume == pytest.approx(500 * 1.05)  # a Tuesday


def test_given_the_shipped_sample_day_when_loaded_then_it_references_the_sample_center() -> None:
    scenario, center = load_scenario_file(SAMPLE)
    assert scenario.name == "sample-day"
    assert {k.queue for k in scenario.mix} <= {q.id for q in center.queues}
    complaints = next(k for k in scenario.mix if k.queue == "complaints")
    assert isinstance(complaints.after_contact_work, Uniform)
    flow_kind = next(k for k in scenario.mix if k.flow is not None)
    assert flow_kind.flow_keys == ("3", "1", "1")
    assert [ref for ref, _ in scenario.flows] == [flow_kind.flow]


def test_given_an_unknown_queue_when_parsed_then_its_line_is_reported(
    center: CenterConfig,
) -> None:
    text = GOOD.replace("queue: general", "queue: nowhere")
    assert problems(text, center) == ["day.yaml:7: unknown queue 'nowhere'"]


def test_given_an_unknown_skill_when_parsed_then_its_line_is_reported(
    center: CenterConfig,
) -> None:
    text = GOOD.replace("skills: {general: 5}", "skills: {juggling: 5}")
    assert problems(text, center) == ["day.yaml:12: unknown skill 'juggling'"]


def test_given_negative_rates_when_parsed_then_each_is_reported_with_its_line(
    center: CenterConfig,
) -> None:
    text = GOOD.replace("volume: 500", "volume: -5").replace("share: 1", "share: -0.5")
    found = problems(text, center)
    assert "day.yaml:5: 'volume' must be at least 0, not -5" in found
    assert "day.yaml:8: 'share' must be at least 0, not -0.5" in found


def test_given_a_profile_with_a_gap_when_parsed_then_it_does_not_cover_the_day(
    center: CenterConfig,
) -> None:
    text = GOOD + (
        "profile:\n"
        "  - {start: '09:00', end: '12:00', weight: 1.5}\n"
        "  - {start: '13:00', end: '18:00', weight: 1.0}\n"
    )
    assert problems(text, center) == [
        "day.yaml:13: the profile does not cover the open hours (every minute needs a segment)"
    ]


def test_given_a_profile_ending_before_closing_when_parsed_then_it_is_refused(
    center: CenterConfig,
) -> None:
    text = GOOD + "profile:\n  - {start: '09:00', end: '17:00', weight: 1}\n"
    assert any("does not cover" in p for p in problems(text, center))


def test_given_unknown_agents_and_bad_distributions_when_parsed_then_all_are_listed(
    center: CenterConfig,
) -> None:
    text = GOOD.replace(
        '  - {name: day, count: 5, skills: {general: 5}, shift: "09:00-18:00"}',
        "  - {name: named, ids: [op01, ghost]}",
    ).replace("distribution: exponential, mean: 120", "distribution: gamma, mean: 120")
    found = problems(text, center)
    assert "day.yaml:12: unknown agent 'ghost'" in found
    assert any(p.startswith("day.yaml:10: 'patience': distribution must be one of") for p in found)


def test_given_yaml_that_does_not_parse_when_loaded_then_the_line_is_given(
    center: CenterConfig,
) -> None:
    found = problems("name: x\ncontacts: [\n", center)
    assert found[0].startswith("day.yaml:3:")


def test_given_a_number_for_a_duration_when_parsed_then_it_is_fixed(center: CenterConfig) -> None:
    text = GOOD.replace("{distribution: exponential, mean: 120}", "90")
    assert parse_scenario(text, "day.yaml", center).mix[0].patience == Fixed(90.0)


def test_given_a_missing_center_file_when_loaded_then_the_center_line_is_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "day.yaml"
    path.write_text(GOOD.replace("center: sample", "center: nowhere.yaml"))
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    assert str(info.value.problems[0]).startswith(f"{path}:2: cannot read center")


def test_given_pool_capacities_when_parsed_then_channels_are_checked(center: CenterConfig) -> None:
    good = GOOD.replace('shift: "09:00-18:00"}', 'shift: "09:00-18:00", capacity: {chat: 3}}')
    pool = parse_scenario(good, "day.yaml", center).pools[0]
    assert [(c.value, n) for c, n in pool.capacity] == [("chat", 3)]
    bad = GOOD.replace('shift: "09:00-18:00"}', 'shift: "09:00-18:00", capacity: {fax: 1}}')
    assert problems(bad, center) == ["day.yaml:12: unknown channel 'fax'"]
