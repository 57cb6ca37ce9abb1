"""``madoguchi campaign ...``: campaigns, call lists, do-not-call lists, reports, a simulated day.

With ``--db URL`` (the database the server uses, e.g. ``sqlite:///madoguchi.db`` or
``postgresql://…``; migrated to the newest revision on first use) campaigns, lists, do-not-call
entries and dial attempts live in the outbound tables (:mod:`madoguchi.store.campaigns`), the
same the API reads; an import runs in one transaction, so a rejected file stores nothing.

Without ``--db`` lists and do-not-call entries are kept as JSON files in a data directory
(``--data``, or the environment variable ``MADOGUCHI_DATA``; default ``./madoguchi-data``)::

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session

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
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL: keep campaigns in the database, not --data files."),
]
DEFAULT_DATA = Path("madoguchi-data")


# -- storage ------------------------------------------------------------------------------


@contextmanager
def database(url: str) -> Iterator[Session]:
    """A session on ``url`` (migrated first), committed when the block ends without error."""
    from sqlalchemy.orm import Session

    from madoguchi.store import StoreError
    from madoguchi.store.crm import create_crm_engine
    from madoguchi.store.migrate import upgrade

    try:
        engine = create_crm_engine(url)
        upgrade(engine)
    except (StoreError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="--db") from err
    try:
        with Session(engine) as db:
            yield db
            db.commit()
    finally:
        engine.dispose()


def _now() -> float:
    import time

    return time.time()


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
    db_url: DbOpt = None,
) -> None:
    """Import a CSV call list into a campaign (all rows or none)."""
    records = _parse_or_exit(file, region)
    if db_url is not None:
        _import_list_db(db_url, tenant, campaign, records)
        return
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


def _import_list_db(url: str, tenant: str, key: str, records: list[ListRecord]) -> None:
    from madoguchi.store.campaigns import dnc_registry, find_campaign, import_records, list_size

    with database(url) as db:
        row = find_campaign(db, tenant, key)
        if row is None:
            row = _new_campaign(db, tenant, key, key, "sales", "preview")
            typer.echo(f"{key}: new campaign (draft)")
        added, listed = import_records(db, row, records, _now())
        registry = dnc_registry(db, tenant, {r.number for r in records})
        blocked = sum(1 for r in records if registry.blocking(tenant, key, r.number) is not None)
        total = list_size(db, row)
    typer.echo(
        f"{key}: imported {added} records ({listed} already on the list), "
        f"{total} in all; {blocked} on a do-not-call list (never dialled)"
    )


def _new_campaign(db: Session, tenant: str, key: str, name: str, kind: str, mode: str) -> Any:
    from madoguchi.core.dialer import CampaignStatus, CampaignType, DialingMode
    from madoguchi.store.campaigns import CampaignRow, stamp

    try:
        CampaignType(kind)
        DialingMode(mode)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--type/--mode") from err
    if not key or len(key) > 64 or "/" in key:
        raise typer.BadParameter(f"not a campaign id: {key!r}", param_hint="--campaign")
    moment = stamp(_now())
    row = CampaignRow(
        tenant=tenant, key=key, name=name, type=kind, mode=mode, dispositions=[], rules={},
        status=CampaignStatus.DRAFT.value, created_at=moment, updated_at=moment,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


@app.command("create")
def create(
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    db_url: Annotated[str, typer.Option("--db", help="Database URL.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    kind: Annotated[str, typer.Option("--type", help="sales, appointment, survey…")] = "sales",
    mode: Annotated[str, typer.Option("--mode", help="preview, progressive…")] = "preview",
    tenant: TenantOpt = "default",
    queue: Annotated[str | None, typer.Option("--queue", help="The agents' queue.")] = None,
    agents: Annotated[
        str | None,
        typer.Option("--agents", help="Comma-separated agents who work it (progressive…)."),
    ] = None,
    daily_cap: Annotated[
        int | None, typer.Option("--daily-cap", min=1, help="Most dials a day.")
    ] = None,
    daily_connect_cap: Annotated[
        int | None, typer.Option("--daily-connect-cap", min=1, help="Most connects a day.")
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", help="Agentless: what the callee hears first.")
    ] = None,
    question: Annotated[
        str | None, typer.Option("--question", help="Agentless: the keypad question.")
    ] = None,
    lines: Annotated[
        int | None, typer.Option("--lines", min=1, max=500, help="Agentless: lines at once.")
    ] = None,
    detect_machine: Annotated[
        bool, typer.Option("--detect-machine", help="Agentless: leave the message on machines.")
    ] = False,
) -> None:
    """Create a campaign (a draft) in the database."""
    from madoguchi.store.campaigns import find_campaign

    if mode == "agentless" and not (message or "").strip():
        typer.echo(f"{campaign}: an agentless campaign needs --message", err=True)
        raise typer.Exit(1)
    with database(db_url) as db:
        if find_campaign(db, tenant, campaign) is not None:
            typer.echo(f"{campaign}: already exists", err=True)
            raise typer.Exit(1)
        row = _new_campaign(db, tenant, campaign, name or campaign, kind, mode)
        row.queue = queue
        rules: dict[str, Any] = {}
        if agents:
            rules["agents"] = [a.strip() for a in agents.split(",") if a.strip()]
        if daily_cap is not None:
            rules["daily_cap"] = daily_cap
        if daily_connect_cap is not None:
            rules["daily_connect_cap"] = daily_connect_cap
        if mode == "agentless":
            rules["message"] = (message or "").strip()
            rules["detect_machine"] = detect_machine
            if question:
                rules["question"] = question.strip()
            if lines is not None:
                rules["lines"] = lines
        row.rules = rules
    typer.echo(f"{campaign}: created (draft)")


#: action → (statuses it may move from, status it moves to): the API's rules
_MOVES = {
    "start": (("draft", "paused"), "running"),
    "pause": (("running",), "paused"),
    "stop": (("draft", "running", "paused"), "stopped"),
}


def _move(campaign: str, db_url: str, tenant: str, action: str) -> None:
    from madoguchi.store.campaigns import find_campaign, stamp

    allowed, target = _MOVES[action]
    with database(db_url) as db:
        row = find_campaign(db, tenant, campaign)
        if row is None:
            typer.echo(f"{campaign}: no such campaign of tenant {tenant}", err=True)
            raise typer.Exit(1)
        if row.status not in allowed:
            typer.echo(f"{campaign}: cannot {action} a {row.status} campaign", err=True)
            raise typer.Exit(1)
        row.status = target
        row.updated_at = stamp(_now())
    typer.echo(f"{campaign}: {target} (a running server picks it up within a second)")


@app.command("start")
def start(
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    db_url: Annotated[str, typer.Option("--db", help="Database URL.")],
    tenant: TenantOpt = "default",
) -> None:
    """Start or resume a stored campaign (``madoguchi serve`` dials it over the trunk)."""
    _move(campaign, db_url, tenant, "start")


@app.command("pause")
def pause(
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    db_url: Annotated[str, typer.Option("--db", help="Database URL.")],
    tenant: TenantOpt = "default",
) -> None:
    """Pause a running campaign: no new dials, calls in progress finish."""
    _move(campaign, db_url, tenant, "pause")


@app.command("stop")
def stop(
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    db_url: Annotated[str, typer.Option("--db", help="Database URL.")],
    tenant: TenantOpt = "default",
) -> None:
    """End a campaign for good."""
    _move(campaign, db_url, tenant, "stop")


@app.command("list")
def list_campaigns(
    db_url: Annotated[str, typer.Option("--db", help="Database URL.")],
    tenant: TenantOpt = "default",
) -> None:
    """The tenant's campaigns with their status and list size."""
    from sqlalchemy import select

    from madoguchi.store.campaigns import CampaignRow, list_size

    with database(db_url) as db:
        rows = db.scalars(
            select(CampaignRow).where(CampaignRow.tenant == tenant).order_by(CampaignRow.key)
        )
        for row in rows:
            typer.echo(f"{row.key}\t{row.status}\t{row.mode}\t{list_size(db, row)} records")


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
    db_url: DbOpt = None,
) -> None:
    """Put one number on the tenant's (or a campaign's) do-not-call list."""
    e164 = _number_or_exit(number, region, "NUMBER")
    scope = f"campaign {campaign}" if campaign else f"tenant {tenant}"
    if db_url is not None:
        from madoguchi.store.campaigns import add_dnc

        with database(db_url) as db:
            add_dnc(db, tenant, e164, _now(), campaign_key=campaign, reason=reason,
                    added_by=added_by)  # fmt: skip
        typer.echo(f"{e164}: on the do-not-call list of {scope}")
        return
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
    typer.echo(f"{e164}: on the do-not-call list of {scope}")


