"""The engine-driven simulator and the independent SimPy model agree caller for caller."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from madoguchi.bench.sim import _reference_day, _same_callers
from madoguchi.sim.driver import Simulation
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.reference import run_reference

SCENARIOS = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios"


@pytest.mark.parametrize(
    ("name", "agents"), [("bench_day.yaml", 15), ("bench_two_skills.yaml", 16)]
)
def test_given_the_same_callers_when_both_models_run_then_the_counts_match(
    name: str, agents: int
) -> None:
    scenario, center = load_scenario_file(SCENARIOS / name)
    # two busy hours: about 600 calls on a little too few agents, so that callers do abandon
    scenario = replace(scenario, close_min=scenario.open_min + 120, volume=600)
    scenario = scenario.with_agents(agents)
    simulation = Simulation(scenario, center)
    ours = simulation.run().total
    theirs = _same_callers(simulation, scenario, center)
    assert ours.abandoned > 20
    assert theirs.offered == ours.offered
    assert (theirs.answered, theirs.abandoned) == (ours.answered, ours.abandoned)


def test_given_its_own_draws_when_the_reference_runs_then_the_volume_is_as_asked() -> None:
    scenario, center = load_scenario_file(SCENARIOS / "bench_day.yaml")
    result = run_reference(replace(_reference_day(scenario, center), duration_s=3600.0, calls=2500))
    assert abs(result.offered - 2500) < 4 * 50
    assert result.answered + result.abandoned <= result.offered
