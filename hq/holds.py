"""Online redemption holds: points reserved at HQ so two stores cannot spend them twice.

A hold is pending until the sale that names it is applied (posted), the register voids
it, or it times out (expired). A member's available points are the points of their lots
not yet expired, less their debt and their pending, unexpired holds; a hold is refused
when it asks for more. Expiry is decided by
HQ's clock whenever a hold is read, and `sweep` records it for holds nobody looked at.

Locks follow ingestion's order, member → hold, so holds and pushes never deadlock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from hq.auth import RegisterIdentity
from hq.errors import ConflictError, DeniedError, NotFoundError
from hq.idempotency import request_hash, retry_on_conflict
from hq.ledger_store import live_points
from hq.models import Hold, Member, utcnow
from sync.protocol import HoldRequest, HoldState


def expire_due(session: Session, member_id: str, now: datetime) -> None:
    """Record as expired the member's pending holds whose time is up."""
    session.execute(
        update(Hold)
        .where(Hold.member_id == member_id, Hold.status == "pending", Hold.expires_at <= now)
        .values(status="expired", closed_at=now)
        .execution_options(synchronize_session=False)
    )


def held_points(session: Session, member_id: str, now: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Hold.points), 0)).where(
            Hold.member_id == member_id, Hold.status == "pending", Hold.expires_at > now
        )
    )
    return int(total or 0)


def available_points(session: Session, member: Member, held: int, now: datetime) -> int:
    return live_points(session.connection(), member.member_id, now) - member.debt - held


def _state(session: Session, hold: Hold, member: Member, now: datetime) -> HoldState:
    held = held_points(session, member.member_id, now)
    return HoldState(
        hold_id=hold.hold_id,
        member_id=hold.member_id,
        points=hold.points,
        status=hold.status,  # type: ignore[arg-type]  # checked by the table constraint
        created_at=hold.created_at,
        expires_at=hold.expires_at,
        closed_at=hold.closed_at,
        op_id=hold.op_id,
        balance=member.balance,
        available=available_points(session, member, held, now),
    )


def _lock_member(session: Session, member_id: str) -> Member | None:
    return session.scalars(
        select(Member).where(Member.member_id == member_id).with_for_update()
    ).one_or_none()


def _lock_hold(session: Session, hold_id: str) -> Hold:
    hold = session.scalars(select(Hold).where(Hold.hold_id == hold_id).with_for_update()).one()
    session.refresh(hold)
    return hold


def _own(register: RegisterIdentity, hold: Hold) -> None:
    if hold.store_id != register.store_id:
        raise DeniedError(
            f"hold {hold.hold_id} belongs to store {hold.store_id}, not register "
            f"{register.device_id}'s store {register.store_id}"
        )


def _expire_if_due(hold: Hold, now: datetime) -> None:
    if hold.status == "pending" and hold.expires_at <= now:
        hold.status, hold.closed_at = "expired", now


def create_hold(engine: Engine, register: RegisterIdentity, req: HoldRequest) -> tuple[HoldState, bool]:
    """Reserve points; returns (hold, created). A retried `hold_id` gets the same hold."""
    digest = request_hash({"member_id": req.member_id, "points": req.points})

    def run() -> tuple[HoldState, bool]:
        with Session(engine) as session, session.begin():
            now = utcnow()
            member = _lock_member(session, req.member_id)
            existing = session.get(Hold, req.hold_id)
            if existing is not None:
                if existing.request_hash != digest:
                    raise ConflictError(
                        f"hold id {req.hold_id} was already used for another hold: make a new id"
                    )
                _own(register, existing)
                assert member is not None  # the hold's member exists (foreign key)
                hold = _lock_hold(session, req.hold_id)
                _expire_if_due(hold, now)
                session.flush()
                return _state(session, hold, member, now), False
            if member is None:
                raise NotFoundError(f"unknown member {req.member_id}")
            if member.merged_into:
                raise ConflictError(
                    f"member {member.member_no} was merged into member {member.merged_into}"
                )
            if member.status != "active":
                raise ConflictError(f"member {member.member_no} is blocked: no points can be held")
            expire_due(session, member.member_id, now)
            held = held_points(session, member.member_id, now)
            available = available_points(session, member, held, now)
            if req.points > available:
                raise ConflictError(
                    f"insufficient points: balance {member.balance}, held {held}, available "
                    f"{available}, requested {req.points}"
                )
            hold = Hold(
                hold_id=req.hold_id,
                member_id=member.member_id,
                points=req.points,
                status="pending",
                device_id=register.device_id,
                store_id=register.store_id,
                request_hash=digest,
                created_at=now,
                expires_at=now + timedelta(seconds=req.ttl),
                closed_at=None,
                op_id=None,
            )
            session.add(hold)
            session.flush()
            return _state(session, hold, member, now), True

    return retry_on_conflict(run)


def _member_and_hold(session: Session, hold_id: str) -> tuple[Member, Hold]:
    found = session.get(Hold, hold_id)
    if found is None:
        raise NotFoundError(f"unknown hold {hold_id}")
    member = _lock_member(session, found.member_id)
    assert member is not None  # foreign key
    return member, _lock_hold(session, hold_id)


def void_hold(engine: Engine, register: RegisterIdentity, hold_id: str) -> HoldState:
    """Release a pending hold. Voiding it again, or after it expired, changes nothing."""
    with Session(engine) as session, session.begin():
        now = utcnow()
        member, hold = _member_and_hold(session, hold_id)
        _own(register, hold)
        _expire_if_due(hold, now)
        if hold.status == "posted":
            raise ConflictError(
                f"hold {hold_id} was posted by sale {hold.op_id}: return the sale instead"
            )
        if hold.status == "pending":
            hold.status, hold.closed_at = "voided", now
        session.flush()
        return _state(session, hold, member, now)


def get_hold(engine: Engine, register: RegisterIdentity, hold_id: str) -> HoldState:
    with Session(engine) as session, session.begin():
        now = utcnow()
        member, hold = _member_and_hold(session, hold_id)
        _own(register, hold)
        _expire_if_due(hold, now)
        session.flush()
        return _state(session, hold, member, now)


def sweep(engine: Engine, now: datetime | None = None) -> int:
    """Record every pending hold whose time is up as expired; returns how many."""
    now = now or utcnow()
    with Session(engine) as session:
        due = session.execute(
            select(Hold.member_id)
            .where(Hold.status == "pending", Hold.expires_at <= now)
            .group_by(Hold.member_id)
        ).scalars().all()
    count = 0
    # One member per transaction, member locked first, like every other writer.
    for member_id in due:
        with Session(engine) as session, session.begin():
            _lock_member(session, member_id)
            result = session.execute(
                update(Hold)
                .where(Hold.member_id == member_id, Hold.status == "pending", Hold.expires_at <= now)
                .values(status="expired", closed_at=now)
                .execution_options(synchronize_session=False)
            )
            count += int(result.rowcount)  # type: ignore[attr-defined]
    return count
