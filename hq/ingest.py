"""Applying pushed ops to the ledger, exactly once each.

Every op is keyed by `op_id` in the permanent `ops` table: the first answer for an op is
stored with it and replayed to every retry. Business refusals are stored too (and
dead-lettered), so a retried refusal gets the same answer and never sneaks through later.

A batch is decided in one transaction with a handful of statements, whatever its size:
the ops are decided one after another in memory, in the order sent, and their rows are
written together. An op's effects are all-or-nothing either way; a batch that cannot
commit (another request stored one of its op ids first) is redone one op per
transaction, each answered from what is stored.

Locks are always taken in the order register → members (by id) → holds → seq counter,
the same order as every other writer, so two pushes cannot deadlock. The register lock
serializes one register's ops, which makes the `device_seq` check exact; the ops primary
key still backs it up.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import bindparam

from hq.auth import RegisterIdentity
from hq.bulk import insert_rows, one_of, update_balances
from hq.models import (
    SEQ_COUNTER_ID,
    DeadLetter,
    FeedEntry,
    Hold,
    Member,
    OpRecord,
    ProgramVersion,
    Register,
    SeqCounter,
    utcnow,
)
from loyalty.program import Program, parse_program
from loyalty.quote import base_points
from sync.protocol import Op, OpResult, op_hash

# Rejection reasons, part of the protocol: the register shows them and keys on them.
OP_ID_REUSED = "op_id_reused"
DEVICE_SEQ_REGRESSED = "device_seq_regressed"
UNKNOWN_MEMBER = "unknown_member"
MEMBER_BLOCKED = "member_blocked"
INSUFFICIENT_BALANCE = "insufficient_balance"
UNKNOWN_PROGRAM_VERSION = "unknown_program_version"
INVALID_REDEMPTION = "invalid_redemption"

_ops = cast(Table, OpRecord.__table__)
_members = cast(Table, Member.__table__)
_holds = cast(Table, Hold.__table__)
_feed = cast(Table, FeedEntry.__table__)
_dead = cast(Table, DeadLetter.__table__)
_registers = cast(Table, Register.__table__)
_counter = cast(Table, SeqCounter.__table__)


class ForeignOpError(Exception):
    """An op in the batch was not made by the register whose token sent it."""


def check_ownership(register: RegisterIdentity, ops: Sequence[Op]) -> None:
    """Refuse the whole batch before applying anything if one op is not this register's."""
    for op in ops:
        if op.device_id != register.device_id:
            raise ForeignOpError(
                f"op {op.op_id}: device_id {op.device_id!r} is not this token's register "
                f"{register.device_id!r}"
            )
        if op.store_id != register.store_id:
            raise ForeignOpError(
                f"op {op.op_id}: store_id {op.store_id!r} is not register "
                f"{register.device_id!r}'s store {register.store_id!r}"
            )


def _replay(stored: dict[str, Any]) -> OpResult:
    result = OpResult.model_validate(stored)
    if result.status == "applied":
        return result.model_copy(update={"status": "duplicate"})
    # A refusal stays a refusal: answering `duplicate` would read as "it was applied".
    return result


@dataclass
class _MemberRow:
    member_id: str
    status: str
    balance: int
    held: int  # points of this member's pending, unexpired holds
    touched: bool = False


@dataclass
class _HoldRow:
    hold_id: str
    member_id: str
    points: int
    status: str
    expires_at: datetime
    closed_at: datetime | None = None
    op_id: str | None = None
    touched: bool = False