@dnc_app.command("import")
def dnc_import(
    file: Annotated[Path, typer.Argument(help="CSV with a phone (or number, 電話番号) column.")],
    campaign: OptionalCampaignOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the numbers are listed.")] = "import",
    tenant: TenantOpt = "default",
    data: DataOpt = DEFAULT_DATA,
    region: RegionOpt = "JP",
    db_url: DbOpt = None,
) -> None:
    """Import a CSV of numbers onto a do-not-call list (all rows or none)."""
    records = _parse_or_exit(file, region)
    if db_url is not None:
        from madoguchi.store.campaigns import add_dnc

        with database(db_url) as db:
            added = sum(
                add_dnc(db, tenant, r.number, _now(), campaign_key=campaign, reason=reason)[1]
                for r in records
            )
        typer.echo(f"{added} numbers added ({len(records) - added} already listed)")
        return
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
    db_url: DbOpt = None,
) -> None:
    """Whether a number may be dialled; exit 1 when a do-not-call list forbids it."""
    e164 = _number_or_exit(number, region, "NUMBER")
    if db_url is not None:
        from madoguchi.store.campaigns import dnc_registry

        with database(db_url) as db:
            registry = dnc_registry(db, tenant, {e164})
    else:
        registry = load_dnc(data)
    entry = registry.blocking(tenant, campaign, e164)
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
    events: Annotated[
        Path | None,
        typer.Argument(help="Dialer events, one JSON record a line (with --db: optional)."),
    ] = None,
    data: DataOpt = DEFAULT_DATA,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")] = None,
    db_url: DbOpt = None,
    campaign: OptionalCampaignOpt = None,
    tenant: TenantOpt = "default",
) -> None:
    """Per campaign and hour, and per agent, from logged dialer events (or, with --db and
    --campaign, from the dial attempts stored in the database)."""
    from rich.console import Console

    from madoguchi.core.dialer.reports import OutboundReport
    from madoguchi.core.events import EventError, from_record

    folded = OutboundReport()
    if events is None:
        if db_url is None or campaign is None:
            raise typer.BadParameter("give EVENTS, or --db with --campaign", param_hint="EVENTS")
        _report_db(db_url, tenant, campaign, folded)
        print_report(folded, Console())
        if json_path is not None:
            _write_json(json_path, folded.as_dict())
        return
    for line_number, line in enumerate(_read_text(events).splitlines(), 1):
        if not line.strip():
            continue
        try:
            folded.apply(from_record(json.loads(line)))
        except (ValueError, EventError, TypeError, KeyError) as err:
            typer.echo(f"{events}:{line_number}: not an event record: {err}", err=True)
            raise typer.Exit(1) from err
    for key, figures in folded.campaigns.items():
        if db_url is not None:
            from madoguchi.store.campaigns import find_campaign, list_size

            with database(db_url) as db:
                row = find_campaign(db, tenant, key)
                figures.list_size = list_size(db, row) if row is not None else 0
            continue
        path = data / "campaigns" / key / "list.json"
        if path.exists():
            figures.list_size = len(_read_json(path, []))
    print_report(folded, Console())
    if json_path is not None:
        _write_json(json_path, folded.as_dict())


