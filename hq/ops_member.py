"""Member ops a register sends through push: adjust, enroll, card_block, card_reissue, merge.

They work offline at the counter like sales: the register records them, HQ applies each
once by `op_id`, and every one is audited under the register and its staff member.
Adjustments and merges are a manager's: they need `staff_id` (the register checks the
manager's PIN; HQ records who). A merge moves the source member's lots with their
expiry, debts and redemptions (`loyalty.ledger.merge`), so a later return of an old sale
still finds them, and the source's cards; the source stays, blocked, with `merged_into`.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, cast

from sqlalchemy import Table, select

from hq.batch import (
    CARD_IN_USE,
    INSUFFICIENT_BALANCE,
    INVALID_CARD_UID,
    INVALID_MEMBER,
    INVALID_PHONE,
    INVALID_REASON,
    MEMBER_BLOCKED,
    MEMBER_EXISTS,
    MEMBER_HAS_HOLDS,
    MEMBER_NO_TAKEN,
    SAME_MEMBER,
    STAFF_REQUIRED,
    UNKNOWN_CARD,
    UNKNOWN_MEMBER,
    Batch,
    CardRow,
    Decision,
    Refused,
)
from hq.directory import normalize_card_uid
from hq.errors import DirectoryError
from hq.ledger_store import Book
from hq.models import Card, Member
from hq.phone import mask_phone, normalize_phone, phone_hash, phone_hash_key_conn
from loyalty.ledger import Account, adjust, merge
from loyalty.scan import make_member_no, member_no_is_valid
from sync.protocol import (
    AdjustPayload,
    CardBlockPayload,
    CardReissuePayload,
    EnrollPayload,
    MergePayload,
    Op,
)

MEMBER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_members = cast(Table, Member.__table__)
_cards = cast(Table, Card.__table__)


def _applied(book: Book, **extra: Any) -> dict[str, Any]:
    return {"status": "applied", "member_id": book.member_id, "balance": book.balance,
            "debt": book.debt, **extra}  # fmt: skip


def _staff(op: Op) -> str:
    if not op.staff_id:
        raise Refused(STAFF_REQUIRED, op.member_id)
    return op.staff_id


def _uid(text: str) -> str:
    try:
        return normalize_card_uid(text)
    except DirectoryError:
        raise Refused(INVALID_CARD_UID) from None


def decide_adjust(batch: Batch, op: Op) -> Decision:
    p = cast(AdjustPayload, op.payload)
    _staff(op)
    reason = p.reason.strip()
    if not reason:
        raise Refused(INVALID_REASON, op.member_id)
    program = batch.program(op.program_version)
    book = batch.book(op.member_id)
    if p.points < 0 and -p.points > book.account.available(batch.now) - book.held:
        raise Refused(INSUFFICIENT_BALANCE, book.member_id)
    before = book.balance
    applied = adjust(book.account, op_id=op.op_id, at=batch.now, points=p.points, reason=reason,
                     issuer=batch.register.company_id, policy=program.expiry)  # fmt: skip
    batch.ledger.apply([(book, applied)], op_id=op.op_id, note=reason)
    batch.audit(op, "adjust", "member", book.member_no, before={"balance": before},
                after={"balance": book.balance, "points": p.points}, reason=reason)  # fmt: skip
    return Decision({"op_id": op.op_id, **_applied(book)}, [("member", book.member_id)])


def _member_no_taken(batch: Batch, member_no: str) -> bool:
    if member_no in batch.member_nos:
        return True
    found = batch.conn.execute(select(_members.c.member_id).where(_members.c.member_no == member_no))
    return found.first() is not None


def _new_member_no(batch: Batch) -> str:
    while True:
        member_no = make_member_no(secrets.randbelow(10**10))
        if not _member_no_taken(batch, member_no):
            return member_no


def decide_enroll(batch: Batch, op: Op) -> Decision:
    p = cast(EnrollPayload, op.payload)
    member_id = op.member_id
    if not MEMBER_ID.fullmatch(member_id):
        raise Refused(INVALID_MEMBER)
    if member_id in batch.ledger.books:
        raise Refused(MEMBER_EXISTS, member_id)
    name = p.display_name.strip()
    if not name:
        raise Refused(INVALID_MEMBER)
    if p.member_no is not None:
        if not member_no_is_valid(p.member_no):
            raise Refused(INVALID_MEMBER)
        if _member_no_taken(batch, p.member_no):
            raise Refused(MEMBER_NO_TAKEN)
    uid = _uid(p.card_uid) if p.card_uid else None
    if uid is not None:
        batch.load_cards({uid})
        if uid in batch.cards:
            raise Refused(CARD_IN_USE)
    digits = None
    if p.phone:
        try:
            digits = normalize_phone(p.phone)
        except DirectoryError:
            raise Refused(INVALID_PHONE) from None
    member_no = p.member_no or _new_member_no(batch)
    batch.member_nos.add(member_no)
    at = min(op.local_time, batch.now)
    if digits is not None and batch.phone_key is None:
        batch.phone_key = phone_hash_key_conn(batch.conn)
    masked = mask_phone(digits) if digits else None
    row = {
        "member_id": member_id, "member_no": member_no, "display_name": name,
        "status": "active", "balance": 0, "created_at": at, "kana": p.kana.strip(),
        "birth_month": p.birth_month,
        "phone_hash": phone_hash(batch.phone_key, digits) if digits and batch.phone_key else None,
        "phone_masked": masked, "merged_into": None, "enrolled_store_id": op.store_id,
        "enrolled_staff_id": op.staff_id, "enrolled_device_id": op.device_id, "debt": 0,
        "rank": "", "last_earn_at": None, "last_use_at": None, "first_purchase_at": None,
    }  # fmt: skip
    book = Book(member_id, member_no, "active", None, "", p.birth_month, at, None, 0,
                Account(member_id), new_row=row)
    batch.ledger.add_member(book)
    feed = [("member", member_id)]
    if uid is not None:
        batch.cards[uid] = CardRow(uid, member_id, "active", new=True)
        feed.append(("card", uid))
    batch.audit(op, "enroll", "member", member_no,
                after={"member_id": member_id, "display_name": name, "kana": row["kana"],
                       "birth_month": p.birth_month, "phone_masked": masked, "card_uid": uid,
                       "store_id": op.store_id})  # fmt: skip
    return Decision({"op_id": op.op_id, **_applied(book, member_no=member_no)}, feed)


def decide_card_block(batch: Batch, op: Op) -> Decision:
    p = cast(CardBlockPayload, op.payload)
    uid = _uid(p.card_uid)
    card = batch.cards.get(uid)
    if card is None:
        raise Refused(UNKNOWN_CARD)
    book = batch.ledger.books.get(card.member_id)
    if book is None:
        raise Refused(UNKNOWN_MEMBER)
    feed: list[tuple[str, str]] = []
    if card.status != "blocked":
        card.status, card.touched = "blocked", True
        feed.append(("card", uid))
        batch.audit(op, "block_card", "card", uid, before={"status": "active"},
                    after={"status": "blocked", "member_no": book.member_no}, reason=p.reason)  # fmt: skip
    return Decision({"op_id": op.op_id, **_applied(book)}, feed)


def decide_card_reissue(batch: Batch, op: Op) -> Decision:
    p = cast(CardReissuePayload, op.payload)
    old_uid, new_uid = _uid(p.old_card_uid), _uid(p.new_card_uid)
    if old_uid == new_uid:
        raise Refused(INVALID_CARD_UID)
    old = batch.cards.get(old_uid)
    if old is None:
        raise Refused(UNKNOWN_CARD)
    book = batch.book(old.member_id)
    new = batch.cards.get(new_uid)
    if new is not None:
        if new.member_id == book.member_id and old.status == "blocked":
            return Decision({"op_id": op.op_id, **_applied(book)})  # the same reissue again
        raise Refused(CARD_IN_USE, book.member_id)
    if old.status != "blocked":
        old.status, old.touched = "blocked", True
    batch.cards[new_uid] = CardRow(new_uid, book.member_id, "active", new=True)
    batch.audit(op, "reissue_card", "member", book.member_no, before={"card_uid": old_uid},
                after={"card_uid": new_uid, "blocked": old_uid, "balance": book.balance},
                reason=p.reason or None)  # fmt: skip
    return Decision({"op_id": op.op_id, **_applied(book)}, [("card", old_uid), ("card", new_uid)])


def decide_merge(batch: Batch, op: Op) -> Decision:
    p = cast(MergePayload, op.payload)
    _staff(op)
    if p.source_member_id == p.target_member_id:
        raise Refused(SAME_MEMBER, p.target_member_id)
    source = batch.ledger.books.get(p.source_member_id)
    target = batch.ledger.books.get(p.target_member_id)
    if source is None or target is None:
        raise Refused(UNKNOWN_MEMBER)
    if source.merged_into == target.member_id:
        return Decision({"op_id": op.op_id, **_applied(target)})  # merged already
    if source.status != "active" or target.status != "active":
        raise Refused(MEMBER_BLOCKED, target.member_id)
    if source.held:
        raise Refused(MEMBER_HAS_HOLDS, source.member_id)
    before = {"source_balance": source.balance, "target_balance": target.balance}
    moved = source.balance
    pair = merge(source.account, target.account, op_id=op.op_id, at=batch.now)
    batch.ledger.apply([(source, pair[0]), (target, pair[1])], op_id=op.op_id,
                       note=p.reason or None)  # fmt: skip
    source.status, source.merged_into = "blocked", target.member_id
    moved_cards = sorted(uid for uid, c in batch.cards.items() if c.member_id == source.member_id)
    for uid in moved_cards:
        card = batch.cards[uid]
        card.member_id, card.touched = target.member_id, True
    batch.audit(op, "merge", "member", source.member_no, before=before,
                after={"into": target.member_no, "moved_points": moved, "moved_cards": moved_cards,
                       "target_balance": target.balance}, reason=p.reason or None)  # fmt: skip
    feed = [("member", source.member_id), ("member", target.member_id)]
    feed += [("card", uid) for uid in moved_cards]
    return Decision({"op_id": op.op_id, **_applied(target)}, feed)


def cards_of(batch: Batch, member_ids: list[str]) -> set[str]:
    """Card uids of these members (a merge moves them all)."""
    if not member_ids:
        return set()
    rows = batch.conn.execute(select(_cards.c.uid).where(_cards.c.member_id.in_(member_ids)))
    return {r.uid for r in rows}
