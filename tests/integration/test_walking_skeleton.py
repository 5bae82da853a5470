"""One real sale end to end: a cashier signs in, a virtual card on a real pcscd, the
register's counter flow, a receipt printed as ESC/POS bytes and decoded back, and HQ on
PostgreSQL applying the sale exactly once however often it is pushed."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import func, select

from desktop.app import build_register
from desktop.settings import Settings
from hq.db import make_engine
from hq.demo import run_demo
from hq.models import LedgerEntry
from sync.events import EventBus
from tests.support.escpos_decode import decode
from tests.support.hq_process import HqProcess

YAMADA_CARD = "04A1B2C3D4E5F6"  # hq.demo: 山田 花子, 1,200 pt


class Waiter:
    """Remembers events from the register's bus; a test waits for one with a bound."""

    def __init__(self, bus: EventBus, names: list[str]) -> None:
        self.events: list[tuple[str, tuple]] = []
        self.cond = threading.Condition()
        for name in names:
            bus.subscribe(name, lambda *a, n=name: self._add(n, a))

    def _add(self, name, args):
        with self.cond:
            self.events.append((name, args))
            self.cond.notify_all()

    def wait(self, name, predicate=lambda *a: True, timeout=20.0):
        def found():
            return next((a for n, a in self.events if n == name and predicate(*a)), None)

        with self.cond:
            assert self.cond.wait_for(lambda: found() is not None, timeout), \
                f"no {name}; saw {[n for n, _ in self.events]}"
            return found()


@pytest.fixture
def hq(postgres_cluster, tmp_path):
    url = postgres_cluster.url_for("skeleton")
    demo = run_demo(url, device_id="R01", store_id="S001")
    with HqProcess(url, log_dir=tmp_path) as proc:
        yield proc, demo.token, url


@pytest.mark.integration
def test_card_tap_to_hq_exactly_once(hq, live_pcscd, virtual_card, tmp_path):
    proc, token, db_url = hq
    receipt_file = tmp_path / "lp0"
    settings = Settings(tmp_path / "home", {
        "hq.url": proc.url, "hq.token": token,
        "register.store_name": "たまる商店 渋谷店",
        "devices.reader": f"pcsc:{live_pcscd.reader_name}",
        "devices.printer": f"file:{receipt_file}?mode=kanji",
        "sync.interval_seconds": 3600,  # only the first round and "sync now"
    })
    bus = EventBus()
    waiter = Waiter(bus, ["synced", "member_shown", "counter_message", "sale_recorded",
                          "receipt_printed", "print_failed", "staff_changed"])
    register = build_register(settings, events=bus)
    register.start()
    try:
        waiter.wait("synced")  # the first pull brought the program, members and cards

        # A register with its own HQ has no demo staff: the manager's set-up adds them.
        register.worker.call(register.staff.create, "2001", "レジ 田村", "cashier", "0000")
        # Nobody signed in yet: a tap shows nobody, so nothing can be sold.
        assert register.flow.card_presented(YAMADA_CARD) is None
        assert "サインイン" in waiter.wait("counter_message")[0]
        register.session.sign_in("2001", "0000").result(30)
        waiter.wait("staff_changed")

        virtual_card(YAMADA_CARD).insert()
        (member,) = waiter.wait("member_shown")
        assert (member.display_name, member.balance) == ("山田 花子", 1200)

        register.flow.confirm("3,280")
        (sale,) = waiter.wait("sale_recorded")
        op_id = sale.facts.op_id
        assert sale.facts.quote.points_earned == 32
        waiter.wait("receipt_printed", lambda oid: oid == op_id)

        printed = decode(receipt_file.read_bytes())
        text = printed.lines
        assert any("たまる商店 渋谷店" in line for line in text)
        assert any("今回獲得ポイント" in line and "32 pt" in line for line in text)
        assert any("ポイント残高" in line and "1,232 pt" in line for line in text)
        assert any("￥3,280" in line for line in text)
        assert not any(member.member_no in line for line in text)  # only the masked number
        assert printed.qr_payloads == ["TR:R01-000001"]
        assert printed.cuts == 1

        assert _all_ops(register.store)[0]["staff_id"] == "2001"

        # "sync now" after the sale pushes it; HQ's answer comes back into the store.
        waiter.wait("synced", lambda summary, _pulled: summary.applied == 1)
        assert register.store.op_state(op_id) == "applied"

        # Push the very same op twice more, as a register would after a lost response.
        body = register.store  # the op as stored is exactly what was sent
        op_json = next(o for o in _all_ops(body) if o["op_id"] == op_id)
        for _ in range(2):
            r = httpx.post(f"{proc.url}/v1/sync/push", json={"ops": [op_json]},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert r.status_code == 200
            [result] = r.json()["results"]
            assert result["status"] == "duplicate"
            assert result["balance"] == 1232

        engine = make_engine(db_url)
        try:
            with engine.connect() as c:
                entries = c.scalar(select(func.count()).select_from(LedgerEntry)
                                   .where(LedgerEntry.op_id == op_id))
        finally:
            engine.dispose()
        assert entries == 1

        # The new balance comes back by pull.
        register.sync.sync_once()
        refreshed = register.store.member_by_card(YAMADA_CARD)
        assert (refreshed.hq_balance, refreshed.pending_delta) == (1232, 0)
    finally:
        register.stop()


def _all_ops(store):
    from sync.models import OutboxOp

    with store._read() as s:
        return [row.body for row in s.scalars(select(OutboxOp))]
