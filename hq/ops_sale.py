"""A sale at HQ: quoted again with the program version the op names, then recorded.

HQ's quote is authoritative: the register's `points_earned` is what it printed, HQ's is
what the member gets (they agree when the register had the same facts). The quote sees
the member as HQ knows them — rank, birth month, enrolment date, first purchase, lots —
and the campaign budgets as spent so far. The campaign day is the day of the sale by the
register's clock, but never later than HQ's: a register running ahead cannot claim
tomorrow's campaign. Lots are dated and given their expiry by HQ's clock. A campaign's
budget is read once per batch, so two batches decided at the same moment may together
grant a little beyond it.

Redemption: a sale whose hold covers it spends the held points. Without a hold the
register redeemed offline: if HQ's available points (less what other stores' holds
reserve) fall short, the shortfall becomes debt when it is within the program's
`redeem.offline_cap` (no cap: any shortfall, since the register bounds offline use by
the balance it last saw), and the sale is refused `offline_cap_exceeded` beyond it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select

from hq.batch import (
    INVALID_BASKET,
    INVALID_REDEMPTION,
    OFFLINE_CAP_EXCEEDED,
    Batch,
    Decision,
    HoldRow,
    Refused,
    SaleRef,
)
from hq.ledger_store import Book
from hq.models import CampaignGrant
from loyalty.basket import Line, MemberContext, QuoteError
from loyalty.dates import local_date
from loyalty.ledger import Account, lot_summaries, post_sale
from loyalty.program import Program
from loyalty.quote import Quote, quote
from sync.protocol import Op, SaleLine, SalePayload

_grants = cast(Table, CampaignGrant.__table__)


def basket(lines: list[SaleLine] | None, amount_yen: int) -> list[Line]:
    """The op's lines as the quote takes them; one amount-only line without them."""
    if not lines:
        return [Line(sku="", amount_yen=amount_yen)]
    out = [Line(sku=ln.sku, amount_yen=ln.amount_yen, category=ln.category, quantity=ln.quantity,
                tax_rate=ln.tax_rate, name=ln.name) for ln in lines]  # fmt: skip
    if sum(ln.amount_yen for ln in out) != amount_yen:
        raise Refused(INVALID_BASKET)
    return out


def member_context(book: Book, program: Program, balance: int) -> MemberContext:
    """What the rules may ask about the member, as HQ knows it now. The lots are left
    out: they only shape the quote's expiry display, which HQ answers from the ledger."""
    account = book.account
    return MemberContext(
        balance=balance,
        rank=book.rank or None,
        birth_month=book.birth_month,
        enrolled_on=local_date(book.created_at, program.tz),
        first_purchase=book.first_purchase_at is None,
        rolling_expires_at=program.expiry.rolling_deadline(account.last_earn_at, account.last_use_at),
    )


def _utc(at: datetime | None) -> datetime | None:
    # Answers give instants in UTC, as the pull feed does, whatever zone computed them.
    return at.astimezone(UTC) if at is not None else None


def lot_view(account: Account, program: Program) -> list[dict[str, Any]]:
    return [{"kind": s.kind.value, "points": s.points, "expires_at": _utc(s.expires_at)}
            for s in lot_summaries(account, program.expiry)]  # fmt: skip


def _spent(batch: Batch, program: Program) -> dict[str, int]:
    """Points each budgeted campaign has granted so far, this batch included."""
    budgeted = sorted(c.id for c in program.campaigns if c.budget_points is not None)
    if not budgeted:
        return {}
    if batch.spent is None:
        rows = batch.conn.execute(
            select(_grants.c.campaign_id, func.sum(_grants.c.points))
            .where(_grants.c.campaign_id.in_(budgeted))
            .group_by(_grants.c.campaign_id)
        )
        batch.spent = {r[0]: int(r[1] or 0) for r in rows}
    return batch.spent


