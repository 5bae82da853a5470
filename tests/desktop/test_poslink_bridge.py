"""The bridge between the POS link and the counter, on a real seeded register store:
what it announces, what it stamps into the register's commit, and what it refuses."""

from __future__ import annotations

import time

import pytest

from desktop.poslink.broker import PosBroker, read_stamp
from desktop.poslink.counter_adapter import PosCounterBridge, PosLinkedStore, PosSale
from desktop.poslink.models import PosSaleRequest
from desktop.receipts import build_sale_receipt, receipt_to_dict
from loyalty.basket import MemberContext
from loyalty.quote import quote
from sync.events import EventBus
from sync.store import StoreError
from tests.support.seed import CARD_UID, NOW, TOKYO, seeded_store

SALE = {"sale_id": "B-1", "amount_yen": 1640, "tax_basis": "excluded", "lines": [
    {"sku": "a", "name": "お茶", "category": "drink", "amount_yen": 1000, "tax_rate": 10},
    {"sku": "b", "name": "パン", "category": "food", "amount_yen": 500, "tax_rate": 8}]}


@pytest.fixture
def setup(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    broker = PosBroker(tmp_path / "poslink.db")
    bus = EventBus()
    seen: list[tuple] = []
    for name in ("pos_sale_waiting", "pos_sale_closed", "counter_message"):
        bus.subscribe(name, lambda *a, n=name: seen.append((n, *a)))
    bridge = PosCounterBridge(broker, bus)
    yield store, broker, bridge, bus, seen
    bridge.close()
    broker.close()
    store.close()


def build(facts):
    return receipt_to_dict(build_sale_receipt(facts, store_name="本店", footer="", tz=TOKYO))


def record(store, builder, basket, redeem=0):
    member = store.member_by_card(CARD_UID)
    q = quote(store.program(), basket, MemberContext(balance=member.balance), at=NOW,
              redeem_points=redeem)
    return store.record_sale(member.member_id, q, staff_id=None, local_time=NOW,
                             build_receipt=builder)


def test_a_waiting_sale_is_announced_with_a_tax_included_basket(setup):
    _, broker, bridge, _, seen = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    (name, sale), = seen
    assert name == "pos_sale_waiting" and isinstance(sale, PosSale)
    assert sale.headline == "POS から ￥1,640"
    assert [(ln.amount_yen, ln.category, ln.tax_rate) for ln in sale.basket] == [
        (1100, "drink", 10), (540, "food", 8)]
    assert bridge.current() == sale
    broker.cancel_sale("B-1")
    assert seen[-1] == ("pos_sale_closed", "B-1", "cancelled")
    assert bridge.current() is None


def test_the_recorded_sale_confirms_the_pos_sale_it_carries(setup):
    store, broker, bridge, bus, seen = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    sale = bridge.current()
    recorded = record(store, bridge.receipt_builder(build, sale.sale_id), sale.basket, 40)
    assert read_stamp(recorded.receipt_model)[0] == "POS:B-1"
    bus.emit("sale_recorded", recorded)  # as the counter flow announces it after the commit
    view = broker.get_sale("B-1")
    assert view.state == "confirmed"
    assert view.result.discount_yen == 40 and view.result.amount_due_yen == 1600
    assert view.result.receipt_no == recorded.facts.receipt_no
    assert seen[-1] == ("pos_sale_closed", "B-1", "confirmed")


def test_settling_a_pos_sale_that_was_cancelled_rolls_the_register_back(setup):
    store, broker, bridge, _, _ = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    basket = bridge.current().basket
    broker.cancel_sale("B-1")  # the POS withdrew it while the cashier was confirming
    with pytest.raises(StoreError, match="取り消され"):
        record(store, bridge.receipt_builder(build, "B-1"), basket)
    assert store.outbox_counts() == {}


def test_a_different_amount_for_the_named_pos_sale_rolls_back(setup):
    store, broker, bridge, _, _ = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    basket = bridge.current().basket[:1]  # one line short
    with pytest.raises(StoreError, match="POS の金額"):
        record(store, bridge.receipt_builder(build, "B-1"), basket)
    assert store.outbox_counts() == {}
    assert broker.get_sale("B-1").state == "waiting"


def test_a_failed_register_commit_releases_the_claim(setup):
    store, broker, bridge, _, _ = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    linked = PosLinkedStore(store, bridge)
    member = store.member_by_card(CARD_UID)
    q = quote(store.program(), bridge.current().basket, at=NOW)

    def unserialisable(facts):
        # Fails when the store writes the model, after the bridge has claimed the sale.
        return {**build(facts), "bad": {1, 2}}

    with pytest.raises(TypeError):
        linked.record_sale(member.member_id, q, staff_id=None, local_time=NOW,
                           build_receipt=unserialisable)
    assert store.outbox_counts() == {}
    assert broker.cancel_sale("B-1").state == "cancelled"  # the POS may cancel again


def test_cashier_refusal_reaches_the_pos(setup):
    _, broker, bridge, _, seen = setup
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    bridge.refuse("B-1", "cancelled_at_counter", "お客様が購入をやめました")
    view = broker.get_sale("B-1")
    assert view.state == "refused" and view.reason == "cancelled_at_counter"
    assert view.detail.ja == "お客様が購入をやめました"
    assert view.detail.en == "Cancelled at the loyalty counter"
    assert seen[-1] == ("pos_sale_closed", "B-1", "refused")


def test_an_expired_sale_is_announced_before_it_closes(setup):
    _, broker, _, bus, seen = setup
    bus.subscribe("pos_request_expired", lambda *a: seen.append(("pos_request_expired", *a)))
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    broker.expire_after_s = 0.001
    time.sleep(0.01)
    broker.expire_overdue()
    assert seen[-2:] == [("pos_request_expired", "sale", "B-1"),
                         ("pos_sale_closed", "B-1", "refused")]
    assert broker.get_sale("B-1").reason == "expired"
