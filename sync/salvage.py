"""Reading what can still be read from a damaged register database.

Two passes, both on a private copy (the kept file is never written to):

1. Through SQLite: the ops table is read in rowid ranges; a range that fails is split in
   halves down to single rows, so one bad page costs only the rows on it. The ops'
   states, the register's identity and its device_seq come from this pass.
2. Through the raw bytes: every op body (`{"op_id":…}` JSON) is picked out of the main
   file's pages and out of the WAL's committed frames, which finds ops whose b-tree
   pages cannot be reached at all (a destroyed header or interior page). WAL frames
   after the last commit are skipped: they belong to a transaction that never committed
   — a sale the cashier never saw done.

An op whose state cannot be read is treated as unanswered: HQ answers a resent op it
already has with `duplicate`, so resending costs nothing, while dropping it could lose
a sale.
"""

from __future__ import annotations

import json
import mmap
import re
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sync.models import FINAL_STATES
from sync.protocol import Op

CHUNK = 512
# Stop probing for rows (when the table's last rowid is unreadable) after this many
# empty ranges in a row.
PROBE_IDLE_CHUNKS = 64
MAX_BODY_BYTES = 16_384
WAL_HEADER, WAL_FRAME_HEADER = 32, 24
_OP_START = re.compile(rb'\{"op_id":\s*"')


@dataclass(frozen=True)
class SalvagedReceipt:
    receipt_no: str
    model: dict[str, Any]
    print_state: str


@dataclass(frozen=True)
class Salvage:
    source: Path
    ops: tuple[Op, ...]  # unanswered or of unknown state, in device_seq order
    receipts: Mapping[str, SalvagedReceipt]
    identity: tuple[str, str] | None  # (device_id, store_id)
    highest_seq: int  # highest device_seq the file shows was handed out
    problems: tuple[str, ...]


def copy_for_reading(path: Path, folder: Path) -> Path:
    """Copy a database and its WAL into `folder`: opening a file may write to it (WAL
    recovery, checkpoints), and the kept file must stay exactly as it was found."""
    target = folder / "copy.db"
    shutil.copyfile(path, target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, folder / "copy.db-wal")
    return target


