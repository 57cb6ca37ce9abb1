"""Outbound API: campaigns, call lists, do-not-call lists, reports, the outbound CTI panel and
the ``/outbound`` page; the agent's dialling routes are in :mod:`madoguchi.api.campaign_dialing`.

The rules are the core's (:mod:`madoguchi.core.dialer`): a stored campaign and its records are
loaded into a :class:`~madoguchi.core.dialer.Dialer` for the request, which picks the next
record, checks a dial at the moment it is placed (do-not-call, calling window, attempts) and
turns a disposition into events; this module stores what those events say. Every refused dial
is logged (``ob_dial_attempt`` with outcome ``blocked``). Supervisors manage campaigns, lists
and imports; agents preview, dial, disposition, add numbers to the do-not-call list and check.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.api import audit
from madoguchi.api.auth import Caller, client_address, require
from madoguchi.api.campaign_dialing import KeyPath, campaign_of
from madoguchi.api.campaign_dialing import router as dialing_router
from madoguchi.api.campaign_models import (
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    CtiPanel,
    DncAdd,
    DncCheck,
    DncEntryOut,
    DncImportReport,
    ListImportReport,
)
from madoguchi.api.campaign_views import cti_panel
from madoguchi.api.context import Ctx, Db, Principal, Role
from madoguchi.api.csv_import import decode
from madoguchi.api.errors import (
    COMMON_RESPONSES,
    Conflict,
    CsvRejected,
    ErrorDetail,
    InvalidField,
    PayloadTooLarge,
)
from madoguchi.api.phones import InvalidPhoneNumber, normalize_phone
from madoguchi.core.dialer import (
    CampaignStatus,
    DialingMode,
    ListImportError,
    parse_call_list,
)
from madoguchi.store.campaigns import (
    CampaignRow,
    add_dnc,
    attempt_events,
    blocking_dnc,
    core_campaign,
    create_campaign_tables,
    dnc_registry,
    find_campaign,
    import_records,
    list_size,
    stamp,
)

router = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=COMMON_RESPONSES)
Supervisor = Annotated[Principal, require(Role.SUPERVISOR)]


pages = APIRouter(include_in_schema=False)


@pages.get("/outbound")
def outbound_page() -> FileResponse:
    """The outbound page: campaigns for supervisors, preview dialling and CTI for agents."""
    from madoguchi.api.pages import PAGES_ROOT

    return FileResponse(
        PAGES_ROOT / "outbound.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def install(app: FastAPI, engine: Any, create_tables: bool = False) -> None:
    """Add the outbound routes and page to ``app`` (and its tables, for tests and the dev
    server: ``create_tables``)."""
    if create_tables:
        create_campaign_tables(engine)
    app.include_router(router)
    app.include_router(dialing_router)
    app.include_router(pages)


def _now(ctx: Ctx) -> float:
    now: float = ctx.runtime.clock.now()
    return now


def _number(raw: str, field: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber as err:
        raise InvalidField(field, str(err)) from err


def _out(db: Session, row: CampaignRow) -> CampaignOut:
    return CampaignOut.of(row, list_size(db, row))


def _check_agents(ctx: Ctx, caller: Principal, agents: list[str]) -> None:
    """422 naming ``body.rules.agents`` when one is not an agent of the caller's tenant."""
    known = {a.id for a in ctx.config.agents if a.tenant == caller.tenant}
    unknown = [a for a in agents if a not in known]
    if unknown:
        raise InvalidField(
            "body.rules.agents", f"not agents of tenant {caller.tenant}: {', '.join(unknown)}"
        )


def _check_agentless(row: CampaignRow) -> None:
    """422 naming ``body.rules.message`` when an agentless campaign has nothing to say."""
    if row.mode != DialingMode.AGENTLESS.value:
        return
    if not str((row.rules or {}).get("message") or row.script or "").strip():
        raise InvalidField(
            "body.rules.message", "an agentless campaign needs its message (or a script)"
        )


# -- campaigns ----------------------------------------------------------------------------


@router.post("/campaigns", response_model=CampaignOut, status_code=201, summary="Create a campaign")
def create_campaign(body: CampaignCreate, caller: Supervisor, ctx: Ctx, db: Db) -> CampaignOut:
    """A new campaign in the draft state; 409 when the key is taken."""
    if find_campaign(db, caller.tenant, body.key) is not None:
        raise Conflict(f"campaign {body.key} exists", error_id="duplicate-campaign")
    _check_agents(ctx, caller, body.rules.agents)
    moment = stamp(_now(ctx))
    row = CampaignRow(
        tenant=caller.tenant,
        key=body.key,
        name=body.name,
        type=body.type.value,
        mode=body.mode.value,
        queue=body.queue,
        script=body.script,
        dispositions=list(body.dispositions),
        rules=body.rules.model_dump(),
        status=CampaignStatus.DRAFT.value,
        created_at=moment,
        updated_at=moment,
    )
    _check_agentless(row)
    db.add(row)
    db.flush()
    return _out(db, row)


