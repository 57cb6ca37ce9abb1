"""``madoguchi bench wfm_skills``: the two-skill approximation against the simulator.

Grid: 20 Erlangs in a 30-minute interval (skill A: AHT 180 s, skill B: AHT 300 s), split
50/50, 70/30 and 90/10 between the skills; the rule's team (:func:`two_skill_staffing`) with
its least cross-training (the pooling gain), half the team cross-trained, and everyone
cross-trained. Each team runs through the model day of :mod:`madoguchi.wfm_two_skill_sim`
(``hours`` × ``runs`` simulated hours, the same seeds for every team). *Planned* is Erlang C
service level of the pooled traffic at the team's size — what the rule assumes when it counts
the team as one pool; the error is simulated minus planned, per skill. Then the correction by
simulation (:func:`corrected_two_skill_staffing`) adds agents where a skill misses 80/20.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table

INTERVAL_S = 1800.0
LOAD_ERLANGS = 20.0
AHT_A = 180.0
AHT_B = 300.0
SPLITS = (0.5, 0.7, 0.9)
CROSS_SHARES: tuple[float | None, ...] = (None, 0.5, 1.0)
"""None: the rule's least cross-training; else that share of the pooled team."""


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Simulate the grid; print the table and return the figures."""
    from madoguchi.core.wfm.erlang import service_level_c
    from madoguchi.core.wfm.staffing import StaffingTarget
    from madoguchi.core.wfm.two_skill import (
        SkillDemand,
        corrected_two_skill_staffing,
        two_skill_staffing,
    )
    from madoguchi.wfm_two_skill_sim import simulate_team, simulation_evaluator

    hours, runs = (8, 2) if quick else (24, 4)
    target = StaffingTarget(service_level=0.8, answer_time_s=20.0)
    started = time.perf_counter()
    evaluations = 0
    rows: list[dict[str, Any]] = []
    for split in SPLITS:
        a = SkillDemand("a", LOAD_ERLANGS * split * INTERVAL_S / AHT_A, AHT_A)
        b = SkillDemand("b", LOAD_ERLANGS * (1 - split) * INTERVAL_S / AHT_B, AHT_B)
        pooled_calls = a.calls + b.calls
        pooled_aht = (a.calls * a.aht_s + b.calls * b.aht_s) / pooled_calls
        pooled_load = pooled_calls * pooled_aht / INTERVAL_S
        for share in CROSS_SHARES:
            rule = two_skill_staffing(a, b, INTERVAL_S, target)
            cross = None if share is None else round(share * rule.pooled)
            team = two_skill_staffing(a, b, INTERVAL_S, target, cross)
            planned = float(service_level_c(float(team.total), pooled_load, pooled_aht, 20.0))
            found = simulate_team(a, b, INTERVAL_S, team, 20.0, hours=hours, runs=runs)
            evaluations += 1
            evaluate = simulation_evaluator(a, b, INTERVAL_S, 20.0, hours=hours, runs=runs)
            corrected = corrected_two_skill_staffing(a, b, INTERVAL_S, target, evaluate, cross)
            evaluations += len(corrected.tried)
            rows.append(
                {
                    "load_share_a": split,
                    "cross_trained_share": round(team.cross_trained / team.total, 3),
                    "team": [team.dedicated_a, team.dedicated_b, team.cross_trained],
                    "separate": [team.separate_a, team.separate_b],
                    "pooled": team.pooled,
                    "planned_sl": round(planned, 4),
                    "sim_sl_a": round(found.service_level_a, 4),
                    "sim_sl_b": round(found.service_level_b, 4),
                    "sim_sl": round(found.service_level, 4),
                    "error_a": round(found.service_level_a - planned, 4),
                    "error_b": round(found.service_level_b - planned, 4),
                    "corrected_team": [
                        corrected.team.dedicated_a,
                        corrected.team.dedicated_b,
                        corrected.team.cross_trained,
                    ],
                    "corrected_extra_agents": corrected.team.total - team.total,
                    "corrected_sl": [round(x, 4) for x in corrected.service_levels],
                    "corrected_met": corrected.met,
                    "corrected_evaluations": len(corrected.tried),
                }
            )
    seconds = time.perf_counter() - started
    table = Table(
        title=f"Two-skill rule vs simulation: {LOAD_ERLANGS:g} Erlangs / 30 min, 80/20, "
        f"{hours} h × {runs} simulated; team = dedicated A/dedicated B/cross-trained"
    )
    for name in ("A", "team", "plan", "sim A", "sim B", "err A", "err B", "fixed", "+n"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(
            f"{r['load_share_a']:.0%}",
            "/".join(str(n) for n in r["team"]),
            f"{r['planned_sl']:.1%}",
            f"{r['sim_sl_a']:.1%}",
            f"{r['sim_sl_b']:.1%}",
            f"{r['error_a']:+.1%}",
            f"{r['error_b']:+.1%}",
            "/".join(str(n) for n in r["corrected_team"]),
            f"{r['corrected_extra_agents']:+d}",
        )
    console.print(table)
    errors = [e for r in rows for e in (r["error_a"], r["error_b"])]
    rule_rows = [r for r in rows if r["cross_trained_share"] < 0.5]
    summary = {
        "mean_abs_error": round(sum(abs(e) for e in errors) / len(errors), 4),
        "worst_error": round(min(errors), 4),
        "rule_least_cross_mean_error": round(
            sum(min(r["error_a"], r["error_b"]) for r in rule_rows) / len(rule_rows), 4
        ),
        "mean_corrected_extra_agents": round(
            sum(r["corrected_extra_agents"] for r in rows) / len(rows), 2
        ),
    }
    console.print(
        f"mean |error| {summary['mean_abs_error']:.1%}, worst {summary['worst_error']:+.1%}; "
        f"correction adds {summary['mean_corrected_extra_agents']:.2f} agents on average; "
        f"{evaluations} team evaluations in {seconds:.1f} s"
    )
    return {
        **summary,
        "grid": rows,
        "simulated_hours_per_team": hours * runs,
        "evaluations": evaluations,
        "seconds": round(seconds, 1),
        "quick": quick,
    }
