"""Recording returns, adjustments, enrolments, card changes and merges: one commit each,
gap-free device_seq, local effects on the pending balance, and wire-valid op bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from loyalty.quote import quote_sale
from sync import ops
from sync.models import OutboxOp, ReceiptRecord, RecoveryState, SyncState
from sync.protocol import (
    CardState,
    Change,
    MemberState,
    Op,
    OpResult,
    PullResponse,
    SaleLine,
    SalePayload,
)
from sync.store import StoreCorrupt, StoreError
from tests.support.seed import CARD_UID, NOW, PHONE_KEY, yamada

NEW_CARD = "04FFEEDDCCBBAA"
RECEIPT = {"receipt": True}


def sell(store, amount, redeem=0):
    member = store.member("M1")
    q = quote_sale(store.program(), amount, redeem_points=redeem, balance=member.balance)
    return store.record_sale("M1", q, staff_id="S1", local_time=NOW,
                             build_receipt=lambda f: {"no": f.receipt_no})


def outbox(store):
    with store.reading() as s:
        return list(s.query(OutboxOp).order_by(OutboxOp.device_seq))


def seqs(store):
    return [row.device_seq for row in outbox(store)]


def enroll(store, card=NEW_CARD, **kw):
    return ops.record_enroll(store, "佐藤 次郎", "サトウ ジロウ", 4, "080-1111-2222", card,
                             staff_id="S1", local_time=NOW, phone_key=PHONE_KEY, **kw)


def answer(store, op_id, **result):
    store.record_push_results([OpResult(op_id=op_id, status="applied", **result)])


def test_device_seq_is_gap_free_across_kinds_and_failures(store):
    sale = sell(store, 2000)
    ops.record_adjust(store, "M1", 50, "お詫び", staff_id="MGR", local_time=NOW)
    with pytest.raises(StoreError):
        ops.record_return(store, sale.facts.receipt_no, 5000, staff_id="S1", local_time=NOW)
    with pytest.raises(StoreError):
        ops.record_adjust(store, "M1", -99999, "誤り", staff_id="MGR", local_time=NOW)
    new = enroll(store)
    ops.record_return(store, sale.facts.receipt_no, 500, staff_id="S1", local_time=NOW)
    ops.record_card_reissue(store, NEW_CARD, "04AABBCCDDEE01", "破損", staff_id="MGR",
                            local_time=NOW)
    ops.record_card_block(store, CARD_UID, "紛失", staff_id="MGR", local_time=NOW)
    ops.record_merge(store, new.op.member_id, "M1", "重複登録", staff_id="MGR",
                     local_time=NOW)
    assert seqs(store) == [1, 2, 3, 4, 5, 6, 7]
    assert [r.kind for r in outbox(store)] == ["sale", "adjust", "enroll", "return",
                                                "card_reissue", "card_block", "merge"]
    assert store.next_device_seq() == 8


def test_failed_receipt_build_rolls_everything_back(store):
    def broken(_facts):
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        ops.record_adjust(store, "M1", 10, "テスト", staff_id="MGR", local_time=NOW,
                          build_receipt=broken)
    assert outbox(store) == [] and store.next_device_seq() == 1
    assert store.member("M1").balance == 500


def test_over_return_is_refused_counting_earlier_returns(store):
    sale = sell(store, 1000)
    no = sale.facts.receipt_no
    ops.record_return(store, no, 600, staff_id="S1", local_time=NOW)
    with pytest.raises(StoreError, match="残り ￥400"):
        ops.record_return(store, no, 500, staff_id="S1", local_time=NOW)
    ops.record_return(store, no, 400, staff_id="S1", local_time=NOW)
    with pytest.raises(StoreError, match="残り ￥0"):
        ops.record_return(store, no, 1, staff_id="S1", local_time=NOW)
    assert [r.kind for r in outbox(store)] == ["sale", "return", "return"]
    assert ops.find_sale(store, no).remaining_yen == 0


def test_a_return_refused_by_hq_frees_its_amount(store):
    sale = sell(store, 1000)
    first = ops.record_return(store, sale.facts.receipt_no, 1000, staff_id="S1", local_time=NOW)
    store.record_push_results([OpResult(op_id=first.op.op_id, status="rejected",
                                        reason="return_exceeds_sale")])
    assert ops.find_sale(store, sale.facts.receipt_no).remaining_yen == 1000


def test_return_reverses_earned_and_restores_redeemed_pro_rata(store):
    sale = sell(store, 1234, redeem=100)
    q = sale.facts.quote
    after_sale = store.member("M1").balance
    assert after_sale == 500 + q.points_earned - 100
    half = ops.record_return(store, "R01-000001", 617, staff_id="S1", local_time=NOW,
                             build_receipt=lambda f: {"estimate": f.estimate.points_delta})
    est = half.facts.estimate
    assert est.points_reversed == q.points_earned * 617 // 1234
    assert est.points_restored == 50  # 100 × 617/1234, rounded up
    assert half.facts.points_delta == est.points_restored - est.points_reversed
    assert store.member("M1").balance == after_sale + half.facts.points_delta
    assert half.facts.balance_after == store.member("M1").balance
    assert store.receipt(half.op.op_id) == {"estimate": half.facts.points_delta}
    # The rest, in a second return: together they undo the sale exactly.
    ops.record_return(store, "R01-000001", 617, staff_id="S1", local_time=NOW)
    assert store.member("M1").balance == 500


def test_return_follows_hq_figures_once_the_sale_is_applied(store):
    sale = sell(store, 1000)
    answer(store, sale.facts.op_id, balance=530, points_earned=30, points_redeemed=0)
    record = ops.find_sale(store, sale.facts.receipt_no)
    assert record.confirmed and record.points_earned == 30
    assert ops.return_estimate(record, 500).points_reversed == 15


def test_returns_need_a_sale_of_this_register(store):
    sell(store, 1000)
    with pytest.raises(StoreError, match="別のレジの取引"):
        ops.find_sale(store, "TR:R02-000001")
    with pytest.raises(StoreError, match="このレジの記録にありません"):
        ops.find_sale(store, "R01-000099")
    adj = ops.record_adjust(store, "M1", 5, "テスト", staff_id="MGR", local_time=NOW,
                            build_receipt=lambda f: RECEIPT)
    with pytest.raises(StoreError, match="販売ではありません"):
        ops.find_sale(store, adj.facts.receipt_no)
    # typed loosely: full-width, lower case, short sequence number, or only the number
    assert ops.find_sale(store, "ｒ０１－１").receipt_no == "R01-000001"
    assert ops.find_sale(store, "1").receipt_no == "R01-000001"


def test_return_of_a_sale_hq_refused_is_refused(store):
    sale = sell(store, 1000)
    store.record_push_results([OpResult(op_id=sale.facts.op_id, status="rejected",
                                        reason="member_blocked")])
    with pytest.raises(StoreError, match="本部で受け付けられなかった"):
        ops.record_return(store, sale.facts.receipt_no, 100, staff_id="S1", local_time=NOW)


def _sale_with_lines(store, lines):
    """A sale with its basket, as a register that rings up lines records it."""
    with store.writing() as s:
        state = s.get(SyncState, 1)
        seq = state.next_device_seq
        state.next_device_seq = seq + 1
        op = Op(op_id="00000000-0000-4000-8000-000000000001", kind="sale", device_id="R01",
                device_seq=seq, store_id="S001", local_time=NOW, program_version=1,
                member_id="M1", payload=SalePayload(
                    amount_yen=sum(ln.amount_yen for ln in lines), points_earned=30,
                    points_redeemed=0, receipt_no=f"R01-{seq:06d}", lines=lines))
        s.add(OutboxOp(op_id=op.op_id, device_seq=seq, kind="sale", member_id="M1",
                       body=op.model_dump(mode="json"), points_delta=30, state="queued",
                       attempts=0, created_at=NOW))
        s.flush()
        s.add(ReceiptRecord(op_id=op.op_id, receipt_no=f"R01-{seq:06d}", model={},
                            print_state="printed", print_attempts=1, created_at=NOW))
    return f"R01-{seq:06d}"


def test_return_by_lines_refuses_a_line_twice(store):
    tea = SaleLine(sku="T1", name="緑茶", amount_yen=1000)
    cake = SaleLine(sku="C1", name="ケーキ", amount_yen=2000)
    no = _sale_with_lines(store, [tea, cake])
    rec = ops.record_return(store, no, 1000, lines=[tea], staff_id="S1", local_time=NOW)
    assert rec.op.payload.lines == [tea] and rec.facts.estimate.points_reversed == 10
    assert ops.find_sale(store, no).returnable_lines() == [cake]
    with pytest.raises(StoreError, match="返品済み"):
        ops.record_return(store, no, 1000, lines=[tea], staff_id="S1", local_time=NOW)
    with pytest.raises(StoreError, match="一致しません"):
        ops.record_return(store, no, 1500, lines=[cake], staff_id="S1", local_time=NOW)


def test_adjust_changes_the_pending_balance_and_is_audited(store):
    rec = ops.record_adjust(store, "M1", -120, "二重付与の訂正", staff_id="S1",
                            approved_by="MGR", local_time=NOW)
    assert store.member("M1").balance == 380
    assert rec.op.payload.points == -120 and rec.op.staff_id == "S1"
    with pytest.raises(StoreError, match="残高（380 pt）を超えて"):
        ops.record_adjust(store, "M1", -381, "訂正", staff_id="S1", local_time=NOW)
    with pytest.raises(StoreError, match="理由"):
        ops.record_adjust(store, "M1", 10, "  ", staff_id="S1", local_time=NOW)
    check = store.verify_audit_chain()
    assert check.ok and check.checked == 1
    with store._readers.snapshot() as con:
        kind, staff, detail = con.execute(
            "SELECT kind, staff_id, detail FROM audit_log").fetchone()
    assert (kind, staff) == ("op_adjust", "S1")
    assert json.loads(detail)["approved_by"] == "MGR"


def test_enrolled_member_is_served_offline_at_once(store):
    rec = enroll(store)
    member_id = rec.op.member_id
    found = store.member_by_card(NEW_CARD.lower())
    assert (found.member_id, found.display_name, found.kana) == (member_id, "佐藤 次郎",
                                                                  "サトウ ジロウ")
    assert found.phone_masked == "080-****-2222" and found.birth_month == 4
    assert [m.member_id for m in store.members_by_phone(PHONE_KEY, "08011112222")] == [member_id]
    assert ops.is_provisional(store, member_id)
    assert rec.op.payload.phone == "08011112222"  # HQ hashes it; the cache never holds it
    with store._readers.snapshot() as con:
        cached = con.execute("SELECT * FROM members WHERE member_id = ?", (member_id,)).fetchone()
    assert "08011112222" not in [str(v) for v in cached]
    # A sale to the new member works before HQ has heard of them.
    q = quote_sale(store.program(), 1000)
    store.record_sale(member_id, q, staff_id="S1", local_time=NOW, build_receipt=lambda f: {})
    assert store.member(member_id).balance == q.points_earned

    # HQ applies the enrolment and the pull brings the member number.
    answer(store, rec.op.op_id, member_no="2900000001015", balance=0)
    store.apply_pull(PullResponse(cursor=10, has_more=False, changes=[Change(
        server_seq=10, kind="member", member=MemberState(
            member_id=member_id, member_no="2900000001015", display_name="佐藤 次郎",
            status="active", balance=0))]))
    assert not ops.is_provisional(store, member_id)
    assert store.member(member_id).member_no == "2900000001015"


def test_enrolment_refuses_a_taken_card_or_bad_input(store):
    with pytest.raises(StoreError, match="すでに登録"):
        enroll(store, card=CARD_UID)
    with pytest.raises(StoreError, match="電話番号"):
        ops.record_enroll(store, "名前", "ナマエ", None, "12345", NEW_CARD, staff_id=None,
                          local_time=NOW)
    with pytest.raises(StoreError, match="カードをタッチ"):
        ops.record_enroll(store, "名前", "ナマエ", None, None, None, staff_id=None,
                          local_time=NOW)
    with pytest.raises(StoreError, match="会員番号が正しくありません"):
        enroll(store, member_no="2900000000010")
    assert outbox(store) == []


def test_enrolment_with_a_preprinted_member_number(store):
    rec = ops.record_enroll(store, "名前", "ナマエ", None, None, None,
                            member_no="2900000001015", staff_id=None, local_time=NOW)
    assert store.member_by_number("2900000001015").member_id == rec.op.member_id


def test_card_block_takes_effect_at_the_counter(store):
    rec = ops.record_card_block(store, CARD_UID, "紛失届", staff_id="MGR", local_time=NOW)
    assert rec.op.member_id == "M1" and rec.facts.points_delta == 0
    with pytest.raises(StoreError, match="利用停止中"):
        store.member_by_card(CARD_UID)
    with pytest.raises(StoreError, match="すでに停止"):
        ops.record_card_block(store, CARD_UID, "紛失届", staff_id="MGR", local_time=NOW)


def test_reissue_moves_the_member_to_the_new_card(store):
    ops.record_card_reissue(store, CARD_UID, NEW_CARD, "破損", staff_id="MGR", local_time=NOW)
    with pytest.raises(StoreError, match="利用停止中"):
        store.member_by_card(CARD_UID)
    assert store.member_by_card(NEW_CARD).member_id == "M1"
    assert store.member("M1").balance == 500
    with pytest.raises(StoreError, match="すでに登録"):
        ops.record_card_reissue(store, NEW_CARD, CARD_UID, staff_id="MGR", local_time=NOW)


def test_merge_moves_cards_and_points_to_the_target(store):
    other = enroll(store)
    source = other.op.member_id
    ops.record_adjust(store, source, 70, "入会特典", staff_id="MGR", local_time=NOW)
    rec = ops.record_merge(store, source, "M1", "重複登録", staff_id="MGR", local_time=NOW)
    assert rec.op.member_id == "M1" and rec.facts.points_delta == 70
    assert store.member("M1").balance == 570
    assert store.member_by_card(NEW_CARD).member_id == "M1"
    assert store.member(source).status == "blocked"
    with pytest.raises(StoreError, match="同じ会員"):
        ops.record_merge(store, "M1", "M1", "x", staff_id="MGR", local_time=NOW)


def test_every_body_is_a_valid_op_and_resends_identically(store):
    sale = sell(store, 1000)
    ops.record_return(store, sale.facts.receipt_no, 300, staff_id="S1", local_time=NOW)
    ops.record_adjust(store, "M1", 5, "テスト", staff_id="MGR", local_time=NOW)
    enroll(store)
    ops.record_card_reissue(store, NEW_CARD, "04AABBCCDDEE01", staff_id="MGR", local_time=NOW)
    pending = store.pending_ops(100)
    assert [op.kind for op in pending] == ["sale", "return", "adjust", "enroll", "card_reissue"]
    with store._readers.snapshot() as con:
        bodies = [b for (b,) in con.execute("SELECT body FROM ops ORDER BY device_seq")]
    for body, op in zip(bodies, pending, strict=True):
        again = Op.model_validate_json(body)
        assert again == op and again.payload_hash() == op.payload_hash()
        assert Op.model_validate(json.loads(op.model_dump_json())).payload_hash() == op.payload_hash()
    ret = pending[1]
    assert ret.payload.sale_op_id == sale.facts.op_id
    assert ret.payload.receipt_no == f"R01-{ret.device_seq:06d}"
    assert ret.program_version == 1 and ret.member_id == "M1"


def test_a_recovering_store_records_nothing(store):
    with store.writing() as s:
        s.add(RecoveryState(id=1, state="rebuilding", reason="test", kept_path="/x/kept.db",
                            detected_at=datetime.now(UTC), salvaged_ops=0))
    with pytest.raises(StoreCorrupt):
        ops.record_adjust(store, "M1", 10, "テスト", staff_id="MGR", local_time=NOW)
    assert outbox(store) == []


def test_generic_path_checks_kind_and_time(store):
    from sync.protocol import AdjustPayload

    with pytest.raises(ValueError):
        ops.record_op(store, kind="sale", member_id="M1", payload=AdjustPayload(points=1, reason="x"),
                      points_delta=1, staff_id=None, local_time=NOW)
    with pytest.raises(ValueError, match="timezone"):
        ops.record_op(store, kind="adjust", member_id="M1",
                      payload=AdjustPayload(points=1, reason="x"), points_delta=1,
                      staff_id=None, local_time=datetime(2026, 1, 1))  # noqa: DTZ001
    rec = ops.record_op(store, kind="adjust", member_id="M1",
                        payload=AdjustPayload(points=3, reason="x"), points_delta=3,
                        staff_id="MGR", local_time=NOW, program_version=1)
    assert rec.op.program_version == 1 and store.member("M1").balance == 503


def test_pull_keeps_the_local_effect_while_the_op_is_queued(store):
    ops.record_adjust(store, "M1", 100, "テスト", staff_id="MGR", local_time=NOW)
    store.apply_pull(PullResponse(cursor=20, has_more=False, changes=[
        Change(server_seq=20, kind="member", member=yamada(500)),
        Change(server_seq=21, kind="card", card=CardState(uid=CARD_UID, member_id="M1",
                                                          status="active"))]))
    assert store.member("M1").balance == 600


# -- a sale of another register, as HQ answers for it ------------------------------------


def test_a_receipt_of_another_register_says_which_register(store):
    with pytest.raises(ops.SaleNotHere) as other:
        ops.find_sale(store, "r02-5")
    assert (other.value.receipt_no, other.value.device_id, other.value.other_register) == (
        "R02-000005", "R02", True)
    with pytest.raises(ops.SaleNotHere) as here:
        ops.find_sale(store, "R01-000042")
    assert (here.value.device_id, here.value.other_register) == ("R01", False)


def _return_slip(sale):
    from desktop.flows.returns import return_receipt
    from tests.support.seed import TOKYO

    return lambda facts: return_receipt(facts, sale, store_name="テスト店", footer="", tz=TOKYO,
                                        offline=False, staff_name=None)


def test_a_return_of_another_registers_sale_goes_against_hqs_sale(make_reg, sqlite_hq):
    from desktop.hq_lookup import HqLookup

    proc, _ = sqlite_hq
    seller, here = make_reg(), make_reg()
    member = "M0000003"
    sale_op = seller.sell(member, 2000)
    seller.client.sync_once()
    ((receipt_no,),) = seller.sql("SELECT receipt_no FROM receipts WHERE op_id = ?", sale_op)
    with pytest.raises(ops.SaleNotHere) as not_here:
        ops.find_sale(here.store, receipt_no)
    assert not_here.value.other_register and not_here.value.device_id == seller.device_id

    hq = HqLookup(proc.url, here.token)
    try:
        found = ops.with_local_returns(here.store, ops.sale_from_hq(hq.sale_by_receipt(receipt_no)))
        assert (found.op_id, found.source, found.device_id, found.confirmed) == (
            sale_op, "hq", seller.device_id, True)
        assert found.remaining_yen == 2000 and found.points_earned > 0
        before = here.store.member(member).balance
        rec = here.worker.call(ops.record_return, here.store, receipt_no, 1200, staff_id="S1",
                               local_time=NOW, hq_sale=found, build_receipt=_return_slip(found))
        est = rec.facts.estimate
        assert rec.op.payload.sale_op_id == sale_op and rec.op.member_id == member
        assert rec.op.device_id == here.device_id
        # The pending balance carries the estimate from HQ's own figures of the sale.
        assert here.store.member(member).balance == before + est.points_delta
        assert est.points_reversed == found.points_earned * 1200 // 2000
        # The slip names the other register's receipt and says the return is partial.
        slip = json.dumps(here.store.receipt(rec.op.op_id), ensure_ascii=False)
        assert receipt_no in slip and "返品（一部）" in slip
        # This register's return counts before HQ has it, and only once after.
        again = ops.with_local_returns(here.store, found)
        assert again.returned_yen == 1200 and again.remaining_yen == 800
        with pytest.raises(StoreError, match="残り ￥800"):
            here.worker.call(ops.record_return, here.store, receipt_no, 801, staff_id="S1",
                             local_time=NOW, hq_sale=found)
        here.client.sync_once()
        state = here.sql("SELECT state, result FROM ops WHERE op_id = ?", rec.op.op_id)[0]
        assert state[0] == "applied", state
        assert json.loads(state[1])["points_reversed"] == est.points_reversed
        at_hq = hq.sale_by_receipt(receipt_no)
        assert at_hq.returned_yen == 1200 and [r.op_id for r in at_hq.returns] == [rec.op.op_id]
        assert ops.with_local_returns(here.store, ops.sale_from_hq(at_hq)).returned_yen == 1200
        assert here.store.member(member).pending_delta == 0  # HQ's balance stands alone
    finally:
        hq.close()


def test_a_return_for_a_member_this_register_lacks_is_refused(store):
    from sync.protocol import SaleLookup

    lookup = SaleLookup(
        op_id="00000000-0000-4000-8000-0000000000aa", receipt_no="R02-000007", store_id="S001",
        device_id="R02", member_id="M-ELSEWHERE", member_no="2900000000999",
        member_status="active", local_time=NOW, program_version=1, amount_yen=1000,
        points_earned=10, points_redeemed=0, returned_yen=0, remaining_yen=1000)
    with pytest.raises(StoreError, match="会員の情報がまだこのレジに届いていません"):
        ops.record_return(store, "R02-000007", 500, staff_id="S1", local_time=NOW,
                          hq_sale=ops.sale_from_hq(lookup))
    assert outbox(store) == []
