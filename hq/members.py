"""Members day to day: enrol, profile, cards, look-up and history.

Every change runs in one transaction with its audit row and the feed rows registers
pull (blocked cards included). Members are locked in `member_id` order, the same order
ingestion uses, so these never deadlock with a push. Points move only through the
ledger: adjustments and merges are in `hq.member_ledger`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.auth import Identity, RegisterIdentity
from hq.db import read_only
from hq.directory import normalize_card_uid
from hq.errors import ConflictError, DirectoryError, NotFoundError
from hq.feed import card_state, member_states, publish
from hq.idempotency import remember, replayed, request_hash, retry_on_conflict
from hq.ledger_store import live_points
from hq.models import Card, Hold, LedgerEntry, Member, utcnow
from hq.phone import mask_phone, normalize_phone, phone_hash, phone_hash_key
from hq.provisioning import check_id
from sync.protocol import EnrollRequest, HistoryEntry, HistoryPage, MemberLookup

MAX_HISTORY_PAGE = 200
MEMBER_NO_PREFIX = "29"  # the in-store range of JAN codes, so a printed number scans as one


class ProfileUpdate(BaseModel):
    """Only the fields sent change; `phone: null` removes the number."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    kana: str | None = Field(default=None, max_length=100)
    birth_month: int | None = Field(default=None, ge=1, le=12)
    phone: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=500)


def _jan_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def new_member_no() -> str:
    body = MEMBER_NO_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + _jan_check_digit(body)


def _member_by_no(session: Session, member_no: str, *, lock: bool = False) -> Member:
    stmt = select(Member).where(Member.member_no == member_no)
    if lock:
        stmt = stmt.with_for_update()
    member = session.scalars(stmt).one_or_none()
    if member is None:
        raise NotFoundError(f"unknown member number {member_no}")
    return member


def _lock(session: Session, member: Member) -> Member:
    locked = session.scalars(
        select(Member).where(Member.member_id == member.member_id).with_for_update()
    ).one()
    return locked


def _held(session: Session, member_id: str, now: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Hold.points), 0)).where(
            Hold.member_id == member_id, Hold.status == "pending", Hold.expires_at > now
        )
    )
    return int(total or 0)


def _not_merged(member: Member) -> None:
    if member.merged_into:
        raise ConflictError(
            f"member {member.member_no} was merged into member {member.merged_into}: "
            "act on that member instead"
        )


def _profile(member: Member) -> dict[str, Any]:
    return {
        "display_name": member.display_name,
        "kana": member.kana,
        "birth_month": member.birth_month,
        "phone_masked": member.phone_masked,
        "status": member.status,
    }


def lookup_in(session: Session, member: Member, now: datetime | None = None, *,
              rank_progress: bool = False) -> MemberLookup:
    """The member now: points by expiry, cards, what holds reserve and what is left to use
    (points not yet expired, less debt and holds); with `rank_progress`, the figures
    behind the member's rank."""
    now = now or utcnow()
    held = _held(session, member.member_id, now)
    cards = session.scalars(select(Card).where(Card.member_id == member.member_id).order_by(Card.created_at, Card.uid))
    live = live_points(session.connection(), member.member_id, now)
    return MemberLookup(
        member=member_states(session, [member], rank_progress=rank_progress, now=now)[member.member_id],
        cards=[card_state(c) for c in cards],
        held=held,
        available=live - member.debt - held,
    )


def lookup(engine: Engine, member_no: str, *, rank_progress: bool = False,
           now: datetime | None = None) -> MemberLookup:
    with Session(read_only(engine)) as session, session.begin():
        return lookup_in(session, _member_by_no(session, member_no), now,
                         rank_progress=rank_progress)


def find_by_phone(engine: Engine, phone: str) -> list[MemberLookup]:
    digits = normalize_phone(phone)
    with Session(read_only(engine)) as session, session.begin():
        digest = phone_hash(phone_hash_key(session), digits)
        members = session.scalars(select(Member).where(Member.phone_hash == digest).order_by(Member.member_no))
        return [lookup_in(session, m) for m in members]


