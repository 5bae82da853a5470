"""Where the POS link meets the counter flow: a narrow, Qt-free bridge over the event bus.

Events announced (all from whichever thread caused them; the GUI re-emits them as Qt
signals like every other core event):

- `pos_sale_waiting(PosSale)`: a POS sale arrived; the counter shows "POS から ￥3,280"
  and fills its basket with `PosSale.basket`.
- `pos_return_waiting(PosReturn)`: a POS return arrived, for the returns flow.
- `pos_sale_closed(sale_id, state)` / `pos_return_closed(return_id, state, reason)`: it
  left the counter (confirmed, refused at the counter, expired, or cancelled by the POS):
  clear the screen. (The returns flow also hears why, so it can tell the cashier.)
- `pos_request_expired(kind, id)`: just before its `…_closed`, when nobody settled it in
  time (`PosBroker.expire_after_s`), so a screen can say so rather than clear silently.

Listened to: `sale_recorded` (and `return_recorded`), whose object carries the committed
`receipt_model`; a model stamped with the waiting request's confirmation ref confirms it.
The stamp goes into the model through `receipt_builder` (`return_builder` for returns),
inside the register's commit.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.poslink.broker import (
    Change,
    Kind,
    PosBroker,
    confirmation_ref,
    read_stamp,
    return_ref,
    stamp_receipt,
)
from desktop.poslink.models import PosError, ReturnResult, SaleResult
from loyalty.basket import Line
from sync.events import EventBus
from sync.ops import OpFacts, OpReceiptBuilder
from sync.store import ReceiptBuilder, RecordedSale, RegisterStore, SaleFacts, StoreError

log = logging.getLogger(__name__)

# Why the register refuses to commit a POS return (the commit rolls back; "core" context).
POS_AMOUNT_OTHER = QT_TRANSLATE_NOOP("core", "POS の金額（￥{amount:,}）と異なります")
POS_STILL_WAITING = QT_TRANSLATE_NOOP(
    "core", "POS の取引（￥{amount:,}）は金額が異なるため待機中のままです")
POS_RETURN_GONE = QT_TRANSLATE_NOOP(
    "core", "POS の返品（{return_id}）は取り消されたか時間切れになりました。返品は記録していません")
POS_RETURN_DIFFERS = QT_TRANSLATE_NOOP(
    "core", "POS の返品（{pos}、{pos_receipt}）と画面の返品（{counter}、{receipt}）が違います。"
    "返品は記録していません")


@dataclass(frozen=True)
class PosSale:
    """A POS sale as the counter screen shows it."""

    sale_id: str
    amount_yen: int
    tax_basis: str
    basket: tuple[Line, ...]  # tax included, adding up to amount_yen: quote with these
    received_at: datetime

    @property
    def headline(self) -> str:
        return f"POS から ￥{self.amount_yen:,}"


@dataclass(frozen=True)
class PosReturn:
    return_id: str
    sale_id: str
    amount_yen: int
    original_receipt_no: str  # the loyalty receipt of the sale being returned
    basket: tuple[Line, ...] | None  # the lines the POS says came back, if it said
    received_at: datetime
    expires_at: datetime | None = None


def sale_result(facts: SaleFacts) -> SaleResult:
    """What the POS is told about a committed sale (points are yen 1:1 when used)."""
    q = facts.quote
    return SaleResult(points_earned=q.points_earned, points_used=q.redeem_points,
                      discount_yen=q.redeem_points, amount_due_yen=q.amount_yen - q.redeem_points,
                      balance_after=facts.balance_after, receipt_no=facts.receipt_no,
                      member_no=facts.member.masked_no,
                      confirmed_at=facts.local_time.astimezone(UTC))


def return_result(facts: OpFacts) -> ReturnResult:
    """What the POS is told about a committed return: the register's estimate, as its
    return slip prints it (a reversal the balance cannot cover is debt)."""
    est, member = facts.estimate, facts.member
    assert est is not None
    after = member.balance if member is not None else 0
    return ReturnResult(points_reversed=est.points_reversed,
                        points_restored=est.points_restored, balance_after=max(0, after),
                        debt_after=(member.debt if member is not None else 0) + max(0, -after),
                        receipt_no=facts.receipt_no,
                        member_no=member.masked_no if member is not None else "",
                        confirmed_at=facts.local_time.astimezone(UTC))


class PosCounterBridge:
    def __init__(self, broker: PosBroker, events: EventBus) -> None:
        self.broker = broker
        self.events = events
        self._lock = threading.Lock()
        self._claimed: set[tuple[Kind, str]] = set()
        broker.add_listener(self._changed)
        events.subscribe("sale_recorded", self._recorded)
        events.subscribe("return_recorded", self._recorded)

    def close(self) -> None:
        self.broker.remove_listener(self._changed)
        self.events.unsubscribe("sale_recorded", self._recorded)
        self.events.unsubscribe("return_recorded", self._recorded)

    # -- what is waiting ----------------------------------------------------------------

    def current(self) -> PosSale | None:
        """The POS sale waiting at the counter, if any."""
        waiting = self.broker.waiting()
        return self._sale(waiting[1]) if waiting and waiting[0] == "sale" else None

    def current_return(self) -> PosReturn | None:
        waiting = self.broker.waiting()
        return self._return(waiting[1]) if waiting and waiting[0] == "return" else None

    def _sale(self, sale_id: str) -> PosSale | None:
        request, view = self.broker.sale_request(sale_id), self.broker.get_sale(sale_id)
        if request is None or view is None:
            return None
        return PosSale(sale_id, request.amount_yen, request.tax_basis, request.basket(),
                       view.received_at)

    def _return(self, return_id: str) -> PosReturn | None:
        request, view = self.broker.return_request(return_id), self.broker.get_return(return_id)
        sale = self.broker.get_sale(request.sale_id) if request is not None else None
        if request is None or view is None or sale is None or sale.result is None:
            return None
        basket = tuple(Line(sku=ln.sku, amount_yen=ln.amount_yen, category=ln.category,
                            quantity=ln.quantity, tax_rate=ln.tax_rate, name=ln.name)
                       for ln in request.lines) if request.lines else None
        return PosReturn(return_id, request.sale_id, request.amount_yen, sale.result.receipt_no,
                         basket, view.received_at, view.expires_at)

    def _changed(self, change: Change) -> None:
        if change.state == "waiting":
            if change.kind == "sale":
                sale = self._sale(change.id)
                if sale is not None:
                    self.events.emit("pos_sale_waiting", sale)
            else:
                ret = self._return(change.id)
                if ret is not None:
                    self.events.emit("pos_return_waiting", ret)
        elif change.kind == "sale":
            if change.reason == "expired":
                self.events.emit("pos_request_expired", "sale", change.id)
            self.events.emit("pos_sale_closed", change.id, change.state)
        else:
            if change.reason == "expired":
                self.events.emit("pos_request_expired", "return", change.id)
            self.events.emit("pos_return_closed", change.id, change.state, change.reason)

    # -- the cashier's answers ----------------------------------------------------------

    def refuse(self, sale_id: str, reason: str = "cancelled_at_counter",
               message: str | None = None) -> None:
        """The cashier will not settle this POS sale (cancel, or "no member")."""
        self.broker.refuse("sale", sale_id, reason, ja=message)

    def refuse_return(self, return_id: str, reason: str = "cancelled_at_counter",
                      message: str | None = None) -> None:
        self.broker.refuse("return", return_id, reason, ja=message)

    def receipt_builder(self, build: ReceiptBuilder, sale_id: str | None = None
                        ) -> ReceiptBuilder:
        """`build`, stamping the POS sale this register sale settles, inside its commit.

        With `sale_id` (the flow knows it is settling that POS sale) a sale that no
        longer waits, or whose amount differs, is refused with StoreError and rolls back.
        Without it, the waiting POS sale is stamped when the amounts agree.
        """
        def wrapped(facts: SaleFacts) -> dict[str, Any]:
            model = build(facts)
            waiting = self.broker.waiting()
            pending = waiting[1] if waiting and waiting[0] == "sale" else None
            if sale_id is not None and pending != sale_id:
                raise StoreError("POS の取引は取り消されたか、既に処理されています")
            if pending is None:
                return model
            pos = self.broker.get_sale(pending)
            if pos is None or pos.amount_yen != facts.quote.amount_yen:
                amount = pos.amount_yen if pos is not None else 0
                if sale_id is not None:
                    raise StoreError(Message(POS_AMOUNT_OTHER, amount=amount))
                self.events.emit("counter_message", Message(POS_STILL_WAITING, amount=amount),
                                 "info")
                return model
            self._claim("sale", pending)
            return stamp_receipt(model, confirmation_ref(pending), sale_result(facts))

        return wrapped

    def return_builder(self, build: OpReceiptBuilder, return_id: str) -> OpReceiptBuilder:
        """`build` for the returns flow's op, stamping the POS return it settles.

        Runs inside the return's commit: a POS return that no longer waits (cancelled by
        the POS, expired), or one of another amount or sale than the op on screen, is
        refused with StoreError and the op rolls back; otherwise it is claimed (the POS can
        no longer cancel it) and the POS's answer is committed with the op.
        """
        def wrapped(facts: OpFacts) -> dict[str, Any]:
            model = build(facts)
            est = facts.estimate
            request = self.broker.return_request(return_id)
            sale = self.broker.get_sale(request.sale_id) if request is not None else None
            if self.broker.waiting() != ("return", return_id) or request is None or \
                    sale is None or sale.result is None or est is None:
                raise StoreError(Message(POS_RETURN_GONE, return_id=return_id))
            if est.returned_yen != request.amount_yen or \
                    est.sale_receipt_no != sale.result.receipt_no:
                raise StoreError(Message(
                    POS_RETURN_DIFFERS, pos=f"￥{request.amount_yen:,}",
                    pos_receipt=sale.result.receipt_no, counter=f"￥{est.returned_yen:,}",
                    receipt=est.sale_receipt_no))
            self._claim("return", return_id)
            return stamp_receipt(model, return_ref(return_id), return_result(facts))

        return wrapped

    def claim_return(self, return_id: str) -> None:
        """For the returns flow: call inside the return's commit, before stamping."""
        self._claim("return", return_id)

    def stamp_return(self, model: dict[str, Any], return_id: str,
                     result: ReturnResult) -> dict[str, Any]:
        return stamp_receipt(model, return_ref(return_id), result)

    def _claim(self, kind: Kind, id_: str) -> None:
        try:
            self.broker.claim(kind, id_)
        except PosError as exc:
            raise StoreError(exc.ja) from exc
        with self._lock:
            self._claimed.add((kind, id_))

    def recording_failed(self) -> None:
        """The register's commit failed: what this bridge claimed may be cancelled again."""
        with self._lock:
            claimed, self._claimed = self._claimed, set()
        for kind, id_ in claimed:
            self.broker.release(kind, id_)

    def _recorded(self, recorded: RecordedSale | Any) -> None:
        stamp = read_stamp(getattr(recorded, "receipt_model", None))
        if stamp is None:
            return
        ref, result = stamp
        kind: Kind = "return" if ref.startswith("POS-RETURN:") else "sale"
        id_ = ref.split(":", 1)[1]
        with self._lock:
            self._claimed.discard((kind, id_))
        try:
            if kind == "sale":
                self.broker.confirm_sale(id_, SaleResult.model_validate(result))
            else:
                self.broker.confirm_return(id_, ReturnResult.model_validate(result))
        except PosError as exc:
            self.events.emit("counter_message", exc.ja, "error")
        except (sqlite3.Error, OSError):
            # The register's commit carries the stamp: reconcile at the next start settles it.
            log.exception("POS %s %s recorded but not confirmed to the POS yet", kind, id_)
            self.events.emit("counter_message",
                             "POS への結果の記録に失敗しました。再起動すると POS に送られます",
                             "error")


