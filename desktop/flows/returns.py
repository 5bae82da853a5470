"""The return flow, free of Qt: find the sale, choose what comes back, preview what happens
to the points, get a manager's approval when the policy asks, record, print.

States: idle → (looking: another register's sale is asked of HQ) → sale (the original
sale is on screen) → preview (an amount or lines are chosen and the point reversal is
shown) → recording → done. A return the policy sends to a manager stays in preview until
a manager's PIN approves it; a signed-in manager approves their own. Methods may be
called from any thread; results are announced as events on the bus, writes run on the
store thread.

A sale of another register of the store is looked up at HQ (`hq.sale_by_receipt`) and
the return is recorded against HQ's sale; without HQ the cashier is told it needs HQ.

With the POS link (`pos`, `desktop.poslink.PosCounterBridge`), a POS return waiting at
the counter (`pos_return_waiting`) is opened here with its sale and the POS's amount and
lines filled in (`return_pos_shown`); confirming commits the POS's answer with the op,
cancelling refuses it, and a return the register cannot take is refused with its reason
at once, so the POS is never left waiting (`return_pos_cleared` when it leaves).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from desktop.flows.messages import BUSY, NOT_A_MANAGER, QT_TRANSLATE_NOOP, Message
from desktop.hq_lookup import HqLookupError
from desktop.receipts import ReturnFacts, build_return_receipt, receipt_to_dict
from loyalty.scan import ScanKind, classify_scan
from sync import ops
from sync.events import EventBus
from sync.ops import OpFacts, OpReceiptBuilder, RecordedOp, ReturnEstimate, SaleRecord
from sync.protocol import SaleLine
from sync.staff import StaffBook, StaffError, StaffView
from sync.store import MemberView, RegisterStore, StoreError
from sync.worker import StoreWorker

if TYPE_CHECKING:
    from desktop.poslink.counter_adapter import PosReturn
    from desktop.poslink.returns_desk import PosReturnBridge, PosReturns

log = logging.getLogger(__name__)

EVENTS = ("return_sale_shown", "return_preview", "return_recorded", "return_message",
          "return_reset", "return_pos_shown", "return_pos_cleared")

# What the cashier is told (the "core" context: translated on screen, values kept).
SCAN_RECEIPT = QT_TRANSLATE_NOOP("core", "レシートのQRコードを読み取ってください")
SALE_REFUSED = QT_TRANSLATE_NOOP(
    "core", "この取引は本部で受け付けられなかったため、返品のポイント処理はできません")
ALL_RETURNED = QT_TRANSLATE_NOOP("core", "取引 {receipt_no} はすべて返品済みです")
AMOUNT_DIGITS = QT_TRANSLATE_NOOP("core", "返品金額は数字で入力してください")
CHOOSE_ITEMS = QT_TRANSLATE_NOOP("core", "返品する商品を選んでください")
RECEIPT_FIRST = QT_TRANSLATE_NOOP("core", "先にレシートを読み取ってください")
CHOOSE_FIRST = QT_TRANSLATE_NOOP("core", "先に返品内容を選んでください")
NOT_APPROVED = QT_TRANSLATE_NOOP("core", "承認できませんでした")
MANAGER_PIN = QT_TRANSLATE_NOOP("core", "承認は店長の暗証番号で行ってください")
APPROVED_BY = QT_TRANSLATE_NOOP("core", "{name} さんが承認しました")
NOT_RECORDED = QT_TRANSLATE_NOOP("core", "記録できませんでした")
OVER_AMOUNT = QT_TRANSLATE_NOOP("core", "返品金額が ￥{limit:,} を超えています")
TOO_OLD = QT_TRANSLATE_NOOP("core", "お買上げから {days} 日を過ぎています")
SHORTFALL = QT_TRANSLATE_NOOP(
    "core", "お客様はこのお買上げのポイントをすでに使っています。不足する {points:,} pt は"
    "マイナス残高となり、次回以降の獲得ポイントから差し引かれます")
NOT_IN_RECORDS = QT_TRANSLATE_NOOP(
    "core", "取引 {receipt_no} はこのレジの記録にありません。番号を確かめてください")
OTHER_REGISTER_NEEDS_HQ = QT_TRANSLATE_NOOP(
    "core", "取引 {receipt_no} は別のレジの取引です（レジ {device}）。別のレジの取引の返品には"
    "本部への接続が必要です。接続が戻ってからもう一度呼び出すか、販売したレジで返品してください")
ASKING_HQ = QT_TRANSLATE_NOOP("core", "取引 {receipt_no} を本部に問い合わせています…")
HQ_CANNOT = QT_TRANSLATE_NOOP("core", "本部で取引 {receipt_no} を確認できませんでした: {reason}")
MEMBER_NOT_HERE = QT_TRANSLATE_NOOP(
    "core", "このお買上げの会員の情報がまだこのレジに届いていません。同期してからもう一度お試しください")
POS_FIXED = QT_TRANSLATE_NOOP(
    "core", "POS の返品は POS が送った金額で処理します。変えるときは取り消して POS から送り直してください")
POS_FIRST = QT_TRANSLATE_NOOP(
    "core", "POS の返品を処理中です。確定するか取り消してから、別のレシートを呼び出してください")


class ReturnState(Enum):
    IDLE = "idle"
    LOOKING = "looking"
    SALE = "sale"
    PREVIEW = "preview"
    RECORDING = "recording"
    DONE = "done"


@dataclass(frozen=True)
class ReturnPolicy:
    """When a return needs a manager's PIN (store settings; the defaults are typical)."""

    manager_over_yen: int = 10_000  # a return of more than this
    manager_after_days: int = 30  # a return of a sale older than this

    def __post_init__(self) -> None:
        for name in ("manager_over_yen", "manager_after_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"returns.{name}: 0 以上の整数で指定してください（{value!r}）")

    def reasons(self, returned_yen: int, sold_at: datetime, now: datetime
                ) -> tuple[Message, ...]:
        out = []
        if returned_yen > self.manager_over_yen:
            out.append(Message(OVER_AMOUNT, limit=self.manager_over_yen))
        if (now - sold_at).days > self.manager_after_days:
            out.append(Message(TOO_OLD, days=self.manager_after_days))
        return tuple(out)


@dataclass(frozen=True)
class ReturnPreview:
    sale: SaleRecord
    estimate: ReturnEstimate
    lines: tuple[SaleLine, ...]
    member: MemberView | None
    approval_reasons: tuple[Message, ...]
    approved_by: str | None = None
    pos_return_id: str | None = None  # the POS return this preview settles

    @property
    def balance_after(self) -> int | None:
        return None if self.member is None else self.member.balance + self.estimate.points_delta

    @property
    def shortfall(self) -> int:
        """Points the member already spent that the reversal cannot take: they become debt."""
        after = self.balance_after
        return 0 if after is None or after >= 0 else -after

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_reasons) and self.approved_by is None

    @property
    def warning(self) -> str:
        return Message(SHORTFALL, points=self.shortfall) if self.shortfall else ""


