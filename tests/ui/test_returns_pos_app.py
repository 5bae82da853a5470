"""POS returns in the running application: the register and its window built as `tamaru`
builds them, the POS link's HTTP API on a free 127.0.0.1 port, and a POS calling it over
real HTTP. The POS's return comes to the returns screen by itself with its sale and
amount; the cashier confirms it (a manager's PIN when the policy asks) and the POS's
waiting call gets the points moved and the return receipt — or the cashier cancels, the
POS withdraws it, or nobody settles it and it expires, and the link takes the next sale.

`desktop.services.build_services` is to give the returns flow the POS link's bridge and
the HQ look-up (`wire_returns` below is that wiring, applied to the running app's own
services before its screens are built)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from tests.ui.shell_support import sign_in, signed_in
from tests.ui.test_poslink_app import SALE, Pos, client, free_port, ops_recorded, tap

LEFT = Qt.MouseButton.LeftButton
RETURN = {"return_id": "RET-7001", "sale_id": "POS-7001", "amount_yen": 1640}


class PosReturnCall(threading.Thread):
    """The POS: posts the return, then long-polls until the counter settles it."""

    def __init__(self, url: str, token: str, body: dict[str, Any] = RETURN) -> None:
        super().__init__(name="pos-return", daemon=True)
        self.url, self.token, self.body = url, token, body
        self.posted: httpx.Response | None = None
        self.answer: dict[str, Any] | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=40,
                          headers={"Authorization": f"Bearer {self.token}"}) as c:
            self.posted = c.post("/v1/pos/returns", json=self.body)
            answer = self.posted.json()
            while answer.get("state") == "waiting":
                answer = c.get(f"/v1/pos/returns/{self.body['return_id']}",
                               params={"wait": 30}).json()
            self.answer = answer


@pytest.fixture
def app(qtbot, open_window):
    """(window, counter screen, returns screen, POS link) of a started, signed-in app."""
    win = open_window(**{"poslink.port": free_port()})
    counter = signed_in(qtbot, win)
    link = win.register.poslink
    assert link is not None
    return win, counter, win.screens["returns"], link


def settle_sale(qtbot, win, counter, link, sale: dict[str, Any] = SALE) -> dict[str, Any]:
    """A POS sale confirmed at the counter for 山田 花子, as a cashier does it."""
    pos = Pos(link.url, link.token, sale)
    pos.start()
    qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=5000)
    tap(qtbot, counter, "山田 花子")
    qtbot.mouseClick(counter.confirm_button, LEFT)
    pos.join(timeout=20)
    assert pos.answer is not None and pos.answer["state"] == "confirmed", pos.answer
    return pos.answer


def post_return(qtbot, win, returns, link, body: dict[str, Any] = RETURN) -> PosReturnCall:
    call = PosReturnCall(link.url, link.token, body)
    call.start()
    # The returns screen comes forward by itself, with the POS's return under its banner.
    qtbot.waitUntil(lambda: win.current() is returns and returns.pos_banner.isVisible(),
                    timeout=10000)
    qtbot.waitUntil(lambda: returns.preview_fields["returned"].text() != "", timeout=5000)
    assert call.posted is not None and call.posted.status_code == 202
    return call


@pytest.mark.ui
def test_a_pos_return_confirmed_at_the_counter_answers_the_pos(qtbot, app):
    win, counter, returns, link = app
    sale = settle_sale(qtbot, win, counter, link)
    balance = win.register.store.member("M0000001").balance
    call = post_return(qtbot, win, returns, link)
    assert returns.pos_headline.text() == "POS から返品 ￥1,640"
    assert "RET-7001" in returns.pos_detail.text()
    assert sale["result"]["receipt_no"] in returns.pos_detail.text()
    assert returns.sale_fields["receipt"].text() == sale["result"]["receipt_no"]
    assert returns.preview_fields["returned"].text() == "-￥1,640"
    # The amount is the POS's: nothing to type or choose here.
    assert not returns.amount.isEnabled() and not returns.all_button.isEnabled()
    assert not returns.receipt_no.isEnabled()
    assert returns.cancel_button.text() == "POS の返品を取消"
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(returns.confirm_button, LEFT)

    call.join(timeout=20)
    assert call.answer is not None and call.answer["state"] == "confirmed", call.answer
    recorded = win.services.returns.last
    result = call.answer["result"]
    est = recorded.facts.estimate
    assert result["receipt_no"] == recorded.facts.receipt_no
    assert (result["points_reversed"], result["points_restored"]) == (
        est.points_reversed, est.points_restored)
    assert est.points_reversed == sale["result"]["points_earned"] // 2
    assert result["balance_after"] == win.register.store.member("M0000001").balance == \
        balance + est.points_delta
    qtbot.waitUntil(lambda: "POS に結果を送りました" in returns.message.text(), timeout=5000)
    assert not returns.pos_banner.isVisible() and returns.receipt_no.isEnabled()
    assert ops_recorded(win.register) == 2

    # The POS lost the answer and sends the same return again: the same answer, no new op.
    with client(link) as c:
        retry = c.post("/v1/pos/returns", json=RETURN)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["result"] == result
    qtbot.wait(300)
    assert ops_recorded(win.register) == 2


@pytest.mark.ui
def test_a_large_pos_return_waits_for_a_managers_pin(qtbot, app):
    win, counter, returns, link = app
    big = {"sale_id": "POS-7100", "amount_yen": 12000}
    settle_sale(qtbot, win, counter, link, big)
    call = post_return(qtbot, win, returns, link,
                       {"return_id": "RET-7100", "sale_id": "POS-7100", "amount_yen": 12000})
    assert returns.approval.isVisible() and not returns.confirm_button.isEnabled()
    assert returns.approval_reasons.text().splitlines() == [
        "店長の承認が必要です。", "返品金額が ￥10,000 を超えています"]
    qtbot.keyClicks(returns.manager_id, "1001")
    qtbot.keyClicks(returns.manager_pin, "1234")
    qtbot.mouseClick(returns.approve_button, LEFT)
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=10000)
    qtbot.mouseClick(returns.confirm_button, LEFT)
    call.join(timeout=20)
    assert call.answer["state"] == "confirmed"
    assert win.services.returns.last.facts.approved_by == "1001"


@pytest.mark.ui
def test_cancel_at_the_counter_refuses_the_pos_return(qtbot, app):
    win, counter, returns, link = app
    settle_sale(qtbot, win, counter, link)
    call = post_return(qtbot, win, returns, link)
    qtbot.mouseClick(returns.cancel_button, LEFT)
    call.join(timeout=20)
    assert call.answer["state"] == "refused" and call.answer["reason"] == "cancelled_at_counter"
    assert call.answer["detail"]["en"] == "Cancelled at the loyalty counter"
    qtbot.waitUntil(lambda: "POS の返品（￥1,640）を取り消しました" in returns.message.text(),
                    timeout=5000)
    assert not returns.pos_banner.isVisible() and returns.cancel_button.text() == "やり直す"
    assert ops_recorded(win.register) == 1


@pytest.mark.ui
def test_the_pos_withdraws_its_return(qtbot, app):
    win, counter, returns, link = app
    settle_sale(qtbot, win, counter, link)
    call = post_return(qtbot, win, returns, link)
    with client(link) as c:
        cancelled = c.post("/v1/pos/returns/RET-7001/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    call.join(timeout=20)
    assert call.answer["state"] == "cancelled" and call.answer["reason"] == "cancelled_by_pos"
    qtbot.waitUntil(lambda: not returns.pos_banner.isVisible(), timeout=5000)
    assert returns.message.text() == "POS が返品（￥1,640）を取り消しました"
    assert not returns.confirm_button.isEnabled()
    assert ops_recorded(win.register) == 1


@pytest.mark.ui
def test_a_pos_return_nobody_settles_expires_and_the_link_takes_the_next_sale(qtbot, app):
    win, counter, returns, link = app
    settle_sale(qtbot, win, counter, link)
    # Ten minutes in production; a few seconds here, on the running link's own broker.
    link.broker.expire_after_s = 2.0
    call = post_return(qtbot, win, returns, link)
    call.join(timeout=20)
    assert call.answer["state"] == "refused" and call.answer["reason"] == "expired"
    assert call.answer["detail"]["en"].startswith("Not settled at the counter")
    qtbot.waitUntil(lambda: not returns.pos_banner.isVisible(), timeout=5000)
    assert "時間が過ぎたため取り消されました" in returns.message.text()
    with client(link) as c:
        nxt = c.post("/v1/pos/sales", json={**SALE, "sale_id": "POS-7002"})
    assert nxt.status_code == 202 and nxt.json()["state"] == "waiting"
    assert ops_recorded(win.register) == 1


def drop_file(folder: Path, name: str, body: dict[str, Any]) -> None:
    """As an older register drops a file: written under a temporary name, then renamed,
    and old enough for the link to read it at once."""
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    past = time.time() - 5
    os.utime(tmp, (past, past))
    os.replace(tmp, folder / name)


def result_of(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}.result.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@pytest.mark.ui
def test_the_file_drop_settles_a_sale_and_its_returns_in_the_running_app(qtbot,
                                                                         open_window,
                                                                         tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    win = open_window(**{"poslink.drop_dir": str(folder), "poslink.drop_interval_seconds": 0.1})
    counter = signed_in(qtbot, win)
    returns = win.screens["returns"]

    drop_file(folder, "sale-7001.json", SALE)
    qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=10000)
    tap(qtbot, counter, "山田 花子")
    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: result_of(folder, "sale-7001") is not None, timeout=10000)
    sale = result_of(folder, "sale-7001")
    assert sale["state"] == "confirmed"
    assert sale["result"]["receipt_no"] == win.register.flow.last_sale.facts.receipt_no
    assert (folder / "processed" / "sale-7001.json").exists()

    # A return dropped the same way comes to the returns screen, as over HTTP.
    drop_file(folder, "ret-7001.json", RETURN)
    qtbot.waitUntil(lambda: win.current() is returns and returns.pos_banner.isVisible(),
                    timeout=10000)
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=5000)
    assert (folder / "ret-7001.json").exists()  # kept while it waits at the counter
    qtbot.mouseClick(returns.confirm_button, LEFT)
    qtbot.waitUntil(lambda: result_of(folder, "ret-7001") is not None, timeout=10000)
    answer = result_of(folder, "ret-7001")
    assert answer["state"] == "confirmed" and answer["return_id"] == "RET-7001"
    assert answer["result"]["receipt_no"] == win.services.returns.last.facts.receipt_no
    assert (folder / "processed" / "ret-7001.json").exists()

    # A second return the cashier cancels: its result file says so, nothing is recorded.
    drop_file(folder, "ret-7002.json", {**RETURN, "return_id": "RET-7002"})
    qtbot.waitUntil(lambda: returns.pos_banner.isVisible(), timeout=10000)
    qtbot.mouseClick(returns.cancel_button, LEFT)
    qtbot.waitUntil(lambda: result_of(folder, "ret-7002") is not None, timeout=10000)
    refused = result_of(folder, "ret-7002")
    assert refused["state"] == "refused" and refused["reason"] == "cancelled_at_counter"
    assert ops_recorded(win.register) == 2


@pytest.mark.ui
def test_a_pos_return_that_came_while_nobody_was_signed_in_is_shown_at_sign_in(qtbot, app):
    win, counter, returns, link = app
    settle_sale(qtbot, win, counter, link)
    win.sign_out()
    qtbot.waitUntil(lambda: win.current() is win.signin, timeout=5000)
    call = PosReturnCall(link.url, link.token)
    call.start()
    # Ready on the (hidden) returns screen, never shown past the sign-in screen.
    qtbot.waitUntil(lambda: returns.pos_headline.text() != "", timeout=10000)
    qtbot.wait(200)
    assert win.current() is win.signin
    sign_in(qtbot, win)
    qtbot.waitUntil(lambda: win.current() is returns, timeout=10000)
    assert returns.pos_headline.text() == "POS から返品 ￥1,640"
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(returns.confirm_button, LEFT)
    call.join(timeout=20)
    assert call.answer["state"] == "confirmed"
