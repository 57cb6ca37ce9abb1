"""Outbound tables: campaigns, their call lists, do-not-call entries, dial attempts, callbacks.

They share the store's metadata with the CRM tables (:mod:`madoguchi.store.crm`) and are
created by the Alembic revision ``ob_0001``; :func:`create_campaign_tables` does the same for
tests and the in-memory development server. Every row carries its tenant; numbers are E.164.

* ``ob_campaign`` — a campaign's configuration (:class:`madoguchi.core.dialer.Campaign`) and
  status; ``key`` is the id the core and the API use, unique per tenant.
* ``ob_list_record`` — one person to call, with the dialer's bookkeeping (attempts, next
  attempt, last outcome, why closed), linked to a CRM customer when one matches.
* ``ob_dnc_entry`` — a do-not-call entry, tenant-wide (``campaign_key`` NULL) or for one
  campaign, with who added it, when and why (特定商取引法 Art. 17: a refusal is kept for good).
* ``ob_dial_attempt`` — every dial and every refused dial (``outcome`` ``blocked`` with its
  ``blocked_reason``: the block log), with the agent, the disposition and the notes.
* ``ob_callback`` — a callback (再架電) scheduled for a time, to a named agent or to anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from madoguchi.core.config import TimeRange
from madoguchi.store.crm import Customer
from madoguchi.store.schema import Base, JsonDocument

if TYPE_CHECKING:
    from madoguchi.core.dialer import Campaign, DoNotCallRegistry, ListRecord
    from madoguchi.core.events import Event

#: The outbound tables, all prefixed ``ob_`` in the store's metadata.
CAMPAIGN_TABLES: tuple[str, ...] = (
    "ob_campaign",
    "ob_list_record",
    "ob_dnc_entry",
    "ob_dial_attempt",
    "ob_callback",
)


class CampaignRow(Base):
    """One outbound campaign of a tenant."""

    __tablename__ = "ob_campaign"
    __table_args__ = (UniqueConstraint("tenant", "key", name="uq_ob_campaign_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    """The campaign id the core, the CLI and the API use."""
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    script: Mapped[str | None] = mapped_column(Text, nullable=True)
    dispositions: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    """max_attempts, priority, daily_cap, daily_connect_cap, timezone, target_abandon,
    ring_timeout_s, connect_rule_s, calling window, agents, recorded_message."""
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListRecordRow(Base):
    """One person on a campaign's call list (架電リスト)."""

    __tablename__ = "ob_list_record"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number", name="uq_ob_list_record_number"),
        UniqueConstraint("campaign_id", "key", name="uq_ob_list_record_key"),
        Index("ix_ob_list_record_tenant_number", "tenant", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ob_campaign.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    """The record id the core uses (``r1``, ``r2``…), unique in the campaign."""
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customer.id", ondelete="SET NULL"), nullable=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closed: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Why no more attempts are made (None while open)."""
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DncEntryRow(Base):
    """A number that must not be called (発信禁止), tenant-wide or for one campaign."""

    __tablename__ = "ob_dnc_entry"
    __table_args__ = (Index("ix_ob_dnc_entry_number", "tenant", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(32))
    campaign_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """None: the whole tenant."""
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DialAttemptRow(Base):
    """One dial (or one dial refused at the moment of dialling) and what came of it."""

    __tablename__ = "ob_dial_attempt"
    __table_args__ = (
        Index("ix_ob_dial_attempt_campaign_at", "campaign_id", "placed_at"),
        Index("ix_ob_dial_attempt_number", "tenant", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ob_campaign.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("ob_list_record.id", ondelete="SET NULL"), nullable=True
    )
    number: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """None while ringing; a ``DialOutcome`` value, or ``blocked``."""
    blocked_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """do_not_call, outside_window, max_attempts, daily_cap, closed reasons."""
    ring_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    talk_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    appointment_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    appointment_rep: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CallbackRow(Base):
    """A call promised for a time (再架電予約), to a named agent or to anyone on the campaign."""

    __tablename__ = "ob_callback"
    __table_args__ = (Index("ix_ob_callback_due", "campaign_id", "done", "due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ob_campaign.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("ob_list_record.id", ondelete="CASCADE"))
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """None: whoever works the campaign."""
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done: Mapped[bool] = mapped_column(Boolean, default=False)


def create_campaign_tables(engine: Engine) -> None:
    """Create the outbound tables that are missing (tests and the in-memory dev server)."""
    tables = [Base.metadata.tables[name] for name in CAMPAIGN_TABLES]
    Base.metadata.create_all(engine, tables=tables)


# -- operations shared by the API and the CLI ---------------------------------------------


def stamp(now: float) -> datetime:
    """``now`` (epoch seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(now, UTC)


def epoch(moment: datetime) -> float:
    """An aware (or SQLite-naive UTC) datetime as epoch seconds."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.timestamp()


def find_campaign(db: Session, tenant: str, key: str) -> CampaignRow | None:
    """The tenant's campaign ``key``."""
    return db.scalar(
        select(CampaignRow).where(CampaignRow.tenant == tenant, CampaignRow.key == key)
    )


def core_campaign(row: CampaignRow) -> Campaign:
    """The core's :class:`~madoguchi.core.dialer.Campaign` for a stored campaign."""
    from madoguchi.core.dialer import Campaign, CampaignStatus, CampaignType, DialingMode

    rules = row.rules or {}
    extra: dict[str, Any] = {
        name: rules[name]
        for name in (
            "max_attempts",
            "priority",
            "daily_cap",
            "daily_connect_cap",
            "timezone",
            "target_abandon",
            "ring_timeout_s",
            "connect_rule_s",
            "callback_grace_s",
        )
        if name in rules
    }
    if "window_start" in rules or "window_days" in rules:
        extra["calling_window"] = _calling_window(rules)
    if "holidays_closed" in rules:
        extra["national_holidays_closed"] = bool(rules["holidays_closed"])
    return Campaign(
        id=row.key,
        tenant=row.tenant,
        name=row.name,
        type=CampaignType(row.type),
        mode=DialingMode(row.mode),
        queue=row.queue,
        script=row.script,
        dispositions=tuple(row.dispositions or ()),
        status=CampaignStatus(row.status),
        **extra,
    )


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _calling_window(rules: dict[str, Any]) -> tuple[tuple[TimeRange, ...], ...]:
    span = TimeRange(
        _minutes(str(rules.get("window_start", "09:00"))),
        _minutes(str(rules.get("window_end", "20:00"))),
    )
    days = {int(d) for d in rules.get("window_days", [0, 1, 2, 3, 4])}
    return tuple((span,) if day in days else () for day in range(7))


def core_record(row: ListRecordRow) -> ListRecord:
    """The core's :class:`~madoguchi.core.dialer.ListRecord` for a stored one."""
    from madoguchi.core.dialer import ListRecord

    return ListRecord(
        id=row.key,
        number=row.number,
        name=row.name,
        customer_id=str(row.customer_id) if row.customer_id is not None else None,
        timezone=row.timezone,
        attributes=dict(row.attributes or {}),
        attempts=row.attempts,
        next_attempt_at=epoch(row.next_attempt_at) if row.next_attempt_at else 0.0,
        last_outcome=row.last_outcome,
        closed=row.closed,
    )


def _customer_for(db: Session, tenant: str, record: ListRecord) -> int | None:
    if record.customer_id:
        found = db.scalar(
            select(Customer.id).where(
                Customer.tenant == tenant, Customer.customer_number == record.customer_id
            )
        )
        if found is not None:
            return found
    return db.scalar(
        select(Customer.id)
        .where(Customer.tenant == tenant, Customer.phone == record.number)
        .order_by(Customer.id)
        .limit(1)
    )


def import_records(
    db: Session, campaign: CampaignRow, records: list[ListRecord], now: float
) -> tuple[int, int]:
    """Add checked records to the campaign's list, linked to the CRM customer with the same
    customer number (column ``customer_id``) or phone; numbers already listed are skipped.
    Returns (added, already listed). The caller commits (all rows or none)."""
    existing = set(
        db.scalars(select(ListRecordRow.number).where(ListRecordRow.campaign_id == campaign.id))
    )
    count = len(existing)
    added = 0
    for record in records:
        if record.number in existing:
            continue
        existing.add(record.number)
        added += 1
        count += 1
        db.add(
            ListRecordRow(
                tenant=campaign.tenant,
                campaign_id=campaign.id,
                key=f"r{count}",
                number=record.number,
                name=record.name[:200],
                customer_id=_customer_for(db, campaign.tenant, record),
                timezone=record.timezone,
                attributes=record.attributes,
                attempts=0,
                imported_at=stamp(now),
            )
        )
    db.flush()
    return added, len(records) - added


def add_dnc(
    db: Session,
    tenant: str,
    number: str,
    now: float,
    *,
    campaign_key: str | None = None,
    reason: str = "",
    added_by: str | None = None,
) -> tuple[DncEntryRow, bool]:
    """Put ``number`` (E.164) on the tenant's or a campaign's list; (entry, True when new).
    An existing entry keeps its first who/when/why."""
    found = db.scalar(
        select(DncEntryRow).where(
            DncEntryRow.tenant == tenant,
            DncEntryRow.number == number,
            DncEntryRow.campaign_key.is_(None)
            if campaign_key is None
            else DncEntryRow.campaign_key == campaign_key,
        )
    )
    if found is not None:
        return found, False
    entry = DncEntryRow(
        tenant=tenant,
        number=number,
        campaign_key=campaign_key,
        reason=reason[:200],
        added_by=added_by,
        added_at=stamp(now),
    )
    db.add(entry)
    db.flush()
    return entry, True


def blocking_dnc(db: Session, tenant: str, campaign_key: str, number: str) -> DncEntryRow | None:
    """The entry forbidding a call to ``number`` for ``campaign_key`` (tenant-wide first)."""
    rows = db.scalars(
        select(DncEntryRow).where(DncEntryRow.tenant == tenant, DncEntryRow.number == number)
    )
    scoped = [r for r in rows if r.campaign_key is None or r.campaign_key == campaign_key]
    scoped.sort(key=lambda r: r.campaign_key is not None)
    return scoped[0] if scoped else None


def dnc_registry(db: Session, tenant: str, numbers: set[str] | None = None) -> DoNotCallRegistry:
    """The core's registry holding the tenant's entries (only ``numbers`` when given)."""
    from madoguchi.core.dialer import DncEntry, DoNotCallRegistry

    registry = DoNotCallRegistry()
    query = select(DncEntryRow).where(DncEntryRow.tenant == tenant)
    if numbers is not None:
        query = query.where(DncEntryRow.number.in_(sorted(numbers)))
    for row in db.scalars(query):
        registry.add(
            DncEntry(
                row.number,
                row.tenant,
                row.campaign_key,
                row.reason,
                epoch(row.added_at),
                row.added_by,
            )
        )
    return registry


def log_block(
    db: Session,
    campaign: CampaignRow,
    number: str,
    reason: str,
    now: float,
    *,
    record: ListRecordRow | None = None,
    agent_id: str | None = None,
) -> DialAttemptRow:
    """Log a dial refused at the moment of dialling (outcome ``blocked``)."""
    row = DialAttemptRow(
        tenant=campaign.tenant,
        campaign_id=campaign.id,
        record_id=record.id if record is not None else None,
        number=number,
        attempt=record.attempts if record is not None else 0,
        agent_id=agent_id,
        placed_at=stamp(now),
        outcome="blocked",
        blocked_reason=reason,
        connected=False,
        notes="",
    )
    db.add(row)
    db.flush()
    return row


def attempt_events(db: Session, campaign: CampaignRow) -> list[Event]:
    """The campaign's stored attempts as the dialer's events, in time order (for reports)."""
    from madoguchi.core.dialer import DialOutcome
    from madoguchi.core.dialer import events as ev

    keys: dict[int, str] = {
        row.id: row.key
        for row in db.execute(
            select(ListRecordRow.id, ListRecordRow.key).where(
                ListRecordRow.campaign_id == campaign.id
            )
        )
    }
    out: list[Event] = []
    attempts = db.scalars(
        select(DialAttemptRow)
        .where(DialAttemptRow.campaign_id == campaign.id)
        .order_by(DialAttemptRow.placed_at, DialAttemptRow.id)
    )
    for row in attempts:
        at = epoch(row.placed_at)
        record = keys.get(row.record_id, f"a{row.id}") if row.record_id else f"a{row.id}"
        dial = f"{campaign.key}-a{row.id}"
        base = {"campaign": campaign.key, "record_id": record}
        if row.outcome == "blocked":
            reason = row.blocked_reason or "blocked"
            out.append(
                ev.DialBlocked(at=at, tenant=row.tenant, number=row.number, reason=reason, **base)
            )
            continue
        out.append(
            ev.DialPlaced(
                at=at, dial_id=dial, tenant=row.tenant, number=row.number,
                attempt=row.attempt, agent_id=row.agent_id, **base,
            )
        )  # fmt: skip
        ring = row.ring_s or 0.0
        if row.outcome is not None:
            out.append(
                ev.DialResulted(
                    at=at + ring,
                    dial_id=dial,
                    outcome=DialOutcome(row.outcome),
                    ring_s=ring,
                    **base,
                )
            )
        if row.connected and row.agent_id:
            out.append(
                ev.OutboundConnected(
                    at=at + ring, dial_id=dial, agent_id=row.agent_id, wait_s=0.0, **base
                )
            )
            if row.talk_s is not None:
                out.append(
                    ev.OutboundCallEnded(
                        at=at + ring + row.talk_s, dial_id=dial, agent_id=row.agent_id,
                        talk_s=row.talk_s, **base,
                    )
                )  # fmt: skip
        if row.disposition and row.agent_id is None and row.connected is False:
            out.append(  # an agentless call's result (no agent took part)
                ev.AgentlessResulted(
                    at=epoch(row.ended_at) if row.ended_at else at + ring, dial_id=dial,
                    campaign=campaign.key, record_id=record, result=row.disposition,
                    duration_s=row.talk_s or 0.0,
                )
            )  # fmt: skip
        if row.disposition and row.agent_id:
            out.append(
                ev.OutboundDispositioned(
                    at=epoch(row.ended_at) if row.ended_at else at + ring,
                    agent_id=row.agent_id,
                    disposition=row.disposition,
                    notes=row.notes,
                    appointment_at=epoch(row.appointment_at) if row.appointment_at else None,
                    appointment_rep=row.appointment_rep,
                    **base,
                )
            )
    out.sort(key=lambda e: e.at)
    return out


def list_size(db: Session, campaign: CampaignRow) -> int:
    """Records on the campaign's list."""
    return len(
        list(db.scalars(select(ListRecordRow.id).where(ListRecordRow.campaign_id == campaign.id)))
    )


# -- what the running server's outbound gateway reads and writes ---------------------------


def campaign_agents(row: CampaignRow) -> tuple[str, ...]:
    """The agents named to work the campaign (``rules.agents``; empty: not named)."""
    return tuple(str(a) for a in (row.rules or {}).get("agents") or ())


def day_start(now: float, timezone: str) -> float:
    """Epoch seconds of the local midnight that starts ``now``'s day in ``timezone``."""
    from zoneinfo import ZoneInfo

    local = datetime.fromtimestamp(now, ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def today_counts(db: Session, campaign: CampaignRow, now: float) -> tuple[int, int]:
    """(dials placed, callees connected) today in the campaign's time zone (blocked dials
    are not dials)."""
    from sqlalchemy import func

    start = stamp(day_start(now, core_campaign(campaign).timezone))
    base = (
        select(func.count())
        .select_from(DialAttemptRow)
        .where(
            DialAttemptRow.campaign_id == campaign.id,
            DialAttemptRow.placed_at >= start,
            or_(DialAttemptRow.outcome.is_(None), DialAttemptRow.outcome != "blocked"),
        )
    )
    dials = db.scalar(base) or 0
    connects = db.scalar(base.where(DialAttemptRow.connected.is_(True))) or 0
    return int(dials), int(connects)


def apply_dial_result(
    db: Session, attempt: DialAttemptRow, outcome: str, ring_s: float, now: float
) -> None:
    """Store how a dial ended ringing and apply the campaign's retry rules to its record
    (answered: the record waits for the disposition)."""
    from madoguchi.core.dialer import DialOutcome

    result = DialOutcome(outcome)
    campaign = db.get(CampaignRow, attempt.campaign_id)
    record = db.get(ListRecordRow, attempt.record_id) if attempt.record_id else None
    attempt.outcome = result.value
    attempt.ring_s = ring_s
    if record is None or campaign is None:
        return
    record.last_outcome = result.value
    if result is DialOutcome.ANSWERED:
        return
    rules = core_campaign(campaign)
    delay = rules.retry_delay(result)
    if delay is None:
        record.closed = result.value
    elif record.attempts >= rules.max_attempts:
        record.closed = "max_attempts"
    else:
        record.next_attempt_at = stamp(now + delay)


def open_records(db: Session, campaign: CampaignRow, after: int = 0) -> list[ListRecordRow]:
    """The campaign's records not closed, with a row id above ``after`` (the ones a running
    dialer has not loaded yet), in id order."""
    return list(
        db.scalars(
            select(ListRecordRow)
            .where(
                ListRecordRow.campaign_id == campaign.id,
                ListRecordRow.closed.is_(None),
                ListRecordRow.id > after,
            )
            .order_by(ListRecordRow.id)
        )
    )


#: How long a placed dial keeps its record from being dialled again until a result, a retry
#: or a disposition says otherwise.
DIAL_HOLD_S = 3600.0


def store_dialer_events(
    db: Session, campaign: CampaignRow, events: Iterable[Event], attempts: dict[str, int]
) -> list[DialAttemptRow]:
    """Write what a running dialer's events say into the tables: a ``DialPlaced`` becomes an
    attempt (``attempts`` maps the dial id to its row id from then on), a ``DialBlocked`` a
    block-log row, results, connects, abandons, retries and closings update the attempt and
    the record. Returns the block-log rows added. The caller commits."""
    from madoguchi.core.dialer import events as ev

    by_key: dict[str, ListRecordRow | None] = {}

    def record(key: str) -> ListRecordRow | None:
        if key not in by_key:
            by_key[key] = db.scalar(
                select(ListRecordRow).where(
                    ListRecordRow.campaign_id == campaign.id, ListRecordRow.key == key
                )
            )
        return by_key[key]

    blocks: list[DialAttemptRow] = []
    for item in events:
        if isinstance(item, ev.DialPlaced):
            row = record(item.record_id)
            if row is not None:
                row.attempts = item.attempt
                # held while it rings and, answered, until its disposition (a restarted
                # server must not call the person again at once)
                row.next_attempt_at = stamp(item.at + DIAL_HOLD_S)
            attempt = DialAttemptRow(
                tenant=campaign.tenant,
                campaign_id=campaign.id,
                record_id=row.id if row is not None else None,
                number=item.number,
                attempt=item.attempt,
                agent_id=item.agent_id,
                placed_at=stamp(item.at),
                connected=False,
                notes="",
            )
            db.add(attempt)
            db.flush()
            attempts[item.dial_id] = attempt.id
            for callback in db.scalars(
                select(CallbackRow).where(
                    CallbackRow.record_id == attempt.record_id, CallbackRow.done.is_(False)
                )
            ):
                callback.done = True  # this dial is the call the callback promised
        elif isinstance(item, ev.DialBlocked):
            row = record(item.record_id)
            if row is not None and item.reason not in (
                "outside_window",
                "daily_cap",
                "daily_connect_cap",
            ):
                row.closed = item.reason
            blocks.append(log_block(db, campaign, item.number, item.reason, item.at, record=row))
        elif isinstance(item, ev.DialResulted):
            found = db.get(DialAttemptRow, attempts.get(item.dial_id, 0))
            if found is not None:
                found.outcome = item.outcome.value
                found.ring_s = item.ring_s
            row = record(item.record_id)
            if row is not None:
                row.last_outcome = item.outcome.value
        elif isinstance(item, ev.OutboundConnected):
            found = db.get(DialAttemptRow, attempts.get(item.dial_id, 0))
            if found is not None:
                found.connected = True
                found.agent_id = item.agent_id
        elif isinstance(item, ev.OutboundAbandoned):
            found = db.get(DialAttemptRow, attempts.get(item.dial_id, 0))
            if found is not None:
                found.notes = "abandoned: no agent within the connect rule (message played)"
        elif isinstance(item, ev.OutboundCallEnded):
            found = db.get(DialAttemptRow, attempts.get(item.dial_id, 0))
            if found is not None:
                found.talk_s = item.talk_s
                found.ended_at = stamp(item.at)
        elif isinstance(item, ev.AgentlessResulted):
            found = db.get(DialAttemptRow, attempts.get(item.dial_id, 0))
            if found is not None:
                # an agentless call's result: the disposition with no agent
                found.disposition = item.result
                found.talk_s = item.duration_s
                found.ended_at = stamp(item.at)
                found.notes = f"agentless: keys {item.keys or 'none'}, asked {item.tries}x"
        elif isinstance(item, ev.AttemptScheduled):
            row = record(item.record_id)
            if row is not None:
                row.next_attempt_at = stamp(item.due)
        elif isinstance(item, ev.RecordClosed):
            row = record(item.record_id)
            if row is not None:
                row.closed = item.reason
    db.flush()
    return blocks


def new_dnc_entries(db: Session, tenant: str, after: int) -> list[DncEntryRow]:
    """The tenant's do-not-call entries with a row id above ``after`` (entries are only ever
    added), in id order."""
    return list(
        db.scalars(
            select(DncEntryRow)
            .where(DncEntryRow.tenant == tenant, DncEntryRow.id > after)
            .order_by(DncEntryRow.id)
        )
    )


def pending_callbacks(db: Session, campaign: CampaignRow, after: int) -> list[CallbackRow]:
    """Callbacks of the campaign not yet done, with a row id above ``after``."""
    return list(
        db.scalars(
            select(CallbackRow)
            .where(
                CallbackRow.campaign_id == campaign.id,
                CallbackRow.done.is_(False),
                CallbackRow.id > after,
            )
            .order_by(CallbackRow.id)
        )
    )


def save_campaign(
    db: Session, campaign: Campaign, rules: dict[str, Any], now: float
) -> CampaignRow:
    """Create or update the tenant's campaign ``campaign.id`` from a core campaign (the
    ``serve --campaigns FILE`` import); its status becomes the campaign's."""
    row = find_campaign(db, campaign.tenant, campaign.id)
    if row is None:
        row = CampaignRow(
            tenant=campaign.tenant,
            key=campaign.id,
            created_at=stamp(now),
            dispositions=list(campaign.dispositions),
        )
        db.add(row)
    row.name = campaign.name
    row.type = campaign.type.value
    row.mode = campaign.mode.value
    row.queue = campaign.queue
    row.script = campaign.script
    row.rules = dict(rules)
    row.status = campaign.status.value
    row.updated_at = stamp(now)
    db.flush()
    return row
