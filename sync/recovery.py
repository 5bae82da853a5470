"""Start-up check and recovery of the register database.

`open_checked` runs SQLite's integrity check before the store is used. A corrupt or
unreadable file is moved aside with its WAL (never deleted), a fresh database takes its
place, and that store refuses to sell (`RegisterStore.refusal`) until `recover` has
re-queued the ops salvaged from the kept file and a full pull has rebuilt the cache
(`RegisterStore.apply_pull` ends the refusal when HQ says it has nothing more).

Salvaged ops keep their op_id, device_seq and body: HQ recognises one it already applied
and answers `duplicate`, so resending is safe, while a sale that never reached HQ is not
lost. New sales continue after the highest device_seq found in the kept file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import DatabaseError as SADatabaseError

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.audit import STORE_CORRUPT, STORE_RECOVERED, append_audit
from sync.models import OutboxOp, ReceiptRecord, RecoveryState, SyncState
from sync.protocol import Op, SalePayload
from sync.salvage import Salvage, SalvagedReceipt, salvage, salvage_queued_ops
from sync.store import RegisterStore
from sync.store_db import BUSY_TIMEOUT_MS
from sync.store_views import StoreCorrupt, StoreError

__all__ = [
    "RecoveryReport", "Salvage", "SalvagedReceipt", "check_database", "closed_cleanly",
    "move_aside",
    "open_checked", "recover", "salvage", "salvage_queued_ops",
]

SIDE_FILES = ("-wal", "-shm", "-journal")
LOCKED_MESSAGE = QT_TRANSLATE_NOOP(
    "core", "レジのデータベースを別のプログラムが使用中です。レジを再起動してください")
NOT_MOVED_ASIDE = QT_TRANSLATE_NOOP(
    "core", "レジのデータベースが破損しており、退避もできませんでした。店長に連絡してください（{error}）")


def check_database(path: Path, *, quick: bool = False,
                   busy_timeout_s: float = BUSY_TIMEOUT_MS / 1000) -> list[str]:
    """What is wrong with the database file; an empty list when it is sound (or absent).

    `quick` runs `PRAGMA quick_check`, which reads every page and record but skips
    matching each index against its table: linear instead of N·log N.
    """
    if not path.exists():
        return []
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        # A register database is never empty once created: the schema is written first.
        return ["the database file is empty"]
    try:
        # Read-only: a damaged file must reach the move-aside exactly as it was found,
        # and a read-write open would merge the WAL into it when it closes.
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                              isolation_level=None, timeout=busy_timeout_s)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    try:
        rows = con.execute(f"PRAGMA {'quick_check' if quick else 'integrity_check'}").fetchall()
        problems = [] if [r[0] for r in rows] == ["ok"] else [str(r[0]) for r in rows]
        if not problems:
            # Sound pages can still hold a schema the store cannot read.
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return problems
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(LOCKED_MESSAGE) from exc
        return [str(exc)]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_aside(path: Path, now: datetime) -> Path:
    """Rename the database and its side files to `<name>.corrupt-<UTC time>`; returns the
    new path of the database. The WAL keeps its suffix so the kept file opens with it."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    if path.exists():
        os.replace(path, kept)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    _fsync_dir(path.parent)
    return kept


def closed_cleanly(path: Path) -> bool:
    """Whether the last process closed the database: a clean close merges the WAL and
    removes it, so a WAL with content means a crash, a kill or a power cut."""
    wal = path.with_name(path.name + "-wal")
    return not (wal.exists() and wal.stat().st_size > 0)


def open_checked(path: Path, *, quick: bool | None = None,
                 now: datetime | None = None) -> RegisterStore:
    """Open the register database after checking it (the start-up path).

    A sound file opens as usual. A corrupt or unreadable one is moved aside and a fresh
    store is returned in the refusing state: `store.refusal()` is a `StoreCorrupt` with
    the cashier's message and the kept file, and `record_sale` raises it.

    By default the full `integrity_check` runs after an unclean shutdown and the
    `quick_check` after a clean one: at a million members (a 505 MB file) they took 4–7 s
    and 0.7–1 s here (bench/bench_store.py). Both read every page and catch torn, truncated or
    overwritten pages; only the full check also matches every index with its table, and
    the scheduled backups run that one on their copy.
    """
    now = now or datetime.now(UTC)
    if quick is None:
        quick = closed_cleanly(path)
    problems = check_database(path, quick=quick)
    if not problems:
        try:
            return RegisterStore(path)
        except (SADatabaseError, sqlite3.DatabaseError) as exc:
            problems = [f"cannot read the schema: {exc}"]
    try:
        kept = move_aside(path, now)
    except OSError as exc:
        raise StoreCorrupt(Message(NOT_MOVED_ASIDE, error=str(exc)), None) from exc
    store = RegisterStore(path)
    with store.writing() as s:
        s.merge(RecoveryState(id=1, state="refusing", reason="; ".join(problems)[:2000],
                              kept_path=str(kept), detected_at=now, salvaged_ops=0,
                              finished_at=None))
        append_audit(s, STORE_CORRUPT, at=now,
                     detail={"kept_path": str(kept), "problems": problems[:20]})
    return store


