"""The POS link's HTTP API on a real uvicorn bound to 127.0.0.1, called with httpx."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from desktop.poslink.broker import PosBroker
from desktop.poslink.models import SaleResult
from desktop.poslink.server import PosLinkServer, create_app, openapi_document
from desktop.poslink.token import load_or_create_token, rotate_token

ROOT = Path(__file__).resolve().parents[2]
SALE = {"sale_id": "POS-0001", "amount_yen": 3280, "tax_basis": "included", "currency": "JPY",
        "lines": [{"sku": "4901234567894", "name": "緑茶", "category": "drink", "quantity": 2,
                   "amount_yen": 3280, "tax_rate": 8}]}


def result(receipt_no: str = "R01-000001") -> SaleResult:
    return SaleResult(points_earned=31, points_used=100, discount_yen=100, amount_due_yen=3180,
                      balance_after=431, receipt_no=receipt_no, member_no="…0017",
                      confirmed_at=datetime(2026, 11, 22, 1, 30, tzinfo=UTC))


@pytest.fixture
def link(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    token = load_or_create_token(tmp_path)
    server = PosLinkServer(broker, token, port=0)
    server.start()
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                          timeout=30)
    yield broker, server, client, token
    client.close()
    server.stop()
    broker.close()


def test_health(link):
    _, server, client, _ = link
    assert server.url.startswith("http://127.0.0.1:")
    r = client.get("/v1/pos/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "api": 1, "waiting": None}


def test_post_then_retry_gets_the_same_answer_never_a_second_sale(link):
    broker, _, client, _ = link
    first = client.post("/v1/pos/sales", json=SALE)
    assert first.status_code == 202
    assert first.json()["state"] == "waiting" and first.json()["sale_id"] == "POS-0001"
    retry = client.post("/v1/pos/sales", json=SALE)
    assert retry.status_code == 202 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert client.get("/v1/pos/health").json()["waiting"] == {"kind": "sale", "id": "POS-0001"}
    broker.confirm_sale("POS-0001", result())
    settled = client.post("/v1/pos/sales", json=SALE)
    assert settled.status_code == 200
    assert settled.json()["state"] == "confirmed"
    assert settled.json()["result"]["receipt_no"] == "R01-000001"
    assert settled.json()["result"]["discount_yen"] == 100


def test_same_id_with_another_body_is_409(link):
    _, _, client, _ = link
    client.post("/v1/pos/sales", json=SALE)
    r = client.post("/v1/pos/sales", json={**SALE, "amount_yen": 100,
                                           "lines": [{**SALE["lines"][0], "amount_yen": 100}]})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "sale_id_reused" and body["field"] == "sale_id"
    assert body["detail"]["ja"] and body["detail"]["en"]


def test_busy_counter_is_409_with_the_waiting_sale(link):
    _, _, client, _ = link
    first = client.post("/v1/pos/sales", json=SALE).json()
    r = client.post("/v1/pos/sales", json={**SALE, "sale_id": "POS-0002"})
    assert r.status_code == 409
    assert r.json()["error"] == "counter_busy"
    # The POS learns which request holds the counter, and until when at the latest.
    waiting = r.json()["waiting"]
    assert waiting == {"kind": "sale", "id": "POS-0001", "expires_at": waiting["expires_at"]}
    assert datetime.fromisoformat(waiting["expires_at"]) == \
        datetime.fromisoformat(first["expires_at"].replace("Z", "+00:00"))


@pytest.mark.parametrize(("body", "field"), [
    ({k: v for k, v in SALE.items() if k != "amount_yen"}, "amount_yen"),
    ({**SALE, "lines": [{**SALE["lines"][0], "amount_yen": "3280"}]}, "lines.0.amount_yen"),
    ({**SALE, "amount_yen": 3000}, "lines"),
    ({**SALE, "ammount_yen": 1}, "ammount_yen"),
    ({**SALE, "tax_basis": "outside"}, "tax_basis"),
])
def test_malformed_body_is_422_naming_the_field(link, body, field):
    broker, _, client, _ = link
    r = client.post("/v1/pos/sales", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_body" and r.json()["field"] == field
    assert field in r.json()["detail"]["en"] and "正しくありません" in r.json()["detail"]["ja"]
    assert broker.waiting() is None  # nothing reached the counter


@pytest.mark.parametrize("content", [b'{"sale_id": "x", ', b"[]", b"null", b""])
def test_a_body_that_is_not_a_json_object_is_400(link, content):
    broker, _, client, _ = link
    r = client.post("/v1/pos/sales", content=content,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "malformed_body" and body["field"] == "body"
    assert "JSON" in body["detail"]["ja"] and "not a JSON object" in body["detail"]["en"]
    assert broker.waiting() is None


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer"])
def test_missing_or_wrong_token_is_401(link, header):
    broker, server, _, _ = link
    headers = {"Authorization": header} if header else {}
    with httpx.Client(base_url=server.url, headers=headers) as stranger:
        r = stranger.post("/v1/pos/sales", json=SALE)
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"
        assert r.headers["WWW-Authenticate"] == "Bearer"
        # Refused before the body is even looked at: a bad body still gets 401.
        assert stranger.post("/v1/pos/sales", json={"x": 1}).status_code == 401
        assert stranger.get("/v1/pos/sales/POS-0001").status_code == 401
    assert broker.waiting() is None


def test_a_call_from_another_machine_is_403_even_with_the_token(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    app = create_app(broker, "t" * 43)
    auth = {"Authorization": "Bearer " + "t" * 43}

    async def call(client_addr: tuple[str, int]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client_addr)
        async with httpx.AsyncClient(transport=transport, base_url="http://pos") as c:
            return await c.post("/v1/pos/sales", json=SALE, headers=auth)

    try:
        remote = asyncio.run(call(("192.168.1.20", 50000)))
        assert remote.status_code == 403 and remote.json()["error"] == "not_loopback"
        assert broker.waiting() is None
        # The same call from this PC is served: the check is the peer address.
        assert asyncio.run(call(("127.0.0.1", 50000))).status_code == 202
    finally:
        broker.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "localhost", "::"])
def test_binding_anywhere_but_loopback_is_refused(tmp_path, host):
    broker = PosBroker(tmp_path / "poslink.db")
    try:
        with pytest.raises(ValueError, match="127.0.0.1"):
            PosLinkServer(broker, "t" * 43, host=host)
    finally:
        broker.close()


def test_long_poll_returns_as_soon_as_the_cashier_confirms(link):
    broker, _, client, _ = link
    client.post("/v1/pos/sales", json=SALE)
    threading.Timer(0.5, broker.confirm_sale, args=("POS-0001", result())).start()
    started = time.monotonic()
    r = client.get("/v1/pos/sales/POS-0001", params={"wait": 20})
    elapsed = time.monotonic() - started
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    assert r.json()["result"]["balance_after"] == 431
    assert 0.4 < elapsed < 5


def test_long_poll_times_out_with_the_waiting_state(link):
    _, _, client, _ = link
    client.post("/v1/pos/sales", json=SALE)
    started = time.monotonic()
    r = client.get("/v1/pos/sales/POS-0001", params={"wait": 1})
    assert r.json()["state"] == "waiting" and 0.9 < time.monotonic() - started < 5
    too_long = client.get("/v1/pos/sales/POS-0001", params={"wait": 61})
    assert too_long.status_code == 422 and too_long.json()["field"] == "wait"
    assert client.get("/v1/pos/sales/NOPE").status_code == 404


def test_cancel_while_waiting_and_not_after_confirmation(link):
    broker, _, client, _ = link
    client.post("/v1/pos/sales", json=SALE)
    r = client.post("/v1/pos/sales/POS-0001/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert client.post("/v1/pos/sales", json=SALE).json()["state"] == "cancelled"
    second = {**SALE, "sale_id": "POS-0002"}
    client.post("/v1/pos/sales", json=second)
    broker.confirm_sale("POS-0002", result())
    refused = client.post("/v1/pos/sales/POS-0002/cancel")
    assert refused.status_code == 409 and refused.json()["error"] == "sale_confirmed"
    assert "use a return" in refused.json()["detail"]["en"]


def test_returns_endpoint(link):
    broker, _, client, _ = link
    ret = {"return_id": "RT-1", "sale_id": "POS-0001", "amount_yen": 1000}
    assert client.post("/v1/pos/returns", json=ret).status_code == 404
    client.post("/v1/pos/sales", json=SALE)
    broker.confirm_sale("POS-0001", result())
    r = client.post("/v1/pos/returns", json=ret)
    assert r.status_code == 202 and r.json()["state"] == "waiting"
    assert r.json()["sale_id"] == "POS-0001"
    over = client.post("/v1/pos/returns", json={**ret, "return_id": "RT-2", "amount_yen": 5000})
    assert over.status_code == 409
    got = client.get("/v1/pos/returns/RT-1")
    assert got.status_code == 200 and got.json()["return_id"] == "RT-1"


def test_openapi_document_is_served_and_lists_the_endpoints(link):
    _, server, _, _ = link
    doc = httpx.get(server.url + "/openapi.json").json()  # no token needed for the document
    assert set(doc["paths"]) == {
        "/v1/pos/health", "/v1/pos/sales", "/v1/pos/sales/{sale_id}",
        "/v1/pos/sales/{sale_id}/cancel", "/v1/pos/returns", "/v1/pos/returns/{return_id}",
        "/v1/pos/returns/{return_id}/cancel"}
    assert "PosSaleRequest" in doc["components"]["schemas"]
    assert openapi_document() == doc


def test_the_committed_openapi_document_is_what_the_server_serves(link):
    _, server, _, _ = link
    served = httpx.get(server.url + "/openapi.json").json()
    committed = json.loads((ROOT / "docs" / "pos-link.openapi.json").read_text(encoding="utf-8"))
    assert committed == served, (
        "docs/pos-link.openapi.json is stale: regenerate it with "
        "`python -m desktop.poslink > docs/pos-link.openapi.json`")


def test_token_is_private_stable_and_rotatable(tmp_path):
    token = load_or_create_token(tmp_path)
    path = tmp_path / "poslink-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 32 and load_or_create_token(tmp_path) == token
    new = rotate_token(tmp_path)
    assert new != token and load_or_create_token(tmp_path) == new


def test_a_rotated_token_applies_at_once(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    tokens = ["a" * 43]
    server = PosLinkServer(broker, lambda: tokens[0], port=0)
    server.start()
    try:
        old = {"Authorization": "Bearer " + "a" * 43}
        assert httpx.get(server.url + "/v1/pos/health", headers=old).status_code == 200
        tokens[0] = "b" * 43
        assert httpx.get(server.url + "/v1/pos/health", headers=old).status_code == 401
    finally:
        server.stop()
        broker.close()


def test_the_guide_names_every_endpoint_and_reason():
    from desktop.poslink.models import REASONS

    guide = (ROOT / "docs" / "pos-link.md").read_text(encoding="utf-8")
    for path, methods in openapi_document()["paths"].items():
        for method in methods:
            assert f"`{method.upper()} {path}" in guide, f"{method} {path} missing from the guide"
    for reason in REASONS:
        assert f"`{reason}`" in guide, f"reason {reason} missing from the guide"
