"""The register's audit log: append-only rows chained by hashes.

Each row's hash is SHA-256 over the canonical JSON of the row and the previous row's
hash, so editing, inserting or deleting a row in the middle breaks every hash after it.
The table also refuses UPDATE and DELETE (triggers). What a chain cannot show on its own
is the loss of its newest rows: compare `audit_head` with a copy kept elsewhere (the
daily report, HQ) for that.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.models import AuditEntry, utc_text

GENESIS_HASH = "0" * 64

# What the register audits; the kind is part of every hashed row.
STAFF_CREATED = "staff_created"
STAFF_PIN_CHANGED = "staff_pin_changed"
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
STAFF_LOCKED = "staff_locked"
STAFF_UNLOCKED = "staff_unlocked"
SIGN_OUT = "sign_out"
STORE_CORRUPT = "store_corrupt"
STORE_RECOVERED = "store_recovered"


def entry_hash(seq: int, at: str, kind: str, staff_id: str | None, detail: dict[str, Any],
               prev_hash: str) -> str:
    row = {"seq": seq, "at": at, "kind": kind, "staff_id": staff_id, "detail": detail,
           "prev_hash": prev_hash}
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append_audit(session: Session, kind: str, *, at: datetime, staff_id: str | None = None,
                 detail: dict[str, Any] | None = None) -> AuditEntry:
    """Add a row in the caller's write transaction (BEGIN IMMEDIATE serialises appends)."""
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq = last.seq + 1 if last else 1
    prev = last.hash if last else GENESIS_HASH
    detail = dict(detail or {})
    # Round-trip so the hashed detail is exactly what JSON storage gives back.
    detail = json.loads(json.dumps(detail, ensure_ascii=False))
    entry = AuditEntry(seq=seq, at=at, kind=kind, staff_id=staff_id, detail=detail,
                       prev_hash=prev,
                       hash=entry_hash(seq, utc_text(at), kind, staff_id, detail, prev))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    checked: int
    bad_seq: int | None = None
    problem: str | None = None


def verify_chain(con: sqlite3.Connection) -> AuditCheck:
    """Recompute every hash from the stored rows, oldest first."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = con.execute(
        "SELECT seq, at, kind, staff_id, detail, prev_hash, hash FROM audit_log ORDER BY seq"
    )
    for seq, at, kind, staff_id, detail_text, prev_hash, stored in rows:
        if seq != expected_seq:
            return AuditCheck(False, checked, expected_seq, f"row {expected_seq} is missing")
        if prev_hash != prev:
            return AuditCheck(False, checked, seq, "prev_hash does not match the row before")
        try:
            detail = json.loads(detail_text)
        except (TypeError, ValueError):
            return AuditCheck(False, checked, seq, "detail is not JSON")
        if entry_hash(seq, at, kind, staff_id, detail, prev_hash) != stored:
            return AuditCheck(False, checked, seq, "row content does not match its hash")
        prev = stored
        expected_seq += 1
        checked += 1
    return AuditCheck(True, checked)


def audit_head(con: sqlite3.Connection) -> tuple[int, str]:
    """(seq, hash) of the newest row, to keep outside the register."""
    row = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
