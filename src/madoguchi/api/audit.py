"""The audit log (個人情報の取扱記録): sign-ins, and every view or export of personal data.

Each entry says who (user name, tenant), when, what (action and target), why (the purpose the
caller gave, 利用目的) and from where (client address). Entries are written in the same
transaction as the read they record, so a read that is not logged does not happen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy.orm import Session

from madoguchi.api.context import Principal
from madoguchi.store.crm import AuditEntry

#: The purpose recorded when a caller gives none: handling the customer's own contact.
DEFAULT_PURPOSE = "customer_service"

Purpose = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="Why the personal data is read (利用目的); written to the audit log.",
    ),
]


def record(
    db: Session,
    *,
    now: float,
    action: str,
    who: Principal | None = None,
    username: str | None = None,
    tenant: str | None = None,
    target: str = "",
    purpose: str = "",
    client: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to ``db`` (committed with the caller's transaction)."""
    entry = AuditEntry(
        at=datetime.fromtimestamp(now, UTC),
        tenant=who.tenant if who is not None else tenant,
        username=who.username if who is not None else (username or ""),
        action=action,
        target=target,
        purpose=purpose,
        client=client,
        detail=detail or {},
    )
    db.add(entry)
    return entry
