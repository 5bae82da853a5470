"""Reports for a period of days: partner settlement, campaign effect, new members.

Periods are whole days in the newest program's time zone, `start` and `end` included.
Every figure is an integer (points, yen, members); averages are rounded down to the yen.
Each report is JSON-able data, and `to_csv` writes any of them as one table in long form
(one figure per row), which spreadsheets pivot as they like.

Settlement (原資精算): each company funds the points it issues. When one company's
points pay for goods at another company's store, the issuer owes the redeemer that many
yen (1 pt = ¥1). The basis is the allocations: each row says how many points of which
issuer's lot pay for which redemption at which redeemer; a return that gives redeemed
points back writes a negative row, so the period's net is what is owed.

Campaign effect compares the campaign's participants (members it granted points to in
the window) with comparable non-participants: members who got none of its points but
bought in the window at a store where it granted points and, when the program has ranks,
hold a rank some participant holds (a rank never set counts as the base rank). Members
who did not shop there in the window, or shop in another tier, are left out: they would
compare the campaign's shoppers with a different clientele. For both groups it gives
spend per member (at every store, returns deducted) in the window and in the equally long
period just before it; the difference of the two changes is the campaign's apparent lift
per participant. The report says how the group was chosen and how large it is. It is an
observational figure, not a controlled experiment: members who choose to join a campaign
differ from those who do not.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select

from hq.db import read_only
from hq.errors import DirectoryError
from hq.models import AllocationRow, CampaignGrant, LedgerEntry, Member, PurchaseRow
from hq.programs import newest_program
from loyalty.dates import JST, local_date, midnight

MAX_DAYS = 3660
_alloc = cast(Table, AllocationRow.__table__)
_entries = cast(Table, LedgerEntry.__table__)
_grants = cast(Table, CampaignGrant.__table__)
_purchases = cast(Table, PurchaseRow.__table__)
_members = cast(Table, Member.__table__)


def _tz(conn: Connection) -> timezone:
    program = newest_program(conn)
    return program.tz if program is not None else JST


def period(conn: Connection, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in the program's time zone."""
    for day in (start, end):
        if not date(2000, 1, 1) <= day <= date(2999, 12, 30):
            raise DirectoryError(f"date {day}: out of range")
    if end < start:
        raise DirectoryError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_DAYS:
        raise DirectoryError(f"a period of at most {MAX_DAYS} days, please")
    tz = _tz(conn)
    return midnight(start, tz), midnight(end + timedelta(days=1), tz)


def settlement(engine: Engine, start: date, end: date) -> dict[str, Any]:
    """Per company: points issued and taken back, redeemed at home, at partners and by
    partners' members here; per pair of companies, who owes whom how much."""
    with read_only(engine).connect() as conn:
        t0, t1 = period(conn, start, end)
        flows: dict[tuple[str, str], int] = {}
        for issuer, redeemer, points in conn.execute(
            select(_alloc.c.issuer, _alloc.c.redeemer, func.sum(_alloc.c.points))
            .where(_alloc.c.at >= t0, _alloc.c.at < t1)
            .group_by(_alloc.c.issuer, _alloc.c.redeemer)
        ):
            flows[(issuer, redeemer)] = int(points or 0)
        issued: dict[str, int] = {}
        reversed_: dict[str, int] = {}
        rows = conn.execute(select(_entries.c.kind, _entries.c.changes).where(
            _entries.c.kind.in_(["earn", "reverse_earn"]), _entries.c.created_at >= t0,
            _entries.c.created_at < t1))  # fmt: skip
        for kind, changes in rows:
            target = issued if kind == "earn" else reversed_
            for _lot, issuer, points, _redeemer in changes or ():
                target[issuer] = target.get(issuer, 0) + (points if kind == "earn" else -points)
    companies = sorted({c for pair in flows for c in pair} | set(issued) | set(reversed_))
    per_company = [{
        "company_id": c,
        "issued": issued.get(c, 0),
        "reversed": reversed_.get(c, 0),
        "redeemed_at_home": flows.get((c, c), 0),
        "redeemed_at_partners": sum(v for (i, r), v in flows.items() if i == c and r != c),
        "partners_redeemed_here": sum(v for (i, r), v in flows.items() if r == c and i != c),
    } for c in companies]  # fmt: skip
    pairs = []
    for i, a in enumerate(companies):
        for b in companies[i + 1:]:
            a_at_b, b_at_a = flows.get((a, b), 0), flows.get((b, a), 0)
            if not (a_at_b or b_at_a):
                continue
            net = a_at_b - b_at_a
            payer, payee = (a, b) if net >= 0 else (b, a)
            pairs.append({"payer": payer, "payee": payee, "points": abs(net),
                          "payer_points_redeemed_at_payee": flows.get((payer, payee), 0),
                          "payee_points_redeemed_at_payer": flows.get((payee, payer), 0)})  # fmt: skip
    return {"report": "settlement", "from": start.isoformat(), "to": end.isoformat(),
            "companies": per_company, "pairs": pairs}  # fmt: skip