@router.get("/campaigns", response_model=list[CampaignOut], summary="List campaigns")
def list_campaigns(caller: Caller, db: Db) -> list[CampaignOut]:
    """The tenant's campaigns, by key."""
    rows = db.scalars(
        select(CampaignRow).where(CampaignRow.tenant == caller.tenant).order_by(CampaignRow.key)
    )
    return [_out(db, row) for row in rows]


@router.get("/campaigns/{key}", response_model=CampaignOut, summary="Get a campaign")
def get_campaign(key: KeyPath, caller: Caller, db: Db) -> CampaignOut:
    """One campaign."""
    return _out(db, campaign_of(db, caller, key))


@router.patch("/campaigns/{key}", response_model=CampaignOut, summary="Change a campaign")
def update_campaign(
    key: KeyPath, body: CampaignUpdate, caller: Supervisor, ctx: Ctx, db: Db
) -> CampaignOut:
    """Change the fields given; a stopped campaign cannot change (409)."""
    row = campaign_of(db, caller, key)
    if row.status == CampaignStatus.STOPPED.value:
        raise Conflict("the campaign is stopped", error_id="campaign-stopped")
    if body.rules is not None:
        _check_agents(ctx, caller, body.rules.agents)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None and name not in ("queue", "script"):
            continue  # required fields: null keeps the stored value
        setattr(row, name, str(value) if name in ("type", "mode") else value)
    _check_agentless(row)
    row.updated_at = stamp(_now(ctx))
    return _out(db, row)


#: status → the states it may move to
_MOVES = {
    "start": ({CampaignStatus.DRAFT, CampaignStatus.PAUSED}, CampaignStatus.RUNNING),
    "pause": ({CampaignStatus.RUNNING}, CampaignStatus.PAUSED),
    "stop": (
        {CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED},
        CampaignStatus.STOPPED,
    ),
}


def _move(db: Session, caller: Principal, ctx: Ctx, key: str, action: str) -> CampaignOut:
    row = campaign_of(db, caller, key)
    allowed, target = _MOVES[action]
    if CampaignStatus(row.status) not in allowed:
        raise Conflict(f"cannot {action} a {row.status} campaign", error_id="campaign-state")
    row.status = target.value
    row.updated_at = stamp(_now(ctx))
    return _out(db, row)


@router.post("/campaigns/{key}/start", response_model=CampaignOut, summary="Start a campaign")
def start_campaign(key: KeyPath, caller: Supervisor, ctx: Ctx, db: Db) -> CampaignOut:
    """Start or resume dialling (from draft or paused)."""
    return _move(db, caller, ctx, key, "start")


@router.post("/campaigns/{key}/pause", response_model=CampaignOut, summary="Pause a campaign")
def pause_campaign(key: KeyPath, caller: Supervisor, ctx: Ctx, db: Db) -> CampaignOut:
    """Stop placing new dials; dials in flight finish."""
    return _move(db, caller, ctx, key, "pause")


@router.post("/campaigns/{key}/stop", response_model=CampaignOut, summary="Stop a campaign")
def stop_campaign(key: KeyPath, caller: Supervisor, ctx: Ctx, db: Db) -> CampaignOut:
    """End the campaign for good."""
    return _move(db, caller, ctx, key, "stop")


# -- lists and do-not-call ----------------------------------------------------------------


async def _csv_text(file: UploadFile, ctx: Ctx) -> str:
    data = await file.read(ctx.settings.max_upload_bytes + 1)
    if len(data) > ctx.settings.max_upload_bytes:
        raise PayloadTooLarge(f"file larger than {ctx.settings.max_upload_bytes} bytes")
    try:
        return decode(data)
    except ValueError as err:
        raise InvalidField("file", str(err)) from err


def _parse(text: str, filename: str) -> list[Any]:
    try:
        return parse_call_list(text, filename)
    except ListImportError as err:
        details = [
            ErrorDetail(field=f"line {p.line}", message=p.message) for p in err.problems[:1000]
        ]
        raise CsvRejected(
            f"{len(err.problems)} bad row(s); nothing was imported", details=details
        ) from err


