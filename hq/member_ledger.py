"""Ledger changes made at HQ rather than by a register's op: an admin's adjustment or
merge (a seeded member's opening points are `hq.ledger_store.opening_points`).

They go through the same `hq.ledger_store.Ledger` and `loyalty.ledger` operations as
pushed ops, in one transaction with their audit and feed rows. Their entries carry no
op id (the ops table holds only what registers sent); the lots they make are named
`adm-<uuid>#n`. Points are issued by the newest program's
company, and a new lot takes its expiry from that program's policy.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.auth import Identity
from hq.errors import ConflictError, DirectoryError, NotFoundError
from hq.feed import member_states, publish
from hq.idempotency import remember, replayed, request_hash, retry_on_conflict
from hq.ledger_store import Book, Ledger
from hq.members import lookup_in
from hq.models import Card, Member, utcnow
from hq.programs import issuer_and_policy
from loyalty.ledger import adjust, merge
from sync.protocol import MemberLookup, MemberState


class MergeResult(BaseModel):
    source: MemberState
    target: MemberState
    moved_points: int
    moved_cards: list[str]


def _locked(session: Session, ledger: Ledger, member_nos: list[str], *, full: bool = False) -> dict[str, Book]:
    found = dict(session.execute(select(Member.member_no, Member.member_id)
                                 .where(Member.member_no.in_(member_nos))).tuples().all())  # fmt: skip
    for no in member_nos:
        if no not in found:
            raise NotFoundError(f"unknown member number {no}")
    ids = list(found.values())
    ledger.lock(ids, full=ids if full else ())
    return {no: ledger.books[found[no]] for no in member_nos}


def _not_merged(book: Book) -> None:
    if book.merged_into:
        raise ConflictError(
            f"member {book.member_no} was merged into member {book.merged_into}: "
            "act on that member instead"
        )


def _write(session: Session, ledger: Ledger) -> None:
    ledger.write_state()
    ledger.write_rows()
    # The ledger wrote through the session's connection: reload what the ORM holds.
    session.expire_all()


def adjust_points(
    engine: Engine,
    who: Identity,
    member_no: str,
    points: int,
    reason: str,
    request_id: str | None = None,
) -> MemberLookup:
    """A manager's signed correction with a reason; never below zero or below held points."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise DirectoryError("points: a non-zero integer")
    reason = reason.strip()
    if not reason:
        raise DirectoryError("reason: must not be blank")
    actor = Actor.of(who)
    digest = request_hash({"member_no": member_no, "points": points, "reason": reason})

    def run() -> MemberLookup:
        with Session(engine) as session, session.begin():
            if request_id is not None:
                earlier = replayed(session, request_id, "adjust", actor, digest)
                if earlier is not None:
                    return MemberLookup.model_validate(earlier)
            now = utcnow()
            conn = session.connection()
            ledger = Ledger(conn, now)
            book = _locked(session, ledger, [member_no])[member_no]
            _not_merged(book)
            usable = book.account.available(now)
            if points < 0 and usable + points < 0:
                raise ConflictError(
                    f"adjusting by {points} would leave {usable + points} points: a balance never "
                    "goes below zero"
                )
            if points < 0 and usable + points < book.held:
                raise ConflictError(
                    f"adjusting by {points} would leave {usable + points} points, below the "
                    f"{book.held} points pending holds reserve"
                )
            before = book.balance
            issuer, policy = issuer_and_policy(conn)
            applied = adjust(book.account, op_id=f"adm-{uuid.uuid4()}", at=now, points=points,
                             reason=reason, issuer=issuer, policy=policy)  # fmt: skip
            ledger.apply([(book, applied)], op_id=None, note=reason)
            _write(session, ledger)
            member = session.get_one(Member, book.member_id)
            publish(session, "member", member.member_id, now)
            record(session, actor, "adjust", "member", member_no, before={"balance": before},
                   after={"balance": book.balance, "points": points}, reason=reason, at=now)  # fmt: skip
            result = lookup_in(session, member, now)
            if request_id is not None:
                remember(session, request_id, "adjust", actor, digest, result.model_dump(mode="json"))
            return result

    return retry_on_conflict(run)


def merge_members(engine: Engine, who: Identity, source_no: str, target_no: str, reason: str) -> MergeResult:
    """Move the source member's lots (with their expiry), debts and cards to the target; the
    source stays, blocked, with `merged_into`."""
    if source_no == target_no:
        raise DirectoryError("a member cannot be merged into itself")
    reason = reason.strip()
    if not reason:
        raise DirectoryError("reason: must not be blank")
    with Session(engine) as session, session.begin():
        now = utcnow()
        ledger = Ledger(session.connection(), now)
        books = _locked(session, ledger, [source_no, target_no], full=True)
        source, target = books[source_no], books[target_no]

        def states() -> dict[str, MemberState]:
            rows = list(session.scalars(select(Member).where(
                Member.member_id.in_([source.member_id, target.member_id]))))
            return member_states(session, rows)

        if source.merged_into == target.member_id:  # a retry of this very merge
            st = states()
            return MergeResult(source=st[source.member_id], target=st[target.member_id],
                               moved_points=0, moved_cards=[])  # fmt: skip
        _not_merged(source)
        _not_merged(target)
        if target.status != "active":
            raise ConflictError(f"member {target_no} is blocked: merge into an active member")
        if source.held:
            raise ConflictError(
                f"member {source_no} has pending holds: void them or let them expire first"
            )
        before = {"source_balance": source.balance, "target_balance": target.balance}
        moved = source.balance
        pair = merge(source.account, target.account, op_id=f"adm-{uuid.uuid4()}", at=now)
        ledger.apply([(source, pair[0]), (target, pair[1])], op_id=None, note=reason)
        source.status, source.merged_into = "blocked", target.member_id
        _write(session, ledger)
        cards = list(session.scalars(select(Card).where(Card.member_id == source.member_id).order_by(Card.uid)))
        for card in cards:
            card.member_id = target.member_id
        session.flush()
        for card in cards:
            publish(session, "card", card.uid, now)
        for member_id in sorted((source.member_id, target.member_id)):
            publish(session, "member", member_id, now)
        record(session, Actor.of(who), "merge", "member", source_no, before=before,
               after={"into": target_no, "moved_points": moved, "moved_cards": [c.uid for c in cards],
                      "target_balance": target.balance}, reason=reason, at=now)  # fmt: skip
        st = states()
        return MergeResult(source=st[source.member_id], target=st[target.member_id],
                           moved_points=moved, moved_cards=[c.uid for c in cards])  # fmt: skip


__all__ = ["MergeResult", "adjust_points", "merge_members"]