def _spend(conn: Connection, t0: datetime, t1: datetime) -> dict[str, int]:
    rows = conn.execute(select(_purchases.c.member_id, func.sum(_purchases.c.amount_yen))
                        .where(_purchases.c.at >= t0, _purchases.c.at < t1)
                        .group_by(_purchases.c.member_id))  # fmt: skip
    return {m: int(total or 0) for m, total in rows}


def _group(members: set[str], now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    n = len(members)
    spend = sum(now.get(m, 0) for m in members)
    earlier = sum(before.get(m, 0) for m in members)
    return {"members": n, "spend_yen": spend, "spend_per_member_yen": spend // n if n else 0,
            "spend_before_yen": earlier, "spend_before_per_member_yen": earlier // n if n else 0}  # fmt: skip


def _comparison(conn: Connection, campaign_id: str, t0: datetime, t1: datetime,
                participants: set[str], stores: set[str]) -> tuple[set[str], list[str], str]:
    """Non-participants who bought in the window at the campaign's stores, in the
    participants' ranks when the program has ranks: (members, ranks, the rule in words)."""
    shoppers = {m for (m,) in conn.execute(
        select(_purchases.c.member_id).distinct()
        .where(_purchases.c.kind == "sale", _purchases.c.at >= t0, _purchases.c.at < t1,
               _purchases.c.store_id.in_(sorted(stores))))} - participants if stores else set()  # fmt: skip
    program = newest_program(conn)
    base = program.ranking.base if program is not None else None
    rule = (f"members without {campaign_id} points who bought in the window at a store where "
            "it granted points")  # fmt: skip
    if base is None:
        return shoppers, [], rule
    ranks: dict[str, str] = {}
    wanted = sorted(participants | shoppers)
    if wanted:
        for member_id, rank in conn.execute(select(_members.c.member_id, _members.c.rank)
                                            .where(_members.c.member_id.in_(wanted))):  # fmt: skip
            ranks[member_id] = rank or base.code
    held = sorted({ranks.get(m, base.code) for m in participants})
    rule += ", holding a rank a participant holds"
    return {m for m in shoppers if ranks.get(m, base.code) in held}, held, rule


def campaign_effect(engine: Engine, campaign_id: str, start: date, end: date) -> dict[str, Any]:
    """Points a campaign granted, members it reached, and the spend of its participants
    against comparable non-participants (see the module's description)."""
    with read_only(engine).connect() as conn:
        t0, t1 = period(conn, start, end)
        b0 = t0 - (t1 - t0)
        grants = conn.execute(select(_grants.c.member_id, _grants.c.points, _grants.c.store_id).where(
            _grants.c.campaign_id == campaign_id, _grants.c.at >= t0, _grants.c.at < t1)).all()  # fmt: skip
        participants = {m for m, _, _ in grants}
        stores = {store for _, _, store in grants}
        others, ranks, rule = _comparison(conn, campaign_id, t0, t1, participants, stores)
        now, before = _spend(conn, t0, t1), _spend(conn, b0, t0)
    p, o = _group(participants, now, before), _group(others, now, before)
    lift = ((p["spend_per_member_yen"] - p["spend_before_per_member_yen"])
            - (o["spend_per_member_yen"] - o["spend_before_per_member_yen"]))  # fmt: skip
    return {"report": "campaign_effect", "campaign_id": campaign_id, "from": start.isoformat(),
            "to": end.isoformat(), "points_granted": sum(int(pts) for _, pts, _ in grants),
            "grants": len(grants), "members_reached": len(participants),
            "participants": p, "non_participants": o,
            "comparison": {"rule": rule, "stores": sorted(stores), "ranks": ranks,
                           "members": len(others)},
            "lift_per_participant_yen": lift}  # fmt: skip


def new_members(engine: Engine, start: date, end: date, by: str = "store") -> dict[str, Any]:
    """Members enrolled per day and store (`by="store"`) or per day, store and staff."""
    if by not in ("store", "staff"):
        raise DirectoryError(f"by {by!r}: store or staff")
    with read_only(engine).connect() as conn:
        t0, t1 = period(conn, start, end)
        tz = _tz(conn)
        rows = conn.execute(select(_members.c.created_at, _members.c.enrolled_store_id,
                                   _members.c.enrolled_staff_id)
                            .where(_members.c.created_at >= t0, _members.c.created_at < t1))  # fmt: skip
        counts: dict[tuple[str, str, str], int] = {}
        for created_at, store_id, staff_id in rows:
            key = (local_date(created_at, tz).isoformat(), store_id or "", (staff_id or "") if by == "staff" else "")
            counts[key] = counts.get(key, 0) + 1
    out = []
    for (day, store_id, staff_id), n in sorted(counts.items()):
        row: dict[str, Any] = {"date": day, "store_id": store_id}
        if by == "staff":
            row["staff_id"] = staff_id
        row["new_members"] = n
        out.append(row)
    return {"report": "new_members", "from": start.isoformat(), "to": end.isoformat(), "by": by,
            "rows": out, "total": sum(counts.values())}  # fmt: skip


def _long_rows(report: dict[str, Any]) -> Iterable[list[Any]]:
    kind = report["report"]
    if kind == "settlement":
        yield ["company_id", "counterparty", "figure", "points"]
        for c in report["companies"]:
            for figure in ("issued", "reversed", "redeemed_at_home", "redeemed_at_partners",
                           "partners_redeemed_here"):
                yield [c["company_id"], "", figure, c[figure]]
        for p in report["pairs"]:
            yield [p["payer"], p["payee"], "owes", p["points"]]
    elif kind == "campaign_effect":
        yield ["campaign_id", "group", "figure", "value"]
        cid = report["campaign_id"]
        for figure in ("points_granted", "grants", "members_reached", "lift_per_participant_yen"):
            yield [cid, "", figure, report[figure]]
        for group in ("participants", "non_participants"):
            for figure, value in report[group].items():
                yield [cid, group, figure, value]
        comparison = report["comparison"]
        yield [cid, "comparison", "rule", comparison["rule"]]
        yield [cid, "comparison", "stores", " ".join(comparison["stores"])]
        yield [cid, "comparison", "ranks", " ".join(comparison["ranks"])]
        yield [cid, "comparison", "members", comparison["members"]]
    else:
        columns = ["date", "store_id"] + (["staff_id"] if report["by"] == "staff" else []) + ["new_members"]
        yield columns
        for row in report["rows"]:
            yield [row[c] for c in columns]


def to_csv(report: dict[str, Any]) -> str:
    """The report as CSV text (UTF-8, a header row, CRLF line ends as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _long_rows(report):
        writer.writerow(row)
    return out.getvalue()
