"""HQ's figures behind members' ranks, sent with their state to the registers that ask.

A register prints on a sale's receipt what the member's next rank still needs. Only HQ
sees every register and store, so it sends its figures (`sync.protocol.RankProgress`)
counted as the ranks job counts them (`hq.jobs.evaluate_ranks`): the newest program's
window ending at `as_of`, in its time zone, sales less returns, the purchases of members
merged into a member counted as theirs, by `loyalty.ranks.evaluate_rank` itself.

A pull page holds up to a thousand members, so their purchases are read with two
statements whatever their number, not one per member: the members and, through a
recursive query on the (indexed) `merged_into`, those merged into them; then their
purchases in the window, by the `(member_id, at)` index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Table, select

from hq.models import Member, PurchaseRow
from loyalty.dates import local_date
from loyalty.program import Program
from loyalty.ranks import Purchase, evaluate_rank
from sync.protocol import RankProgress

_members = cast(Table, Member.__table__)
_purchases = cast(Table, PurchaseRow.__table__)


def rank_figures(conn: Connection, members: Sequence[Member], program: Program | None,
                 as_of: datetime) -> dict[str, RankProgress]:
    """Each member's figures as of `as_of`, by member id. None are made without a program
    with ranks, nor for a member merged into another (its purchases count for that one)."""
    if program is None or not program.ranking.ranks:
        return {}
    ranking = program.ranking
    wanted = [m for m in members if m.merged_into is None]
    if not wanted:
        return {}
    ids = sorted({m.member_id for m in wanted})
    owned = (select(_members.c.member_id.label("member_id"), _members.c.member_id.label("owner"))
             .where(_members.c.member_id.in_(ids)).cte("owned", recursive=True))
    # UNION, not UNION ALL: a cycle in `merged_into` (never written, but cheap to survive)
    # ends instead of recursing for ever.
    owned = owned.union(select(_members.c.member_id, owned.c.owner)
                        .where(_members.c.merged_into == owned.c.member_id))
    owner = dict(conn.execute(select(owned.c.member_id, owned.c.owner)).tuples().all())
    start = as_of - timedelta(days=ranking.window_days)
    # A second statement with the ids spelled out, not a join to the recursive query:
    # PostgreSQL cannot tell how few rows that yields and would hash the whole window of
    # every member's purchases instead of reading these members' by the index.
    rows = conn.execute(
        select(_purchases.c.member_id, _purchases.c.at, _purchases.c.amount_yen)
        .where(_purchases.c.member_id.in_(sorted(owner)), _purchases.c.at >= start,
               _purchases.c.at < as_of)).tuples().all()  # one fetch, not one per row
    history: dict[str, list[Purchase]] = {}
    for member_id, at, amount_yen in rows:
        history.setdefault(owner[member_id], []).append(Purchase(at, int(amount_yen)))
    figures: dict[str, RankProgress] = {}
    for member in wanted:
        since = local_date(member.created_at, program.tz)
        status = evaluate_rank(ranking, history.get(member.member_id, ()), enrolled_on=since,
                               as_of=as_of, tz=program.tz)
        figures[member.member_id] = RankProgress(
            as_of=as_of, spend_yen=status.spend_yen, visits=status.visits,
            last_visit_on=status.last_visit_on, member_since=since)
    return figures
