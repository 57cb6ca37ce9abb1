"""``madoguchi wfm check`` and ``madoguchi wfm skills``: WFM plans and teams through the
simulator (registered on the ``wfm`` group in :mod:`madoguchi.cli.wfm`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from madoguchi.cli._wfm_options import (
    JsonFlag,
    ModelOpt,
    RunsOpt,
    SlOpt,
    aht_seconds,
    fail,
    parse_duration,
    staffing_target,
)
from madoguchi.cli._wfm_tables import print_plan_check


def simulate_plan(scenario_path: Path, plan: Any, runs: int, model: str) -> dict[str, Any]:
    """Run ``plan`` through the scenario; the comparison document (errors name file or flag)."""
    from madoguchi.core.wfm.plan_check import check_document
    from madoguchi.sim import ScenarioError, load_scenario_file
    from madoguchi.wfm_simulation import MODELS, check_plan

    if runs < 1 or runs > 100:
        raise typer.BadParameter("must be 1–100", param_hint="--runs")
    if model not in MODELS:
        raise typer.BadParameter(f"must be one of {', '.join(MODELS)}", param_hint="--model")
    try:
        scenario, center = load_scenario_file(scenario_path)
    except ScenarioError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(2) from err
    try:
        checked = check_plan(scenario, center, plan, runs=runs, model=model)
    except ValueError as err:
        raise fail(f"{scenario_path}: {err}") from None
    document = check_document(checked.intervals, checked.queues)
    used = model
    if model == "auto":
        first = checked.intervals[0].planned if checked.intervals else None
        used = "erlang-a" if first is not None and first.abandonment is not None else "erlang-c"
    document["model"] = used
    document["runs"] = runs
    return document


def check(
    plan: Annotated[Path, typer.Argument(help="Plan JSON from `wfm schedule --plan-json`.")],
    scenario: Annotated[
        Path,
        typer.Option("--scenario", help="Simulator scenario (YAML) giving traffic and skills."),
    ],
    runs: RunsOpt = 1,
    model: ModelOpt = "auto",
    as_json: JsonFlag = False,
) -> None:
    """Run a staffing plan through the simulator: realized beside planned, per interval."""
    from madoguchi.wfm_io import WfmInputError
    from madoguchi.wfm_simulation import read_plan_json

    try:
        staffing_plan = read_plan_json(plan)
    except WfmInputError as err:
        raise fail(str(err)) from None
    document = simulate_plan(scenario, staffing_plan, runs, model)
    if as_json:
        typer.echo(json.dumps(document))
        return
    print_plan_check(document, document["model"], runs)


def skills(
    calls_a: Annotated[float, typer.Option("--calls-a", help="Calls of skill A per interval.")],
    aht_a: Annotated[str, typer.Option("--aht-a", help="AHT of skill A: seconds, or 3m.")],
    calls_b: Annotated[float, typer.Option("--calls-b", help="Calls of skill B per interval.")],
    aht_b: Annotated[str, typer.Option("--aht-b", help="AHT of skill B: seconds, or 5m.")],
    interval: Annotated[str, typer.Option("--interval", help="Interval length.")] = "30m",
    sl: SlOpt = "80/20",
    cross_trained: Annotated[
        int | None,
        typer.Option("--cross-trained", help="Agents with both skills (default: the least)."),
    ] = None,
    correct: Annotated[
        bool, typer.Option("--correct", help="Correct the team by simulating it (slower).")
    ] = False,
    hours: Annotated[
        int, typer.Option("--hours", help="With --correct: simulated hours per run.")
    ] = 24,
    runs: RunsOpt = 4,
    as_json: JsonFlag = False,
) -> None:
    """Two skills, dedicated and cross-trained agents: Erlang per skill, optionally corrected
    by simulation."""
    from madoguchi.core.wfm.two_skill import (
        SkillDemand,
        corrected_two_skill_staffing,
        two_skill_staffing,
    )

    for value, flag in ((calls_a, "--calls-a"), (calls_b, "--calls-b")):
        if not 0 < value < 1e6:
            raise typer.BadParameter("must be a positive number of calls", param_hint=flag)
    if cross_trained is not None and cross_trained < 0:
        raise typer.BadParameter("must be ≥ 0", param_hint="--cross-trained")
    if not 1 <= hours <= 24:
        raise typer.BadParameter("must be 1–24 (use --runs for more)", param_hint="--hours")
    if not 1 <= runs <= 100:
        raise typer.BadParameter("must be 1–100", param_hint="--runs")
    interval_s = parse_duration(interval, "--interval")
    target = staffing_target(sl, None, None, None, None, None)
    a = SkillDemand("a", calls_a, aht_seconds(aht_a))
    b = SkillDemand("b", calls_b, aht_seconds(aht_b))
    team = two_skill_staffing(a, b, interval_s, target, cross_trained)

    def team_document(t: Any) -> dict[str, int]:
        return {
            "dedicated_a": t.dedicated_a,
            "dedicated_b": t.dedicated_b,
            "cross_trained": t.cross_trained,
            "total": t.total,
        }

    document: dict[str, Any] = {
        "approximation": {
            **team_document(team),
            "separate_a": team.separate_a,
            "separate_b": team.separate_b,
            "pooled": team.pooled,
        }
    }
    if correct:
        from madoguchi.wfm_two_skill_sim import simulation_evaluator

        evaluate = simulation_evaluator(
            a, b, interval_s, target.answer_time_s, hours=hours, runs=runs
        )
        corrected = corrected_two_skill_staffing(a, b, interval_s, target, evaluate, cross_trained)
        document["corrected"] = {
            **team_document(corrected.team),
            "service_level_a": round(corrected.service_levels[0], 4),
            "service_level_b": round(corrected.service_levels[1], 4),
            "met": corrected.met,
            "tried": [
                {**team_document(t), "service_level_a": round(x, 4), "service_level_b": round(y, 4)}
                for t, (x, y) in corrected.tried
            ],
        }
    if as_json:
        typer.echo(json.dumps(document))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Two-skill team (A, B)")
    for name in ("team", "only A", "only B", "both", "total", "SL A", "SL B"):
        table.add_column(name, justify="right", no_wrap=True)
    rule = document["approximation"]
    table.add_row(
        "Erlang rule",
        str(rule["dedicated_a"]),
        str(rule["dedicated_b"]),
        str(rule["cross_trained"]),
        str(rule["total"]),
        "",
        "",
    )
    if "corrected" in document:
        for index, tried in enumerate(document["corrected"]["tried"]):
            table.add_row(
                f"simulated #{index + 1}",
                str(tried["dedicated_a"]),
                str(tried["dedicated_b"]),
                str(tried["cross_trained"]),
                str(tried["total"]),
                f"{tried['service_level_a']:.1%}",
                f"{tried['service_level_b']:.1%}",
            )
    console = Console()
    console.print(table)
    console.print(
        f"separate teams {rule['separate_a']} + {rule['separate_b']}, pooled {rule['pooled']}"
    )
    if "corrected" in document:
        fixed = document["corrected"]
        verdict = "meets" if fixed["met"] else "still misses"
        console.print(
            f"corrected by simulation: {fixed['dedicated_a']}/{fixed['dedicated_b']}/"
            f"{fixed['cross_trained']} ({fixed['total']} agents) {verdict} {sl}"
        )