class HqSales(Protocol):
    """HQ's sale look-up by receipt number (`desktop.hq_lookup.HqLookup`)."""

    def sale_by_receipt(self, receipt_no: str) -> Any: ...


def parse_yen(text: str) -> int:
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("￥", "")
    cleaned = cleaned.replace("¥", "").replace("円", "")
    if not cleaned.isdecimal():
        raise StoreError(Message(AMOUNT_DIGITS))
    return int(cleaned)


def return_receipt(facts: OpFacts, sale: SaleRecord, *, store_name: str, footer: str,
                   tz: ZoneInfo, offline: bool, staff_name: str | None) -> dict[str, object]:
    """The slip handed over with the refund, in the shared return layout."""
    est, member = facts.estimate, facts.member
    assert est is not None and member is not None
    # A reversal the balance cannot cover shows as debt, as HQ will book it.
    after = member.balance
    return receipt_to_dict(build_return_receipt(
        ReturnFacts(op_id=facts.op_id, device_id=facts.device_id, receipt_no=facts.receipt_no,
                    local_time=facts.local_time, member=member,
                    original_receipt_no=sale.receipt_no, returned_yen=est.returned_yen,
                    points_reversed=est.points_reversed, points_restored=est.points_restored,
                    balance_after=max(0, after), debt_after=member.debt + max(0, -after),
                    original_time=sale.local_time, sale_yen=sale.amount_yen),
        store_name=store_name, footer=footer, tz=tz, offline=offline, staff_name=staff_name))


