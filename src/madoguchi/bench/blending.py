"""``madoguchi bench blending``: a blended team against the same people split in two.

The simulator's default morning-peak inbound profile (1,800 calls, 9:00–18:00, handle time
lognormal mean 210 s + 20 s after-contact work, 80 % within 20 s) and an outbound campaign
(25 % of dials answered by a person, talk mean 150 s, 15 s wrap-up, 2-second connect rule),
30 agents. ``split``: an inbound-only team sized by Erlang C so that the day's expected service
level meets the target, the rest outbound-only. ``blended``: all 30 blended, the
:class:`~madoguchi.core.dialer.blending.BlendingPolicy` deciding reservations. Both arrangements
see the same callers (same seed) and use the same pacer. The gain is the blended arrangement's
outbound connects over the split one's, minus one.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.table import Table

from madoguchi.core.dialer.blending import BlendingRules
from madoguchi.sim.blending import (
    BlendingDay,
    BlendingResult,
    expected_day_service_level,
    simulate_blending_day,
    split_inbound_team,
)

#: The policy's thresholds in the benchmark. The engine reclaims an idle reservation the moment
#: an inbound call finds nobody free, so agents merely reserved still serve inbound; the policy
#: therefore plans inbound below the target (only agents on outbound calls are really away) and
#: gives reservations back when the expected level falls to 40 % or a caller waits.
BENCH_RULES = BlendingRules(plan_margin=-0.3, headroom_agents=0, reclaim_service_level=0.4)


def _summary(days: list[BlendingResult]) -> dict[str, Any]:
    offered = sum(d.inbound_offered for d in days)
    answered = sum(d.answered for d in days)
    return {
        "outbound_connects": round(sum(d.connects for d in days) / len(days), 1),
        "dials": round(sum(d.dials for d in days) / len(days), 1),
        "inbound_service_level": round(sum(d.inbound_within_target for d in days) / offered, 4),
        "worst_day_service_level": round(min(d.service_level for d in days), 4),
        "inbound_abandoned": round(sum(d.inbound_abandoned for d in days) / offered, 4),
        "outbound_abandon": round(sum(d.abandoned for d in days) / max(1, answered), 4),
        "utilization": round(sum(d.utilization for d in days) / len(days), 4),
        "reclaims": round(sum(d.reclaims for d in days) / len(days), 1),
    }


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run both arrangements per pacer over the seeds; print the table; return the JSON."""
    base = replace(BlendingDay(), rules=BENCH_RULES)
    if quick:
        base = replace(base, close_min=12 * 60, inbound_volume=900.0)
    seeds = range(1, 2 if quick else 4)
    inbound_team = split_inbound_team(base)
    document: dict[str, Any] = {
        "model": {
            "agents": base.agents,
            "inbound_volume": base.inbound_volume,
            "hours": (base.close_min - base.open_min) / 60,
            "profile": "default morning peak",
            "target": {"fraction": base.target.fraction, "seconds": base.target.seconds},
            "split_inbound_agents": inbound_team,
            "split_outbound_agents": base.agents - inbound_team,
            "split_expected_service_level": round(
                expected_day_service_level(base, inbound_team), 4
            ),
            "answer_rate": base.outbound.answer_rate,
            "seeds": len(seeds),
            "rules": {
                "plan_margin": BENCH_RULES.plan_margin,
                "headroom_agents": BENCH_RULES.headroom_agents,
                "reclaim_waiting": BENCH_RULES.reclaim_waiting,
                "reclaim_wait_s": BENCH_RULES.reclaim_wait_s,
                "reclaim_service_level": BENCH_RULES.reclaim_service_level,
            },
        }
    }
    table = Table(
        title=f"Blending: {base.agents} agents, split {inbound_team} in + "
        f"{base.agents - inbound_team} out, {len(seeds)} seeds"
    )
    columns = ("pacing", "team", "connects", "in SL", "worst SL", "abandon", "util", "gain", "s")
    for column in columns:
        table.add_column(column, justify="left" if column in ("pacing", "team") else "right")
    for pacing in ("progressive", "predictive"):
        day = replace(base, pacing=pacing)
        figures: dict[str, Any] = {}
        for arrangement in ("split", "blended"):
            started = time.perf_counter()
            days = [simulate_blending_day(day, arrangement, seed) for seed in seeds]
            figures[arrangement] = _summary(days)
            figures[arrangement]["seconds"] = round(time.perf_counter() - started, 1)
        gain = (
            figures["blended"]["outbound_connects"]
            / max(1.0, figures["split"]["outbound_connects"])
            - 1.0
        )
        figures["gain"] = round(gain, 4)
        figures["blended_meets_target"] = (
            figures["blended"]["inbound_service_level"] >= base.target.fraction
        )
        document[pacing] = figures
        for arrangement in ("split", "blended"):
            f = figures[arrangement]
            table.add_row(
                pacing,
                arrangement,
                f"{f['outbound_connects']:,.0f}",
                f"{f['inbound_service_level']:.1%}",
                f"{f['worst_day_service_level']:.1%}",
                f"{f['outbound_abandon']:.2%}",
                f"{f['utilization']:.1%}",
                f"{gain:+.1%}" if arrangement == "blended" else "",
                f"{f['seconds']:.1f}",
            )
    console.print(table)
    document["gain"] = document["predictive"]["gain"]
    return document
