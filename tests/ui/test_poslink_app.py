"""The POS link driven over real HTTP against a running counter: a QApplication, today's
counter flow on a real seeded register store, the link's uvicorn on 127.0.0.1, and a POS
on its own thread that posts a sale and long-polls while the cashier taps and confirms."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from desktop.bridge import QtBridge
from desktop.poslink import PosBroker, PosCounterBridge, PosLinkedStore
from desktop.poslink.server import PosLinkServer, load_or_create_token
from sync.events import EventBus
from sync.worker import StoreWorker
from tests.support.seed import CARD_UID, NOW, TOKYO, seeded_store

try:
    from desktop.flows.counter import CounterFlow
except ImportError:  # the counter flow before it moved under desktop/flows/
    from desktop.counter import CounterFlow  # type: ignore[no-redef]

SALE = {"sale_id": "POS-7001", "amount_yen": 3280, "tax_basis": "included",
        "lines": [{"sku": "4901234567894", "name": "緑茶 2L", "category": "drink",
                   "quantity": 2, "amount_yen": 3280, "tax_rate": 8}]}


class PosScreen(QObject):
    """A stand-in for the counter screen's POS banner, fed through Qt like the real one."""

    waiting = Signal(object)
    closed = Signal(str, str)

    def __init__(self, events: EventBus) -> None:
        super().__init__()
        self.banner = QLabel("")
        self.waiting.connect(lambda sale: self.banner.setText(sale.headline))
        self.closed.connect(lambda *_: self.banner.setText(""))
        events.subscribe("pos_sale_waiting", self.waiting.emit)
        events.subscribe("pos_sale_closed", self.closed.emit)


