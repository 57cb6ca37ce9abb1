"""``madoguchi simulate SCENARIO``: run a simulated day through the real core and report it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from madoguchi.core.config import CenterConfig
    from madoguchi.sim.results import SimResult
    from madoguchi.sim.scenario import Scenario


def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML (see docs/simulation.md).")],
    json_path: Annotated[Path | None, typer.Option("--json", help="Write JSON here.")] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write the interval CSV here.")
    ] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="A second scenario to run side by side.")
    ] = None,
    agents: Annotated[
        int | None,
        typer.Option("--agents", min=0, help="What-if for SCENARIO: this many agents in total."),
    ] = None,
    volume: Annotated[
        float | None,
        typer.Option("--volume", min=0.0, help="What-if for SCENARIO: volume multiplier (1.1)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Override the scenario's seed.")
    ] = None,
) -> None:
    """Simulate a day: the real routing engine with simulated callers and agents."""
    from dataclasses import replace

    from rich.console import Console

    from madoguchi.sim import report
    from madoguchi.sim.files import load_scenario_file
    from madoguchi.sim.scenario_loader import ScenarioError

    console = Console()
    runs: list[tuple[Scenario, CenterConfig]] = []
    for path in [scenario] + ([compare] if compare is not None else []):
        try:
            loaded, center = load_scenario_file(path)
        except ScenarioError as err:
            for problem in err.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(2) from err
        if seed is not None:
            loaded = replace(loaded, seed=seed)
        if not runs:  # what-if overrides change SCENARIO; --compare OTHER runs as written
            changes = []
            if agents is not None:
                loaded = loaded.with_agents(agents)
                changes.append(f"{agents} agents")
            if volume is not None:
                loaded = loaded.with_volume_factor(volume)
                changes.append(f"volume ×{volume:g}")
            if changes:
                loaded = replace(loaded, name=f"{loaded.name} ({', '.join(changes)})")
        elif loaded.name == runs[0][0].name:
            loaded = replace(loaded, name=f"{loaded.name} ({path.name})")
        runs.append((loaded, center))
    results = [_run(console, s, c) for s, c in runs]
    for result in results:
        _print_intervals(console, result)
        _print_queues(console, result)
    if len(results) > 1:
        _print_comparison(console, results)
    if json_path is not None:
        json_path.write_text(report.to_json(results), encoding="utf-8")
        console.print(f"wrote {json_path}")
    if csv_path is not None:
        csv_path.write_text(report.to_csv(results), encoding="utf-8")
        console.print(f"wrote {csv_path}")
    if html_path is not None:
        queues = runs[0][1].queues
        target = queues[0].service_level.fraction if len(queues) == 1 else None
        html_path.write_text(report.to_html(results, target), encoding="utf-8")
        console.print(f"wrote {html_path}")


def _run(console: Console, scenario: Scenario, center: CenterConfig) -> SimResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from madoguchi.sim.driver import Simulation

    simulation = Simulation(scenario, center)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"simulating {scenario.name}", total=1.0)
        started = time.perf_counter()
        result = simulation.run(lambda done: progress.update(task, completed=done))
        elapsed = time.perf_counter() - started
    console.print(
        f"[bold]{scenario.name}[/]: {scenario.day.isoformat()}, {result.total.offered} contacts, "
        f"{simulation.agent_count} simulated agents — simulated in {elapsed:.2f} s "
        f"({result.commands} engine commands, {result.events} events)"
    )
    if simulation.refused:
        console.print(f"[yellow]{len(simulation.refused)} commands refused by the engine[/]")
    return result


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if percent else f"{value:.0f}"


def _print_intervals(console: Console, result: SimResult) -> None:
    from rich.table import Table

    from madoguchi.sim.report import callback_cells, interval_rows

    table = Table(title=f"{result.scenario} by interval", header_style="bold")
    names = ["start", "offered", "answered", "abandoned", "SL", "ASA s", "occupancy", "agents"]
    queues, callbacks = callback_cells(result)
    # queue-time treatment: callbacks offered / accepted / completed of each queue
    names += [f"{q} callbacks o/a/c" for q in queues]
    if result.treated:
        names.append("messages")
    for name in names:
        table.add_column(name, justify="right")
    for row, (_label, cells) in zip(interval_rows(result), callbacks, strict=True):
        extra = [*cells, str(row["messages_left"])] if result.treated else []
        table.add_row(
            row["start"],
            str(row["offered"]),
            str(row["answered"]),
            str(row["abandoned"]),
            _fmt(row["service_level"], True),
            _fmt(row["asa_s"]),
            _fmt(row["occupancy"], True),
            f"{row['agents_staffed']:.1f}",
            *extra,
        )
    t = result.total
    totals = [
        f"{result.queues[q].callbacks_offered} / {result.queues[q].callbacks_accepted} / "
        f"{result.queues[q].callbacks_completed}"
        for q in queues
    ]
    table.add_row(
        "total",
        str(t.offered),
        str(t.answered),
        str(t.abandoned),
        _fmt(t.service_level, True),
        _fmt(t.asa_s),
        "",
        "",
        *([*totals, str(t.messages_left)] if result.treated else []),
        style="bold",
    )
    console.print(table)


def _print_queues(console: Console, result: SimResult) -> None:
    from rich.table import Table

    table = Table(title=f"{result.scenario} by queue", header_style="bold")
    names = ["queue", "offered", "answered", "abandoned", "SL", "ASA s", "AHT s"]
    if result.treated:
        names += ["callbacks offered", "accepted", "completed", "messages", "announcements"]
    for name in names:
        table.add_column(name, justify="right")
    for queue, t in sorted(result.queues.items()):
        treated = (
            [
                str(t.callbacks_offered),
                str(t.callbacks_accepted),
                str(t.callbacks_completed),
                str(t.messages_left),
                str(t.announcements),
            ]
            if result.treated
            else []
        )
        table.add_row(
            queue,
            str(t.offered),
            str(t.answered),
            str(t.abandoned),
            _fmt(t.service_level, True),
            _fmt(t.asa_s),
            _fmt(t.aht_s),
            *treated,
        )
    console.print(table)
    if result.flow_outcomes:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result.flow_outcomes.items()))
        console.print(f"left the contact flow: {outcomes}")
    busiest = sorted(result.agents.items(), key=lambda item: -item[1].handled)
    if busiest:
        handled = [t.handled for _, t in busiest]
        console.print(
            f"agents: {len(busiest)} handled {sum(handled)} contacts "
            f"(most {handled[0]}, fewest {handled[-1]}; per agent in --json/--html)"
        )


def _print_comparison(console: Console, results: list[SimResult]) -> None:
    from rich.table import Table

    table = Table(title="comparison", header_style="bold")
    table.add_column("")
    for r in results:
        table.add_column(r.scenario, justify="right")
    rows: tuple[tuple[str, Callable[[SimResult], str]], ...] = (
        ("offered", lambda r: str(r.total.offered)),
        ("answered", lambda r: str(r.total.answered)),
        ("abandoned", lambda r: str(r.total.abandoned)),
        ("service level", lambda r: _fmt(r.total.service_level, True)),
        ("ASA s", lambda r: _fmt(r.total.asa_s)),
        ("abandon rate", lambda r: _fmt(r.total.abandon_rate, True)),
    )
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in results))
    console.print(table)
