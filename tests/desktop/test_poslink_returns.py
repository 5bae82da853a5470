"""A POS return end to end below the screen: a real seeded register store, its store thread
and staff book, the real POS link broker and bridge, and the returns flow. The POS's
return opens its sale with the POS's amount and lines, the cashier confirms (a manager
when the policy asks), and the POS's answer commits with the return op; or the POS hears
a clear refusal. Nothing is left waiting and nothing is recorded twice."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

from desktop.flows.returns import ReturnFlow, ReturnState
from desktop.poslink.broker import PosBroker, read_stamp
from desktop.poslink.counter_adapter import PosCounterBridge
from desktop.poslink.models import PosReturnRequest, PosSaleRequest
from desktop.receipts import build_sale_receipt, receipt_to_dict
from loyalty.basket import MemberContext
from loyalty.quote import quote
from sync import ops
from sync.events import EventBus
from sync.protocol import SaleLine
from sync.staff import StaffBook
from sync.store import StoreError
from sync.worker import StoreWorker
from tests.desktop.test_flow_returns import Recorder
from tests.support.seed import CARD_UID, NOW, TOKYO, seeded_store

LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEA = {"sku": "4901", "name": "緑茶", "category": "drink", "quantity": 2, "amount_yen": 1200,
       "tax_rate": 8}
CAKE = {"sku": "4902", "name": "ケーキ", "category": "food", "quantity": 1, "amount_yen": 800,
        "tax_rate": 8}


class Env:
    def __init__(self, tmp_path) -> None:
        self.store = seeded_store(tmp_path / "register.db")
        self.worker = StoreWorker()
        self.bus = EventBus()
        self.broker = PosBroker(tmp_path / "poslink.db")
        self.bridge = PosCounterBridge(self.broker, self.bus)
        self.book = StaffBook(self.store, hasher=LIGHT)
        self.book.create("M01", "店長 佐藤", "manager", "2468", now=NOW)
        self.cashier = self.book.create("C01", "鈴木", "cashier", "1357", now=NOW)
        self.printed: list[str] = []
        self.rec = Recorder(self.bus)
        self.pos_closed: list[tuple] = []
        self.bus.subscribe("return_pos_cleared", lambda *a: self.pos_closed.append(a))
        self.flow: ReturnFlow | None = None

    def open_flow(self, **kw) -> ReturnFlow:
        self.flow = ReturnFlow(self.store, self.worker, self.bus, staff_book=self.book,
                               print_receipt=self.printed.append, tz=TOKYO,
                               store_name="たまる商店", clock=lambda tz: NOW,
                               staff=self.cashier, pos=self.bridge, **kw)
        return self.flow

    def pos_sale(self, sale_id: str, lines: list[dict], redeem: int = 0):
        """A POS sale settled at the counter through the link, as the counter does it."""
        request = PosSaleRequest.model_validate(
            {"sale_id": sale_id, "amount_yen": sum(ln["amount_yen"] for ln in lines),
             "lines": lines})
        self.broker.submit_sale(request)
        member = self.store.member_by_card(CARD_UID)
        q = quote(self.store.program(), request.basket(),
                  MemberContext(balance=member.balance), at=NOW, redeem_points=redeem)

        def build(facts):
            return receipt_to_dict(build_sale_receipt(facts, store_name="本店", footer="",
                                                      tz=TOKYO))

        recorded = self.store.record_sale(
            member.member_id, q, staff_id="C01", local_time=NOW,
            build_receipt=self.bridge.receipt_builder(build, sale_id),
            lines=[SaleLine(**ln) for ln in lines])
        self.bus.emit("sale_recorded", recorded)
        assert self.broker.get_sale(sale_id).state == "confirmed"
        return recorded

    def pos_return(self, return_id: str, sale_id: str, amount: int, lines=None):
        body = {"return_id": return_id, "sale_id": sale_id, "amount_yen": amount}
        if lines is not None:
            body["lines"] = lines
        return self.broker.submit_return(PosReturnRequest.model_validate(body))

    def ops_count(self) -> int:
        return sum(self.store.outbox_counts().values())

    def close(self) -> None:
        if self.flow is not None:
            self.flow.close()
        self.worker.shutdown()
        self.bridge.close()
        self.broker.close()
        self.store.close()


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def last_says(env, text: str):
    """A condition: the flow's latest message says `text` (none yet: not yet)."""
    return lambda: bool(env.rec.messages()) and text in env.rec.messages()[-1]


