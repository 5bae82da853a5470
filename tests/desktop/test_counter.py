"""The Qt-free counter flow against a real register store and its store thread."""

from __future__ import annotations

import threading

import pytest

from desktop.counter import CounterFlow, CounterState, parse_int
from desktop.receipts import receipt_from_dict
from devices.cards import CardPresented, ReaderError
from loyalty.quote import QuoteError
from sync.events import EventBus
from sync.worker import StoreWorker
from tests.support.seed import CARD_UID, NOW, TOKYO, seeded_store


class Recorder:
    """Collects events and lets a test wait for one (bounded)."""

    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in ("member_shown", "counter_message", "sale_recorded", "counter_reset"):
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args):
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name, timeout=5.0):
        with self._cond:
            ok = self._cond.wait_for(lambda: any(n == name for n, _ in self.seen), timeout)
            assert ok, f"no {name} event; saw {self.seen}"
            return next(a for n, a in self.seen if n == name)


@pytest.fixture
def counter(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    flow = CounterFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店 渋谷店",
                       clock=lambda tz: NOW)
    yield flow, Recorder(bus), store
    worker.shutdown()
    store.close()


def test_tap_shows_member(counter):
    flow, rec, _ = counter
    flow.on_card_event(CardPresented("sim", CARD_UID))
    (member,) = rec.wait("member_shown")
    assert member.display_name == "山田 花子" and member.balance == 500
    assert flow.state is CounterState.MEMBER


def test_unknown_card_message_and_nothing_posted(counter):
    flow, rec, store = counter
    flow.card_presented("DEADBEEF")
    text, level = rec.wait("counter_message")
    assert level == "error" and "登録されていない" in text
    assert flow.state is CounterState.IDLE
    flow.confirm("1000")
    assert store.outbox_counts() == {}


def test_reader_error_is_shown(counter):
    flow, rec, _ = counter
    flow.on_card_event(ReaderError("pcsc", "カードの読み取り中に離されました"))
    assert rec.wait("counter_message") == ("カードの読み取り中に離されました", "error")


def test_sale_recorded_after_commit_with_receipt(counter):
    flow, rec, store = counter
    flow.card_presented(CARD_UID)
    flow.confirm("1,234", "100")
    (sale,) = rec.wait("sale_recorded")
    assert store.op_state(sale.facts.op_id) == "queued"  # committed before the event
    assert sale.facts.quote.points_earned == 11  # (1234 - 100) // 100
    assert sale.facts.balance_after == 500 - 100 + 11
    receipt = receipt_from_dict(store.receipt(sale.facts.op_id))
    text = [(line.left, line.right) for line in receipt.lines()]
    assert ("ポイント残高", "411 pt") in text
    assert ("今回獲得ポイント", "11 pt") in text
    assert receipt.qr_payload == "TR:R01-000001"
    assert "2026年11月22日 10:30" in [line.left for line in receipt.header]
    assert flow.state is CounterState.DONE


@pytest.mark.parametrize(("amount", "redeem", "message"), [
    ("-500", "", "数字で"), ("abc", "", "数字で"), ("0", "", "1円以上"),
    ("100000000", "", "大きすぎ"), ("1000", "600", "残高"),
])
def test_bad_input_is_explained_and_nothing_posted(counter, amount, redeem, message):
    flow, rec, store = counter
    flow.card_presented(CARD_UID)
    rec.wait("member_shown")
    flow.confirm(amount, redeem)
    text, level = rec.wait("counter_message")
    assert level == "error" and message in text
    assert store.outbox_counts() == {}
    assert flow.state is CounterState.MEMBER  # the cashier can correct and retry


def test_confirm_without_member(counter):
    flow, rec, store = counter
    flow.confirm("1000")
    assert "タッチ" in rec.wait("counter_message")[0]
    assert store.outbox_counts() == {}


def test_full_width_digits():
    assert parse_int("１，２３４", "金額") == 1234
    with pytest.raises(QuoteError):
        parse_int("12a", "金額")
