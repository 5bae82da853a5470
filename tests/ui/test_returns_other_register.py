"""A return at another register of the same store, in two running applications against
one real HQ process: register A sells and syncs; at register B the cashier types A's
receipt number, B asks HQ, shows HQ's sale and records the return against it; HQ applies
it to A's sale. When HQ cannot be reached, B says plainly that such a return needs HQ."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.hq_lookup import HqLookup
from tests.ui.shell_support import signed_in

LEFT = Qt.MouseButton.LeftButton
MEMBER = "M0000001"  # 山田 花子


def sell_and_sync(qtbot, win, amount: int) -> str:
    """A sale at this register's counter, pushed to HQ; its receipt number."""
    counter = win.screens["counter"]
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    QTest.keyClicks(counter.amount, str(amount))
    qtbot.mouseClick(counter.confirm_button, LEFT)
    register = win.register
    qtbot.waitUntil(lambda: register.flow.last_sale is not None, timeout=15000)
    sale = register.flow.last_sale
    register.sync.sync_now()
    qtbot.waitUntil(lambda: register.store.op_state(sale.facts.op_id) == "applied",
                    timeout=20000)
    return sale.facts.receipt_no


def search(qtbot, returns, receipt_no: str) -> None:
    returns.receipt_no.clear()
    qtbot.keyClicks(returns.receipt_no, receipt_no)
    qtbot.mouseClick(returns.search_button, LEFT)


@pytest.mark.ui
def test_a_return_of_another_registers_sale_goes_through_hq(qtbot, open_window):
    seller = open_window()
    signed_in(qtbot, seller)
    receipt_no = sell_and_sync(qtbot, seller, 3000)
    sale_op = seller.register.flow.last_sale.facts.op_id

    here = open_window()
    signed_in(qtbot, here)
    assert here.register.settings.get("register.device_id") != receipt_no.split("-")[0]
    here.show_screen("returns")
    returns = here.screens["returns"]
    search(qtbot, returns, receipt_no)
    qtbot.waitUntil(lambda: returns.sale_fields["receipt"].text() == receipt_no, timeout=10000)
    assert returns.sale_fields["amount"].text() == "￥3,000"
    assert f"別のレジ（{receipt_no.split('-')[0]}）のお買上げです" in returns.confirmed_note.text()
    flow = here.services.returns
    assert flow.sale.source == "hq" and flow.sale.op_id == sale_op
    before = here.register.store.member(MEMBER).balance

    qtbot.keyClicks(returns.amount, "1000")
    qtbot.mouseClick(returns.amount_button, LEFT)
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(returns.confirm_button, LEFT)
    qtbot.waitUntil(lambda: "返品を記録しました" in returns.message.text(), timeout=10000)
    recorded = flow.last
    est = recorded.facts.estimate
    assert recorded.op.payload.sale_op_id == sale_op
    assert recorded.op.device_id == here.register.settings.get("register.device_id")
    # The pending balance and the slip follow HQ's sale.
    assert here.register.store.member(MEMBER).balance == before + est.points_delta
    slip = here.register.store.receipt(recorded.op.op_id)
    assert receipt_no in str(slip)

    here.register.sync.sync_now()
    qtbot.waitUntil(lambda: here.register.store.op_state(recorded.op.op_id) == "applied",
                    timeout=20000)
    hq = HqLookup(here.register.sync.hq.url, here.register.sync.hq.token)
    try:
        at_hq = hq.sale_by_receipt(receipt_no)
    finally:
        hq.close()
    assert at_hq.returned_yen == 1000 and [r.op_id for r in at_hq.returns] == [
        recorded.op.op_id]

    # The same receipt again: what HQ applied and what is left, counted once.
    search(qtbot, returns, receipt_no)
    qtbot.waitUntil(lambda: returns.sale_fields["returned"].text() == "￥1,000", timeout=10000)
    assert returns.sale_fields["remaining"].text() == "￥2,000"


@pytest.mark.ui
def test_without_hq_a_return_of_another_registers_sale_is_explained(qtbot, open_window):
    here = open_window()
    signed_in(qtbot, here)
    flow = here.services.returns
    # HQ does not answer: a real connection to a port nothing listens on.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    flow.hq = HqLookup(f"http://127.0.0.1:{dead}", "token")
    here.show_screen("returns")
    returns = here.screens["returns"]
    search(qtbot, returns, "R77-000001")
    qtbot.waitUntil(lambda: "本部への接続が必要です" in returns.message.text(), timeout=10000)
    assert returns.message.text().startswith("取引 R77-000001 は別のレジの取引です（レジ R77）")
    assert returns.message.objectName() == "message_error"
    assert not returns.all_button.isEnabled() and flow.sale is None
    assert sum(here.register.store.outbox_counts().values()) == 0
