"""Provisioning codes, admin tokens, audit, member profile, holds, token keys, epochs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

LEDGER_KINDS_OLD = "'earn', 'redeem', 'adjust'"
LEDGER_KINDS_NEW = (
    "'earn', 'redeem', 'reverse_earn', 'restore_redeem', 'expire', 'adjust', 'debt', "
    "'debt_settle', 'merge_out', 'merge_in'"
)
FEED_KINDS_OLD = "'member', 'card', 'program'"
FEED_KINDS_NEW = "'member', 'card', 'program', 'token_key'"


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _swap_check(table: str, name: str, sql: str) -> None:
    # SQLite cannot alter a CHECK in place: batch mode copies the table with the new one.
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_{name}"), sa.text(sql))


def upgrade() -> None:
    with op.batch_alter_table("registers") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("epoch", sa.Integer(), nullable=False, server_default="1"))

    op.add_column("ops", sa.Column("epoch", sa.Integer(), nullable=False, server_default="1"))

    for column in (
        sa.Column("kana", sa.String(100), nullable=False, server_default=""),
        sa.Column("birth_month", sa.Integer(), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("phone_masked", sa.String(32), nullable=True),
        sa.Column("merged_into", sa.String(64), nullable=True),
        sa.Column("enrolled_store_id", sa.String(64), nullable=True),
        sa.Column("enrolled_staff_id", sa.String(64), nullable=True),
        sa.Column("enrolled_device_id", sa.String(64), nullable=True),
    ):
        op.add_column("members", column)
    op.create_index(op.f("ix_members_phone_hash"), "members", ["phone_hash"])

    _swap_check("ledger_entries", "kind", f"kind IN ({LEDGER_KINDS_NEW})")
    _swap_check("feed", "kind", f"kind IN ({FEED_KINDS_NEW})")

    op.create_table(
        "provisioning_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["registers.device_id"],
            name=op.f("fk_provisioning_codes_device_id_registers"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_provisioning_codes")),
    )
    op.create_index(
        op.f("ix_provisioning_codes_device_id"), "provisioning_codes", ["device_id"]
    )

    op.create_table(
        "admin_tokens",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False, server_default="admin"),
        _at("created_at"),
        _at("revoked_at", nullable=True),
        sa.CheckConstraint("role IN ('admin', 'app')", name=op.f("ck_admin_tokens_role")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_admin_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_tokens_token_hash")),
    )

    op.create_table(
        "audit",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _at("at"),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_kind", sa.String(32), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index("ix_audit_entity", "audit", ["entity_kind", "entity_key", "id"])

    op.create_table(
        "holds",
        sa.Column("hold_id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _at("closed_at", nullable=True),
        sa.Column("op_id", sa.String(36), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'voided', 'expired')", name=op.f("ck_holds_status")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_holds_points_positive")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_holds_member_id_members")
        ),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_holds")),
    )
    op.create_index("ix_holds_member_status", "holds", ["member_id", "status"])

    op.create_table(
        "token_keys",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_key", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        _at("created_at"),
        _at("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_token_keys")),
    )

    settings = op.create_table(
        "hq_settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_hq_settings")),
    )
    # The key of members' phone hashes: made once here, so it never races and never changes.
    op.bulk_insert(settings, [{"name": "phone_hash_key", "value": secrets.token_hex(32)}])

    op.create_table(
        "idempotent_requests",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_idempotent_requests")),
    )


def downgrade() -> None:
    for table in (
        "idempotent_requests",
        "hq_settings",
        "token_keys",
        "holds",
        "audit",
        "admin_tokens",
        "provisioning_codes",
    ):
        op.drop_table(table)
    op.execute("DELETE FROM feed WHERE kind = 'token_key'")
    _swap_check("feed", "kind", f"kind IN ({FEED_KINDS_OLD})")
    _swap_check("ledger_entries", "kind", f"kind IN ({LEDGER_KINDS_OLD})")
    op.drop_index(op.f("ix_members_phone_hash"), table_name="members")
    with op.batch_alter_table("members") as batch:
        for name in (
            "enrolled_device_id",
            "enrolled_staff_id",
            "enrolled_store_id",
            "merged_into",
            "phone_masked",
            "phone_hash",
            "birth_month",
            "kana",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("ops") as batch:
        batch.drop_column("epoch")
    with op.batch_alter_table("registers") as batch:
        batch.drop_column("epoch")
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=False)
