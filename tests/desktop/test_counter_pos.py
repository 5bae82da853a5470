"""The counter flow settling POS sales through the POS link, without Qt: a POS sale fills
the basket, the member's sale is recorded with the POS's answer stamped in the same
commit, and the counter's cancel and "no member" reach the POS as refusals."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from desktop.flows.counter import CounterFlow, CounterState
from desktop.flows.signin import StaffSession
from desktop.poslink import PosBroker, PosCounterBridge, PosSaleRequest, read_stamp
from sync.events import EventBus
from sync.staff import StaffBook
from sync.worker import StoreWorker
from tests.desktop.counter_support import (
    HANAKO_CARD,
    LIGHT,
    NOW,
    TOKYO,
    FakeHolds,
    Recorder,
    filled_store,
)

SALE = {"sale_id": "POS-1", "amount_yen": 3280, "tax_basis": "included",
        "lines": [{"sku": "4901", "name": "緑茶 2L", "category": "drink", "quantity": 2,
                   "amount_yen": 2000, "tax_rate": 8},
                  {"sku": "4902", "name": "お米 5kg", "category": "rice", "quantity": 1,
                   "amount_yen": 1280, "tax_rate": 8}]}


class PosEvents:
    def __init__(self, bus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in ("pos_sale_shown", "pos_sale_cleared"):
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args) -> None:
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name, timeout=5.0):
        with self._cond:
            assert self._cond.wait_for(lambda: any(n == name for n, _ in self.seen), timeout), \
                self.seen
            return next(a for n, a in self.seen if n == name)


@pytest.fixture
def desk(tmp_path):
    store = filled_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    book = StaffBook(store, hasher=LIGHT)
    session = StaffSession(store, worker, bus, book, clock=lambda: NOW)
    worker.call(book.create, "2001", "レジ 田村", "cashier", "0000", now=NOW)
    session.sign_in("2001", "0000").result(5)
    broker = PosBroker.open(tmp_path)
    bridge = PosCounterBridge(broker, bus)
    flow = CounterFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店 渋谷店",
                       clock=lambda tz: NOW, session=session, holds=FakeHolds(),
                       online=lambda: True, pos=bridge)
    rec, events = Recorder(bus), PosEvents(bus)
    yield flow, rec, store, broker, events
    flow.close()
    bridge.close()
    broker.close()
    worker.shutdown()
    store.close()


def post(broker: PosBroker, **changes) -> None:
    broker.submit_sale(PosSaleRequest.model_validate({**SALE, **changes}))


def tap(flow, rec) -> None:
    mark = rec.mark()
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown", after=mark)


def test_pos_sale_fills_the_basket_and_confirming_answers_the_pos(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    (shown,) = events.wait("pos_sale_shown")
    assert shown.sale_id == "POS-1" and flow.pos_sale == shown
    assert [(ln.name, ln.amount_yen) for ln in flow.lines] == [("緑茶 2L", 2000), ("お米 5kg", 1280)]
    tap(flow, rec)
    assert len(flow.lines) == 2  # the member arrives on the POS's basket
    flow.confirm("", "100")
    (sale,) = rec.wait("sale_recorded")
    ref, result = read_stamp(sale.receipt_model)
    assert ref == "POS:POS-1" and result["receipt_no"] == sale.facts.receipt_no
    view = broker.get_sale("POS-1")
    assert view.state == "confirmed"
    assert view.result.discount_yen == 100 and view.result.amount_due_yen == 3180
    assert view.result.points_earned == sale.facts.quote.points_earned
    assert view.result.balance_after == sale.facts.balance_after
    assert events.wait("pos_sale_cleared") == ("POS-1", "confirmed")
    assert flow.pos_sale is None and flow.lines == ()
    assert store.outbox_counts() == {"queued": 1}


def test_an_amount_that_differs_from_the_pos_is_refused_before_anything_is_recorded(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    events.wait("pos_sale_shown")
    tap(flow, rec)
    flow.confirm("500")  # the cashier typed an extra amount on top of the POS's lines
    text, level = rec.wait("counter_message")
    assert level == "error" and "POS の金額（￥3,280）" in text and "￥3,780" in text
    assert flow.state is CounterState.MEMBER
    assert store.outbox_counts() == {} and broker.get_sale("POS-1").state == "waiting"


def test_cancel_at_the_counter_refuses_the_pos_sale_clearly(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    events.wait("pos_sale_shown")
    tap(flow, rec)
    assert flow.cancel()
    assert events.wait("pos_sale_cleared") == ("POS-1", "refused")
    text, level = rec.wait("counter_message")
    assert level == "info" and "POS の取引（￥3,280）を取り消しました" in text
    view = broker.get_sale("POS-1")
    assert view.state == "refused" and view.reason == "cancelled_at_counter"
    assert view.detail.ja == "レジで取り消されました"
    assert flow.state is CounterState.IDLE and flow.lines == () and flow.pos_sale is None
    assert store.outbox_counts() == {}


def test_no_member_tells_the_pos_to_settle_without_points(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    events.wait("pos_sale_shown")
    assert flow.pos_no_member()
    rec.wait("counter_message")
    view = broker.get_sale("POS-1")
    assert view.state == "refused" and view.reason == "no_member"
    assert store.outbox_counts() == {}


def test_the_pos_withdrawing_its_sale_empties_the_basket_and_says_so(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    events.wait("pos_sale_shown")
    tap(flow, rec)
    broker.cancel_sale("POS-1")
    assert events.wait("pos_sale_cleared") == ("POS-1", "cancelled")
    text, level = rec.wait("counter_message")
    assert level == "warning" and "POS が取引（￥3,280）を取り消しました" in text
    assert flow.lines == () and flow.state is CounterState.MEMBER  # the member stays
    mark = rec.mark()
    flow.confirm("")
    text, level = rec.wait("counter_message", after=mark)
    assert level == "error" and text == "金額を入力するか、明細を追加してください"
    assert store.outbox_counts() == {}


def test_next_customer_after_a_sale_keeps_a_pos_sale_waiting(desk):
    flow, rec, store, broker, events = desk
    tap(flow, rec)
    flow.confirm("800")
    rec.wait("sale_recorded")
    post(broker)
    events.wait("pos_sale_shown")
    assert flow.state is CounterState.DONE
    flow.cancel()  # "next customer"
    assert broker.get_sale("POS-1").state == "waiting"
    assert flow.pos_sale is not None and len(flow.lines) == 2


def test_a_pos_sale_left_waiting_too_long_expires_and_the_cashier_is_told(desk):
    flow, rec, store, broker, events = desk
    post(broker)
    events.wait("pos_sale_shown")
    tap(flow, rec)
    later = broker._clock() + timedelta(seconds=broker.expire_after_s + 1)
    broker._clock = lambda: later
    mark = rec.mark()
    assert [c.id for c in broker.expire_overdue()] == ["POS-1"]
    assert events.wait("pos_sale_cleared") == ("POS-1", "refused")
    text, level = rec.wait("counter_message", after=mark)
    assert level == "warning" and "POS の取引（￥3,280）は確定されないまま時間が過ぎた" in text
    assert flow.pos_sale is None and flow.lines == ()
    assert broker.get_sale("POS-1").reason == "expired"
    assert store.outbox_counts() == {}
