"""The register's local store: the op outbox and the cached directory, in one SQLite file.

A sale, its op (the local ledger effect) and its receipt are written in one transaction
(WAL, synchronous=FULL): after `record_sale` returns, the sale survives a crash and will
reach HQ exactly once. Only one thread writes (see `sync.worker.StoreWorker`); reads may
come from any thread, each on its own connection.

The sale and the member look-ups run as plain SQL on the store's connections: on this
hardware an ORM commit per row reaches about a third of raw sqlite3's rate, and an ORM
look-up costs hundreds of microseconds of Python; plain SQL keeps a sale close to the
cost of its fsync (bench/bench_store.py). Everything else goes through the models.
Start-up checks, recovery and backups live in `sync.recovery` and `sync.backup`; holds,
the pull feed and member-token keys in the `store_*` mixins.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from loyalty.message import QT_TRANSLATE_NOOP, Message
from loyalty.program import Program, parse_program
from loyalty.quote import Quote
from sync import store_views
from sync.audit import AuditCheck, append_audit, audit_head, verify_chain
from sync.models import (
    ReceiptRecord,
    SyncState,
    parse_utc_text,
    utc_text,
)
from sync.phone import phone_lookup_hash
from sync.protocol import Op, OpResult, SaleLine, SalePayload
from sync.store_db import (
    ReaderPool,
    connect,
    dumps_compact,
    migrate,
    op_origin,
    reader_engine,
    refusal_of,
    write_txn,
    writer_engine,
)
from sync.store_holds import HoldsMixin
from sync.store_pull import PullMixin
from sync.store_tokens import TokenKeyView, TokensMixin
from sync.store_views import LotView, MemberView, RankFigures, StoreCorrupt, StoreError

__all__ = [
    "LotView", "MemberView", "ParkedOp", "PendingOp", "RankFigures", "RecordedSale", "RegisterStore", "SaleFacts",
    "StoreCorrupt", "StoreError", "TokenKeyView", "list_cards", "migrate",
]

OVER_BALANCE = QT_TRANSLATE_NOOP("core", "ポイント残高（{balance:,} pt）を超えて利用できません")
OTHER_REGISTERS_DB = QT_TRANSLATE_NOOP("core", "このデータベースはレジ {device}（店舗 {store}）のものです")


@dataclass(frozen=True)
class SaleFacts:
    """What a receipt builder needs, known only inside the sale's transaction."""

    op_id: str
    device_id: str
    store_id: str
    device_seq: int
    receipt_no: str
    local_time: datetime
    member: MemberView
    quote: Quote
    balance_after: int


@dataclass(frozen=True)
class PendingOp:
    """An unanswered op as the outbox holds it: `body` is the JSON sent to HQ."""

    op_id: str
    device_seq: int
    member_id: str
    body: str


@dataclass(frozen=True)
class ParkedOp:
    """An op HQ holds back until the op it depends on arrives (a return before its sale)."""

    op_id: str
    device_seq: int
    kind: str
    member_id: str
    body: str
    parked_since: datetime
    sale_op_id: str | None


@dataclass(frozen=True)
class RecordedSale:
    facts: SaleFacts
    receipt_model: dict[str, Any]


ReceiptBuilder = Callable[[SaleFacts], dict[str, Any]]

_INSERT_OP = (
    "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, state, "
    "attempts, created_at) VALUES (?, ?, 'sale', ?, ?, ?, 'queued', 0, ?)"
)
_INSERT_RECEIPT = (
    "INSERT INTO receipts (op_id, receipt_no, model, print_state, print_attempts, created_at) "
    "VALUES (?, ?, ?, 'pending', 0, ?)"
)


def _in_chunks(con: sqlite3.Connection, sql: str, keys: list[str],
               size: int = 500) -> list[tuple[Any, ...]]:
    """Run a `… IN ({})` query over keys in chunks (SQLite caps bound parameters)."""
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), size):
        chunk = keys[i:i + size]
        out += con.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall()
    return out


