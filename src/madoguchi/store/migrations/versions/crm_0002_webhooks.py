"""CRM: webhook endpoints and their delivery log

Revision ID: crm_0002
Revises: ob_0001
Create Date: 2026-11-22 09:20:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import madoguchi.store.crm  # noqa: F401  (registers the CRM tables in the store's metadata)

revision: str = "crm_0002"
down_revision: str | None = "ob_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "crm_webhook",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("event_types", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_webhook")),
    )
    op.create_index("ix_crm_webhook_tenant", "crm_webhook", ["tenant"], unique=False)
    op.create_table(
        "crm_webhook_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["crm_webhook.id"],
            name=op.f("fk_crm_webhook_delivery_webhook_id_crm_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_webhook_delivery")),
    )
    op.create_index(
        "ix_crm_webhook_delivery_hook", "crm_webhook_delivery", ["webhook_id", "id"], unique=False
    )
    op.create_index(
        "ix_crm_webhook_delivery_status", "crm_webhook_delivery", ["status"], unique=False
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_crm_webhook_delivery_status", table_name="crm_webhook_delivery")
    op.drop_index("ix_crm_webhook_delivery_hook", table_name="crm_webhook_delivery")
    op.drop_table("crm_webhook_delivery")
    op.drop_index("ix_crm_webhook_tenant", table_name="crm_webhook")
    op.drop_table("crm_webhook")
