"""Contacts: list and filter, detail with the whole journey, notes, call controls, wrap-up.

Contact records come from the event store (folded from events by the runtime). Agents see the
contacts they were offered or handled; supervisors and admins see every contact of their
tenant. Call controls and wrap-up are routing commands submitted through the runtime; notes,
dispositions and follow-ups are also kept in the CRM tables for the customer's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.api import audit, consult
from madoguchi.api.agents import Accepted, own_agent
from madoguchi.api.audit import DEFAULT_PURPOSE, Purpose
from madoguchi.api.auth import Caller, client_address
from madoguchi.api.commands import submit
from madoguchi.api.contact_models import (
    ContactDetail,
    ContactSummary,
    NoteCreate,
    NoteOut,
    Transfer,
    WrapUp,
)
from madoguchi.api.context import ApiContext, Ctx, Db, Principal, Role
from madoguchi.api.customers import get_customer
from madoguchi.api.errors import COMMON_RESPONSES, InvalidField, NotFound
from madoguchi.core.routing import commands as rc
from madoguchi.store.contact_records import stored_contact_record
from madoguchi.store.crm import FollowUp, Note, aware
from madoguchi.store.port import StoredContactRecord

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=COMMON_RESPONSES)


def _mentions(value: Any, agent_id: str) -> bool:
    if isinstance(value, Mapping):
        return any(_mentions(v, agent_id) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, agent_id) for v in value)
    return bool(value == agent_id)


def contact_record(ctx: ApiContext, contact_id: str) -> StoredContactRecord | None:
    """The stored record of a completed contact, or the live record of an open one (call this
    on the event loop: the live record is read from the runtime's record builder)."""
    stored: StoredContactRecord | None = ctx.runtime.store.get_contact_record(contact_id)
    if stored is not None:
        return stored
    live = ctx.runtime.records.snapshot(contact_id, ctx.runtime.clock.now())
    if live is None:
        return None
    record = stored_contact_record(live)
    document = {**record.document, "live": True, "ended_at": None, "end_reason": None}
    return replace(record, ended_at=None, end_reason=None, document=document)


def visible_record(ctx: ApiContext, caller: Principal, contact_id: str) -> StoredContactRecord:
    """The contact's record when the caller may see it, else 404 (on the event loop)."""
    record = contact_record(ctx, contact_id)
    if record is None or record.tenant != caller.tenant:
        raise NotFound(f"no contact {contact_id}", error_id="no-such-contact")
    if caller.role is Role.AGENT and not (
        caller.agent_id is not None
        and (caller.agent_id in record.agents or _mentions(dict(record.document), caller.agent_id))
    ):
        raise NotFound(f"no contact {contact_id}", error_id="no-such-contact")
    return record


def _notes(db: Session, tenant: str, contact_id: str) -> list[NoteOut]:
    rows = db.scalars(
        select(Note).where(Note.tenant == tenant, Note.contact_id == contact_id).order_by(Note.at)
    ).all()
    return [
        NoteOut(
            id=n.id,
            author=n.author,
            text=n.text,
            disposition=n.disposition,
            customer_id=n.customer_id,
            at=aware(n.at).isoformat(),
        )
        for n in rows
    ]


async def contact_in_view(contact_id: str, caller: Caller, ctx: Ctx) -> StoredContactRecord:
    """Dependency: the contact named in the path, when the caller may see it."""
    return visible_record(ctx, caller, contact_id)


VisibleContact = Annotated[StoredContactRecord, Depends(contact_in_view)]


@router.get("", response_model=list[ContactSummary], summary="List and filter contacts")
def list_contacts(
    caller: Caller,
    ctx: Ctx,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[float | None, Query(ge=0, le=1e11)] = None,
    until: Annotated[float | None, Query(ge=0, le=1e11)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ContactSummary]:
    """Newest last. Agents see only their own contacts."""
    if caller.role is Role.AGENT:
        agent = caller.agent_id or "\x00"
    records = ctx.runtime.store.find_contact_records(
        tenant=caller.tenant,
        queue=queue,
        agent=agent,
        customer_id=customer_id,
        started_from=since,
        started_before=until,
        limit=limit,
    )
    return [ContactSummary.of(r) for r in records]


@router.get("/{contact_id}", response_model=ContactDetail, summary="A contact's whole journey")
def read_contact(
    contact_id: str,
    record: VisibleContact,
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    purpose: Purpose = DEFAULT_PURPOSE,
) -> ContactDetail:
    """The record with every step and its notes (caller numbers are personal data: audited)."""
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="contact.view",
        who=caller,
        target=f"contact:{contact_id}",
        purpose=purpose,
        client=client_address(request),
    )
    db.commit()
    summary = ContactSummary.of(record).model_dump()
    return ContactDetail(
        **summary, journey=dict(record.document), notes=_notes(db, caller.tenant, contact_id)
    )


@router.post(
    "/{contact_id}/notes",
    response_model=NoteOut,
    status_code=201,
    summary="Add a note to a contact",
)
def add_note(
    contact_id: str, body: NoteCreate, record: VisibleContact, caller: Caller, ctx: Ctx, db: Db
) -> NoteOut:
    """A note, filed under the customer when one is given."""
    if body.customer_id is not None:
        _customer_or_422(db, caller, body.customer_id, "body.customer_id")
    note = Note(
        tenant=caller.tenant,
        customer_id=body.customer_id,
        contact_id=contact_id,
        author=caller.username,
        text=body.text,
        channel=record.channel,
        at=datetime.fromtimestamp(ctx.runtime.clock.now(), UTC),
    )
    db.add(note)
    db.commit()
    return NoteOut(
        id=note.id,
        author=note.author,
        text=note.text,
        disposition=None,
        customer_id=note.customer_id,
        at=aware(note.at).isoformat(),
    )


def _customer_or_422(db: Session, caller: Principal, customer_id: int, field: str) -> None:
    try:
        get_customer(db, caller, customer_id)
    except NotFound as err:
        raise InvalidField(field, "no such customer") from err


@router.post(
    "/{contact_id}/wrap-up",
    response_model=Accepted,
    summary="Finish after-contact work with a disposition",
)
async def wrap_up(contact_id: str, body: WrapUp, caller: Caller, ctx: Ctx, db: Db) -> Accepted:
    """Disposition and notes go to routing (the event log) and the customer's timeline."""
    agent_id = own_agent(caller)
    known = {c.code for c in ctx.config.dispositions if c.tenant in (None, caller.tenant)}
    if body.disposition not in known:
        raise InvalidField("body.disposition", "unknown disposition code")
    if body.customer_id is not None:
        _customer_or_422(db, caller, body.customer_id, "body.customer_id")
    record = visible_record(ctx, caller, contact_id)
    published = await submit(
        ctx, rc.CompleteWrapUp(agent_id, contact_id, body.disposition, body.notes)
    )
    stamp = datetime.fromtimestamp(ctx.runtime.clock.now(), UTC)
    db.add(
        Note(
            tenant=caller.tenant,
            customer_id=body.customer_id,
            contact_id=contact_id,
            author=caller.username,
            text=body.notes,
            disposition=body.disposition,
            channel=record.channel,
            at=stamp,
        )
    )
    if body.follow_up is not None:
        db.add(
            FollowUp(
                tenant=caller.tenant,
                customer_id=body.customer_id,
                contact_id=contact_id,
                due=body.follow_up.due,
                text=body.follow_up.text,
                assigned_to=caller.username,
                created_at=stamp,
            )
        )
    db.commit()
    last = published[-1][0] if published else int(ctx.runtime.last_event_id)
    return Accepted(last_event_id=last, events=len(published))


async def _control(ctx: ApiContext, command: object) -> Accepted:
    published = await submit(ctx, command)
    last = published[-1][0] if published else int(ctx.runtime.last_event_id)
    return Accepted(last_event_id=last, events=len(published))


@router.post("/{contact_id}/accept", response_model=Accepted, summary="Answer an offer")
async def accept(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """The agent answers the contact ringing at them."""
    agent = own_agent(caller)
    accepted = await _control(ctx, rc.AcceptOffer(contact_id, agent))
    consult.after_accept(ctx, contact_id, agent)  # a consulted colleague takes the caller over
    return accepted


@router.post("/{contact_id}/reject", response_model=Accepted, summary="Decline an offer")
async def reject(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """The contact goes back to its place in line; the agent becomes not ready."""
    return await _control(ctx, rc.RejectOffer(contact_id, own_agent(caller)))


@router.post("/{contact_id}/hold", response_model=Accepted, summary="Put on hold")
async def hold(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """Hold (保留) a connected contact (a browser agent's caller hears music)."""
    visible_record(ctx, caller, contact_id)
    held = await _control(ctx, rc.HoldContact(contact_id))
    consult.after_hold(ctx, contact_id)
    return held


@router.post("/{contact_id}/resume", response_model=Accepted, summary="Take off hold")
async def resume(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """Resume a held contact (back to the caller: a consult in progress ends)."""
    visible_record(ctx, caller, contact_id)
    resumed = await _control(ctx, rc.ResumeContact(contact_id))
    consult.after_resume(ctx, contact_id)
    return resumed


@router.post("/{contact_id}/end", response_model=Accepted, summary="Hang up")
async def end(contact_id: str, caller: Caller, ctx: Ctx) -> Accepted:
    """End the conversation; the agent enters after-contact work."""
    visible_record(ctx, caller, contact_id)
    return await _control(ctx, rc.EndContact(contact_id))


@router.post("/{contact_id}/transfer", response_model=Accepted, summary="Transfer")
async def transfer(contact_id: str, body: Transfer, caller: Caller, ctx: Ctx) -> Accepted:
    """To a queue, an agent, or the team's supervisor."""
    visible_record(ctx, caller, contact_id)
    if body.to_queue is not None:
        try:
            queue_tenant = ctx.config.queue(body.to_queue).tenant
        except KeyError:
            queue_tenant = None
        if queue_tenant != caller.tenant:
            raise InvalidField("body.to_queue", "no such queue")
    if body.to_agent is not None:
        try:
            agent_tenant = ctx.config.agent(body.to_agent).tenant
        except KeyError:
            agent_tenant = None
        if agent_tenant != caller.tenant:
            raise InvalidField("body.to_agent", "no such agent")
    consult.before_transfer(ctx, contact_id, body.to_agent)
    return await _control(
        ctx, rc.TransferContact(contact_id, body.to_queue, body.to_agent, body.to_supervisor)
    )
