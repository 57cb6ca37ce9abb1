"""``madoguchi bench sim``: a simulated day through the real routing engine vs SimPy.

Scenarios (files in ``madoguchi/samples/scenarios/``):

- ``day``: 12 hours, about 30,000 calls, 200 agents, one skill, FCFS, lognormal handling
  (mean 210 s, CV 1), exponential patience (mean 180 s), fixed seed;
- ``day10x``: the same with 300,000 calls and 2,000 agents (linear scaling is the target);
- ``two_skills``: 30,000 calls over two skills, 80 + 80 single-skilled and 40 dual agents;
- ``day_tight``: ``day`` with 150 agents, so that callers do abandon and the comparison of
  abandonment means something.

Each is also run in the SimPy reference model (:mod:`madoguchi.sim.reference`, independent
code and random numbers) and the counts must agree within statistical tolerance: the difference
of two independent runs' answered (abandoned) counts within 4 standard deviations, taking each
count as Poisson-like. The madoguchi time includes drawing the arrivals and building the
engine; the SimPy time includes its own drawing.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from madoguchi.core.config import CenterConfig
from madoguchi.sim.driver import Simulation
from madoguchi.sim.files import load_scenario_file
from madoguchi.sim.reference import ReferenceDay, ReferenceResult, run_reference
from madoguchi.sim.results import SimResult
from madoguchi.sim.scenario import Scenario


def _scenario(name: str) -> tuple[Scenario, CenterConfig]:
    path = Path(str(files("madoguchi.samples").joinpath("scenarios", name)))
    return load_scenario_file(path)


def _reference_day(scenario: Scenario, center: CenterConfig) -> ReferenceDay:
    kind = scenario.mix[0]
    handle = kind.handle_time
    patience = kind.patience
    agents: list[frozenset[str]] = []
    for pool in scenario.pools:
        agents += [frozenset(s for s, _ in pool.skills)] * pool.count
    return ReferenceDay(
        duration_s=(scenario.close_min - scenario.open_min) * 60.0,
        calls=scenario.expected_volume,
        agents=tuple(agents),
        skill_shares=tuple((center.queue(k.queue).skills[0].skill, k.share) for k in scenario.mix),
        handle_mean_s=handle.mean,
        handle_cv=getattr(handle, "cv", 0.0),
        patience_mean_s=None if patience is None else patience.mean,
        seed=scenario.seed,
    )


def _agree(a: int, b: int) -> bool:
    return abs(a - b) <= 4.0 * math.sqrt(a + b) + 5


def _measure(scenario: Scenario, center: CenterConfig) -> tuple[float, SimResult, int]:
    started = time.perf_counter()
    simulation = Simulation(scenario, center)
    result = simulation.run()
    return time.perf_counter() - started, result, len(simulation.refused)


def _reference(scenario: Scenario, center: CenterConfig) -> tuple[float, ReferenceResult]:
    started = time.perf_counter()
    result = run_reference(_reference_day(scenario, center))
    return time.perf_counter() - started, result


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run the scenarios; print a table; return the JSON document."""
    day, center = _scenario("bench_day.yaml")
    two, two_center = _scenario("bench_two_skills.yaml")
    cases: list[tuple[str, Scenario, CenterConfig]] = [
        ("day", day, center),
        ("day_tight", replace(day.with_agents(150), name="day_tight"), center),
        ("two_skills", two, two_center),
    ]
    if not quick:
        big = replace(day.with_volume_factor(10.0).with_agents(2000), name="day10x")
        cases.insert(1, ("day10x", big, center))
    document: dict[str, Any] = {}
    table = Table(title="simulated day: madoguchi (real engine) vs SimPy reference")
    for column in (
        "scenario",
        "calls",
        "agents",
        "madoguchi s",
        "SimPy s",
        "speedup",
        "answered",
        "SimPy answered",
        "abandoned",
        "SimPy abandoned",
        "agree",
        "µs/contact",
    ):
        table.add_column(column, justify="right")
    for name, scenario, config in cases:
        console.print(f"running {name} …")
        ours_s, ours, refused = _measure(scenario, config)
        theirs_s, theirs = _reference(scenario, config)
        agree = _agree(ours.total.answered, theirs.answered) and _agree(
            ours.total.abandoned, theirs.abandoned
        )
        per_contact = ours_s / max(ours.total.offered, 1) * 1e6
        document[name] = {
            "madoguchi_s": round(ours_s, 4),
            "simpy_s": round(theirs_s, 4),
            "speedup": round(theirs_s / ours_s, 3),
            "offered": ours.total.offered,
            "answered": ours.total.answered,
            "abandoned": ours.total.abandoned,
            "simpy_offered": theirs.offered,
            "simpy_answered": theirs.answered,
            "simpy_abandoned": theirs.abandoned,
            "agree": agree,
            "engine_commands": ours.commands,
            "engine_events": ours.events,
            "refused_commands": refused,
            "us_per_contact": round(per_contact, 2),
            "agents": sum(p.count for p in scenario.pools),
        }
        table.add_row(
            name,
            str(ours.total.offered),
            str(document[name]["agents"]),
            f"{ours_s:.3f}",
            f"{theirs_s:.3f}",
            f"{theirs_s / ours_s:.2f}×",
            str(ours.total.answered),
            str(theirs.answered),
            str(ours.total.abandoned),
            str(theirs.abandoned),
            "yes" if agree else "[red]NO[/]",
            f"{per_contact:.1f}",
        )
    if "day10x" in document:
        ratio = document["day10x"]["madoguchi_s"] / document["day"]["madoguchi_s"]
        document["day10x"]["scaling_vs_day"] = round(ratio, 2)
        console.print(f"day10x / day time: {ratio:.1f} (10 would be linear)")
    console.print(table)
    return document
