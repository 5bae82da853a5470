"""The counter flow, free of Qt: identify the member, quote, confirm, record, print.

States: idle → member (a member is on screen, the cashier enters the amount) → done
(the sale is committed; the receipt is printing) → idle on the next tap or "next".
Methods may be called from any thread (the card reader calls `card_presented` on its
own thread); results are announced as events on the bus.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from desktop.receipts import build_sale_receipt, receipt_to_dict
from devices.cards import CardEvent, CardPresented, CardRemoved, ReaderError
from loyalty.quote import Quote, QuoteError, quote_sale
from sync.events import EventBus
from sync.store import MemberView, RecordedSale, RegisterStore, SaleFacts, StoreError
from sync.worker import StoreWorker

log = logging.getLogger(__name__)


class CounterState(Enum):
    IDLE = "idle"
    MEMBER = "member"
    RECORDING = "recording"
    DONE = "done"


def parse_int(text: str, what: str) -> int:
    """An integer typed by the cashier: digits (half or full width) and commas only."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    if cleaned == "":
        return 0
    if not cleaned.isdecimal():
        raise QuoteError(f"{what}は数字で入力してください")
    return int(cleaned)  # int() accepts full-width digits, which a Japanese IME may type


class CounterFlow:
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        events: EventBus,
        *,
        tz: ZoneInfo,
        store_name: str,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        staff_id: str | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.tz = tz
        self.store_name = store_name
        self.clock = clock
        self.staff_id = staff_id
        self._lock = threading.Lock()
        self.state = CounterState.IDLE
        self.member: MemberView | None = None
        self.last_sale: RecordedSale | None = None

    # -- identification ---------------------------------------------------------------

    def on_card_event(self, event: CardEvent) -> None:
        if isinstance(event, CardPresented):
            self.card_presented(event.uid)
        elif isinstance(event, ReaderError):
            self.events.emit("counter_message", event.reason, "error")
        elif isinstance(event, CardRemoved):
            pass  # the member stays on screen until the sale is done or cancelled

    def card_presented(self, uid: str) -> None:
        with self._lock:
            if self.state is CounterState.RECORDING:
                self.events.emit("counter_message", "記録中です。しばらくお待ちください", "info")
                return
            try:
                member = self.store.member_by_card(uid)
            except StoreError as exc:
                self.events.emit("counter_message", str(exc), "error")
                return
            self.member = member
            self.state = CounterState.MEMBER
        self.events.emit("member_shown", member)

    def cancel(self) -> None:
        with self._lock:
            if self.state is CounterState.RECORDING:
                return
            self.state = CounterState.IDLE
            self.member = None
        self.events.emit("counter_reset")

    # -- quote and sale ---------------------------------------------------------------

    def quote(self, amount_text: str, redeem_text: str = "") -> Quote:
        """Quote what the cashier typed; QuoteError says what is wrong with it."""
        program = self.store.program()
        if program is None:
            raise QuoteError("ポイントプログラムがまだ届いていません。同期してください")
        member = self.member
        if member is None:
            raise QuoteError("会員カードをタッチしてください")
        amount = parse_int(amount_text, "金額")
        redeem = parse_int(redeem_text, "利用ポイント")
        return quote_sale(program, amount, redeem_points=redeem, balance=member.balance)

    def confirm(self, amount_text: str, redeem_text: str = "") -> None:
        """Record the sale on the store thread; announces `sale_recorded` after the commit."""
        with self._lock:
            if self.state is not CounterState.MEMBER or self.member is None:
                self.events.emit("counter_message", "会員カードをタッチしてください", "error")
                return
            try:
                quote = self.quote(amount_text, redeem_text)
            except QuoteError as exc:
                self.events.emit("counter_message", str(exc), "error")
                return
            member = self.member
            self.state = CounterState.RECORDING
        future = self.worker.submit(self._record, member, quote)
        future.add_done_callback(self._recorded)

    def _record(self, member: MemberView, quote: Quote) -> RecordedSale:
        footer = ""
        program = self.store.program()
        if program is not None:
            footer = program.receipt_footer

        def build(facts: SaleFacts) -> dict[str, object]:
            return receipt_to_dict(build_sale_receipt(facts, store_name=self.store_name,
                                                      footer=footer, tz=self.tz))

        return self.store.record_sale(member.member_id, quote, staff_id=self.staff_id,
                                      local_time=self.clock(self.tz), build_receipt=build)

    def _recorded(self, future: Future[RecordedSale]) -> None:
        error = future.exception()
        if error is not None:
            with self._lock:
                self.state = CounterState.MEMBER
            message = str(error) if isinstance(error, StoreError) else "記録できませんでした"
            if not isinstance(error, StoreError):
                log.error("sale not recorded", exc_info=error)
            self.events.emit("counter_message", message, "error")
            return
        sale = future.result()
        with self._lock:
            self.state = CounterState.DONE
            self.last_sale = sale
            self.member = None
        # Only now, after the commit, does the screen say done and the printer start.
        self.events.emit("sale_recorded", sale)
