"""Initial HQ schema: registers, members, cards, programs, ops, ledger, feed, dead letters.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "registers",
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_device_seq", sa.BigInteger(), nullable=False, server_default="0"),
        _at("created_at"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_registers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registers_token_hash")),
    )
    op.create_index(op.f("ix_registers_store_id"), "registers", ["store_id"])

    op.create_table(
        "members",
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("member_no", sa.String(13), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("balance", sa.BigInteger(), nullable=False, server_default="0"),
        _at("created_at"),
        sa.CheckConstraint("status IN ('active', 'blocked')", name=op.f("ck_members_status")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_members")),
        sa.UniqueConstraint("member_no", name=op.f("uq_members_member_no")),
    )

    op.create_table(
        "cards",
        sa.Column("uid", sa.String(20), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        _at("created_at"),
        sa.CheckConstraint("status IN ('active', 'blocked')", name=op.f("ck_cards_status")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_cards_member_id_members")
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_cards")),
    )
    op.create_index(op.f("ix_cards_member_id"), "cards", ["member_id"])

    op.create_table(
        "programs",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("toml", sa.Text(), nullable=False),
        _at("published_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_programs")),
    )

    op.create_table(
        "ops",
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("op", sa.JSON(), nullable=False),
        _at("received_at"),
        sa.CheckConstraint("status IN ('applied', 'rejected')", name=op.f("ck_ops_status")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["registers.device_id"], name=op.f("fk_ops_device_id_registers")
        ),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_ops")),
    )
    op.create_index("ix_ops_device_seq", "ops", ["device_id", "device_seq"])

    op.create_table(
        "ledger_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        _at("created_at"),
        sa.CheckConstraint(
            "kind IN ('earn', 'redeem', 'adjust')", name=op.f("ck_ledger_entries_kind")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_ledger_entries_member_id_members")
        ),
        sa.ForeignKeyConstraint(["op_id"], ["ops.op_id"], name=op.f("fk_ledger_entries_op_id_ops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_member_id"), "ledger_entries", ["member_id"])
    op.create_index(op.f("ix_ledger_entries_op_id"), "ledger_entries", ["op_id"])

    op.create_table(
        "feed",
        sa.Column("server_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        _at("created_at"),
        sa.CheckConstraint("kind IN ('member', 'card', 'program')", name=op.f("ck_feed_kind")),
        sa.PrimaryKeyConstraint("server_seq", name=op.f("pk_feed")),
        sa.UniqueConstraint("kind", "key", name="uq_feed_kind_key"),
    )

    op.create_table(
        "dead_letters",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("op", sa.JSON(), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_op_id"), "dead_letters", ["op_id"])

    seq_counter = op.create_table(
        "seq_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_seq_counter_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seq_counter")),
    )
    # The counter row must exist before the first change: allocation only ever updates it.
    op.bulk_insert(seq_counter, [{"id": 1, "value": 0}])


def downgrade() -> None:
    for table in (
        "seq_counter",
        "dead_letters",
        "feed",
        "ledger_entries",
        "ops",
        "programs",
        "cards",
        "members",
        "registers",
    ):
        op.drop_table(table)
