"""Event log, contact records and runtime metadata.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table(
        "event_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("payload", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
    )
    op.create_index(op.f("ix_event_log_type"), "event_log", ["type"])
    op.create_index(op.f("ix_event_log_contact_id"), "event_log", ["contact_id"])
    op.create_index(op.f("ix_event_log_at"), "event_log", ["at"])
    op.create_index(op.f("ix_event_log_tenant_id"), "event_log", ["tenant", "id"])

    op.create_table(
        "contact_record",
        sa.Column("contact_id", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("queues", _json(), nullable=False),
        sa.Column("agents", _json(), nullable=False),
        sa.Column("document", _json(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_record")),
    )
    op.create_index(op.f("ix_contact_record_started_at"), "contact_record", ["started_at"])
    op.create_index(
        op.f("ix_contact_record_tenant_started_at"), "contact_record", ["tenant", "started_at"]
    )
    op.create_index(op.f("ix_contact_record_customer_id"), "contact_record", ["customer_id"])

    for link, ref in (("contact_record_queue", "queue_id"), ("contact_record_agent", "agent_id")):
        op.create_table(
            link,
            sa.Column("contact_id", sa.String(length=128), nullable=False),
            sa.Column(ref, sa.String(length=128), nullable=False),
            sa.ForeignKeyConstraint(
                ["contact_id"],
                ["contact_record.contact_id"],
                name=op.f(f"fk_{link}_contact_id_contact_record"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("contact_id", ref, name=op.f(f"pk_{link}")),
        )
        op.create_index(op.f(f"ix_{link}_{ref}"), link, [ref])

    op.create_table(
        "runtime_meta",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_runtime_meta")),
    )


def downgrade() -> None:
    """Drop every table of the store (the event log with it)."""
    for table in (
        "runtime_meta",
        "contact_record_agent",
        "contact_record_queue",
        "contact_record",
        "event_log",
    ):
        op.drop_table(table)
