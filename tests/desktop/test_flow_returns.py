"""The Qt-free return flow against a real register store, its store thread and staff book."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from desktop.flows.returns import EVENTS, ReturnFlow, ReturnPolicy, ReturnState
from loyalty.quote import quote_sale
from loyalty.scan import make_member_no
from sync import ops
from sync.events import EventBus
from sync.staff import StaffBook
from sync.worker import StoreWorker
from tests.support.seed import NOW, TOKYO, seeded_store

LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Recorder:
    """Collects the flow's events; a test waits (bounded) for the next one of a name."""

    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in EVENTS:
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args):
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def wait(self, name, timeout=5.0, after=0):
        def found():
            return next((a for n, a in self.seen[after:] if n == name), None)

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, timeout), \
                f"no {name}; saw {self.seen}"
            return found()

    def messages(self):
        return [a[0] for n, a in self.seen if n == "return_message"]


@pytest.fixture
def env(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    book = StaffBook(store, hasher=LIGHT)
    book.create("M01", "店長 佐藤", "manager", "2468", now=NOW)
    cashier = book.create("C01", "鈴木", "cashier", "1357", now=NOW)
    printed: list[str] = []
    flow = ReturnFlow(store, worker, bus, staff_book=book, print_receipt=printed.append,
                      tz=TOKYO, store_name="たまる商店 渋谷店", clock=lambda tz: NOW,
                      staff=cashier)
    yield flow, Recorder(bus), store, printed
    worker.shutdown()
    store.close()


def sell(store, amount, redeem=0):
    q = quote_sale(store.program(), amount, redeem_points=redeem,
                   balance=store.member("M1").balance)
    return store.record_sale("M1", q, staff_id="C01", local_time=NOW,
                             build_receipt=lambda f: {"body": [{"left": "お買上げ金額"}]})


def test_scanning_the_receipt_shows_the_sale(env):
    flow, rec, store, _ = env
    sale = sell(store, 3280, redeem=100)
    flow.scan("TR:R01-000001")
    (shown,) = rec.wait("return_sale_shown")
    assert shown.op_id == sale.facts.op_id
    assert (shown.amount_yen, shown.points_earned, shown.points_redeemed) == (
        3280, sale.facts.quote.points_earned, 100)
    assert shown.receipt_model == {"body": [{"left": "お買上げ金額"}]}
    assert flow.state is ReturnState.SALE


def test_other_scans_and_unknown_receipts_are_explained(env):
    flow, rec, store, _ = env
    sell(store, 1000)
    flow.scan(make_member_no(1))  # a member card, not a receipt
    flow.search("R02-000005")
    flow.search("R01-000042")
    assert rec.messages() == [
        "レシートのQRコードを読み取ってください",
        # No HQ to ask (this flow has none): said plainly, nothing recorded.
        "取引 R02-000005 は別のレジの取引です（レジ R02）。別のレジの取引の返品には本部への接続が"
        "必要です。接続が戻ってからもう一度呼び出すか、販売したレジで返品してください",
        "取引 R01-000042 はこのレジの記録にありません。番号を確かめてください",
    ]
    assert flow.state is ReturnState.IDLE


def test_partial_return_previews_records_and_prints(env):
    flow, rec, store, printed = env
    sell(store, 2000, redeem=100)  # earns 19 (on ¥1,900 paid in cash)
    before = store.member("M1").balance
    flow.search("R01-000001")
    preview = flow.choose_amount("１，０００円")
    assert preview.estimate.returned_yen == 1000
    assert preview.estimate.points_reversed == 9 and preview.estimate.points_restored == 50
    assert preview.balance_after == before + 41 and not preview.needs_approval
    flow.confirm()
    (recorded,) = rec.wait("return_recorded")
    assert printed == [recorded.op.op_id]
    assert store.member("M1").balance == before + 41
    model = store.receipt(recorded.op.op_id)
    text = json.dumps(model, ensure_ascii=False)
    assert model["kind"] == "return" and "-￥1,000" in text and "R01-000001" in text
    assert "返品（一部）" in text and "担当 鈴木" in text
    assert model["qr_payload"] == f"TR:{recorded.facts.receipt_no}"
    assert flow.state is ReturnState.DONE
    # what is left can be returned; more than that cannot
    flow.search("R01-000001")
    assert flow.choose_amount("1001") is None
    assert rec.messages()[-1].startswith("返品できるのは残り ￥1,000 まで")


def test_large_return_waits_for_a_manager_pin(env):
    flow, rec, store, printed = env
    sell(store, 12000)
    flow.search("R01-000001")
    preview = flow.choose_all()
    assert preview.needs_approval and "￥10,000 を超えて" in preview.approval_reasons[0]
    assert flow.confirm() is None
    assert rec.messages()[-1].startswith("店長の承認が必要です")
    flow.approve("C01", "1357").exception(timeout=5)
    assert rec.messages()[-1] == "承認は店長の暗証番号で行ってください"
    flow.approve("M01", "0000").exception(timeout=5)
    assert "暗証番号が違います" in rec.messages()[-1]
    flow.approve("M01", "2468").result(timeout=5)
    assert flow.preview.approved_by == "M01" and not flow.preview.needs_approval
    flow.confirm().result(timeout=5)
    (recorded,) = rec.wait("return_recorded")
    assert recorded.facts.approved_by == "M01" and printed == [recorded.op.op_id]
    assert recorded.op.staff_id == "C01"


def test_old_sales_need_a_manager_and_a_manager_approves_their_own(env):
    flow, rec, store, _ = env
    sell(store, 1000)
    flow.clock = lambda tz: NOW + timedelta(days=45)
    flow.search("R01-000001")
    assert "30 日を過ぎています" in flow.choose_amount("100").approval_reasons[0]
    flow.staff = flow.staff_book.get("M01")
    preview = flow.choose_amount("100")
    assert preview.approved_by == "M01" and not preview.needs_approval


def test_policy_is_a_parameter(env):
    flow, _, store, _ = env
    sell(store, 3000)
    flow.policy = ReturnPolicy(manager_over_yen=2000, manager_after_days=90)
    flow.search("R01-000001")
    assert flow.choose_amount("2500").needs_approval
    assert not flow.choose_amount("2000").needs_approval


def test_spent_points_warn_that_debt_will_follow(env):
    flow, _, store, _ = env
    sell(store, 10000)  # +100 pt → 600
    ops.record_adjust(store, "M1", -590, "テスト", staff_id="M01", local_time=NOW)
    flow.staff = flow.staff_book.get("M01")
    flow.search("R01-000001")
    preview = flow.choose_all()
    assert preview.estimate.points_reversed == 100
    assert preview.shortfall == 90
    assert "不足する 90 pt" in preview.warning


def test_cancel_returns_to_idle(env):
    flow, rec, store, _ = env
    sell(store, 1000)
    flow.search("R01-000001")
    flow.cancel()
    rec.wait("return_reset")
    assert flow.state is ReturnState.IDLE and flow.sale is None
    assert flow.confirm() is None
