"""The register starting on a damaged database: it says so, keeps the bad file, recovers
from HQ and sells again — through the same composition root `tamaru` uses."""

from __future__ import annotations

import threading
import time

from desktop.app import build_register
from desktop.settings import Settings
from sync.events import EventBus


def test_corrupt_database_is_kept_refused_and_recovered(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    db = home / "register.db"
    db.write_bytes(b"this is not a database" * 500)
    bus = EventBus()
    messages: list[str] = []
    synced = threading.Event()
    bus.subscribe("counter_message", lambda text, level: messages.append(text))
    bus.subscribe("synced", lambda *a: synced.set())
    register = build_register(Settings(home), events=bus)
    try:
        kept = [p for p in home.iterdir() if p.name.startswith("register.db.corrupt-")]
        assert len(kept) == 1
        assert kept[0].read_bytes().startswith(b"this is not a database")
        assert register.store.refusal() is not None
        register.start()
        assert any("退避" in m or "破損" in m for m in messages), messages
        assert synced.wait(30)
        # The full pull ended the refusal: the demo member can be served again.
        assert register.store.refusal() is None
        member = register.store.member_by_card("04A1B2C3D4E5F6")
        assert member.display_name == "山田 花子"
    finally:
        register.stop()


def test_reprints_are_stamped_in_the_registers_time_zone(tmp_path):
    """The print queue the app builds keeps `locale.timezone`: a 再発行 copy made now says
    the time on the register's own clock, read back from the printer's bytes."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from desktop.flows.signin import seed_demo_staff
    from tests.desktop.counter_support import HANAKO_CARD, filled_store
    from tests.support.escpos_decode import decode

    home = tmp_path / "home"
    home.mkdir()
    filled_store(home / "register.db").close()
    paper = tmp_path / "paper.bin"
    settings = Settings(home, {
        "hq.url": "http://127.0.0.1:9", "hq.token": "test-token",
        "register.device_id": "R01", "register.store_id": "S001",
        "locale.timezone": "America/Los_Angeles", "devices.printer": f"file:{paper}?mode=kanji",
        "sync.interval_seconds": 3600,
    })
    bus = EventBus()
    sold, printed = threading.Event(), []
    bus.subscribe("sale_recorded", lambda sale: sold.set())
    bus.subscribe("receipt_printed", printed.append)
    register = build_register(settings, events=bus, watch_readers=False)
    try:
        assert register.prints.tz == ZoneInfo("America/Los_Angeles")
        register.worker.call(seed_demo_staff, register.staff)
        register.session.sign_in("2001", "0000").result(10)
        register.start()
        register.flow.card_presented(HANAKO_CARD)
        register.flow.confirm("1000")
        assert sold.wait(10)
        receipt_no = register.flow.last_sale.facts.receipt_no
        before = datetime.now(ZoneInfo("America/Los_Angeles"))
        assert register.prints.reprint(receipt_no) is not None
        for _ in range(200):
            if len(printed) >= 2:
                break
            time.sleep(0.05)
        assert len(printed) >= 2, "the copy did not print"
        text = decode(paper.read_bytes()).text
        # Tokyo is 16 or 17 hours ahead: the hour tells which clock the copy used.
        stamp = f"再発行 {before:%Y年%m月%d日 %H}:"
        assert stamp in text, text
    finally:
        register.stop()


def _sell_one(tmp_path, extra: dict[str, object]):
    """A register built as the app builds it, with a file printer in kanji mode, one sale
    of ¥1,000 to 山田 花子; the decoded printer bytes once every receipt has printed."""
    from desktop.flows.signin import seed_demo_staff
    from tests.desktop.counter_support import HANAKO_CARD, filled_store
    from tests.support.escpos_decode import decode

    home = tmp_path / "home"
    home.mkdir()
    filled_store(home / "register.db").close()
    paper = tmp_path / "paper.bin"
    settings = Settings(home, {
        "hq.url": "http://127.0.0.1:9", "hq.token": "test-token",
        "register.device_id": "R01", "register.store_id": "S001",
        "devices.printer": f"file:{paper}?mode=kanji", "sync.interval_seconds": 3600, **extra,
    })
    bus = EventBus()
    sold, printed = threading.Event(), []
    bus.subscribe("sale_recorded", lambda sale: sold.set())
    bus.subscribe("receipt_printed", printed.append)
    register = build_register(settings, events=bus, watch_readers=False)
    try:
        register.worker.call(seed_demo_staff, register.staff)
        register.session.sign_in("2001", "0000").result(10)
        register.start()
        register.flow.card_presented(HANAKO_CARD)
        register.flow.confirm("1000")
        assert sold.wait(10)
        deadline = time.monotonic() + 10
        while not printed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert printed, "the receipt did not print"
        return decode(paper.read_bytes()).text
    finally:
        register.stop()


def test_the_stores_receipt_options_reach_the_printed_receipt(tmp_path):
    text = _sell_one(tmp_path, {"receipt.header_lines": "東京都渋谷区道玄坂2-10-7\nTEL 03-3461-0925",
                                "receipt.footer_line": "またのご来店を"})
    assert "東京都渋谷区道玄坂2-10-7" in text and "TEL 03-3461-0925" in text
    assert "またのご来店を" in text


def test_a_receipt_option_the_printer_cannot_print_stops_the_start_with_its_name(tmp_path):
    import pytest

    from desktop.settings import SettingsError

    with pytest.raises(SettingsError, match="receipt.header_lines"):
        _sell_one(tmp_path, {"receipt.header_lines": "\n".join(f"行 {i}" for i in range(9))})
