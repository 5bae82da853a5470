"""The reads a push batch starts with, on PostgreSQL in one round trip.

A batch first locks its register's row (which also proves the token still belongs to it:
`hq.ingest` compares the row with the caller) and reads which of its ops are stored.
On PostgreSQL these go in one pipeline, BEGIN included, and so does everything else a
batch will certainly need when what it is known from its ops alone: the members the ops
name, locked, with their live lots and debts; and — unless a return could lead to other
members, which must be locked before any hold — the returns parked until a sale of this
batch arrives and the holds its sales post. The statements run one after another in the
order sent, so the locks are taken in the order every writer uses (register → members by
id → holds). Batches with card or merge ops, whose members follow from rows not read
yet, read the rest in `hq.ingest_prepare` as SQLite always does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select

from hq.batch import Batch
from hq.bulk import database_error, psycopg_error
from hq.models import OpRecord, Register
from sync.protocol import (
    CardBlockPayload,
    CardReissuePayload,
    EnrollPayload,
    MergePayload,
    Op,
    ReturnPayload,
    SalePayload,
)

_ops = cast(Table, OpRecord.__table__)
_registers = cast(Table, Register.__table__)


@dataclass
class RegisterRow:
    last_device_seq: int
    epoch: int
    token_hash: str | None
    revoked: bool
    store_id: str
    company_id: str


@dataclass
class Stored:
    payload_hash: str
    result: dict[str, Any]
    status: str


@dataclass
class FirstReads:
    """What was read at the start of a batch; None for what is left to `prepare`."""

    register: RegisterRow | None  # None: the row is gone
    stored: dict[str, Stored]
    members: list[Any] | None = None  # locked, with `held`; their live lots and debts:
    lots: list[Any] | None = None
    debts: list[Any] | None = None
    waiting: list[Any] | None = None  # parked returns of the batch's sales, oldest first
    holds: list[Any] | None = None  # locked


# SQLite (and any batch's first statements there): built once, bound per call.
_REGISTER = (
    select(_registers.c.last_device_seq, _registers.c.epoch, _registers.c.token_hash,
           _registers.c.revoked, _registers.c.store_id, _registers.c.company_id)
    .where(_registers.c.device_id == bindparam("device_id"))
    # NO KEY UPDATE: it serializes this register's pushes all the same, but lets other
    # transactions check foreign keys to the row (an op of this register another push
    # updates, a parked return applied with its sale) without waiting for this push:
    # waiting there could close a cycle with a member lock.
    .with_for_update(key_share=True)
)  # fmt: skip
_STORED = select(_ops.c.op_id, _ops.c.payload_hash, _ops.c.result, _ops.c.status).where(
    _ops.c.op_id.in_(bindparam("op_ids", expanding=True))
)

# PostgreSQL: the same reads as `hq.ledger_store` and `hq.ingest_prepare` make, as SQL.
_PG_REGISTER = """
SELECT last_device_seq, epoch, token_hash, revoked, store_id, company_id FROM registers
WHERE device_id = %(device_id)s FOR NO KEY UPDATE
"""
_PG_STORED = "SELECT op_id, payload_hash, result, status FROM ops WHERE op_id = ANY(%(op_ids)s)"
_PG_MEMBERS = """
SELECT m.member_id, m.member_no, m.status, m.merged_into, m.rank, m.birth_month, m.created_at,
       m.first_purchase_at, m.last_earn_at, m.last_use_at, m.balance, m.debt,
       (SELECT coalesce(sum(h.points), 0) FROM holds h WHERE h.member_id = m.member_id
        AND h.status = 'pending' AND h.expires_at > %(now)s) AS held
FROM members m WHERE m.member_id = ANY(%(member_ids)s) ORDER BY m.member_id FOR NO KEY UPDATE OF m
"""
_PG_LOTS = """
SELECT lot_id, member_id, issuer, kind, original, remaining, earned_at, expires_at, reversed,
       returned_yen
