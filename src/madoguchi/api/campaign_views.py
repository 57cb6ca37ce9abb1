"""The outbound CTI panel (発信時の顧客情報表示): what an agent sees on an outbound call.

From the outbound tables and the CRM: the customer the number belongs to, every earlier call
to the number in any campaign (when, who spoke, outcome, disposition and notes), the CRM notes
about the customer, whether a do-not-call list forbids the number, and when the next call is
due (a pending callback, else the earliest scheduled retry).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from madoguchi.api.campaign_models import CtiCall, CtiNext, CtiNote, CtiPanel, DncEntryOut
from madoguchi.store.campaigns import (
    CallbackRow,
    CampaignRow,
    DialAttemptRow,
    DncEntryRow,
    ListRecordRow,
)
from madoguchi.store.crm import Customer, Note, aware

#: Earlier calls and notes shown on the panel.
PANEL_ITEMS = 20


def cti_panel(db: Session, tenant: str, number: str) -> CtiPanel:
    """The panel for ``number`` (E.164) in ``tenant``."""
    keys: dict[int, str] = {
        row.id: row.key
        for row in db.execute(
            select(CampaignRow.id, CampaignRow.key).where(CampaignRow.tenant == tenant)
        )
    }
    calls = [
        CtiCall(
            at=aware(row.placed_at),
            campaign=keys.get(row.campaign_id, ""),
            agent_id=row.agent_id,
            outcome=row.outcome,
            disposition=row.disposition,
            notes=row.notes,
        )
        for row in db.scalars(
            select(DialAttemptRow)
            .where(
                DialAttemptRow.tenant == tenant,
                DialAttemptRow.number == number,
                or_(DialAttemptRow.outcome.is_(None), DialAttemptRow.outcome != "blocked"),
            )
            .order_by(DialAttemptRow.placed_at.desc(), DialAttemptRow.id.desc())
            .limit(PANEL_ITEMS)
        )
    ]
    records = list(
        db.scalars(
            select(ListRecordRow).where(
                ListRecordRow.tenant == tenant, ListRecordRow.number == number
            )
        )
    )
    customer = _customer(db, tenant, number, records)
    notes: list[CtiNote] = []
    if customer is not None:
        notes = [
            CtiNote(at=aware(n.at), author=n.author, text=n.text, disposition=n.disposition)
            for n in db.scalars(
                select(Note)
                .where(Note.tenant == tenant, Note.customer_id == customer.id)
                .order_by(Note.at.desc())
                .limit(PANEL_ITEMS)
            )
        ]
    dnc = db.scalar(
        select(DncEntryRow)
        .where(
            DncEntryRow.tenant == tenant,
            DncEntryRow.number == number,
            DncEntryRow.campaign_key.is_(None),
        )
        .limit(1)
    )
    return CtiPanel(
        number=number,
        customer_id=customer.id if customer is not None else None,
        customer_name=customer.name if customer is not None else None,
        do_not_call=DncEntryOut.of(dnc) if dnc is not None else None,
        last_call=calls[0] if calls else None,
        calls=calls,
        notes=notes,
        next_call=_next_call(db, records, keys),
    )


def _customer(
    db: Session, tenant: str, number: str, records: list[ListRecordRow]
) -> Customer | None:
    for record in records:
        if record.customer_id is not None:
            found = db.get(Customer, record.customer_id)
            if found is not None and found.tenant == tenant:
                return found
    return db.scalar(
        select(Customer)
        .where(
            Customer.tenant == tenant, or_(Customer.phone == number, Customer.phone_alt == number)
        )
        .order_by(Customer.id)
        .limit(1)
    )


def _next_call(db: Session, records: list[ListRecordRow], keys: dict[int, str]) -> CtiNext | None:
    if not records:
        return None
    by_id = {r.id: r for r in records}
    callback = db.scalar(
        select(CallbackRow)
        .where(CallbackRow.record_id.in_(sorted(by_id)), CallbackRow.done.is_(False))
        .order_by(CallbackRow.due)
        .limit(1)
    )
    if callback is not None:
        return CtiNext(
            at=aware(callback.due),
            kind="callback",
            campaign=keys.get(callback.campaign_id, ""),
            agent_id=callback.agent_id,
        )
    retries = [
        r for r in records if r.closed is None and r.next_attempt_at is not None and r.attempts
    ]
    if not retries:
        return None
    soonest = min(retries, key=lambda r: aware(r.next_attempt_at or r.imported_at))
    return CtiNext(
        at=aware(soonest.next_attempt_at or soonest.imported_at),
        kind="retry",
        campaign=keys.get(soonest.campaign_id, ""),
    )
