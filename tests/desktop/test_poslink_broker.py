"""The POS link broker on a real SQLite file: idempotency, one sale at a time, cancel rules,
returns, and a crash between the register's commit and the broker's (reconcile)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from desktop.poslink.broker import PosBroker, confirmation_ref, read_stamp
from desktop.poslink.counter_adapter import PosCounterBridge, register_receipt_finder
from desktop.poslink.models import PosError, PosReturnRequest, PosSaleRequest, SaleResult
from desktop.receipts import build_sale_receipt, receipt_to_dict
from loyalty.quote import quote_sale
from sync.events import EventBus
from sync.store import RegisterStore
from tests.support.seed import NOW, TOKYO, seeded_store

ROOT = Path(__file__).resolve().parents[2]


def sale(sale_id: str = "S-1", amount: int = 3280, **extra) -> PosSaleRequest:
    body = {"sale_id": sale_id, "amount_yen": amount,
            "lines": [{"sku": "4901", "name": "お茶", "category": "drink", "quantity": 1,
                       "amount_yen": amount, "tax_rate": 8}], **extra}
    return PosSaleRequest.model_validate(body)


def result(receipt_no: str = "R01-000001", used: int = 100) -> SaleResult:
    return SaleResult(points_earned=32, points_used=used, discount_yen=used,
                      amount_due_yen=3280 - used, balance_after=432, receipt_no=receipt_no,
                      member_no="…0017", confirmed_at=datetime(2026, 11, 22, 1, 30, tzinfo=UTC))


@pytest.fixture
def broker(tmp_path):
    b = PosBroker(tmp_path / "poslink.db")
    yield b
    b.close()


def test_database_is_wal_and_synchronous_full(broker):
    con = broker._con
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_same_id_same_body_replays_the_stored_state(broker):
    first = broker.submit_sale(sale())
    assert first.view.state == "waiting" and not first.replayed
    again = broker.submit_sale(sale(currency="JPY", tax_basis="included"))  # defaults spelt out
    assert again.replayed and again.view == first.view
    broker.confirm_sale("S-1", result())
    settled = broker.submit_sale(sale())
    assert settled.replayed and settled.view.state == "confirmed"
    assert settled.view.result.receipt_no == "R01-000001"


def test_same_id_other_body_is_refused_and_the_original_stands(broker):
    broker.submit_sale(sale())
    with pytest.raises(PosError) as refused:
        broker.submit_sale(sale(amount=9999))
    assert refused.value.status == 409 and refused.value.code == "sale_id_reused"
    assert "別の内容" in refused.value.ja and "another body" in refused.value.en
    assert broker.get_sale("S-1").amount_yen == 3280


def test_one_waiting_sale_at_a_time(broker):
    broker.submit_sale(sale("S-1"))
    with pytest.raises(PosError) as busy:
        broker.submit_sale(sale("S-2"))
    assert busy.value.status == 409 and busy.value.code == "counter_busy"
    first = broker.get_sale("S-1")
    assert busy.value.body()["waiting"] == {"kind": "sale", "id": "S-1",
                                            "expires_at": first.expires_at.isoformat()}
    assert broker.get_sale("S-2") is None  # a busy refusal is not remembered: retry later
    broker.confirm_sale("S-1", result())
    assert broker.submit_sale(sale("S-2")).view.state == "waiting"


def test_concurrent_submits_leave_exactly_one_waiting(broker):
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def submit(n: int) -> None:
        barrier.wait()
        try:
            broker.submit_sale(sale(f"C-{n}"))
            outcomes.append("waiting")
        except PosError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["counter_busy"] * 7 + ["waiting"]


def test_cancel_rules(broker):
    with pytest.raises(PosError) as unknown:
        broker.cancel_sale("nope")
    assert unknown.value.status == 404
    broker.submit_sale(sale("S-1"))
    assert broker.cancel_sale("S-1").state == "cancelled"
    again = broker.cancel_sale("S-1")  # a retried cancel gets the same answer
    assert again.state == "cancelled" and again.reason == "cancelled_by_pos"
    assert broker.submit_sale(sale("S-1")).view.state == "cancelled"  # replayed, not re-opened

    broker.submit_sale(sale("S-2"))
    broker.claim("sale", "S-2")
    with pytest.raises(PosError) as recording:
        broker.cancel_sale("S-2")
    assert recording.value.code == "counter_recording"
    broker.confirm_sale("S-2", result())
    with pytest.raises(PosError) as confirmed:
        broker.cancel_sale("S-2")
    assert confirmed.value.status == 409 and confirmed.value.code == "sale_confirmed"
    assert "return" in confirmed.value.en and "返品" in confirmed.value.ja


def test_refused_at_the_counter_is_replayed_to_a_retry(broker):
    broker.submit_sale(sale())
    broker.refuse("sale", "S-1", "no_member")
    view = broker.submit_sale(sale()).view
    assert view.state == "refused" and view.reason == "no_member"
    assert view.detail.en.startswith("No member") and view.detail.ja
    with pytest.raises(PosError):
        broker.confirm_sale("S-1", result())  # nothing can turn a refusal into a sale


def test_confirm_is_idempotent_for_the_same_receipt_only(broker):
    broker.submit_sale(sale())
    broker.confirm_sale("S-1", result())
    assert broker.confirm_sale("S-1", result()).state == "confirmed"
    with pytest.raises(PosError) as other:
        broker.confirm_sale("S-1", result("R01-000009"))
    assert other.value.code == "already_confirmed"


def test_state_survives_reopening(tmp_path):
    b = PosBroker(tmp_path / "poslink.db")
    b.submit_sale(sale())
    b.confirm_sale("S-1", result())
    b.close()
    b = PosBroker(tmp_path / "poslink.db")
    try:
        replay = b.submit_sale(sale())
        assert replay.replayed and replay.view.result == result()
    finally:
        b.close()


def test_listeners_hear_new_and_settled_requests(broker):
    heard = []
    broker.add_listener(lambda change: heard.append((change.kind, change.id, change.state)))
    broker.submit_sale(sale())
    broker.submit_sale(sale())  # a replay changes nothing
    broker.cancel_sale("S-1")
    assert heard == [("sale", "S-1", "waiting"), ("sale", "S-1", "cancelled")]


def test_returns_of_a_confirmed_sale(broker):
    ret = PosReturnRequest.model_validate(
        {"return_id": "RT-1", "sale_id": "S-1", "amount_yen": 1000})
    with pytest.raises(PosError) as unknown:
        broker.submit_return(ret)
    assert unknown.value.status == 404 and unknown.value.body()["field"] == "sale_id"
    broker.submit_sale(sale())
    with pytest.raises(PosError) as open_sale:
        broker.submit_return(ret)
    assert open_sale.value.code == "sale_not_confirmed"
    broker.confirm_sale("S-1", result())
    assert broker.submit_return(ret).view.state == "waiting"
    assert broker.submit_return(ret).replayed
    with pytest.raises(PosError) as busy:
        broker.submit_return(ret.model_copy(update={"return_id": "RT-2", "amount_yen": 10}))
    assert busy.value.code == "counter_busy"
    with pytest.raises(PosError) as too_much:
        broker.submit_return(ret.model_copy(update={"return_id": "RT-3", "amount_yen": 2281}))
    assert too_much.value.code == "return_exceeds_sale"  # 3,280 − 1,000 waiting = 2,280 left
    broker.refuse("return", "RT-1")
    assert broker.get_return("RT-1").state == "refused"
    assert broker.submit_return(
        ret.model_copy(update={"return_id": "RT-4", "amount_yen": 3280})).view.state == "waiting"


def test_tax_excluded_lines_become_tax_included_lines_that_add_up():
    body = {"sale_id": "X-1", "amount_yen": 1640, "tax_basis": "excluded", "lines": [
        {"sku": "a", "amount_yen": 1000, "tax_rate": 10, "category": "drink"},
        {"sku": "b", "amount_yen": 500, "tax_rate": 8, "category": "food"}]}
    basket = PosSaleRequest.model_validate(body).basket()
    assert [ln.amount_yen for ln in basket] == [1100, 540]
    assert [ln.category for ln in basket] == ["drink", "food"]
    # 333 yen at 8 % is 26.64 yen of tax: rounded down or up, both are accepted.
    for amount in (359, 360):
        odd = {"sale_id": "X-2", "amount_yen": amount, "tax_basis": "excluded",
               "lines": [{"amount_yen": 333, "tax_rate": 8}]}
        assert sum(ln.amount_yen for ln in PosSaleRequest.model_validate(odd).basket()) == amount
    with pytest.raises(ValidationError) as wrong:
        PosSaleRequest.model_validate({**body, "amount_yen": 1700})
    assert wrong.value.errors()[0]["loc"] == ("lines",)


@pytest.mark.parametrize("bad", [
    {"amount_yen": "3280"}, {"amount_yen": 3280.0}, {"amount_yen": 0},
    {"currency": "USD"}, {"sale_id": "has space"}, {"ammount_yen": 1},
])
def test_malformed_sales_are_refused(bad):
    with pytest.raises(ValidationError):
        PosSaleRequest.model_validate({"sale_id": "S-1", "amount_yen": 3280, **bad})


# -- the register side: stamping, and a crash between the two commits ------------------


def _record_pos_sale(store, bridge, amount: int, redeem: int):
    member = store.member_by_card("04A1B2C3D4E5F6")

    def build(facts):
        return receipt_to_dict(build_sale_receipt(facts, store_name="本店", footer="", tz=TOKYO))

    quote = quote_sale(store.program(), amount, redeem_points=redeem, balance=member.balance)
    return store.record_sale(member.member_id, quote, staff_id=None, local_time=NOW,
                             build_receipt=bridge.receipt_builder(build))


def test_reconcile_confirms_a_sale_committed_before_a_crash(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    broker = PosBroker(tmp_path / "poslink.db")
    # A bridge on a bus nobody announces `sale_recorded` on: the process "dies" right
    # after the register's commit, before the broker hears of it.
    bridge = PosCounterBridge(broker, EventBus())
    broker.submit_sale(sale(amount=3280))
    recorded = _record_pos_sale(store, bridge, 3280, 100)
    assert read_stamp(recorded.receipt_model)[0] == confirmation_ref("S-1")
    assert broker.get_sale("S-1").state == "waiting"
    broker.close()

    broker = PosBroker(tmp_path / "poslink.db")
    try:
        settled = broker.reconcile(register_receipt_finder(store.path))
        assert [v.sale_id for v in settled] == ["S-1"]
        replay = broker.submit_sale(sale(amount=3280))  # the POS retries after the restart
        assert replay.view.state == "confirmed"
        assert replay.view.result.receipt_no == recorded.facts.receipt_no
        assert replay.view.result.discount_yen == 100
        assert replay.view.result.points_earned == 31  # ¥3,180 paid in yen, 1 pt per ¥100
        assert replay.view.result.balance_after == 500 - 100 + 31
        assert store.outbox_counts() == {"queued": 1}
    finally:
        broker.close()
        store.close()


def test_reconcile_releases_a_claim_the_register_never_committed(broker, tmp_path):
    store = seeded_store(tmp_path / "register.db")
    try:
        broker.submit_sale(sale())
        broker.claim("sale", "S-1")
        assert broker.reconcile(register_receipt_finder(store.path)) == []
        assert broker.cancel_sale("S-1").state == "cancelled"  # cancellable again
    finally:
        store.close()


def test_a_different_amount_is_not_stamped(tmp_path, broker):
    store = seeded_store(tmp_path / "register.db")
    bus = EventBus()
    messages = []
    bus.subscribe("counter_message", lambda text, level: messages.append(text))
    bridge = PosCounterBridge(broker, bus)
    try:
        broker.submit_sale(sale(amount=3280))
        recorded = _record_pos_sale(store, bridge, 1000, 0)
        assert read_stamp(recorded.receipt_model) is None
        assert broker.get_sale("S-1").state == "waiting"
        assert any("金額が異なる" in m for m in messages)
    finally:
        store.close()


CRASHING_REGISTER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from desktop.poslink.broker import PosBroker
    from desktop.poslink.counter_adapter import PosCounterBridge
    from desktop.poslink.models import PosSaleRequest
    from desktop.receipts import build_sale_receipt, receipt_to_dict
    from loyalty.quote import quote_sale
    from sync.events import EventBus
    from tests.support.seed import NOW, TOKYO, seeded_store

    home = Path(sys.argv[1])
    store = seeded_store(home / "register.db")
    broker = PosBroker(home / "poslink.db")
    bus = EventBus()
    bridge = PosCounterBridge(broker, bus)
    broker.submit_sale(PosSaleRequest.model_validate(
        {{"sale_id": "K-1", "amount_yen": 2000}}))
    member = store.member_by_card("04A1B2C3D4E5F6")
    quote = quote_sale(store.program(), 2000, redeem_points=50, balance=member.balance)
    build = lambda f: receipt_to_dict(build_sale_receipt(f, store_name="本店", footer="", tz=TOKYO))
    store.record_sale(member.member_id, quote, staff_id=None, local_time=NOW,
                      build_receipt=bridge.receipt_builder(build))
    os.kill(os.getpid(), signal.SIGKILL)  # after the register's commit, before the broker's
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_between_the_commits_then_reconcile(tmp_path):
    proc = subprocess.run([sys.executable, "-c", CRASHING_REGISTER.format(root=str(ROOT)),
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    broker = PosBroker(tmp_path / "poslink.db")
    try:
        assert broker.get_sale("K-1").state == "waiting"  # the broker never heard
        broker.reconcile(register_receipt_finder(tmp_path / "register.db"))
        view = broker.submit_sale(PosSaleRequest.model_validate(
            {"sale_id": "K-1", "amount_yen": 2000})).view
        assert view.state == "confirmed" and view.result.points_used == 50
        assert view.result.receipt_no == "R01-000001"
    finally:
        broker.close()
    store = RegisterStore(tmp_path / "register.db")
    try:
        assert store.outbox_counts() == {"queued": 1}  # one sale, never a second
    finally:
        store.close()
