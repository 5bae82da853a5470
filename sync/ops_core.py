"""How the register records an op other than a sale: one transaction on the store's
writer connection takes the next device_seq, stores the op exactly as it will be sent,
its local effect (`points_delta`, part of the member's pending balance until HQ
answers), the directory changes the counter needs at once, its receipt when one is
printed, and an audit row naming the staff member and the approving manager — the way
`RegisterStore.record_sale` writes a sale. The kinds themselves are in `sync.ops`
(corrections, enrolment, cards, merges) and `sync.ops_returns`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.message import QT_TRANSLATE_NOOP
from sync import store_views
from sync.audit import GENESIS_HASH, entry_hash
from sync.models import utc_text
from sync.protocol import (
    PAYLOADS,
    Op,
    OpKind,
)
from sync.store import RegisterStore
from sync.store_db import dumps_compact, op_origin, write_txn
from sync.store_views import MemberView, StoreError

_INSERT_OP = (
    "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, state, "
    "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?)"
)
_INSERT_RECEIPT = (
    "INSERT INTO receipts (op_id, receipt_no, model, print_state, print_attempts, created_at) "
    "VALUES (?, ?, ?, 'pending', 0, ?)"
)
_CARD_UID_LENGTHS = (8, 14, 16, 20)  # 4/7/10-byte UIDs and FeliCa IDm, as HQ accepts them
NO_PROGRAM = QT_TRANSLATE_NOOP("core", "ポイントプログラムがまだ届いていません。同期してください")
MEMBER_NOT_HERE = QT_TRANSLATE_NOOP(
    "core", "このお買上げの会員の情報がまだこのレジに届いていません。同期してからもう一度お試しください")
# Names of the op kinds, also said inside sentences (translated there through "core").
KIND_NAMES = {
    "sale": QT_TRANSLATE_NOOP("core", "販売"), "return": QT_TRANSLATE_NOOP("core", "返品"),
    "adjust": QT_TRANSLATE_NOOP("core", "ポイント調整"), "enroll": QT_TRANSLATE_NOOP("core", "入会"),
    "card_block": QT_TRANSLATE_NOOP("core", "カード停止"),
    "card_reissue": QT_TRANSLATE_NOOP("core", "カード再発行"),
    "merge": QT_TRANSLATE_NOOP("core", "会員統合"),
}


@dataclass(frozen=True)
class ReturnEstimate:
    """What a return does to the points of its sale, as the register estimates it."""

    sale_op_id: str
    sale_receipt_no: str
    returned_yen: int
    points_reversed: int  # earned points taken back
    points_restored: int  # redeemed points given back
    remaining_yen: int  # still returnable after this return

    @property
    def points_delta(self) -> int:
        return self.points_restored - self.points_reversed



@dataclass(frozen=True)
class OpFacts:
    """What a receipt builder needs, known only inside the op's transaction."""

    op_id: str
    kind: str
    device_id: str
    store_id: str
    device_seq: int
    receipt_no: str
    local_time: datetime
    staff_id: str | None
    approved_by: str | None
    member: MemberView | None  # after the op's local effect
    payload: Any  # the `sync.protocol` payload model of `kind`
    points_delta: int
    estimate: ReturnEstimate | None = None

    @property
    def balance_after(self) -> int | None:
        return None if self.member is None else self.member.balance


@dataclass(frozen=True)
class RecordedOp:
    facts: OpFacts
    op: Op
    receipt_model: dict[str, Any] | None


OpReceiptBuilder = Callable[[OpFacts], dict[str, Any]]
LocalEffect = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class _Plan:
    """An op decided inside its transaction: its member, payload and local effect."""

    member_id: str
    payload: Any
    points_delta: int
    effect: LocalEffect | None = None
    estimate: ReturnEstimate | None = None
    program_version: int | None = None
    audit: dict[str, Any] = field(default_factory=dict)