FROM lots WHERE member_id = ANY(%(member_ids)s) AND remaining > 0
"""
_PG_DEBTS = """
SELECT debt_id, member_id, owed, paid FROM debts WHERE member_id = ANY(%(member_ids)s)
ORDER BY member_id, position
"""
_PG_WAITING = """
SELECT op, payload_hash, parent_op_id FROM ops
WHERE status = 'parked' AND parent_op_id = ANY(%(sale_ids)s)
ORDER BY received_at, device_id, epoch, device_seq
"""
_PG_HOLDS = """
SELECT hold_id, member_id, points, status, expires_at FROM holds
WHERE hold_id = ANY(%(hold_ids)s) ORDER BY hold_id FOR UPDATE
"""


def members_known(ops: Sequence[Op]) -> bool:
    """Whether the members these ops lock are the ones they name: no card or merge op,
    whose members are found through rows."""
    for op in ops:
        p = op.payload
        if isinstance(p, (MergePayload, CardBlockPayload, CardReissuePayload)) or (
            isinstance(p, EnrollPayload) and p.card_uid
        ):
            return False
    return True


def read_first(batch: Batch, ops: Sequence[Op]) -> FirstReads:
    conn = batch.conn
    op_ids = sorted({op.op_id for op in ops})
    if conn.dialect.name != "postgresql":
        row = conn.execute(_REGISTER, {"device_id": batch.register.device_id}).one_or_none()
        stored = conn.execute(_STORED, {"op_ids": op_ids})
        return FirstReads(_register(row), {r.op_id: Stored(r.payload_hash, r.result, r.status) for r in stored})
    return _read_first_pg(conn, batch, ops, op_ids)


def _register(row: Any) -> RegisterRow | None:
    if row is None:
        return None
    return RegisterRow(int(row.last_device_seq), int(row.epoch), row.token_hash, bool(row.revoked),
                       row.store_id, row.company_id)  # fmt: skip


def _read_first_pg(conn: Connection, batch: Batch, ops: Sequence[Op], op_ids: list[str]) -> FirstReads:
    params: dict[str, Any] = {"device_id": batch.register.device_id, "op_ids": op_ids, "now": batch.now}
    statements = [("register", _PG_REGISTER), ("stored", _PG_STORED)]
    known: dict[str, list[Any]] = {}  # reads answered without a statement: by nothing
    if members_known(ops):
        # No member id holds a NUL, and PostgreSQL refuses one in a query.
        params["member_ids"] = sorted({op.member_id for op in ops if "\x00" not in op.member_id})
        statements += [("members", _PG_MEMBERS), ("lots", _PG_LOTS), ("debts", _PG_DEBTS)]
        if not any(isinstance(op.payload, ReturnPayload) for op in ops):
            sales = [op for op in ops if isinstance(op.payload, SalePayload)]
            params["sale_ids"] = sorted({op.op_id for op in sales})
            params["hold_ids"] = sorted({h for op in sales if (h := cast(SalePayload, op.payload).hold_id)})
            for name, sql, ids in (("waiting", _PG_WAITING, "sale_ids"), ("holds", _PG_HOLDS, "hold_ids")):
                if params[ids]:
                    statements.append((name, sql))
                else:
                    known[name] = []
    from psycopg.rows import namedtuple_row

    raw = conn.connection.driver_connection
    assert raw is not None
    cursors: dict[str, Any] = {}
    sql = ""
    try:
        with raw.pipeline():
            # The transaction's start (`hq.ingest.Ingestor._transaction`), sent with its reads.
            raw.execute("BEGIN")
            for name, sql in statements:
                cursors[name] = cur = raw.cursor(row_factory=namedtuple_row)
                cur.execute(sql, params)
        rows = {name: cur.fetchall() for name, cur in cursors.items()}
    except psycopg_error() as exc:
        raise database_error(conn, sql, exc) from exc
    finally:
        for cur in cursors.values():
            cur.close()
    rows.update(known)
    register = rows["register"]
    return FirstReads(
        _register(register[0] if register else None),
        {r.op_id: Stored(r.payload_hash, r.result, r.status) for r in rows["stored"]},
        members=_in_utc(rows.get("members")), lots=_in_utc(rows.get("lots")), debts=rows.get("debts"),
        waiting=rows.get("waiting"), holds=_in_utc(rows.get("holds")),
    )  # fmt: skip


def _in_utc(rows: list[Any] | None) -> list[Any] | None:
    """Rows with their times in UTC, as `hq.models.UTCDateTime` gives them, whatever the
    session's time zone."""
    if rows is None:
        return None
    return [r._make([v.astimezone(UTC) if isinstance(v, datetime) else v for v in r]) for r in rows]
