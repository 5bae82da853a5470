"""The return flow, free of Qt: find the sale, choose what comes back, preview what happens
to the points, get a manager's approval when the policy asks, record, print.

States: idle → sale (the original sale is on screen) → preview (an amount or lines are
chosen and the point reversal is shown) → recording → done. A return the policy sends to
a manager stays in preview until a manager's PIN approves it; a signed-in manager
approves their own. Methods may be called from any thread; results are announced as
events on the bus, writes run on the store thread.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from desktop.receipts import ReturnFacts, build_return_receipt, receipt_to_dict
from loyalty.scan import ScanKind, classify_scan
from sync import ops
from sync.events import EventBus
from sync.ops import OpFacts, RecordedOp, ReturnEstimate, SaleRecord
from sync.protocol import SaleLine
from sync.staff import StaffBook, StaffError, StaffView
from sync.store import MemberView, RegisterStore, StoreError
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

EVENTS = ("return_sale_shown", "return_preview", "return_recorded", "return_message",
          "return_reset")


class ReturnState(Enum):
    IDLE = "idle"
    SALE = "sale"
    PREVIEW = "preview"
    RECORDING = "recording"
    DONE = "done"


@dataclass(frozen=True)
class ReturnPolicy:
    """When a return needs a manager's PIN (a store setting; the defaults are typical)."""

    manager_over_yen: int = 10_000  # a return of more than this
    manager_after_days: int = 30  # a return of a sale older than this

    def reasons(self, returned_yen: int, sold_at: datetime, now: datetime) -> tuple[str, ...]:
        out = []
        if returned_yen > self.manager_over_yen:
            out.append(f"返品金額が ￥{self.manager_over_yen:,} を超えています")
        if (now - sold_at).days > self.manager_after_days:
            out.append(f"お買上げから {self.manager_after_days} 日を過ぎています")
        return tuple(out)


@dataclass(frozen=True)
class ReturnPreview:
    sale: SaleRecord
    estimate: ReturnEstimate
    lines: tuple[SaleLine, ...]
    member: MemberView | None
    approval_reasons: tuple[str, ...]
    approved_by: str | None = None

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
        if not self.shortfall:
            return ""
        return (f"お客様はこのお買上げのポイントをすでに使っています。不足する {self.shortfall:,} pt は"
                "マイナス残高となり、次回以降の獲得ポイントから差し引かれます")


