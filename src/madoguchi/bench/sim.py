"""``madoguchi bench sim``: a simulated day through the real routing engine vs SimPy.

Scenarios (files in ``madoguchi/samples/scenarios/``):

- ``day``: 12 hours, about 30,000 calls, 200 agents, one skill, FCFS, lognormal handling
  (mean 210 s, CV 1), exponential patience (mean 180 s), fixed seed;
- ``day10x``: the same with 300,000 calls and 2,000 agents (linear scaling is the target);
- ``two_skills``: 30,000 calls over two skills, 80 + 80 single-skilled and 40 dual agents;
- ``day_tight``: ``day`` with 150 agents, so that callers do abandon and the comparison of
  abandonment means something.

Both models are timed by the wall clock and by the thread's CPU clock, best of ``REPEATS``
alternating runs (one with ``--quick`` and for ``day10x``): the machines are shared, and the CPU
figures and their ratio move less with the other jobs' load.

Scaling (not with ``--quick``): ``day`` at 1×, 2×, 5× and 10× (calls and agents), one run of
each model per size, by thread CPU time: the CPU time per contact of each size over that of 1×
(1.0 everywhere is linear), with SimPy's beside it as the anchor for what the machine does to
any Python model of a growing day (cache, memory).

The engine's floor: the same ``day`` with the engine's entry points timed gives the engine's
own time per contact; set against SimPy's whole time per contact, it says how fast the
simulation could get with a driver that cost nothing.

Each is also run in the SimPy reference model (:mod:`madoguchi.sim.reference`: independent
code) twice. Timed: with its own random numbers, as a SimPy model is normally written (its time
includes its drawing, as ours includes drawing the arrivals and building the engine). Untimed:
fed the very callers the simulation saw (arrival, handle time, patience), so the two models can
be compared caller for caller. "agree" means: with the same callers, answered and abandoned
counts within 0.5 % of the offered calls; with independent draws, answered within four
standard deviations (Poisson-like). Abandonment of independent draws near full load is far more
variable than Poisson (one day's count varied 392–775 over four seeds), so it is shown but not
tested that way.
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

REPEATS = 3
"""Runs of each model per scenario (best kept); one with --quick and for day10x."""


def _scenario(name: str) -> tuple[Scenario, CenterConfig]:
    path = Path(str(files("madoguchi.samples").joinpath("scenarios", name)))
    return load_scenario_file(path)


def _reference_day(scenario: Scenario, center: CenterConfig) -> ReferenceDay:
    kind = scenario.mix[0]
    handle = kind.handle_time
    patience = kind.patience
    # agents in the order they sign in (by id), so that both models start with the same
    # longest-idle order
    named: list[tuple[str, frozenset[str]]] = []
    for pool in scenario.pools:
        prefix = pool.prefix if pool.prefix is not None else f"sim-{pool.name}-"
        skills = frozenset(s for s, _ in pool.skills)
        named += [(f"{prefix}{n:04d}", skills) for n in range(1, pool.count + 1)]
    agents = [skills for _, skills in sorted(named)]
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


def _measure(
    scenario: Scenario, center: CenterConfig
) -> tuple[float, float, SimResult, Simulation]:
    """One run of ours: wall seconds, thread CPU seconds, the day and the simulation."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    simulation = Simulation(scenario, center)
    result = simulation.run()
    return time.perf_counter() - started, time.thread_time() - started_cpu, result, simulation