def text_of(error: BaseException) -> str:
    """A refusal's sentence, keeping a Message's template for the screen's language."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, str) else str(error)


class ReturnFlow:
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        events: EventBus,
        *,
        staff_book: StaffBook,
        print_receipt: Callable[[str], None],
        tz: ZoneInfo,
        store_name: str,
        manager_over_yen: int = ReturnPolicy.manager_over_yen,
        manager_after_days: int = ReturnPolicy.manager_after_days,
        policy: ReturnPolicy | None = None,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        staff: StaffView | None = None,
        online: Callable[[], bool] = lambda: True,
        pos: PosReturnBridge | None = None,
        hq: HqSales | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.staff_book = staff_book
        self.print_receipt = print_receipt
        self.tz = tz
        self.store_name = store_name
        # The store's settings (returns.manager_over_yen / returns.manager_after_days).
        self.policy = policy or ReturnPolicy(manager_over_yen, manager_after_days)
        self.clock = clock
        self.staff = staff  # the signed-in staff member; the shell keeps it current
        self.online = online  # offline, the slip is marked provisional
        self.hq = hq
        self._lock = threading.Lock()
        self.state = ReturnState.IDLE
        self.sale: SaleRecord | None = None
        self.preview: ReturnPreview | None = None
        self.last: RecordedOp | None = None
        self.pos_return: PosReturn | None = None  # the POS return on screen
        self._search = 0  # bumped by every search, so a late HQ answer is dropped
        self.pos: PosReturns | None = None
        if pos is not None:
            # Imported here: the POS half imports this module's names.
            from desktop.poslink.returns_desk import PosReturns

            self.pos = PosReturns(self, pos, events)
            self.pos.adopt_left_waiting()

    def close(self) -> None:
        if self.pos is not None:
            self.pos.close()

    def _message(self, text: str, level: str = "error") -> None:
        self.events.emit("return_message", text, level)

    # -- finding the sale ---------------------------------------------------------------

    def scan(self, text: str) -> None:
        """A scanned receipt QR ("TR:R01-000001")."""
        scan = classify_scan(text)
        if scan.kind is not ScanKind.RECEIPT:
            self._message(scan.message if scan.kind is ScanKind.UNKNOWN
                          else Message(SCAN_RECEIPT))
            return
        self.search(f"{scan.device_id}-{scan.seq:06d}")

    def search(self, receipt_no: str) -> None:
        """The sale with this receipt number (typed, or from a scan): this register's, or
        another register's as HQ answers for it."""
        with self._lock:
            if self.state is ReturnState.RECORDING:
                self._message(Message(BUSY), "info")
                return
            if self.pos_return is not None:
                self._message(Message(POS_FIRST))
                return
            self._search += 1
            ticket = self._search
        try:
            sale = ops.find_sale(self.store, receipt_no)
        except ops.SaleNotHere as exc:
            self._not_here(exc, ticket)
            return
        except StoreError as exc:
            self._message(text_of(exc))
            return
        self._show(sale, ticket)

    def _not_here(self, exc: ops.SaleNotHere, ticket: int) -> None:
        if not exc.other_register:
            self._message(Message(NOT_IN_RECORDS, receipt_no=exc.receipt_no))
            return
        if self.hq is None or not self.online():
            self._message(Message(OTHER_REGISTER_NEEDS_HQ, receipt_no=exc.receipt_no,
                                  device=exc.device_id))
            return
        with self._lock:
            self.state, self.sale, self.preview = ReturnState.LOOKING, None, None
        self._message(Message(ASKING_HQ, receipt_no=exc.receipt_no), "info")
        # HQ answers in up to a few seconds: never on the caller's (the GUI's) thread.
        threading.Thread(target=self._ask_hq, args=(exc, ticket), name="tamaru-return-hq",
                         daemon=True).start()

    def _ask_hq(self, exc: ops.SaleNotHere, ticket: int) -> None:
        assert self.hq is not None
        message: str | None = None
        sale: SaleRecord | None = None
        try:
            # HQ answers for this register's store only: another store's number is 404.
            found = self.hq.sale_by_receipt(exc.receipt_no)
            sale = ops.with_local_returns(self.store, ops.sale_from_hq(found))
        except HqLookupError as error:
            message = (Message(OTHER_REGISTER_NEEDS_HQ, receipt_no=exc.receipt_no,
                               device=exc.device_id) if error.offline
                       else Message(HQ_CANNOT, receipt_no=exc.receipt_no, reason=str(error)))
        except Exception:
            log.exception("HQ sale look-up of %s failed", exc.receipt_no)
            message = Message(OTHER_REGISTER_NEEDS_HQ, receipt_no=exc.receipt_no,
                              device=exc.device_id)
        with self._lock:
            if ticket != self._search or self.state is not ReturnState.LOOKING:
                return  # the cashier moved on (another search, a POS return)
            if message is not None:
                self.state = ReturnState.IDLE
        if message is not None:
            self._message(message)
            return
        assert sale is not None
        if self.store.member(sale.member_id) is None:
            with self._lock:
                self.state = ReturnState.IDLE
            self._message(Message(MEMBER_NOT_HERE))
            return
        self._show(sale, ticket)

    def _show(self, sale: SaleRecord, ticket: int) -> None:
        if sale.state == "rejected":
            self._idle_with(Message(SALE_REFUSED))
            return
        if sale.remaining_yen <= 0:
            self._idle_with(Message(ALL_RETURNED, receipt_no=sale.receipt_no))
            return
        with self._lock:
            if ticket != self._search or self.pos_return is not None or \
                    self.state is ReturnState.RECORDING:
                return
            self.sale, self.preview = sale, None
            self.state = ReturnState.SALE
        self.events.emit("return_sale_shown", sale)

    def _idle_with(self, message: str) -> None:
        with self._lock:
            if self.state is ReturnState.LOOKING:
                self.state = ReturnState.IDLE
        self._message(message)

    def member_of(self, sale: SaleRecord) -> MemberView | None:
        """The sale's member as the register holds them now."""
        return self.store.member(sale.member_id)

    # -- what comes back ----------------------------------------------------------------

    def choose_amount(self, text: str) -> ReturnPreview | None:
        """A partial (or full) return by amount."""
        if self._pos_fixed():
            return None
        try:
            amount = parse_yen(text)
        except StoreError as exc:
            self._message(text_of(exc))
            return None
        return self._preview_or_say(amount, ())

    def choose_all(self) -> ReturnPreview | None:
        sale = self.sale
        if sale is None or self._pos_fixed():
            return None
        lines = tuple(sale.returnable_lines()) if sale.lines else ()
        return self._preview_or_say(sale.remaining_yen, lines)

    def choose_lines(self, indices: Sequence[int]) -> ReturnPreview | None:
        """Lines of the basket, by their index in `sale.returnable_lines()`."""
        sale = self.sale
        if sale is None or self._pos_fixed():
            return None
        left = sale.returnable_lines()
        if not indices or any(not 0 <= i < len(left) for i in indices):
            self._message(Message(CHOOSE_ITEMS))
            return None
        lines = tuple(left[i] for i in sorted(set(indices)))
        return self._preview_or_say(sum(ln.amount_yen for ln in lines), lines)

    def _pos_fixed(self) -> bool:
        if self.pos_return is None:
            return False
        self._message(Message(POS_FIXED), "info")
        return True

    def _preview(self, amount: int, lines: tuple[SaleLine, ...],
                 pos_return_id: str | None = None) -> ReturnPreview | None:
        """The preview of returning `amount` (StoreError when the sale cannot take it)."""
        with self._lock:
            sale = self.sale
            if sale is None or self.state not in (ReturnState.SALE, ReturnState.PREVIEW):
                self._message(Message(RECEIPT_FIRST))
                return None
            estimate = ops.return_estimate(sale, amount, lines or None)
            reasons = self.policy.reasons(amount, sale.local_time, self.clock(self.tz))
            staff = self.staff
            approved = staff.staff_id if reasons and staff is not None and staff.is_manager \
                else None
            preview = ReturnPreview(sale, estimate, lines, self.store.member(sale.member_id),
                                    reasons, approved, pos_return_id)
            self.preview, self.state = preview, ReturnState.PREVIEW
        self.events.emit("return_preview", preview)
        return preview

    def _preview_or_say(self, amount: int, lines: tuple[SaleLine, ...]
                        ) -> ReturnPreview | None:
        try:
            return self._preview(amount, lines)
        except StoreError as exc:
            self._message(text_of(exc))
            return None

    # -- approval and recording ---------------------------------------------------------

    def approve(self, manager_id: str, pin: str) -> Future[StaffView] | None:
        """Check a manager's PIN on the store thread (a sign-in, audited, with lockout)."""
        if self.preview is None:
            self._message(Message(CHOOSE_FIRST))
            return None
        future = self.worker.submit(self.staff_book.sign_in, manager_id.strip(), pin)
        future.add_done_callback(self._approved)
        return future

    def _approved(self, future: Future[StaffView]) -> None:
        error = future.exception()
        if isinstance(error, StaffError):
            self._message(text_of(error))
            return
        if error is not None:
            log.error("manager approval failed", exc_info=error)
            self._message(Message(NOT_APPROVED))
            return
        manager = future.result()
        if not manager.is_manager:
            self._message(Message(MANAGER_PIN))
            return
        with self._lock:
            if self.preview is None:
                return
            self.preview = replace(self.preview, approved_by=manager.staff_id)
            preview = self.preview
        self.events.emit("return_preview", preview)
        self._message(Message(APPROVED_BY, name=manager.display_name), "info")

    def confirm(self) -> Future[RecordedOp] | None:
        """Record the return on the store thread; `return_recorded` follows the commit."""
        with self._lock:
            preview = self.preview
            if self.state is not ReturnState.PREVIEW or preview is None:
                self._message(Message(CHOOSE_FIRST))
                return None
            if preview.needs_approval:
                # The reasons are on screen beside the approval fields.
                self._message(Message(NOT_A_MANAGER))
                return None
            self.state = ReturnState.RECORDING
        future = self.worker.submit(self._record, preview, self.staff)
        future.add_done_callback(lambda f: self._recorded(f, preview))
        return future

    def _record(self, preview: ReturnPreview, staff: StaffView | None) -> RecordedOp:
        """Store thread: the op, its slip and (for a POS return) the POS's answer, in one
        commit."""
        program = self.store.program()
        footer = program.receipt_footer if program is not None else ""
        offline = not self.online()

        def build(facts: OpFacts) -> dict[str, object]:
            return return_receipt(facts, preview.sale, store_name=self.store_name,
                                  footer=footer, tz=self.tz, offline=offline,
                                  staff_name=staff.display_name if staff else None)

        linked = preview.pos_return_id is not None and self.pos is not None
        builder: OpReceiptBuilder = self.pos.builder(build, preview) if self.pos else build
        try:
            return ops.record_return(
                self.store, preview.sale.receipt_no, preview.estimate.returned_yen,
                lines=preview.lines or None, staff_id=staff.staff_id if staff else None,
                approved_by=preview.approved_by, local_time=self.clock(self.tz),
                build_receipt=builder,
                hq_sale=preview.sale if preview.sale.source == "hq" else None)
        except BaseException:
            if linked:
                assert self.pos is not None
                self.pos.recording_failed()
            raise

    def _recorded(self, future: Future[RecordedOp], preview: ReturnPreview) -> None:
        error = future.exception()
        if error is not None:
            if not isinstance(error, StoreError):
                log.error("return not recorded", exc_info=error)
            with self._lock:
                self.state = ReturnState.PREVIEW
            if self.pos is not None:
                self.pos.after_commit(preview, None, committed=False)
            self._message(text_of(error) if isinstance(error, StoreError)
                          else Message(NOT_RECORDED))
            return
        recorded = future.result()
        with self._lock:
            self.state, self.last = ReturnState.DONE, recorded
            self.sale, self.preview = None, None
            pos, self.pos_return = self.pos_return, None
        # Only after the commit: the screen says done, the POS hears (the bridge confirms
        # on this event), and the slip prints.
        self.events.emit("return_recorded", recorded)
        if self.pos is not None:
            self.pos.after_commit(preview, pos, committed=True)
        self.print_receipt(recorded.op.op_id)

    def cancel(self) -> None:
        """The cashier's "start over": a POS return on screen is refused, so the POS hears
        it was cancelled at the counter."""
        with self._lock:
            if self.state is ReturnState.RECORDING:
                return
            pos, self.pos_return = self.pos_return, None
            self.state, self.sale, self.preview = ReturnState.IDLE, None, None
            self._search += 1
        self.events.emit("return_reset")
        if pos is not None and self.pos is not None:
            self.pos.cancelled(pos)

    def staff_left(self) -> None:
        """The cashier signed out: a half-made return is dropped, but a POS return stays
        for the next person (without the approval it had)."""
        with self._lock:
            keep = self.pos_return is not None and self.state is not ReturnState.RECORDING
            preview = self.preview
            if keep and preview is not None and preview.approved_by is not None:
                self.preview = preview = replace(preview, approved_by=None)
        if not keep:
            self.cancel()
        elif preview is not None:
            self.events.emit("return_preview", preview)