def wait_until(condition, timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("condition not met in time")


def test_a_pos_return_is_shown_confirmed_and_answered_in_the_ops_commit(env):
    sale = env.pos_sale("P-1", [TEA, CAKE], redeem=100)
    flow = env.open_flow()
    before = env.store.member("M1").balance
    env.pos_return("RT-1", "P-1", 1200, lines=[TEA])
    (shown,) = env.rec.wait("return_pos_shown")
    assert (shown.return_id, shown.amount_yen, shown.original_receipt_no) == (
        "RT-1", 1200, sale.facts.receipt_no)
    (preview,) = env.rec.wait("return_preview")
    assert preview.pos_return_id == "RT-1" and preview.estimate.returned_yen == 1200
    assert [ln.name for ln in preview.lines] == ["緑茶"]  # the POS's line, marked returned
    assert flow.state is ReturnState.PREVIEW and not preview.needs_approval
    assert "POS から返品 ￥1,200（RT-1）が届きました" in env.rec.messages()[-1]
    # The amount is the POS's: the cashier cannot change it here.
    assert flow.choose_amount("100") is None and "POS が送った金額" in env.rec.messages()[-1]

    flow.confirm().result(timeout=5)
    (recorded,) = env.rec.wait("return_recorded")
    view = env.broker.get_return("RT-1")
    assert view.state == "confirmed"
    est = recorded.facts.estimate
    assert view.result.receipt_no == recorded.facts.receipt_no
    assert (view.result.points_reversed, view.result.points_restored) == (
        est.points_reversed, est.points_restored)
    assert est.points_restored == 60 and est.points_reversed > 0
    assert view.result.balance_after == env.store.member("M1").balance == \
        before + est.points_delta
    assert view.result.member_no == "…0017"
    # The answer the POS got is in the return op's own receipt, committed with the op.
    stored = env.store.receipt(recorded.op.op_id)
    assert read_stamp(stored) == ("POS-RETURN:RT-1",
                                  view.result.model_dump(mode="json"))
    assert env.printed == [recorded.op.op_id]
    assert env.pos_closed[-1] == ("RT-1", "confirmed")
    assert ops.find_sale(env.store, sale.facts.receipt_no).returnable_lines() == [
        SaleLine(**CAKE)]
    assert env.ops_count() == 2 and env.broker.waiting() is None


def test_lines_that_are_not_the_sales_are_returned_by_amount(env):
    env.pos_sale("P-1", [TEA, CAKE])
    env.open_flow()
    env.pos_return("RT-1", "P-1", 1200, lines=[{**TEA, "sku": "other"}])
    (preview,) = env.rec.wait("return_preview")
    assert preview.lines == () and preview.estimate.returned_yen == 1200


def test_a_large_pos_return_waits_for_a_manager(env):
    big = {**TEA, "amount_yen": 12000}
    env.pos_sale("P-1", [big])
    flow = env.open_flow()
    env.pos_return("RT-1", "P-1", 12000)
    (preview,) = env.rec.wait("return_preview")
    assert preview.needs_approval
    assert flow.confirm() is None
    assert env.broker.get_return("RT-1").state == "waiting"
    flow.approve("M01", "2468").result(timeout=5)
    flow.confirm().result(timeout=5)
    (recorded,) = env.rec.wait("return_recorded")
    assert recorded.facts.approved_by == "M01"
    assert env.broker.get_return("RT-1").state == "confirmed"


def test_policy_thresholds_are_constructor_arguments(env):
    env.pos_sale("P-1", [TEA])
    flow = env.open_flow(manager_over_yen=1000, manager_after_days=7)
    env.pos_return("RT-1", "P-1", 1200)
    (preview,) = env.rec.wait("return_preview")
    assert preview.needs_approval and "￥1,000 を超えて" in preview.approval_reasons[0]
    assert flow.policy.manager_after_days == 7
    with pytest.raises(ValueError, match="returns.manager_over_yen"):
        ReturnFlow(env.store, env.worker, EventBus(), staff_book=env.book,
                   print_receipt=print, tz=TOKYO, store_name="", manager_over_yen=-1)


def test_cancel_at_the_counter_refuses_the_pos_return(env):
    env.pos_sale("P-1", [TEA])
    flow = env.open_flow()
    env.pos_return("RT-1", "P-1", 1200)
    env.rec.wait("return_preview")
    flow.cancel()
    wait_until(lambda: env.broker.get_return("RT-1").state == "refused")
    view = env.broker.get_return("RT-1")
    assert view.reason == "cancelled_at_counter"
    assert view.detail.en == "Cancelled at the loyalty counter"
    wait_until(last_says(env, "POS の返品（￥1,200）を取り消しました"))
    assert flow.state is ReturnState.IDLE and flow.pos_return is None
    assert env.pos_closed[-1] == ("RT-1", "refused")
    assert env.ops_count() == 1


@pytest.mark.parametrize("how", ["cancelled", "expired"])
def test_a_return_the_pos_withdraws_or_that_expires_leaves_the_screen(env, how):
    env.pos_sale("P-1", [TEA])
    flow = env.open_flow()
    env.pos_return("RT-1", "P-1", 1200)
    env.rec.wait("return_preview")
    if how == "cancelled":
        env.broker.cancel_return("RT-1")
        expected = "POS が返品（￥1,200）を取り消しました"
    else:
        env.broker.expire_after_s = 0.001
        threading.Event().wait(0.01)
        env.broker.expire_overdue()
        expected = "POS の返品（￥1,200）は確定されないまま時間が過ぎたため取り消されました"
    assert env.rec.messages()[-1] == expected
    assert flow.state is ReturnState.IDLE and flow.preview is None
    assert flow.confirm() is None and env.ops_count() == 1


def test_a_pos_cancel_during_the_commit_rolls_the_return_back(env):
    env.pos_sale("P-1", [TEA])
    flow = env.open_flow()
    env.pos_return("RT-1", "P-1", 1200)
    env.rec.wait("return_preview")
    gate = threading.Event()
    env.worker.submit(gate.wait, 5)  # the store thread is busy: the confirm queues
    future = flow.confirm()
    assert flow.state is ReturnState.RECORDING
    env.broker.cancel_return("RT-1")  # the POS withdraws it before the commit claims it
    assert flow.state is ReturnState.RECORDING  # not pulled from under the commit
    gate.set()
    with pytest.raises(StoreError, match="取り消されたか時間切れ"):
        future.result(timeout=5)
    wait_until(lambda: flow.state is ReturnState.IDLE)
    assert env.ops_count() == 1  # no return op
    assert env.broker.get_return("RT-1").state == "cancelled"
    assert "返品は記録していません" in env.rec.messages()[-1]


def test_a_return_the_register_cannot_take_is_refused_at_once(env):
    sale = env.pos_sale("P-1", [TEA, CAKE])
    flow = env.open_flow()
    # Part of it was returned at the counter without the POS.
    ops.record_return(env.store, sale.facts.receipt_no, 800, staff_id="C01", local_time=NOW)
    env.pos_return("RT-1", "P-1", 2000)
    wait_until(lambda: env.broker.get_return("RT-1").state == "refused")
    view = env.broker.get_return("RT-1")
    assert view.reason == "return_exceeds_left"
    assert view.detail.ja and view.detail.en.startswith("Part of the sale")
    wait_until(last_says(env, "はお受けできません"))
    assert "返品できるのは残り ￥1,200 まで" in env.rec.messages()[-1]
    assert flow.state is ReturnState.IDLE and env.broker.waiting() is None


def test_a_pos_return_left_waiting_is_shown_by_the_next_run(env):
    env.pos_sale("P-1", [TEA])
    env.pos_return("RT-1", "P-1", 1200)  # arrives while no flow listens (a restart)
    flow = env.open_flow()
    assert flow.pos_return.return_id == "RT-1"
    assert flow.preview.estimate.returned_yen == 1200 and flow.state is ReturnState.PREVIEW


def test_a_sign_out_keeps_the_pos_return_without_its_approval(env):
    env.pos_sale("P-1", [{**TEA, "amount_yen": 12000}])
    flow = env.open_flow()
    flow.staff = env.book.get("M01")  # a manager approves their own
    env.pos_return("RT-1", "P-1", 12000)
    (preview,) = env.rec.wait("return_preview")
    assert preview.approved_by == "M01"
    flow.staff = None
    flow.staff_left()
    assert flow.pos_return is not None and flow.preview.needs_approval
    assert env.broker.get_return("RT-1").state == "waiting"


def test_a_manual_search_waits_for_the_pos_return(env):
    env.pos_sale("P-1", [TEA])
    flow = env.open_flow()
    env.pos_return("RT-1", "P-1", 1200)
    env.rec.wait("return_preview")
    flow.search("R01-000001")
    assert "POS の返品を処理中です" in env.rec.messages()[-1]
    assert flow.pos_return.return_id == "RT-1"


def test_a_pos_return_arriving_during_a_commit_is_shown_after_it(env):
    sale = env.pos_sale("P-1", [TEA, CAKE])
    flow = env.open_flow()
    flow.search(sale.facts.receipt_no)
    flow.choose_amount("800")
    gate = threading.Event()
    env.worker.submit(gate.wait, 5)
    future = flow.confirm()
    env.pos_return("RT-1", "P-1", 1200)  # while the manual return is being written
    assert flow.pos_return is None
    gate.set()
    future.result(timeout=5)
    wait_until(lambda: flow.pos_return is not None and flow.preview is not None)
    assert flow.preview.pos_return_id == "RT-1"


def test_a_return_committed_just_before_a_crash_reads_confirmed_after_the_restart(env,
                                                                                  tmp_path):
    from desktop.flows.returns import return_receipt
    from desktop.poslink import PosLink, PosLinkConfig, register_receipt_finder

    sale = env.pos_sale("P-1", [TEA])
    env.pos_return("RT-1", "P-1", 1200)
    found = ops.find_sale(env.store, sale.facts.receipt_no)

    def slip(facts):
        return return_receipt(facts, found, store_name="本店", footer="", tz=TOKYO,
                              offline=False, staff_name=None)

    # The register commits the return with its stamp; the process dies before the link
    # hears of it (no `return_recorded`), so the broker still says "waiting".
    recorded = ops.record_return(env.store, sale.facts.receipt_no, 1200, staff_id="C01",
                                 local_time=NOW,
                                 build_receipt=env.bridge.return_builder(slip, "RT-1"))
    assert env.broker.get_return("RT-1").state == "waiting"
    env.bridge.close()
    env.broker.close()

    link = PosLink(tmp_path, EventBus(), PosLinkConfig(), register_receipt_finder(env.store.path))
    try:
        view = link.broker.get_return("RT-1")
        assert view.state == "confirmed"
        assert view.result.receipt_no == recorded.facts.receipt_no
        assert view.result.points_reversed == recorded.facts.estimate.points_reversed
    finally:
        link.stop()
        env.broker = PosBroker(tmp_path / "other.db")  # the fixture closes what it holds
        env.bridge = PosCounterBridge(env.broker, env.bus)
