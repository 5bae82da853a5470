"""The register store: one-commit sales, gap-free device_seq, the balance rules."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loyalty.quote import quote_sale
from sync.models import Base, OutboxOp
from sync.protocol import CardState, Change, LotSummary, MemberState, OpResult, PullResponse
from sync.store import MemberView, RegisterStore, StoreError
from tests.support.seed import (
    CARD_UID,
    LIMITED_EXPIRY,
    NORMAL_EXPIRY,
    NOW,
    seed_page,
    yamada,
)


def sell(store, amount, redeem=0, receipt=lambda f: {"no": f.receipt_no}):
    program = store.program()
    member = store.member("M1")
    q = quote_sale(program, amount, redeem_points=redeem, balance=member.balance)
    return store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=receipt)


def test_pragmas_are_wal_and_full(store):
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store._writer.connect() as c:
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_migrations_match_models(tmp_path):
    s = RegisterStore(tmp_path / "m.db")
    with s._writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_card_lookup(store):
    m = store.member_by_card("04a1b2c3d4e5f6")
    assert (m.display_name, m.balance, m.masked_no) == ("山田 花子", 500, "…0017")
    with pytest.raises(StoreError, match="登録されていないカード"):
        store.member_by_card("FFFF")


def test_blocked_card_is_refused(store):
    store.apply_pull(PullResponse(cursor=4, has_more=False, changes=[Change(
        server_seq=4, kind="card",
        card=CardState(uid="04A1B2C3D4E5F6", member_id="M1", status="blocked"))]))
    with pytest.raises(StoreError, match="利用停止中"):
        store.member_by_card("04A1B2C3D4E5F6")


def test_sale_is_op_effect_and_receipt_in_one_commit(store):
    sale = sell(store, 1234)
    assert sale.facts.device_seq == 1
    assert sale.facts.quote.points_earned == 12
    assert sale.facts.balance_after == 512
    assert store.member("M1").balance == 512  # pending effect counted
    assert store.receipt(sale.facts.op_id) == {"no": "R01-000001"}
    [op] = store.pending_ops(10)
    assert op.op_id == sale.facts.op_id and op.payload.points_earned == 12


def test_failed_receipt_build_leaves_nothing(store):
    def broken(_facts):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sell(store, 1000, receipt=broken)
    assert store.pending_ops(10) == []
    # and the sequence did not advance: device_seq stays gap-free
    assert sell(store, 1000).facts.device_seq == 1


def test_device_seq_is_gap_free(store):
    seqs = [sell(store, 100 + i).facts.device_seq for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]


def test_redemption_over_balance_refused(store):
    q = quote_sale(store.program(), 1000, redeem_points=400, balance=500)
    sell(store, 1000, redeem=400)
    with pytest.raises(StoreError, match="残高"):
        store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {})


def test_a_member_in_debt_still_earns_but_cannot_use(store):
    """A return after the points were spent leaves the member owing (balance below zero):
    the next purchase must still earn, which is how the debt is paid off."""
    in_debt = yamada(0).model_copy(update={"balance": -150, "debt": 150})
    store.apply_pull(PullResponse(cursor=12, has_more=False, changes=[
        Change(server_seq=12, kind="member", member=in_debt)]))
    assert store.member("M1").balance == -150
    sale = sell(store, 4000)  # +40, no use
    assert sale.facts.balance_after == -110
    assert store.member("M1").balance == -110
    q = quote_sale(store.program(), 1000, redeem_points=1, balance=1)
    with pytest.raises(StoreError, match="残高"):
        store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {})


def test_naive_time_refused(store):
    q = quote_sale(store.program(), 1000)
    with pytest.raises(ValueError, match="timezone"):
        store.record_sale("M1", q, staff_id=None, local_time=NOW.replace(tzinfo=None),
                          build_receipt=lambda f: {})


def test_applied_result_moves_effect_into_hq_balance(store):
    sale = sell(store, 1000)  # +10
    store.record_push_results([OpResult(op_id=sale.facts.op_id, status="applied",
                                        member_id="M1", balance=510, server_seq=9)])
    m = store.member("M1")
    assert (m.hq_balance, m.pending_delta, m.balance) == (510, 0, 510)
    assert store.pending_ops(10) == []


def test_rejected_op_no_longer_counts(store):
    sale = sell(store, 1000)
    store.record_push_results([OpResult(op_id=sale.facts.op_id, status="rejected",
                                        reason="unknown_member")])
    assert store.member("M1").balance == 500
    assert store.op_state(sale.facts.op_id) == "rejected"


def test_pull_does_not_replace_balance_while_an_op_is_queued(store):
    sell(store, 1000)  # +10 pending
    newer = MemberState(member_id="M1", member_no="2900000000017", display_name="山田 花子",
                        status="active", balance=800)
    page = PullResponse(cursor=10, has_more=False,
                        changes=[Change(server_seq=10, kind="member", member=newer)])
    store.apply_pull(page)
    assert store.member("M1").hq_balance == 500
    assert store.pull_cursor() == 10


def test_pull_replaces_balance_when_nothing_queued(store):
    store.apply_pull(seed_page(cursor=11, balance=777))
    assert store.member("M1").balance == 777


def test_transport_error_keeps_ops_queued(store):
    sale = sell(store, 1000)
    store.mark_sent([sale.facts.op_id])
    store.record_push_error([sale.facts.op_id], "timeout")
    assert store.op_state(sale.facts.op_id) == "queued"
    assert [o.op_id for o in store.pending_ops(10)] == [sale.facts.op_id]


def test_database_bound_to_one_register(store):
    with pytest.raises(StoreError, match="R01"):
        store.initialise("R02", "S001")


def test_reopen_keeps_everything(tmp_path):
    s = RegisterStore(tmp_path / "r.db")
    s.initialise("R01", "S001")
    s.apply_pull(seed_page())
    op_id = sell(s, 500).facts.op_id
    s.close()
    again = RegisterStore(tmp_path / "r.db")
    assert [o.op_id for o in again.pending_ops(10)] == [op_id]
    assert sell(again, 500).facts.device_seq == 2
    again.close()


def test_member_view_carries_the_cached_details_and_lots(store):
    m = store.member_by_card(CARD_UID)
    assert (m.kana, m.rank, m.birth_month, m.phone_masked, m.debt) == (
        "ヤマダ ハナコ", "gold", 11, "090-****-5678", 0)
    assert [(lot.kind, lot.points, lot.expires_at) for lot in m.lots] == [
        ("limited", 200, LIMITED_EXPIRY), ("normal", 300, NORMAL_EXPIRY)]
    assert m.lots[0].expires_at.tzinfo is not None
    assert m.expiring_by(LIMITED_EXPIRY) == 200
    assert sum(lot.points for lot in m.lots) - m.debt == m.hq_balance


def test_old_constructor_still_works():
    view = MemberView("M9", "2900000000099", "名前", "active", 10, 5)
    assert (view.balance, view.lots, view.kana, view.debt) == (15, (), "", 0)


def test_lots_and_debt_wait_with_the_balance_while_an_op_is_queued(store):
    sell(store, 1000)
    newer = yamada(800).model_copy(update={"debt": 30, "rank": "platinum"})
    store.apply_pull(PullResponse(cursor=10, has_more=False,
                                  changes=[Change(server_seq=10, kind="member", member=newer)]))
    m = store.member("M1")
    assert m.rank == "platinum"  # identity details follow HQ at once
    assert (m.hq_balance, m.debt, sum(lot.points for lot in m.lots)) == (500, 0, 500)


def test_pull_replaces_lots_when_nothing_is_queued(store):
    store.apply_pull(PullResponse(cursor=10, has_more=False, changes=[Change(
        server_seq=10, kind="member",
        member=yamada(150).model_copy(update={"debt": 50, "lots": [
            LotSummary(kind="normal", points=200, expires_at=NORMAL_EXPIRY)]}))]))
    m = store.member("M1")
    assert (m.hq_balance, m.debt, [lot.points for lot in m.lots]) == (150, 50, [200])


def test_member_by_number(store):
    assert store.member_by_number(" 2900000000017 ").member_id == "M1"
    with pytest.raises(StoreError, match="会員番号"):
        store.member_by_number("2900000000000")


def test_blocked_member_cannot_be_sold_to(store):
    q = quote_sale(store.program(), 1000)
    store.apply_pull(PullResponse(cursor=10, has_more=False, changes=[Change(
        server_seq=10, kind="member", member=yamada().model_copy(update={"status": "blocked"}))]))
    with pytest.raises(StoreError, match="利用停止中"):
        store.member_by_number("2900000000017")
    with pytest.raises(StoreError, match="利用停止中"):
        store.record_sale("M1", q, staff_id=None, local_time=NOW, build_receipt=lambda f: {})
    assert store.pending_ops(10) == []


def test_card_uid_is_stored_upper_case(store):
    store.apply_pull(PullResponse(cursor=10, has_more=False, changes=[Change(
        server_seq=10, kind="card", card=CardState(uid="04aabbcc", member_id="M1",
                                                   status="active"))]))
    assert store.member_by_card("04AABBCC").member_id == "M1"
    assert store.member_by_card("04aabbcc").member_id == "M1"


def test_receipt_print_history_and_reprint_lookup(store):
    sale = sell(store, 1000)
    op_id = sale.facts.op_id
    assert store.unprinted_receipts() == [op_id]
    store.set_print_state(op_id, "failed", "用紙切れ")
    assert store.print_state(op_id) == ("failed", 1, "用紙切れ")
    assert store.unprinted_receipts() == [op_id]
    store.set_print_state(op_id, "printed")
    assert store.print_state(op_id) == ("printed", 2, None)
    assert store.unprinted_receipts() == []
    assert store.receipt_by_no("R01-000001") == (op_id, {"no": "R01-000001"})


def test_receipt_model_keeps_japanese_text_as_stored(store):
    sale = sell(store, 1000, receipt=lambda f: {"lines": ["お買上げ", "￥1,000"], "n": 1})
    assert store.receipt(sale.facts.op_id) == {"lines": ["お買上げ", "￥1,000"], "n": 1}


def test_times_are_stored_in_utc_and_read_back_aware(store):
    sale = sell(store, 1000)
    con = sqlite3.connect(store.path)
    (created,) = con.execute("SELECT created_at FROM ops WHERE op_id = ?",
                             (sale.facts.op_id,)).fetchone()
    con.close()
    assert created == "2026-11-22 01:30:00.000000"  # 10:30 in Tokyo
    [op] = store.pending_ops(1)
    assert op.local_time == NOW


def test_answers_are_timestamped_and_final_states_stop_counting(store):
    sale = sell(store, 1000)
    store.record_push_results([OpResult(op_id=sale.facts.op_id, status="duplicate",
                                        member_id="M1", balance=510, server_seq=9)])
    with store.reading() as s:
        row = s.get(OutboxOp, sale.facts.op_id)
        assert row.answered_at is not None and row.answered_at.tzinfo is not None
        assert row.result["status"] == "duplicate"
    assert store.member("M1").balance == 510


def test_the_database_refuses_an_unknown_op_state(store):
    sale = sell(store, 1000)
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="ck_ops_state"):
        con.execute("UPDATE ops SET state = 'lost' WHERE op_id = ?", (sale.facts.op_id,))
    con.close()


@pytest.mark.parametrize("query", ["_BY_ID", "_BY_NO", "_BY_PHONE", "_CARD", "_LOTS"])
def test_every_look_up_is_an_index_search(store, query):
    from sync import store_views

    con = sqlite3.connect(store.path)
    plan = [row[-1] for row in con.execute(f"EXPLAIN QUERY PLAN {getattr(store_views, query)}",
                                           ("x",))]
    con.close()
    assert plan and not [step for step in plan if step.startswith("SCAN")], plan