@router.post(
    "/campaigns/{key}/list",
    response_model=ListImportReport,
    summary="Import a call list from CSV (all rows or none)",
)
async def import_list(
    key: KeyPath, file: UploadFile, request: Request, caller: Supervisor, ctx: Ctx, db: Db
) -> ListImportReport:
    """Numbers normalized to E.164 (JP default), duplicates merged, records linked to the
    customer with the same customer number or phone; 422 naming every bad row, nothing stored."""
    row = campaign_of(db, caller, key)
    records = _parse(await _csv_text(file, ctx), file.filename or "list.csv")
    added, listed = import_records(db, row, records, _now(ctx))
    registry = dnc_registry(db, caller.tenant, {r.number for r in records})
    blocked = sum(1 for r in records if registry.blocking(caller.tenant, key, r.number))
    audit.record(
        db,
        now=_now(ctx),
        action="campaign.list_import",
        who=caller,
        target=key,
        client=client_address(request),
        detail={"added": added, "already_listed": listed, "file": file.filename or ""},
    )
    return ListImportReport(added=added, already_listed=listed, on_do_not_call=blocked)


@router.post("/dnc", response_model=DncEntryOut, summary="Put a number on a do-not-call list")
def dnc_add(body: DncAdd, caller: Caller, ctx: Ctx, db: Db) -> DncEntryOut:
    """Tenant-wide, or for one campaign; agents may add. The first entry's who/when/why stay."""
    number = _number(body.number, "body.number")
    if body.campaign is not None:
        campaign_of(db, caller, body.campaign)
    entry, _ = add_dnc(
        db,
        caller.tenant,
        number,
        _now(ctx),
        campaign_key=body.campaign,
        reason=body.reason,
        added_by=caller.agent_id or caller.username,
    )
    return DncEntryOut.of(entry)


@router.post(
    "/dnc/import",
    response_model=DncImportReport,
    summary="Import numbers onto a do-not-call list (all rows or none)",
)
async def dnc_import(
    file: UploadFile,
    caller: Supervisor,
    ctx: Ctx,
    db: Db,
    campaign: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")] = None,
    reason: Annotated[str, Query(max_length=200)] = "import",
) -> DncImportReport:
    """A CSV with a phone column; 422 naming every bad row, nothing stored."""
    if campaign is not None:
        campaign_of(db, caller, campaign)
    records = _parse(await _csv_text(file, ctx), file.filename or "dnc.csv")
    added = 0
    for record in records:
        _, new = add_dnc(
            db,
            caller.tenant,
            record.number,
            _now(ctx),
            campaign_key=campaign,
            reason=reason,
            added_by=caller.username,
        )
        added += new
    return DncImportReport(added=added, already_listed=len(records) - added)


@router.get("/dnc/check", response_model=DncCheck, summary="May this number be dialled?")
def dnc_check(
    caller: Caller,
    db: Db,
    number: Annotated[str, Query(min_length=1, max_length=40)],
    campaign: Annotated[str, Query(max_length=64)] = "",
) -> DncCheck:
    """The entry that forbids it, tenant-wide or for ``campaign``."""
    e164 = _number(number, "query.number")
    entry = blocking_dnc(db, caller.tenant, campaign, e164)
    return DncCheck(
        number=e164, allowed=entry is None, entry=DncEntryOut.of(entry) if entry else None
    )


# -- reports and the CTI panel ------------------------------------------------------------


@router.get(
    "/campaigns/{key}/report",
    response_model=dict[str, Any],
    summary="Per hour and per agent figures of a campaign",
)
def campaign_report(key: KeyPath, caller: Supervisor, db: Db) -> dict[str, Any]:
    """Attempts, connects, right-party contacts, abandonment, outcomes and list penetration per
    local hour; per agent talk time, outcomes, appointments and contracts (incentives)."""
    from madoguchi.core.dialer import OutboundReport

    row = campaign_of(db, caller, key)
    timezone = core_campaign(row).timezone
    report = OutboundReport({row.key: list_size(db, row)}, timezone)
    report.apply_all(attempt_events(db, row))
    return report.campaign(row.key).as_dict()


@router.get("/outbound/cti", response_model=CtiPanel, summary="Outbound CTI panel for a number")
def outbound_cti(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    number: Annotated[str, Query(min_length=1, max_length=40)],
) -> CtiPanel:
    """When we last called this number, who spoke, what was said, when the next call is due
    (audited as a read of personal data)."""
    e164 = _number(number, "query.number")
    panel = cti_panel(db, caller.tenant, e164)
    audit.record(
        db,
        now=_now(ctx),
        action="outbound.cti",
        who=caller,
        target=e164,
        purpose="outbound_call",
        client=client_address(request),
    )
    return panel
