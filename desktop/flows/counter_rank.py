"""The member's rank progress for a sale's receipt: the rank held and what the next needs.

HQ evaluates ranks (its rank job) and sends each member's rank code with the pull feed;
it does not send the figures behind it. What the register knows of a member's spend and
visits in the ranking window is its own record of their sales and returns (the ops it
made, kept after they synced), plus the sale being recorded. So:

- the rank printed is HQ's (`MemberView.rank`, or the program's first rank), never one
  the register works out by itself: the quote's rank bonus was computed with HQ's rank,
  and the receipt must agree with it;
- what the next rank still needs is worked out from the register's record and this sale
  (`loyalty.ranks.evaluate_rank`). When that record does not even reach the rank HQ gave
  (the member shops at other registers or stores too, or this register's database is
  newer than the window), the figures are known to be short and no shortfall is printed:
  the receipt names the rank only. A rank that needs years of membership is not worked
  out either (the register does not know when the member enrolled).

The figures count this register's record only; a member who also shops elsewhere and
whose HQ rank the local record happens to reach may be told a shortfall larger than HQ's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select

from loyalty.program import Program
from loyalty.ranks import Purchase, RankStatus, Require, Shortfall, evaluate_rank
from sync.models import OutboxOp
from sync.protocol import Op, ReturnPayload, SalePayload
from sync.store import MemberView, RegisterStore

log = logging.getLogger(__name__)

Purchases = Callable[[str, datetime], Sequence[Purchase]]
"""(member id, window start) → the member's sales (+) and returns (−) known here."""


def local_purchases(store: RegisterStore) -> Purchases:
    """The member's sales and returns this register recorded since a moment (any thread)."""

    def purchases(member_id: str, since: datetime) -> list[Purchase]:
        found: list[Purchase] = []
        with store.reading() as session:
            rows = session.scalars(
                select(OutboxOp.body).where(OutboxOp.member_id == member_id,
                                            OutboxOp.kind.in_(("sale", "return")),
                                            OutboxOp.created_at >= since))
            for body in rows:
                try:
                    op = Op.model_validate(body)
                except ValueError:
                    log.warning("an op of this register could not be read for rank progress")
                    continue
                if isinstance(op.payload, SalePayload):
                    found.append(Purchase(op.local_time, op.payload.amount_yen))
                elif isinstance(op.payload, ReturnPayload):
                    found.append(Purchase(op.local_time, -op.payload.returned_yen))
        return found

    return purchases


def rank_after_sale(program: Program | None, member: MemberView, *, amount_yen: int,
                    at: datetime, tz: tzinfo, purchases: Purchases | None) -> RankStatus | None:
    """The rank to print on the receipt of a sale of ``amount_yen`` at ``at``; None when
    the program has no ranks (the receipt then prints none)."""
    if program is None or not program.ranking.ranks:
        return None
    ranking = program.ranking
    held = ranking.find(member.rank) or ranking.ranks[0]
    index = ranking.ranks.index(held)
    nxt = ranking.ranks[index + 1] if index + 1 < len(ranking.ranks) else None
    name_only = RankStatus(rank=held, spend_yen=0, visits=0, years=0, next_rank=nxt, to_next=())
    if nxt is None or purchases is None or nxt.min_years is not None:
        return name_only
    since = at - timedelta(days=ranking.window_days)
    try:
        known = list(purchases(member.member_id, since))
    except Exception:
        # The receipt must not fail over a nicety: it prints the rank's name.
        log.exception("rank progress not worked out")
        return name_only
    # Counted up to and including this sale (evaluate_rank takes purchases before as_of).
    local = evaluate_rank(ranking, [*known, Purchase(at, amount_yen)], enrolled_on=None,
                          as_of=at + timedelta(microseconds=1), tz=tz)  # type: ignore[arg-type]
    if ranking.ranks.index(local.rank) < index:
        return name_only  # the record here falls short of what HQ saw: figures unknown
    spend, visits = local.spend_yen, local.visits
    wanted = (("spend", nxt.min_spend_yen, spend), ("visits", nxt.min_visits, visits))
    missing = [(name, need - have) for name, need, have in wanted
               if need is not None and have < need]
    if nxt.require is Require.ANY and len(missing) < sum(need is not None for _, need, _ in wanted):
        missing = []  # one criterion is met already: HQ promotes at its next evaluation
    return RankStatus(rank=held, spend_yen=spend, visits=visits, years=0, next_rank=nxt,
                      to_next=tuple(Shortfall(name, need) for name, need in missing))
