"""POS returns at the returns flow: what `desktop.flows.returns.ReturnFlow` does with a
return the POS hands over, kept apart from the flow's own steps.

- `pos_return_waiting(PosReturn)` (from the bridge): the sale is looked up and opened with
  the POS's amount (and its lines, when they are lines of the sale not returned yet), or,
  when the register cannot take it (the sale is unknown here, HQ refused it, part of it
  was already returned at the counter), the POS is refused at once with a reason code
  and the cashier is told why: the POS is never left waiting for nothing.
- The cashier's confirm commits the POS's answer with the op (`builder`), their "start
  over" refuses it (`cancelled_at_counter`), a sign-out keeps it for the next person.
- `pos_return_closed(return_id, state, reason)`: the POS withdrew it or it expired.

A POS return arriving while another return is being committed waits for that commit.
This object shares the flow's lock and state: it is the flow's POS half, not a flow.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.flows.returns import SALE_REFUSED, ReturnPreview, ReturnState, text_of
from sync import ops
from sync.events import EventBus
from sync.ops import OpReceiptBuilder, SaleRecord
from sync.protocol import SaleLine
from sync.store import StoreError

if TYPE_CHECKING:
    from desktop.flows.returns import ReturnFlow
    from desktop.poslink.counter_adapter import PosReturn

log = logging.getLogger(__name__)

POS_ARRIVED = QT_TRANSLATE_NOOP(
    "core", "POS から返品 ￥{amount:,}（{return_id}）が届きました。内容を確かめて「返品を確定」を"
    "押してください")
POS_CANCELLED = QT_TRANSLATE_NOOP(
    "core", "POS の返品（￥{amount:,}）を取り消しました。POS には「レジで取り消されました」と伝わります")
POS_WITHDRAWN = QT_TRANSLATE_NOOP("core", "POS が返品（￥{amount:,}）を取り消しました")
POS_EXPIRED = QT_TRANSLATE_NOOP(
    "core", "POS の返品（￥{amount:,}）は確定されないまま時間が過ぎたため取り消されました")
POS_REFUSED = QT_TRANSLATE_NOOP(
    "core", "POS の返品（￥{amount:,}、取引 {receipt_no}）はお受けできません: {reason} "
    "POS にそう伝えました")
POS_NOT_REFUSED = QT_TRANSLATE_NOOP(
    "core", "POS の返品を取り消せませんでした。もう一度「取消」を押してください")


class PosReturnBridge(Protocol):
    """The POS link as the returns flow uses it (`desktop.poslink.PosCounterBridge`)."""

    def current_return(self) -> PosReturn | None: ...

    def return_builder(self, build: OpReceiptBuilder, return_id: str) -> OpReceiptBuilder: ...

    def recording_failed(self) -> None: ...

    def refuse_return(self, return_id: str, reason: str = "cancelled_at_counter",
                      message: str | None = None) -> None: ...


def matching_lines(wanted: Sequence[SaleLine], sale: SaleRecord) -> tuple[SaleLine, ...]:
    """`wanted` when every line is one of the sale's lines not returned yet, else ()."""
    left = Counter(sale.returnable_lines())
    for line in wanted:
        if left[line] <= 0:
            return ()
        left[line] -= 1
    return tuple(wanted)


