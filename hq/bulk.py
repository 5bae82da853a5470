"""Writing many rows with as few statements as the database allows.

On PostgreSQL rows go through COPY; elsewhere (SQLite) through executemany, which is
already fast there. A unique-key clash during COPY surfaces as SQLAlchemy's
IntegrityError, like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import JSON, ColumnElement, Connection, String, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError


def one_of(conn: Connection, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many."""
    if conn.dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, values, type_=ARRAY(String))))
    return cast(ColumnElement[bool], column.in_(values))


def insert_many(conn: Connection, batches: Sequence[tuple[Table, list[dict[str, Any]]]]) -> None:
    """Insert each table's rows, in the order given (a row may refer to an earlier table's).

    Every row of a table must have the same keys.
    """
    batches = [(table, rows) for table, rows in batches if rows]
    if not batches:
        return
    if conn.dialect.name != "postgresql":
        for table, rows in batches:
            conn.execute(insert(table), rows)
        return
    import psycopg
    from psycopg.types.json import Json

    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur:  # type: ignore[union-attr]
            for table, rows in batches:
                columns = list(rows[0])
                json = {c.name for c in table.columns if isinstance(c.type, JSON)}
                with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([Json(row[c]) if c in json and row[c] is not None else row[c]
                                        for c in columns])  # fmt: skip
    except psycopg.IntegrityError as exc:
        raise IntegrityError("COPY", None, exc) from exc