@dataclass(frozen=True)
class RecoveryReport:
    kept_path: str | None
    requeued: int
    already_present: int
    foreign: int  # ops of another register found in the file, not re-queued
    next_device_seq: int
    problems: tuple[str, ...] = field(default=())


def recover(store: RegisterStore, salvaged: Salvage | Sequence[Op] | None = None, *,
            now: datetime | None = None) -> RecoveryReport:
    """Re-queue the salvaged ops with their original op_id, device_seq and body, move
    device_seq past them, and wait for a full pull (the store keeps refusing until then).

    With no `salvaged`, the kept file recorded by `open_checked` is salvaged. Calling
    this again (after a crash half way) re-queues nothing twice.
    """
    now = now or datetime.now(UTC)
    refusal = store.refusal()
    with store.reading() as s:
        row = s.get(RecoveryState, 1)
        kept_path = row.kept_path if row else None
    if refusal is None or kept_path is None:
        raise StoreError("復旧が必要な状態ではありません")
    if salvaged is None:
        salvaged = salvage(Path(kept_path))
    if isinstance(salvaged, Salvage):
        found = salvaged
    else:
        ops = tuple(salvaged)
        found = Salvage(Path(kept_path), ops, {}, None,
                        max((op.device_seq for op in ops), default=0), ())
    identity = store.identity() or found.identity
    if identity is None:
        raise StoreError("レジ番号が分かりません。設定を確認してからもう一度復旧してください")
    store.initialise(*identity)
    mine = [op for op in found.ops if op.device_id == identity[0]]
    requeued = already = 0
    problems = list(found.problems)
    with store.writing() as s:
        for op in sorted(mine, key=lambda o: o.device_seq):
            if s.get(OutboxOp, op.op_id) is not None:
                already += 1
                continue
            clash = s.query(OutboxOp.op_id).filter(OutboxOp.device_seq == op.device_seq).first()
            if clash is not None:
                problems.append(f"device_seq {op.device_seq} of {op.op_id} is taken")
                continue
            s.add(OutboxOp(op_id=op.op_id, device_seq=op.device_seq, kind=op.kind,
                           member_id=op.member_id, body=op.model_dump(mode="json"),
                           points_delta=_points_delta(op),
                           state="queued", attempts=0, created_at=op.local_time,
                           last_error=f"recovered from {Path(kept_path).name}"))
            s.flush()
            receipt = found.receipts.get(op.op_id)
            if receipt is not None and s.query(ReceiptRecord.op_id).filter(
                    ReceiptRecord.receipt_no == receipt.receipt_no).first() is None:
                s.add(ReceiptRecord(op_id=op.op_id, receipt_no=receipt.receipt_no,
                                    model=receipt.model, print_state=receipt.print_state,
                                    print_attempts=0, created_at=op.local_time))
            requeued += 1
        state = s.get(SyncState, 1)
        assert state is not None  # initialise() above
        highest = max([found.highest_seq] + [op.device_seq for op in mine])
        state.next_device_seq = max(state.next_device_seq, highest + 1)
        next_seq = state.next_device_seq
        row = s.get(RecoveryState, 1)
        assert row is not None
        if row.state == "refusing":
            row.state = "rebuilding"
        row.salvaged_ops += requeued
        append_audit(s, STORE_RECOVERED, at=now, detail={
            "kept_path": kept_path, "requeued": requeued, "already_present": already,
            "foreign": len(found.ops) - len(mine), "next_device_seq": next_seq,
            "problems": problems[:20]})
    return RecoveryReport(kept_path, requeued, already, len(found.ops) - len(mine), next_seq,
                          tuple(problems))


def _points_delta(op: Op) -> int:
    """The local effect a salvaged op counts until HQ answers: a sale's quoted points; other
    kinds are re-estimated by HQ's answer, so they count nothing meanwhile."""
    if isinstance(op.payload, SalePayload):
        return op.payload.points_earned - op.payload.points_redeemed
    return 0
