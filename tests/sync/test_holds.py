"""Redemption holds: pending until posted by the sale, voided, or expired; then final."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.quote import quote_sale
from sync.store import StoreError
from tests.support.seed import NOW

LATER = NOW + timedelta(minutes=2)


def test_a_hold_is_posted_by_its_sale(store):
    h = store.add_hold("H1", "M1", 300, expires_at=LATER, now=NOW)
    assert (h.state, h.points, h.expires_at) == ("pending", 300, LATER)
    assert store.pending_hold_points("M1") == 300
    posted = store.post_hold("H1", "op-1", now=NOW + timedelta(seconds=30))
    assert (posted.state, posted.op_id) == ("posted", "op-1")
    assert store.pending_hold_points("M1") == 0
    assert store.post_hold("H1", "op-1", now=NOW).state == "posted"  # a retry: same answer


def test_adding_the_same_hold_again_changes_nothing(store):
    store.add_hold("H1", "M1", 300, expires_at=LATER, now=NOW)
    again = store.add_hold("H1", "M1", 999, expires_at=LATER, now=NOW)
    assert again.points == 300 and len(store.holds_of("M1")) == 1


def test_final_states_do_not_move(store):
    store.add_hold("H1", "M1", 100, expires_at=LATER, now=NOW)
    store.void_hold("H1", now=NOW)
    with pytest.raises(StoreError, match="取消済み"):
        store.post_hold("H1", "op-1", now=NOW)
    assert store.hold("H1").state == "voided"


def test_posting_an_expired_hold_is_refused_and_it_stays_expired(store):
    store.add_hold("H1", "M1", 100, expires_at=LATER, now=NOW)
    with pytest.raises(StoreError, match="期限が切れています"):
        store.post_hold("H1", "op-1", now=LATER)
    assert store.hold("H1").state == "expired"


def test_expire_holds(store):
    store.add_hold("H1", "M1", 100, expires_at=LATER, now=NOW)
    store.add_hold("H2", "M1", 200, expires_at=LATER + timedelta(minutes=5), now=NOW)
    assert store.expire_holds(LATER) == 1
    assert [(h.hold_id, h.state) for h in store.holds_of("M1")] == [
        ("H1", "expired"), ("H2", "pending")]
    assert [h.hold_id for h in store.holds_of("M1", state="pending")] == ["H2"]


def test_unknown_hold_and_bad_points(store):
    with pytest.raises(StoreError, match="見つかりません"):
        store.void_hold("nope")
    with pytest.raises(ValueError):
        store.add_hold("H3", "M1", 0, expires_at=LATER)
    assert store.hold("nope") is None


def test_a_sale_posts_its_hold_in_the_same_commit(store):
    store.add_hold("5b7d3f4e-1c2a-4e8b-9f00-0000000000a1", "M1", 100, expires_at=LATER, now=NOW)
    q = quote_sale(store.program(), 1000, redeem_points=100, balance=500)
    sale = store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {},
                             hold_id="5b7d3f4e-1c2a-4e8b-9f00-0000000000a1")
    [op] = store.pending_ops(1)
    assert op.payload.hold_id == "5b7d3f4e-1c2a-4e8b-9f00-0000000000a1"
    hold = store.hold("5b7d3f4e-1c2a-4e8b-9f00-0000000000a1")
    assert (hold.state, hold.op_id) == ("posted", sale.facts.op_id)


def test_a_voided_hold_cannot_be_used_by_a_sale(store):
    store.add_hold("5b7d3f4e-1c2a-4e8b-9f00-0000000000a2", "M1", 100, expires_at=LATER, now=NOW)
    store.void_hold("5b7d3f4e-1c2a-4e8b-9f00-0000000000a2", now=NOW)
    q = quote_sale(store.program(), 1000, redeem_points=100, balance=500)
    with pytest.raises(StoreError, match="取消済みか期限切れ"):
        store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {},
                          hold_id="5b7d3f4e-1c2a-4e8b-9f00-0000000000a2")
    assert store.pending_ops(1) == []


def test_only_redemptions_made_without_a_hold_count_against_the_offline_cap(store):
    held = "5b7d3f4e-1c2a-4e8b-9f00-0000000000a3"
    q = quote_sale(store.program(), 1000, redeem_points=100, balance=500)
    store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {},
                      hold_id=held, hold_expires_at=LATER)  # HQ vouched for these
    q = quote_sale(store.program(), 1000, redeem_points=50, balance=400)
    store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {})
    assert store.pending_redemptions("M1") == 150
    assert store.offline_redemptions("M1") == 50