def _quote(batch: Batch, op: Op, program: Program, book: Book, lines: list[Line],
           available: int) -> Quote:
    sale = cast(SalePayload, op.payload)
    redeemed = sale.points_redeemed
    ctx = member_context(book, program, max(available, redeemed))
    at = min(op.local_time, batch.now)
    spent = _spent(batch, program)
    try:
        return quote(program, lines, ctx, at=at, store_id=op.store_id, redeem_points=redeemed,
                     campaign_spent=spent)  # fmt: skip
    except QuoteError:
        if redeemed:
            try:
                quote(program, lines, ctx, at=at, store_id=op.store_id, campaign_spent=spent)
            except QuoteError:
                pass
            else:
                raise Refused(INVALID_REDEMPTION, book.member_id) from None
        raise Refused(INVALID_BASKET, book.member_id) from None


def own_hold(batch: Batch, op: Op, book: Book) -> HoldRow | None:
    """The pending hold this sale posts, if it names one of this member's."""
    hold_id = cast(SalePayload, op.payload).hold_id
    hold = batch.holds.get(hold_id) if hold_id else None
    if hold is None or hold.member_id != book.member_id or hold.status != "pending":
        return None
    if hold.expires_at <= batch.now:
        hold.status, hold.closed_at, hold.touched = "expired", batch.now, True
        return None
    return hold


def decide_sale(batch: Batch, op: Op) -> Decision:
    sale = cast(SalePayload, op.payload)
    program = batch.program(op.program_version)
    book = batch.book(op.member_id)
    lines = basket(sale.lines, sale.amount_yen)
    hold = own_hold(batch, op, book)
    # Points other sales' pending holds reserve are not this sale's to spend.
    available = book.account.available(batch.now) - (book.held - (hold.points if hold else 0))
    q = _quote(batch, op, program, book, lines, available)
    redeemed = sale.points_redeemed
    shortfall = redeemed - max(0, available)
    cap = program.redeem.offline_cap
    if shortfall > 0 and hold is None and cap is not None and shortfall > cap:
        raise Refused(OFFLINE_CAP_EXCEEDED, book.member_id)

    company = batch.register.company_id
    applied = post_sale(book.account, op_id=op.op_id, at=batch.now, redeem_points=redeemed,
                        grants=q.grants, issuer=company, redeemer=company, policy=program.expiry,
                        allow_debt=True)  # fmt: skip
    batch.ledger.apply([(book, applied)], op_id=op.op_id)
    at = min(op.local_time, batch.now)
    if book.first_purchase_at is None:
        book.first_purchase_at = at
    if hold is not None:
        hold.status, hold.closed_at, hold.op_id, hold.touched = "posted", batch.now, op.op_id, True
        book.held -= hold.points

    lot_ids = tuple(lot.lot_id for lot in book.account.lots if lot.lot_id.startswith(op.op_id + "#"))
    batch.sales[op.op_id] = SaleRef(op.op_id, book.member_id, sale.amount_yen, redeemed, 0, lot_ids)
    batch.purchase_rows.append({
        "op_id": op.op_id, "kind": "sale", "member_id": book.member_id, "store_id": op.store_id,
        "company_id": company, "amount_yen": sale.amount_yen, "points_earned": q.points_earned,
        "points_redeemed": redeemed, "returned_yen": 0, "lot_ids": list(lot_ids),
        "sale_op_id": None, "at": at,
    })  # fmt: skip
    for i, b in enumerate(q.breakdown):
        if i and b.points > 0 and program.campaign(b.source) is not None:
            batch.grant_rows.append({"campaign_id": b.source, "member_id": book.member_id,
                                     "op_id": op.op_id, "store_id": op.store_id,
                                     "points": b.points, "at": at})  # fmt: skip
            if batch.spent is not None:
                batch.spent[b.source] = batch.spent.get(b.source, 0) + b.points
    book.touched = True
    return Decision({
        "op_id": op.op_id, "status": "applied", "member_id": book.member_id,
        "balance": book.balance, "debt": book.debt, "points_earned": q.points_earned,
        "points_redeemed": redeemed,
        "breakdown": [{"source": b.source, "name": b.name, "points": b.points,
                       "limited": b.limited, "expires_at": _utc(b.expires_at)}
                      for b in q.breakdown if b.points],
        "lots": lot_view(book.account, program),
    }, [("member", book.member_id)])  # fmt: skip
