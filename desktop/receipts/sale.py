"""The sale receipt: what the member paid, what the sale earned and why, what they hold now.

Built inside the sale's transaction from `SaleFacts`, stored with the sale, printed after
the commit. docs/receipts.md shows the layout and says what it leaves out.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from desktop.receipts.buckets import Holdings, holdings_after_sale, month_end
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
    yen,
)
from devices.receipt import Receipt, ReceiptLine
from loyalty.expiry import ExpiryKind
from loyalty.program import Program
from loyalty.quote import Quote
from loyalty.ranks import RankStatus, Require
from sync.store import SaleFacts

_KIND_NAMES = {"normal": "通常", "limited": "期間限定"}


def build_sale_receipt(facts: SaleFacts, *, store_name: str, footer: str, tz: tzinfo,
                       offline: bool = False, staff_name: str | None = None,
                       program: Program | None = None,
                       rank_status: RankStatus | None = None) -> Receipt:
    """The receipt of a committed sale.

    `offline`: the register could not reach HQ, so the points are provisional and the
    receipt says so. `program` (the one the sale was quoted with) names the member's rank
    and dates the new points when the quote did not. `rank_status`, when known, is the
    member's rank as of this sale (this sale counted) and what the next rank needs.
    """
    q = facts.quote
    at = facts.local_time
    body: list[ReceiptLine] = []
    if offline:
        body += [ReceiptLine(""), *provisional_mark()]
    body += [
        ReceiptLine(""),
        ReceiptLine("会員番号", facts.member.masked_no),
        ReceiptLine("お買上げ金額", yen(q.amount_yen), bold=True),
    ]
    if q.redeem_points:
        body.append(ReceiptLine("ポイント利用", f"-{pts(q.redeem_points)}"))
    body.append(ReceiptLine("今回獲得ポイント", pts(q.points_earned), bold=True))
    body += breakdown_lines(q, tz)
    body += [ReceiptLine(""),
             ReceiptLine("ポイント残高", pts(facts.balance_after), bold=True, size="large")]
    normal_expiry, rolling_expiry = _new_expiries(facts, program)
    holdings = holdings_after_sale(facts.member, q, at=at, balance_after=facts.balance_after,
                                   normal_expiry=normal_expiry, rolling_expiry=rolling_expiry)
    if holdings is not None:
        body += debt_lines(holdings.debt)
        body += bucket_lines(holdings, at, tz)
    ranks = rank_lines(q.rank or facts.member.rank or None, program, rank_status)
    if ranks:
        body += [ReceiptLine(""), *ranks]
    if offline:
        body += provisional_note()
    body.append(ReceiptLine(""))
    return Receipt(
        header=header_lines(store_name, at, tz, facts.device_id, facts.receipt_no, staff_name),
        body=tuple(body),
        qr_payload=receipt_qr(facts.receipt_no),
        footer=footer_lines(footer),
        kind="sale",
        receipt_no=facts.receipt_no,
        issued_at=at.isoformat(),
    )


def breakdown_lines(q: Quote, tz: tzinfo) -> list[ReceiptLine]:
    """Where the earned points came from: base, rank, each campaign by name.

    Left out when the base is all there is: one line repeating the total says nothing.
    """
    shown = [b for b in q.breakdown if b.points or b.source == "base"]
    if len(shown) < 2 and not any(b.limited for b in shown):
        return []
    lines: list[ReceiptLine] = []
    for bonus in shown:
        lines.append(ReceiptLine(f"{INDENT}{bonus.name}", pts(bonus.points)))
        if bonus.limited:
            # The grant is the lot the ledger will create; its date is the one that counts.
            grant = next((g for g in q.grants if g.source == bonus.source and g.kind == "limited"),
                         None)
            expires = grant.expires_at if grant is not None else bonus.expires_at
            lines.append(ReceiptLine(f"{INDENT * 2}期間限定 {expiry_text(expires, tz)}"))
    return lines


def bucket_lines(holdings: Holdings, at: datetime, tz: tzinfo) -> list[ReceiptLine]:
    """The balance by kind and expiry, and what lapses by the end of this month."""
    buckets = holdings.buckets
    # Points that never expire, all of one kind, need no breakdown: it would repeat the
    # balance.
    if not buckets or all(b.kind == "normal" and b.expires_at is None for b in buckets):
        return []
    lines = [ReceiptLine("有効期限別の内訳")]
    lines += [ReceiptLine(f"{INDENT}{_KIND_NAMES.get(b.kind, b.kind)} {expiry_text(b.expires_at, tz)}",
                          pts(b.points)) for b in buckets]
    lapsing = holdings.expiring_by(month_end(at, tz))
    if lapsing:
        month = at.astimezone(tz).month
        lines.append(ReceiptLine(f"{month}月末までに失効予定", pts(lapsing), bold=True))
    return lines


def rank_lines(rank_code: str | None, program: Program | None,
               status: RankStatus | None) -> list[ReceiptLine]:
    """The member's rank and, when known, what the next rank still needs."""
    if status is not None:
        lines = [ReceiptLine("会員ランク", status.rank.name, bold=True)]
        nxt = status.next_rank
        if nxt is None:
            return lines
        if status.to_next:
            lines.append(ReceiptLine(f"{INDENT}次の「{nxt.name}」ランクまで"))
            either = nxt.require is Require.ANY and len(status.to_next) > 1
            for i, shortfall in enumerate(status.to_next):
                joiner = "または " if either and i else ""
                lines.append(ReceiptLine(f"{INDENT * 2}{joiner}{shortfall.text}"))
        return lines
    if program is None or not program.ranking.ranks:
        return []
    rank = program.ranking.find(rank_code) or program.ranking.base
    return [ReceiptLine("会員ランク", rank.name, bold=True)] if rank is not None else []


def _new_expiries(facts: SaleFacts, program: Program | None) -> tuple[datetime | None,
                                                                       datetime | None]:
    """(the sale's normal lot expiry, the rolling date of all normal points) as far as the
    quote and the program tell."""
    q = facts.quote
    rolling = q.rolling_expires_at
    if program is None:
        return None, rolling
    policy = program.expiry
    normal: datetime | None = None
    if policy.kind is ExpiryKind.FIXED:
        normal = policy.lot_expiry(facts.local_time)
    elif policy.kind is ExpiryKind.ROLLING and rolling is None:
        earned_normal = any(g.kind == "normal" and g.points for g in q.grants)
        if earned_normal or (q.redeem_points and policy.counts_use()):
            # Extends, never shortens: the summary's date may already be later.
            known = [lot.expires_at for lot in facts.member.lots
                     if lot.kind == "normal" and lot.expires_at is not None]
            rolling = max([policy.term_end(facts.local_time), *known])
    return normal, rolling
