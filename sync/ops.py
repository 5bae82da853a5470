"""Recording the register's other ops: returns, adjustments, enrolments, card blocks and
reissues, merges.

Each op is written the way `RegisterStore.record_sale` writes a sale: one transaction on
the store's writer connection takes the next device_seq, stores the op exactly as it
will be sent, its local effect (`points_delta`, part of the member's pending balance
until HQ answers), the cached directory changes the counter needs at once (a new member
and card, a blocked card), its receipt when one is printed, and an audit row naming the
staff member and the approving manager. HQ is authoritative: every local effect is the
register's estimate, and the pull replaces it.

A return's payload carries its own receipt number (like a sale's) and the sale's op id.
The sale is this register's (its outbox), or one made at another register that HQ found
by its receipt number (`sale_from_hq`): HQ's figures, plus this register's own returns of
it that HQ has not applied yet, bound what may still be returned.

Writes run on the store thread (`sync.worker.StoreWorker`); the read helpers at the end
may run on any thread.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from loyalty.ledger import pro_rata
from loyalty.scan import member_no_is_valid
from sync import store_views
from sync.audit import GENESIS_HASH, entry_hash
from sync.models import utc_text
from sync.phone import normalize_phone, phone_lookup_hash
from sync.protocol import (
    PAYLOADS,
    AdjustPayload,
    CardBlockPayload,
    CardReissuePayload,
    EnrollPayload,
    MergePayload,
    Op,
    OpKind,
    ReturnPayload,
    SaleLine,
    SaleLookup,
    SalePayload,
)
from sync.store import RegisterStore, refusal_of
from sync.store_db import dumps_compact, write_txn
from sync.store_views import MemberView, StoreError

__all__ = [
    "KIND_NAMES", "OpFacts", "RecordedOp", "ReturnEstimate", "SaleNotHere", "SaleRecord",
    "cards_of", "find_sale", "is_provisional", "mask_phone", "normalize_card_uid",
    "normalize_receipt_no", "record_adjust", "record_card_block", "record_card_reissue",
    "record_enroll", "record_merge", "record_op", "record_return", "return_estimate",
    "sale_from_hq", "with_local_returns",
]

_INSERT_OP = (
    "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, state, "
    "attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?)"
)
_INSERT_RECEIPT = (
    "INSERT INTO receipts (op_id, receipt_no, model, print_state, print_attempts, created_at) "
    "VALUES (?, ?, ?, 'pending', 0, ?)"
)
_CARD_UID_LENGTHS = (8, 14, 16, 20)  # 4/7/10-byte UIDs and FeliCa IDm, as HQ accepts them
NO_PROGRAM = "ポイントプログラムがまだ届いていません。同期してください"
MEMBER_NOT_HERE = "このお買上げの会員の情報がまだこのレジに届いていません。同期してからもう一度お試しください"
KIND_NAMES = {"sale": "販売", "return": "返品", "adjust": "ポイント調整", "enroll": "入会",
              "card_block": "カード停止", "card_reissue": "カード再発行", "merge": "会員統合"}


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
        health = con.execute("SELECT state, kept_path FROM recovery WHERE id = 1").fetchone()
        refused = refusal_of(health[0], health[1]) if health else None
        if refused is not None:
            raise refused
        state = con.execute("SELECT device_id, store_id, next_device_seq FROM sync_state "
                            "WHERE id = 1").fetchone()
        if state is None:
            raise StoreError("レジが登録されていません")
        device_id, store_id, seq = state
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


# -- returns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleRecord:
    """A sale being returned, with what earlier returns already took back.

    `source` "register": a sale of this register's outbox. "hq": a sale of another
    register as HQ answered for it; `hq_returned_*` are HQ's applied returns and
    `hq_return_ids` their op ids, so this register's own returns are added once only.
    """

    op_id: str
    receipt_no: str
    member_id: str
    local_time: datetime
    amount_yen: int
    points_earned: int  # HQ's figure once it answered, else the register's quote
    points_redeemed: int
    lines: tuple[SaleLine, ...]
    program_version: int
    state: str  # the sale op's outbox state ("applied" for a sale found at HQ)
    receipt_model: dict[str, Any] | None
    returned_yen: int = 0  # by earlier returns HQ has not refused
    returned_lines: tuple[SaleLine, ...] = ()
    confirmed: bool = False  # the points are HQ's own figures
    source: str = "register"
    device_id: str = ""  # the register that sold it (set for a sale found at HQ)
    hq_returned_yen: int = 0
    hq_returned_lines: tuple[SaleLine, ...] = ()
    hq_return_ids: tuple[str, ...] = ()

    @property
    def remaining_yen(self) -> int:
        return self.amount_yen - self.returned_yen

    def returnable_lines(self) -> list[SaleLine]:
        """The basket lines not returned yet, in the sale's order."""
        left = Counter(self.returned_lines)
        out: list[SaleLine] = []
        for line in self.lines:
            if left[line] > 0:
                left[line] -= 1
            else:
                out.append(line)
        return out


