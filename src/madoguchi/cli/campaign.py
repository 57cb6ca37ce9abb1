"""``madoguchi campaign ...``: call lists, do-not-call lists, reports and a simulated day.

Lists and do-not-call entries are kept as JSON files in a data directory (``--data``, or the
environment variable ``MADOGUCHI_DATA``; default ``./madoguchi-data``)::

    DATA/campaigns/ID/list.json    the campaign's call list (records in E.164)
    DATA/dnc.json                  tenant-wide and per-campaign do-not-call entries

Every write goes to a temporary file renamed over the old one, so a rejected or interrupted
import leaves the previous file as it was (nothing half-imported). Bad CSV rows are reported as
``FILE:LINE: message`` and nothing is written.

Reports are folded from dialer events stored one JSON record per line (``to_record``), as
``madoguchi campaign simulate --events FILE`` writes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from madoguchi.core.dialer import DoNotCallRegistry, ListRecord
    from madoguchi.core.dialer.reports import OutboundReport

app = typer.Typer(
    help="Outbound campaigns: call lists, do-not-call, reports, a simulated day.",
    no_args_is_help=True,
)
dnc_app = typer.Typer(help="Do-not-call lists (tenant-wide or per campaign).", no_args_is_help=True)
app.add_typer(dnc_app, name="dnc")

DataOpt = Annotated[
    Path,
    typer.Option("--data", envvar="MADOGUCHI_DATA", help="Directory holding lists and DNC."),
]
CampaignOpt = Annotated[str, typer.Option("--campaign", help="Campaign id.")]
OptionalCampaignOpt = Annotated[
    str | None, typer.Option("--campaign", help="A campaign's list instead of the tenant's.")
]
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant id.")]
RegionOpt = Annotated[str, typer.Option("--region", help="Default region for local numbers.")]
DEFAULT_DATA = Path("madoguchi-data")


# -- storage ------------------------------------------------------------------------------


def _write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8")
    os.replace(temporary, path)


def _read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        typer.echo(f"{path}: unreadable: {err}", err=True)
        raise typer.Exit(1) from err


def _list_path(data: Path, campaign: str) -> Path:
    if not campaign or "/" in campaign or campaign.startswith("."):
        raise typer.BadParameter(f"not a campaign id: {campaign!r}", param_hint="--campaign")
    return data / "campaigns" / campaign / "list.json"


def load_records(data: Path, campaign: str) -> list[ListRecord]:
    """The campaign's stored call list (empty when none was imported)."""
    from madoguchi.core.dialer import ListRecord

    rows = _read_json(_list_path(data, campaign), [])
    return [
        ListRecord(
            id=row["id"],
            number=row["number"],
            name=row.get("name", ""),
            customer_id=row.get("customer_id"),
            timezone=row.get("timezone"),
            attributes=dict(row.get("attributes", {})),
        )
        for row in rows
    ]


def _record_row(record: ListRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "number": record.number,
        "name": record.name,
        "customer_id": record.customer_id,
        "timezone": record.timezone,
        "attributes": record.attributes,
    }


def load_dnc(data: Path) -> DoNotCallRegistry:
    """The stored do-not-call registry."""
    from madoguchi.core.dialer import DncEntry, DoNotCallRegistry

    registry = DoNotCallRegistry()
    for row in _read_json(data / "dnc.json", []):
        registry.add(DncEntry(**row))
    return registry


def _save_dnc(data: Path, entries: list[dict[str, Any]]) -> None:
    _write_json(data / "dnc.json", entries)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"madoguchi: {path}: {err}", err=True)
        raise typer.Exit(1) from err


def _parse_or_exit(path: Path, region: str) -> list[ListRecord]:
    from madoguchi.core.dialer import ListImportError, parse_call_list

    try:
        return parse_call_list(_read_text(path), str(path), region=region)
    except ListImportError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{path}: rejected ({len(err.problems)} bad rows); nothing imported", err=True)
        raise typer.Exit(1) from err