def _clean_name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise DirectoryError(f"{what}: must not be blank")
    return value


def enroll(engine: Engine, who: Identity, req: EnrollRequest) -> tuple[MemberLookup, bool]:
    """Enrol a member; returns (member, created). A retried request id gets the first answer."""
    actor = Actor.of(who, req.staff_id)
    digest = request_hash(req.model_dump(mode="json"))
    store_id: str | None
    device_id: str | None
    if isinstance(who, RegisterIdentity):
        if req.store_id not in (None, who.store_id):
            raise DirectoryError(
                f"store_id {req.store_id!r}: register {who.device_id} enrols for its own store "
                f"{who.store_id!r} only"
            )
        store_id, device_id = who.store_id, who.device_id
    else:
        store_id = check_id("store id", req.store_id) if req.store_id else None
        device_id = None
    display_name = _clean_name(req.display_name, "display name")
    uid = normalize_card_uid(req.card_uid) if req.card_uid else None
    digits = normalize_phone(req.phone) if req.phone else None
    if req.staff_id:
        check_id("staff id", req.staff_id)

    def run() -> tuple[MemberLookup, bool]:
        with Session(engine) as session, session.begin():
            earlier = replayed(session, req.request_id, "enroll", actor, digest)
            if earlier is not None:
                return MemberLookup.model_validate(earlier), False
            if uid is not None and (card := session.get(Card, uid)) is not None:
                raise ConflictError(f"card {uid} already belongs to member {card.member_id}")
            member_no = req.member_no
            if member_no is not None:
                if session.scalars(select(Member.member_id).where(Member.member_no == member_no)).first():
                    raise ConflictError(f"member number {member_no} already exists")
            else:
                member_no = new_member_no()
                while session.scalars(select(Member.member_id).where(Member.member_no == member_no)).first():
                    member_no = new_member_no()
            now = utcnow()
            key = phone_hash_key(session)
            member = Member(
                member_id=f"M{secrets.token_hex(8)}",
                member_no=member_no,
                display_name=display_name,
                status="active",
                balance=0,
                created_at=now,
                kana=req.kana.strip(),
                birth_month=req.birth_month,
                phone_hash=phone_hash(key, digits) if digits else None,
                phone_masked=mask_phone(digits) if digits else None,
                merged_into=None,
                enrolled_store_id=store_id,
                enrolled_staff_id=req.staff_id,
                enrolled_device_id=device_id,
            )
            session.add(member)
            session.flush()
            if uid is not None:
                session.add(Card(uid=uid, member_id=member.member_id, status="active", created_at=now))
                session.flush()
            publish(session, "member", member.member_id, now)
            if uid is not None:
                publish(session, "card", uid, now)
            record(session, actor, "enroll", "member", member_no,
                   after={**_profile(member), "member_id": member.member_id, "card_uid": uid,
                          "store_id": store_id}, at=now)  # fmt: skip
            result = lookup_in(session, member, now)
            remember(session, req.request_id, "enroll", actor, digest, result.model_dump(mode="json"))
            return result, True

    return retry_on_conflict(run)


def update_profile(engine: Engine, who: Identity, member_no: str, change: ProfileUpdate) -> MemberLookup:
    given = change.model_fields_set - {"reason"}
    if not given:
        raise DirectoryError("nothing to change: send display_name, kana, birth_month or phone")
    with Session(engine) as session, session.begin():
        member = _member_by_no(session, member_no, lock=True)
        _not_merged(member)
        before = _profile(member)
        if "display_name" in given:
            if change.display_name is None:
                raise DirectoryError("display name: must not be null")
            member.display_name = _clean_name(change.display_name, "display name")
        if "kana" in given:
            member.kana = (change.kana or "").strip()
        if "birth_month" in given:
            member.birth_month = change.birth_month
        if "phone" in given:
            if change.phone:
                digits = normalize_phone(change.phone)
                member.phone_hash = phone_hash(phone_hash_key(session), digits)
                member.phone_masked = mask_phone(digits)
            else:
                member.phone_hash = member.phone_masked = None
        after = _profile(member)
        if after != before:
            now = utcnow()
            session.flush()
            publish(session, "member", member.member_id, now)
            changed = [k for k in after if after[k] != before[k]]
            record(session, Actor.of(who), "update_profile", "member", member_no,
                   before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                   reason=change.reason, at=now)  # fmt: skip
        return lookup_in(session, member)


