"""Online backups of the register database, on a schedule, rotated.

A backup is taken with SQLite's backup API from a read connection: it copies one
consistent snapshot (WAL included) while sales go on. The copy gets the full
`PRAGMA integrity_check` (a failure there means the live file is damaged too, and is
reported), is synced and only then renamed into place, so a crash mid-backup never
leaves a half file that looks like a backup. Rotation keeps the newest `keep` files.

A store that is refusing to sell (being recovered) is not backed up: its fresh,
near-empty database must not push the last good backups out of the rotation.

A backup is for reading (salvage, support); a register put back onto an old backup
hands out device_seq numbers HQ has already seen, and HQ requires it to re-register.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sync.store_db import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

PREFIX = "register-"
SUFFIX = ".db"
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 24 * 3600.0


class BackupError(Exception):
    """A backup that was not made; the message is for the manager."""


def _fsync(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY if directory else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_backups(dest_dir: Path) -> list[Path]:
    """Backups in `dest_dir`, oldest first (names sort by their UTC time)."""
    if not dest_dir.exists():
        return []
    return sorted(p for p in dest_dir.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def _recovering(src: sqlite3.Connection) -> bool:
    try:
        row = src.execute("SELECT state FROM recovery WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return False  # a schema without the table has never been recovered
    return bool(row) and row[0] != "done"


def backup_now(db_path: Path, dest_dir: Path, *, keep: int = 7,
               now: datetime | None = None) -> Path:
    """Copy the database at `db_path` into `dest_dir` and keep the newest `keep` copies."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    now = now or datetime.now(UTC)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}{SUFFIX}"
    final = dest_dir / name
    part = dest_dir / (name + ".part")
    # Read-only: a backup never writes to the live database (nor creates a missing one).
    src = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True,
                          isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        if _recovering(src):
            raise BackupError("データベースの復旧中はバックアップしません")
        dst = sqlite3.connect(part, isolation_level=None)
        try:
            # One step (-1 pages): the whole copy reads a single snapshot, so writers
            # in WAL mode are never blocked and the backup never has to restart.
            src.backup(dst, pages=-1)
            # A backup is a plain file: no WAL beside it to lose when it is copied.
            dst.execute("PRAGMA journal_mode=DELETE")
            # The full check (every index against its table) runs here, on the copy,
            # off the counter's critical path; start-up only has time for quick_check.
            try:
                check = [row[0] for row in dst.execute("PRAGMA integrity_check")]
            except sqlite3.DatabaseError as exc:
                check = [str(exc)]
            if check != ["ok"]:
                raise BackupError("バックアップの検査で異常が見つかりました。レジのデータベースが"
                                  f"破損している可能性があります（{'; '.join(check[:3])}）")
        finally:
            dst.close()
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    _fsync(part)
    os.replace(part, final)
    _fsync(dest_dir, directory=True)
    rotate(dest_dir, keep)
    return final


def rotate(dest_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    backups = list_backups(dest_dir)
    old = backups[:-keep] if len(backups) > keep else []
    for path in old:
        path.unlink(missing_ok=True)
    for stale in dest_dir.glob(f"{PREFIX}*{SUFFIX}.part"):
        stale.unlink(missing_ok=True)  # left by a crash during a backup
    return old


class BackupScheduler:
    """Takes a backup when started and then every `interval_s` seconds, on its own thread.

    Failures are logged and reported to `on_result`; the next attempt comes at the next
    interval. `stop` returns within a bounded time (it waits for a running backup).
    """

    def __init__(self, db_path: Path, dest_dir: Path, *, interval_s: float = 3600.0,
                 keep: int = 24,
                 on_result: Callable[[Path | None, Exception | None], None] | None = None
                 ) -> None:
        if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
            raise ValueError(
                f"backup interval must be between {MIN_INTERVAL_S:.0f} s and "
                f"{MAX_INTERVAL_S:.0f} s, got {interval_s}")
        self.db_path = db_path
        self.dest_dir = dest_dir
        self.interval_s = interval_s
        self.keep = keep
        self.on_result = on_result
        self.last_backup: Path | None = None
        self.last_error: Exception | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tamaru-backup", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> Path | None:
        try:
            path = backup_now(self.db_path, self.dest_dir, keep=self.keep)
        except Exception as exc:  # a failed backup must not stop the next one
            log.warning("backup failed: %s", exc)
            self.last_error = exc
            if self.on_result is not None:
                self.on_result(None, exc)
            return None
        self.last_backup, self.last_error = path, None
        if self.on_result is not None:
            self.on_result(path, None)
        return path

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_s)