class PosReturns:
    """The returns flow's POS half (see the module docstring)."""

    def __init__(self, flow: ReturnFlow, bridge: PosReturnBridge, events: EventBus) -> None:
        self.flow = flow
        self.bridge = bridge
        self.events = events
        self._next: PosReturn | None = None  # arrived while a return was being committed
        events.subscribe("pos_return_waiting", self.waiting)
        events.subscribe("pos_return_closed", self.closed)

    def close(self) -> None:
        self.events.unsubscribe("pos_return_waiting", self.waiting)
        self.events.unsubscribe("pos_return_closed", self.closed)

    def adopt_left_waiting(self) -> None:
        """A POS return left waiting by the last run is still the cashier's."""
        waiting = self.bridge.current_return()
        if waiting is not None:
            self.waiting(waiting)

    # -- arriving -------------------------------------------------------------------------

    def waiting(self, ret: PosReturn) -> None:
        flow = self.flow
        with flow._lock:
            if flow.state is ReturnState.RECORDING:
                self._next = ret
                return
            flow.pos_return, self._next = ret, None
            flow._search += 1  # a manual search or HQ look-up in flight is dropped
            ticket = flow._search
        try:
            sale = ops.find_sale(flow.store, ret.original_receipt_no)
        except ops.SaleNotHere as exc:
            self._unusable(ret, "sale_unknown_here", text_of(exc))
            return
        except StoreError as exc:
            self._unusable(ret, "return_not_possible", text_of(exc))
            return
        if sale.state == "rejected":
            self._unusable(ret, "sale_refused_by_hq", Message(SALE_REFUSED))
            return
        wanted = tuple(SaleLine(sku=ln.sku, name=ln.name, category=ln.category,
                                quantity=ln.quantity, amount_yen=ln.amount_yen,
                                tax_rate=ln.tax_rate) for ln in ret.basket or ())
        lines = matching_lines(wanted, sale)
        with flow._lock:
            if flow.pos_return is not ret or ticket != flow._search:
                return
            flow.sale, flow.preview, flow.state = sale, None, ReturnState.SALE
        self.events.emit("return_pos_shown", ret)
        self.events.emit("return_sale_shown", sale)
        try:
            flow._preview(ret.amount_yen, lines, ret.return_id)
        except StoreError as exc:
            code = "return_exceeds_left" if ret.amount_yen > sale.remaining_yen \
                else "return_not_possible"
            self._unusable(ret, code, text_of(exc))
            return
        flow._message(Message(POS_ARRIVED, amount=ret.amount_yen, return_id=ret.return_id),
                      "info")

    def _unusable(self, ret: PosReturn, reason: str, why: str) -> None:
        flow = self.flow
        with flow._lock:
            if flow.pos_return is not ret:
                return
            flow.pos_return = None
            flow.state, flow.sale, flow.preview = ReturnState.IDLE, None, None
        self.events.emit("return_reset")
        log.warning("POS return %s refused: %s", ret.return_id, why)
        # Only the catch-all reason carries the register's own words (its English is
        # generic); the others have a text of their own in both languages.
        detail = str(why) if reason == "return_not_possible" else None
        self._refuse(ret, reason, Message(POS_REFUSED, amount=ret.amount_yen,
                                          receipt_no=ret.original_receipt_no, reason=why),
                     "error", detail)

    def _refuse(self, ret: PosReturn, reason: str, done: Message, level: str,
                detail: str | None = None) -> None:
        """Tell the POS, off the caller's thread; the screen clears the return now."""
        self.events.emit("return_pos_cleared", ret.return_id, "refused")

        def refuse() -> None:
            try:
                self.bridge.refuse_return(ret.return_id, reason, detail)
            except Exception:
                log.exception("POS return %s not refused", ret.return_id)
                still = self.bridge.current_return()
                if still is not None and still.return_id == ret.return_id:
                    self.flow._message(Message(POS_NOT_REFUSED))
                    self.waiting(still)  # still there: show it again
                return
            self.flow._message(done, level)

        threading.Thread(target=refuse, name="tamaru-pos-refuse", daemon=True).start()

    # -- the cashier's answers --------------------------------------------------------------

    def builder(self, build: OpReceiptBuilder, preview: ReturnPreview) -> OpReceiptBuilder:
        """The slip builder for the op of `preview`: stamping the POS's answer when the
        preview settles a POS return."""
        if preview.pos_return_id is None:
            return build
        return self.bridge.return_builder(build, preview.pos_return_id)

    def recording_failed(self) -> None:
        self.bridge.recording_failed()  # the POS may cancel it again

    def cancelled(self, ret: PosReturn) -> None:
        """The cashier's "start over" on a POS return: the POS hears it was cancelled."""
        self._refuse(ret, "cancelled_at_counter",
                     Message(POS_CANCELLED, amount=ret.amount_yen), "info")

    def after_commit(self, preview: ReturnPreview, ret: PosReturn | None,
                     committed: bool) -> None:
        """After the store thread's answer for `preview` (the flow's lock not held)."""
        flow = self.flow
        if committed:
            if ret is not None and preview.pos_return_id == ret.return_id:
                self.events.emit("return_pos_cleared", ret.return_id, "confirmed")
        else:
            gone = None
            with flow._lock:
                current = flow.pos_return
                if current is not None and self.bridge.current_return() is None:
                    # Withdrawn or expired while the cashier confirmed: nothing to settle.
                    gone, flow.pos_return = current, None
                    flow.state, flow.sale, flow.preview = ReturnState.IDLE, None, None
            if gone is not None:
                self.events.emit("return_pos_cleared", gone.return_id, "refused")
                self.events.emit("return_reset")
        with flow._lock:
            ret, self._next = self._next, None
        if ret is not None:
            self.waiting(ret)

    # -- leaving --------------------------------------------------------------------------

    def closed(self, return_id: str, state: str, reason: str | None = None) -> None:
        """The POS return left the counter: withdrawn by the POS, expired, or settled."""
        flow = self.flow
        with flow._lock:
            if self._next is not None and self._next.return_id == return_id:
                self._next = None
            ret = flow.pos_return
            if ret is None or ret.return_id != return_id or state == "confirmed" or \
                    flow.state is ReturnState.RECORDING:
                # Confirmed: the flow clears it after its commit. Recording: the commit
                # refuses it (the bridge's builder) and `after_commit` clears it.
                return
            flow.pos_return = None
            flow.state, flow.sale, flow.preview = ReturnState.IDLE, None, None
        self.events.emit("return_pos_cleared", return_id, state)
        self.events.emit("return_reset")
        template = POS_EXPIRED if reason == "expired" else POS_WITHDRAWN
        flow._message(Message(template, amount=ret.amount_yen), "warning")
