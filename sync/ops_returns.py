"""Returns at the register: the sale being returned (this register's outbox, or a sale of
another register that HQ found by its receipt number, `sale_from_hq`), what a return of
part or all of it does to its points (`return_estimate`), and the return op itself.

HQ's figures, plus this register's own returns of the sale that HQ has not applied yet,
bound what may still be returned. Writes run on the store thread.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from loyalty.ledger import pro_rata
from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync import store_views
from sync.ops_core import (
    KIND_NAMES,
    MEMBER_NOT_HERE,
    OpReceiptBuilder,
    RecordedOp,
    ReturnEstimate,
    _Plan,
    _record,
)
from sync.protocol import (
    Op,
    ReturnPayload,
    SaleLine,
    SaleLookup,
    SalePayload,
)
from sync.store import RegisterStore
from sync.store_views import StoreError

# -- returns -----------------------------------------------------------------------------

# What the cashier is told (translated on screen through the "core" context).
ANOTHER_REGISTERS = QT_TRANSLATE_NOOP(
    "core", "取引 {receipt_no} は別のレジの取引です。販売したレジか、本部で返品を受け付けてください")
NOT_IN_THIS_REGISTER = QT_TRANSLATE_NOOP(
    "core", "取引 {receipt_no} はこのレジの記録にありません。販売したレジか、本部で返品を受け付けてください")
NOT_A_SALE = QT_TRANSLATE_NOOP("core", "取引 {receipt_no} は販売ではありません（{kind}）")
LINE_NOT_RETURNABLE = QT_TRANSLATE_NOOP(
    "core", "明細「{line}」はすでに返品済みか、この取引にありません")
OVER_REMAINING = QT_TRANSLATE_NOOP(
    "core", "返品できるのは残り ￥{remaining:,} までです（お買上げ ￥{amount:,}、返品済み ￥{returned:,}）")


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
        raise SaleNotHere(Message(ANOTHER_REGISTERS if other else NOT_IN_THIS_REGISTER,
                                  receipt_no=receipt_no), receipt_no, device, other)
    op_id, kind, body, state, result_text, model = row
    if kind != "sale":
        raise StoreError(Message(NOT_A_SALE, receipt_no=receipt_no,
                                 kind=KIND_NAMES.get(kind, kind)))
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
                raise StoreError(Message(LINE_NOT_RETURNABLE, line=line.name or line.sku))
            left[line] -= 1
    if isinstance(returned_yen, bool) or not isinstance(returned_yen, int) or returned_yen <= 0:
        raise StoreError("返品金額は1円以上で入力してください")
    if returned_yen > sale.remaining_yen:
        raise StoreError(Message(OVER_REMAINING, remaining=sale.remaining_yen,
                                 amount=sale.amount_yen, returned=sale.returned_yen))
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
