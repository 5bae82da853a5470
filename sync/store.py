"""The register's local store: the op outbox and the cached directory, in one SQLite file.

A sale, its op and its receipt are written in one transaction (WAL, synchronous=FULL):
after `record_sale` returns, the sale survives a crash and will reach HQ exactly once.
Only one thread writes (see `sync.worker.StoreWorker`); reads may come from any thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from loyalty.program import Program, parse_program
from loyalty.quote import Quote
from sync.models import (
    PENDING_STATES,
    Card,
    Member,
    OutboxOp,
    ProgramSnapshot,
    ReceiptRecord,
    SyncState,
)
from sync.protocol import Op, OpResult, PullResponse, SalePayload

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(Exception):
    """A request the store refuses; the message is for the cashier."""


@dataclass(frozen=True)
class MemberView:
    member_id: str
    member_no: str
    display_name: str
    status: str
    hq_balance: int
    pending_delta: int  # effects of ops not yet answered by HQ

    @property
    def balance(self) -> int:
        return self.hq_balance + self.pending_delta

    @property
    def masked_no(self) -> str:
        # The last four digits are enough to confirm the member; the rest stays off
        # screens and receipts.
        return "…" + self.member_no[-4:]


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
class RecordedSale:
    facts: SaleFacts
    receipt_model: dict[str, Any]


ReceiptBuilder = Callable[[SaleFacts], dict[str, Any]]


def _sqlite_engine(path: Path, *, immediate: bool) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so BEGIN is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # The writer takes the lock up front so a read-then-write never fails half way.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def migrate(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class RegisterStore:
    """The register database. Construct once per process; writes from one thread only."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._writer = _sqlite_engine(path, immediate=True)
        self._reader = _sqlite_engine(path, immediate=False)
        migrate(self._writer)
        self._write = sessionmaker(self._writer, expire_on_commit=False)
        self._read = sessionmaker(self._reader, expire_on_commit=False)

    def close(self) -> None:
        self._writer.dispose()
        self._reader.dispose()

    # -- identity -------------------------------------------------------------------

    def identity(self) -> tuple[str, str] | None:
        with self._read() as s:
            row = s.get(SyncState, 1)
            return (row.device_id, row.store_id) if row else None

    def initialise(self, device_id: str, store_id: str) -> None:
        """Bind this database to a register. A bound database never changes identity."""
        with self._write.begin() as s:
            row = s.get(SyncState, 1)
            if row is None:
                s.add(SyncState(id=1, device_id=device_id, store_id=store_id,
                                next_device_seq=1, pull_cursor=0))
            elif (row.device_id, row.store_id) != (device_id, store_id):
                raise StoreError(
                    f"このデータベースはレジ {row.device_id}（店舗 {row.store_id}）のものです"
                )

    # -- reads ----------------------------------------------------------------------

    def _pending_delta(self, s: Session, member_id: str) -> int:
        total = s.scalar(
            select(func.coalesce(func.sum(OutboxOp.points_delta), 0)).where(
                OutboxOp.member_id == member_id, OutboxOp.state.in_(PENDING_STATES)
            )
        )
        return int(total or 0)

    def _view(self, s: Session, m: Member) -> MemberView:
        return MemberView(m.member_id, m.member_no, m.display_name, m.status,
                          m.hq_balance, self._pending_delta(s, m.member_id))

    def member(self, member_id: str) -> MemberView | None:
        with self._read() as s:
            m = s.get(Member, member_id)
            return self._view(s, m) if m else None

    def member_by_card(self, uid: str) -> MemberView:
        """The member a card belongs to, or StoreError saying why the card cannot be used."""
        with self._read() as s:
            card = s.get(Card, uid.upper())
            if card is None:
                raise StoreError("登録されていないカードです")
            if card.status != "active":
                raise StoreError("このカードは利用停止中です。店長にお知らせください")
            m = s.get(Member, card.member_id)
            if m is None:
                raise StoreError("会員情報がまだ届いていません。同期後にもう一度お試しください")
            if m.status != "active":
                raise StoreError("この会員は利用停止中です")
            return self._view(s, m)

    def program(self) -> Program | None:
        with self._read() as s:
            snap = s.scalars(
                select(ProgramSnapshot).order_by(ProgramSnapshot.version.desc()).limit(1)
            ).first()
            return parse_program(snap.toml) if snap else None

    def pending_ops(self, limit: int) -> list[Op]:
        """The oldest ops still waiting for an answer from HQ, in device_seq order."""
        with self._read() as s:
            rows = s.scalars(
                select(OutboxOp).where(OutboxOp.state.in_(("queued", "sent")))
                .order_by(OutboxOp.device_seq).limit(limit)
            ).all()
            return [Op.model_validate(r.body) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        with self._read() as s:
            rows = s.execute(select(OutboxOp.state, func.count()).group_by(OutboxOp.state)).all()
            return {state: int(n) for state, n in rows}

    def op_state(self, op_id: str) -> str | None:
        with self._read() as s:
            row = s.get(OutboxOp, op_id)
            return row.state if row else None

    def receipt(self, op_id: str) -> dict[str, Any] | None:
        with self._read() as s:
            row = s.get(ReceiptRecord, op_id)
            return dict(row.model) if row else None

    def pull_cursor(self) -> int:
        with self._read() as s:
            row = s.get(SyncState, 1)
            return row.pull_cursor if row else 0

    # -- writes (store thread only) -------------------------------------------------

    def record_sale(
        self,
        member_id: str,
        quote: Quote,
        *,
        staff_id: str | None,
        local_time: datetime,
        build_receipt: ReceiptBuilder,
    ) -> RecordedSale:
        """Write the sale's op, its local effect and its receipt in one commit."""
        if local_time.tzinfo is None:
            raise ValueError("local_time must be timezone-aware")
        with self._write.begin() as s:
            state = s.get(SyncState, 1)
            if state is None:
                raise StoreError("レジが登録されていません")
            m = s.get(Member, member_id)
            if m is None:
                raise StoreError("会員が見つかりません")
            view = self._view(s, m)
            if quote.redeem_points > view.balance:
                raise StoreError(f"ポイント残高（{view.balance:,} pt）を超えて利用できません")
            seq = state.next_device_seq
            state.next_device_seq = seq + 1
            op_id = str(uuid.uuid4())
            receipt_no = f"{state.device_id}-{seq:06d}"
            op = Op(
                op_id=op_id, kind="sale", device_id=state.device_id, device_seq=seq,
                store_id=state.store_id, staff_id=staff_id, local_time=local_time,
                program_version=quote.program_version, member_id=member_id,
                payload=SalePayload(amount_yen=quote.amount_yen,
                                    points_earned=quote.points_earned,
                                    points_redeemed=quote.redeem_points,
                                    receipt_no=receipt_no),
            )
            facts = SaleFacts(op_id, state.device_id, state.store_id, seq, receipt_no,
                              local_time, view, quote, view.balance + quote.net_change)
            model = build_receipt(facts)
            s.add(OutboxOp(op_id=op_id, device_seq=seq, kind="sale", member_id=member_id,
                           body=op.model_dump(mode="json"), points_delta=quote.net_change,
                           state="queued", attempts=0, created_at=local_time))
            s.flush()  # the receipt row references the op
            s.add(ReceiptRecord(op_id=op_id, receipt_no=receipt_no, model=model,
                                print_state="pending"))
        return RecordedSale(facts, model)

    def set_print_state(self, op_id: str, state: str, error: str | None = None) -> None:
        with self._write.begin() as s:
            s.execute(update(ReceiptRecord).where(ReceiptRecord.op_id == op_id)
                      .values(print_state=state, print_error=error))

    def mark_sent(self, op_ids: list[str]) -> None:
        with self._write.begin() as s:
            s.execute(update(OutboxOp).where(OutboxOp.op_id.in_(op_ids))
                      .values(state="sent", attempts=OutboxOp.attempts + 1))

    def record_push_error(self, op_ids: list[str], error: str) -> None:
        """A transport failure: the ops stay pending and will be sent again unchanged."""
        with self._write.begin() as s:
            s.execute(update(OutboxOp).where(OutboxOp.op_id.in_(op_ids))
                      .values(state="queued", last_error=error[:500]))

    def record_push_results(self, results: list[OpResult]) -> None:
        """Store HQ's answers, in the order HQ applied them."""
        with self._write.begin() as s:
            for r in results:
                row = s.get(OutboxOp, r.op_id)
                if row is None:
                    continue
                row.state = r.status
                row.result = r.model_dump(mode="json")
                row.last_error = r.reason
                if r.status in ("applied", "duplicate") and r.balance is not None:
                    m = s.get(Member, row.member_id)
                    if m is not None:
                        # HQ applies a register's ops in order, so this balance includes
                        # this op and every earlier one: the effect moves from pending
                        # into the HQ balance in one step.
                        m.hq_balance = r.balance
            state = s.get(SyncState, 1)
            if state is not None:
                state.last_push_at = datetime.now(UTC)

    def apply_pull(self, resp: PullResponse) -> int:
        """Write a page of HQ changes and the new cursor in one transaction."""
        with self._write.begin() as s:
            state = s.get(SyncState, 1)
            if state is None:
                raise StoreError("レジが登録されていません")
            for ch in resp.changes:
                if ch.member is not None:
                    ms = ch.member
                    m = s.get(Member, ms.member_id)
                    if m is None:
                        s.add(Member(member_id=ms.member_id, member_no=ms.member_no,
                                     display_name=ms.display_name, status=ms.status,
                                     hq_balance=ms.balance))
                        continue
                    m.member_no, m.display_name, m.status = ms.member_no, ms.display_name, ms.status
                    # While one of this member's ops is unanswered, HQ's balance and
                    # our pending effects could count the same op twice or not at all.
                    if self._pending_delta_rows(s, ms.member_id) == 0:
                        m.hq_balance = ms.balance
                elif ch.card is not None:
                    c = s.get(Card, ch.card.uid)
                    if c is None:
                        s.add(Card(uid=ch.card.uid, member_id=ch.card.member_id,
                                   status=ch.card.status))
                    else:
                        c.member_id, c.status = ch.card.member_id, ch.card.status
                elif ch.program is not None:
                    parse_program(ch.program.toml)  # refuse a program we could not quote with
                    if s.get(ProgramSnapshot, ch.program.version) is None:
                        s.add(ProgramSnapshot(version=ch.program.version, toml=ch.program.toml))
            state.pull_cursor = max(state.pull_cursor, resp.cursor)
            state.last_pull_at = datetime.now(UTC)
        return len(resp.changes)

    def _pending_delta_rows(self, s: Session, member_id: str) -> int:
        return int(s.scalar(select(func.count()).select_from(OutboxOp).where(
            OutboxOp.member_id == member_id, OutboxOp.state.in_(PENDING_STATES))) or 0)


def list_cards(store: RegisterStore, limit: int = 20) -> list[tuple[str, str, str]]:
    """(uid, member display name, card status) of cached cards, for the simulated reader."""
    with store._read() as s:
        rows = s.execute(
            select(Card.uid, Member.display_name, Card.status)
            .join(Member, Member.member_id == Card.member_id)
            .order_by(Card.uid).limit(limit)
        ).all()
        return [(uid, name, status) for uid, name, status in rows]
