"""Reports: the CSV interval table, the JSON summary and the self-contained HTML page."""

from __future__ import annotations

import json

from madoguchi.core.model import AgentState
from madoguchi.sim.report import INTERVAL_COLUMNS, to_csv, to_html, to_json
from madoguchi.sim.results import ResultCollector, SimResult

START = 1_800_000_000.0


def small_day(name: str = "day") -> SimResult:
    collector = ResultCollector(START, 900.0, 2, ["09:00", "09:15"])
    collector.agent_state("a1", AgentState.AVAILABLE, START)
    collector.offered("q", START + 10)
    collector.answered("q", START + 10, 5.0, 100.0, 20.0)
    collector.agent_state("a1", AgentState.ON_CONTACT, START + 15)
    collector.handled_by("a1")
    collector.agent_state("a1", AgentState.AVAILABLE, START + 115)
    collector.offered("q", START + 1000)
    collector.abandoned("q", START + 1000)
    return collector.result(name, START + 1800, commands=5, events=9)


def test_given_a_day_when_tallied_then_intervals_queues_and_agents_add_up() -> None:
    result = small_day()
    first, second = result.intervals
    assert (first.contacts.offered, first.contacts.answered, second.contacts.abandoned) == (
        1,
        1,
        1,
    )
    assert first.agents.busy_s == 100.0
    assert first.agents.occupancy == 100.0 / 900.0
    assert second.agents_staffed == 1.0
    assert result.queues["q"].service_level == 0.5
    assert result.agents["a1"].handled == 1


def test_given_a_result_when_written_as_csv_then_one_row_per_interval() -> None:
    lines = to_csv(small_day()).splitlines()
    assert lines[0].split(",") == list(INTERVAL_COLUMNS)
    assert lines[1].startswith("09:00,1,1,0,1.0000")
    assert len(lines) == 3


def test_given_two_results_when_written_as_json_then_a_list_comes_out() -> None:
    document = json.loads(to_json([small_day("a"), small_day("b")]))
    assert [d["scenario"] for d in document] == ["a", "b"]
    assert document[0]["total"]["offered"] == 2


def test_given_a_result_when_rendered_as_html_then_charts_are_inline_svg_without_scripts() -> None:
    page = to_html([small_day("40 agents"), small_day("45 agents")], target=0.8)
    assert page.count("<svg") == 4
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    for title in ("Contacts by interval", "Service level", "Occupancy", "Agents signed in"):
        assert title in page
    assert "45 agents" in page


def test_given_two_results_when_written_as_csv_then_a_scenario_column_leads() -> None:
    lines = to_csv([small_day("a"), small_day("b")]).splitlines()
    assert lines[0].startswith("scenario,start,")
    assert [line.split(",")[0] for line in lines[1:]] == ["a", "a", "b", "b"]
