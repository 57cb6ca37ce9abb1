"""CRM: customers, notes, follow-ups, users, sessions, API tokens, audit log, talk scripts

Revision ID: crm_0001
Revises: 0001
Create Date: 2026-11-22 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

# The CRM tables share the store's metadata. Importing their module here registers them in it
# whenever the migrations are loaded, so metadata and migrated schema agree even for code that
# imported only madoguchi.store.schema. (The operations below do not depend on the import.)
import madoguchi.store.crm  # noqa: F401

revision: str = "crm_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "crm_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_audit")),
    )
    op.create_index("ix_crm_audit_tenant_at", "crm_audit", ["tenant", "at"], unique=False)
    op.create_table(
        "crm_customer",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_number", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("phone_alt", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_customer")),
        sa.UniqueConstraint("tenant", "customer_number", name="uq_crm_customer_number"),
    )
    op.create_index("ix_crm_customer_name", "crm_customer", ["tenant", "name"], unique=False)
    op.create_index("ix_crm_customer_phone", "crm_customer", ["tenant", "phone"], unique=False)
    op.create_index(
        "ix_crm_customer_phone_alt", "crm_customer", ["tenant", "phone_alt"], unique=False
    )
    op.create_table(
        "crm_talk_script",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("queue_id", sa.String(length=64), nullable=False),
        sa.Column(
            "steps",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_talk_script")),
        sa.UniqueConstraint("tenant", "queue_id", name="uq_crm_script_queue"),
    )
    op.create_table(
        "crm_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_user")),
        sa.UniqueConstraint("username", name=op.f("uq_crm_user_username")),
    )
    op.create_table(
        "crm_api_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["crm_user.id"],
            name=op.f("fk_crm_api_token_user_id_crm_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_crm_api_token_token_hash")),
    )
    op.create_table(
        "crm_follow_up",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("assigned_to", sa.String(length=64), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_follow_up_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_follow_up")),
    )
    op.create_index(
        "ix_crm_follow_up_customer", "crm_follow_up", ["tenant", "customer_id"], unique=False
    )
    op.create_table(
        "crm_note",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm_customer.id"],
            name=op.f("fk_crm_note_customer_id_crm_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_note")),
    )
    op.create_index("ix_crm_note_contact", "crm_note", ["tenant", "contact_id"], unique=False)
    op.create_index("ix_crm_note_customer", "crm_note", ["tenant", "customer_id"], unique=False)
    op.create_table(
        "crm_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["crm_user.id"],
            name=op.f("fk_crm_session_user_id_crm_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_session")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("crm_session")
    op.drop_index("ix_crm_note_customer", table_name="crm_note")
    op.drop_index("ix_crm_note_contact", table_name="crm_note")
    op.drop_table("crm_note")
    op.drop_index("ix_crm_follow_up_customer", table_name="crm_follow_up")
    op.drop_table("crm_follow_up")
    op.drop_table("crm_api_token")
    op.drop_table("crm_user")
    op.drop_table("crm_talk_script")
    op.drop_index("ix_crm_customer_phone_alt", table_name="crm_customer")
    op.drop_index("ix_crm_customer_phone", table_name="crm_customer")
    op.drop_index("ix_crm_customer_name", table_name="crm_customer")
    op.drop_table("crm_customer")
    op.drop_index("ix_crm_audit_tenant_at", table_name="crm_audit")
    op.drop_table("crm_audit")
