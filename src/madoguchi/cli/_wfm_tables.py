"""Rich tables printed by the ``madoguchi wfm`` commands."""

from __future__ import annotations

from typing import Any


def print_forecast(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    report = document["backtest"]
    if report:
        table = Table(title=f"Backtest on {report['holdout_days']} held-out days")
        table.add_column("measure")
        table.add_column("forecast", justify="right")
        table.add_column("seasonal naive", justify="right")
        table.add_row(
            "interval WAPE",
            f"{report['interval_wape']:.1%}",
            f"{report['naive_interval_wape']:.1%}",
        )
        table.add_row("interval MAPE", f"{report['interval_mape']:.1%}", "")
        table.add_row(
            "daily MAPE", f"{report['daily_mape']:.1%}", f"{report['naive_daily_mape']:.1%}"
        )
        table.add_row("daily WAPE", f"{report['daily_wape']:.1%}", "")
        table.add_row("AHT WAPE", f"{report['aht_wape']:.1%}", "")
        console.print(table)
    table = Table(title="Forecast")
    for name in (
        "date",
        "kind",
        "calls",
        "AHT s",
        *(["peak agents"] if "peak_agents" in document["days"][0] else []),
    ):
        table.add_column(name, justify="right")
    for day in document["days"]:
        table.add_row(*(str(v) for v in day.values()))
    console.print(table)


def print_schedule(plan: Any, starts: list[Any]) -> None:
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Table

    def at(slot: int) -> str:
        return str((starts[0] + timedelta(seconds=slot * plan.interval_s)).strftime("%H:%M"))

    console = Console()
    table = Table(title=f"{plan.headcount} agents, {plan.paid_hours:g} paid hours")
    for name in ("pattern", "start", "end", "breaks", "agents"):
        table.add_column(name)
    for s in plan.shifts:
        breaks = " ".join(f"{at(a)}-{at(b)}" for a, b in s.break_slots)
        table.add_row(s.pattern, at(s.start_slot), at(s.end_slot), breaks, str(s.agents))
    console.print(table)
    cover = Table(title="Coverage per interval")
    for name in ("interval", "required", "scheduled", "over", "under"):
        cover.add_column(name, justify="right")
    for i in range(plan.required.size):
        cover.add_row(
            at(i),
            str(plan.required[i]),
            str(plan.scheduled[i]),
            str(plan.over[i]),
            str(plan.under[i]),
        )
    console.print(cover)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value * 100:.1f}"


def _secs(value: Any) -> str:
    return "∞" if value is None else f"{value:.1f}"


def print_plan_check(document: dict[str, Any], model: str, runs: int) -> None:
    """Planned beside simulated figures per interval (``wfm check``, ``schedule --simulate``)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Planned ({model}) vs simulated ({runs} day(s) pooled); SL, abandonment, "
        "occupancy in %, ASA in s",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        pad_edge=False,
    )
    for name in (
        "start",
        "agts",
        "calls\nexp.",
        "calls\nsim",
        "SL\nplan",
        "SL\nsim",
        "ASA\nplan",
        "ASA\nsim",
        "aband\nplan",
        "aband\nsim",
        "occ\nplan",
        "occ\nsim",
    ):
        table.add_column(name, justify="right", no_wrap=True)
    for row in document["intervals"]:
        gap = row["service_level_gap"]
        style = "red" if gap is not None and gap < -0.05 else None
        table.add_row(
            row["interval_start"],
            str(row["agents"]),
            f"{row['calls_expected']:.0f}",
            f"{row['offered'] / runs:.0f}",
            _pct(row["planned_service_level"]),
            _pct(row["service_level"]),
            _secs(row["planned_asa_s"]),
            _secs(row["asa_s"]),
            _pct(row["planned_abandonment"]),
            _pct(row["abandonment"]),
            _pct(row["planned_occupancy"]),
            _pct(row["occupancy"]),
            style=style,
        )
    day = document["day"]
    table.add_section()
    table.add_row(
        "day",
        "",
        f"{day['calls_expected']:.0f}",
        f"{day['offered'] / runs:.0f}",
        _pct(day["planned_service_level"]),
        _pct(day["service_level"]),
        _secs(day["planned_asa_s"]),
        _secs(day["asa_s"]),
        _pct(day["planned_abandonment"]),
        _pct(day["abandonment"]),
        "",
        _pct(day["occupancy"]),
    )
    console = Console()
    console.print(table)
    console.print(
        f"{day['intervals_below_plan']} interval(s) more than 5 points below the planned "
        "service level (red)."
    )
    queues = document.get("queues") or {}
    if len(queues) > 1:
        by_queue = Table(title="Simulated day per queue", box=box.SIMPLE_HEAD)
        for name in ("queue", "offered", "SL %", "ASA s", "abandoned %"):
            by_queue.add_column(name, justify="right")
        for name, q in queues.items():
            by_queue.add_row(
                name,
                f"{q['offered'] / runs:.0f}",
                _pct(q["service_level"]),
                _secs(q["asa_s"]),
                _pct(q["abandonment"]),
            )
        console.print(by_queue)