class PosLinkedStore:
    """The register store as today's `CounterFlow` uses it, with POS sales stamped.

    A thin adapter for flows that call `record_sale` without knowing about the POS
    link: everything else goes to the real store unchanged.
    """

    def __init__(self, store: RegisterStore, bridge: PosCounterBridge) -> None:
        self._store = store
        self._bridge = bridge

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record_sale(self, member_id: str, quote: Any, *, build_receipt: ReceiptBuilder,
                    **kwargs: Any) -> RecordedSale:
        builder = self._bridge.receipt_builder(build_receipt)
        try:
            return self._store.record_sale(member_id, quote, build_receipt=builder, **kwargs)
        except BaseException:
            self._bridge.recording_failed()
            raise


def register_receipt_finder(db_path: Path) -> Callable[[str], dict[str, Any] | None]:
    """`find_receipt` for `PosBroker.reconcile`, reading the register database directly.

    Only used at start-up, with at most one request waiting, so a scan of the receipts
    table is acceptable; the register store may later answer this with an index.
    """
    def find(ref: str) -> dict[str, Any] | None:
        con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute(
                "SELECT model FROM receipts WHERE json_extract(model, '$.pos_link.ref') = ? "
                "LIMIT 1", (ref,)).fetchone()
        finally:
            con.close()
        return dict(json.loads(row[0])) if row else None

    return find
