"""The POS link in the running application: a register and its window built as `tamaru`
builds them (`build_register`, `MainWindow`, `register.start()`), the link's HTTP API on a
free 127.0.0.1 port from the `poslink.port` setting, and a POS calling it over real HTTP
while the cashier works the counter screen: the member taps their card, the cashier
confirms with the widget, and the POS's waiting call returns the points and discount.
The refusal of calls from another machine is shown with a real one: from a network
namespace joined to this PC by a veth pair (root and iproute2; skipped, saying so,
where namespaces cannot be made)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.shell_support import signed_in

ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton
SALE = {"sale_id": "POS-7001", "amount_yen": 3280, "tax_basis": "included",
        "lines": [{"sku": "4901234567894", "name": "緑茶 2L", "category": "drink",
                   "quantity": 2, "amount_yen": 3280, "tax_rate": 8}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Pos(threading.Thread):
    """The POS register: posts the sale, then long-polls until the cashier settles it."""

    def __init__(self, url: str, token: str, sale: dict[str, Any] = SALE) -> None:
        super().__init__(name="pos", daemon=True)
        self.url, self.token, self.sale = url, token, sale
        self.posted: httpx.Response | None = None
        self.answer: dict[str, Any] | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=40,
                          headers={"Authorization": f"Bearer {self.token}"}) as client:
            self.posted = client.post("/v1/pos/sales", json=self.sale)
            answer = self.posted.json()
            while answer["state"] == "waiting":
                answer = client.get(f"/v1/pos/sales/{self.sale['sale_id']}",
                                    params={"wait": 30}).json()
            self.answer = answer


@pytest.fixture
def counter_app(qtbot, open_window):
    """(window, counter screen, POS link) of a started app with the link on a free port."""
    port = free_port()
    win = open_window(**{"poslink.port": port})
    counter = signed_in(qtbot, win)
    link = win.register.poslink
    assert link is not None and link.url == f"http://127.0.0.1:{port}"
    return win, counter, link


def client(link, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=link.url, timeout=10,
                        headers={"Authorization": f"Bearer {token or link.token}"})


def ops_recorded(register) -> int:
    return sum(register.store.outbox_counts().values())


def tap(qtbot, counter, name: str) -> None:
    qtbot.mouseClick(counter.devices.button(name), LEFT)
    qtbot.waitUntil(lambda: name in counter.member_panel.name.text(), timeout=5000)


@pytest.mark.ui
def test_pos_sale_confirmed_on_the_counter_answers_the_pos_and_a_retry_replays(
        qtbot, counter_app):
    win, counter, link = counter_app
    register = win.register
    pos = Pos(link.url, link.token)
    pos.start()
    qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=5000)
    assert counter.pos_banner.headline.text() == "POS から ￥3,280"
    assert "POS-7001" in counter.pos_banner.detail.text()
    assert pos.posted is not None and pos.posted.status_code == 202
    # The POS's basket is on screen and its total cannot be changed at the counter.
    assert counter.basket.table.rowCount() == 1
    assert counter.basket.table.item(0, 0).text() == "緑茶 2L"
    assert not counter.amount.isEnabled() and not counter.basket.add.isEnabled()
    assert counter.cancel_button.text() == "POS の取引を取消（Esc）"

    tap(qtbot, counter, "山田 花子")  # the member taps their card on the reader
    assert counter.quote_panel.total.text() == "￥3,280"
    counter.redeem.setText("100")
    assert counter.quote_panel.pay.text() == "￥3,180"
    qtbot.mouseClick(counter.confirm_button, LEFT)

    pos.join(timeout=20)
    assert pos.answer is not None and pos.answer["state"] == "confirmed", pos.answer
    sale = register.flow.last_sale
    result = pos.answer["result"]
    assert result["receipt_no"] == sale.facts.receipt_no
    assert result["points_used"] == 100 and result["discount_yen"] == 100
    assert result["amount_due_yen"] == 3180
    assert result["points_earned"] == sale.facts.quote.points_earned > 0
    assert result["balance_after"] == sale.facts.balance_after
    assert result["member_no"] == sale.facts.member.masked_no
    qtbot.waitUntil(lambda: not counter.pos_banner.isVisible(), timeout=5000)
    assert "記録しました" in counter.message.text()
    assert ops_recorded(register) == 1

    # The POS lost the answer and sends the same sale again: the same answer, no new sale.
    with client(link) as c:
        retry = c.post("/v1/pos/sales", json=SALE)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["result"] == result
    qtbot.wait(300)
    assert not counter.pos_banner.isVisible() and ops_recorded(register) == 1


@pytest.mark.ui
def test_cancel_on_the_counter_refuses_the_pos_call(qtbot, counter_app):
    win, counter, link = counter_app
    pos = Pos(link.url, link.token)
    pos.start()
    qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=5000)
    tap(qtbot, counter, "山田 花子")
    QTest.keyClick(counter.redeem, Qt.Key.Key_Escape)
    pos.join(timeout=20)
    assert pos.answer is not None and pos.answer["state"] == "refused"
    assert pos.answer["reason"] == "cancelled_at_counter"
    assert pos.answer["detail"] == {"ja": "レジで取り消されました",
                                    "en": "Cancelled at the loyalty counter"}
    qtbot.waitUntil(lambda: "POS の取引（￥3,280）を取り消しました" in counter.message.text(),
                    timeout=5000)
    assert not counter.pos_banner.isVisible() and counter.member_panel.prompt.isVisible()
    assert counter.basket.table.rowCount() == 0
    assert ops_recorded(win.register) == 0


@pytest.mark.ui
def test_no_member_button_tells_the_pos_to_settle_without_points(qtbot, counter_app):
    win, counter, link = counter_app
    pos = Pos(link.url, link.token, {**SALE, "sale_id": "POS-7002"})
    pos.start()
    qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=5000)
    qtbot.mouseClick(counter.pos_banner.no_member, LEFT)
    pos.join(timeout=20)
    assert pos.answer["state"] == "refused" and pos.answer["reason"] == "no_member"
    qtbot.waitUntil(lambda: not counter.pos_banner.isVisible(), timeout=5000)
    assert ops_recorded(win.register) == 0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


@contextmanager
def store_lan() -> Iterator[tuple[str, str]]:
    """A second machine on this PC's network: a network namespace joined to this PC by a
    veth pair. Yields (this PC's address on that link, the namespace's name); removed
    afterwards whatever happens. Skips, saying why, where namespaces cannot be made."""
    tag = f"{os.getpid() % 100000}"
    ns, here_if, there_if = f"tamaru-pos{tag}", f"tpa{tag}", f"tpb{tag}"
    octet = 16 + os.getpid() % 200
    here, there = f"10.{octet}.77.1", f"10.{octet}.77.2"
    try:
        _ip("netns", "add", ns)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        pytest.skip(f"cannot create a network namespace here (needs root and iproute2): "
                    f"{detail}")
    try:
        _ip("link", "add", here_if, "type", "veth", "peer", "name", there_if)
        _ip("link", "set", there_if, "netns", ns)
        _ip("addr", "add", f"{here}/30", "dev", here_if)
        _ip("link", "set", here_if, "up")
        _ip("-n", ns, "addr", "add", f"{there}/30", "dev", there_if)
        _ip("-n", ns, "link", "set", there_if, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        yield here, ns
    finally:
        subprocess.run(["ip", "link", "del", here_if], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


FROM_THE_LAN = """
import json, sys, urllib.request
url, token, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
req = urllib.request.Request(url, data=body, method="POST", headers={
    "Authorization": "Bearer " + token, "Content-Type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=5)
    print(json.dumps({"reached": True}))
except urllib.error.HTTPError as exc:
    print(json.dumps({"reached": True, "status": exc.code}))
except OSError as exc:
    print(json.dumps({"reached": False, "error": type(exc.reason if hasattr(exc, "reason")
                                                      else exc).__name__}))
"""


@pytest.mark.ui
def test_refusals_of_the_running_link(qtbot, counter_app):
    win, counter, link = counter_app
    with client(link) as c:
        broken = c.post("/v1/pos/sales", content=b'{"sale_id": "POS-1", ',
                        headers={"Content-Type": "application/json"})
        assert broken.status_code == 400
        assert broken.json()["error"] == "malformed_body"
        assert "JSON" in broken.json()["detail"]["ja"]
        assert broken.json()["detail"]["en"].startswith("The body is not a JSON object")
        bad_field = c.post("/v1/pos/sales", json={**SALE, "amount_yen": "3280"})
        assert bad_field.status_code == 422 and bad_field.json()["field"] == "amount_yen"
    with client(link, token="not-the-token") as stranger:
        wrong = stranger.post("/v1/pos/sales", json=SALE)
        assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
        assert "トークン" in wrong.json()["detail"]["ja"]

    server = link.server
    assert server is not None and server.bound_address == ("127.0.0.1", server.port)
    with store_lan() as (here, ns):
        # Another machine on the store's LAN, with the right token, calls this PC's LAN
        # address: nothing listens there (the link is bound to 127.0.0.1 only).
        lan = subprocess.run(
            ["ip", "netns", "exec", ns, sys.executable, "-c", FROM_THE_LAN,
             f"http://{here}:{server.port}/v1/pos/sales", link.token, json.dumps(SALE)],
            capture_output=True, text=True, timeout=30, check=True)
        assert json.loads(lan.stdout) == {"reached": False, "error": "ConnectionRefusedError"}
        # A call that does reach the loopback port from a non-loopback address of this
        # PC (as a forwarded or NAT-ed connection would) is refused by the link itself.
        transport = httpx.HTTPTransport(local_address=here)
        with httpx.Client(transport=transport, base_url=link.url, timeout=10,
                          headers={"Authorization": f"Bearer {link.token}"}) as c:
            remote = c.post("/v1/pos/sales", json=SALE)
    assert remote.status_code == 403 and remote.json()["error"] == "not_loopback"
    assert remote.json()["detail"]["ja"] == "この API は同じ PC からのみ利用できます"
    qtbot.wait(200)
    assert link.broker.waiting() is None and not counter.pos_banner.isVisible()
    assert ops_recorded(win.register) == 0


@pytest.mark.ui
def test_the_example_pos_runs_against_the_app(qtbot, counter_app):
    win, counter, link = counter_app
    # As an integrator runs it: the token read from the register's home folder.
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "docs" / "pos_example.py"), "--url", link.url,
         "--amount", "1200", "--sale-id", "EX-APP-1", "--line", "4901,おにぎり,food,4,1200,8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "TAMARU_HOME": str(win.register.settings.home)})
    try:
        qtbot.waitUntil(lambda: counter.pos_banner.isVisible(), timeout=15000)
        assert counter.pos_banner.headline.text() == "POS から ￥1,200"
        tap(qtbot, counter, "山田 花子")
        qtbot.mouseClick(counter.confirm_button, LEFT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    sale = win.register.flow.last_sale
    assert f"receipt {sale.facts.receipt_no}" in out
    assert "amount due ￥1,200" in out and "discount   ￥0 (0 pt used)" in out
    assert f"+{sale.facts.quote.points_earned:,} pt" in out
    assert link.broker.get_sale("EX-APP-1").state == "confirmed"
