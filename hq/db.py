"""Opening the HQ database and keeping its schema current.

PostgreSQL (through psycopg 3) is the production database; SQLite is the embedded
default for a single shop. Every write transaction on SQLite starts with
`BEGIN IMMEDIATE`, so two writers queue on the busy timeout instead of one failing when
it upgrades a stale read snapshot.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
PING_AFTER_IDLE_S = 5.0
_IDLE_SINCE = "tamaru_idle_since"

# Execution option for an engine whose transactions only read (the pull feed): on SQLite
# they begin DEFERRED so a pull never queues behind a writer in WAL mode.
READ_ONLY = "tamaru_read_only"


class SchemaError(RuntimeError):
    """The database has no HQ schema, or an older one than this code needs."""


def normalize_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the one driver HQ ships with."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url` with HQ's connection settings."""
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        # One connection per server thread (FastAPI's pool has 40): a push must not queue
        # for a connection while the database is idle.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 25)
        if "pool_pre_ping" in kwargs:
            return create_engine(url, **kwargs)
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine)
        return engine
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql+psycopg://")


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle for a while.

    A ping is a round trip, and a busy HQ takes a connection for every request; one that
    was in use moments ago is alive, or its failure marks the pool stale (a push that
    meets a lost connection is sent again, `hq.ingest`). After a quiet spell — when the
    database may have restarted unnoticed — the connection is pinged, and a dead one is
    replaced before the request sees it.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"pooled connection lost: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so "begin" below decides
        # how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        # HQ holds the ledger: sync the WAL on every commit.
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same engine (and pool), marked so its transactions only read."""
    return engine.execution_options(**{READ_ONLY: True})


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for HQ's migrations, independent of the working directory.

    For a new revision during development:
    `alembic.command.revision(alembic_config(url), "message", autogenerate=True)`.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats % as interpolation; a password may contain one.
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "hq/migrations has no revision"
    return head


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (`alembic upgrade head`)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with read_only(engine).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_schema(engine: Engine) -> None:
    """Raise SchemaError unless the database is at the revision this code expects."""
    current = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaError(f"database {url} has no HQ schema: run `tamaru-hq migrate` first")
    head = head_revision()
    if current != head:
        raise SchemaError(
            f"database {url} is at schema revision {current}, this HQ needs {head}: "
            "run `tamaru-hq migrate`"
        )