# -- lists --------------------------------------------------------------------------------


@app.command("import-list")
def import_list(
    file: Annotated[Path, typer.Argument(help="CSV with a phone (or number, 電話番号) column.")],
    campaign: CampaignOpt,
    tenant: TenantOpt = "default",
    data: DataOpt = DEFAULT_DATA,
    region: RegionOpt = "JP",
) -> None:
    """Import a CSV call list into a campaign (all rows or none)."""
    records = _parse_or_exit(file, region)
    path = _list_path(data, campaign)
    existing = load_records(data, campaign)
    known = {r.number for r in existing}
    added = 0
    for record in records:
        if record.number in known:
            continue
        known.add(record.number)
        added += 1
        record.id = f"r{len(existing) + 1}"
        existing.append(record)
    _write_json(path, [_record_row(r) for r in existing])
    registry = load_dnc(data)
    blocked = sum(1 for r in records if registry.blocking(tenant, campaign, r.number) is not None)
    typer.echo(
        f"{campaign}: imported {added} records ({len(records) - added} already on the list), "
        f"{len(existing)} in all; {blocked} on a do-not-call list (never dialled)"
    )


# -- do-not-call --------------------------------------------------------------------------


def _number_or_exit(raw: str, region: str, flag: str) -> str:
    from madoguchi.core.dialer import normalize_number

    try:
        return normalize_number(raw, region)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint=flag) from err


@dnc_app.command("add")
def dnc_add(
    number: Annotated[str, typer.Argument(help="Phone number (national or +E.164).")],
    campaign: OptionalCampaignOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (refused, request…).")] = "request",
    added_by: Annotated[str | None, typer.Option("--by", help="Agent who added it.")] = None,
    tenant: TenantOpt = "default",
    data: DataOpt = DEFAULT_DATA,
    region: RegionOpt = "JP",
) -> None:
    """Put one number on the tenant's (or a campaign's) do-not-call list."""
    e164 = _number_or_exit(number, region, "NUMBER")
    entries = _read_json(data / "dnc.json", [])
    entries = [
        e for e in entries if (e["tenant"], e["campaign"], e["number"]) != (tenant, campaign, e164)
    ]
    entries.append(
        {
            "number": e164,
            "tenant": tenant,
            "campaign": campaign,
            "reason": reason,
            "added_by": added_by,
        }
    )
    _save_dnc(data, entries)
    scope = f"campaign {campaign}" if campaign else f"tenant {tenant}"
    typer.echo(f"{e164}: on the do-not-call list of {scope}")


@dnc_app.command("import")
def dnc_import(
    file: Annotated[Path, typer.Argument(help="CSV with a phone (or number, 電話番号) column.")],
    campaign: OptionalCampaignOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the numbers are listed.")] = "import",
    tenant: TenantOpt = "default",
    data: DataOpt = DEFAULT_DATA,
    region: RegionOpt = "JP",
) -> None:
    """Import a CSV of numbers onto a do-not-call list (all rows or none)."""
    records = _parse_or_exit(file, region)
    entries = _read_json(data / "dnc.json", [])
    present = {(e["tenant"], e["campaign"], e["number"]) for e in entries}
    added = 0
    for record in records:
        key = (tenant, campaign, record.number)
        if key in present:
            continue
        present.add(key)
        added += 1
        entries.append(
            {
                "number": record.number,
                "tenant": tenant,
                "campaign": campaign,
                "reason": reason,
                "added_by": None,
            }
        )
    _save_dnc(data, entries)
    typer.echo(f"{added} numbers added ({len(records) - added} already listed)")