class SaleNotHere(StoreError):
    """The receipt is not in this register's records. `device_id` is the register its
    number names; `other_register` when that is not this one (HQ may know the sale)."""

    def __init__(self, message: str, receipt_no: str, device_id: str,
                 other_register: bool) -> None:
        super().__init__(message)
        self.receipt_no, self.device_id, self.other_register = \
            receipt_no, device_id, other_register


def normalize_receipt_no(text: str) -> str:
    """A receipt number as typed or scanned: "r01-1" and "Ｒ０１－０００００１" both name R01-000001."""
    s = unicodedata.normalize("NFKC", text).strip().upper().replace("ー", "-")
    if s.startswith("TR:"):
        s = s[3:]
    device, dash, seq = s.rpartition("-")
    if dash and device and seq.isdigit():
        return f"{device}-{int(seq):06d}"
    return s


def _load_sale(con: sqlite3.Connection, receipt_no: str) -> SaleRecord:
    ident = con.execute("SELECT device_id FROM sync_state WHERE id = 1").fetchone()
    here = ident[0] if ident else ""
    receipt_no = normalize_receipt_no(receipt_no)
    if receipt_no.isdigit():  # the cashier typed only the number after this register's id
        receipt_no = f"{here}-{int(receipt_no):06d}"
    row = con.execute(
        "SELECT o.op_id, o.kind, o.body, o.state, o.result, r.model FROM receipts r "
        "JOIN ops o ON o.op_id = r.op_id WHERE r.receipt_no = ?", (receipt_no,)).fetchone()
    if row is None:
        # A sale salvaged from a damaged database keeps its op but not its receipt.
        row = con.execute(
            "SELECT op_id, kind, body, state, result, NULL FROM ops WHERE kind = 'sale' "
            "AND json_extract(body, '$.payload.receipt_no') = ?", (receipt_no,)).fetchone()
    if row is None:
        device = receipt_no.rpartition("-")[0]
        other = bool(device) and device != here
        where = "別のレジの取引です" if other else "このレジの記録にありません"
        raise SaleNotHere(f"取引 {receipt_no} は{where}。販売したレジか、本部で返品を受け付けてください",
                          receipt_no, device, other)
    op_id, kind, body, state, result_text, model = row
    if kind != "sale":
        raise StoreError(f"取引 {receipt_no} は販売ではありません（{KIND_NAMES.get(kind, kind)}）")
    op = Op.model_validate_json(body)
    sale = op.payload
    assert isinstance(sale, SalePayload)
    result = json.loads(result_text) if result_text else {}
    confirmed = state in ("applied", "duplicate") and bool(result)
    earned, redeemed = sale.points_earned, sale.points_redeemed
    if confirmed:  # HQ's figures are the ones its reversal will use
        earned = _or(result.get("points_earned"), earned)
        redeemed = _or(result.get("points_redeemed"), redeemed)
    returned_yen, returned_lines = _local_returns(con, op_id, ())
    return SaleRecord(op_id, sale.receipt_no, op.member_id, op.local_time, sale.amount_yen,
                      earned, redeemed, tuple(sale.lines or ()), op.program_version, state,
                      json.loads(model) if model else None, returned_yen,
                      returned_lines, confirmed, device_id=op.device_id)