def _report_db(url: str, tenant: str, key: str, folded: OutboundReport) -> None:
    from madoguchi.store.campaigns import attempt_events, core_campaign, find_campaign, list_size

    with database(url) as db:
        row = find_campaign(db, tenant, key)
        if row is None:
            raise typer.BadParameter(
                f"no campaign {key} in tenant {tenant}", param_hint="--campaign"
            )
        folded.timezone = core_campaign(row).timezone
        folded.campaign(key).list_size = list_size(db, row)
        folded.apply_all(attempt_events(db, row))


def _stored(url: str, tenant: str, key: str) -> tuple[list[ListRecord], DoNotCallRegistry]:
    from sqlalchemy import select

    from madoguchi.store.campaigns import ListRecordRow, core_record, dnc_registry, find_campaign

    with database(url) as db:
        row = find_campaign(db, tenant, key)
        records: list[ListRecord] = []
        if row is not None:
            query = select(ListRecordRow).where(ListRecordRow.campaign_id == row.id)
            records = [core_record(r) for r in db.scalars(query.order_by(ListRecordRow.id))]
        return records, dnc_registry(db, tenant)


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
    db_url: DbOpt = None,
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
    if db_url is not None:
        records, dnc = _stored(db_url, "default", campaign)
    else:
        records, dnc = load_records(data, campaign), load_dnc(data)
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
            dnc=dnc,
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
            dnc=dnc,
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
