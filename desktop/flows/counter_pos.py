"""The counter's side of the POS link: a POS sale waiting, closed, settled without a member.

Part of `desktop.flows.counter.CounterFlow` (a mixin, so the flow stays one object with
one lock and one state): a POS sale waiting at the counter fills the basket
(`pos_sale_shown(PosSale)`); cancelling refuses it, so the POS hears why
(`pos_sale_cleared(sale_id, state)` when it leaves the counter). Confirming is the
flow's own `confirm`, which records through the link's receipt builder.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from desktop.flows.counter_state import CounterState, PendingHold
from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from sync.events import EventBus
from sync.store import MemberView, ReceiptBuilder

if TYPE_CHECKING:
    from desktop.poslink.counter_adapter import PosSale
    from loyalty.basket import Line

log = logging.getLogger(__name__)

# What the cashier is told about the POS's sale (the "core" context, like messages.py).
POS_AMOUNT_DIFFERS = QT_TRANSLATE_NOOP(
    "core", "POS の金額（{pos}）と明細の合計（{basket}）が違います。POS から送り直してください")
POS_CANCELLED = QT_TRANSLATE_NOOP(
    "core", "POS の取引（{amount}）を取り消しました。POS には「レジで取り消されました」と伝わります")
POS_NO_MEMBER = QT_TRANSLATE_NOOP(
    "core", "POS に「会員なしでお会計」と伝えました（{amount}）。POS でそのままお会計してください")
POS_WITHDRAWN = QT_TRANSLATE_NOOP("core", "POS が取引（{amount}）を取り消しました")
POS_EXPIRED = QT_TRANSLATE_NOOP(
    "core", "POS の取引（{amount}）は確定されないまま時間が過ぎたため取り消しました。"
    "POS から送り直してください")
POS_NOT_REFUSED = QT_TRANSLATE_NOOP(
    "core", "POS の取引を取り消せませんでした。もう一度「取消」を押してください")


class PosDesk(Protocol):
    """The POS link as the counter uses it (`desktop.poslink.PosCounterBridge`)."""

    def current(self) -> PosSale | None: ...

    def receipt_builder(self, build: ReceiptBuilder, sale_id: str | None = None
                        ) -> ReceiptBuilder: ...

    def recording_failed(self) -> None: ...

    def refuse(self, sale_id: str, reason: str = "cancelled_at_counter",
               message: str | None = None) -> None: ...


def yen(amount: int) -> str:
    return f"￥{amount:,}"


class PosCounter:
    """The POS link's methods of `CounterFlow`; the attributes are the flow's."""

    events: EventBus
    pos: PosDesk | None
    pos_sale: PosSale | None
    state: CounterState
    member: MemberView | None
    _lock: threading.Lock
    _lines: list[Line]
    _hold: PendingHold | None
    _hold_pool: ThreadPoolExecutor

    def _void(self, hold: PendingHold) -> None:
        raise NotImplementedError

    def pos_sale_waiting(self, sale: PosSale) -> None:
        """A POS sale reached the counter (the link's `pos_sale_waiting`): its basket is
        the sale's, from now or from the next customer when one is being recorded."""
        with self._lock:
            self.pos_sale = sale
            if self.state not in (CounterState.HOLDING, CounterState.RECORDING):
                self._lines = list(sale.basket)
        self.events.emit("pos_sale_shown", sale)

    def pos_sale_closed(self, sale_id: str, state: str) -> None:
        """The POS sale left the counter: confirmed, refused, or withdrawn by the POS."""
        with self._lock:
            pos = self.pos_sale
            if pos is None or pos.sale_id != sale_id:
                return
            self.pos_sale = None
            if state != "confirmed" and self.state not in (CounterState.HOLDING,
                                                           CounterState.RECORDING):
                self._lines = []
        self.events.emit("pos_sale_cleared", sale_id, state)
        if state == "cancelled":
            self.events.emit("counter_message",
                             Message(POS_WITHDRAWN, amount=yen(pos.amount_yen)), "warning")

    def pos_request_expired(self, kind: str, request_id: str) -> None:
        """A POS sale waited at the counter past the link's limit and is refused as
        expired (its `pos_sale_closed` follows): say so, or the banner just vanishes."""
        with self._lock:
            pos = self.pos_sale
        if kind != "sale" or pos is None or pos.sale_id != request_id:
            return
        self.events.emit("counter_message",
                         Message(POS_EXPIRED, amount=yen(pos.amount_yen)), "warning")

    def pos_no_member(self) -> bool:
        """The customer has no card: the POS settles the sale without points."""
        with self._lock:
            pos = self.pos_sale
            if pos is None or self.state in (CounterState.HOLDING, CounterState.RECORDING):
                return False
            self.pos_sale = None
            if self.state is not CounterState.DONE:
                self.state, self.member = CounterState.IDLE, None
            self._lines = []
            hold, self._hold = self._hold, None
        if hold is not None:
            self._void(hold)
        self.events.emit("counter_reset")
        self._refuse_pos(pos, "no_member", Message(POS_NO_MEMBER, amount=yen(pos.amount_yen)))
        return True

    def _refuse_pos(self, pos: PosSale, reason: str, done: Message) -> None:
        """Tell the POS (off the caller's thread); the screen clears its banner now."""
        self.events.emit("pos_sale_cleared", pos.sale_id, "refused")

        def refuse() -> None:
            assert self.pos is not None
            try:
                self.pos.refuse(pos.sale_id, reason)
            except Exception:
                log.exception("POS sale %s not refused", pos.sale_id)
                waiting = self.pos.current()
                if waiting is not None and waiting.sale_id == pos.sale_id:
                    self.events.emit("counter_message", Message(POS_NOT_REFUSED), "error")
                    self.pos_sale_waiting(waiting)  # still there: show it again
                return
            self.events.emit("counter_message", done, "info")

        self._hold_pool.submit(refuse)
