"""``madoguchi bench dialer``: pacing methods compared on the same outbound model.

50 agents, 8 hours, 25 % of dials answered by a person, a 2-second connect rule, 5 seeds. For
each method the worst day's abandonment rate and the mean agent utilization are reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from madoguchi.core.dialer import FixedRatioPacer, Pacer, PredictivePacer, ProgressivePacer
from madoguchi.sim.outbound_day import OutboundModel, simulate_outbound_day

FIXED_RATIO = 2.5


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run every method over the seeds; print the table; return the JSON document."""
    model = OutboundModel(hours=2.0 if quick else 8.0)
    seeds = range(2 if quick else 5)
    methods: dict[str, Callable[[], Pacer]] = {
        "progressive": ProgressivePacer,
        "fixed_ratio": lambda: FixedRatioPacer(FIXED_RATIO),
        "predictive": lambda: PredictivePacer(target_abandon=0.03, connect_rule_s=2.0),
    }
    document: dict[str, Any] = {
        "model": {
            "agents": model.agents,
            "hours": model.hours,
            "answer_rate": model.answer_rate,
            "connect_rule_s": model.connect_rule_s,
            "talk_mean_s": model.talk_mean_s,
            "wrap_s": model.wrap_s,
            "seeds": len(seeds),
            "fixed_ratio": FIXED_RATIO,
        }
    }
    table = Table(title=f"Pacing: {model.agents} agents, {model.hours:g} h, {len(seeds)} seeds")
    for column in ("method", "utilization", "worst-day abandon", "mean abandon", "dials/day", "s"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for name, make in methods.items():
        started = time.perf_counter()
        days = [simulate_outbound_day(model, make(), seed) for seed in seeds]
        elapsed = time.perf_counter() - started
        utilization = sum(d.utilization for d in days) / len(days)
        worst = max(d.abandon_rate for d in days)
        mean_abandon = sum(d.abandoned for d in days) / max(1, sum(d.answered for d in days))
        document[name] = {
            "utilization": round(utilization, 4),
            "worst_day_abandon": round(worst, 4),
            "mean_abandon": round(mean_abandon, 4),
            "days": [
                {"utilization": round(d.utilization, 4), "abandon": round(d.abandon_rate, 4)}
                for d in days
            ],
        }
        table.add_row(
            name,
            f"{utilization:.1%}",
            f"{worst:.2%}",
            f"{mean_abandon:.2%}",
            f"{sum(d.dials for d in days) / len(days):,.0f}",
            f"{elapsed:.1f}",
        )
    console.print(table)
    return document
