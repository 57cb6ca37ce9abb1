"""Customers: create, update, search (phone, name, customer number), timeline, screen pop.

Every read of a customer's personal data writes an audit entry naming the reader, the customer
and the purpose (query parameter ``purpose``), in the same transaction as the read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from madoguchi.api import audit
from madoguchi.api.audit import DEFAULT_PURPOSE, Purpose
from madoguchi.api.auth import Caller, client_address
from madoguchi.api.context import MAX_ROW_ID, Ctx, Db, Principal, RowId
from madoguchi.api.customer_models import CustomerCreate, CustomerOut, CustomerUpdate
from madoguchi.api.errors import COMMON_RESPONSES, Conflict, NotFound
from madoguchi.api.phones import normalize_or_none
from madoguchi.store.crm import Customer, FollowUp, Note, aware

router = APIRouter(prefix="/api/v1", tags=["customers"], responses=COMMON_RESPONSES)


class TimelineItem(BaseModel):
    """One thing that happened with a customer, on any channel."""

    kind: str
    """``contact`` (a call, chat, email…), ``note`` or ``follow_up``."""
    at: datetime
    contact_id: str | None = None
    channel: str | None = None
    direction: str | None = None
    queue: str | None = None
    agent: str | None = None
    disposition: str | None = None
    end_reason: str | None = None
    text: str = ""
    author: str | None = None


class FollowUpOut(BaseModel):
    """An open follow-up task."""

    id: int
    due: date
    text: str
    assigned_to: str
    contact_id: str | None
    done: bool


class ScreenPop(BaseModel):
    """What an agent sees when a contact is offered: who it is and what happened before."""

    matched_by: str | None
    """``phone``, ``customer_number``, ``customer_id`` or None when nobody matched."""
    customer: CustomerOut | None
    candidates: list[CustomerOut]
    """Other customers sharing the number (a family phone): the agent picks."""
    timeline: list[TimelineItem]
    follow_ups: list[FollowUpOut]


def _now(ctx: Ctx) -> float:
    now: float = ctx.runtime.clock.now()
    return now


def get_customer(db: Session, caller: Principal, customer_id: int) -> Customer:
    """The caller's tenant's customer, or 404 (another tenant's customer does not exist)."""
    row = db.get(Customer, customer_id)
    if row is None or row.tenant != caller.tenant:
        raise NotFound(f"no customer {customer_id}", error_id="no-such-customer")
    return row


def find_by_phone(db: Session, tenant: str, phone: str, limit: int = 5) -> list[Customer]:
    """Customers whose main or other number is ``phone`` (E.164): main-number matches first,
    then oldest first. One indexed query (the screen pop's hot path)."""
    query = (
        select(Customer)
        .where(Customer.tenant == tenant, or_(Customer.phone == phone, Customer.phone_alt == phone))
        .order_by(case((Customer.phone == phone, 0), else_=1), Customer.id)
        .limit(limit)
    )
    return list(db.scalars(query))


def find_by_number(db: Session, tenant: str, number: str) -> Customer | None:
    """The customer with this customer number."""
    return db.scalar(
        select(Customer).where(Customer.tenant == tenant, Customer.customer_number == number)
    )


@router.post("/customers", response_model=CustomerOut, status_code=201, summary="Create a customer")
def create_customer(
    body: CustomerCreate, request: Request, caller: Caller, ctx: Ctx, db: Db
) -> CustomerOut:
    """A new customer of the caller's tenant; 409 when the customer number is taken."""
    stamp = datetime.fromtimestamp(_now(ctx), UTC)
    row = Customer(tenant=caller.tenant, created_at=stamp, updated_at=stamp, **body.model_dump())
    if find_by_number(db, caller.tenant, body.customer_number) is not None:
        raise Conflict("customer number already used", error_id="duplicate-customer-number")
    db.add(row)
    try:
        db.flush()
    except IntegrityError as err:
        raise Conflict(
            "customer number already used", error_id="duplicate-customer-number"
        ) from err
    audit.record(
        db,
        now=_now(ctx),
        action="customer.create",
        who=caller,
        target=f"customer:{row.id}",
        client=client_address(request),
    )
    db.commit()
    return CustomerOut.of(row)


@router.get("/customers", response_model=list[CustomerOut], summary="Search customers")
def search_customers(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    purpose: Purpose = DEFAULT_PURPOSE,
) -> list[CustomerOut]:
    """By phone number (any format), name or kana (part of it), or customer number."""
    query = select(Customer).where(Customer.tenant == caller.tenant)
    if phone is not None:
        normalized = normalize_or_none(phone)
        if normalized is None:
            return []
        query = query.where(or_(Customer.phone == normalized, Customer.phone_alt == normalized))
    if name is not None:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Customer.name.like(pattern, escape="\\"),
                Customer.name_kana.like(pattern, escape="\\"),
            )
        )
    if number is not None:
        query = query.where(Customer.customer_number == number)
    rows = db.scalars(query.order_by(Customer.id).limit(limit)).all()
    audit.record(
        db,
        now=_now(ctx),
        action="customer.search",
        who=caller,
        purpose=purpose,
        client=client_address(request),
        target=",".join(f"customer:{row.id}" for row in rows)[:200],
        detail={"phone": phone, "name": name, "number": number, "found": len(rows)},
    )
    db.commit()
    return [CustomerOut.of(row) for row in rows]


