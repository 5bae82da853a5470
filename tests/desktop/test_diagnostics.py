"""Diagnostics bundle and logs: useful to support, free of secrets and personal data."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import zipfile

import pytest

from desktop.diagnostics import write_bundle
from desktop.flows.signin import seed_demo_staff
from desktop.logs import redact, setup_logging
from desktop.settings import Settings
from tests.support.seed import seeded_store

TOKEN = "yt8PbGgvW7PqJmqLNsjAE-Miq4tLFakCXt3GTUnY-us"


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_redact_tokens_and_phone_numbers():
    assert TOKEN not in redact(f"Authorization: Bearer {TOKEN}")
    assert TOKEN not in redact(f'{{"token": "{TOKEN}"}}')
    assert "090-1234-5678" not in redact("会員 090-1234-5678 から問い合わせ")
    assert "09012345678" not in redact("phone=09012345678")
    assert redact("R01-000123 applied, balance 1,232 pt") == "R01-000123 applied, balance 1,232 pt"


def test_logs_are_redacted_on_disk(tmp_path):
    path = setup_logging(tmp_path, console=False)
    log = logging.getLogger("tamaru.test")
    log.warning("push failed with Bearer %s for 090-1234-5678", TOKEN)
    try:
        raise RuntimeError(f"token={TOKEN}")
    except RuntimeError:
        log.exception("crash")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert "push failed" in text and "crash" in text
    assert TOKEN not in text and "090-1234-5678" not in text


def test_bundle_has_state_but_no_secrets(tmp_path):
    home = tmp_path / "home"
    settings = Settings(home, {"hq.url": "https://hq.example.co.jp", "hq.token": TOKEN})
    settings.save()
    store = seeded_store(home / "register.db")
    store.close()
    (home / "logs").mkdir()
    (home / "logs" / "tamaru.log").write_text(f"Bearer {TOKEN} 080-9876-5432\nok\n")
    out = write_bundle(settings)
    with zipfile.ZipFile(out) as z:
        report = json.loads(z.read("report.json"))
        everything = b"".join(z.read(n) for n in z.namelist()).decode()
    assert report["settings"]["hq.token"] == "***"
    assert report["settings"]["hq.url"] == "https://hq.example.co.jp"
    assert report["outbox"]["sync_state"][0] == "R01"
    assert "python" in report["versions"]
    assert TOKEN not in everything and "080-9876-5432" not in everything
    assert "山田" not in everything  # no member names


def test_cli_diagnostics(tmp_path):
    home = tmp_path / "h"
    out = tmp_path / "d.zip"
    done = subprocess.run([sys.executable, "-m", "desktop.main", "--home", str(home),
                           "--diagnostics", str(out)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert zipfile.is_zipfile(out)
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("report.json"))["outbox"] == {"database": "missing"}


@pytest.fixture
def logging_to(tmp_path):
    """setup_logging into a folder; the handlers it adds are taken off the root afterwards."""
    yield lambda home, **kw: setup_logging(home, console=False, **kw)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tamaru", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.WARNING)


def test_logs_rotate_and_keep_only_the_backups_asked_for(tmp_path, logging_to):
    path = logging_to(tmp_path, max_bytes=4_000, backups=3)
    log = logging.getLogger("tamaru.rotation")
    for n in range(400):
        log.info("line %04d %s", n, "x" * 40)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["tamaru.log", "tamaru.log.1", "tamaru.log.2", "tamaru.log.3"]
    assert all((path.parent / name).stat().st_size <= 4_000 for name in files)
    newest = path.read_text(encoding="utf-8")
    assert "line 0399" in newest
    kept = "".join((path.parent / name).read_text(encoding="utf-8") for name in files)
    assert "line 0000 " not in kept  # the oldest lines rotated away
    assert "tamaru.rotation" in newest


def test_a_full_counter_sale_logs_no_personal_data(tmp_path, logging_to):
    """A sale at the app's register with a card (and its member file), an app QR token
    from a serial scanner, a garbled scan, an unreadable card file and a failing event
    handler, all logged at DEBUG: the log names none of the member's number, phone, card
    UID, token or name, in any spelling."""
    from datetime import UTC, datetime

    from desktop.app import build_register
    from devices.card_profile import CardProfile, read_member_no
    from devices.simulated import SimulatedReader
    from loyalty.tokens import issue_token
    from sync.events import EventBus
    from tests.desktop.counter_support import (
        HANAKO_CARD,
        HANAKO_NO,
        KEY_ID,
        SIGNING_KEY,
        filled_store,
    )
    from tests.support.pty_devices import PtyPort

    home = tmp_path / "home"
    home.mkdir()
    path = logging_to(home, level=logging.DEBUG)
    filled_store(home / "register.db").close()
    port = PtyPort(tmp_path)
    paper = tmp_path / "paper.bin"
    settings = Settings(home, {
        "hq.url": "http://127.0.0.1:9", "hq.token": TOKEN, "register.device_id": "R01",
        "register.store_id": "S001", "devices.reader": "simulated?file=0101",
        "devices.scanner": f"serial:{port.path}", "devices.printer": f"file:{paper}",
        "sync.interval_seconds": 3600,
    })
    bus = EventBus()
    shown, printed = [], []
    bus.subscribe("member_shown", shown.append)
    bus.subscribe("receipt_printed", printed.append)
    register = build_register(settings, events=bus, watch_readers=False)
    token = issue_token(SIGNING_KEY, KEY_ID, HANAKO_NO, datetime.now(UTC), ttl_seconds=60)
    try:
        register.worker.call(seed_demo_staff, register.staff)
        register.session.sign_in("2001", "0000").result(10)
        register.start()
        register.reader.tap(HANAKO_CARD, member_no=HANAKO_NO)
        wait_for(lambda: len(shown) == 1)
        register.flow.confirm("2000")
        wait_for(lambda: len(printed) == 1)
        time.sleep(0.3)  # the serial scanner opens its port
        port.write(token.encode("ascii") + b"\r")
        wait_for(lambda: len(shown) == 2)
        port.write(b"\xff\xfe" + HANAKO_NO.encode("ascii") + b"\r")  # a garbled scan
        time.sleep(0.3)
    finally:
        register.stop()
        port.close()
    # A card file holding something that is not a member number (a phone, in ASCII).
    phone = b"\x01" + b"09012345678"
    answers = iter([b"\x90\x00", b"\x90\x00", phone + b"\x90\x00"])
    profile = CardProfile(aid=bytes.fromhex("F0544D5255000001"), file_id=b"\x01\x01",
                          length=len(phone))
    assert read_member_no(profile, lambda _apdu: next(answers)) is None
    # A reader whose event handler fails: the event holds the UID and the number.
    reader = SimulatedReader()

    def broken(_event):
        raise RuntimeError("handler bug")

    reader.start(broken)
    try:
        reader.tap(HANAKO_CARD, member_no=HANAKO_NO)
        time.sleep(0.2)
    finally:
        reader.stop()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = "".join(p.read_text(encoding="utf-8") for p in path.parent.glob("tamaru.log*"))
    # What happened is there ...
    assert "device event handler failed on CardPresented" in text
    assert "card file holds no ascii member number (12 bytes" in text
    assert "bytes that are not utf-8" in text
    # ... who it happened to is not.
    uid = bytes.fromhex(HANAKO_CARD)
    forbidden = {
        HANAKO_NO, HANAKO_NO[-8:], HANAKO_CARD, HANAKO_CARD.lower(), uid.hex(" "),
        uid.hex(" ").upper(), uid.hex(":"), token, token[4:24], "09012345678",
        "090-1234-5678", HANAKO_NO.encode().hex(" "), b"09012345678".hex(" "),
        TOKEN, "山田", "ヤマダ",
    }
    leaked = sorted(s for s in forbidden if s in text)
    assert not leaked, leaked


def test_bundle_lists_readers_scanners_and_printers_and_what_the_printer_says(tmp_path):
    home = tmp_path / "home"
    capture = tmp_path / "capture.bin"
    capture.write_bytes(b"")  # a capture file the printer writes to
    settings = Settings(home, {"devices.printer": f"file:{capture}?mode=kanji",
                               "devices.scanner": "simulated"})
    with zipfile.ZipFile(write_bundle(settings)) as z:
        found = json.loads(z.read("report.json"))["devices"]
    assert "simulated:シミュレーター" in found["readers"]
    assert "simulated:シミュレーター" in found["scanners"]
    assert isinstance(found["printer_ports"], list)
    assert found["configured"] == {"reader": "simulated", "scanner": "simulated",
                                   "printer": f"file:{capture}?mode=kanji"}
    printer = found["printer"]
    assert printer["name"] == f"file:{capture}" and printer["reachable"] is True
    assert printer["message"]  # what the settings screen would say, in Japanese
    # A printer setting that cannot be read is said, and the bundle is still written.
    settings.set("devices.printer", "laser:somewhere")
    with zipfile.ZipFile(write_bundle(settings, tmp_path / "again.zip")) as z:
        bad = json.loads(z.read("report.json"))["devices"]["printer"]
    assert bad["error"].startswith("設定が正しくありません")