def _local_returns(con: sqlite3.Connection, sale_op_id: str,
                   skip: Sequence[str]) -> tuple[int, tuple[SaleLine, ...]]:
    """Yen and lines of this register's returns of the sale HQ has not refused, leaving
    out `skip` (returns HQ already counts). By the sale's op id only: a merge since may
    have put a return under another member."""
    returned_yen, returned_lines = 0, []
    for ret_id, ret_body in con.execute(
            "SELECT op_id, body FROM ops WHERE kind = 'return' AND state != 'rejected' "
            "AND json_extract(body, '$.payload.sale_op_id') = ? ORDER BY device_seq",
            (sale_op_id,)):
        if ret_id in skip:
            continue
        ret = Op.model_validate_json(ret_body).payload
        assert isinstance(ret, ReturnPayload)
        returned_yen += ret.returned_yen
        returned_lines += ret.lines or []
    return returned_yen, tuple(returned_lines)


def sale_from_hq(lookup: SaleLookup) -> SaleRecord:
    """A sale of another register as HQ recorded it (`GET /v1/sales/by-receipt/…`), ready
    for `with_local_returns` and `record_return(hq_sale=…)`. The member is the one HQ
    applies a return to (after a merge, the target)."""
    lines = tuple(lookup.lines or ())
    returned = tuple(lookup.returned_lines)
    return SaleRecord(lookup.op_id, lookup.receipt_no, lookup.member_id, lookup.local_time,
                      lookup.amount_yen, lookup.points_earned, lookup.points_redeemed, lines,
                      lookup.program_version, "applied", None, lookup.returned_yen, returned,
                      confirmed=True, source="hq", device_id=lookup.device_id,
                      hq_returned_yen=lookup.returned_yen, hq_returned_lines=returned,
                      hq_return_ids=tuple(r.op_id for r in lookup.returns))


def _add_local_returns(con: sqlite3.Connection, sale: SaleRecord) -> SaleRecord:
    yen, lines = _local_returns(con, sale.op_id, sale.hq_return_ids)
    return replace(sale, returned_yen=sale.hq_returned_yen + yen,
                   returned_lines=sale.hq_returned_lines + lines)


def with_local_returns(store: RegisterStore, sale: SaleRecord) -> SaleRecord:
    """A sale found at HQ, with this register's returns of it HQ has not applied yet."""
    with store._readers.snapshot() as con:
        return _add_local_returns(con, sale)


def _or(value: Any, default: int) -> int:
    return default if value is None else int(value)


def return_estimate(sale: SaleRecord, returned_yen: int,
                    lines: Sequence[SaleLine] | None = None) -> ReturnEstimate:
    """The points a return of ¥`returned_yen` (or of `lines`) of `sale` moves.

    HQ's rule, on the cumulative amount returned: earned points taken back rounded down,
    used points given back rounded up, so returns that add up to the sale undo it exactly.
    HQ applies it per lot, so its answer may differ by a point; its answer counts.
    """
    if lines:
        if sum(ln.amount_yen for ln in lines) != returned_yen:
            raise StoreError("返品する明細の合計が返品金額と一致しません")
        left = Counter(sale.returnable_lines())
        for line in lines:
            if left[line] <= 0:
                raise StoreError(f"明細「{line.name or line.sku}」はすでに返品済みか、"
                                 "この取引にありません")
            left[line] -= 1
    if isinstance(returned_yen, bool) or not isinstance(returned_yen, int) or returned_yen <= 0:
        raise StoreError("返品金額は1円以上で入力してください")
    if returned_yen > sale.remaining_yen:
        raise StoreError(f"返品できるのは残り ￥{sale.remaining_yen:,} までです"
                         f"（お買上げ ￥{sale.amount_yen:,}、返品済み ￥{sale.returned_yen:,}）")
    before, after = sale.returned_yen, sale.returned_yen + returned_yen
    total = sale.amount_yen
    reversed_pts = (pro_rata(sale.points_earned, after, total)
                    - pro_rata(sale.points_earned, before, total))
    restored = (pro_rata(sale.points_redeemed, after, total, round_up=True)
                - pro_rata(sale.points_redeemed, before, total, round_up=True))
    return ReturnEstimate(sale.op_id, sale.receipt_no, returned_yen, reversed_pts, restored,
                          total - after)


