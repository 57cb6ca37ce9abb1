"""Outbound API, the agent's side: preview dialling, dial results, dispositions, callbacks.

Preview mode (プレビュー発信): the agent asks for the next record (a callback due for them or for
anyone first), sees it, then dials or skips. The dial is checked at that moment by the core's
:class:`~madoguchi.core.dialer.Dialer` (do-not-call, calling window, attempts); a refused dial is
logged. The result (from telephony, or reported by the agent) applies the campaign's retry
rules; the disposition goes through ``Dialer.disposition`` — ``refused`` puts the number on the
tenant's do-not-call list for good (特定商取引法 Art. 17), ``callback`` schedules a callback,
``appointment`` records date, time and rep — and this module stores what its events say.

When the server runs an outbound gateway for the tenant (a trunk in the center file), a dial
is placed over the trunk from the agent's seat (:meth:`OutboundGateway.place_preview`): the
callee answering is bridged to the agent, and the result is stored on the attempt, where the
page reads it (``GET /attempts/{id}``). Without a gateway the agent reports the result. A
campaign that has reached its daily cap of dials or connects refuses the dial (409
``daily-cap-reached``, logged in the block log and the server log).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from madoguchi.api.auth import Caller
from madoguchi.api.campaign_models import (
    BUILTIN_DISPOSITIONS,
    AttemptOut,
    CallbackOut,
    CallbackRequest,
    DialOut,
    DialResult,
    DispositionIn,
    DispositionOut,
    PreviewOut,
    RecordOut,
)
from madoguchi.api.context import Ctx, Db, Principal, RowId
from madoguchi.api.errors import COMMON_RESPONSES, Conflict, Forbidden, InvalidField, NotFound
from madoguchi.core.dialer import (
    CampaignStatus,
    Dialer,
    DialingMode,
    DialOutcome,
    ProgressivePacer,
)
from madoguchi.core.dialer import events as ev
from madoguchi.core.events import Event
from madoguchi.store.campaigns import (
    CallbackRow,
    CampaignRow,
    DialAttemptRow,
    ListRecordRow,
    add_dnc,
    apply_dial_result,
    core_campaign,
    core_record,
    dnc_registry,
    find_campaign,
    log_block,
    stamp,
    today_counts,
)
from madoguchi.store.crm import aware

_log = logging.getLogger("madoguchi.outbound")

router = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=COMMON_RESPONSES)
KeyPath = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
#: How long a previewed record is held for the agent who sees it.
PREVIEW_HOLD_S = 300.0
#: How long a placed dial keeps its record out of the queue until its result comes.
RINGING_HOLD_S = 3600.0
#: Records loaded into the dialer per preview (due first).
PREVIEW_BATCH = 500


def _now(ctx: Ctx) -> float:
    now: float = ctx.runtime.clock.now()
    return now


def campaign_of(db: Session, caller: Principal, key: str) -> CampaignRow:
    """The caller's tenant's campaign ``key``, or 404."""
    row = find_campaign(db, caller.tenant, key)
    if row is None:
        raise NotFound(f"no campaign {key}", error_id="no-such-campaign")
    return row


def _record(db: Session, campaign: CampaignRow, key: str) -> ListRecordRow:
    row = db.scalar(
        select(ListRecordRow).where(
            ListRecordRow.campaign_id == campaign.id, ListRecordRow.key == key
        )
    )
    if row is None:
        raise NotFound(f"no record {key}", error_id="no-such-record")
    return row


def _agent(caller: Principal) -> str:
    if caller.agent_id is None:
        raise Forbidden("only a user who works as an agent can dial", error_id="not-an-agent")
    return caller.agent_id


# -- preview dialling ---------------------------------------------------------------------


def _record_out(row: ListRecordRow) -> RecordOut:
    return RecordOut(
        key=row.key,
        number=row.number,
        name=row.name,
        customer_id=row.customer_id,
        attributes=dict(row.attributes or {}),
        attempts=row.attempts,
        last_outcome=row.last_outcome,
    )


def _dialer(
    db: Session, row: CampaignRow, records: list[ListRecordRow], now: float | None = None
) -> Dialer:
    numbers = {r.number for r in records}
    dialer = Dialer(
        core_campaign(row),
        ProgressivePacer(),
        dnc_registry(db, row.tenant, numbers),
        [core_record(r) for r in records],
    )
    if now is not None:  # the day's dials and connects so far, for the daily caps
        dialer.set_today(now, *today_counts(db, row, now))
    return dialer


def _paced_by_server(ctx: Ctx, campaign: CampaignRow) -> bool:
    """Whether the tenant's outbound gateway paces this campaign itself (progressive,
    predictive or agentless): then agents do not pick its records by hand (no double
    dials)."""
    return _gateway(ctx, campaign.tenant) is not None and campaign.mode in (
        DialingMode.PROGRESSIVE.value,
        DialingMode.PREDICTIVE.value,
        DialingMode.AGENTLESS.value,
    )


def _gateway(ctx: Ctx, tenant: str) -> Any:
    """The running outbound gateway of ``tenant`` (None: no trunk, the agent reports)."""
    return (ctx.extras.get("outbound") or {}).get(tenant)


@router.get(
    "/campaigns/{key}/preview", response_model=PreviewOut, summary="The agent's next record"
)
def preview_next(key: KeyPath, caller: Caller, ctx: Ctx, db: Db) -> PreviewOut:
    """Preview mode: a callback due for this agent (or anyone) first, else the dialer's next
    record. The record is held for this agent for a few minutes; numbers on a do-not-call
    list are closed and logged, never shown."""
    agent = _agent(caller)
    row = campaign_of(db, caller, key)
    if row.status != CampaignStatus.RUNNING.value:
        return PreviewOut(record=None, reason="not_running")
    if _paced_by_server(ctx, row):
        return PreviewOut(record=None, reason="paced_by_server")
    now = _now(ctx)
    callback = db.scalar(
        select(CallbackRow)
        .where(
            CallbackRow.campaign_id == row.id,
            CallbackRow.done.is_(False),
            CallbackRow.due <= stamp(now),
            or_(CallbackRow.agent_id.is_(None), CallbackRow.agent_id == agent),
        )
        .order_by(CallbackRow.due)
        .limit(1)
    )
    if callback is not None:
        found = db.get(ListRecordRow, callback.record_id)
        if found is not None:
            return PreviewOut(record=_record_out(found), callback_id=callback.id)
    pending = select(CallbackRow.record_id).where(
        CallbackRow.campaign_id == row.id, CallbackRow.done.is_(False)
    )
    candidates = list(
        db.scalars(
            select(ListRecordRow)
            .where(
                ListRecordRow.campaign_id == row.id,
                ListRecordRow.closed.is_(None),
                or_(
                    ListRecordRow.next_attempt_at.is_(None),
                    ListRecordRow.next_attempt_at <= stamp(now),
                ),
                ListRecordRow.id.not_in(pending),
            )
            .order_by(ListRecordRow.attempts, ListRecordRow.next_attempt_at, ListRecordRow.id)
            .limit(PREVIEW_BATCH)
        )
    )
    by_key = {r.key: r for r in candidates}
    for _ in range(20):
        dialer = _dialer(db, row, list(by_key.values()))
        nxt = dialer.next_preview(now)
        if nxt is None:
            return PreviewOut(record=None, reason="nothing_due")
        chosen = by_key[nxt.id]
        if not dialer.in_window(nxt, now):
            return PreviewOut(record=None, reason="outside_window")
        if dialer.dnc.blocking(row.tenant, row.key, nxt.number) is not None:
            log_block(db, row, chosen.number, "do_not_call", now, record=chosen)
            chosen.closed = "do_not_call"
            del by_key[nxt.id]
            continue
        chosen.next_attempt_at = stamp(now + PREVIEW_HOLD_S)
        return PreviewOut(record=_record_out(chosen))
    return PreviewOut(record=None, reason="nothing_due")


@router.post(
    "/campaigns/{key}/records/{record}/skip",
    status_code=204,
    response_class=Response,
    summary="Skip a previewed record",
)
def skip_record(key: KeyPath, record: KeyPath, caller: Caller, ctx: Ctx, db: Db) -> Response:
    """The agent passes: the record comes back later (no attempt is counted)."""
    _agent(caller)
    row = _record(db, campaign_of(db, caller, key), record)
    row.next_attempt_at = stamp(_now(ctx) + 15 * 60.0)
    return Response(status_code=204)


@router.post(
    "/campaigns/{key}/records/{record}/dial",
    response_model=DialOut,
    summary="Dial a record",
    responses={409: {"description": "not running, daily cap reached, or agent not ready"}},
)
def dial_record(key: KeyPath, record: KeyPath, caller: Caller, ctx: Ctx, db: Db) -> DialOut:
    """Checked at this moment (do-not-call, calling window, attempts, daily caps): placed, or
    blocked and logged. With the tenant's trunk the server places the call from the agent's
    seat and stores its result on the attempt; otherwise the agent reports it."""
    agent = _agent(caller)
    campaign = campaign_of(db, caller, key)
    if campaign.status != CampaignStatus.RUNNING.value:
        raise Conflict("the campaign is not running", error_id="campaign-not-running")
    if _paced_by_server(ctx, campaign):
        raise Conflict(
            f"campaign {campaign.key} is dialled by the server ({campaign.mode})",
            error_id="campaign-paced",
        )
    row = _record(db, campaign, record)
    gateway = _gateway(ctx, caller.tenant)
    if gateway is not None:
        not_ready = gateway.agent_not_ready(agent, campaign.key)
        if not_ready is not None:
            raise Conflict(f"cannot dial now: {not_ready}", error_id="agent-not-ready")
    now = _now(ctx)
    dialer = _dialer(db, campaign, [row], now)
    placed = dialer.dial_record(row.key, now, agent)
    if isinstance(placed, ev.DialBlocked):
        if placed.reason not in ("outside_window", "daily_cap", "daily_connect_cap"):
            row.closed = placed.reason
        logged = log_block(db, campaign, row.number, placed.reason, now, record=row, agent_id=agent)
        if placed.reason in ("daily_cap", "daily_connect_cap"):
            dials, connects = dialer.today(now)
            rules = dialer.campaign
            cap, done, what = (
                (rules.daily_cap, dials, "dials")
                if placed.reason == "daily_cap"
                else (rules.daily_connect_cap, connects, "connects")
            )
            message = (
                f"campaign {campaign.key} has reached its daily cap of {cap} {what} "
                f"({done} today, {rules.timezone}); no more dials until tomorrow"
            )
            _log.warning("%s (dial by %s refused, attempt %d)", message, agent, logged.id)
            db.commit()  # the block log keeps the refusal
            raise Conflict(message, error_id="daily-cap-reached")
        return DialOut(
            attempt_id=logged.id, placed=False, number=row.number, blocked_reason=placed.reason
        )
    assert isinstance(placed, ev.DialPlaced)
    row.attempts = placed.attempt
    row.next_attempt_at = stamp(now + RINGING_HOLD_S)
    attempt = DialAttemptRow(
        tenant=campaign.tenant,
        campaign_id=campaign.id,
        record_id=row.id,
        number=row.number,
        attempt=placed.attempt,
        agent_id=agent,
        placed_at=stamp(now),
        connected=False,
        notes="",
    )
    db.add(attempt)
    for callback in db.scalars(
        select(CallbackRow).where(CallbackRow.record_id == row.id, CallbackRow.done.is_(False))
    ):
        callback.done = True  # this dial is the call the callback promised
    db.flush()
    if gateway is None:
        return DialOut(attempt_id=attempt.id, placed=True, number=row.number)
    db.commit()  # the gateway stores the result on this row
    gateway.place_preview(
        attempt_id=attempt.id,
        campaign=campaign.key,
        record=row.key,
        number=row.number,
        agent_id=agent,
        queue=campaign.queue,
        ring_timeout_s=dialer.campaign.ring_timeout_s,
        attempt=placed.attempt,
    )
    return DialOut(attempt_id=attempt.id, placed=True, number=row.number, over_trunk=True)


def _attempt(db: Session, caller: Principal, attempt_id: int) -> DialAttemptRow:
    row = db.get(DialAttemptRow, attempt_id)
    if row is None or row.tenant != caller.tenant or row.outcome == "blocked":
        raise NotFound(f"no dial attempt {attempt_id}", error_id="no-such-attempt")
    return row


@router.post(
    "/attempts/{attempt_id}/result", response_model=DialOut, summary="Report how a dial ended"
)
def dial_result(attempt_id: RowId, body: DialResult, caller: Caller, ctx: Ctx, db: Db) -> DialOut:
    """Answered: the agent is connected. Otherwise the retry rules of the campaign schedule
    the next attempt, or close the record."""
    attempt = _attempt(db, caller, attempt_id)
    if attempt.outcome is not None:
        raise Conflict("the dial already has its result", error_id="attempt-resulted")
    apply_dial_result(db, attempt, body.outcome.value, body.ring_s, _now(ctx))
    attempt.connected = body.outcome is DialOutcome.ANSWERED and attempt.agent_id is not None
    return DialOut(attempt_id=attempt.id, placed=True, number=attempt.number)


@router.get("/attempts/{attempt_id}", response_model=AttemptOut, summary="A dial attempt")
def get_attempt(attempt_id: RowId, caller: Caller, db: Db) -> AttemptOut:
    """How the dial ended ringing (``outcome`` null while it rings) and whether the callee
    reached the agent: the page polls this after a dial placed over the trunk."""
    attempt = _attempt(db, caller, attempt_id)
    campaign = db.get(CampaignRow, attempt.campaign_id)
    record = db.get(ListRecordRow, attempt.record_id) if attempt.record_id else None
    return AttemptOut(
        attempt_id=attempt.id,
        campaign=campaign.key if campaign is not None else "",
        record=record.key if record is not None else None,
        number=attempt.number,
        agent_id=attempt.agent_id,
        placed_at=aware(attempt.placed_at),
        outcome=DialOutcome(attempt.outcome) if attempt.outcome else None,
        ring_s=attempt.ring_s,
        connected=attempt.connected,
        disposition=attempt.disposition,
        notes=attempt.notes,
    )


def _apply(
    db: Session,
    events: list[Event],
    campaign: CampaignRow,
    record: ListRecordRow,
    attempt: DialAttemptRow,
    caller: Principal,
) -> DispositionOut:
    out = DispositionOut(
        attempt_id=attempt.id,
        record_closed=None,
        do_not_call_added=False,
        callback_id=None,
        next_attempt_at=None,
    )
    for item in events:
        if isinstance(item, ev.OutboundDispositioned):
            attempt.disposition = item.disposition
            attempt.notes = item.notes
            attempt.appointment_rep = item.appointment_rep
            attempt.ended_at = stamp(item.at)
            if item.appointment_at is not None:
                attempt.appointment_at = stamp(item.appointment_at)
        elif isinstance(item, ev.DoNotCallAdded):
            add_dnc(
                db, item.tenant, item.number, item.at, reason=item.reason, added_by=item.added_by
            )
            out.do_not_call_added = True
        elif isinstance(item, ev.CallbackScheduled):
            callback = CallbackRow(
                tenant=campaign.tenant,
                campaign_id=campaign.id,
                record_id=record.id,
                due=stamp(item.due),
                agent_id=item.agent_id,
                created_by=caller.username,
                created_at=stamp(item.at),
                done=False,
            )
            db.add(callback)
            db.flush()
            record.next_attempt_at = stamp(item.due)
            out.callback_id = callback.id
        elif isinstance(item, ev.RecordClosed):
            record.closed = item.reason
            out.record_closed = item.reason
        elif isinstance(item, ev.AttemptScheduled):
            record.next_attempt_at = stamp(item.due)
            out.next_attempt_at = stamp(item.due)
    return out


@router.post(
    "/attempts/{attempt_id}/disposition",
    response_model=DispositionOut,
    summary="Record the result of an outbound conversation",
)
def disposition(
    attempt_id: RowId, body: DispositionIn, caller: Caller, ctx: Ctx, db: Db
) -> DispositionOut:
    """sale, appointment (date, time, rep), refused (→ the tenant's do-not-call list for
    good), callback (time, agent), wrong_number… or the campaign's own codes."""
    agent = _agent(caller)
    attempt = _attempt(db, caller, attempt_id)
    if attempt.disposition is not None:
        raise Conflict("the call already has its disposition", error_id="attempt-dispositioned")
    campaign = db.get(CampaignRow, attempt.campaign_id)
    record = db.get(ListRecordRow, attempt.record_id) if attempt.record_id else None
    if campaign is None or record is None:
        raise NotFound("the record of this attempt is gone", error_id="no-such-record")
    codes = set(BUILTIN_DISPOSITIONS) | set(campaign.dispositions or ())
    if body.code not in codes:
        raise InvalidField("body.code", f"not a disposition of campaign {campaign.key}")
    if body.code == "appointment" and body.appointment is None:
        raise InvalidField("body.appointment", "an appointment needs its date, time and rep")
    if body.code == "callback" and body.callback is None:
        raise InvalidField("body.callback", "a callback needs its time")
    now = _now(ctx)
    rules = core_campaign(campaign)
    appointment_at = None
    if body.appointment is not None:
        appointment_at = datetime.combine(
            body.appointment.date, body.appointment.time, ZoneInfo(rules.timezone)
        ).timestamp()
    if body.talk_s is not None:
        attempt.talk_s = body.talk_s
        attempt.connected = True
    dialer = _dialer(db, campaign, [record])
    events = dialer.disposition(
        record.key,
        agent,
        body.code,
        now,
        notes=body.notes,
        callback_at=body.callback.at.timestamp() if body.callback else None,
        callback_agent=body.callback.agent_id if body.callback else None,
        appointment_at=appointment_at,
        appointment_rep=body.appointment.rep if body.appointment else None,
    )
    if not any(isinstance(e, ev.RecordClosed | ev.CallbackScheduled) for e in events):
        events.extend(dialer.retry_later(record.key, now))
    return _apply(db, events, campaign, record, attempt, caller)


@router.post(
    "/campaigns/{key}/records/{record}/callbacks",
    response_model=CallbackOut,
    status_code=201,
    summary="Schedule a callback",
)
def schedule_callback(
    key: KeyPath, record: KeyPath, body: CallbackRequest, caller: Caller, ctx: Ctx, db: Db
) -> CallbackOut:
    """A callback at ``at`` to ``agent_id`` (or anyone on the campaign), dialled at its time."""
    campaign = campaign_of(db, caller, key)
    row = _record(db, campaign, record)
    if row.closed is not None:
        raise Conflict(f"the record is closed ({row.closed})", error_id="record-closed")
    callback = CallbackRow(
        tenant=campaign.tenant,
        campaign_id=campaign.id,
        record_id=row.id,
        due=stamp(body.at.timestamp()),
        agent_id=body.agent_id,
        created_by=caller.username,
        created_at=stamp(_now(ctx)),
        done=False,
    )
    db.add(callback)
    db.flush()
    return CallbackOut(
        id=callback.id, campaign=key, record=row.key, due=callback.due, agent_id=body.agent_id
    )