@dnc_app.command("check")
def dnc_check(
    number: Annotated[str, typer.Argument(help="Phone number to check.")],
    campaign: Annotated[str, typer.Option("--campaign", help="Campaign to check for.")] = "",
    tenant: TenantOpt = "default",
    data: DataOpt = DEFAULT_DATA,
    region: RegionOpt = "JP",
) -> None:
    """Whether a number may be dialled; exit 1 when a do-not-call list forbids it."""
    e164 = _number_or_exit(number, region, "NUMBER")
    entry = load_dnc(data).blocking(tenant, campaign, e164)
    if entry is None:
        typer.echo(f"{e164}: may be dialled")
        return
    scope = f"campaign {entry.campaign}" if entry.campaign else f"tenant {entry.tenant}"
    typer.echo(f"{e164}: do not call ({scope}, reason: {entry.reason or '-'})")
    raise typer.Exit(1)


# -- reports ------------------------------------------------------------------------------


def print_report(report: OutboundReport, console: Console) -> None:
    """Per campaign: an hourly table, totals, and a per-agent table."""
    from rich.table import Table

    for figures in report.campaigns.values():
        hours = Table(title=f"Campaign {figures.campaign}: per hour")
        for column in ("hour", "attempts", "answered", "connects", "RPC", "abandon", "blocked"):
            hours.add_column(column, justify="left" if column == "hour" else "right")
        rows = [*sorted(figures.hours.items()), ("total", figures.total)]
        for hour, period in rows:
            hours.add_row(
                hour,
                str(period.attempts),
                str(period.answered),
                str(period.connects),
                str(period.right_party),
                f"{period.abandon_rate:.2%}",
                str(period.blocked),
            )
        console.print(hours)
        outcomes = ", ".join(f"{k} {v}" for k, v in figures.total.outcomes.most_common())
        console.print(f"outcomes: {outcomes}")
        size = f" of {figures.list_size}" if figures.list_size else ""
        console.print(
            f"list penetration: {len(figures.attempted)}{size} records dialled"
            + (f" ({figures.penetration:.1%})" if figures.list_size else "")
        )
        agents = Table(title=f"Campaign {figures.campaign}: per agent")
        for column in ("agent", "connects", "talk", "appointments", "contracts", "outcomes"):
            agents.add_column(
                column, justify="left" if column in ("agent", "outcomes") else "right"
            )
        for agent in sorted(figures.agents.values(), key=lambda a: (len(a.agent_id), a.agent_id)):
            agents.add_row(
                agent.agent_id,
                str(agent.connects),
                f"{agent.talk_s / 60:.1f} min",
                str(agent.appointments),
                str(agent.contracts),
                ", ".join(f"{k} {v}" for k, v in agent.outcomes.most_common()),
            )
        console.print(agents)


@app.command("report")
def report(
    events: Annotated[Path, typer.Argument(help="Dialer events, one JSON record a line.")],
    data: DataOpt = DEFAULT_DATA,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")] = None,
) -> None:
    """Per campaign and hour, and per agent, from logged dialer events."""
    from rich.console import Console

    from madoguchi.core.dialer.reports import OutboundReport
    from madoguchi.core.events import EventError, from_record

    folded = OutboundReport()
    for line_number, line in enumerate(_read_text(events).splitlines(), 1):
        if not line.strip():
            continue
        try:
            folded.apply(from_record(json.loads(line)))
        except (ValueError, EventError, TypeError, KeyError) as err:
            typer.echo(f"{events}:{line_number}: not an event record: {err}", err=True)
            raise typer.Exit(1) from err
    for campaign, figures in folded.campaigns.items():
        path = data / "campaigns" / campaign / "list.json"
        if path.exists():
            figures.list_size = len(_read_json(path, []))
    print_report(folded, Console())
    if json_path is not None:
        _write_json(json_path, folded.as_dict())


