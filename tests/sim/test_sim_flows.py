"""Contacts that start in a contact flow run through the real flow interpreter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from madoguchi.core.flows.events import FlowEntered, FlowExited
from madoguchi.core.routing import events as re
from madoguchi.sim.driver import Simulation
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.scenario_loader import ScenarioError

SAMPLE = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios/sample_day.yaml"


def test_given_a_flow_kind_when_simulated_then_its_callers_walk_the_ivr_into_the_queue() -> None:
    scenario, center = load_scenario_file(SAMPLE)
    scenario = replace(scenario, volume=400)
    simulation = Simulation(scenario, center, keep_log=True)
    result = simulation.run()
    entered = [e for e in result.log if isinstance(e, FlowEntered)]
    exited = [e for e in result.log if isinstance(e, FlowExited)]
    assert entered
    assert len(exited) == len(entered)
    assert result.flow_outcomes == {"queued": len(entered)}
    flow_contacts = {e.contact_id for e in entered}
    queued = {e.contact_id: e.queue_id for e in result.log if isinstance(e, re.ContactQueued)}
    assert {queued[c] for c in flow_contacts} == {"general"}  # key 3: products and services
    # the caller needed at least the menu answer delay (4 s) before reaching the queue
    started = {e.contact_id: e.at for e in entered}
    waits = [
        e.at - started[e.contact_id]
        for e in result.log
        if isinstance(e, re.ContactQueued) and e.contact_id in started
    ]
    assert min(waits) >= 4.0
    assert simulation.refused == []


def test_given_a_holiday_when_callers_reach_the_flow_then_it_closes_and_nobody_queues() -> None:
    scenario, center = load_scenario_file(SAMPLE)
    holiday = replace(scenario, day=date(2026, 11, 23), volume=300)  # 勤労感謝の日
    result = Simulation(holiday, center).run()
    assert set(result.flow_outcomes) == {"closed"}
    phones = {q: t for q, t in result.queues.items() if q != "chat"}  # chat is open 24 h
    assert phones
    assert all(t.answered == 0 for t in phones.values())


def test_given_a_missing_flow_file_when_loaded_then_the_scenario_line_is_reported(
    tmp_path: Path,
) -> None:
    text = SAMPLE.read_text().replace("../flows/main-number.yaml", "nowhere.yaml")
    path = tmp_path / "day.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "nowhere.yaml" in t)
    assert str(info.value.problems[0]).startswith(f"{path}:{line}: cannot read flow")


def test_given_a_broken_flow_when_loaded_then_the_flow_file_and_line_are_reported(
    tmp_path: Path,
) -> None:
    (tmp_path / "ivr.yaml").write_text(
        "flow: broken\nversion: 1\nname: {ja: 壊れた}\nstart: nowhere\nnodes:\n"
        "  hello:\n    type: say\n    prompt: {ja: こんにちは}\n    next: gone\n"
    )
    text = SAMPLE.read_text().replace("../flows/main-number.yaml", "ivr.yaml")
    path = tmp_path / "day.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario_file(path)
    assert all(str(p).startswith(f"{tmp_path / 'ivr.yaml'}:") for p in info.value.problems)
