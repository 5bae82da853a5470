"""Writing many rows with as few statements and round trips as the database allows.

`insert_many` sends rows through COPY on PostgreSQL and executemany elsewhere (SQLite,
where it is already fast). `Writes` is a transaction's whole write phase: on SQLite each
statement runs when it is added; on PostgreSQL they are queued and `flush` sends them in
order in one pipeline, optionally with the COMMIT, so a push pays one round trip for all
its writes, and a lock its last statement takes is held only as long as the server needs,
never while this process waits for its turn to run. There each table's rows travel as
one JSON document (`json_populate_recordset`), one parameter per table: encoding it is
one call into the C JSON encoder, where binding every value of every row costs Python
work per value. And the tables' writes go joined into as few statements as their order
allows (`_statements`), since each statement has a cost of its own in the driver. The
statements' text depends only on the tables and columns written, so the server keeps
them prepared. Database refusals surface as SQLAlchemy's exceptions (IntegrityError,
DataError), like any other statement's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    String,
    Table,
    any_,
    bindparam,
    delete,
    insert,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError


def one_of(conn: Connection, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many."""
    if conn.dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(bindparam(None, values, type_=ARRAY(String))))
    return cast(ColumnElement[bool], column.in_(values))


def _json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, JSON)}


def _copy(cur: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    from psycopg.types.json import Json

    columns = list(rows[0])
    json_columns = _json_columns(table)
    with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in json_columns and row[c] is not None else row[c]
                            for c in columns])  # fmt: skip


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

    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur:  # type: ignore[union-attr]
            for table, rows in batches:
                _copy(cur, table, rows)
    except psycopg.IntegrityError as exc:
        raise IntegrityError("COPY", None, exc) from exc


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: HQ stores timezone-aware times only")
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as JSON")


# Rows as PostgreSQL reads them back with json_populate_recordset: times in ISO 8601 with
# their offset, JSON columns nested as they are.
encode_rows = json.JSONEncoder(default=_json_value, ensure_ascii=False, separators=(",", ":")).encode


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    return (f"INSERT INTO {table} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table}, %s::json)")  # fmt: skip