def _reference(scenario: Scenario, center: CenterConfig) -> tuple[float, float, ReferenceResult]:
    """One run of the SimPy model: wall seconds, thread CPU seconds and its day."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    result = run_reference(_reference_day(scenario, center))
    return time.perf_counter() - started, time.thread_time() - started_cpu, result


def _same_callers(
    simulation: Simulation, scenario: Scenario, center: CenterConfig
) -> ReferenceResult:
    """The reference model fed the very callers the simulation saw (not timed)."""
    arrivals = simulation.arrivals
    skills = [center.queue(k.queue).skills[0].skill for k in scenario.mix]
    callers = tuple(
        (at, skills[kind], handle, patience)
        for at, kind, handle, patience in zip(
            arrivals.times.tolist(),
            arrivals.kinds.tolist(),
            arrivals.handle_times.tolist(),
            arrivals.patience.tolist(),
            strict=True,
        )
    )
    return run_reference(replace(_reference_day(scenario, center), callers=callers))


def _engine_share(scenario: Scenario, center: CenterConfig) -> dict[str, Any]:
    """Run ``scenario`` again with the engine's entry points timed: where the time goes.

    The wrappers read the wall clock (about 0.1 µs; the thread's CPU clock is a system call
    costing ~0.6 µs, too much to read four times per contact) and add about a microsecond per
    call, booked to the driver's side. The shares are then applied to the run's CPU time, so the
    µs figures are CPU time: other jobs' load stretches both sides alike.
    """
    simulation = Simulation(scenario, center)
    engine = simulation.engine
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    clock = time.perf_counter
    receive, handle_timer, next_timer = engine.receive, engine.handle_timer, engine.next_timer

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            started = clock()
            try:
                return function(*args)
            finally:
                key = type(args[0]).__name__ if name == "receive" else name
                spent[key] = spent.get(key, 0.0) + clock() - started
                calls[key] = calls.get(key, 0) + 1

        return wrapper

    engine.receive = timed("receive", receive)  # type: ignore[method-assign]
    engine.handle_timer = timed("handle_timer", handle_timer)  # type: ignore[method-assign]
    engine.next_timer = timed("next_timer", next_timer)  # type: ignore[method-assign]
    started, started_cpu = clock(), time.thread_time()
    result = simulation.run()
    total, cpu = clock() - started, time.thread_time() - started_cpu
    contacts = max(result.total.offered, 1)
    inside = sum(spent.values())
    share = inside / total
    to_cpu = cpu / total  # wall seconds → CPU seconds of this run
    return {
        "engine_us_per_contact": round(share * cpu / contacts * 1e6, 2),
        "driver_us_per_contact": round((1 - share) * cpu / contacts * 1e6, 2),
        "engine_share": round(share, 3),
        "cpu_s": round(cpu, 3),
        "by_call_us": {
            key: {
                "calls": calls[key],
                "us_per_call": round(spent[key] * to_cpu / calls[key] * 1e6, 2),
            }
            for key in sorted(spent, key=lambda k: -spent[k])
        },
    }


_COLUMNS = (
    "scenario",
    "calls",
    "agents",
    "ours s",
    "SimPy s",
    "speed-up",
    "CPU s ours / SimPy",
    "answ / aband",
    "SimPy, same callers",
    "SimPy, own draw",
    "agree",
)


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
    table = Table(title="a simulated day: madoguchi (real routing engine) vs SimPy reference")
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    for name, scenario, config in cases:
        console.print(f"running {name} …")
        # best of a few alternating runs: the machines are shared, and the other jobs'
        # load moves single runs by up to 2×; both models get the same treatment
        repeats = 1 if quick or name == "day10x" else REPEATS
        ours_s = ours_cpu = theirs_s = theirs_cpu = math.inf
        for _ in range(repeats):
            wall, cpu, ours, simulation = _measure(scenario, config)
            ours_s, ours_cpu = min(ours_s, wall), min(ours_cpu, cpu)
            wall, cpu, theirs = _reference(scenario, config)
            theirs_s, theirs_cpu = min(theirs_s, wall), min(theirs_cpu, cpu)
        same = _same_callers(simulation, scenario, config)
        tolerance = max(5, round(0.005 * ours.total.offered))
        agree = (
            abs(ours.total.answered - same.answered) <= tolerance
            and abs(ours.total.abandoned - same.abandoned) <= tolerance
            and _agree(ours.total.answered, theirs.answered)
        )
        per_contact = ours_s / max(ours.total.offered, 1) * 1e6
        document[name] = {
            "madoguchi_s": round(ours_s, 4),
            "simpy_s": round(theirs_s, 4),
            "speedup": round(theirs_s / ours_s, 3),
            "madoguchi_cpu_s": round(ours_cpu, 4),
            "simpy_cpu_s": round(theirs_cpu, 4),
            "speedup_cpu": round(theirs_cpu / ours_cpu, 3) if ours_cpu > 0 else None,
            "runs": repeats,
            "offered": ours.total.offered,
            "answered": ours.total.answered,
            "abandoned": ours.total.abandoned,
            "simpy_offered": theirs.offered,
            "simpy_answered": theirs.answered,
            "simpy_abandoned": theirs.abandoned,
            "simpy_same_callers_answered": same.answered,
            "simpy_same_callers_abandoned": same.abandoned,
            "agree": agree,
            "engine_commands": ours.commands,
            "engine_events": ours.events,
            "refused_commands": len(simulation.refused),
            "us_per_contact": round(per_contact, 2),
            "agents": sum(p.count for p in scenario.pools),
        }
        table.add_row(
            name,
            str(ours.total.offered),
            str(document[name]["agents"]),
            f"{ours_s:.2f}",
            f"{theirs_s:.2f}",
            f"{theirs_s / ours_s:.2f}×",
            f"{ours_cpu:.2f} / {theirs_cpu:.2f}",
            f"{ours.total.answered} / {ours.total.abandoned}",
            f"{same.answered} / {same.abandoned}",
            f"{theirs.answered} / {theirs.abandoned}",
            "yes" if agree else "[red]NO[/]",
        )
    console.print(table)
    if not quick:
        document["scaling"] = _scaling(day, center, console)
        ten = document["scaling"]["10"]
        document["day10x"]["scaling_vs_day"] = round(ten["ours_cpu_per_contact_vs_1x"] * 10, 2)
        console.print(
            f"day10x / day CPU time: {document['day10x']['scaling_vs_day']:.1f} (10 is linear); "
            f"SimPy: {ten['simpy_cpu_per_contact_vs_1x'] * 10:.1f}"
        )
    split = _engine_share(day, center)
    document["day"]["where_the_time_goes"] = split
    console.print(
        f"day, CPU time inside the routing engine: {split['engine_us_per_contact']} µs per contact "
        f"({split['engine_share']:.0%}); driver and bookkeeping: "
        f"{split['driver_us_per_contact']} µs"
    )
    for key, figures in split["by_call_us"].items():
        console.print(f"  {key}: {figures['calls']} calls, {figures['us_per_call']} µs each")
    simpy_us = document["day"]["simpy_cpu_s"] / max(document["day"]["simpy_offered"], 1) * 1e6
    floor = split["engine_us_per_contact"]
    split["simpy_cpu_us_per_contact"] = round(simpy_us, 2)
    split["best_speedup_with_a_free_driver"] = round(simpy_us / floor, 3) if floor else None
    console.print(
        f"  SimPy's whole model: {simpy_us:.1f} µs of CPU per contact (same run): with a "
        f"driver that cost nothing, at most {simpy_us / floor:.2f}× SimPy's speed; 3× needs "
        f"≤ {simpy_us / 3:.1f} µs per contact in all"
    )
    return document


SCALES = (1, 2, 5, 10)
"""Sizes of the scaling series (×calls and ×agents of ``day``)."""


def _scaling(day: Scenario, center: CenterConfig, console: Console) -> dict[str, Any]:
    """CPU time per contact of ``day`` at each of :data:`SCALES`, ours and SimPy's."""
    figures: dict[str, Any] = {}
    table = Table(title="scaling: CPU µs per contact (one run each; load moves single runs)")
    for column in ("× day", "calls", "agents", "ours", "ours vs 1×", "SimPy", "SimPy vs 1×"):
        table.add_column(column, justify="right")
    base_ours = base_simpy = 0.0
    agents = sum(p.count for p in day.pools)
    for scale in SCALES:
        console.print(f"scaling: {scale}× …")
        scenario = day if scale == 1 else day.with_volume_factor(scale).with_agents(agents * scale)
        _wall, cpu, ours, _simulation = _measure(scenario, center)
        _wall, simpy_cpu, theirs = _reference(scenario, center)
        ours_us = cpu / max(ours.total.offered, 1) * 1e6
        simpy_us = simpy_cpu / max(theirs.offered, 1) * 1e6
        if scale == 1:
            base_ours, base_simpy = ours_us, simpy_us
        figures[str(scale)] = {
            "offered": ours.total.offered,
            "agents": agents * scale,
            "ours_cpu_s": round(cpu, 3),
            "ours_cpu_us_per_contact": round(ours_us, 2),
            "ours_cpu_per_contact_vs_1x": round(ours_us / base_ours, 3),
            "simpy_cpu_s": round(simpy_cpu, 3),
            "simpy_cpu_us_per_contact": round(simpy_us, 2),
            "simpy_cpu_per_contact_vs_1x": round(simpy_us / base_simpy, 3),
        }
        table.add_row(
            f"{scale}×",
            str(ours.total.offered),
            str(agents * scale),
            f"{ours_us:.1f}",
            f"{ours_us / base_ours:.2f}",
            f"{simpy_us:.1f}",
            f"{simpy_us / base_simpy:.2f}",
        )
    console.print(table)
    return figures
