"""Opening the register database: connection settings, migrations, transactions.

Every connection runs in WAL mode with `synchronous=FULL`: a commit is on disk (the WAL
is synced) before it returns, so an acknowledged sale survives a crash or a power cut.
Transactions are begun explicitly (`BEGIN IMMEDIATE` for writes) rather than by the
sqlite3 module, so a read-then-write never fails half way on a lock.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.store_views import StoreCorrupt, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000


def dumps_compact(value: Any) -> str:
    """JSON as stored in the database: UTF-8 text, no padding (Japanese receipt text is
    three bytes a character instead of six as \\u escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SchemaError(Exception):
    """The database belongs to another software version or failed to upgrade; the
    message is for the cashier and the manager."""


def connect(path: Path, *, check_same_thread: bool = False) -> sqlite3.Connection:
    """A sqlite3 connection with the register's durability settings."""
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread,
                          timeout=BUSY_TIMEOUT_MS / 1000)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return con


def writer_engine(con: sqlite3.Connection) -> Engine:
    """An engine over the store's single writer connection (shared with the sale path)."""
    engine = create_engine("sqlite://", creator=lambda: con, poolclass=StaticPool,
                           json_serializer=dumps_compact)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # The writer takes the lock up front so a read-then-write never fails half way.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reader_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False},
                           json_serializer=dumps_compact)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def all_revisions() -> list[str]:
    """Every schema revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision(?:: [^=]+)? = (?:"([^"]+)"|None)', re.M)


def listed_head() -> str | None:
    """The newest revision as the migration files name it, read without loading Alembic
    (a quarter of a second of every start-up); None when the files do not form one
    simple chain, and Alembic must decide."""
    down_of: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN.search(text)
        if rev is None or down is None:
            return None
        down_of[rev.group(1)] = down.group(1)
    heads = set(down_of) - {d for d in down_of.values() if d is not None}
    return heads.pop() if len(heads) == 1 else None


def current_revision(con: sqlite3.Connection) -> str | None:
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None  # a new, empty database
    return row[0] if row else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema in one transaction; a failed upgrade leaves the old schema."""
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        version = current_revision(dbapi)  # type: ignore[arg-type]
        if revision == "head" and version is not None and version == listed_head():
            return  # the common start: nothing to do, and no need for Alembic
        from alembic import command
        from alembic.util.exc import CommandError

        cfg = _alembic_config()
        known = set(all_revisions())
        if version is not None and version not in known:
            raise SchemaError(
                "このデータベースは新しいバージョンのソフトウェアで作成されています"
                f"（スキーマ {version}）。ソフトウェアを更新してください"
            )
        if version == head_revision() and revision == "head":
            return
        # SQLite ignores this pragma inside a transaction, so it is set before BEGIN:
        # rebuilding a referenced table (ops) must not trip its foreign keys half way.
        dbapi.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                try:
                    command.upgrade(cfg, revision)
                except (CommandError, DBAPIError) as exc:
                    # Not corruption: the file is sound and keeps its old schema (the
                    # upgrade was one transaction); moving it aside would be wrong.
                    raise SchemaError(f"データベースを更新できません: {exc}") from exc
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise SchemaError(f"データベースの更新で参照が壊れました（{len(broken)} 件）")
        finally:
            dbapi.execute("PRAGMA foreign_keys=ON")


class ReaderPool:
    """One read connection per thread: look-ups are a few microseconds of SQL and must
    not pay for a pool checkout or an ORM session."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []

    def get(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False,
                                  timeout=BUSY_TIMEOUT_MS / 1000)
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._local.con = con
            with self._lock:
                self._all.append(con)
        return con

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the queries inside see one consistent state."""
        con = self.get()
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for con in self._all:
                con.close()
            self._all.clear()


@contextmanager
def write_txn(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT on the writer connection; ROLLBACK on any error."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (busy, I/O error) may leave the transaction open.
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


REFUSING_MESSAGE = QT_TRANSLATE_NOOP("core", "レジのデータベースが破損していたため、販売を停止しています。"
                                     "店長に連絡してください（退避したファイル: {name}）")
REBUILDING_MESSAGE = QT_TRANSLATE_NOOP("core", "データベースを復旧中です。HQ との同期が終わるまで販売できません"
                                       "（退避したファイル: {name}）")


def refusal_of(state: str, kept_path: str) -> StoreCorrupt | None:
    if state == "done":
        return None
    template = REFUSING_MESSAGE if state == "refusing" else REBUILDING_MESSAGE
    return StoreCorrupt(Message(template, name=Path(kept_path).name), kept_path)


def op_origin(con: sqlite3.Connection) -> tuple[str, str, int]:
    """(device id, store id, device_seq) for the op about to be written in this write
    transaction; refused while the database is being recovered or before provisioning.
    The seq is taken and used in the same commit (the caller moves `next_device_seq`)."""
    health = con.execute("SELECT state, kept_path FROM recovery WHERE id = 1").fetchone()
    refused = refusal_of(health[0], health[1]) if health else None
    if refused is not None:
        raise refused
    state = con.execute("SELECT device_id, store_id, next_device_seq FROM sync_state "
                        "WHERE id = 1").fetchone()
    if state is None:
        raise StoreError("レジが登録されていません")
    return str(state[0]), str(state[1]), int(state[2])