def block_card(engine: Engine, who: Identity, uid: str, reason: str | None) -> MemberLookup:
    uid = normalize_card_uid(uid)
    with Session(engine) as session, session.begin():
        card = session.get(Card, uid)
        if card is None:
            raise NotFoundError(f"unknown card {uid}")
        member = _lock(session, session.get_one(Member, card.member_id))
        card = session.scalars(select(Card).where(Card.uid == uid).with_for_update()).one()
        if card.status != "blocked":
            now = utcnow()
            card.status = "blocked"
            session.flush()
            publish(session, "card", uid, now)
            record(session, Actor.of(who), "block_card", "card", uid, before={"status": "active"},
                   after={"status": "blocked", "member_no": member.member_no}, reason=reason, at=now)  # fmt: skip
        return lookup_in(session, member)


def reissue_card(
    engine: Engine, who: Identity, old_uid: str, new_uid: str, reason: str | None
) -> MemberLookup:
    """Block the old card and give its member a new one; the balance stays with the member."""
    old_uid, new_uid = normalize_card_uid(old_uid), normalize_card_uid(new_uid)
    if old_uid == new_uid:
        raise DirectoryError("the new card UID is the old one")

    def run() -> MemberLookup:
        with Session(engine) as session, session.begin():
            old = session.get(Card, old_uid)
            if old is None:
                raise NotFoundError(f"unknown card {old_uid}")
            member = _lock(session, session.get_one(Member, old.member_id))
            _not_merged(member)
            existing = session.get(Card, new_uid)
            if existing is not None:
                if existing.member_id == member.member_id and old.status == "blocked":
                    return lookup_in(session, member)  # a retry of this very reissue
                raise ConflictError(f"card {new_uid} already belongs to member {existing.member_id}")
            now = utcnow()
            old.status = "blocked"
            session.add(Card(uid=new_uid, member_id=member.member_id, status="active", created_at=now))
            session.flush()
            publish(session, "card", old_uid, now)
            publish(session, "card", new_uid, now)
            record(session, Actor.of(who), "reissue_card", "member", member.member_no,
                   before={"card_uid": old_uid}, after={"card_uid": new_uid, "blocked": old_uid},
                   reason=reason, at=now)  # fmt: skip
            return lookup_in(session, member, now)

    return retry_on_conflict(run)


def history(engine: Engine, member_no: str, *, limit: int = 50, before: int | None = None) -> HistoryPage:
    """Ledger entries newest first, each with the balance right after it."""
    limit = max(1, min(limit, MAX_HISTORY_PAGE))
    with Session(read_only(engine)) as session, session.begin():
        member = _member_by_no(session, member_no)
        stmt = select(LedgerEntry).where(LedgerEntry.member_id == member.member_id)
        if before is not None:
            stmt = stmt.where(LedgerEntry.id < before)
        rows = list(session.scalars(stmt.order_by(LedgerEntry.id.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        entries: list[HistoryEntry] = []
        if rows:
            # A member's entries are written under the member's lock, so ids follow commit
            # order and the sum up to an id is the balance right after that entry.
            running = int(session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                    LedgerEntry.member_id == member.member_id, LedgerEntry.id <= rows[0].id
                )
            ) or 0)  # fmt: skip
            for row in rows:
                entries.append(HistoryEntry(entry_id=row.id, at=row.created_at, kind=row.kind,
                                            points=row.points, balance_after=running,
                                            op_id=row.op_id, note=row.note))  # fmt: skip
                running -= row.points
        return HistoryPage(
            member_no=member_no, entries=entries, next_before=rows[-1].id if more else None
        )

