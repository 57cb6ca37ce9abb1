"""The database schema, as typed SQLAlchemy ORM tables.

This metadata is what the Alembic migrations in ``madoguchi/store/migrations`` build; a test
checks that ``alembic`` autogenerate finds no difference between the two. Change a table here,
then add a revision (see docs/store.md).

Tables: ``event_log`` (the append-only log), ``contact_record`` with its look-up tables
``contact_record_queue`` and ``contact_record_agent``, and ``runtime_meta`` (small key/values).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Double, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from madoguchi.store.port import MAX_CODE, MAX_ID, MAX_KEY, MAX_REASON, MAX_TENANT, MAX_TYPE

#: JSON on SQLite (text), JSONB on PostgreSQL.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")

#: 64-bit ids on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is the rowid (and 64-bit anyway).
LogId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base holding the store's metadata (with stable constraint names)."""

    metadata = MetaData(naming_convention=NAMING)


class EventRow(Base):
    """One logged event."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(LogId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(MAX_TYPE))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Double)
    tenant: Mapped[str | None] = mapped_column(String(MAX_TENANT))
    contact_id: Mapped[str | None] = mapped_column(String(MAX_ID))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    """The whole record as :func:`madoguchi.core.events.to_record` made it."""

    __table_args__ = (
        Index(None, "type"),
        Index(None, "contact_id"),
        Index(None, "at"),
        Index(None, "tenant", "id"),
    )


class ContactRecordRow(Base):
    """One contact's record; ``queues``/``agents`` keep the order, the link tables the look-ups."""

    __tablename__ = "contact_record"

    contact_id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(MAX_TENANT))
    channel: Mapped[str] = mapped_column(String(MAX_CODE))
    direction: Mapped[str] = mapped_column(String(MAX_CODE))
    started_at: Mapped[float] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)
    customer_id: Mapped[str | None] = mapped_column(String(MAX_ID))
    end_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    queues: Mapped[list[str]] = mapped_column(JsonDocument)
    agents: Mapped[list[str]] = mapped_column(JsonDocument)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)

    __table_args__ = (
        Index(None, "started_at"),
        Index(None, "tenant", "started_at"),
        Index(None, "customer_id"),
    )


class ContactRecordQueueRow(Base):
    """A queue a contact passed through (for "records of queue Q")."""

    __tablename__ = "contact_record_queue"

    contact_id: Mapped[str] = mapped_column(
        String(MAX_ID),
        ForeignKey("contact_record.contact_id", ondelete="CASCADE"),
        primary_key=True,
    )
    queue_id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)

    __table_args__ = (Index(None, "queue_id"),)


class ContactRecordAgentRow(Base):
    """An agent who handled a contact (for "records of agent A")."""

    __tablename__ = "contact_record_agent"

    contact_id: Mapped[str] = mapped_column(
        String(MAX_ID),
        ForeignKey("contact_record.contact_id", ondelete="CASCADE"),
        primary_key=True,
    )
    agent_id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)

    __table_args__ = (Index(None, "agent_id"),)


class RuntimeMetaRow(Base):
    """A small JSON value under a key (snapshot positions, leases, …)."""

    __tablename__ = "runtime_meta"

    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonDocument)


metadata = Base.metadata