class Pos(threading.Thread):
    """The POS register: posts the sale, then long-polls until the cashier settles it."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(name="pos", daemon=True)
        self.url, self.token = url, token
        self.posted: httpx.Response | None = None
        self.answer: dict[str, Any] | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=40,
                          headers={"Authorization": f"Bearer {self.token}"}) as client:
            self.posted = client.post("/v1/pos/sales", json=SALE)
            answer = self.posted.json()
            while answer["state"] == "waiting":
                answer = client.get(f"/v1/pos/sales/{SALE['sale_id']}",
                                    params={"wait": 30}).json()
            self.answer = answer


@pytest.fixture
def app(qtbot, tmp_path):
    home = tmp_path / "home"
    store = seeded_store(home / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    qt = QtBridge(bus)
    broker = PosBroker.open(home)
    bridge = PosCounterBridge(broker, bus)
    flow = CounterFlow(PosLinkedStore(store, bridge), worker, bus, tz=TOKYO,
                       store_name="たまる商店 本店", clock=lambda tz: NOW)
    screen = PosScreen(bus)
    qtbot.addWidget(screen.banner)
    token = load_or_create_token(home)
    server = PosLinkServer(broker, token, port=0)
    server.start()
    yield {"store": store, "flow": flow, "qt": qt, "bridge": bridge, "broker": broker,
           "screen": screen, "server": server, "token": token}
    server.stop()
    bridge.close()
    getattr(flow, "close", lambda: None)()  # the flow's hold thread, where it has one
    worker.shutdown()
    broker.close()
    store.close()


def client(app, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=app["server"].url, timeout=10,
                        headers={"Authorization": f"Bearer {token or app['token']}"})


@pytest.mark.ui
def test_pos_sale_settled_at_the_counter_and_replayed_to_a_retry(qtbot, app):
    pos = Pos(app["server"].url, app["token"])
    pos.start()
    banner = app["screen"].banner
    qtbot.waitUntil(lambda: banner.text() == "POS から ￥3,280", timeout=5000)
    assert pos.posted.status_code == 202

    # The cashier: the member taps their card, uses 100 points, confirms the POS amount.
    with qtbot.waitSignal(app["qt"].member_shown, timeout=5000):
        app["flow"].card_presented(CARD_UID)
    waiting = app["bridge"].current()
    assert waiting.sale_id == "POS-7001" and [ln.category for ln in waiting.basket] == ["drink"]
    with qtbot.waitSignal(app["qt"].sale_recorded, timeout=5000) as recorded:
        app["flow"].confirm(str(waiting.amount_yen), "100")
    sale = recorded.args[0]

    pos.join(timeout=10)
    assert pos.answer is not None and pos.answer["state"] == "confirmed"
    result = pos.answer["result"]
    assert result["receipt_no"] == sale.facts.receipt_no == "R01-000001"
    assert result["discount_yen"] == 100 and result["amount_due_yen"] == 3180
    assert result["points_used"] == 100 and result["points_earned"] == 31
    assert result["balance_after"] == 500 - 100 + 31 and result["member_no"] == "…0017"
    qtbot.waitUntil(lambda: banner.text() == "", timeout=5000)

    # The POS lost the answer and retries: the same receipt, and still one sale queued.
    with client(app) as c:
        retry = c.post("/v1/pos/sales", json=SALE)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["result"]["receipt_no"] == "R01-000001"
    assert app["store"].outbox_counts() == {"queued": 1}


@pytest.mark.ui
def test_cashier_refuses_and_the_pos_hears_why(qtbot, app):
    pos = Pos(app["server"].url, app["token"])
    pos.start()
    qtbot.waitUntil(lambda: app["bridge"].current() is not None, timeout=5000)
    app["bridge"].refuse("POS-7001", "no_member")
    pos.join(timeout=10)
    assert pos.answer["state"] == "refused" and pos.answer["reason"] == "no_member"
    assert pos.answer["detail"]["en"].startswith("No member")
    qtbot.waitUntil(lambda: app["screen"].banner.text() == "", timeout=5000)
    assert app["store"].outbox_counts() == {}


@pytest.mark.ui
def test_pos_cancel_clears_the_counter_and_a_late_confirm_is_not_linked(qtbot, app):
    with client(app) as c:
        assert c.post("/v1/pos/sales", json=SALE).status_code == 202
        qtbot.waitUntil(lambda: app["screen"].banner.text() != "", timeout=5000)
        assert c.post("/v1/pos/sales/POS-7001/cancel").json()["state"] == "cancelled"
    qtbot.waitUntil(lambda: app["screen"].banner.text() == "", timeout=5000)
    assert app["bridge"].current() is None
    with qtbot.waitSignal(app["qt"].member_shown, timeout=5000):
        app["flow"].card_presented(CARD_UID)
    with qtbot.waitSignal(app["qt"].sale_recorded, timeout=5000) as recorded:
        app["flow"].confirm("3280")
    assert "pos_link" not in recorded.args[0].receipt_model  # an ordinary counter sale
    assert app["broker"].get_sale("POS-7001").state == "cancelled"


@pytest.mark.ui
def test_refusals_against_the_running_counter(qtbot, app):
    broker = app["broker"]
    with client(app) as c:
        malformed = c.post("/v1/pos/sales", json={**SALE, "lines": [{"amount_yen": 3280.5}]})
        assert malformed.status_code == 422
        assert malformed.json()["field"] == "lines.0.amount_yen"
    with client(app, token="not-the-token") as stranger:
        wrong = stranger.post("/v1/pos/sales", json=SALE)
        assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"

    async def from_the_store_lan() -> httpx.Response:
        # The running server's own app, as a peer on the LAN would reach it.
        transport = httpx.ASGITransport(app=app["server"].app, client=("10.0.0.42", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://till") as c:
            return await c.post("/v1/pos/sales", json=SALE,
                                headers={"Authorization": f"Bearer {app['token']}"})

    remote = asyncio.run(from_the_store_lan())
    assert remote.status_code == 403 and remote.json()["error"] == "not_loopback"
    assert broker.waiting() is None and app["screen"].banner.text() == ""
    assert app["store"].outbox_counts() == {}
