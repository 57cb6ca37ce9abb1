"""The driver: a day through the real routing engine, reproducible and consistent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from madoguchi.core.config import CenterConfig
from madoguchi.core.events import to_record
from madoguchi.core.model import AgentState
from madoguchi.core.routing import events as re
from madoguchi.sim.distributions import Exponential, Fixed, Lognormal
from madoguchi.sim.driver import Simulation, run_scenario
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.scenario import AgentPool, Break, Redial, Scenario

SCENARIOS = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios"


def small_day() -> tuple[Scenario, CenterConfig]:
    """Two hours of the two-skill bench center: 600 calls, 8 agents in three pools."""
    scenario, center = load_scenario_file(SCENARIOS / "bench_two_skills.yaml")
    scenario = replace(
        scenario,
        open_min=9 * 60,
        close_min=11 * 60,
        volume=600,
        interval_min=30,
        drain_min=30,
        pools=(
            AgentPool("a", 3, 540, 680, skills=(("a", 5),), ring_delay=Fixed(2.0)),
            AgentPool(
                "b",
                3,
                540,
                680,
                skills=(("b", 5),),
                ring_delay=Fixed(2.0),
                breaks=(Break(600, 10, spread_min=30),),
            ),
            AgentPool("ab", 2, 540, 680, skills=(("a", 5), ("b", 5)), ring_delay=Fixed(0.0)),
        ),
        mix=tuple(
            replace(k, handle_time=Lognormal(120.0, 1.0), patience=Exponential(90.0))
            for k in scenario.mix
        ),
        redial=Redial(0.5, Fixed(120.0), 3),
    )
    return scenario, center


@pytest.fixture(scope="module")
def small() -> tuple[Scenario, CenterConfig]:
    return small_day()


def test_given_the_same_seed_when_run_twice_then_the_event_logs_are_identical(
    small: tuple[Scenario, CenterConfig],
) -> None:
    first = run_scenario(*small, keep_log=True)
    second = run_scenario(*small, keep_log=True)
    assert len(first.log) == first.events > 1000
    assert [to_record(e) for e in first.log] == [to_record(e) for e in second.log]


def test_given_another_seed_when_run_then_the_day_differs(
    small: tuple[Scenario, CenterConfig],
) -> None:
    scenario, center = small
    first = run_scenario(scenario, center)
    other = run_scenario(replace(scenario, seed=scenario.seed + 1), center)
    assert first.as_dict() != other.as_dict()


def test_given_a_busy_day_when_simulated_then_every_contact_ends_exactly_once(
    small: tuple[Scenario, CenterConfig],
) -> None:
    simulation = Simulation(*small, keep_log=True)
    result = simulation.run()
    queued = [e.contact_id for e in result.log if isinstance(e, re.ContactQueued)]
    ended = [e.contact_id for e in result.log if isinstance(e, re.ContactEnded)]
    assert len(ended) == len(set(ended)) == len(set(queued))
    total = result.total
    assert total.offered == total.answered + total.abandoned + total.ended_other
    assert total.abandoned > 0
    assert result.redials > 0
    assert simulation.refused == []


def test_given_offers_when_agents_answer_then_no_agent_talks_to_two_callers_at_once(
    small: tuple[Scenario, CenterConfig],
) -> None:
    result = run_scenario(*small, keep_log=True)
    talking: dict[str, str] = {}
    for item in result.log:
        if isinstance(item, re.ContactConnected):
            assert item.agent_id not in talking
            talking[item.agent_id] = item.contact_id
        elif isinstance(item, re.ContactEnded) and item.agent_id is not None:
            assert talking.pop(item.agent_id) == item.contact_id


def test_given_a_ring_delay_when_offered_then_the_answer_comes_that_much_later(
    small: tuple[Scenario, CenterConfig],
) -> None:
    result = run_scenario(*small, keep_log=True)
    offered = {e.contact_id: e for e in result.log if isinstance(e, re.ContactOffered)}
    for item in result.log:
        if isinstance(item, re.ContactConnected):
            delay = 0.0 if item.agent_id.startswith("sim-ab-") else 2.0
            assert item.at - offered[item.contact_id].at == pytest.approx(delay)


def test_given_breaks_when_simulated_then_agents_go_not_ready_and_come_back(
    small: tuple[Scenario, CenterConfig],
) -> None:
    result = run_scenario(*small, keep_log=True)
    changes = [e for e in result.log if isinstance(e, re.AgentStateChanged)]
    on_break = {e.agent_id for e in changes if e.reason == "break"}
    assert on_break == {f"sim-b-{n:04d}" for n in (1, 2, 3)}
    for agent_id in on_break:
        mine = [e for e in changes if e.agent_id == agent_id]
        went = next(i for i, e in enumerate(mine) if e.reason == "break")
        assert any(e.state is AgentState.AVAILABLE for e in mine[went:])
    assert all(t.not_ready_s > 0 for a, t in result.agents.items() if a in on_break)


def test_given_shifts_that_end_when_simulated_then_everyone_signs_out(
    small: tuple[Scenario, CenterConfig],
) -> None:
    result = run_scenario(*small, keep_log=True)
    last: dict[str, AgentState] = {}
    for item in result.log:
        if isinstance(item, re.AgentStateChanged):
            last[item.agent_id] = item.state
    assert set(last.values()) == {AgentState.LOGGED_OUT}


def test_given_more_agents_when_compared_then_fewer_callers_abandon(
    small: tuple[Scenario, CenterConfig],
) -> None:
    scenario, center = small
    few = run_scenario(scenario, center)
    many = run_scenario(scenario.with_agents(16), center)
    assert many.total.offered - many.redials == few.total.offered - few.redials
    assert many.total.abandoned < few.total.abandoned
    assert many.total.service_level is not None
    assert few.total.service_level is not None
    assert many.total.service_level > few.total.service_level


def test_given_a_staffing_plan_when_simulated_then_agents_follow_it(
    small: tuple[Scenario, CenterConfig],
) -> None:
    scenario, center = small
    result = run_scenario(scenario, center, staffing_plan=[2, 6, 10, 4])
    staffed = [i.agents_staffed for i in result.intervals]
    assert [round(n) for n in staffed[:3]] == [2, 6, 10]
    assert 4 <= staffed[3] < 6  # those signing out during a call leave when it ends


def test_given_the_sample_day_when_simulated_then_the_sample_center_handles_it() -> None:
    scenario, center = load_scenario_file(SCENARIOS / "sample_day.yaml")
    simulation = Simulation(replace(scenario, volume=600), center)
    result = simulation.run()
    assert result.total.answered > 0.8 * result.total.offered
    assert set(result.queues) == {"general", "orders", "complaints", "tech", "chat"}
    assert result.queues["chat"].answered > 0
    assert simulation.refused == []
    morning = result.intervals[2].contacts.offered + result.intervals[3].contacts.offered
    evening = result.intervals[-2].contacts.offered + result.intervals[-1].contacts.offered
    assert morning > evening


def test_given_an_after_contact_work_distribution_when_simulated_then_agents_wrap_up_early(
    small: tuple[Scenario, CenterConfig],
) -> None:
    scenario, center = small
    quick_acw = replace(
        scenario, mix=tuple(replace(k, after_contact_work=Fixed(5.0)) for k in scenario.mix)
    )
    center = replace(
        center,
        queues=tuple(replace(q, after_contact_work_s=600.0) for q in center.queues),
        _index={},
    )
    result = run_scenario(quick_acw, center, keep_log=True)
    wrapped = [e for e in result.log if isinstance(e, re.ContactWrappedUp)]
    assert wrapped
    assert all(
        not e.auto and e.acw_s == pytest.approx(5.0)
        for e in wrapped
        if e.at < scenario.epoch_at(scenario.close_min, center.timezone)
    )


def test_given_a_plan_in_15_minute_steps_when_simulated_then_30_minute_reports_average_it(
    small: tuple[Scenario, CenterConfig],
) -> None:
    scenario, center = small
    result = run_scenario(
        scenario, center, staffing_plan=[2, 4, 6, 6, 8, 8, 8, 8], plan_interval_min=15
    )
    staffed = [i.agents_staffed for i in result.intervals]
    assert staffed[0] == pytest.approx(3.0)
    assert staffed[1] == pytest.approx(6.0)
    assert staffed[2] == pytest.approx(8.0)
