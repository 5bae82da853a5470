"""Member look-up for managers, free of Qt: find a member, see their points, lots and
history, and make the manager's corrections (block or reissue a card, merge, adjust).

Search is by member number, card uid or phone (compared as the keyed hash the register
caches, never as a number). History comes from HQ when it answers, page by page, and
otherwise from this register's own outbox, marked as such. A row of an op whose receipt
this register keeps can be printed again (`reprint`, a 再発行 copy). Every correction
needs the signed-in staff member to be a manager and is recorded as an op (`sync.ops`) on
the store thread. HQ calls and reprints run on a thread of their own; results arrive as
events.

Texts for the screen are Japanese sources marked for translation: history labels in the
"History" context (`HISTORY_CONTEXT`), sentences in the "core" one (`desktop.i18n.core`).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.hq_lookup import HqLookup, HqLookupError
from desktop.receipts import AdjustFacts, build_adjust_receipt, pts, receipt_to_dict, signed_pts
from desktop.receipts.text import header_lines, title_line
from devices.cards import CardEvent, CardPresented
from devices.receipt import Receipt, ReceiptLine
from sync import ops
from sync.events import EventBus
from sync.models import OutboxOp, ReceiptRecord
from sync.ops import KIND_NAMES, OpFacts, RecordedOp
from sync.protocol import MemberLookup, Op
from sync.staff import StaffView
from sync.store import MemberView, RegisterStore, StoreError
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

EVENTS = ("lookup_results", "lookup_member", "lookup_history", "lookup_message", "lookup_done",
          "lookup_waiting_card", "lookup_merge_source")
HISTORY_CONTEXT = "History"
SOURCE_LABELS = {"hq": QT_TRANSLATE_NOOP("History", "HQ"),
                 "local": QT_TRANSLATE_NOOP("History", "このレジの記録のみ")}
HQ_KINDS = {"earn": QT_TRANSLATE_NOOP("History", "獲得"),
            "redeem": QT_TRANSLATE_NOOP("History", "利用"),
            "reverse_earn": QT_TRANSLATE_NOOP("History", "返品（獲得取消）"),
            "restore_redeem": QT_TRANSLATE_NOOP("History", "返品（利用返還）"),
            "expire": QT_TRANSLATE_NOOP("History", "失効"),
            "adjust": QT_TRANSLATE_NOOP("History", "調整"),
            "debt": QT_TRANSLATE_NOOP("History", "不足"),
            "debt_settle": QT_TRANSLATE_NOOP("History", "不足の精算"),
            "merge_in": QT_TRANSLATE_NOOP("History", "統合（受入）"),
            "merge_out": QT_TRANSLATE_NOOP("History", "統合（移出）"),
            "initial": QT_TRANSLATE_NOOP("History", "移行")}
# This register's op kinds, as `sync.ops.KIND_NAMES` names them (tests keep the two equal).
OP_KINDS = {"sale": QT_TRANSLATE_NOOP("History", "販売"),
            "return": QT_TRANSLATE_NOOP("History", "返品"),
            "adjust": QT_TRANSLATE_NOOP("History", "ポイント調整"),
            "enroll": QT_TRANSLATE_NOOP("History", "入会"),
            "card_block": QT_TRANSLATE_NOOP("History", "カード停止"),
            "card_reissue": QT_TRANSLATE_NOOP("History", "カード再発行"),
            "merge": QT_TRANSLATE_NOOP("History", "会員統合")}
STATE_LABELS = {"queued": QT_TRANSLATE_NOOP("History", "未送信"),
                "sent": QT_TRANSLATE_NOOP("History", "送信中"),
                "parked": QT_TRANSLATE_NOOP("History", "本部で保留"),
                "applied": QT_TRANSLATE_NOOP("History", "確定"),
                "duplicate": QT_TRANSLATE_NOOP("History", "確定"),
                "rejected": QT_TRANSLATE_NOOP("History", "本部で却下")}
CARD_NOTE = QT_TRANSLATE_NOOP("core", "カード …{last4}")  # a note: shown through core()

# Sentences for the screen ("core" context).
MANAGER_ONLY = QT_TRANSLATE_NOOP("core", "この操作は店長のみ行えます")
CHOOSE_MEMBER = QT_TRANSLATE_NOOP("core", "先に会員を選んでください")
NOT_RECORDED = QT_TRANSLATE_NOOP("core", "記録できませんでした")
MEMBER_GONE = QT_TRANSLATE_NOOP("core", "会員が見つかりません")
HISTORY_FAILED = QT_TRANSLATE_NOOP("core", "履歴を読み込めませんでした")
OFFLINE_LOCAL = QT_TRANSLATE_NOOP("core", "オフラインのため、このレジの記録を表示しています")
HQ_FAILED_LOCAL = QT_TRANSLATE_NOOP("core", "{reason}。このレジの記録を表示しています")
PROVISIONAL_LOCAL = QT_TRANSLATE_NOOP(
    "core", "本部で登録が確定するまで、このレジの記録のみ表示します")
ENTER_QUERY = QT_TRANSLATE_NOOP("core", "会員番号・カード番号・電話番号のどれかを入力してください")
PHONE_NEEDS_HQ = QT_TRANSLATE_NOOP(
    "core", "電話番号で検索するにはレジの登録（本部との接続設定）が必要です")
QUERY_FORMS = QT_TRANSLATE_NOOP("core", "会員番号（13桁）・カード番号・電話番号で検索してください")
NOT_FOUND = QT_TRANSLATE_NOOP("core", "該当する会員が見つかりません")
ONE_SOURCE = QT_TRANSLATE_NOOP("core", "統合元は会員番号かカードで1人に絞ってください")
POINTS_FORM = QT_TRANSLATE_NOOP("core", "調整するポイントを「+100」「-50」のように入力してください")
BLOCKED = QT_TRANSLATE_NOOP("core", "カードの利用を停止しました")
REISSUED = QT_TRANSLATE_NOOP("core", "新しいカードを登録しました")
ADJUSTED = QT_TRANSLATE_NOOP("core", "ポイントを {points} pt 調整しました")
MERGED = QT_TRANSLATE_NOOP("core", "会員を統合しました")
REPRINTING = QT_TRANSLATE_NOOP("core", "レシート {no} の再発行を印刷しています")
NO_RECEIPT_HERE = QT_TRANSLATE_NOOP(
    "core", "レシート {no} はこのレジに残っていないため、再発行できません")
NO_PRINTER = QT_TRANSLATE_NOOP("core", "このレジではレシートを再発行できません")
_HEX = re.compile(r"[0-9A-F]{8,20}")


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    kind: str  # Japanese source in HISTORY_CONTEXT (or the raw kind HQ sent)
    points: int
    balance_after: int | None = None  # HQ's rows only
    note: str = ""  # data: a receipt number, a reason, a card's last digits
    state: str = ""  # this register's rows only: 未送信, 確定… (HISTORY_CONTEXT)
    receipt_no: str = ""  # set when this register keeps the op's receipt (reprintable)


@dataclass(frozen=True)
class History:
    member_id: str
    rows: tuple[HistoryRow, ...]
    source: str  # "hq" or "local"
    more: bool
    notice: str = ""  # why HQ's history is not shown

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class MemberDetail:
    member: MemberView
    cards: tuple[tuple[str, str], ...]  # (uid, status)
    provisional: bool  # enrolled here; HQ has not confirmed it yet
    hq: MemberLookup | None = None  # HQ's view, when it answered


def parse_points(text: str) -> int:
    """A signed number of points typed by a manager ("+100", "－５０", "1,000")."""
    s = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace(" ", "")
    s = s.replace("−", "-").removesuffix("pt")
    if not re.fullmatch(r"[+-]?[0-9]{1,8}", s) or int(s) == 0:
        raise StoreError(Message(POINTS_FORM))
    return int(s)


def _op_note(op: Op) -> str:
    p = op.payload
    for attr in ("receipt_no", "reason"):
        value = getattr(p, attr, "")
        if value:
            return str(value)
    uid = getattr(p, "new_card_uid", None) or getattr(p, "card_uid", None)
    return Message(CARD_NOTE, last4=uid[-4:]) if uid else ""


def _sentence(error: BaseException) -> str:
    """An error's sentence, kept a `Message` when it is one (translated with its values)."""
    text = error.args[0] if error.args else ""
    return text if isinstance(text, str) else str(error)


