"""``madoguchi bench wfm``: Erlang C and Erlang A staffing of a day, beside pyworkforce.

The day: 96 fifteen-minute intervals with 100–5,000 calls each and AHT 180–600 s (uniform, seed
7), service level 80/20, shrinkage 30%. Erlang A adds callers' mean patience of 180 s and an
abandonment cap of 5%. Times are medians of repeated runs on the same machine; pyworkforce's
Erlang C runs in the same process for the ratio. pyworkforce's Erlang A needs Python ≥ 3.12:
where it does not import, its figure is ``null`` and the reason is given.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

INTERVAL_S = 900
PATIENCE_S = 180.0


def _median_ms(run: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


def _day() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(100, 5000, 96).round(), rng.uniform(180, 600, 96).round()


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Time the day's staffing by madoguchi and by pyworkforce; print and return the figures."""
    from madoguchi.core.wfm.staffing import StaffingTarget, staff_intervals

    calls, aht = _day()
    target_c = StaffingTarget(service_level=0.8, answer_time_s=20, shrinkage=0.3)
    target_a = StaffingTarget(
        service_level=0.8,
        answer_time_s=20,
        shrinkage=0.3,
        patience_s=PATIENCE_S,
        max_abandonment=0.05,
    )
    repeats = 5 if quick else 50
    ours_c = staff_intervals(calls, INTERVAL_S, aht, target_c)
    erlang_c_ms = _median_ms(lambda: staff_intervals(calls, INTERVAL_S, aht, target_c), repeats)
    ours_a = staff_intervals(calls, INTERVAL_S, aht, target_a)
    erlang_a_ms = _median_ms(
        lambda: staff_intervals(calls, INTERVAL_S, aht, target_a), 2 if quick else 7
    )

    from pyworkforce.queuing import ErlangC

    def pyworkforce_c() -> list[dict[str, Any]]:
        return [
            ErlangC(
                transactions=float(c), aht=float(h) / 60, asa=20 / 60, interval=15, shrinkage=0.3
            ).required_positions(service_level=0.8)
            for c, h in zip(calls, aht, strict=True)
        ]

    reference_c = pyworkforce_c()
    pyworkforce_c_ms = _median_ms(pyworkforce_c, 1 if quick else 5)
    mismatches = sum(
        1
        for ours, ref in zip(ours_c, reference_c, strict=True)
        if ours.agents != ref["raw_positions"]
    )
    pyworkforce_a_ms: float | None = None
    pyworkforce_a_note: str
    try:
        from pyworkforce.queuing import ErlangA
    except ImportError:
        pyworkforce_a_note = (
            f"pyworkforce's ErlangA does not import on Python {sys.version_info.major}."
            f"{sys.version_info.minor} (it needs ≥ 3.12)"
        )
    else:  # pragma: no cover - only on Python ≥ 3.12
        pyworkforce_a_note = "pyworkforce ErlangA, search from ⌈A⌉ as shipped"
        del ErlangA
    table = Table(title="WFM staffing of a day: 96 × 15 min, 100–5,000 calls, AHT 180–600 s")
    table.add_column("method")
    table.add_column("ms per day", justify="right")
    table.add_column("agents on phones", justify="right")
    table.add_row("madoguchi Erlang C", f"{erlang_c_ms:.2f}", str(sum(p.agents for p in ours_c)))
    table.add_row(
        "pyworkforce ErlangC",
        f"{pyworkforce_c_ms:.1f}",
        str(sum(int(r["raw_positions"]) for r in reference_c)),
    )
    table.add_row(
        "madoguchi Erlang A (≤5% abandon)", f"{erlang_a_ms:.1f}", str(sum(p.agents for p in ours_a))
    )
    table.add_row("pyworkforce ErlangA", "n/a", pyworkforce_a_note)
    console.print(table)
    console.print(
        f"Erlang C agreement with pyworkforce: {96 - mismatches}/96 intervals; "
        f"speed-up ×{pyworkforce_c_ms / erlang_c_ms:.0f}"
    )
    return {
        "erlang_c_day_ms": round(erlang_c_ms, 3),
        "pyworkforce_c_day_ms": round(pyworkforce_c_ms, 2),
        "erlang_a_day_ms": round(erlang_a_ms, 2),
        "pyworkforce_a_day_ms": pyworkforce_a_ms,
        "pyworkforce_a_note": pyworkforce_a_note,
        "erlang_c_interval_mismatches_vs_pyworkforce": mismatches,
        "agents_erlang_c": sum(p.agents for p in ours_c),
        "agents_erlang_a": sum(p.agents for p in ours_a),
        "scheduled_agents_erlang_c": sum(p.scheduled_agents for p in ours_c),
        "quick": quick,
    }