class RegisterStore(HoldsMixin, PullMixin, TokensMixin):
    """The register database. Construct once per process; writes from one thread only.

    A database file that may be damaged (every start-up) is opened through
    `sync.recovery.open_checked`, which checks it first.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._wlock = threading.RLock()
        self._wconn = connect(path)
        self._writer = writer_engine(self._wconn)
        self._reader = reader_engine(path)
        self._readers = ReaderPool(path)
        try:
            migrate(self._writer)
        except BaseException:
            self.close()
            raise
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        self._read = sessionmaker(self._reader, expire_on_commit=False)
        # Members whose cached ledger may be behind HQ's (a pull skipped them while one of
        # their ops was unanswered, or an answer was a replay): checked after each pull.
        # Kept in memory: after a restart the consistency check finds what matters.
        self._stale_members: set[str] = set()

    @classmethod
    def open_checked(cls, path: Path, *, quick: bool | None = None) -> RegisterStore:
        """The start-up path: `sync.recovery.open_checked` (integrity check first)."""
        # Imported here: sync.recovery builds on this module.
        from sync.recovery import open_checked

        return open_checked(path, quick=quick)

    def close(self) -> None:
        with self._wlock:
            self._readers.close()
            self._writer.dispose()
            self._reader.dispose()
            self._wconn.close()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction on the writer connection (store thread only)."""
        with self._wlock, self._write.begin() as s:
            yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as s:
            yield s

    # -- identity and health ----------------------------------------------------------

    def identity(self) -> tuple[str, str] | None:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT device_id, store_id FROM sync_state WHERE id = 1").fetchone()
            return (row[0], row[1]) if row else None

    def initialise(self, device_id: str, store_id: str) -> None:
        """Bind this database to a register. A bound database never changes identity."""
        with self.writing() as s:
            row = s.get(SyncState, 1)
            if row is None:
                s.add(SyncState(id=1, device_id=device_id, store_id=store_id,
                                next_device_seq=1, pull_cursor=0))
            elif (row.device_id, row.store_id) != (device_id, store_id):
                raise StoreError(Message(OTHER_REGISTERS_DB, device=row.device_id,
                                         store=row.store_id))

    def refusal(self) -> StoreCorrupt | None:
        """Why this register must not sell now (its database is being recovered), or None."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT state, kept_path FROM recovery WHERE id = 1").fetchone()
        return refusal_of(row[0], row[1]) if row else None

    def next_device_seq(self) -> int:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT next_device_seq FROM sync_state WHERE id = 1").fetchone()
            return int(row[0]) if row else 1

    def integrity_problems(self, *, quick: bool = False) -> list[str]:
        """SQLite's own check of the open database; empty when it is sound."""
        pragma = "quick_check" if quick else "integrity_check"
        rows = self._readers.get().execute(f"PRAGMA {pragma}").fetchall()
        return [] if [r[0] for r in rows] == ["ok"] else [str(r[0]) for r in rows]

    # -- members ------------------------------------------------------------------------

    def member(self, member_id: str) -> MemberView | None:
        with self._readers.snapshot() as con:
            return store_views.member_by_id(con, member_id)

    def member_by_card(self, uid: str) -> MemberView:
        """The member a card belongs to, or StoreError saying why the card cannot be used."""
        try:
            with self._readers.snapshot() as con:
                return store_views.member_by_card(con, uid)
        except StoreError:
            self._raise_refusal()
            raise

    def member_by_number(self, member_no: str) -> MemberView:
        """The member with this member number (typed or scanned), or StoreError."""
        try:
            with self._readers.snapshot() as con:
                return store_views.member_by_number(con, member_no)
        except StoreError:
            self._raise_refusal()
            raise

    def find_card(self, uid: str) -> tuple[str, str] | None:
        """(member_id, status) of a cached card, blocked ones included; None if unknown."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT member_id, status FROM cards WHERE uid = ?",
                              (uid.upper(),)).fetchone()
        return (row[0], row[1]) if row else None

    def blocked_cards(self, member_id: str) -> int:
        """How many of the member's cards are blocked (lost or replaced), for the screen."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT count(*) FROM cards WHERE member_id = ? "
                              "AND status != 'active'", (member_id,)).fetchone()
        return int(row[0])

    def find_member_by_number(self, member_no: str) -> MemberView | None:
        """The member with this number whatever their status (blocked ones included, so the
        counter can say why they cannot be served), or None when the cache has none."""
        with self._readers.snapshot() as con:
            return store_views.member_by_number_any(con, member_no)

    def _raise_refusal(self) -> None:
        # A store being rebuilt has an empty cache: "unknown card" would mislead.
        refused = self.refusal()
        if refused is not None:
            raise refused from None

    def members_by_phone_hash(self, phone_hash: str) -> list[MemberView]:
        with self._readers.snapshot() as con:
            return store_views.members_by_phone_hash(con, phone_hash)

    def members_by_phone(self, key: bytes, phone: str) -> list[MemberView]:
        """Members whose phone is the typed number; only its keyed hash is compared."""
        return self.members_by_phone_hash(phone_lookup_hash(key, phone))

    # -- reads --------------------------------------------------------------------------

    def program(self) -> Program | None:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT toml FROM programs ORDER BY version DESC LIMIT 1").fetchone()
        return parse_program(row[0]) if row else None

    def pending_ops(self, limit: int) -> list[Op]:
        """The oldest ops still waiting for an answer from HQ, in device_seq order."""
        with self._readers.snapshot() as con:
            rows = con.execute(
                "SELECT body FROM ops WHERE state IN ('queued', 'sent') "
                "ORDER BY device_seq LIMIT ?", (limit,)
            ).fetchall()
        return [Op.model_validate_json(body) for (body,) in rows]

    def outbox_counts(self) -> dict[str, int]:
        with self._readers.snapshot() as con:
            rows = con.execute("SELECT state, count(*) FROM ops GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    def op_state(self, op_id: str) -> str | None:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT state FROM ops WHERE op_id = ?", (op_id,)).fetchone()
        return row[0] if row else None

    def receipt(self, op_id: str) -> dict[str, Any] | None:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT model FROM receipts WHERE op_id = ?", (op_id,)).fetchone()
        return dict(json.loads(row[0])) if row else None

    def receipt_by_no(self, receipt_no: str) -> tuple[str, dict[str, Any]] | None:
        """(op_id, model) of the receipt with this number, e.g. scanned for a reprint."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT op_id, model FROM receipts WHERE receipt_no = ?",
                              (receipt_no,)).fetchone()
        return (row[0], dict(json.loads(row[1]))) if row else None

    def print_state(self, op_id: str) -> tuple[str, int, str | None] | None:
        """(print_state, print_attempts, print_error) of a receipt."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT print_state, print_attempts, print_error FROM receipts "
                              "WHERE op_id = ?", (op_id,)).fetchone()
        return (row[0], int(row[1]), row[2]) if row else None

    def unprinted_receipts(self, limit: int = 50) -> list[str]:
        """Op ids of receipts not printed yet (pending or failed), oldest first."""
        with self._readers.snapshot() as con:
            rows = con.execute(
                "SELECT r.op_id FROM receipts r JOIN ops o ON o.op_id = r.op_id "
                "WHERE r.print_state IN ('pending', 'failed') ORDER BY o.device_seq LIMIT ?",
                (limit,)).fetchall()
        return [op_id for (op_id,) in rows]

    def sync_times(self) -> tuple[datetime | None, datetime | None]:
        """(last push, last pull) as recorded in the database, UTC."""
        with self._readers.snapshot() as con:
            row = con.execute("SELECT last_push_at, last_pull_at FROM sync_state "
                              "WHERE id = 1").fetchone()
        return (parse_utc_text(row[0]), parse_utc_text(row[1])) if row else (None, None)

    def pull_cursor(self) -> int:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT pull_cursor FROM sync_state WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    # -- the sale (store thread only) ---------------------------------------------------

    def record_sale(
        self,
        member_id: str,
        quote: Quote,
        *,
        staff_id: str | None,
        local_time: datetime,
        build_receipt: ReceiptBuilder,
        hold_id: str | None = None,
        hold_expires_at: datetime | None = None,
        lines: Sequence[SaleLine] | None = None,
    ) -> RecordedSale:
        """Write the sale's op, its local effect and its receipt in one commit.

        With `hold_id` (an online redemption reserved at HQ), the op names the hold and
        the register's copy of it is posted in the same commit. With `hold_expires_at`
        too (HQ's answer), that copy is written here when the register has none, so an
        online redemption costs one durable commit, not one for the hold and one for the
        sale. `lines` is the basket the cashier rang up, sent so HQ quotes categories and
        campaigns as the register did.
        """
        if local_time.tzinfo is None:
            raise ValueError("local_time must be timezone-aware")
        with self._wlock, write_txn(self._wconn) as con:
            device_id, store_id, seq = op_origin(con)
            view = store_views.member_by_id(con, member_id)
            if view is None:
                raise StoreError("会員が見つかりません")
            if view.status != "active":
                raise StoreError("この会員は利用停止中です")
            # A member in debt (balance below zero) still earns: only a use is refused.
            if quote.redeem_points > 0 and quote.redeem_points > view.balance:
                raise StoreError(Message(OVER_BALANCE, balance=view.balance))
            if hold_id is not None:
                if hold_expires_at is not None:
                    # The hold is the sale's member's, for the points the sale uses: a
                    # hold recorded earlier under this id keeps its own (and its state).
                    granted = utc_text(datetime.now(UTC))
                    con.execute("INSERT OR IGNORE INTO holds (hold_id, member_id, points, "
                                "state, expires_at, created_at, updated_at) "
                                "VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                                (hold_id, member_id, quote.redeem_points,
                                 utc_text(hold_expires_at), granted, granted))
                held = con.execute("SELECT state FROM holds WHERE hold_id = ?",
                                   (hold_id,)).fetchone()
                if held is not None and held[0] != "pending":
                    raise StoreError("ポイントの取り置きが取消済みか期限切れです。"
                                     "もう一度ポイント利用を入力してください")
            op_id = str(uuid.uuid4())
            receipt_no = f"{device_id}-{seq:06d}"
            op = Op(
                op_id=op_id, kind="sale", device_id=device_id, device_seq=seq,
                store_id=store_id, staff_id=staff_id, local_time=local_time,
                program_version=quote.program_version, member_id=member_id,
                payload=SalePayload(amount_yen=quote.amount_yen,
                                    points_earned=quote.points_earned,
                                    points_redeemed=quote.redeem_points,
                                    receipt_no=receipt_no, hold_id=hold_id,
                                    lines=list(lines) if lines else None),
            )
            facts = SaleFacts(op_id, device_id, store_id, seq, receipt_no, local_time, view,
                              quote, view.balance + quote.net_change)
            model = build_receipt(facts)
            created = utc_text(local_time)
            # The sequence is taken and used in this transaction: a rolled-back sale
            # leaves no gap.
            con.execute("UPDATE sync_state SET next_device_seq = ? WHERE id = 1", (seq + 1,))
            con.execute(_INSERT_OP, (op_id, seq, member_id, op.model_dump_json(),
                                     quote.net_change, created))
            con.execute(_INSERT_RECEIPT, (op_id, receipt_no, dumps_compact(model), created))
            if hold_id is not None:
                con.execute("UPDATE holds SET state = 'posted', op_id = ?, updated_at = ? "
                            "WHERE hold_id = ? AND state = 'pending'",
                            (op_id, utc_text(datetime.now(UTC)), hold_id))
        return RecordedSale(facts, model)

    # -- receipts and the outbox (store thread only) ------------------------------------

    def set_print_state(self, op_id: str, state: str, error: str | None = None) -> None:
        values: dict[str, Any] = {"print_state": state, "print_error": error}
        if state in ("printed", "failed"):
            values["print_attempts"] = ReceiptRecord.print_attempts + 1
        if state == "printed":
            values["printed_at"] = datetime.now(UTC)
        with self.writing() as s:
            s.execute(update(ReceiptRecord).where(ReceiptRecord.op_id == op_id).values(**values))

    def mark_sent(self, op_ids: list[str]) -> None:
        """Mark ops as handed to HQ. The sync client no longer does this before a push
        (a commit per batch for a state nothing reads); kept for tools and tests."""
        with self._wlock, write_txn(self._wconn) as con:
            con.executemany("UPDATE ops SET state = 'sent', attempts = attempts + 1 "
                            "WHERE op_id = ? AND state IN ('queued', 'sent')",
                            [(i,) for i in op_ids])

    def record_push_error(self, op_ids: list[str], error: str) -> None:
        """A transport failure: the ops stay pending and will be sent again unchanged."""
        with self._wlock, write_txn(self._wconn) as con:
            con.executemany("UPDATE ops SET state = 'queued', last_error = ?, "
                            "attempts = attempts + 1 "
                            "WHERE op_id = ? AND state IN ('queued', 'sent')",
                            [(error[:500], i) for i in op_ids])

    def requeue_refused(self, op_ids: list[str], error: str) -> None:
        """Put ops the client had set aside as refused back in the queue: HQ turned out to
        refuse everything this register sends, so the refusal was not about them."""
        with self._wlock, write_txn(self._wconn) as con:
            con.executemany("UPDATE ops SET state = 'queued', result = NULL, last_error = ?, "
                            "answered_at = NULL WHERE op_id = ? AND state = 'rejected'",
                            [(error[:500], i) for i in op_ids])

    def requeue_regressed(self) -> int:
        """Queue again the ops HQ refused as `device_seq_regressed` (a register restored
        from a backup): HQ did not store them, and after the register is registered again
        under a new epoch it takes them. Returns how many."""
        with self._wlock, write_txn(self._wconn) as con:
            return con.execute(
                "UPDATE ops SET state = 'queued', result = NULL, answered_at = NULL, "
                "last_error = 'device_seq_regressed' WHERE state = 'rejected' "
                "AND json_extract(result, '$.reason') = 'device_seq_regressed'").rowcount

    def record_push_results(self, results: list[OpResult]) -> set[str]:
        """Store HQ's answers, in the order HQ applied them; returns the members whose
        cached ledger the answers changed.

        Plain SQL, one statement per kind of row: on a register back from an outage this
        runs once per 500-op batch, and an ORM load and flush per row cost more than
        HQ's own work on the batch (bench/bench_sync.py).
        """
        if not results:
            return set()
        now = utc_text(datetime.now(UTC))
        with self._wlock, write_txn(self._wconn) as con:
            owner = dict(_in_chunks(con, "SELECT op_id, member_id FROM ops WHERE op_id IN ({})",
                                    [r.op_id for r in results]))
            rows = []
            ledger: dict[str, OpResult] = {}
            replayed: set[str] = set()
            for r in results:
                if r.op_id not in owner:
                    continue
                rows.append((r.status, r.model_dump_json(), r.reason, r.status, now, r.op_id))
                if r.status in ("applied", "duplicate") and r.balance is not None:
                    # HQ applies a register's ops in order, so this balance includes
                    # this op and every earlier one: the effect moves from pending into
                    # the HQ balance in one step. The answer names the member that holds
                    # the points now (a return after a merge), else the op's member.
                    member = r.member_id or owner[r.op_id]
                    ledger.pop(member, None)
                    ledger[member] = r
                    if r.status == "duplicate":
                        replayed.add(member)
                    else:
                        replayed.discard(member)
            # A parked op asked again keeps the time it was first parked: the parked
            # watch measures how long it has waited from there.
            con.executemany(
                "UPDATE ops SET state = ?, result = ?, last_error = ?, attempts = attempts + 1, "
                "answered_at = "
                "CASE WHEN state = 'parked' AND ? = 'parked' AND answered_at IS NOT NULL "
                "THEN answered_at ELSE ? END WHERE op_id = ?", rows)
            cached = {m for (m,) in _in_chunks(
                con, "SELECT member_id FROM members WHERE member_id IN ({})", list(ledger))}
            changed = {m: r for m, r in ledger.items() if m in cached}
            con.executemany("UPDATE members SET hq_balance = ? WHERE member_id = ?",
                            [(r.balance, m) for m, r in changed.items()])
            # An applied answer is HQ's ledger as of now, lots and debt with the balance.
            # A replayed one (`duplicate`) is as of when the op was first decided and may
            # be behind what HQ holds since: the member is checked after the pull.
            fresh = {m: r for m, r in changed.items()
                     if r.status == "applied" and r.lots is not None and r.debt is not None}
            con.executemany("UPDATE members SET debt = ? WHERE member_id = ?",
                            [(r.debt, m) for m, r in fresh.items()])
            con.executemany("DELETE FROM member_lots WHERE member_id = ?",
                            [(m,) for m in fresh])
            con.executemany(
                "INSERT INTO member_lots (member_id, position, kind, points, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(m, i, lot.kind, lot.points,
                  utc_text(lot.expires_at) if lot.expires_at else None)
                 for m, r in fresh.items() for i, lot in enumerate(r.lots or ())])
            con.execute("UPDATE sync_state SET last_push_at = ? WHERE id = 1", (now,))
        self._stale_members -= set(fresh)
        self._stale_members |= replayed & set(changed)
        return set(changed)

    def pending_batch(self, limit: int, *, after_seq: int = 0) -> list[PendingOp]:
        """The oldest unanswered ops as stored, in device_seq order, for a push: the body
        is sent as it is, without parsing it back into a model. `after_seq` skips the
        ops of a batch already sent whose answers are still being written."""
        with self._readers.snapshot() as con:
            rows = con.execute(
                "SELECT op_id, device_seq, member_id, body FROM ops "
                "WHERE state IN ('queued', 'sent') AND device_seq > ? "
                "ORDER BY device_seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        return [PendingOp(*row) for row in rows]

    def parked_ops(self, limit: int = 500) -> list[ParkedOp]:
        """Ops HQ answered `parked` (a return whose sale it has not seen), oldest first,
        with the time HQ first parked them."""
        with self._readers.snapshot() as con:
            rows = con.execute(
                "SELECT op_id, device_seq, kind, member_id, body, answered_at, created_at, "
                "json_extract(body, '$.payload.sale_op_id') FROM ops WHERE state = 'parked' "
                "ORDER BY device_seq LIMIT ?", (limit,)).fetchall()
        return [ParkedOp(op_id, seq, kind, member, body,
                         parse_utc_text(answered or created) or datetime.now(UTC), sale)
                for op_id, seq, kind, member, body, answered, created, sale in rows]

    # -- audit --------------------------------------------------------------------------

    def audit(self, kind: str, *, staff_id: str | None = None,
              detail: dict[str, Any] | None = None, at: datetime | None = None) -> int:
        """Append an audit row in its own transaction; returns its seq."""
        with self.writing() as s:
            return append_audit(s, kind, at=at or datetime.now(UTC), staff_id=staff_id,
                                detail=detail).seq

    def verify_audit_chain(self) -> AuditCheck:
        with self._readers.snapshot() as con:
            return verify_chain(con)

    def audit_head(self) -> tuple[int, str]:
        with self._readers.snapshot() as con:
            return audit_head(con)


def list_cards(store: RegisterStore, limit: int = 20) -> list[tuple[str, str, str]]:
    """(uid, member display name, card status) of cached cards, for the simulated reader."""
    with store._readers.snapshot() as con:
        return store_views.list_cards(con, limit)
