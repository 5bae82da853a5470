"""Durable, complete store: outbox state check and indexes, UTC op times, the ledger
mirror (member details, debt, lot summaries), receipt print history, holds, staff, the
append-only audit log and the recovery state.

Existing ops are kept as they are; only `created_at` is rewritten, from the local time
each op carries in its body, because revision 0001 stored it without its offset.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OP_STATES = "'queued', 'sent', 'applied', 'duplicate', 'rejected', 'parked'"


def upgrade() -> None:
    # -- outbox ------------------------------------------------------------------------
    op.drop_index("ix_ops_member_id", table_name="ops")
    op.drop_index("ix_ops_state", table_name="ops")
    # SQLite cannot add a CHECK to a table: batch mode copies the rows into a new table.
    # `migrate` runs this with foreign keys off (receipts reference ops) and checks them
    # after, as SQLite's own table-rebuild procedure says.
    with op.batch_alter_table("ops", recreate="always") as batch:
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True)))
        batch.create_check_constraint("ck_ops_state", f"state IN ({OP_STATES})")
    op.create_index("ix_ops_member_state", "ops", ["member_id", "state", "points_delta"])
    op.create_index("ix_ops_state_seq", "ops", ["state", "device_seq"])
    op.execute(
        "UPDATE ops SET created_at = "
        "strftime('%Y-%m-%d %H:%M:%f', json_extract(body, '$.local_time')) "
        "WHERE json_valid(body) AND json_extract(body, '$.local_time') IS NOT NULL"
    )

    # -- ledger mirror -------------------------------------------------------------------
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("kana", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("rank", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("birth_month", sa.Integer))
        batch.add_column(sa.Column("phone_masked", sa.String(32)))
        batch.add_column(sa.Column("phone_hash", sa.String(64)))
        batch.add_column(sa.Column("debt", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_members_phone_hash", "members", ["phone_hash"])
    op.create_table(
        "member_lots",
        sa.Column("member_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('normal', 'limited')", name="ck_member_lots_kind"),
        sqlite_with_rowid=False,
    )

    # -- receipts ------------------------------------------------------------------------
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(
            sa.Column("print_attempts", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("printed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True)))
    op.create_index("ix_receipts_print_state", "receipts", ["print_state"])
    op.execute(
        "UPDATE receipts SET created_at = (SELECT created_at FROM ops WHERE ops.op_id = receipts.op_id)"
    )

    # -- holds, staff, audit, recovery ---------------------------------------------------
    op.create_table(
        "holds",
        sa.Column("hold_id", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("op_id", sa.String(36)),
        sa.CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')",
                           name="ck_holds_state"),
        sa.CheckConstraint("points > 0", name="ck_holds_points"),
    )
    op.create_index("ix_holds_member_id", "holds", ["member_id"])
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(32), primary_key=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("pin_hash", sa.String(256), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('cashier', 'manager')", name="ck_staff_role"),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32)),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    # Append-only in the database itself, not just by convention in the code.
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    op.create_table(
        "recovery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("kept_path", sa.Text, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("salvaged_ops", sa.Integer, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('refusing', 'rebuilding', 'done')",
                           name="ck_recovery_state"),
    )


def downgrade() -> None:
    op.drop_table("recovery")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("audit_log")
    op.drop_table("staff")
    op.drop_index("ix_holds_member_id", table_name="holds")
    op.drop_table("holds")
    op.drop_index("ix_receipts_print_state", table_name="receipts")
    with op.batch_alter_table("receipts") as batch:
        for column in ("created_at", "printed_at", "print_attempts"):
            batch.drop_column(column)
    op.drop_table("member_lots")
    op.drop_index("ix_members_phone_hash", table_name="members")
    with op.batch_alter_table("members") as batch:
        for column in ("debt", "phone_hash", "phone_masked", "birth_month", "rank", "kana"):
            batch.drop_column(column)
    op.drop_index("ix_ops_state_seq", table_name="ops")
    op.drop_index("ix_ops_member_state", table_name="ops")
    with op.batch_alter_table("ops", recreate="always") as batch:
        batch.drop_constraint("ck_ops_state", type_="check")
        batch.drop_column("answered_at")
    op.create_index("ix_ops_member_id", "ops", ["member_id"])
    op.create_index("ix_ops_state", "ops", ["state"])
