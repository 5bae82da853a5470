"""Ops gain their register's local time and receipt number, each indexed with the store.

The store summary (`GET /v1/stores/{store}/summary`) selects a store's ops by the time
the register recorded them, and the sale look-up (`GET /v1/sales/by-receipt/{no}`) finds
a sale by its receipt number within a store; both were only inside the stored op's JSON.
Existing ops are filled in from that JSON.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-13
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from hq.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000


def _facts(stored: Any) -> tuple[datetime | None, str | None]:
    data = json.loads(stored) if isinstance(stored, str) else stored
    if not isinstance(data, dict):
        return None, None
    try:
        at = datetime.fromisoformat(str(data.get("local_time")))
    except ValueError:
        at = None
    if at is not None and at.tzinfo is None:
        at = None  # an op always carried an aware time; anything else is left unknown
    payload = data.get("payload")
    receipt = payload.get("receipt_no") if isinstance(payload, dict) else None
    return at, receipt[:64] if isinstance(receipt, str) and receipt else None


def upgrade() -> None:
    op.add_column("ops", sa.Column("local_time", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ops", sa.Column("receipt_no", sa.String(64), nullable=True))

    ops = sa.table("ops", sa.column("op_id", sa.String()), sa.column("op", sa.JSON()),
                   sa.column("local_time", UTCDateTime()), sa.column("receipt_no", sa.String()))
    conn = op.get_bind()
    after = ""
    while True:
        rows = conn.execute(sa.select(ops.c.op_id, ops.c.op).where(ops.c.op_id > after)
                            .order_by(ops.c.op_id).limit(CHUNK)).all()
        if not rows:
            break
        updates = []
        for op_id, stored in rows:
            at, receipt = _facts(stored)
            updates.append({"k": op_id, "t": at, "r": receipt})
        conn.execute(sa.update(ops).where(ops.c.op_id == sa.bindparam("k"))
                     .values(local_time=sa.bindparam("t", type_=UTCDateTime()),
                             receipt_no=sa.bindparam("r")), updates)
        after = rows[-1][0]

    op.create_index("ix_ops_store_local_time", "ops", ["store_id", "local_time"])
    op.create_index("ix_ops_store_receipt_no", "ops", ["store_id", "receipt_no"])


def downgrade() -> None:
    op.drop_index("ix_ops_store_receipt_no", table_name="ops")
    op.drop_index("ix_ops_store_local_time", table_name="ops")
    with op.batch_alter_table("ops") as batch:
        batch.drop_column("receipt_no")
        batch.drop_column("local_time")