def record_return(store: RegisterStore, sale_receipt_no: str, returned_yen: int, *,
                  staff_id: str | None, local_time: datetime,
                  lines: Sequence[SaleLine] | None = None, approved_by: str | None = None,
                  build_receipt: OpReceiptBuilder | None = None,
                  hq_sale: SaleRecord | None = None) -> RecordedOp:
    """A full or partial return of a sale of this register, or of `hq_sale` (another
    register's sale as HQ answered for it, `sale_from_hq`).

    Refused when it would return more than what is left of the sale after earlier
    returns, or when HQ refused the sale. The local effect is the estimate: minus the
    earned points, plus the redeemed points, pro rata. The op is the sale's member's and
    carries the sale's program version, which the reversal follows.
    """

    def plan(con: sqlite3.Connection, receipt_no: str) -> _Plan:
        if hq_sale is not None:
            sale = _add_local_returns(con, hq_sale)
            if store_views.member_by_id(con, sale.member_id) is None:
                # The slip and the pending balance need the member at this register.
                raise StoreError(MEMBER_NOT_HERE)
        else:
            sale = _load_sale(con, sale_receipt_no)
        if sale.state == "rejected":
            raise StoreError("この取引は本部で受け付けられなかったため、返品のポイント処理はできません")
        est = return_estimate(sale, returned_yen, lines)
        payload = ReturnPayload(sale_op_id=sale.op_id, returned_yen=returned_yen,
                                receipt_no=receipt_no, lines=list(lines) if lines else None)
        return _Plan(sale.member_id, payload, est.points_delta, estimate=est,
                     program_version=sale.program_version,
                     audit={"sale_op_id": sale.op_id, "returned_yen": returned_yen,
                            "sale_device_id": sale.device_id})

    return _record(store, "return", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by)


def find_sale(store: RegisterStore, receipt_no: str) -> SaleRecord:
    """The sale with this receipt number in this register's outbox, or StoreError saying
    where the return must be made instead."""
    with store._readers.snapshot() as con:
        return _load_sale(con, receipt_no)


# -- manager corrections -------------------------------------------------------------------


