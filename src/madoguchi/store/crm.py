"""CRM tables: customers, their notes and follow-ups, users, sessions, API tokens, audit log,
webhook endpoints and their deliveries.

Every row belongs to a tenant (the client company the center answers for); queries always
filter by it. Phone numbers are stored in E.164 (``+81312345678``) so a caller's number finds its
customer with one index look-up (the screen pop). Talk scripts are stored per queue.

The tables are created by the Alembic revisions ``crm_0001`` and ``crm_0002`` (webhooks) in
``store/migrations/versions``;
:func:`create_crm_tables` does the same for tests and the in-memory development server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from madoguchi.store.schema import Base as CrmBase
from madoguchi.store.schema import JsonDocument

#: The CRM tables, all prefixed ``crm_`` in the store's metadata.
CRM_TABLES: tuple[str, ...] = (
    "crm_customer",
    "crm_note",
    "crm_follow_up",
    "crm_user",
    "crm_session",
    "crm_api_token",
    "crm_audit",
    "crm_talk_script",
    "crm_webhook",
    "crm_webhook_delivery",
)


class Customer(CrmBase):
    """A customer (顧客) of one tenant."""

    __tablename__ = "crm_customer"
    __table_args__ = (
        UniqueConstraint("tenant", "customer_number", name="uq_crm_customer_number"),
        Index("ix_crm_customer_phone", "tenant", "phone"),
        Index("ix_crm_customer_phone_alt", "tenant", "phone_alt"),
        Index("ix_crm_customer_name", "tenant", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    customer_number: Mapped[str] = mapped_column(String(64))
    """The number the customer quotes (会員番号, お客様番号)."""
    name: Mapped[str] = mapped_column(String(200))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    phone_alt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(8), default="ja")
    fields: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    """Order and purchase fields (plan, last order, balance…), shown in the screen pop."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Note(CrmBase):
    """A note an agent wrote about a customer, usually about one contact (応対メモ)."""

    __tablename__ = "crm_note"
    __table_args__ = (
        Index("ix_crm_note_customer", "tenant", "customer_id"),
        Index("ix_crm_note_contact", "tenant", "contact_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customer.id", ondelete="CASCADE"), nullable=True
    )
    contact_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FollowUp(CrmBase):
    """A task to get back to a customer by a due date (未解決の後追い)."""

    __tablename__ = "crm_follow_up"
    __table_args__ = (Index("ix_crm_follow_up_customer", "tenant", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_customer.id", ondelete="CASCADE"), nullable=True
    )
    contact_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    due: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    assigned_to: Mapped[str] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(CrmBase):
    """Someone who signs in: an agent, a supervisor or an administrator of one tenant."""

    __tablename__ = "crm_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    tenant: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    """agent, supervisor or admin."""
    display_name: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The routing agent this user works as (agents, and supervisors who take calls)."""
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserSession(CrmBase):
    """A browser sign-in: the cookie carries ``id``; ``csrf_token`` must echo on writes."""

    __tablename__ = "crm_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the random token the cookie holds (a stolen table signs nobody in)."""
    user_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(CrmBase):
    """A bearer token for an integration, acting as its user."""

    __tablename__ = "crm_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("crm_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(CrmBase):
    """Who did what, when and why: sign-ins and every view or export of personal data."""

    __tablename__ = "crm_audit"
    __table_args__ = (Index("ix_crm_audit_tenant_at", "tenant", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tenant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    """sign_in, sign_in_failed, sign_out, customer.view, customer.search, customer.export…"""
    target: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)


class TalkScript(CrmBase):
    """The talk script (トークスクリプト) for a queue: branching steps as JSON."""

    __tablename__ = "crm_talk_script"
    __table_args__ = (UniqueConstraint("tenant", "queue_id", name="uq_crm_script_queue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    queue_id: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Webhook(CrmBase):
    """An endpoint of an existing system that receives the tenant's contact events."""

    __tablename__ = "crm_webhook"
    __table_args__ = (Index("ix_crm_webhook_tenant", "tenant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    """Signs each delivery (HMAC-SHA256); kept readable because signing needs it."""
    event_types: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    """Event names to send (``ContactEnded``…); empty: every contact event."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(CrmBase):
    """One event sent (or being sent) to one endpoint: the delivery log."""

    __tablename__ = "crm_webhook_delivery"
    __table_args__ = (
        Index("ix_crm_webhook_delivery_hook", "webhook_id", "id"),
        Index("ix_crm_webhook_delivery_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("crm_webhook.id", ondelete="CASCADE"))
    tenant: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending (first try or retry due), delivered, failed (gave up)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def create_crm_engine(url: str) -> Engine:
    """An engine for the CRM tables at ``url``; an in-memory SQLite database is shared by all
    threads (one connection), so tests and the development server see one database."""
    from sqlalchemy.pool import StaticPool

    from madoguchi.store.engine import create_store_engine, parse_url

    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return create_store_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    return create_store_engine(url)


def aware(moment: datetime) -> datetime:
    """``moment`` with its time zone (SQLite hands back naive UTC datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_crm_tables(engine: Engine) -> None:
    """Create the CRM tables that are missing (tests and the in-memory development server)."""
    tables = [CrmBase.metadata.tables[name] for name in CRM_TABLES]
    CrmBase.metadata.create_all(engine, tables=tables)