class _TreeReader:
    """Reads through SQLite, tolerating errors per query."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        self.unreadable_rows = 0
        self.con: sqlite3.Connection | None
        try:
            self.con = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            problems.append(f"cannot open: {exc}")
            self.con = None
            return
        if self.one("SELECT count(*) FROM sqlite_master") is None:
            # Without a readable schema no table can be found: only the raw pass is left.
            self.con.close()
            self.con = None

    def one(self, sql: str, args: tuple[Any, ...] = (), *,
            report: bool = True) -> tuple[Any, ...] | None:
        if self.con is None:
            return None
        try:
            row: tuple[Any, ...] | None = self.con.execute(sql, args).fetchone()
            return row
        except sqlite3.DatabaseError as exc:
            if report:
                self.problems.append(f"{sql.split(' FROM ')[-1].split()[0]}: {exc}")
            return None

    def _range(self, lo: int, hi: int, out: list[tuple[Any, ...]]) -> int:
        assert self.con is not None
        try:
            rows = self.con.execute(
                "SELECT op_id, device_seq, state, body FROM ops WHERE rowid BETWEEN ? AND ?",
                (lo, hi)).fetchall()
        except sqlite3.DatabaseError:
            if lo == hi:
                self.unreadable_rows += 1
                return 0
            mid = (lo + hi) // 2
            return self._range(lo, mid, out) + self._range(mid + 1, hi, out)
        out.extend(rows)
        return len(rows)

    def op_rows(self) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        if self.con is None:
            return out
        top = self.one("SELECT max(rowid) FROM ops")
        if top is not None:
            for lo in range(1, int(top[0] or 0) + 1, CHUNK):
                self._range(lo, lo + CHUNK - 1, out)
        else:
            lo, idle = 1, 0
            while idle < PROBE_IDLE_CHUNKS:
                idle = 0 if self._range(lo, lo + CHUNK - 1, out) else idle + 1
                lo += CHUNK
        if self.unreadable_rows:
            self.problems.append(f"ops: {self.unreadable_rows} rows unreadable")
        return out

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _parse_op(body: Any) -> Op | None:
    try:
        return Op.model_validate_json(body) if isinstance(body, str | bytes) else None
    except (ValidationError, ValueError):
        return None


def _ops_in(data: bytes | mmap.mmap, found: list[Op]) -> None:
    decoder = json.JSONDecoder()
    for match in _OP_START.finditer(data):
        start = match.start()
        window = bytes(data[start:start + MAX_BODY_BYTES])
        try:
            # latin-1 maps bytes to characters one to one, so the end offset is a byte
            # offset; the object itself is then decoded as UTF-8.
            _, end = decoder.raw_decode(window.decode("latin-1"))
            op = _parse_op(window[:end].decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if op is not None:
            found.append(op)


def _wal_checksum(data: bytes, s0: int, s1: int, order: str) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def committed_wal_pages(wal: Path) -> list[bytes]:
    """The pages of a WAL that belong to committed transactions.

    Follows SQLite's own rule (file format, "WAL file format"): frames are valid while
    their salts match the header and their running checksum is right; only frames up to
    the last valid commit frame (non-zero "database size") count. Frames after it are a
    transaction that never committed.
    """
    try:
        data = wal.read_bytes()
    except OSError:
        return []
    if len(data) < WAL_HEADER:
        return []
    magic, _version, page_size, _ckpt, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:32])
    if magic not in (0x377F0682, 0x377F0683) or page_size < 512:
        return []
    order = ">" if magic & 1 else "<"
    if _wal_checksum(data[:24], 0, 0, order) != (c0, c1):
        return []
    s0, s1 = c0, c1
    pages: list[bytes] = []
    committed = 0
    offset = WAL_HEADER
    while offset + WAL_FRAME_HEADER + page_size <= len(data):
        header = data[offset:offset + WAL_FRAME_HEADER]
        _page_no, db_size, f_salt1, f_salt2, f0, f1 = struct.unpack(">6I", header)
        page = data[offset + WAL_FRAME_HEADER:offset + WAL_FRAME_HEADER + page_size]
        if (f_salt1, f_salt2) != (salt1, salt2):
            break
        s0, s1 = _wal_checksum(header[:8], s0, s1, order)
        s0, s1 = _wal_checksum(page, s0, s1, order)
        if (s0, s1) != (f0, f1):
            break
        pages.append(page)
        if db_size:
            committed = len(pages)
        offset += WAL_FRAME_HEADER + page_size
    return pages[:committed]


def scan_raw_ops(path: Path) -> list[Op]:
    """Every well-formed op body in the main file's bytes and in the committed frames of
    its WAL (duplicates included)."""
    found: list[Op] = []
    if path.stat().st_size > 0:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            _ops_in(data, found)
    for page in committed_wal_pages(path.with_name(path.name + "-wal")):
        _ops_in(page, found)
    return found


def salvage(path: Path) -> Salvage:
    """Read the unanswered ops, their receipts, the identity and the highest device_seq
    out of a damaged database file (and its WAL), without modifying it."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tamaru-salvage-") as tmp:
        try:
            copy = copy_for_reading(path, Path(tmp))
        except OSError as exc:
            return Salvage(path, (), {}, None, 0, (f"cannot copy: {exc}",))
        tree = _TreeReader(copy, problems)
        try:
            state = tree.one("SELECT device_id, store_id, next_device_seq FROM sync_state "
                             "WHERE id = 1")
            identity = (str(state[0]), str(state[1])) if state else None
            highest = state[2] - 1 if state and isinstance(state[2], int) else 0
            pending: dict[str, Op] = {}
            answered: set[str] = set()
            for op_id, seq, op_state, body in tree.op_rows():
                if isinstance(seq, int):
                    highest = max(highest, seq)
                if op_state in FINAL_STATES:
                    answered.add(op_id)
                    continue
                op = _parse_op(body)
                if op is None:
                    problems.append(f"op {op_id!r}: body unreadable")
                    continue
                pending[op.op_id] = op
            raw_found = 0
            for op in scan_raw_ops(copy):
                highest = max(highest, op.device_seq)
                if op.op_id not in answered and op.op_id not in pending:
                    pending[op.op_id] = op
                    raw_found += 1
            if raw_found:
                problems.append(f"{raw_found} ops found only in raw pages (state unknown)")
            receipts: dict[str, SalvagedReceipt] = {}
            for op_id in pending:
                row = tree.one("SELECT receipt_no, model, print_state FROM receipts "
                               "WHERE op_id = ?", (op_id,), report=False)
                try:
                    if row is not None:
                        receipts[op_id] = SalvagedReceipt(str(row[0]), dict(json.loads(row[1])),
                                                          str(row[2]))
                except (TypeError, ValueError):
                    pass
            if len(receipts) < len(pending):
                # A sale keeps its op without its receipt: the op is what HQ needs.
                problems.append(f"{len(pending) - len(receipts)} receipts not recovered")
        finally:
            tree.close()
    ops = tuple(sorted(pending.values(), key=lambda o: o.device_seq))
    if identity is None and ops:
        identity = (ops[-1].device_id, ops[-1].store_id)
    return Salvage(path, ops, receipts, identity, highest, tuple(problems))


def salvage_queued_ops(path: Path) -> list[Op]:
    """The ops of a damaged database that HQ may not have applied, in device_seq order."""
    return list(salvage(path).ops)
