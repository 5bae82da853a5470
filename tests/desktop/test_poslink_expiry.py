"""The POS link can never lock up: a request left waiting expires after the documented
time (kept across restarts, never while the cashier is committing it), the POS can
withdraw a return as it can a sale, and the file drop writes an expired request's answer.
Real SQLite files, a real uvicorn on 127.0.0.1 and a real folder."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from desktop.poslink import PosBroker, PosLink, PosLinkConfig
from desktop.poslink.broker import DEFAULT_EXPIRE_S
from desktop.poslink.filedrop import FileDrop
from desktop.poslink.models import (
    PosError,
    PosReturnRequest,
    PosSaleRequest,
    ReturnResult,
    SaleResult,
)
from sync.events import EventBus

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
SALE = {"sale_id": "E-1", "amount_yen": 2000}
RETURN = {"return_id": "ER-1", "sale_id": "E-1", "amount_yen": 500}


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def sale(sale_id: str = "E-1", amount: int = 2000) -> PosSaleRequest:
    return PosSaleRequest.model_validate({"sale_id": sale_id, "amount_yen": amount})


def result(receipt_no: str = "R01-000001") -> SaleResult:
    return SaleResult(points_earned=20, points_used=0, discount_yen=0, amount_due_yen=2000,
                      balance_after=520, receipt_no=receipt_no, member_no="…0017",
                      confirmed_at=T0)


@pytest.fixture
def clocked(tmp_path):
    clock = Clock()
    broker = PosBroker(tmp_path / "poslink.db", clock=clock)
    yield broker, clock
    broker.close()


def test_the_default_wait_is_ten_minutes_and_must_be_positive(tmp_path):
    assert DEFAULT_EXPIRE_S == 600
    with pytest.raises(ValueError, match="positive"):
        PosBroker(tmp_path / "x.db", expire_after_s=0)


def test_a_sale_nobody_settles_expires_and_the_next_one_is_taken(clocked):
    broker, clock = clocked
    heard = []
    broker.add_listener(lambda c: heard.append((c.kind, c.id, c.state, c.reason)))
    first = broker.submit_sale(sale("E-1")).view
    assert first.expires_at == T0 + timedelta(seconds=600)
    clock.advance(599)
    with pytest.raises(PosError) as busy:
        broker.submit_sale(sale("E-2"))
    assert busy.value.code == "counter_busy"
    clock.advance(1)
    # No sweep has run: the new sale itself expires the old one before it is refused.
    assert broker.submit_sale(sale("E-2")).view.state == "waiting"
    expired = broker.get_sale("E-1")
    assert (expired.state, expired.reason, expired.expires_at) == ("refused", "expired", None)
    assert "10 分以内" in expired.detail.ja and "new sale_id" in expired.detail.en
    assert heard[1:] == [("sale", "E-1", "refused", "expired"),
                         ("sale", "E-2", "waiting", None)]
    # Expired for ever: a retry of the same sale reads the refusal, it does not re-open it.
    assert broker.submit_sale(sale("E-1")).view.state == "refused"
    with pytest.raises(PosError):
        broker.confirm_sale("E-1", result())


def test_a_request_being_committed_does_not_expire_under_the_cashier(clocked):
    broker, clock = clocked
    broker.submit_sale(sale())
    broker.claim("sale", "E-1")
    clock.advance(3600)
    assert broker.expire_overdue() == []
    assert broker.get_sale("E-1").state == "waiting"
    broker.release("sale", "E-1")  # the register's commit failed: now it may expire
    assert [c.id for c in broker.expire_overdue()] == ["E-1"]


def test_returns_expire_too(clocked):
    broker, clock = clocked
    broker.submit_sale(sale())
    broker.confirm_sale("E-1", result())
    broker.submit_return(PosReturnRequest.model_validate(RETURN))
    clock.advance(600)
    (change,) = broker.expire_overdue()
    assert (change.kind, change.id, change.reason) == ("return", "ER-1", "expired")
    assert broker.get_return("ER-1").detail.en.startswith("Not settled at the counter")
    assert broker.waiting() is None
    # An expired return does not count against what is left of the sale.
    again = broker.submit_return(PosReturnRequest.model_validate(
        {**RETURN, "return_id": "ER-2", "amount_yen": 2000}))
    assert again.view.state == "waiting"


def test_the_deadline_survives_a_restart(tmp_path):
    before = PosBroker(tmp_path / "poslink.db",
                       clock=lambda: datetime.now(UTC) - timedelta(minutes=20))
    before.submit_sale(sale())
    before.close()
    # The till comes back twenty minutes later: the link expires it before serving.
    link = PosLink(tmp_path, EventBus(), PosLinkConfig(), lambda ref: None)
    try:
        view = link.broker.get_sale("E-1")
        assert view.state == "refused" and view.reason == "expired"
        assert link.broker.waiting() is None
    finally:
        link.stop()


def test_a_long_poll_returns_when_the_sale_expires(tmp_path):
    config = PosLinkConfig(port=free_port(), expire_after_s=1.0)
    link = PosLink(tmp_path, EventBus(), config, lambda ref: None)
    link.start()
    try:
        with httpx.Client(base_url=link.url, timeout=30,
                          headers={"Authorization": f"Bearer {link.token}"}) as c:
            posted = c.post("/v1/pos/sales", json=SALE).json()
            assert posted["state"] == "waiting" and posted["expires_at"]
            started = time.monotonic()
            answer = c.get("/v1/pos/sales/E-1", params={"wait": 20}).json()
            assert time.monotonic() - started < 5  # the sweep woke the parked call
            assert answer["state"] == "refused" and answer["reason"] == "expired"
            assert answer["detail"]["en"].startswith("Not settled at the counter within 1 min")
            assert c.post("/v1/pos/sales", json={**SALE, "sale_id": "E-2"}).status_code == 202
    finally:
        link.stop()


def test_the_pos_cancels_a_waiting_return_over_http(tmp_path):
    link = PosLink(tmp_path, EventBus(), PosLinkConfig(port=free_port()), lambda ref: None)
    link.start()
    broker = link.broker
    try:
        with httpx.Client(base_url=link.url, timeout=10,
                          headers={"Authorization": f"Bearer {link.token}"}) as c:
            missing = c.post("/v1/pos/returns/NOPE/cancel")
            assert missing.status_code == 404 and missing.json()["error"] == "return_not_found"
            c.post("/v1/pos/sales", json=SALE)
            broker.confirm_sale("E-1", result())
            assert c.post("/v1/pos/returns", json=RETURN).status_code == 202
            cancelled = c.post("/v1/pos/returns/ER-1/cancel")
            assert cancelled.status_code == 200
            assert cancelled.json()["state"] == "cancelled"
            assert cancelled.json()["reason"] == "cancelled_by_pos"
            assert c.post("/v1/pos/returns/ER-1/cancel").json()["state"] == "cancelled"
            assert c.get("/v1/pos/health").json()["waiting"] is None

            c.post("/v1/pos/returns", json={**RETURN, "return_id": "ER-2"})
            broker.claim("return", "ER-2")  # the cashier is committing it
            busy = c.post("/v1/pos/returns/ER-2/cancel")
            assert busy.status_code == 409 and busy.json()["error"] == "counter_recording"
            broker.release("return", "ER-2")
            broker.refuse("return", "ER-2")
            c.post("/v1/pos/returns", json={**RETURN, "return_id": "ER-3"})
            broker.confirm_return("ER-3", ReturnResult(
                points_reversed=5, points_restored=0, balance_after=515, receipt_no="R01-000002",
                confirmed_at=T0))
            done = c.post("/v1/pos/returns/ER-3/cancel")
            assert done.status_code == 409 and done.json()["error"] == "return_confirmed"
            assert done.json()["detail"]["ja"].startswith("確定済みの返品")
    finally:
        link.stop()


def test_an_expired_dropped_file_gets_its_answer(tmp_path):
    clock = Clock()
    broker = PosBroker(tmp_path / "poslink.db", clock=clock)
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher = FileDrop(broker, folder, settle_s=0)
    try:
        (folder / "s1.json").write_text(json.dumps(SALE), encoding="utf-8")
        (folder / "s2.json").write_text(json.dumps({**SALE, "sale_id": "E-2"}),
                                        encoding="utf-8")
        assert {p.path.name: p.outcome for p in watcher.poll_once()} == {
            "s1.json": "waiting", "s2.json": "busy"}
        clock.advance(600)
        broker.expire_overdue()
        outcomes = {p.path.name: p.outcome for p in watcher.poll_once()}
        assert outcomes == {"s1.json": "settled", "s2.json": "waiting"}
        answer = json.loads((folder / "s1.result.json").read_text(encoding="utf-8"))
        assert answer["state"] == "refused" and answer["reason"] == "expired"
        assert (folder / "processed" / "s1.json").exists()
    finally:
        broker.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
