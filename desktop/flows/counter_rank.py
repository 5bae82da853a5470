"""The member's rank progress for a sale's receipt: the rank held and what the next needs.

HQ evaluates ranks (its rank job) and sends each member's rank code with the pull feed,
and, to a register that asks, the figures behind it (`MemberView.rank_figures`): the
spend and visits it counted over the ranking window as of a moment, at every register
and store, and the day the member enrolled. The rank printed is always HQ's
(`MemberView.rank`, or the program's first rank), never one the register works out by
itself: the quote's rank bonus was computed with HQ's rank, and the receipt must agree.

What the next rank still needs is worked out (`loyalty.ranks`) from:

- HQ's figures when the register has them, plus what HQ has not counted yet: this
  register's sales and returns of the member after the figures were written (or still
  unanswered), and the sale being recorded. A day is a new visit when it is after the
  last day HQ counted. Years of membership run from the enrolment day HQ sent.
- Otherwise (an HQ from before the figures) the register's own record of the member's
  sales and returns, plus this sale. When that record does not even reach the rank HQ
  gave (the member shops at other registers or stores too), the figures are known to be
  short and only the rank's name is printed; so it is for a next rank that needs years
  of membership, since the register does not know when the member enrolled.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

from sqlalchemy import or_, select

from loyalty.dates import local_date
from loyalty.program import Program
from loyalty.ranks import (
    Purchase,
    Rank,
    Ranking,
    RankStatus,
    evaluate_rank,
    full_years,
    progress_from,
)
from sync.models import PENDING_STATES, OutboxOp
from sync.protocol import Op, ReturnPayload, SalePayload
from sync.store import MemberView, RankFigures, RegisterStore

log = logging.getLogger(__name__)


class Purchases(Protocol):
    """The member's sales (+) and returns (−) recorded here since `since`, refused ones
    left out; with `after_seq`, only those HQ's figures do not hold: numbered after it,
    or still waiting for HQ's answer."""

    def __call__(self, member_id: str, since: datetime, *,
                 after_seq: int | None = None) -> Sequence[Purchase]: ...


def local_purchases(store: RegisterStore) -> Purchases:
    """The member's sales and returns this register recorded (any thread)."""

    def purchases(member_id: str, since: datetime, *,
                  after_seq: int | None = None) -> list[Purchase]:
        found: list[Purchase] = []
        query = select(OutboxOp.body).where(OutboxOp.member_id == member_id,
                                            OutboxOp.kind.in_(("sale", "return")),
                                            OutboxOp.state != "rejected",
                                            OutboxOp.created_at >= since)
        if after_seq is not None:
            query = query.where(or_(OutboxOp.device_seq > after_seq,
                                    OutboxOp.state.in_(PENDING_STATES)))
        with store.reading() as session:
            for body in session.scalars(query):
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
    figures = member.rank_figures
    if nxt is None or purchases is None or (figures is None and nxt.min_years is not None):
        return name_only
    since = at - timedelta(days=ranking.window_days)
    try:
        known = list(purchases(member.member_id, since,
                               after_seq=figures.seq if figures is not None else None))
    except Exception:
        # The receipt must not fail over a nicety: it prints the rank's name.
        log.exception("rank progress not worked out")
        return name_only
    this_sale = Purchase(at, amount_yen)
    if figures is not None:
        return _from_hq(ranking, held, figures, [*known, this_sale], at=at, tz=tz)
    return _from_record(ranking, held, [*known, this_sale], at=at, tz=tz) or name_only


def _from_hq(ranking: Ranking, held: Rank, figures: RankFigures, uncounted: list[Purchase], *,
             at: datetime, tz: tzinfo) -> RankStatus:
    """HQ's figures, plus the purchases it has not counted (this sale among them)."""
    start = at - timedelta(days=ranking.window_days)
    # What HQ counted fell in the window ending at `as_of`; purchases that have left the
    # window since are not known here and are not taken off. `as_of` is when the member
    # last changed at HQ (any sale or return anywhere republishes them), so it is mostly
    # recent. Figures older than the whole window have nothing left in it.
    stale = figures.as_of <= start
    spend = 0 if stale else figures.spend_yen
    visits = 0 if stale else figures.visits
    days: set[date] = set()
    for p in uncounted:
        if start <= p.at <= at:
            spend += p.amount_yen
            if p.amount_yen > 0:
                days.add(local_date(p.at, tz))  # type: ignore[arg-type]
    last = None if stale else figures.last_visit_on
    visits += sum(1 for day in days if last is None or day > last)
    years = full_years(figures.member_since, local_date(at, tz))  # type: ignore[arg-type]
    return progress_from(ranking, held, spend_yen=spend, visits=visits, years=years)


def _from_record(ranking: Ranking, held: Rank, record: list[Purchase], *, at: datetime,
                 tz: tzinfo) -> RankStatus | None:
    """The register's own record (this sale among it); None when it does not reach HQ's
    rank, so its figures are known to be short."""
    # Counted up to and including this sale (evaluate_rank takes purchases before as_of).
    local = evaluate_rank(ranking, record, enrolled_on=None,
                          as_of=at + timedelta(microseconds=1), tz=tz)  # type: ignore[arg-type]
    if ranking.ranks.index(local.rank) < ranking.ranks.index(held):
        return None
    # No years here: a next rank that needs them printed the name only (see above).
    return progress_from(ranking, held, spend_yen=local.spend_yen, visits=local.visits, years=0)