Planner = Callable[[sqlite3.Connection, str], _Plan]  # (connection, the op's receipt_no)


# -- the one write path ------------------------------------------------------------------


def record_op(store: RegisterStore, *, kind: OpKind, member_id: str, payload: Any,
              points_delta: int, staff_id: str | None, local_time: datetime,
              build_receipt: OpReceiptBuilder | None = None,
              program_version: int | None = None, approved_by: str | None = None,
              effect: LocalEffect | None = None) -> RecordedOp:
    """Record one op of `kind` (not a sale) with its local effect in one commit.

    `program_version` defaults to the newest program the register holds; `effect` makes
    further cache changes in the same transaction. Store thread only.
    """
    if kind == "sale" or PAYLOADS.get(kind) is not type(payload):
        raise ValueError(f"{kind}: needs its own payload model (sales use record_sale)")
    plan = _Plan(member_id, payload, points_delta, effect, program_version=program_version)
    return _record(store, kind, lambda _con, _no: plan, staff_id=staff_id,
                   local_time=local_time, build_receipt=build_receipt, approved_by=approved_by)


def _record(store: RegisterStore, kind: OpKind, plan_of: Planner, *, staff_id: str | None,
            local_time: datetime, build_receipt: OpReceiptBuilder | None,
            approved_by: str | None) -> RecordedOp:
    if local_time.tzinfo is None:
        raise ValueError("local_time must be timezone-aware")
    # The sale path's transaction, on the same writer connection and lock: one writer,
    # BEGIN IMMEDIATE, and a device_seq taken and used in the same commit.
    with store._wlock, write_txn(store._wconn) as con:
        device_id, store_id, seq = op_origin(con)
        receipt_no = f"{device_id}-{seq:06d}"
        plan = plan_of(con, receipt_no)
        member_id = plan.member_id
        op_id = str(uuid.uuid4())
        op = Op(op_id=op_id, kind=kind, device_id=device_id, device_seq=seq,
                store_id=store_id, staff_id=staff_id, local_time=local_time,
                program_version=plan.program_version or _newest_program(con),
                member_id=member_id, payload=plan.payload)
        created = utc_text(local_time)
        con.execute("UPDATE sync_state SET next_device_seq = ? WHERE id = 1", (seq + 1,))
        con.execute(_INSERT_OP, (op_id, seq, kind, member_id, op.model_dump_json(),
                                 plan.points_delta, created))
        if plan.effect is not None:
            plan.effect(con)
        facts = OpFacts(op_id, kind, device_id, store_id, seq, receipt_no, local_time, staff_id,
                        approved_by, store_views.member_by_id(con, member_id), plan.payload,
                        plan.points_delta, plan.estimate)
        model = build_receipt(facts) if build_receipt is not None else None
        if model is not None:
            con.execute(_INSERT_RECEIPT, (op_id, receipt_no, dumps_compact(model), created))
        _append_audit(con, f"op_{kind}", local_time, staff_id,
                      {"op_id": op_id, "receipt_no": receipt_no, "approved_by": approved_by,
                       **plan.audit})
    return RecordedOp(facts, op, model)


def _newest_program(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT max(version) FROM programs").fetchone()
    if row is None or row[0] is None:
        raise StoreError(NO_PROGRAM)
    return int(row[0])


def _append_audit(con: sqlite3.Connection, kind: str, at: datetime, staff_id: str | None,
                  detail: dict[str, Any]) -> None:
    # `sync.audit.append_audit` needs an ORM session; this is its plain-SQL twin so the
    # audit row commits with the op. Same hash, same stored text.
    last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    detail = json.loads(json.dumps(detail, ensure_ascii=False))
    at_text = utc_text(at)
    con.execute("INSERT INTO audit_log (seq, at, kind, staff_id, detail, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, at_text, kind, staff_id, dumps_compact(detail), prev,
                 entry_hash(seq, at_text, kind, staff_id, detail, prev)))