@router.get("/customers/{customer_id}", response_model=CustomerOut, summary="One customer")
def read_customer(
    customer_id: RowId,
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    purpose: Purpose = DEFAULT_PURPOSE,
) -> CustomerOut:
    """A customer's profile (the read is audited)."""
    row = get_customer(db, caller, customer_id)
    audit.record(
        db,
        now=_now(ctx),
        action="customer.view",
        who=caller,
        purpose=purpose,
        target=f"customer:{row.id}",
        client=client_address(request),
    )
    db.commit()
    return CustomerOut.of(row)


@router.patch("/customers/{customer_id}", response_model=CustomerOut, summary="Change a customer")
def update_customer(
    customer_id: RowId, body: CustomerUpdate, request: Request, caller: Caller, ctx: Ctx, db: Db
) -> CustomerOut:
    """Change the fields given in the body."""
    row = get_customer(db, caller, customer_id)
    changes = body.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if key in {"name", "name_kana", "address", "language", "fields"} and value is None:
            continue
        setattr(row, key, value)
    row.updated_at = datetime.fromtimestamp(_now(ctx), UTC)
    audit.record(
        db,
        now=_now(ctx),
        action="customer.update",
        who=caller,
        target=f"customer:{row.id}",
        client=client_address(request),
        detail={"fields": sorted(changes)},
    )
    db.commit()
    return CustomerOut.of(row)


@router.get(
    "/customers/{customer_id}/timeline",
    response_model=list[TimelineItem],
    summary="A customer's history across channels",
)
def customer_timeline(
    customer_id: RowId,
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    purpose: Purpose = DEFAULT_PURPOSE,
) -> list[TimelineItem]:
    """Contacts on every channel, notes and follow-ups, newest first (the read is audited)."""
    row = get_customer(db, caller, customer_id)
    audit.record(
        db,
        now=_now(ctx),
        action="customer.timeline",
        who=caller,
        purpose=purpose,
        target=f"customer:{row.id}",
        client=client_address(request),
    )
    db.commit()
    return timeline(ctx, db, row)


