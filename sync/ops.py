"""Recording the register's other ops: returns, adjustments, enrolments, card blocks and
reissues, merges — the way `RegisterStore.record_sale` writes a sale (`sync.ops_core`):
one transaction takes the next device_seq, stores the op as it will be sent, its local
effect (`points_delta`, the register's estimate until HQ answers), the cached directory
changes the counter needs at once (a new member and card, a blocked card), its receipt,
and an audit row naming the staff member and the approving manager. HQ is authoritative.

This module holds the manager's corrections, enrolment, cards and merges; returns are in
`sync.ops_returns`, and both are reached from here. Writes run on the store thread
(`sync.worker.StoreWorker`); the read helpers at the end may run on any thread.
"""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from datetime import datetime

from loyalty.message import QT_TRANSLATE_NOOP, Message
from loyalty.scan import member_no_is_valid
from sync import store_views
from sync.ops_core import (
    _CARD_UID_LENGTHS,
    KIND_NAMES,
    OpFacts,
    OpReceiptBuilder,
    RecordedOp,
    ReturnEstimate,
    _Plan,
    _record,
    record_op,
)
from sync.ops_returns import (
    SaleNotHere,
    SaleRecord,
    find_sale,
    normalize_receipt_no,
    record_return,
    return_estimate,
    sale_from_hq,
    with_local_returns,
)
from sync.phone import normalize_phone, phone_lookup_hash
from sync.protocol import (
    AdjustPayload,
    CardBlockPayload,
    CardReissuePayload,
    EnrollPayload,
    MergePayload,
)
from sync.store import RegisterStore
from sync.store_views import MemberView, StoreError

OVER_BALANCE_ADJUST = QT_TRANSLATE_NOOP("core", "残高（{balance:,} pt）を超えて減らせません")

__all__ = [
    "KIND_NAMES", "OpFacts", "RecordedOp", "ReturnEstimate", "SaleNotHere", "SaleRecord",
    "cards_of", "find_sale", "is_provisional", "mask_phone", "normalize_card_uid",
    "normalize_receipt_no", "record_adjust", "record_card_block", "record_card_reissue",
    "record_enroll", "record_merge", "record_op", "record_return", "return_estimate",
    "sale_from_hq", "with_local_returns",
]


# -- manager corrections -------------------------------------------------------------------


