"""Applying pushed ops to the ledger, exactly once each.

Each op runs in its own transaction, keyed by `op_id` in the permanent `ops` table:
the first answer for an op is stored with it and replayed to every retry. Business
refusals are stored too (and dead-lettered), so a retried refusal gets the same answer
and never sneaks through later.

Locks are always taken in the order register → member → seq counter, so two pushes
cannot deadlock. The register lock serializes one register's ops, which makes the
`device_seq` check exact; the ops primary key still backs it up.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hq.auth import RegisterIdentity
from hq.feed import publish
from hq.models import DeadLetter, LedgerEntry, Member, OpRecord, ProgramVersion, Register, utcnow
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


class ForeignOpError(Exception):
    """An op in the batch was not made by the register whose token sent it."""


class _Refused(Exception):
    def __init__(self, reason: str, member_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.member_id = member_id


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


def _replay(record: OpRecord) -> OpResult:
    result = OpResult.model_validate(record.result)
    if result.status == "applied":
        return result.model_copy(update={"status": "duplicate"})
    # A refusal stays a refusal: answering `duplicate` would read as "it was applied".
    return result


class Ingestor:
    """Applies ops for one database. Thread-safe: the app shares one across requests."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._programs: dict[int, Program] = {}
        self._programs_lock = threading.Lock()

    def push(self, register: RegisterIdentity, ops: Sequence[Op]) -> list[OpResult]:
        check_ownership(register, ops)
        return [self.apply(register, op) for op in ops]

    def apply(self, register: RegisterIdentity, op: Op) -> OpResult:
        payload_hash = op_hash(op)
        try:
            with Session(self._engine) as session, session.begin():
                return self._apply(session, register, op, payload_hash)
        except IntegrityError:
            # Another request stored this op_id between our look-up and our insert; the
            # primary key kept the ledger right, so answer from what it stored.
            with Session(self._engine) as session, session.begin():
                record = session.get(OpRecord, op.op_id)
                if record is None:
                    raise
                return self._answer_existing(session, record, op, payload_hash)

    def _answer_existing(
        self, session: Session, record: OpRecord, op: Op, payload_hash: str
    ) -> OpResult:
        if record.payload_hash == payload_hash:
            return _replay(record)
        self._dead_letter(session, op, OP_ID_REUSED)
        return OpResult(op_id=op.op_id, status="rejected", reason=OP_ID_REUSED)

    def _apply(
        self, session: Session, register: RegisterIdentity, op: Op, payload_hash: str
    ) -> OpResult:
        reg = session.scalars(
            select(Register).where(Register.device_id == register.device_id).with_for_update()
        ).one()
        record = session.get(OpRecord, op.op_id)
        if record is not None:
            return self._answer_existing(session, record, op, payload_hash)
        if op.device_seq <= reg.last_device_seq:
            # Not stored: the op is not refused for what it is but because the register's
            # history went back; after re-registering it may be sent again.
            return OpResult(op_id=op.op_id, status="rejected", reason=DEVICE_SEQ_REGRESSED)
        reg.last_device_seq = op.device_seq

        now = utcnow()
        record = OpRecord(
            op_id=op.op_id,
            device_id=op.device_id,
            device_seq=op.device_seq,
            store_id=op.store_id,
            kind=op.kind,
            payload_hash=payload_hash,
            status="rejected",
            result={},
            op=op.model_dump(mode="json"),
            received_at=now,
        )
        session.add(record)
        # Insert now, before any ledger work, so a concurrent twin fails on the key here.
        session.flush()

        try:
            result = self._apply_sale(session, op, now)
        except _Refused as refused:
            result = OpResult(
                op_id=op.op_id,
                status="rejected",
                reason=refused.reason,
                member_id=refused.member_id,
            )
            self._dead_letter(session, op, refused.reason)
        record.status = result.status
        record.result = result.model_dump(mode="json")
        return result

    def _apply_sale(self, session: Session, op: Op, now: datetime) -> OpResult:
        program = self._program(session, op.program_version)
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

        member = session.scalars(
            select(Member).where(Member.member_id == op.member_id).with_for_update()
        ).one_or_none()
        if member is None:
            raise _Refused(UNKNOWN_MEMBER)
        if member.status != "active":
            raise _Refused(MEMBER_BLOCKED, member.member_id)
        if redeemed > member.balance:
            raise _Refused(INSUFFICIENT_BALANCE, member.member_id)

        # HQ's own figure is the one that counts, whatever the register quoted offline.
        earned = base_points(program, sale.amount_yen - redeemed)
        if redeemed:
            session.add(
                LedgerEntry(
                    member_id=member.member_id,
                    op_id=op.op_id,
                    kind="redeem",
                    points=-redeemed,
                    created_at=now,
                )
            )
        if earned:
            session.add(
                LedgerEntry(
                    member_id=member.member_id,
                    op_id=op.op_id,
                    kind="earn",
                    points=earned,
                    created_at=now,
                )
            )
        member.balance = member.balance + earned - redeemed
        session.flush()
        seq = publish(session, "member", member.member_id, now)
        return OpResult(
            op_id=op.op_id,
            status="applied",
            member_id=member.member_id,
            balance=member.balance,
            points_earned=earned,
            server_seq=seq,
        )

    def _dead_letter(self, session: Session, op: Op, reason: str) -> None:
        session.add(
            DeadLetter(
                op_id=op.op_id,
                device_id=op.device_id,
                reason=reason,
                op=op.model_dump(mode="json"),
                created_at=utcnow(),
            )
        )

    def _program(self, session: Session, version: int) -> Program | None:
        # Published versions never change, so a parsed copy can be kept for good.
        with self._programs_lock:
            cached = self._programs.get(version)
        if cached is not None:
            return cached
        row = session.get(ProgramVersion, version)
        if row is None:
            return None
        program = parse_program(row.toml)
        with self._programs_lock:
            self._programs[version] = program
        return program
