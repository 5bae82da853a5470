"""Jobs HQ runs for a date: point expiry and member ranks.

Both follow the newest program and are idempotent for their as-of date: running one
again changes nothing, because what it changed is no longer due (an expired lot holds no
points; a member already holds the rank the purchases give). The as-of date means the
start of that day in the program's time zone: expiring "as of 1 April" expires points
valid through 31 March. A date after today is refused, so no point expires early.

Members are processed in chunks, each chunk one transaction that locks its members in
`member_id` order (the order every writer uses), so a job runs beside pushes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Engine, Table, select, update

from hq.audit import Actor
from hq.bulk import insert_many
from hq.errors import DirectoryError
from hq.feed import FeedKind, publish_all
from hq.ledger_store import Ledger
from hq.models import AuditEntry, LotRow, Member, PurchaseRow, utcnow
from hq.programs import newest_program
from loyalty.dates import local_date, midnight
from loyalty.expiry import ExpiryKind
from loyalty.ledger import expire
from loyalty.program import Program
from loyalty.ranks import Purchase, evaluate_rank

CHUNK = 200
_members = cast(Table, Member.__table__)
_lots = cast(Table, LotRow.__table__)
_purchases = cast(Table, PurchaseRow.__table__)
_audit = cast(Table, AuditEntry.__table__)


@dataclass(frozen=True)
class ExpireResult:
    as_of: datetime
    members: int  # members whose points expired in this run
    points: int  # points expired in this run


@dataclass(frozen=True)
class RankChange:
    member_id: str
    member_no: str
    before: str
    after: str


@dataclass(frozen=True)
class RanksResult:
    as_of: datetime
    evaluated: int
    changes: tuple[RankChange, ...]


def _program(engine: Engine) -> Program:
    with engine.connect() as conn:
        program = newest_program(conn)
    if program is None:
        raise DirectoryError("no program is published: load one first (tamaru-hq load-program)")
    return program


def as_of_instant(day: date, program: Program, now: datetime) -> datetime:
    """The start of `day` in the program's time zone; refused if after today."""
    if not date(2000, 1, 1) <= day <= date(2999, 12, 31):
        raise DirectoryError(f"as-of date {day}: out of range")
    today = local_date(now, program.tz)
    if day > today:
        raise DirectoryError(f"as-of date {day} is after today ({today}): a job looks back, never ahead")
    return midnight(day, program.tz)


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _job_audit(conn: Connection, actor: Actor, action: str, key: str, after: dict[str, object],
               now: datetime) -> None:
    insert_many(conn, [(_audit, [{
        "at": now, "actor_kind": actor.kind, "actor": actor.name[:100], "action": action,
        "entity_kind": "job", "entity_key": key[:64], "before": None, "after": after,
        "reason": None,
    }])])  # fmt: skip


def expire_points(engine: Engine, day: date, *, actor: Actor, now: datetime | None = None) -> ExpireResult:
    """Expire, as of `day`, lots past their own date and, under a rolling policy, the normal
    points of members inactive (by the activities the program counts) for the term."""
    now = now or utcnow()
    program = _program(engine)
    as_of = as_of_instant(day, program, now)
    policy = program.expiry
    with engine.connect() as conn:
        due = {r.member_id for r in conn.execute(
            select(_lots.c.member_id).where(_lots.c.remaining > 0, _lots.c.expires_at <= as_of).distinct())}
        if policy.kind is ExpiryKind.ROLLING:
            # Whose rolling deadline has passed is decided per member below; these are the
            # members it could be.
            due |= {r.member_id for r in conn.execute(
                select(_lots.c.member_id).where(_lots.c.remaining > 0, _lots.c.expires_at.is_(None),
                                                _lots.c.kind == "normal").distinct())}
    members = points = 0
    for chunk in _chunks(sorted(due)):
        with engine.begin() as conn:
            ledger = Ledger(conn, now)
            ledger.lock(chunk)
            changed: list[tuple[FeedKind, str]] = []
            for member_id in chunk:
                book = ledger.books.get(member_id)
                if book is None:
                    continue
                applied = expire(book.account, op_id=f"expire-{day.isoformat()}", as_of=as_of, policy=policy)
                if not applied.entries:
                    continue
                gone = -sum(e.points for e in applied.entries)
                ledger.apply([(book, applied)], op_id=None, note=f"expired as of {day.isoformat()}")
                members += 1
                points += gone
                changed.append(("member", member_id))
            ledger.write_state()
            ledger.write_rows()
            publish_all(conn, changed, now)
    with engine.begin() as conn:
        _job_audit(conn, actor, "expire", f"expire:{day.isoformat()}",
                   {"as_of": as_of.isoformat(), "members": members, "points": points}, now)  # fmt: skip
    return ExpireResult(as_of, members, points)


