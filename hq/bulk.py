"""Writing a push batch's rows with as few statements as the database allows.

On PostgreSQL the ops, ledger and feed rows go through COPY and balances through one
array UPDATE; elsewhere (SQLite) through executemany, which is already fast there.
A unique-key clash during COPY surfaces as SQLAlchemy's IntegrityError, like any other.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, String, Table, any_, bindparam, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from hq.models import FeedEntry, LedgerEntry, Member, OpRecord

_ops = cast(Table, OpRecord.__table__)
_ledger = cast(Table, LedgerEntry.__table__)
_members = cast(Table, Member.__table__)
_feed = cast(Table, FeedEntry.__table__)

_COPY_COLUMNS: dict[str, tuple[str, ...]] = {
    "ops": ("op_id", "device_id", "device_seq", "epoch", "store_id", "kind", "payload_hash",
            "status", "result", "op", "received_at"),
    "ledger_entries": ("member_id", "op_id", "kind", "points", "note", "created_at"),
    "feed": ("server_seq", "kind", "key", "created_at"),
}  # fmt: skip
_JSON_COLUMNS = {"result", "op"}


def one_of(conn: Connection, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many."""
    if conn.dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, values, type_=ARRAY(String))))
    return cast(ColumnElement[bool], column.in_(values))


def update_balances(conn: Connection, balances: list[tuple[str, int]]) -> None:
    """Set each (member_id, balance)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "UPDATE members SET balance = u.balance FROM unnest(%(ids)s::varchar[], "
            "%(balances)s::bigint[]) AS u(member_id, balance) WHERE members.member_id = u.member_id",
            {"ids": [m for m, _ in balances], "balances": [b for _, b in balances]},
        )
        return
    conn.execute(
        update(_members)
        .where(_members.c.member_id == bindparam("m_id"))
        .values(balance=bindparam("m_balance")),
        [{"m_id": m, "m_balance": b} for m, b in balances],
    )


def insert_rows(
    conn: Connection,
    op_rows: list[dict[str, Any]],
    ledger_rows: list[dict[str, Any]],
    feed_rows: list[dict[str, Any]],
) -> None:
    """Insert ops, then their ledger entries (which refer to them), then feed rows."""
    batches = (("ops", op_rows), ("ledger_entries", ledger_rows), ("feed", feed_rows))
    if conn.dialect.name != "postgresql":
        for target, rows in zip((_ops, _ledger, _feed), (op_rows, ledger_rows, feed_rows), strict=True):
            if rows:
                conn.execute(insert(target), rows)
        return
    import psycopg
    from psycopg.types.json import Json

    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur:  # type: ignore[union-attr]
            for table, rows in batches:
                if not rows:
                    continue
                columns = _COPY_COLUMNS[table]
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(
                            [Json(row[c]) if c in _JSON_COLUMNS else row[c] for c in columns]
                        )
    except psycopg.IntegrityError as exc:
        raise IntegrityError("COPY", None, exc) from exc
