"""A return at HQ: goods of an earlier sale brought back, in full or in part.

The sale's earned points are taken back pro rata (rounded down on the cumulative amount
returned) and its redeemed points given back to the lots they came from, with their
original expiry (rounded up), through `loyalty.ledger.return_sale`; a full return, in one
go or in parts, undoes the sale exactly. Earned points already spent cannot be taken
back: that part becomes debt, which later earns pay off.

A return whose sale HQ has not seen yet is `parked`: stored with the sale's op id and
decided when the sale arrives, in the sale's transaction, its stored answer updated so a
re-push gets the final one. A return of a sale HQ refused is refused `sale_not_applied`.
"""

from __future__ import annotations

from typing import cast

from hq.batch import (
    INVALID_BASKET,
    RETURN_EXCEEDS_SALE,
    SALE_NOT_APPLIED,
    UNKNOWN_MEMBER,
    Batch,
    Decision,
    Refused,
)
from hq.ops_sale import lot_view
from loyalty.ledger import LedgerError, return_sale
from sync.protocol import Op, ReturnPayload


def parked(op: Op) -> Decision:
    return Decision({"op_id": op.op_id, "status": "parked", "member_id": op.member_id})


def decide_return(batch: Batch, op: Op) -> Decision:
    ret = cast(ReturnPayload, op.payload)
    sale = batch.sales.get(ret.sale_op_id)
    if sale is None:
        if batch.parents.get(ret.sale_op_id) == "rejected":
            raise Refused(SALE_NOT_APPLIED)
        return parked(op)
    # The sale's member, wherever its points went since (a merge moves them): a blocked
    # member's return is still recorded, or the points would stay with the goods returned.
    book = batch.ledger.books.get(sale.member_id)
    if book is None:
        raise Refused(UNKNOWN_MEMBER)
    if ret.lines and sum(ln.amount_yen for ln in ret.lines) != ret.returned_yen:
        raise Refused(INVALID_BASKET, book.member_id)
    if sale.returned_yen + ret.returned_yen > sale.amount_yen:
        raise Refused(RETURN_EXCEEDS_SALE, book.member_id)
    before = book.account
    redemption_id = sale.op_id if sale.points_redeemed else None
    try:
        applied = return_sale(before, op_id=op.op_id, at=batch.now, sale_yen=sale.amount_yen,
                              returned_yen=ret.returned_yen, lot_ids=sale.lot_ids,
                              redemption_id=redemption_id)  # fmt: skip
    except LedgerError as exc:
        if exc.reason == "over_return":
            raise Refused(RETURN_EXCEEDS_SALE, book.member_id) from None
        raise
    after = applied.account
    reversed_points = sum((after.lot(i) or lot).reversed - lot.reversed
                          for i in sale.lot_ids if (lot := before.lot(i)) is not None)  # fmt: skip
    restored = 0
    if redemption_id is not None:
        r0, r1 = before.redemption(redemption_id), after.redemption(redemption_id)
        restored = (r0.restorable if r0 else 0) - (r1.restorable if r1 else 0)
    batch.ledger.apply([(book, applied)], op_id=op.op_id)
    sale.returned_yen += ret.returned_yen
    sale.touched = True
    at = min(op.local_time, batch.now)
    batch.purchase_rows.append({
        "op_id": op.op_id, "kind": "return", "member_id": book.member_id, "store_id": op.store_id,
        "company_id": batch.company_of(op.device_id), "amount_yen": -ret.returned_yen,
        "points_earned": -reversed_points, "points_redeemed": -restored, "returned_yen": 0,
        "lot_ids": None, "sale_op_id": sale.op_id, "at": at,
    })  # fmt: skip
    batch.audit(op, "return", "member", book.member_no,
                after={"sale_op_id": sale.op_id, "returned_yen": ret.returned_yen,
                       "points_reversed": reversed_points, "points_restored": restored,
                       "balance": book.balance, "debt": book.debt})  # fmt: skip
    program = batch.programs.get(batch.conn, op.program_version) or batch.programs.newest(batch.conn)
    return Decision({
        "op_id": op.op_id, "status": "applied", "member_id": book.member_id,
        "balance": book.balance, "debt": book.debt, "points_reversed": reversed_points,
        "points_restored": restored,
        "lots": lot_view(book.account, program) if program is not None else None,
    }, [("member", book.member_id)])  # fmt: skip
