"""The ledger of record: lots, debts, redemptions, allocations, purchases, campaign grants.

Members gain their debt, rank, last earn and use, and first purchase; ledger entries gain
their debt, reference and lot changes; ops may be `parked`. Each member's existing plain
balance becomes one normal lot (`opening:<member_id>`), issued by the company of the
newest program, with no expiry of its own: what the old ledger did not record (when
each point was earned) cannot be made up, so those points follow the rolling policy if
there is one and otherwise never expire.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from hq.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNKNOWN_ISSUER = "unknown"


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _newest_company(conn: sa.Connection) -> str:
    toml = conn.execute(sa.text("SELECT toml FROM programs ORDER BY version DESC LIMIT 1")).scalar()
    if toml is None:
        return UNKNOWN_ISSUER
    try:
        company = tomllib.loads(toml).get("program", {}).get("company_id")
    except tomllib.TOMLDecodeError:
        return UNKNOWN_ISSUER
    return company if isinstance(company, str) and company else UNKNOWN_ISSUER


def upgrade() -> None:
    for column in (
        sa.Column("debt", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("rank", sa.String(32), nullable=False, server_default=""),
        _at("last_earn_at", nullable=True),
        _at("last_use_at", nullable=True),
        _at("first_purchase_at", nullable=True),
    ):
        op.add_column("members", column)
    for column in (
        sa.Column("debt", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("ref", sa.String(200), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
    ):
        op.add_column("ledger_entries", column)

    # SQLite cannot alter a CHECK in place: batch mode copies the table with the new one.
    with op.batch_alter_table("ops") as batch:
        batch.drop_constraint(op.f("ck_ops_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_ops_status"), sa.text("status IN ('applied', 'rejected', 'parked')")
        )
        batch.add_column(sa.Column("parent_op_id", sa.String(36), nullable=True))
    op.create_index(op.f("ix_ops_parent_op_id"), "ops", ["parent_op_id"])

    op.create_table(
        "lots",
        sa.Column("lot_id", sa.String(80), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("original", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("reversed", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("returned_yen", sa.BigInteger(), nullable=False, server_default="0"),
        _at("earned_at"),
        _at("expires_at", nullable=True),
        sa.CheckConstraint("kind IN ('normal', 'limited')", name=op.f("ck_lots_kind")),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_lots_remaining_not_negative")),
        sa.CheckConstraint("remaining <= original", name=op.f("ck_lots_remaining_within_original")),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], name=op.f("fk_lots_member_id_members")),
        sa.PrimaryKeyConstraint("lot_id", name=op.f("pk_lots")),
    )
    op.create_index("ix_lots_member_remaining", "lots", ["member_id", "remaining"])
    op.create_index(op.f("ix_lots_expires_at"), "lots", ["expires_at"])

    op.create_table(
        "debts",
        sa.Column("debt_id", sa.String(120), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("owed", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.CheckConstraint("owed >= 0", name=op.f("ck_debts_owed_not_negative")),
        sa.ForeignKeyConstraint(["member_id"], ["members.member_id"], name=op.f("fk_debts_member_id_members")),
        sa.PrimaryKeyConstraint("debt_id", name=op.f("pk_debts")),
    )
    op.create_index(op.f("ix_debts_member_id"), "debts", ["member_id"])

    op.create_table(
        "redemptions",
        sa.Column("redemption_id", sa.String(80), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("redeemer", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("taken", sa.JSON(), nullable=False),
        sa.Column("debt_left", sa.BigInteger(), nullable=False),
        sa.Column("returned_yen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.member_id"], name=op.f("fk_redemptions_member_id_members")
        ),
        sa.PrimaryKeyConstraint("redemption_id", name=op.f("pk_redemptions")),
    )
    op.create_index(op.f("ix_redemptions_member_id"), "redemptions", ["member_id"])

    op.create_table(
        "allocations",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.String(80), nullable=False),
        sa.Column("redemption_id", sa.String(80), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("redeemer", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=True),
        _at("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index("ix_allocations_at", "allocations", ["at"])
    op.create_index(op.f("ix_allocations_lot_id"), "allocations", ["lot_id"])
    op.create_index(op.f("ix_allocations_redemption_id"), "allocations", ["redemption_id"])

    op.create_table(
        "purchases",
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("points_redeemed", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("returned_yen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("lot_ids", sa.JSON(), nullable=True),
        sa.Column("sale_op_id", sa.String(36), nullable=True),
        _at("at"),
        sa.CheckConstraint("kind IN ('sale', 'return')", name=op.f("ck_purchases_kind")),
        sa.ForeignKeyConstraint(["op_id"], ["ops.op_id"], name=op.f("fk_purchases_op_id_ops")),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_purchases")),
    )
    op.create_index("ix_purchases_member_at", "purchases", ["member_id", "at"])
    op.create_index("ix_purchases_at", "purchases", ["at"])
    op.create_index(op.f("ix_purchases_sale_op_id"), "purchases", ["sale_op_id"])

    op.create_table(
        "campaign_grants",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        _at("at"),
        sa.ForeignKeyConstraint(["op_id"], ["ops.op_id"], name=op.f("fk_campaign_grants_op_id_ops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_grants")),
    )
    op.create_index("ix_campaign_grants_campaign_at", "campaign_grants", ["campaign_id", "at"])

    # Existing balances become lots, so Σ lot remaining − debt = balance from now on.
    conn = op.get_bind()
    issuer = _newest_company(conn)
    now = datetime.now(UTC)
    lots = sa.table(
        "lots",
        sa.column("lot_id", sa.String()), sa.column("member_id", sa.String()),
        sa.column("issuer", sa.String()), sa.column("kind", sa.String()),
        sa.column("original", sa.BigInteger()), sa.column("remaining", sa.BigInteger()),
        sa.column("reversed", sa.BigInteger()), sa.column("returned_yen", sa.BigInteger()),
        sa.column("earned_at", UTCDateTime()), sa.column("expires_at", UTCDateTime()),
    )  # fmt: skip
    rows = conn.execute(sa.text("SELECT member_id, balance FROM members WHERE balance > 0")).all()
    if rows:
        op.bulk_insert(lots, [
            {"lot_id": f"opening:{r.member_id}", "member_id": r.member_id, "issuer": issuer,
             "kind": "normal", "original": int(r.balance), "remaining": int(r.balance),
             "reversed": 0, "returned_yen": 0, "earned_at": now, "expires_at": None}
            for r in rows
        ])  # fmt: skip


def downgrade() -> None:
    for table in ("campaign_grants", "purchases", "allocations", "redemptions", "debts", "lots"):
        op.drop_table(table)
    op.execute("DELETE FROM ops WHERE status = 'parked'")
    op.drop_index(op.f("ix_ops_parent_op_id"), table_name="ops")
    with op.batch_alter_table("ops") as batch:
        batch.drop_column("parent_op_id")
        batch.drop_constraint(op.f("ck_ops_status"), type_="check")
        batch.create_check_constraint(op.f("ck_ops_status"), sa.text("status IN ('applied', 'rejected')"))
    with op.batch_alter_table("ledger_entries") as batch:
        for name in ("changes", "ref", "debt"):
            batch.drop_column(name)
    with op.batch_alter_table("members") as batch:
        for name in ("first_purchase_at", "last_use_at", "last_earn_at", "rank", "debt"):
            batch.drop_column(name)