def record_adjust(store: RegisterStore, member_id: str, points: int, reason: str, *,
                  staff_id: str, approved_by: str | None = None, local_time: datetime,
                  build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """A manager's correction: `points` given (> 0) or taken (< 0), with a reason."""
    reason = reason.strip()
    if not reason:
        raise StoreError("調整の理由を入力してください")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise StoreError("調整するポイントを入力してください（0 以外）")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        member = _member(con, member_id)
        if points < 0 and member.balance + points < 0:
            raise StoreError(Message(OVER_BALANCE_ADJUST, balance=member.balance))
        return _Plan(member_id, AdjustPayload(points=points, reason=reason[:200]), points,
                     audit={"member_id": member_id, "points": points})

    return _record(store, "adjust", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def _member(con: sqlite3.Connection, member_id: str) -> MemberView:
    member = store_views.member_by_id(con, member_id)
    if member is None:
        raise StoreError("会員が見つかりません")
    return member


# -- enrolment and cards -------------------------------------------------------------------


def normalize_card_uid(uid: str) -> str:
    """Upper-case hex without separators, as readers report it; StoreError otherwise."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", uid)
                      if ch not in " :-").upper()
    if len(cleaned) not in _CARD_UID_LENGTHS or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise StoreError("カードの番号を読み取れませんでした。もう一度タッチしてください")
    return cleaned


def mask_phone(digits: str) -> str:
    """090-****-5678, as HQ masks it: enough for a member to recognise their number."""
    return f"{digits[:-8]}-****-{digits[-4:]}"


def record_enroll(store: RegisterStore, display_name: str, kana: str, birth_month: int | None,
                  phone: str | None, card_uid: str | None, *, member_no: str | None = None,
                  staff_id: str | None, local_time: datetime, phone_key: bytes | str | None = None,
                  build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Enrol a member at the counter, online or not.

    The member id is made here; the member and the card go into the local cache in the
    same commit, so the card works at this counter at once. Until HQ answers the member
    is provisional (`is_provisional`): no member number unless a pre-printed card's
    (`member_no`) was scanned. With `phone_key` the cached row gets the phone's keyed
    hash, so a phone search finds the member offline; the number itself is sent to HQ in
    the op and never cached.
    """
    name, kana = display_name.strip(), kana.strip()
    if not name:
        raise StoreError("お名前を入力してください")
    digits = None
    if phone:
        try:
            digits = normalize_phone(phone)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
    uid = normalize_card_uid(card_uid) if card_uid else None
    if member_no is not None and not member_no_is_valid(member_no):
        raise StoreError("会員番号が正しくありません")
    if uid is None and member_no is None:
        raise StoreError("カードをタッチするか、会員カードのバーコードを読み取ってください")
    payload = EnrollPayload(display_name=name, kana=kana, birth_month=birth_month,
                            phone=digits, card_uid=uid, member_no=member_no)
    member_id = str(uuid.uuid4())

    def effect(con: sqlite3.Connection) -> None:
        con.execute(
            "INSERT INTO members (member_id, member_no, display_name, status, hq_balance, "
            "kana, rank, birth_month, phone_masked, phone_hash, debt) "
            "VALUES (?, ?, ?, 'active', 0, ?, '', ?, ?, ?, 0)",
            (member_id, member_no or "", name, kana, birth_month,
             mask_phone(digits) if digits else None,
             phone_lookup_hash(phone_key, digits) if digits and phone_key else None))
        if uid is not None:
            con.execute("INSERT INTO cards (uid, member_id, status) VALUES (?, ?, 'active')",
                        (uid, member_id))

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        if uid is not None and con.execute("SELECT 1 FROM cards WHERE uid = ?",
                                           (uid,)).fetchone():
            raise StoreError("このカードはすでに登録されています")
        if member_no is not None and con.execute("SELECT 1 FROM members WHERE member_no = ?",
                                                 (member_no,)).fetchone():
            raise StoreError("この会員番号はすでに登録されています")
        return _Plan(member_id, payload, 0, effect,
                     audit={"member_id": member_id, "card_uid": uid})

    return _record(store, "enroll", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=None)


def _card(con: sqlite3.Connection, uid: str) -> tuple[str, str]:
    row = con.execute("SELECT member_id, status FROM cards WHERE uid = ?", (uid,)).fetchone()
    if row is None:
        raise StoreError("登録されていないカードです")
    return row[0], row[1]


def record_card_block(store: RegisterStore, card_uid: str, reason: str, *, staff_id: str,
                      local_time: datetime, approved_by: str | None = None,
                      build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Block a lost or stolen card; it is refused at this counter from the commit on."""
    uid, reason = normalize_card_uid(card_uid), reason.strip()
    if not reason:
        raise StoreError("停止の理由を入力してください")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        owner, status = _card(con, uid)
        if status != "active":
            raise StoreError("このカードはすでに停止されています")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET status = 'blocked' WHERE uid = ?", (uid,))

        return _Plan(owner, CardBlockPayload(card_uid=uid, reason=reason[:200]), 0, effect,
                     audit={"member_id": owner, "card_uid": uid})

    return _record(store, "card_block", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def record_card_reissue(store: RegisterStore, old_card_uid: str, new_card_uid: str,
                        reason: str = "", *, staff_id: str, local_time: datetime,
                        approved_by: str | None = None,
                        build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """A new card for the member of the old one: the old card is blocked, the new one
    bound, the points stay with the member."""
    old, new = normalize_card_uid(old_card_uid), normalize_card_uid(new_card_uid)
    if old == new:
        raise StoreError("新しいカードが古いカードと同じです")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        owner, _ = _card(con, old)
        if con.execute("SELECT 1 FROM cards WHERE uid = ?", (new,)).fetchone():
            raise StoreError("新しいカードはすでに登録されています")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET status = 'blocked' WHERE uid = ?", (old,))
            c.execute("INSERT INTO cards (uid, member_id, status) VALUES (?, ?, 'active')",
                      (new, owner))

        payload = CardReissuePayload(old_card_uid=old, new_card_uid=new,
                                     reason=reason.strip()[:200])
        return _Plan(owner, payload, 0, effect,
                     audit={"member_id": owner, "old_card_uid": old, "new_card_uid": new})

    return _record(store, "card_reissue", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def record_merge(store: RegisterStore, source_member_id: str, target_member_id: str,
                 reason: str, *, staff_id: str, local_time: datetime,
                 approved_by: str | None = None,
                 build_receipt: OpReceiptBuilder | None = None) -> RecordedOp:
    """Merge the source member into the target (a manager's op; the op is the target's).

    Locally, as HQ will: the source's cards move to the target and the source is blocked;
    the target's pending balance gains the source's balance until HQ answers.
    """
    reason = reason.strip()
    if source_member_id == target_member_id:
        raise StoreError("同じ会員どうしは統合できません")
    if not reason:
        raise StoreError("統合の理由を入力してください")

    def plan(con: sqlite3.Connection, _receipt_no: str) -> _Plan:
        source, target = _member(con, source_member_id), _member(con, target_member_id)
        if source.status != "active" or target.status != "active":
            raise StoreError("利用停止中の会員は統合できません")
        held = con.execute("SELECT count(*) FROM holds WHERE member_id = ? AND state = 'pending'",
                           (source_member_id,)).fetchone()[0]
        if held:
            raise StoreError("統合元の会員にポイントの取り置きがあります。取消または期限切れ後に統合してください")

        def effect(c: sqlite3.Connection) -> None:
            c.execute("UPDATE cards SET member_id = ? WHERE member_id = ?",
                      (target_member_id, source_member_id))
            c.execute("UPDATE members SET status = 'blocked' WHERE member_id = ?",
                      (source_member_id,))

        payload = MergePayload(source_member_id=source_member_id,
                               target_member_id=target_member_id, reason=reason[:200])
        return _Plan(target.member_id, payload, source.balance, effect,
                     audit={"source_member_id": source_member_id,
                            "target_member_id": target_member_id, "moved": source.balance})

    return _record(store, "merge", plan, staff_id=staff_id, local_time=local_time,
                   build_receipt=build_receipt, approved_by=approved_by or staff_id)


def is_provisional(store: RegisterStore, member_id: str) -> bool:
    """True for a member enrolled at this register whose enrolment HQ has not applied."""
    with store._readers.snapshot() as con:
        row = con.execute("SELECT state FROM ops WHERE member_id = ? AND kind = 'enroll' "
                          "ORDER BY device_seq DESC LIMIT 1", (member_id,)).fetchone()
    return row is not None and row[0] not in ("applied", "duplicate")


def cards_of(store: RegisterStore, member_id: str) -> list[tuple[str, str]]:
    """(uid, status) of a member's cached cards."""
    with store._readers.snapshot() as con:
        rows = con.execute("SELECT uid, status FROM cards WHERE member_id = ? ORDER BY uid",
                           (member_id,)).fetchall()
    return [(uid, status) for uid, status in rows]