def _local_row(row: OutboxOp, receipts: dict[str, str]) -> HistoryRow:
    op = Op.model_validate(row.body)
    result = row.result or {}
    points = row.points_delta
    if row.state in ("applied", "duplicate"):  # HQ's own figures where it gave them
        if result.get("points_earned") is not None:
            points = result["points_earned"] - (result.get("points_redeemed")
                                                or getattr(op.payload, "points_redeemed", 0))
        elif result.get("points_reversed") is not None:
            points = (result.get("points_restored") or 0) - result["points_reversed"]
    return HistoryRow(op.local_time, OP_KINDS.get(row.kind, row.kind), points, None,
                      _op_note(op), STATE_LABELS.get(row.state, row.state),
                      receipts.get(row.op_id, ""))


def build_notice_receipt(facts: OpFacts, *, store_name: str, footer: str, tz: ZoneInfo,
                         offline: bool, staff: StaffView) -> dict[str, object]:
    """The slip a member gets after a manager's correction at the counter."""
    p, member = facts.payload, facts.member
    assert member is not None
    balance = facts.balance_after or 0
    if facts.kind == "adjust":
        return receipt_to_dict(build_adjust_receipt(
            AdjustFacts(op_id=facts.op_id, device_id=facts.device_id,
                        receipt_no=facts.receipt_no, local_time=facts.local_time,
                        member=member, points=p.points, reason=p.reason,
                        approved_by=staff.display_name, balance_after=max(0, balance),
                        debt_after=member.debt),
            store_name=store_name, footer=footer, tz=tz, offline=offline,
            staff_name=staff.display_name))
    body = [ReceiptLine(""), title_line(KIND_NAMES.get(facts.kind, facts.kind)), ReceiptLine(""),
            ReceiptLine("会員番号", member.masked_no)]
    if facts.kind == "card_reissue":
        body += [ReceiptLine("新しいカード", f"…{p.new_card_uid[-4:]}"),
                 ReceiptLine("以前のカードは利用を停止しました")]
    elif facts.kind == "merge":
        body.append(ReceiptLine("移行したポイント", signed_pts(facts.points_delta)))
    body += [ReceiptLine(""), ReceiptLine("ポイント残高", pts(balance), bold=True, size="large"),
             ReceiptLine("")]
    return receipt_to_dict(Receipt(
        header=header_lines(store_name, facts.local_time, tz, facts.device_id,
                            facts.receipt_no, staff.display_name),
        body=tuple(body), footer=(ReceiptLine(footer, align="center"),) if footer else (),
        kind=facts.kind, receipt_no=facts.receipt_no, issued_at=facts.local_time.isoformat()))


