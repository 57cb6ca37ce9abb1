"""``madoguchi wfm ...``: staffing, forecast, shift schedules and cost per contact.

Input errors name the flag (``Invalid value for '--sl'``) or the file line (``FILE:LINE: ...``)
and exit non-zero.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from madoguchi.cli._wfm_options import (
    JsonFlag,
    ModelOpt,
    RunsOpt,
    ShrinkOpt,
    SlOpt,
    aht_seconds,
    fail,
    parse_duration,
    parse_fraction,
    special_days,
    staffing_document,
    staffing_target,
)
from madoguchi.cli._wfm_simulated import check, simulate_plan, skills
from madoguchi.cli._wfm_tables import print_forecast, print_plan_check, print_schedule

app = typer.Typer(
    help="Workforce management: Erlang staffing, forecasts, shift schedules, cost per contact.",
    no_args_is_help=True,
)


@app.command()
def staff(
    calls: Annotated[float, typer.Option("--calls", help="Calls offered in the interval.")],
    aht: Annotated[str, typer.Option("--aht", help="Average handle time: seconds, or 3m.")],
    interval: Annotated[
        str, typer.Option("--interval", help="Interval length: 15m, 30m, 1h.")
    ] = "30m",
    sl: SlOpt = "80/20",
    asa: Annotated[float | None, typer.Option("--asa", help="Highest ASA, seconds.")] = None,
    max_occupancy: Annotated[
        str | None, typer.Option("--max-occupancy", help="Highest occupancy: 0.85 or 85%.")
    ] = None,
    shrinkage: Annotated[
        str | None, typer.Option("--shrinkage", help="Paid time off the phones: 0.3 or 30%.")
    ] = None,
    patience: Annotated[
        float | None, typer.Option("--patience", help="Mean caller patience, s (Erlang A).")
    ] = None,
    max_abandon: Annotated[
        str | None, typer.Option("--max-abandon", help="Highest abandonment (Erlang A): 5%.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Agents needed for one interval (Erlang C; Erlang A with --patience)."""
    from madoguchi.core.wfm.staffing import staff_interval

    if not calls >= 0 or math.isinf(calls):
        raise typer.BadParameter("must be a number ≥ 0", param_hint="--calls")
    interval_s = parse_duration(interval, "--interval")
    aht_s = aht_seconds(aht)
    target = staffing_target(sl, asa, max_occupancy, shrinkage, patience, max_abandon)
    plan = staff_interval(calls, interval_s, aht_s, target)
    document = staffing_document(plan, shrinkage is not None, patience is not None)
    if as_json:
        typer.echo(json.dumps(document))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{calls:g} calls / {interval_s // 60} min, AHT {aht_s:g} s")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("load (Erlangs)", f"{plan.load_erlangs:.2f}")
    for key, value in document.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    Console().print(table)


@app.command()
def forecast(
    records: Annotated[
        Path | None, typer.Argument(help="CSV: timestamp, handle_s (one row a contact).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Read the contact records of this store URL instead of a CSV."),
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", help="With --db: only contacts of this queue.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="With --db: only contacts of this tenant.")
    ] = None,
    before: Annotated[
        str | None,
        typer.Option("--before", help="With --db: only contacts before this date (YYYY-MM-DD)."),
    ] = None,
    interval: Annotated[str, typer.Option("--interval", help="Interval length.")] = "15m",
    days: Annotated[int, typer.Option("--days", help="Days to forecast after the history.")] = 7,
    holdout_weeks: Annotated[
        int, typer.Option("--holdout-weeks", help="Weeks held out for the backtest (0: none).")
    ] = 2,
    special: Annotated[
        list[str] | None,
        typer.Option("--special", help="A special day: 2026-12-28=year_end (repeatable)."),
    ] = None,
    no_year_end: Annotated[
        bool, typer.Option("--no-year-end", help="Do not treat 12/29–1/3 as special days.")
    ] = False,
    sl: Annotated[
        str | None, typer.Option("--sl", help="Also staff each interval for X/T, e.g. 80/20.")
    ] = None,
    shrinkage: Annotated[str | None, typer.Option("--shrinkage", help="With --sl.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the forecast CSV here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Forecast volume and AHT per interval, with a backtest on held-out weeks.

    The history is a CSV of contacts, or (``--db``) the contact records in the store.
    """
    from madoguchi.core.wfm.day_calendar import japanese_calendar
    from madoguchi.core.wfm.forecast import backtest, days_after, fit_forecaster
    from madoguchi.core.wfm.forecast_history import history_from_records
    from madoguchi.wfm_io import WfmInputError, read_contact_records, write_forecast_csv

    if (records is None) == (db is None):
        raise typer.BadParameter("give a RECORDS CSV or --db URL (one of them)", param_hint="--db")
    if db is None and (queue is not None or tenant is not None or before is not None):
        raise typer.BadParameter("only with --db", param_hint="--queue/--tenant/--before")
    before_epoch: float | None = None
    if before is not None:
        from madoguchi.wfm_io import parse_timestamp

        try:
            before_epoch = parse_timestamp(date.fromisoformat(before).isoformat())
        except ValueError:
            raise typer.BadParameter(
                f"{before!r} is not YYYY-MM-DD", param_hint="--before"
            ) from None

    interval_s = parse_duration(interval, "--interval")
    if 86400 % interval_s:
        raise typer.BadParameter("must divide a day", param_hint="--interval")
    if days < 1 or days > 366:
        raise typer.BadParameter("must be 1–366", param_hint="--days")
    if holdout_weeks < 0:
        raise typer.BadParameter("must be ≥ 0", param_hint="--holdout-weeks")
    specials = special_days(special or [])
    source = str(records) if records is not None else f"--db {_without_password(str(db))}"
    try:
        contacts = (
            read_contact_records(records)
            if records is not None
            else _store_contact_records(str(db), queue, tenant, before_epoch)
        )
        history = history_from_records(contacts, interval_s)
    except WfmInputError as err:
        raise fail(str(err)) from None
    except ValueError as err:
        raise fail(f"{source}: {err}") from None
    horizon = days_after(history.days[-1], days)
    years = {d.year for d in history.days} | {d.year for d in horizon}
    calendar = japanese_calendar(years, specials, year_end=not no_year_end)
    if len(history.days) < 14:
        raise fail(f"{source}: {len(history.days)} days of contacts; a forecast needs 14")
    if holdout_weeks and len(history.days) - 7 * holdout_weeks < 14:
        raise typer.BadParameter(
            f"leaves fewer than 14 days to fit ({len(history.days)} days)",
            param_hint="--holdout-weeks",
        )
    report = backtest(history, calendar, holdout_weeks) if holdout_weeks else None
    model = fit_forecaster(history, calendar)
    predicted = model.forecast(horizon)
    agents: list[list[int]] | None = None
    if sl:
        from madoguchi.core.wfm.staffing import staff_intervals

        target = staffing_target(sl, None, None, shrinkage, None, None)
        agents = [
            [p.scheduled_agents for p in staff_intervals(day.calls, interval_s, day.aht_s, target)]
            for day in predicted
        ]
    if out is not None:
        write_forecast_csv(out, predicted, interval_s, agents)
    document: dict[str, Any] = {
        "history_days": len(history.days),
        "smoothing": dict(zip(("alpha", "beta", "gamma"), model.smoothing, strict=True)),
        "backtest": None if report is None else report.__dict__,
        "days": [
            {
                "date": day.day.isoformat(),
                "kind": day.kind,
                "calls": round(float(day.calls.sum()), 1),
                "aht_s": round(
                    float((day.calls * day.aht_s).sum() / day.calls.sum())
                    if day.calls.sum()
                    else 0.0,
                    1,
                ),
                **({"peak_agents": max(agents[i])} if agents else {}),
            }
            for i, day in enumerate(predicted)
        ],
    }
    if as_json:
        typer.echo(json.dumps(document))
        return
    print_forecast(document)


def _store_contact_records(
    url: str, queue: str | None, tenant: str | None, before: float | None
) -> list[Any]:
    """Forecast records from the store at ``url`` (errors name ``--db``)."""
    from madoguchi.store import StoreError, open_store
    from madoguchi.wfm_store import StoreReadCounts, contact_records_from_store

    counts = StoreReadCounts()
    try:
        with open_store(url) as store:
            found = contact_records_from_store(
                store, queue=queue, tenant=tenant, before=before, counts=counts
            )
    except StoreError as err:
        raise fail(f"--db {_without_password(url)}: {err}") from None
    if counts.unreadable:
        typer.echo(f"--db: skipped {counts.unreadable} unreadable contact record(s)", err=True)
    if not found:
        where = "".join(
            f" {flag} {value}"
            for flag, value in (("--queue", queue), ("--tenant", tenant))
            if value
        )
        raise fail(f"--db {_without_password(url)}: no queued inbound contact records{where}")
    return found


def _without_password(url: str) -> str:
    import re

    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


@app.command()
def schedule(
    requirement: Annotated[
        Path, typer.Argument(help="CSV: interval_start (HH:MM or ISO), agents (required).")
    ],
    patterns: Annotated[
        Path | None, typer.Option("--patterns", help="YAML of shift patterns and labour rules.")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Date of HH:MM times (default: none, times only).")
    ] = None,
    max_headcount: Annotated[
        int | None, typer.Option("--max-headcount", help="At most this many agents.")
    ] = None,
    under_penalty: Annotated[
        float | None,
        typer.Option("--under-penalty", help="Allow understaffing at this cost (paid h each)."),
    ] = None,
    out_shifts: Annotated[Path | None, typer.Option("--out-shifts", help="Shifts CSV.")] = None,
    out_coverage: Annotated[
        Path | None, typer.Option("--out-coverage", help="Per-interval over/under CSV.")
    ] = None,
    plan_json: Annotated[
        Path | None,
        typer.Option("--plan-json", help="Per-interval staffing for `madoguchi simulate`."),
    ] = None,
    simulate: Annotated[
        Path | None,
        typer.Option("--simulate", help="Check the plan in this simulator scenario (YAML)."),
    ] = None,
    runs: RunsOpt = 1,
    model: ModelOpt = "auto",
    as_json: JsonFlag = False,
) -> None:
    """Shifts covering the required agents at least paid hours (MILP)."""
    from dataclasses import replace

    from madoguchi.core.wfm.schedule import ScheduleError, plan_shifts
    from madoguchi.wfm_io import (
        WfmInputError,
        default_shift_rules,
        read_requirement,
        read_shift_rules,
        write_coverage_csv,
        write_shifts_csv,
    )

    anchor = None
    if day is not None:
        try:
            anchor = date.fromisoformat(day)
        except ValueError:
            raise typer.BadParameter(f"{day!r} is not YYYY-MM-DD", param_hint="--date") from None
    if max_headcount is not None and max_headcount < 0:
        raise typer.BadParameter("must be ≥ 0", param_hint="--max-headcount")
    if under_penalty is not None and not under_penalty >= 0:
        raise typer.BadParameter("must be ≥ 0", param_hint="--under-penalty")
    try:
        req = read_requirement(requirement, anchor)
        shift_rules = (
            read_shift_rules(patterns, req.interval_s, req.starts[0])
            if patterns
            else default_shift_rules(req.interval_s, len(req.agents))
        )
    except WfmInputError as err:
        raise fail(str(err)) from None
    rules = shift_rules.rules
    if max_headcount is not None:
        rules = replace(rules, max_headcount=max_headcount)
    if under_penalty is not None:
        rules = replace(rules, under_penalty=under_penalty)
    try:
        plan = plan_shifts(req.agents, req.interval_s, shift_rules.patterns, rules)
    except ScheduleError as err:
        raise fail(f"{patterns or requirement}: {err}") from None
    dated = day is not None or req.starts[0].date().year != 2000

    def label(i: int) -> str:
        return req.starts[i].isoformat() if dated else req.starts[i].strftime("%H:%M")

    staffing = [
        {"interval_start": label(i), "agents": int(n)} for i, n in enumerate(plan.scheduled)
    ]
    if out_shifts:
        write_shifts_csv(out_shifts, plan, req.starts)
    if out_coverage:
        write_coverage_csv(out_coverage, plan, req.starts)
    if plan_json:
        plan_document = {
            "interval_min": req.interval_s // 60,
            "open": req.starts[0].strftime("%H:%M"),
            "staffing_plan": [int(n) for n in plan.scheduled],
            "staffing": staffing,
        }
        plan_json.write_text(json.dumps(plan_document, indent=1) + "\n", encoding="utf-8")
    simulated: dict[str, Any] | None = None
    if simulate is not None:
        from madoguchi.wfm_simulation import plan_from_agents

        opening = req.starts[0].hour * 60 + req.starts[0].minute
        in_memory = plan_from_agents(
            [int(n) for n in plan.scheduled], req.interval_s // 60, opening
        )
        simulated = simulate_plan(simulate, in_memory, runs, model)
    document: dict[str, Any] = {
        "paid_hours": plan.paid_hours,
        "headcount": plan.headcount,
        "required_agent_hours": float(plan.required.sum()) * req.interval_s / 3600,
        "over_agent_intervals": int(plan.over.sum()),
        "under_agent_intervals": int(plan.under.sum()),
        "shifts": [
            {
                "pattern": s.pattern,
                "start": label(s.start_slot),
                "end": label(s.end_slot) if s.end_slot < len(req.starts) else "end",
                "breaks": [
                    [label(a), label(b) if b < len(req.starts) else "end"] for a, b in s.break_slots
                ],
                "agents": s.agents,
                "paid_hours": s.paid_hours,
            }
            for s in plan.shifts
        ],
        "staffing": staffing,
    }
    if simulated is not None:
        document["simulation"] = simulated
    if as_json:
        typer.echo(json.dumps(document))
        return
    print_schedule(plan, req.starts)
    if simulated is not None:
        print_plan_check(simulated, simulated["model"], runs)


@app.command()
def cost(
    aht: Annotated[str, typer.Option("--aht", help="Average handle time: seconds, or 5m.")] = "300",
    wage: Annotated[float, typer.Option("--wage", help="Agent wage, yen per hour.")] = 1200.0,
    supervisor_wage: Annotated[
        float, typer.Option("--supervisor-wage", help="Supervisor wage, yen per hour.")
    ] = 1800.0,
    span: Annotated[float, typer.Option("--span", help="Agents per supervisor (6–10).")] = 8.0,
    seat: Annotated[float, typer.Option("--seat", help="Seat cost, yen per month.")] = 25000.0,
    telephony_minute: Annotated[
        float, typer.Option("--telephony-minute", help="Telephony, yen per talk minute.")
    ] = 2.0,
    telephony_seat: Annotated[
        float, typer.Option("--telephony-seat", help="Telephony, yen per seat per month.")
    ] = 2000.0,
    overhead: Annotated[
        str, typer.Option("--overhead", help="Benefits and insurance on wages: 20%.")
    ] = "20%",
    hours: Annotated[float, typer.Option("--hours", help="Open hours per day.")] = 9.0,
    days: Annotated[float, typer.Option("--days", help="Open days per month.")] = 21.0,
    sl: SlOpt = "80/20",
    shrinkage: ShrinkOpt = "30%",
    price: Annotated[
        list[float] | None,
        typer.Option("--price", help="Outsourcing price per call, yen (repeatable)."),
    ] = None,
    volume: Annotated[
        float | None, typer.Option("--volume", help="Also break down the cost at this volume.")
    ] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Write the chart as SVG here.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Cost per contact in-house against outsourcing; break-even volumes and a chart."""
    from madoguchi.core.wfm.cost import (
        InHouseCosts,
        Operation,
        break_even_volume,
        cost_curve,
        in_house_cost,
        volume_grid,
    )
    from madoguchi.core.wfm.cost_chart import cost_chart_svg, cost_chart_text

    prices = price or [150.0, 300.0, 600.0]
    for p in prices:
        if not p > 0:
            raise typer.BadParameter(f"{p:g} must be positive", param_hint="--price")
    for value, flag in (
        (wage, "--wage"),
        (supervisor_wage, "--supervisor-wage"),
        (seat, "--seat"),
        (telephony_minute, "--telephony-minute"),
        (telephony_seat, "--telephony-seat"),
    ):
        if not value >= 0:
            raise typer.BadParameter("must be ≥ 0", param_hint=flag)
    if not span > 0:
        raise typer.BadParameter("must be positive", param_hint="--span")
    if not 0 < hours <= 24:
        raise typer.BadParameter("must be in (0, 24]", param_hint="--hours")
    if not 0 < days <= 31:
        raise typer.BadParameter("must be in (0, 31]", param_hint="--days")
    if volume is not None and not volume > 0:
        raise typer.BadParameter("must be positive", param_hint="--volume")
    op = Operation(
        aht_s=aht_seconds(aht),
        open_hours_per_day=hours,
        days_per_month=days,
        target=staffing_target(sl, None, None, shrinkage, None, None),
    )
    costs = InHouseCosts(
        agent_wage_per_hour=wage,
        supervisor_wage_per_hour=supervisor_wage,
        agents_per_supervisor=span,
        wage_overhead=parse_fraction(overhead, "--overhead", upper_inclusive=True),
        seat_per_month=seat,
        telephony_per_minute=telephony_minute,
        telephony_per_seat_month=telephony_seat,
    )
    grid = volume_grid()
    curve = cost_curve(grid, op, costs)
    break_even = {p: break_even_volume(p, op, costs, grid) for p in prices}
    if svg is not None:
        svg.write_text(cost_chart_svg(curve, prices, break_even), encoding="utf-8")
    at_volume = in_house_cost(volume, op, costs) if volume else None
    document: dict[str, Any] = {
        "break_even_calls_per_month": {f"{p:g}": v for p, v in break_even.items()},
        "curve": [
            {"calls_per_month": c.monthly_calls, "per_contact": round(c.per_contact, 1)}
            for c in curve[:: max(1, len(curve) // 12)]
        ],
    }
    if at_volume is not None:
        document["at_volume"] = {
            "calls_per_month": at_volume.monthly_calls,
            "per_contact": at_volume.per_contact,
            "per_agent_hour": at_volume.per_agent_hour,
            "total_per_month": at_volume.total,
            "wages": at_volume.wages,
            "seats": at_volume.seats,
            "telephony": at_volume.telephony,
            "peak_agents": at_volume.peak_agents,
            "supervisors": at_volume.supervisors,
            "agent_hours": at_volume.agent_hours,
        }
    if as_json:
        typer.echo(json.dumps(document))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(cost_chart_text(curve, prices), markup=False, highlight=False)
    table = Table(title="Break-even against outsourcing")
    table.add_column("outsourced, yen/call", justify="right")
    table.add_column("in-house is cheaper from (calls/month)", justify="right")
    for p, v in break_even.items():
        table.add_row(f"¥{p:,.0f}", f"{v:,.0f}" if v is not None else "never (≤500,000)")
    console.print(table)
    if at_volume is not None:
        console.print(
            f"at {at_volume.monthly_calls:,.0f} calls/month: "
            f"¥{at_volume.per_contact:,.0f} per call, "
            f"¥{at_volume.per_agent_hour:,.0f} per paid agent hour, "
            f"¥{at_volume.total:,.0f} a month "
            f"({at_volume.peak_agents} seats, {at_volume.supervisors} supervisors)"
        )
    if svg is not None:
        console.print(f"wrote {svg}")


app.command("check")(check)
app.command("skills")(skills)