def parse_yen(text: str) -> int:
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("￥", "")
    cleaned = cleaned.replace("¥", "").replace("円", "")
    if not cleaned.isdecimal():
        raise StoreError("返品金額は数字で入力してください")
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
        policy: ReturnPolicy | None = None,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        staff: StaffView | None = None,
        online: Callable[[], bool] = lambda: True,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.staff_book = staff_book
        self.print_receipt = print_receipt
        self.tz = tz
        self.store_name = store_name
        self.policy = policy or ReturnPolicy()
        self.clock = clock
        self.staff = staff  # the signed-in staff member; the shell keeps it current
        self.online = online  # offline, the slip is marked provisional
        self._lock = threading.Lock()
        self.state = ReturnState.IDLE
        self.sale: SaleRecord | None = None
        self.preview: ReturnPreview | None = None
        self.last: RecordedOp | None = None

    def _message(self, text: str, level: str = "error") -> None:
        self.events.emit("return_message", text, level)

    # -- finding the sale ---------------------------------------------------------------

    def scan(self, text: str) -> None:
        """A scanned receipt QR ("TR:R01-000001")."""
        scan = classify_scan(text)
        if scan.kind is not ScanKind.RECEIPT:
            self._message(scan.message if scan.kind is ScanKind.UNKNOWN
                          else "レシートのQRコードを読み取ってください")
            return
        self.search(f"{scan.device_id}-{scan.seq:06d}")

    def search(self, receipt_no: str) -> None:
        """The sale with this receipt number (typed, or from a scan)."""
        with self._lock:
            if self.state is ReturnState.RECORDING:
                self._message("記録中です。しばらくお待ちください", "info")
                return
            try:
                sale = ops.find_sale(self.store, receipt_no)
            except StoreError as exc:
                self._message(str(exc))
                return
            if sale.state == "rejected":
                self._message("この取引は本部で受け付けられなかったため、返品のポイント処理はできません")
                return
            if sale.remaining_yen <= 0:
                self._message(f"取引 {sale.receipt_no} はすべて返品済みです")
                return
            self.sale, self.preview = sale, None
            self.state = ReturnState.SALE
        self.events.emit("return_sale_shown", sale)

    def member_of(self, sale: SaleRecord) -> MemberView | None:
        """The sale's member as the register holds them now."""
        return self.store.member(sale.member_id)

    # -- what comes back ----------------------------------------------------------------

    def choose_amount(self, text: str) -> ReturnPreview | None:
        """A partial (or full) return by amount."""
        try:
            amount = parse_yen(text)
        except StoreError as exc:
            self._message(str(exc))
            return None
        return self._preview(amount, ())

    def choose_all(self) -> ReturnPreview | None:
        sale = self.sale
        if sale is None:
            return None
        lines = tuple(sale.returnable_lines()) if sale.lines else ()
        return self._preview(sale.remaining_yen, lines)

    def choose_lines(self, indices: Sequence[int]) -> ReturnPreview | None:
        """Lines of the basket, by their index in `sale.returnable_lines()`."""
        sale = self.sale
        if sale is None:
            return None
        left = sale.returnable_lines()
        if not indices or any(not 0 <= i < len(left) for i in indices):
            self._message("返品する商品を選んでください")
            return None
        lines = tuple(left[i] for i in sorted(set(indices)))
        return self._preview(sum(ln.amount_yen for ln in lines), lines)

    def _preview(self, amount: int, lines: tuple[SaleLine, ...]) -> ReturnPreview | None:
        with self._lock:
            sale = self.sale
            if sale is None or self.state not in (ReturnState.SALE, ReturnState.PREVIEW):
                self._message("先にレシートを読み取ってください")
                return None
            try:
                estimate = ops.return_estimate(sale, amount, lines or None)
            except StoreError as exc:
                self._message(str(exc))
                return None
            reasons = self.policy.reasons(amount, sale.local_time, self.clock(self.tz))
            staff = self.staff
            approved = staff.staff_id if reasons and staff is not None and staff.is_manager \
                else None
            preview = ReturnPreview(sale, estimate, lines, self.store.member(sale.member_id),
                                    reasons, approved)
            self.preview, self.state = preview, ReturnState.PREVIEW
        self.events.emit("return_preview", preview)
        return preview

    # -- approval and recording ---------------------------------------------------------

    def approve(self, manager_id: str, pin: str) -> Future[StaffView] | None:
        """Check a manager's PIN on the store thread (a sign-in, audited, with lockout)."""
        if self.preview is None:
            self._message("先に返品内容を選んでください")
            return None
        future = self.worker.submit(self.staff_book.sign_in, manager_id.strip(), pin)
        future.add_done_callback(self._approved)
        return future

    def _approved(self, future: Future[StaffView]) -> None:
        error = future.exception()
        if isinstance(error, StaffError):
            self._message(str(error))
            return
        if error is not None:
            log.error("manager approval failed", exc_info=error)
            self._message("承認できませんでした")
            return
        manager = future.result()
        if not manager.is_manager:
            self._message("承認は店長の暗証番号で行ってください")
            return
        with self._lock:
            if self.preview is None:
                return
            self.preview = ReturnPreview(self.preview.sale, self.preview.estimate,
                                         self.preview.lines, self.preview.member,
                                         self.preview.approval_reasons, manager.staff_id)
            preview = self.preview
        self.events.emit("return_preview", preview)
        self._message(f"{manager.display_name} さんが承認しました", "info")

    def confirm(self) -> Future[RecordedOp] | None:
        """Record the return on the store thread; `return_recorded` follows the commit."""
        with self._lock:
            preview = self.preview
            if self.state is not ReturnState.PREVIEW or preview is None:
                self._message("先に返品内容を選んでください")
                return None
            if preview.needs_approval:
                self._message("店長の承認が必要です: " + "、".join(preview.approval_reasons))
                return None
            self.state = ReturnState.RECORDING
        future = self.worker.submit(self._record, preview, self.staff)
        future.add_done_callback(self._recorded)
        return future

    def _record(self, preview: ReturnPreview, staff: StaffView | None) -> RecordedOp:
        program = self.store.program()
        footer = program.receipt_footer if program is not None else ""
        offline = not self.online()

        def build(facts: OpFacts) -> dict[str, object]:
            return return_receipt(facts, preview.sale, store_name=self.store_name,
                                  footer=footer, tz=self.tz, offline=offline,
                                  staff_name=staff.display_name if staff else None)

        return ops.record_return(
            self.store, preview.sale.receipt_no, preview.estimate.returned_yen,
            lines=preview.lines or None, staff_id=staff.staff_id if staff else None,
            approved_by=preview.approved_by, local_time=self.clock(self.tz), build_receipt=build)

    def _recorded(self, future: Future[RecordedOp]) -> None:
        error = future.exception()
        if error is not None:
            with self._lock:
                self.state = ReturnState.PREVIEW
            if not isinstance(error, StoreError):
                log.error("return not recorded", exc_info=error)
            self._message(str(error) if isinstance(error, StoreError) else "記録できませんでした")
            return
        recorded = future.result()
        with self._lock:
            self.state, self.last = ReturnState.DONE, recorded
            self.sale, self.preview = None, None
        # Only after the commit: the screen says done and the slip prints.
        self.events.emit("return_recorded", recorded)
        self.print_receipt(recorded.op.op_id)

    def cancel(self) -> None:
        with self._lock:
            if self.state is ReturnState.RECORDING:
                return
            self.state, self.sale, self.preview = ReturnState.IDLE, None, None
        self.events.emit("return_reset")
