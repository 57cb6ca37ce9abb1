"""Outbound: campaigns, call lists, do-not-call entries, dial attempts, callbacks

Revision ID: ob_0001
Revises: crm_0001
Create Date: 2026-11-22 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

# The outbound tables share the store's metadata; importing their module registers them in it
# whenever the migrations are loaded (as crm_0001 does for the CRM tables).
import madoguchi.store.campaigns  # noqa: F401

revision: str = "ob_0001"
down_revision: str | None = "crm_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ob_campaign",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("script", sa.Text(), nullable=True),
        sa.Column(
            "dispositions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_campaign")),
        sa.UniqueConstraint("tenant", "key", name="uq_ob_campaign_key"),
    )
    op.create_table(
        "ob_dnc_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("campaign_key", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_dnc_entry")),
    )
    op.create_index("ix_ob_dnc_entry_number", "ob_dnc_entry", ["tenant", "number"], unique=False)
    op.create_table(
        "ob_list_record",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("closed", sa.String(length=32), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ob_campaign.id"],
            name=op.f("fk_ob_list_record_campaign_id_ob_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_ob_list_record_customer_id_crm_customer"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_list_record")),
        sa.UniqueConstraint("campaign_id", "key", name="uq_ob_list_record_key"),
        sa.UniqueConstraint("campaign_id", "number", name="uq_ob_list_record_number"),
    )
    op.create_index(
        "ix_ob_list_record_tenant_number", "ob_list_record", ["tenant", "number"], unique=False
    )
    op.create_table(
        "ob_callback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ob_campaign.id"],
            name=op.f("fk_ob_callback_campaign_id_ob_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["ob_list_record.id"],
            name=op.f("fk_ob_callback_record_id_ob_list_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_callback")),
    )
    op.create_index(
        "ix_ob_callback_due", "ob_callback", ["campaign_id", "done", "due"], unique=False
    )
    op.create_table(
        "ob_dial_attempt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("blocked_reason", sa.String(length=32), nullable=True),
        sa.Column("ring_s", sa.Double(), nullable=True),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("talk_s", sa.Double(), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_rep", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ob_campaign.id"],
            name=op.f("fk_ob_dial_attempt_campaign_id_ob_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["ob_list_record.id"],
            name=op.f("fk_ob_dial_attempt_record_id_ob_list_record"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_dial_attempt")),
    )
    op.create_index(
        "ix_ob_dial_attempt_campaign_at",
        "ob_dial_attempt",
        ["campaign_id", "placed_at"],
        unique=False,
    )
    op.create_index(
        "ix_ob_dial_attempt_number", "ob_dial_attempt", ["tenant", "number"], unique=False
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_ob_dial_attempt_number", table_name="ob_dial_attempt")
    op.drop_index("ix_ob_dial_attempt_campaign_at", table_name="ob_dial_attempt")
    op.drop_table("ob_dial_attempt")
    op.drop_index("ix_ob_callback_due", table_name="ob_callback")
    op.drop_table("ob_callback")
    op.drop_index("ix_ob_list_record_tenant_number", table_name="ob_list_record")
    op.drop_table("ob_list_record")
    op.drop_index("ix_ob_dnc_entry_number", table_name="ob_dnc_entry")
    op.drop_table("ob_dnc_entry")
    op.drop_table("ob_campaign")
