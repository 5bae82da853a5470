"""Initial register schema: outbox, members, cards, programs, receipts, sync state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("next_device_seq", sa.Integer, nullable=False),
        sa.Column("pull_cursor", sa.Integer, nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True)),
        sa.Column("last_pull_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "ops",
        sa.Column("op_id", sa.String(36), primary_key=True),
        sa.Column("device_seq", sa.Integer, nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False, index=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("points_delta", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("result", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("member_no", sa.String(32), nullable=False, index=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hq_balance", sa.Integer, nullable=False),
    )
    op.create_table(
        "cards",
        sa.Column("uid", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "programs",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("toml", sa.Text, nullable=False),
    )
    op.create_table(
        "receipts",
        sa.Column("op_id", sa.String(36), sa.ForeignKey("ops.op_id"), primary_key=True),
        sa.Column("receipt_no", sa.String(64), nullable=False, unique=True),
        sa.Column("model", sa.JSON, nullable=False),
        sa.Column("print_state", sa.String(16), nullable=False),
        sa.Column("print_error", sa.Text),
    )


def downgrade() -> None:
    for table in ("receipts", "programs", "cards", "members", "ops", "sync_state"):
        op.drop_table(table)
