"""Before a push batch is decided: lock what its ops touch and load what they are decided on.

The members the ops name are locked first (with, for a merge, every lot and redemption
they hold); what the locks protect is then read afresh — cards, the sales returns refer
to (and the member holding their points now, after any merge), the returns parked until
a sale of this batch arrives, the holds sales post — and the members those lead to are
locked too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from hq.batch import Batch, HoldRow, SaleRef
from hq.bulk import one_of
from hq.directory import normalize_card_uid
from hq.errors import DirectoryError
from hq.ingest_reads import FirstReads
from hq.models import Hold, Member, OpRecord, PurchaseRow
from hq.ops_member import cards_of
from sync.protocol import (
    CardBlockPayload,
    CardReissuePayload,
    EnrollPayload,
    MergePayload,
    Op,
    ReturnPayload,
)

MAX_MERGE_CHAIN = 16
_ops = cast(Table, OpRecord.__table__)
_members = cast(Table, Member.__table__)
_holds = cast(Table, Hold.__table__)
_purchases = cast(Table, PurchaseRow.__table__)


@dataclass
class Outcome:
    """An op decided in this batch: its row is inserted, or (a parked op) updated."""

    op: Op
    payload_hash: str
    insert: bool
    result: dict[str, Any] = field(default_factory=dict)
    feed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Run:
    batch: Batch
    epoch: int
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    applied: list[Outcome] = field(default_factory=list)
    # Returns waiting for a sale of this batch: stored parked ones, and ones parked now.
    waiting: dict[str, list[Outcome]] = field(default_factory=dict)


def prepare(run: Run, ops: list[Op], first: FirstReads) -> None:
    """Lock the members these ops touch and load what they are decided on, besides what
    the batch read first (`hq.ingest_reads`)."""
    batch = run.batch
    if first.members is not None:
        # The members the ops name, locked and read with the register: nothing else to lock
        # first, since no op here finds its member through a card or merges one.
        batch.ledger.adopt(first.members, first.lots or (), first.debts or ())
    else:
        members = {op.member_id for op in ops}
        full: set[str] = set()
        uids = set()
        for op in ops:
            p = op.payload
            if isinstance(p, MergePayload):
                full |= {p.source_member_id, p.target_member_id}
            elif isinstance(p, CardBlockPayload):
                uids.add(p.card_uid)
            elif isinstance(p, CardReissuePayload):
                uids |= {p.old_card_uid, p.new_card_uid}
            elif isinstance(p, EnrollPayload) and p.card_uid:
                uids.add(p.card_uid)
        uids = {u for u in (_uid_or_none(x) for x in uids) if u}
        batch.load_cards(uids)
        members |= full | {c.member_id for c in batch.cards.values()}
        batch.ledger.lock(members, full=full)
        # From here on what the locks protect is current: read it again.
        batch.cards.clear()
        batch.load_cards(uids | cards_of(batch, sorted(full)))
    sale_ids = {op.payload.sale_op_id for op in ops if isinstance(op.payload, ReturnPayload)}
    _load_sales(batch, sale_ids)
    sales = batch.sales.values()
    batch.ledger.lock(
        {s.member_id for s in sales} | {c.member_id for c in batch.cards.values()},
        lots={lot for s in sales for lot in s.lot_ids},
        redemptions={s.op_id for s in sales if s.points_redeemed},
    )
    sold = [op.op_id for op in ops if op.kind == "sale"]
    if first.waiting is None:
        _load_waiting(run, sold)
    else:
        sold_here = set(sold)
        _add_waiting(run, [r for r in first.waiting if r.parent_op_id in sold_here])
    hold_ids = {op.payload.hold_id for op in ops if op.kind == "sale" and op.payload.hold_id}  # type: ignore[union-attr]
    if first.holds is None:
        batch.holds = lock_holds(batch.conn, hold_ids)
    else:
        batch.holds = {h.hold_id: h for h in map(_hold, first.holds) if h.hold_id in hold_ids}


def _load_sales(batch: Batch, sale_ids: set[str]) -> None:
    if not sale_ids:
        return
    conn = batch.conn
    p = _purchases.c
    rows = conn.execute(select(p.op_id, p.member_id, p.amount_yen, p.points_redeemed,
                               p.returned_yen, p.lot_ids)
                        .where(one_of(conn, p.op_id, sorted(sale_ids)), p.kind == "sale")).all()  # fmt: skip
    owners = current_members(conn, {r.member_id for r in rows})
    for r in rows:
        batch.sales[r.op_id] = SaleRef(r.op_id, owners.get(r.member_id, r.member_id),
                                       int(r.amount_yen), int(r.points_redeemed),
                                       int(r.returned_yen), tuple(r.lot_ids or ()))  # fmt: skip
    missing = sorted(sale_ids - set(batch.sales))
    if missing:
        for r in conn.execute(select(_ops.c.op_id, _ops.c.status, _ops.c.op, _ops.c.kind)
                              .where(one_of(conn, _ops.c.op_id, missing))):  # fmt: skip
            if r.status == "applied" and r.kind == "sale":
                # A sale recorded before the lot ledger: its points are in the member's
                # opening lot and cannot be told apart, so a return moves none.
                member = owners.get(r.op["member_id"], r.op["member_id"])
                batch.sales[r.op_id] = SaleRef(r.op_id, member, int(r.op["payload"]["amount_yen"]),
                                               0, 0, ())  # fmt: skip
            else:
                batch.parents[r.op_id] = "applied" if r.status == "applied" else "rejected"

def _load_waiting(run: Run, sale_ids: list[str]) -> None:
    if not sale_ids:
        return
    conn = run.batch.conn
    # In the order they arrived: partial returns of one sale are rounded on what was
    # returned before, so their order is part of the answer.
    rows = conn.execute(select(_ops.c.op, _ops.c.payload_hash, _ops.c.parent_op_id)
                        .where(_ops.c.status == "parked",
                               one_of(conn, _ops.c.parent_op_id, sorted(sale_ids)))
                        .order_by(_ops.c.received_at, _ops.c.device_id, _ops.c.epoch, _ops.c.device_seq))  # fmt: skip
    _add_waiting(run, rows)


def _add_waiting(run: Run, rows: Iterable[Any]) -> None:
    for r in rows:
        out = Outcome(Op.model_validate(r.op), r.payload_hash, insert=False)
        run.waiting.setdefault(r.parent_op_id, []).append(out)



def _uid_or_none(text: str) -> str | None:
    try:
        return normalize_card_uid(text)
    except DirectoryError:
        return None


def current_members(conn: Connection, member_ids: set[str]) -> dict[str, str]:
    """Each member, or the member it was merged into (and so on)."""
    out = {m: m for m in member_ids}
    ids = set(member_ids)
    for _ in range(MAX_MERGE_CHAIN):
        if not ids:
            break
        rows = conn.execute(select(_members.c.member_id, _members.c.merged_into)
                            .where(one_of(conn, _members.c.member_id, sorted(ids)),
                                   _members.c.merged_into.is_not(None))).all()  # fmt: skip
        moved = {r.member_id: r.merged_into for r in rows}
        for start, now_at in out.items():
            if now_at in moved:
                out[start] = moved[now_at]
        ids = set(moved.values())
    return out


def lock_holds(conn: Connection, hold_ids: set[str]) -> dict[str, HoldRow]:
    if not hold_ids:
        return {}
    rows = conn.execute(
        select(_holds.c.hold_id, _holds.c.member_id, _holds.c.points, _holds.c.status,
               _holds.c.expires_at)
        .where(_holds.c.hold_id.in_(hold_ids))
        .order_by(_holds.c.hold_id)
        .with_for_update()
    )  # fmt: skip
    return {h.hold_id: h for h in map(_hold, rows)}


def _hold(r: Any) -> HoldRow:
    return HoldRow(r.hold_id, r.member_id, int(r.points), r.status, r.expires_at)