class _Refused(Exception):
    def __init__(self, reason: str, member_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.member_id = member_id


@dataclass
class _Batch:
    """What one batch will write, gathered while its ops are decided."""

    now: datetime
    members: dict[str, _MemberRow]
    holds: dict[str, _HoldRow]
    results: list[dict[str, Any]]
    op_rows: list[dict[str, Any]]
    ledger_rows: list[dict[str, Any]]
    dead_rows: list[dict[str, Any]]
    # (index into results, member id) of each applied op, in order, for server_seq
    applied: list[tuple[int, str]]


class Ingestor:
    """Applies ops for one database. Thread-safe: the app shares one across requests."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._programs: dict[int, Program] = {}
        self._programs_lock = threading.Lock()

    def push(self, register: RegisterIdentity, ops: Sequence[Op]) -> list[OpResult]:
        check_ownership(register, ops)
        try:
            return self._apply_batch(register, ops)
        except IntegrityError:
            # A concurrent request stored one of these op ids after our look-up.
            return [self.apply(register, op) for op in ops]

    def apply(self, register: RegisterIdentity, op: Op) -> OpResult:
        """Apply one op in its own transaction."""
        try:
            return self._apply_batch(register, [op])[0]
        except IntegrityError:
            # Another request stored this op_id between our look-up and our insert; the
            # primary key kept the ledger right, so answer from what it stored.
            with self._engine.begin() as conn:
                row = conn.execute(
                    select(_ops.c.payload_hash, _ops.c.result).where(_ops.c.op_id == op.op_id)
                ).one_or_none()
                if row is None:
                    raise
                if row.payload_hash == op_hash(op):
                    return _replay(row.result)
                conn.execute(insert(_dead), [self._dead_row(op, OP_ID_REUSED, utcnow())])
                return OpResult(op_id=op.op_id, status="rejected", reason=OP_ID_REUSED)

    # -- one batch, one transaction ------------------------------------------------

    def _stored_ops(self, conn: Connection, op_ids: set[str]) -> dict[str, tuple[str, Any]]:
        rows = conn.execute(
            select(_ops.c.op_id, _ops.c.payload_hash, _ops.c.result).where(
                one_of(conn, _ops.c.op_id, sorted(op_ids))
            )
        )
        return {r.op_id: (r.payload_hash, r.result) for r in rows}

    def _lock_members(self, conn: Connection, member_ids: list[str], now: datetime) -> dict[str, _MemberRow]:
        # No member id holds a NUL, and PostgreSQL refuses one in a query: such an op is
        # simply for an unknown member.
        member_ids = [m for m in member_ids if "\x00" not in m]
        if not member_ids:
            return {}
        held = (
            select(func.coalesce(func.sum(_holds.c.points), 0))
            .where(
                _holds.c.member_id == _members.c.member_id,
                _holds.c.status == "pending",
                _holds.c.expires_at > now,
            )
            .scalar_subquery()
        )
        rows = conn.execute(
            select(_members.c.member_id, _members.c.status, _members.c.balance, held)
            .where(one_of(conn, _members.c.member_id, member_ids))
            .order_by(_members.c.member_id)
            .with_for_update(of=_members)
        )
        return {
            r.member_id: _MemberRow(r.member_id, r.status, int(r.balance), int(r[3] or 0))
            for r in rows
        }

    def _lock_holds(self, conn: Connection, hold_ids: set[str]) -> dict[str, _HoldRow]:
        if not hold_ids:
            return {}
        rows = conn.execute(
            select(
                _holds.c.hold_id, _holds.c.member_id, _holds.c.points, _holds.c.status,
                _holds.c.expires_at,
            )  # fmt: skip
            .where(_holds.c.hold_id.in_(hold_ids))
            .order_by(_holds.c.hold_id)
            .with_for_update()
        )
        return {
            r.hold_id: _HoldRow(r.hold_id, r.member_id, int(r.points), r.status, r.expires_at)
            for r in rows
        }

    def _apply_batch(self, register: RegisterIdentity, ops: Sequence[Op]) -> list[OpResult]:
        now = utcnow()
        hashes = [op_hash(op) for op in ops]
        with self._engine.begin() as conn:
            reg = conn.execute(
                select(_registers.c.last_device_seq, _registers.c.epoch)
                .where(_registers.c.device_id == register.device_id)
                .with_for_update()
            ).one()
            stored = self._stored_ops(conn, {op.op_id for op in ops})
            batch = _Batch(
                now=now,
                members=self._lock_members(
                    conn, sorted({op.member_id for op in ops if op.op_id not in stored}), now
                ),
                holds=self._lock_holds(
                    conn, {op.payload.hold_id for op in ops if op.payload.hold_id}
                ),
                results=[],
                op_rows=[],
                ledger_rows=[],
                dead_rows=[],
                applied=[],
            )
            last_seq = int(reg.last_device_seq)
            seen: dict[str, tuple[str, Any]] = dict(stored)
            for op, payload_hash in zip(ops, hashes, strict=True):
                prior = seen.get(op.op_id)
                if prior is not None:
                    if prior[0] == payload_hash:
                        batch.results.append(_replay(prior[1]).model_dump(mode="json"))
                    else:
                        batch.dead_rows.append(self._dead_row(op, OP_ID_REUSED, now))
                        batch.results.append(
                            {"op_id": op.op_id, "status": "rejected", "reason": OP_ID_REUSED}
                        )
                    continue
                if op.device_seq <= last_seq:
                    # Not stored: the op is not refused for what it is but because the
                    # register's history went back; after re-registering it may be resent.
                    batch.results.append(
                        {"op_id": op.op_id, "status": "rejected", "reason": DEVICE_SEQ_REGRESSED}
                    )
                    continue
                last_seq = op.device_seq
                result = self._decide(conn, op, batch)
                batch.results.append(result)
                batch.op_rows.append(
                    {
                        "op_id": op.op_id,
                        "device_id": op.device_id,
                        "device_seq": op.device_seq,
                        "epoch": int(reg.epoch),
                        "store_id": op.store_id,
                        "kind": op.kind,
                        "payload_hash": payload_hash,
                        "status": result["status"],
                        "result": result,
                        "op": op.model_dump(mode="json"),
                        "received_at": now,
                    }
                )
                seen[op.op_id] = (payload_hash, result)
                if result["status"] == "applied":
                    batch.applied.append((len(batch.results) - 1, result["member_id"]))
            self._write(conn, register, last_seq, int(reg.last_device_seq), batch)
        return [OpResult.model_validate(r) for r in batch.results]

    def _decide(self, conn: Connection, op: Op, batch: _Batch) -> dict[str, Any]:
        try:
            return self._apply_sale(conn, op, batch)
        except _Refused as refused:
            batch.dead_rows.append(self._dead_row(op, refused.reason, batch.now))
            return {
                "op_id": op.op_id,
                "status": "rejected",
                "reason": refused.reason,
                "member_id": refused.member_id,
            }

    def _apply_sale(self, conn: Connection, op: Op, batch: _Batch) -> dict[str, Any]:
        program = self._program(conn, op.program_version)
        if program is None:
            raise _Refused(UNKNOWN_PROGRAM_VERSION)
        sale = op.payload
        redeemed = sale.points_redeemed
        if redeemed and (
            redeemed > sale.amount_yen
            or redeemed < program.redeem.minimum
            or redeemed % program.redeem.unit
        ):
            raise _Refused(INVALID_REDEMPTION)
        member = batch.members.get(op.member_id)
        if member is None:
            raise _Refused(UNKNOWN_MEMBER)
        if member.status != "active":
            raise _Refused(MEMBER_BLOCKED, member.member_id)

        hold = self._own_hold(op, member, batch)
        # Points other sales' pending holds reserve are not this sale's to spend.
        available = member.balance - (member.held - (hold.points if hold else 0))
        if redeemed > available:
            raise _Refused(INSUFFICIENT_BALANCE, member.member_id)

        # HQ's own figure is the one that counts, whatever the register quoted offline.
        earned = base_points(program, sale.amount_yen - redeemed)
        for kind, points in (("redeem", -redeemed), ("earn", earned)):
            if points:
                batch.ledger_rows.append(
                    {
                        "member_id": member.member_id,
                        "op_id": op.op_id,
                        "kind": kind,
                        "points": points,
                        "note": None,
                        "created_at": batch.now,
                    }
                )
        member.balance += earned - redeemed
        member.touched = True
        if hold is not None:
            hold.status, hold.closed_at, hold.op_id, hold.touched = "posted", batch.now, op.op_id, True
            member.held -= hold.points
        return {
            "op_id": op.op_id,
            "status": "applied",
            "member_id": member.member_id,
            "balance": member.balance,
            "points_earned": earned,
        }

    def _own_hold(self, op: Op, member: _MemberRow, batch: _Batch) -> _HoldRow | None:
        """The pending hold this sale posts, if it names one of this member's."""
        hold_id = op.payload.hold_id
        hold = batch.holds.get(hold_id) if hold_id else None
        if hold is None or hold.member_id != member.member_id or hold.status != "pending":
            return None
        if hold.expires_at <= batch.now:
            hold.status, hold.closed_at, hold.touched = "expired", batch.now, True
            return None
        return hold

    def _write(
        self,
        conn: Connection,
        register: RegisterIdentity,
        last_seq: int,
        old_last_seq: int,
        batch: _Batch,
    ) -> None:
        if last_seq != old_last_seq:
            conn.execute(
                update(_registers)
                .where(_registers.c.device_id == register.device_id)
                .values(last_device_seq=last_seq)
            )
        touched = [m for m in batch.members.values() if m.touched]
        if touched:
            update_balances(conn, [(m.member_id, m.balance) for m in touched])
        if batch.dead_rows:
            conn.execute(insert(_dead), batch.dead_rows)
        if batch.applied:
            # Only the newest row per member is kept: a pull sends the current state anyway.
            conn.execute(
                delete(_feed).where(
                    _feed.c.kind == "member",
                    one_of(conn, _feed.c.key, sorted({m for _, m in batch.applied})),
                )
            )
        holds = [h for h in batch.holds.values() if h.touched]
        if holds:
            conn.execute(
                update(_holds)
                .where(_holds.c.hold_id == bindparam("h_id"))
                .values(
                    status=bindparam("h_status"),
                    closed_at=bindparam("h_closed_at"),
                    op_id=bindparam("h_op_id"),
                ),
                [
                    {"h_id": h.hold_id, "h_status": h.status, "h_closed_at": h.closed_at,
                     "h_op_id": h.op_id}
                    for h in holds
                ],  # fmt: skip
            )
        member_seq: dict[str, int] = {}
        if batch.applied:
            # Publishing comes last so the seq counter's lock is held as briefly as can be:
            # only the rows that carry a seq (and the ledger rows that need them) follow.
            last = int(
                conn.execute(
                    update(_counter)
                    .where(_counter.c.id == SEQ_COUNTER_ID)
                    .values(value=_counter.c.value + len(batch.applied))
                    .returning(_counter.c.value)
                ).scalar_one()
            )
            first = last - len(batch.applied) + 1
            for offset, (result_i, member_id) in enumerate(batch.applied):
                seq = first + offset
                batch.results[result_i]["server_seq"] = seq
                member_seq[member_id] = seq
        for row in batch.op_rows:
            # Stored whole, so a replay is field for field the first answer.
            row["result"] = OpResult.model_validate(row["result"]).model_dump(mode="json")
        feed_rows = [
            {"server_seq": seq, "kind": "member", "key": member_id, "created_at": batch.now}
            for member_id, seq in member_seq.items()
        ]
        insert_rows(conn, batch.op_rows, batch.ledger_rows, feed_rows)
    @staticmethod
    def _dead_row(op: Op, reason: str, now: datetime) -> dict[str, Any]:
        return {
            "op_id": op.op_id,
            "device_id": op.device_id,
            "reason": reason,
            "op": op.model_dump(mode="json"),
            "created_at": now,
        }

    def _program(self, conn: Connection, version: int) -> Program | None:
        # Published versions never change, so a parsed copy can be kept for good.
        with self._programs_lock:
            cached = self._programs.get(version)
        if cached is not None:
            return cached
        toml = conn.execute(
            select(ProgramVersion.__table__.c.toml).where(
                ProgramVersion.__table__.c.version == version
            )
        ).scalar_one_or_none()
        if toml is None:
            return None
        program = parse_program(toml)
        with self._programs_lock:
            self._programs[version] = program
        return program