@lru_cache(maxsize=256)
def _update_sql(table: str, key: str, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{c} = x.{c}" for c in columns)
    # The keys again as an array: the planner cannot tell how many rows a JSON document
    # holds (it guesses a hundred), and would join them to a scan of the whole table; by
    # the array it finds the rows through the key's index.
    return (f"UPDATE {table} SET {assignments} FROM json_populate_recordset(NULL::{table}, %s::json) "
            f"AS x WHERE {table}.{key} = ANY(%s) AND {table}.{key} = x.{key}")  # fmt: skip


@lru_cache(maxsize=256)
def _sqlite_update(table: Table, key: str, columns: tuple[str, ...]) -> Any:
    return (update(table).where(table.c[key] == bindparam("k_" + key))
            .values({c: bindparam("v_" + c) for c in columns}))  # fmt: skip


@dataclass
class _Part:
    """One queued write: a table's rows (`table` set) or a statement of its own."""

    sql: str
    params: Any  # a tuple for a table's part, a dict for a statement of its own
    table: str | None = None
    fetch: bool = False


def _statements(parts: list[_Part]) -> list[_Part]:
    """The parts, with consecutive table parts joined into one statement as data-modifying
    WITH queries. All of one statement's sub-statements see the same snapshot, so a
    table is written once per statement: a part for a table already in it (an update of
    rows inserted just before) starts the next statement. Foreign keys are checked at
    the end of each statement, so a row may still refer to one inserted beside it."""
    out: list[_Part] = []
    group: list[_Part] = []

    def close() -> None:
        if len(group) == 1:
            out.append(group[0])
        elif group:
            withs = ", ".join(f"w{i} AS ({p.sql})" for i, p in enumerate(group))
            out.append(_Part(f"WITH {withs} SELECT 1", tuple(v for p in group for v in p.params)))
        group.clear()

    for part in parts:
        if part.table is None:
            close()
            out.append(part)
            continue
        if any(p.table == part.table for p in group):
            close()
        group.append(part)
    close()
    return out


class Writes:
    """One transaction's writes, in the order added (a row may refer to an earlier one's).

    Rows are dicts; all rows of one call have the same keys. On PostgreSQL nothing is sent
    before `flush`, and the tables' writes travel joined in as few statements as
    `_statements` allows; `execute` takes PostgreSQL SQL (`%(name)s` parameters), sent as a
    statement of its own, and is for PostgreSQL only.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self._queue: list[_Part] = []

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.pg:
            self.conn.execute(insert(table), rows)
            return
        self._queue.append(_Part(_insert_sql(table.name, tuple(rows[0])), (encode_rows(rows),), table.name))

    def update(self, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
        """Set each row's other columns on the row of `table` whose `key` it names."""
        if not rows:
            return
        columns = tuple(c for c in rows[0] if c != key)
        if not self.pg:
            self.conn.execute(_sqlite_update(table, key, columns),
                              [{"k_" + key: r[key], **{"v_" + c: r[c] for c in columns}} for r in rows])  # fmt: skip
            return
        # One row per key (the last): an UPDATE … FROM sets a row once, whichever match it took.
        if len({r[key] for r in rows}) != len(rows):
            rows = list({r[key]: r for r in rows}.values())
        self._queue.append(_Part(_update_sql(table.name, key, columns),
                                 (encode_rows(rows), [r[key] for r in rows]), table.name))

    def delete_in(self, table: Table, column: str, values: list[str]) -> None:
        if not values:
            return
        if not self.pg:
            self.conn.execute(delete(table).where(one_of(self.conn, table.c[column], values)))
            return
        self._queue.append(_Part(f"DELETE FROM {table.name} WHERE {column} = ANY(%s)", (list(values),),
                                 table.name))  # fmt: skip

    def execute(self, sql: str, params: dict[str, Any], *, fetch: bool = False) -> int:
        """Queue one PostgreSQL statement; with `fetch`, `flush` returns its first row under
        the number this returns."""
        assert self.pg, "Writes.execute is PostgreSQL SQL"
        self._queue.append(_Part(sql, params, fetch=fetch))
        return len(self._queue) - 1

    def flush(self, *, commit: bool = False) -> dict[int, Any]:
        """Send what is queued (PostgreSQL) in one pipeline; with `commit`, the COMMIT rides
        in it. Returns the first row of each statement queued with `fetch`."""
        queue, self._queue = self._queue, []
        if not self.pg:
            assert not commit, "on SQLite the transaction's owner commits"
            return {}
        if not queue and not commit:
            return {}
        fetched = {id(p): i for i, p in enumerate(queue) if p.fetch}
        raw = self.conn.connection.driver_connection
        assert raw is not None
        cursors: dict[int, Any] = {}
        statement = ""
        try:
            with raw.pipeline(), raw.cursor() as cur:
                for part in _statements(queue):
                    statement = part.sql
                    if part.fetch:
                        cursors[fetched[id(part)]] = c = raw.cursor()
                        c.execute(part.sql, part.params)
                    else:
                        cur.execute(part.sql, part.params)
                if commit:
                    # As a statement: the driver's commit() would wait for its answer
                    # before the pipeline's end waits again.
                    statement = "COMMIT"
                    cur.execute("COMMIT")
            return {i: c.fetchone() for i, c in cursors.items()}
        except psycopg_error() as exc:
            raise database_error(self.conn, statement, exc) from exc
        finally:
            for c in cursors.values():
                c.close()


def psycopg_error() -> type[Exception]:
    """psycopg's base error, imported only when PostgreSQL is in use."""
    import psycopg

    return psycopg.Error


def database_error(conn: Connection, statement: str, exc: Exception) -> DBAPIError:
    """What SQLAlchemy would raise for a psycopg error met on `conn`'s own connection
    (IntegrityError, DataError, ...); a lost connection is invalidated, as SQLAlchemy
    does, so the pool never hands it out again."""
    raw = conn.connection.driver_connection
    lost = raw is None or bool(getattr(raw, "broken", False)) or bool(getattr(raw, "closed", False))
    if lost:
        conn.invalidate(exc)
    error = DBAPIError.instance(statement, None, exc, psycopg_error(), connection_invalidated=lost)
    return cast(DBAPIError, error)
