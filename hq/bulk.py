"""Writing many rows with as few statements and round trips as the database allows.

`insert_many` sends rows through COPY on PostgreSQL and executemany elsewhere (SQLite,
where it is already fast). `Writes` is a transaction's whole write phase: on SQLite each
statement runs when it is added; on PostgreSQL they are queued and `flush` sends them in
order — large inserts by COPY, everything else in one pipeline, optionally with the
COMMIT — so a small push pays one round trip for all its writes, and a lock its last
statement takes is held only as long as the server needs, never while this process
waits for its turn to run. Database refusals surface as SQLAlchemy's exceptions
(IntegrityError, DataError), like any other statement's.
"""

from __future__ import annotations

from collections.abc import Sequence
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

# Below this many rows an insert rides in the pipeline: COPY costs two round trips of its own.
COPY_MIN_ROWS = 64


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
    json = _json_columns(table)
    with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in json and row[c] is not None else row[c]
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


class Writes:
    """One transaction's writes, in the order added (a row may refer to an earlier one's).

    Rows are dicts; all rows of one call have the same keys. On PostgreSQL nothing is sent
    before `flush`; `execute` takes PostgreSQL SQL (`%(name)s` parameters) and is for
    PostgreSQL only.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        # ("copy", table, rows) | ("many", sql, params) | ("one", sql, params)
        self._queue: list[tuple[str, Any, Any]] = []
        self._fetch: dict[int, Any] = {}

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.pg:
            self.conn.execute(insert(table), rows)
        elif len(rows) >= COPY_MIN_ROWS:
            self._queue.append(("copy", table, rows))
        else:
            columns = list(rows[0])
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                   f"VALUES ({', '.join(f'%({c})s' for c in columns)})")  # fmt: skip
            self._queue.append(("many", sql, self._params(table, rows)))

    def update(self, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
        """Set each row's other columns on the row of `table` whose `key` it names."""
        if not rows:
            return
        columns = [c for c in rows[0] if c != key]
        if not self.pg:
            self.conn.execute(
                update(table).where(table.c[key] == bindparam("k_" + key))
                .values({c: bindparam("v_" + c) for c in columns}),
                [{"k_" + key: r[key], **{"v_" + c: r[c] for c in columns}} for r in rows],
            )  # fmt: skip
            return
        sql = (f"UPDATE {table.name} SET {', '.join(f'{c} = %({c})s' for c in columns)} "
               f"WHERE {key} = %({key})s")  # fmt: skip
        self._queue.append(("many", sql, self._params(table, rows)))

    def delete_in(self, table: Table, column: str, values: list[str]) -> None:
        if not values:
            return
        if not self.pg:
            self.conn.execute(delete(table).where(one_of(self.conn, table.c[column], values)))
            return
        self._queue.append(("one", f"DELETE FROM {table.name} WHERE {column} = ANY(%(v)s)",
                            {"v": list(values)}))

    def execute(self, sql: str, params: dict[str, Any], *, fetch: bool = False) -> int:
        """Queue one PostgreSQL statement; with `fetch`, `flush` returns its first row under
        the number this returns."""
        assert self.pg, "Writes.execute is PostgreSQL SQL"
        self._queue.append(("one", sql, params))
        index = len(self._queue) - 1
        if fetch:
            self._fetch[index] = None
        return index

    @staticmethod
    def _params(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        json = _json_columns(table) & set(rows[0])
        if not json:
            return rows
        from psycopg.types.json import Json

        return [{k: Json(v) if k in json and v is not None else v for k, v in r.items()} for r in rows]

    def flush(self, *, commit: bool = False) -> dict[int, Any]:
        """Send what is queued (PostgreSQL); with `commit`, the COMMIT rides in the last
        pipeline. Returns the first row of each statement queued with `fetch`."""
        queue, self._queue = self._queue, []
        fetch, self._fetch = self._fetch, {}
        if not self.pg:
            assert not commit, "on SQLite the transaction's owner commits"
            return {}
        import psycopg

        raw = self.conn.connection.driver_connection
        assert raw is not None
        cursors: dict[int, Any] = {}
        current: list[tuple[int, str, Any, Any]] = []
        statement = "COPY"

        def pipeline(last: bool) -> None:
            nonlocal statement
            with raw.pipeline() as pipe, raw.cursor() as cur:
                for index, kind, sql, params in current:
                    statement = sql
                    if index in fetch:
                        cursors[index] = raw.cursor()
                        cursors[index].execute(sql, params)
                    elif kind == "many":
                        cur.executemany(sql, params)
                    else:
                        cur.execute(sql, params)
                if last and commit:
                    raw.commit()
                pipe.sync()
            current.clear()

        try:
            for index, (kind, what, params) in enumerate(queue):
                if kind == "copy":
                    if current:
                        pipeline(False)
                    statement = f"COPY {what.name}"
                    with raw.cursor() as cur:
                        _copy(cur, what, params)
                else:
                    current.append((index, kind, what, params))
            if current or commit:
                pipeline(True)
            out = {i: c.fetchone() for i, c in cursors.items()}
        except psycopg.Error as exc:
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
        finally:
            for c in cursors.values():
                c.close()
        return out