class LookupFlow:
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        events: EventBus,
        *,
        tz: ZoneInfo,
        store_name: str,
        print_receipt: Callable[[str], None],
        hq: HqLookup | None = None,
        phone_key: bytes | str | None = None,
        online: Callable[[], bool] = lambda: True,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        staff: StaffView | None = None,
        page_size: int = 20,
        reprint: Callable[[str], str | None] | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.tz = tz
        self.store_name = store_name
        self.print_receipt = print_receipt
        self.hq = hq
        # From activation, as HQ distributes it (hex) or raw.
        self.phone_key = bytes.fromhex(phone_key) if isinstance(phone_key, str) else phone_key
        self.online = online  # False skips HQ at once (the sync client knows it is offline)
        self.clock = clock
        self.staff = staff
        self.page_size = page_size
        # The print queue's reprint (`desktop.printing.PrintQueue.reprint`): a 再発行 copy
        # of a stored receipt, by number; None for a number it does not know.
        self._reprint = reprint
        self._lock = threading.Lock()
        self._hq_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-lookup")
        self.detail: MemberDetail | None = None
        self.history: History | None = None
        self._cursor: int | None = None  # HQ's next_before or the last local device_seq
        self._reissue: tuple[str, str] | None = None  # (old uid, reason) awaiting a new card

    def close(self) -> None:
        self._hq_thread.shutdown(wait=True, cancel_futures=True)

    def forget(self) -> None:
        """Drop the member shown (sign-out: nothing personal stays for the next person)."""
        with self._lock:
            self.detail, self.history, self._cursor, self._reissue = None, None, None, None

    def cancel_reissue(self) -> None:
        """Stop waiting for a reissue's new card (the screen was left)."""
        with self._lock:
            self._reissue = None

    def _message(self, text: str, level: str = "error") -> None:
        self.events.emit("lookup_message", text, level)

    # -- search -------------------------------------------------------------------------

    def find(self, text: str) -> list[MemberView]:
        """Members matching a member number, card uid or phone; blocked ones included."""
        s = unicodedata.normalize("NFKC", text).strip()
        compact = re.sub(r"[\s()\-:]", "", s).upper()
        if not compact:
            raise StoreError(Message(ENTER_QUERY))
        if compact.isdigit() and len(compact) == 13:
            found = [m for m in [self.store.find_member_by_number(compact)] if m]
        elif compact.startswith("+81") or (compact.isdigit() and len(compact) in (10, 11)):
            if not self.phone_key:
                raise StoreError(Message(PHONE_NEEDS_HQ))
            try:
                found = self.store.members_by_phone(self.phone_key, s)
            except ValueError as exc:
                raise StoreError(str(exc)) from None
        elif _HEX.fullmatch(compact):
            card = self.store.find_card(compact)
            found = [m for m in [self.store.member(card[0])] if m] if card else []
        else:
            raise StoreError(Message(QUERY_FORMS))
        if not found:
            raise StoreError(Message(NOT_FOUND))
        return found

    def search(self, text: str) -> None:
        try:
            found = self.find(text)
        except StoreError as exc:
            self._message(_sentence(exc))
            return
        self.events.emit("lookup_results", found)
        if len(found) == 1:
            self.select(found[0].member_id)

    def select(self, member_id: str) -> MemberDetail | None:
        member = self.store.member(member_id)
        if member is None:
            self._message(Message(MEMBER_GONE))
            return None
        detail = MemberDetail(member, tuple(ops.cards_of(self.store, member_id)),
                              ops.is_provisional(self.store, member_id))
        with self._lock:
            self.detail, self.history, self._cursor = detail, None, None
        self.events.emit("lookup_member", detail)
        self._hq_thread.submit(self._load_history, detail, None, True)
        return detail

    # -- history ------------------------------------------------------------------------

    def more_history(self) -> None:
        with self._lock:
            detail, history, cursor = self.detail, self.history, self._cursor
        if detail is None or history is None or not history.more:
            return
        self._hq_thread.submit(self._load_history, detail, (history.source, cursor), False)

    def _load_history(self, detail: MemberDetail, page: tuple[str, int | None] | None,
                      first: bool) -> None:
        try:
            history, cursor = self._history_page(detail, page, first)
        except Exception:
            log.exception("history of %s not loaded", detail.member.member_id)
            self._message(Message(HISTORY_FAILED))
            return
        with self._lock:
            if self.detail is None or self.detail.member.member_id != detail.member.member_id:
                return  # another member was chosen meanwhile
            if self.history is not None and not first:
                history = replace(history, rows=self.history.rows + history.rows)
            self.history, self._cursor = history, cursor
        self.events.emit("lookup_history", history)

    def _history_page(self, detail: MemberDetail, page: tuple[str, int | None] | None,
                      first: bool) -> tuple[History, int | None]:
        member = detail.member
        notice = ""
        use_hq = page is None or page[0] == "hq"
        if use_hq and self.hq is not None and member.member_no and not detail.provisional:
            if not self.online():
                notice = Message(OFFLINE_LOCAL)
            else:
                try:
                    if first:
                        self._hq_member(member, self.hq.member(member.member_no))
                    got = self.hq.history(member.member_no, limit=self.page_size,
                                          before=page[1] if page else None)
                except HqLookupError as exc:
                    notice = Message(HQ_FAILED_LOCAL, reason=str(exc))
                else:
                    ours, receipts = self._receipt_nos([e.op_id for e in got.entries
                                                        if e.op_id])
                    rows = tuple(HistoryRow(e.at, HQ_KINDS.get(e.kind, e.kind), e.points,
                                            e.balance_after,
                                            ours.get(e.op_id or "", e.note or ""),
                                            receipt_no=receipts.get(e.op_id or "", ""))
                                 for e in got.entries)
                    return (History(member.member_id, rows, "hq", got.next_before is not None),
                            got.next_before)
        elif detail.provisional:
            notice = Message(PROVISIONAL_LOCAL)
        before = page[1] if page is not None and page[0] == "local" else None
        with self.store.reading() as session:
            query = select(OutboxOp).where(OutboxOp.member_id == member.member_id)
            if before is not None:
                query = query.where(OutboxOp.device_seq < before)
            found = list(session.scalars(query.order_by(OutboxOp.device_seq.desc())
                                         .limit(self.page_size + 1)))
            more = len(found) > self.page_size
            found = found[:self.page_size]
            receipts = self._receipts(session, [r.op_id for r in found])
        rows = tuple(_local_row(r, receipts) for r in found)
        return (History(member.member_id, rows, "local", more, notice),
                found[-1].device_seq if found else None)

    def _hq_member(self, member: MemberView, found: MemberLookup) -> None:
        with self._lock:
            if self.detail is None or self.detail.member != member:
                return
            self.detail = detail = replace(self.detail, hq=found)
        self.events.emit("lookup_member", detail)

    def _receipt_nos(self, op_ids: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        """Notes of the ops this register made, so HQ's rows name them (their receipt
        numbers), and the receipts it keeps of them (op id → number)."""
        if not op_ids:
            return {}, {}
        with self.store.reading() as session:
            found = session.scalars(select(OutboxOp).where(OutboxOp.op_id.in_(op_ids)))
            notes = {row.op_id: _op_note(Op.model_validate(row.body)) for row in found}
            return notes, self._receipts(session, op_ids)

    @staticmethod
    def _receipts(session: Any, op_ids: list[str]) -> dict[str, str]:
        """The receipts this register keeps of these ops: op id → receipt number."""
        if not op_ids:
            return {}
        rows = session.execute(select(ReceiptRecord.op_id, ReceiptRecord.receipt_no)
                               .where(ReceiptRecord.op_id.in_(op_ids)))
        return {op_id: number for op_id, number in rows}

    # -- reprint ------------------------------------------------------------------------

    def reprint(self, receipt_no: str) -> Future[str | None] | None:
        """Print a 再発行 copy of a receipt this register keeps (a history row's); the
        outcome arrives as `lookup_message`. Any staff member may: the member asks for it."""
        if self._reprint is None:
            self._message(Message(NO_PRINTER))
            return None
        reprint = self._reprint

        def run() -> str | None:
            op_id = reprint(receipt_no)
            if op_id is None:
                self._message(Message(NO_RECEIPT_HERE, no=receipt_no))
            else:
                self._message(Message(REPRINTING, no=receipt_no), "info")
            return op_id

        return self._hq_thread.submit(run)

    # -- manager corrections ------------------------------------------------------------

    def _manager(self) -> StaffView | None:
        staff = self.staff
        if staff is None or not staff.is_manager:
            self._message(Message(MANAGER_ONLY))
            return None
        return staff

    def _run(self, action: Callable[[StaffView], RecordedOp], done: str,
             *, prints: bool = True) -> Future[RecordedOp] | None:
        staff = self._manager()
        detail = self.detail
        if staff is None or detail is None:
            if detail is None and staff is not None:
                self._message(Message(CHOOSE_MEMBER))
            return None
        future = self.worker.submit(action, staff)

        def finished(f: Future[RecordedOp]) -> None:
            error = f.exception()
            if error is not None:
                if not isinstance(error, StoreError):
                    log.error("manager op not recorded", exc_info=error)
                self._message(_sentence(error) if isinstance(error, StoreError)
                              else Message(NOT_RECORDED))
                return
            recorded = f.result()
            self.events.emit("lookup_done", recorded, done)
            if prints and recorded.receipt_model is not None:
                self.print_receipt(recorded.op.op_id)
            self.select(recorded.op.member_id)

        future.add_done_callback(finished)
        return future

    def _slip(self, staff: StaffView) -> Callable[[OpFacts], dict[str, object]]:
        program = self.store.program()
        footer = program.receipt_footer if program is not None else ""
        offline = not self.online()
        return lambda facts: build_notice_receipt(facts, store_name=self.store_name,
                                                  footer=footer, tz=self.tz, offline=offline,
                                                  staff=staff)

    def block_card(self, uid: str, reason: str) -> Future[RecordedOp] | None:
        return self._run(lambda s: ops.record_card_block(
            self.store, uid, reason, staff_id=s.staff_id, local_time=self.clock(self.tz)),
            Message(BLOCKED))

    def start_reissue(self, old_uid: str, reason: str = "") -> None:
        """Wait for the new card's tap (routed here by `on_card_event`)."""
        if self._manager() is None:
            return
        with self._lock:
            self._reissue = (old_uid, reason)
        self.events.emit("lookup_waiting_card", old_uid)

    def on_card_event(self, event: CardEvent) -> None:
        if not isinstance(event, CardPresented):
            return
        with self._lock:
            waiting, self._reissue = self._reissue, None
        if waiting is None:
            self.search(event.uid)  # a tap on the look-up screen finds the card's member
        else:
            self.reissue_card(waiting[0], event.uid, waiting[1])

    def reissue_card(self, old_uid: str, new_uid: str,
                     reason: str = "") -> Future[RecordedOp] | None:
        return self._run(lambda s: ops.record_card_reissue(
            self.store, old_uid, new_uid, reason, staff_id=s.staff_id,
            local_time=self.clock(self.tz), build_receipt=self._slip(s)),
            Message(REISSUED))

    def adjust(self, points_text: str, reason: str) -> Future[RecordedOp] | None:
        try:
            points = parse_points(points_text)
        except StoreError as exc:
            self._message(_sentence(exc))
            return None
        detail = self.detail
        member_id = detail.member.member_id if detail else ""
        return self._run(lambda s: ops.record_adjust(
            self.store, member_id, points, reason, staff_id=s.staff_id,
            local_time=self.clock(self.tz), build_receipt=self._slip(s)),
            Message(ADJUSTED, points=f"{points:+,}"))

    def merge_source(self, text: str) -> MemberView | None:
        """The member to merge into the selected one, shown for confirmation first."""
        if self._manager() is None:
            return None
        try:
            found = self.find(text)
        except StoreError as exc:
            self._message(_sentence(exc))
            return None
        if len(found) != 1:
            self._message(Message(ONE_SOURCE))
            return None
        self.events.emit("lookup_merge_source", found[0])
        return found[0]

    def merge(self, source_member_id: str, reason: str) -> Future[RecordedOp] | None:
        detail = self.detail
        target = detail.member.member_id if detail else ""
        return self._run(lambda s: ops.record_merge(
            self.store, source_member_id, target, reason, staff_id=s.staff_id,
            local_time=self.clock(self.tz), build_receipt=self._slip(s)),
            Message(MERGED))