@app.command("simulate")
def simulate(
    campaign: Annotated[
        str, typer.Option("--campaign", help="Dial this campaign's imported list.")
    ] = "sim",
    agents: Annotated[int, typer.Option("--agents", min=1, help="Agents on the campaign.")] = 20,
    hours: Annotated[float, typer.Option("--hours", min=0.1, help="Length of the day.")] = 8.0,
    pacing: Annotated[
        str, typer.Option("--pacing", help="progressive, predictive or fixed:RATIO.")
    ] = "predictive",
    answer_rate: Annotated[
        float, typer.Option("--answer-rate", min=0.01, max=0.9, help="Share answered by people.")
    ] = 0.25,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    agentless: Annotated[
        bool,
        typer.Option(
            "--agentless", help="Automated reminder calls (keypad confirmation); --agents = lines."
        ),
    ] = False,
    data: DataOpt = DEFAULT_DATA,
    events_path: Annotated[
        Path | None, typer.Option("--events", help="Write the dialer's events here (JSON lines).")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report here.")] = None,
) -> None:
    """A campaign day through the simulator (callees, agents or automated reminder calls, the
    real dialer), then the report."""
    from dataclasses import replace

    from rich.console import Console

    from madoguchi.core.dialer import (
        Campaign,
        CampaignStatus,
        CampaignType,
        DialingMode,
        FixedRatioPacer,
        ListRecord,
        Pacer,
        PredictivePacer,
        ProgressivePacer,
    )
    from madoguchi.core.dialer.reports import OutboundReport
    from madoguchi.core.events import Event, to_record
    from madoguchi.sim.outbound_day import OutboundDayRecording, OutboundModel
    from madoguchi.sim.outbound_day import simulate_outbound_day as run_day

    pacer: Pacer
    if pacing == "progressive":
        pacer = ProgressivePacer()
    elif pacing == "predictive":
        pacer = PredictivePacer(target_abandon=0.03, connect_rule_s=2.0)
    elif pacing.startswith("fixed:"):
        try:
            pacer = FixedRatioPacer(float(pacing.removeprefix("fixed:")))
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--pacing") from err
    else:
        raise typer.BadParameter(f"unknown pacing {pacing!r}", param_hint="--pacing")
    records = load_records(data, campaign)
    if not records:  # no list imported: a generated one, large enough for the day
        size = int(2 * agents * hours * 3600 / OutboundModel().talk_mean_s / answer_rate)
        records = [ListRecord(id=f"r{i}", number=f"+8190{10_000_000 + i:08d}") for i in range(size)]
    callees = replace(OutboundModel(), agents=agents, hours=hours, answer_rate=answer_rate)
    console = Console()
    events: list[Event]
    if agentless:
        from madoguchi.sim.agentless_day import AgentlessModel, simulate_agentless_day

        reminder = Campaign(
            id=campaign, tenant="default", name=campaign, type=CampaignType.REMINDER,
            mode=DialingMode.AGENTLESS, max_attempts=3,
        )  # fmt: skip
        day = simulate_agentless_day(
            AgentlessModel(lines=agents, hours=hours, callees=callees),
            seed,
            campaign=reminder,
            records=records,
            dnc=load_dnc(data),
        )
        events = day.events
        summary = ", ".join(f"{k} {v}" for k, v in day.results.most_common())
        footer = (
            f"agentless on {agents} lines: {day.dials} dials, {day.answered} answered; {summary}"
        )
    else:
        recording = OutboundDayRecording(
            campaign=Campaign(
                id=campaign,
                tenant="default",
                name=campaign,
                status=CampaignStatus.RUNNING,
                max_attempts=10,
            ),
            records=records,
            dnc=load_dnc(data),
        )
        result = run_day(callees, pacer, seed, recording)
        events = recording.events
        footer = (
            f"{pacer.name}: {result.dials} dials, {result.connected} connects, "
            f"utilization {result.utilization:.1%}, abandonment {result.abandon_rate:.2%}"
        )
    folded = OutboundReport({campaign: len(records)}).apply_all(events)
    print_report(folded, console)
    console.print(footer)
    if events_path is not None:
        lines = [json.dumps(to_record(e), ensure_ascii=False) for e in events]
        events_path.parent.mkdir(parents=True, exist_ok=True)
        events_path.write_text("\n".join(lines) + "\n", "utf-8")
    if json_path is not None:
        _write_json(json_path, folded.as_dict())
