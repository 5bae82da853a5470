"""Receipts for ops that correct a member's points: returns and manager adjustments.

Their facts are plain dataclasses, filled by whoever records the op (the register's
return flow, the manager's adjustment screen): these layouts only need the numbers the
op settled on, not how they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from desktop.receipts.model import receipt_qr
from desktop.receipts.text import (
    INDENT,
    debt_lines,
    expiry_text,
    footer_lines,
    header_lines,
    provisional_mark,
    provisional_note,
    pts,
    signed_pts,
    title_line,
    yen,
)
from devices.receipt import Receipt, ReceiptLine
from sync.store_views import MemberView


@dataclass(frozen=True)
class ReturnFacts:
    """A return of goods from an earlier sale, as recorded.

    `points_reversed` are earned points taken back, `points_restored` used points given
    back (with their original expiry); both are counts, not signed. `debt_after` is what
    the member owes when reversed points had already been spent.
    """

    op_id: str
    device_id: str
    receipt_no: str  # this return's own number
    local_time: datetime
    member: MemberView
    original_receipt_no: str
    returned_yen: int
    points_reversed: int
    points_restored: int
    balance_after: int
    debt_after: int = 0
    original_time: datetime | None = None
    sale_yen: int | None = None  # the original sale's amount, to say full or partial


@dataclass(frozen=True)
class AdjustFacts:
    """A manager's correction of a member's points: given (> 0) or taken (< 0)."""

    op_id: str
    device_id: str
    receipt_no: str
    local_time: datetime
    member: MemberView
    points: int
    reason: str
    approved_by: str  # the manager's name, as staff records show it
    balance_after: int
    debt_after: int = 0
    expires_at: datetime | None = None  # of points given, when the program dates them


def build_return_receipt(facts: ReturnFacts, *, store_name: str, footer: str, tz: tzinfo,
                         offline: bool = False, staff_name: str | None = None) -> Receipt:
    """The return receipt: which sale, how much came back, what happened to the points."""
    full = facts.sale_yen is not None and facts.returned_yen >= facts.sale_yen
    partial = facts.sale_yen is not None and not full
    body: list[ReceiptLine] = [ReceiptLine(""), title_line("返品" + ("（一部）" if partial else ""))]
    if offline:
        body += provisional_mark()
    body += [ReceiptLine(""), ReceiptLine("元の取引番号", facts.original_receipt_no)]
    if facts.original_time is not None:
        body.append(ReceiptLine("元のお買上げ日", facts.original_time.astimezone(tz)
                                .strftime("%Y年%m月%d日")))
    body += [
        ReceiptLine("会員番号", facts.member.masked_no),
        ReceiptLine("返品金額", yen(-facts.returned_yen), bold=True),
    ]
    if facts.points_reversed:
        body.append(ReceiptLine("獲得ポイントの取消", f"-{pts(facts.points_reversed)}"))
    if facts.points_restored:
        body += [ReceiptLine("利用ポイントの返却", f"+{pts(facts.points_restored)}"),
                 ReceiptLine(f"{INDENT}元の有効期限のままお戻しします")]
    if not facts.points_reversed and not facts.points_restored:
        body.append(ReceiptLine("ポイントの増減", "なし"))
    body += [ReceiptLine(""),
             ReceiptLine("ポイント残高", pts(facts.balance_after), bold=True, size="large")]
    body += debt_lines(facts.debt_after)
    if offline:
        body += provisional_note()
    body.append(ReceiptLine(""))
    return Receipt(
        header=header_lines(store_name, facts.local_time, tz, facts.device_id, facts.receipt_no,
                            staff_name),
        body=tuple(body),
        qr_payload=receipt_qr(facts.receipt_no),
        footer=footer_lines(footer),
        kind="return",
        receipt_no=facts.receipt_no,
        issued_at=facts.local_time.isoformat(),
    )


def build_adjust_receipt(facts: AdjustFacts, *, store_name: str, footer: str, tz: tzinfo,
                         offline: bool = False, staff_name: str | None = None) -> Receipt:
    """The adjustment receipt: the signed change, why, who approved it, the balance."""
    if facts.points == 0:
        raise ValueError("an adjustment of 0 points changes nothing")
    body: list[ReceiptLine] = [ReceiptLine(""), title_line("ポイント調整")]
    if offline:
        body += provisional_mark()
    body += [
        ReceiptLine(""),
        ReceiptLine("会員番号", facts.member.masked_no),
        ReceiptLine("調整ポイント", signed_pts(facts.points), bold=True),
    ]
    if facts.points > 0 and facts.expires_at is not None:
        body.append(ReceiptLine(f"{INDENT}有効期限 {expiry_text(facts.expires_at, tz)}"))
    body += [
        ReceiptLine(f"理由：{facts.reason}"),
        ReceiptLine("承認者", facts.approved_by),
        ReceiptLine(""),
        ReceiptLine("ポイント残高", pts(facts.balance_after), bold=True, size="large"),
    ]
    body += debt_lines(facts.debt_after)
    if offline:
        body += provisional_note()
    body.append(ReceiptLine(""))
    return Receipt(
        header=header_lines(store_name, facts.local_time, tz, facts.device_id, facts.receipt_no,
                            staff_name),
        body=tuple(body),
        qr_payload=receipt_qr(facts.receipt_no),
        footer=footer_lines(footer),
        kind="adjust",
        receipt_no=facts.receipt_no,
        issued_at=facts.local_time.isoformat(),
    )
