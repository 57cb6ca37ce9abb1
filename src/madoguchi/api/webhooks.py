"""Webhook endpoints (admin) and their delivery log.

An admin registers an endpoint of an existing system (CRM, ticketing, BI) with the contact
event types it wants; :mod:`madoguchi.api.webhook_delivery` sends them, signed and retried.
The secret is shown once, when the endpoint is created (or a new one is set); afterwards only
its last four characters. Everything is limited to the admin's tenant.
"""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from madoguchi.api.admin import Admin
from madoguchi.api.context import Ctx, Db, Principal, RowId
from madoguchi.api.errors import COMMON_RESPONSES, Conflict, NotFound
from madoguchi.core.events import event_types
from madoguchi.store.crm import Webhook, WebhookDelivery, aware

router = APIRouter(prefix="/api/v1/admin", tags=["webhooks"], responses=COMMON_RESPONSES)


@functools.cache
def contact_event_types() -> list[str]:
    """Names of the events a webhook can receive (every event about a contact)."""
    import dataclasses

    import madoguchi.runtime  # noqa: F401  (registers the routing events)

    return sorted(
        name
        for name, kind in event_types().items()
        if any(f.name == "contact_id" for f in dataclasses.fields(kind))
    )


EventTypes = Annotated[list[str], Field(max_length=50)]


def _check_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    known = set(contact_event_types())
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown[:5])}")
    return sorted(set(value))


class WebhookCreate(BaseModel):
    """A new endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    event_types: EventTypes = []
    """Empty: every contact event."""
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    """None: the server makes one (returned once)."""
    description: str = Field(default="", max_length=200)
    active: bool = True

    _types = field_validator("event_types")(_check_types)


class WebhookUpdate(BaseModel):
    """Changes to an endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None = None
    event_types: EventTypes | None = None
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = None

    _types = field_validator("event_types")(_check_types)


class WebhookOut(BaseModel):
    """An endpoint; ``secret`` is present only right after it was set."""

    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    secret_hint: str
    secret: str | None = None
    created_at: str


class DeliveryOut(BaseModel):
    """One line of the delivery log."""

    id: int
    webhook_id: int
    event_id: int
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None
    error: str
    created_at: str
    last_attempt_at: str | None
    next_attempt_at: str | None


def _out(row: Webhook, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        event_types=list(row.event_types),
        description=row.description,
        active=row.active,
        secret_hint="…" + row.secret[-4:],
        secret=secret,
        created_at=aware(row.created_at).isoformat(),
    )


def _changed(request: Request) -> None:
    dispatcher = getattr(request.app.state, "webhooks", None)
    if dispatcher is not None:
        dispatcher.endpoints_changed()


def _own(db: Db, caller: Principal, webhook_id: int) -> Webhook:
    row = db.get(Webhook, webhook_id)
    if row is None or row.tenant != caller.tenant:
        raise NotFound(f"no webhook {webhook_id}", error_id="no-such-webhook")
    return row


@router.get("/webhook-event-types", response_model=list[str], summary="Events webhooks can carry")
def list_event_types(caller: Admin) -> list[str]:
    """Every contact event name."""
    return contact_event_types()


@router.get("/webhooks", response_model=list[WebhookOut], summary="Webhook endpoints")
def list_webhooks(caller: Admin, db: Db) -> list[WebhookOut]:
    """The tenant's endpoints."""
    rows = db.scalars(select(Webhook).where(Webhook.tenant == caller.tenant).order_by(Webhook.id))
    return [_out(r) for r in rows]


@router.post("/webhooks", response_model=WebhookOut, status_code=201, summary="Add an endpoint")
def create_webhook(
    body: WebhookCreate, caller: Admin, ctx: Ctx, db: Db, request: Request
) -> WebhookOut:
    """Register an endpoint; the answer carries its secret (shown only this once)."""
    secret = body.secret or secrets.token_urlsafe(32)
    row = Webhook(
        tenant=caller.tenant,
        url=str(body.url),
        secret=secret,
        event_types=list(body.event_types),
        active=body.active,
        description=body.description,
        created_at=datetime.fromtimestamp(ctx.runtime.clock.now(), UTC),
    )
    db.add(row)
    db.commit()
    _changed(request)
    return _out(row, secret)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut, summary="Change an endpoint")
def update_webhook(
    webhook_id: RowId, body: WebhookUpdate, caller: Admin, db: Db, request: Request
) -> WebhookOut:
    """Change URL, event types, secret, description or whether it is active."""
    row = _own(db, caller, webhook_id)
    if body.url is not None:
        row.url = str(body.url)
    if body.event_types is not None:
        row.event_types = list(body.event_types)
    if body.description is not None:
        row.description = body.description
    if body.active is not None:
        row.active = body.active
    if body.secret is not None:
        row.secret = body.secret
    db.commit()
    _changed(request)
    return _out(row, body.secret)


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove an endpoint")
def delete_webhook(webhook_id: RowId, caller: Admin, db: Db, request: Request) -> None:
    """Remove the endpoint and its delivery log."""
    row = _own(db, caller, webhook_id)
    db.query(WebhookDelivery).filter(WebhookDelivery.webhook_id == row.id).delete()
    db.delete(row)
    db.commit()
    _changed(request)


@router.get("/webhook-deliveries", response_model=list[DeliveryOut], summary="The delivery log")
def list_deliveries(
    caller: Admin,
    db: Db,
    webhook_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    status: Literal["pending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Newest first, optionally for one endpoint or one status."""
    query = select(WebhookDelivery).where(WebhookDelivery.tenant == caller.tenant)
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows = db.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [_delivery(r) for r in rows]


@router.post(
    "/webhook-deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    status_code=202,
    summary="Send a delivery again",
)
async def retry_delivery(
    delivery_id: RowId, caller: Admin, db: Db, request: Request
) -> DeliveryOut:
    """Send a failed (or delivered) delivery again, with a fresh set of attempts."""
    row = db.get(WebhookDelivery, delivery_id)
    if row is None or row.tenant != caller.tenant:
        raise NotFound(f"no delivery {delivery_id}", error_id="no-such-delivery")
    hook = db.get(Webhook, row.webhook_id)
    dispatcher = getattr(request.app.state, "webhooks", None)
    if hook is None or not hook.active or dispatcher is None or not dispatcher.running:
        raise Conflict("the endpoint is inactive or delivery is not running", error_id="not-sent")
    if row.status == "pending":
        raise Conflict("this delivery is already being sent", error_id="delivery-pending")
    row.status = "pending"
    row.attempts = 0
    row.error = ""
    db.commit()
    dispatcher.send(row.id, hook.url, hook.secret, row.payload)
    return _delivery(row)


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment is not None else None


def _delivery(row: WebhookDelivery) -> DeliveryOut:
    values: dict[str, Any] = {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "response_status": row.response_status,
        "error": row.error,
        "created_at": aware(row.created_at).isoformat(),
        "last_attempt_at": _iso(row.last_attempt_at),
        "next_attempt_at": _iso(row.next_attempt_at),
    }
    return DeliveryOut(**values)