def _current_owner(conn: Connection) -> dict[str, str]:
    """Merged members → the member they were merged into, followed to the end."""
    merged = dict(conn.execute(select(_members.c.member_id, _members.c.merged_into)
                               .where(_members.c.merged_into.is_not(None))).tuples().all())  # fmt: skip
    out = {}
    for start in merged:
        seen, current = {start}, merged[start]
        while current in merged and current not in seen:
            seen.add(current)
            current = merged[current]
        out[start] = current
    return out


def evaluate_ranks(engine: Engine, day: date, *, actor: Actor, now: datetime | None = None) -> RanksResult:
    """Each active member's rank as of `day`, from their purchases (returns deducted) in the
    program's window before it; changes are written, published and audited."""
    now = now or utcnow()
    program = _program(engine)
    ranking = program.ranking
    if not ranking.ranks:
        raise DirectoryError(f"program version {program.version} has no ranks")
    as_of = as_of_instant(day, program, now)
    start = as_of - timedelta(days=ranking.window_days)
    base = ranking.ranks[0].code
    history: dict[str, list[Purchase]] = {}
    with engine.connect() as conn:
        owner = _current_owner(conn)
        for r in conn.execute(select(_purchases.c.member_id, _purchases.c.at, _purchases.c.amount_yen)
                              .where(_purchases.c.at >= start, _purchases.c.at < as_of)):  # fmt: skip
            member = owner.get(r.member_id, r.member_id)
            history.setdefault(member, []).append(Purchase(r.at, int(r.amount_yen)))
        active = [r[0] for r in conn.execute(select(_members.c.member_id).where(
            _members.c.status == "active", _members.c.merged_into.is_(None)).order_by(_members.c.member_id))]
    changes: list[RankChange] = []
    evaluated = 0
    for chunk in _chunks(active):
        with engine.begin() as conn:
            rows = conn.execute(
                select(_members.c.member_id, _members.c.member_no, _members.c.rank,
                       _members.c.created_at, _members.c.status, _members.c.merged_into)
                .where(_members.c.member_id.in_(chunk)).order_by(_members.c.member_id)
                .with_for_update()
            ).all()  # fmt: skip
            changed: list[tuple[FeedKind, str]] = []
            audits = []
            for r in rows:
                if r.status != "active" or r.merged_into:
                    continue
                evaluated += 1
                status = evaluate_rank(ranking, history.get(r.member_id, ()),
                                       enrolled_on=local_date(r.created_at, program.tz), as_of=as_of,
                                       tz=program.tz)  # fmt: skip
                # A member whose rank was never set holds the base rank already.
                held = r.rank or base
                if status.rank.code == held:
                    continue
                conn.execute(update(_members).where(_members.c.member_id == r.member_id)
                             .values(rank=status.rank.code))  # fmt: skip
                changes.append(RankChange(r.member_id, r.member_no, held, status.rank.code))
                changed.append(("member", r.member_id))
                audits.append({
                    "at": now, "actor_kind": actor.kind, "actor": actor.name[:100],
                    "action": "rank_change", "entity_kind": "member", "entity_key": r.member_no,
                    "before": {"rank": held}, "after": {"rank": status.rank.code,
                    "spend_yen": status.spend_yen, "visits": status.visits, "as_of": as_of.isoformat()},
                    "reason": None,
                })  # fmt: skip
            publish_all(conn, changed, now)
            insert_many(conn, [(_audit, audits)])
    with engine.begin() as conn:
        _job_audit(conn, actor, "ranks", f"ranks:{day.isoformat()}",
                   {"as_of": as_of.isoformat(), "evaluated": evaluated, "changed": len(changes)}, now)  # fmt: skip
    return RanksResult(as_of, evaluated, tuple(changes))


__all__ = ["ExpireResult", "RankChange", "RanksResult", "as_of_instant", "evaluate_ranks",
           "expire_points"]
