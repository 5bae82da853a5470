"""The register store: one-commit sales, gap-free device_seq, the balance rules."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loyalty.quote import quote_sale
from sync.models import Base
from sync.protocol import CardState, Change, MemberState, OpResult, PullResponse
from sync.store import RegisterStore, StoreError
from tests.support.seed import NOW, seed_page


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