def record_adjust(store: RegisterStore, member_id: str, points: int, reason: str, *,
                  staff_id: str, approved_by: str | None = None, local_time: datetime,
                  build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """A manager's correction: `points` given (> 0) or taken (< 0), with a reason."""
    reason = reason.strip()
    if not reason:
        raise StoreError("調整の理由を入力してください")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise StoreError("調整するポイントを入力してください（0 以外）")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        member = _member(con, member_id)
        if points < 0 and member.balance + points < 0:
            raise StoreError(f"残高（{member.balance:,} pt）を超えて減らせません")
        return _Plan(member_id, AdjustPayload(points=points, reason=reason[:200]), points,
                     audit={"member_id": member_id, "points": points})

    return _record(store, "adjust", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def _member(con: sqlite3.Connection, member_id: str) -> MemberView:
    member = store_views.member_by_id(con, member_id)
    if member is None:
        raise StoreError("会員が見つかりません")
    return member


# -- enrolment and cards -------------------------------------------------------------------


def normalize_card_uid(uid: str) -> str:
    """Upper-case hex without separators, as readers report it; StoreError otherwise."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", uid)
                      if ch not in " :-").upper()
    if len(cleaned) not in _CARD_UID_LENGTHS or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise StoreError("カードの番号を読み取れませんでした。もう一度タッチしてください")
    return cleaned


def mask_phone(digits: str) -> str:
    """090-****-5678, as HQ masks it: enough for a member to recognise their number."""
    return f"{digits[:-8]}-****-{digits[-4:]}"


def record_enroll(store: RegisterStore, display_name: str, kana: str, birth_month: int | None,
                  phone: str | None, card_uid: str | None, *, member_no: str | None = None,
                  staff_id: str | None, local_time: datetime, phone_key: bytes | str | None = None,
                  build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Enrol a member at the counter, online or not.

    The member id is made here; the member and the card go into the local cache in the
    same commit, so the card works at this counter at once. Until HQ answers the member
    is provisional (`is_provisional`): no member number unless a pre-printed card's
    (`member_no`) was scanned. With `phone_key` the cached row gets the phone's keyed
    hash, so a phone search finds the member offline; the number itself is sent to HQ in
    the op and never cached.
    """
    name, kana = display_name.strip(), kana.strip()
    if not name:
        raise StoreError("お名前を入力してください")
    digits = None
    if phone:
        try:
            digits = normalize_phone(phone)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
    uid = normalize_card_uid(card_uid) if card_uid else None
    if member_no is not None and not member_no_is_valid(member_no):
        raise StoreError("会員番号が正しくありません")
    if uid is None and member_no is None:
        raise StoreError("カードをタッチするか、会員カードのバーコードを読み取ってください")
    payload = EnrollPayload(display_name=name, kana=kana, birth_month=birth_month,
                            phone=digits, card_uid=uid, member_no=member_no)
    member_id = str(uuid.uuid4())

    def effect(con: sqlite3.Connection) -> None:
        con.execute(
            "INSERT INTO members (member_id, member_no, display_name, status, hq_balance, "
            "kana, rank, birth_month, phone_masked, phone_hash, debt) "
            "VALUES (?, ?, ?, 'active', 0, ?, '', ?, ?, ?, 0)",
            (member_id, member_no or "", name, kana, birth_month,
             mask_phone(digits) if digits else None,
             phone_lookup_hash(phone_key, digits) if digits and phone_key else None))
        if uid is not None:
            con.execute("INSERT INTO cards (uid, member_id, status) VALUES (?, ?, 'active')",
                        (uid, member_id))

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        if uid is not None and con.execute("SELECT 1 FROM cards WHERE uid = ?",
                                           (uid,)).fetchone():
            raise StoreError("このカードはすでに登録されています")
        if member_no is not None and con.execute("SELECT 1 FROM members WHERE member_no = ?",
                                                 (member_no,)).fetchone():
            raise StoreError("この会員番号はすでに登録されています")
        return _Plan(member_id, payload, 0, effect,
                     audit={"member_id": member_id, "card_uid": uid})

    return _record(store, "enroll", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=None)


def _card(con: sqlite3.Connection, uid: str) -> tuple[str, str]:
    row = con.execute("SELECT member_id, status FROM cards WHERE uid = ?", (uid,)).fetchone()
    if row is None:
        raise StoreError("登録されていないカードです")
    return row[0], row[1]


def record_card_block(store: RegisterStore, card_uid: str, reason: str, *, staff_id: str,
                      local_time: datetime, approved_by: str | None = None,
                      build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Block a lost or stolen card; it is refused at this counter from the commit on."""
    uid, reason = normalize_card_uid(card_uid), reason.strip()
    if not reason:
        raise StoreError("停止の理由を入力してください")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        owner, status = _card(con, uid)
        if status != "active":
            raise StoreError("このカードはすでに停止されています")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET status = 'blocked' WHERE uid = ?", (uid,))

        return _Plan(owner, CardBlockPayload(card_uid=uid, reason=reason[:200]), 0, effect,
                     audit={"member_id": owner, "card_uid": uid})

    return _record(store, "card_block", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def record_card_reissue(store: RegisterStore, old_card_uid: str, new_card_uid: str,
                        reason: str = "", *, staff_id: str, local_time: datetime,
                        approved_by: str | None = None,
                        build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """A new card for the member of the old one: the old card is blocked, the new one
    bound, the points stay with the member."""
    old, new = normalize_card_uid(old_card_uid), normalize_card_uid(new_card_uid)
    if old == new:
        raise StoreError("新しいカードが古いカードと同じです")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        owner, _ = _card(con, old)
        if con.execute("SELECT 1 FROM cards WHERE uid = ?", (new,)).fetchone():
            raise StoreError("新しいカードはすでに登録されています")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET status = 'blocked' WHERE uid = ?", (old,))
            c.execute("INSERT INTO cards (uid, member_id, status) VALUES (?, ?, 'active')",
                      (new, owner))

        payload = CardReissuePayload(old_card_uid=old, new_card_uid=new,
                                     reason=reason.strip()[:200])
        return _Plan(owner, payload, 0, effect,
                     audit={"member_id": owner, "old_card_uid": old, "new_card_uid": new})

    return _record(store, "card_reissue", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def record_merge(store: RegisterStore, source_member_id: str, target_member_id: str,
                 reason: str, *, staff_id: str, local_time: datetime,
                 approved_by: str | None = None,
                 build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Merge the source member into the target (a manager's op; the op is the target's).

    Locally, as HQ will: the source's cards move to the target and the source is blocked;
    the target's pending balance gains the source's balance until HQ answers.
    """
    reason = reason.strip()
    if source_member_id == target_member_id:
        raise StoreError("同じ会員どうしは統合できません")
    if not reason:
        raise StoreError("統合の理由を入力してください")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        source, target = _member(con, source_member_id), _member(con, target_member_id)
        if source.status != "active" or target.status != "active":
            raise StoreError("利用停止中の会員は統合できません")
        held = con.execute("SELECT count(*) FROM holds WHERE member_id = ? AND state = 'pending'",
                           (source_member_id,)).fetchone()[0]
        if held:
            raise StoreError("統合元の会員にポイントの取り置きがあります。取消または期限切れ後に統合してください")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET member_id = ? WHERE member_id = ?",
                      (target_member_id, source_member_id))
            c.execute("UPDATE members SET status = 'blocked' WHERE member_id = ?",
                      (source_member_id,))

        payload = MergePayload(source_member_id=source_member_id,
                               target_member_id=target_member_id, reason=reason[:200])
        return _Plan(target.member_id, payload, source.balance, effect,
                     audit={"source_member_id": source_member_id,
                            "target_member_id": target_member_id, "moved": source.balance})

    return _record(store, "merge", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def is_provisional(store: RegisterStore, member_id: str) -> bool:
    """True for a member enrolled at this register whose enrolment HQ has not applied."""
    with store._readers.snapshot() as con:
        row = con.execute("SELECT state FROM ops WHERE member_id = ? AND kind = 'enroll' "
                          "ORDER BY device_seq DESC LIMIT 1", (member_id,)).fetchone()
    return row is not None and row[0] not in ("applied", "duplicate")


def cards_of(store: RegisterStore, member_id: str) -> list[tuple[str, str]]:
    """(uid, status) of a member's cached cards."""
    with store._readers.snapshot() as con:
        rows = con.execute("SELECT uid, status FROM cards WHERE member_id = ? ORDER BY uid",
                           (member_id,)).fetchall()
    return [(uid, status) for uid, status in rows]