@router.get("/screen-pop", response_model=ScreenPop, summary="Find the customer of a contact")
def screen_pop(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    number: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    contact_id: Annotated[str | None, Query(max_length=128)] = None,
    purpose: Purpose = "screen_pop",
) -> ScreenPop:
    """By customer id, collected customer number, then caller number (the read is audited)."""
    matched_by: str | None = None
    candidates: list[Customer] = []
    if customer_id is not None:
        found = db.get(Customer, customer_id)
        if found is not None and found.tenant == caller.tenant:
            candidates, matched_by = [found], "customer_id"
    if not candidates and number is not None:
        found = find_by_number(db, caller.tenant, number)
        if found is not None:
            candidates, matched_by = [found], "customer_number"
    if not candidates and phone is not None:
        normalized = normalize_or_none(phone)
        if normalized is not None:
            candidates = find_by_phone(db, caller.tenant, normalized)
            matched_by = "phone" if candidates else None
    customer = candidates[0] if candidates else None
    audit.record(
        db,
        now=_now(ctx),
        action="customer.screen_pop",
        who=caller,
        purpose=purpose,
        target=f"customer:{customer.id}" if customer is not None else "",
        client=client_address(request),
        detail={"contact_id": contact_id, "matched_by": matched_by},
    )
    db.commit()
    return ScreenPop(
        matched_by=matched_by,
        customer=CustomerOut.of(customer) if customer is not None else None,
        candidates=[CustomerOut.of(c) for c in candidates[1:]],
        timeline=timeline(ctx, db, customer) if customer is not None else [],
        follow_ups=open_follow_ups(db, customer) if customer is not None else [],
    )


def timeline(ctx: Ctx, db: Session, customer: Customer, limit: int = 50) -> list[TimelineItem]:
    """Contacts (from the event store's contact records), notes and follow-ups, newest first."""
    items: list[TimelineItem] = []
    notes = db.scalars(
        select(Note)
        .where(Note.tenant == customer.tenant, Note.customer_id == customer.id)
        .order_by(Note.at.desc())
        .limit(limit)
    ).all()
    contact_ids = {str(n.contact_id) for n in notes if n.contact_id}
    records = {
        r.contact_id: r
        for r in ctx.runtime.store.find_contact_records(
            tenant=customer.tenant, customer_id=str(customer.id), limit=limit
        )
    }
    for contact_id in contact_ids - set(records):
        record = ctx.runtime.store.get_contact_record(contact_id)
        if record is not None and record.tenant == customer.tenant:
            records[contact_id] = record
    dispositions = {n.contact_id: n.disposition for n in notes if n.disposition}
    for record in records.values():
        document: dict[str, Any] = dict(record.document)
        items.append(
            TimelineItem(
                kind="contact",
                at=datetime.fromtimestamp(record.started_at, UTC),
                contact_id=record.contact_id,
                channel=record.channel,
                direction=record.direction,
                queue=record.queues[-1] if record.queues else None,
                agent=record.agents[-1] if record.agents else None,
                disposition=_text_or_none(document.get("disposition"))
                or dispositions.get(record.contact_id),
                end_reason=record.end_reason,
            )
        )
    for note in notes:
        items.append(
            TimelineItem(
                kind="note",
                at=aware(note.at),
                contact_id=note.contact_id,
                channel=note.channel,
                disposition=note.disposition,
                text=note.text,
                author=note.author,
            )
        )
    for task in db.scalars(
        select(FollowUp)
        .where(FollowUp.tenant == customer.tenant, FollowUp.customer_id == customer.id)
        .order_by(FollowUp.created_at.desc())
        .limit(limit)
    ).all():
        items.append(
            TimelineItem(
                kind="follow_up",
                at=aware(task.created_at),
                contact_id=task.contact_id,
                text=task.text,
                author=task.assigned_to,
            )
        )
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def open_follow_ups(db: Session, customer: Customer) -> list[FollowUpOut]:
    """The customer's follow-ups not yet done, earliest due first."""
    rows = db.scalars(
        select(FollowUp)
        .where(
            FollowUp.tenant == customer.tenant,
            FollowUp.customer_id == customer.id,
            FollowUp.done.is_(False),
        )
        .order_by(FollowUp.due)
    ).all()
    return [
        FollowUpOut(
            id=r.id,
            due=r.due,
            text=r.text,
            assigned_to=r.assigned_to,
            contact_id=r.contact_id,
            done=r.done,
        )
        for r in rows
    ]


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
