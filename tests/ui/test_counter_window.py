"""The application as `make run` starts it: the embedded HQ with its demo data, the demo
staff on the sign-in screen, simulated devices; offscreen and on a real X server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from desktop.app import build_register
from desktop.bridge import QtBridge
from desktop.settings import Settings
from desktop.window import CounterWindow
from sync.events import EventBus
from tests.ui.shell_support import signed_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, tmp_path):
    """The embedded demo exactly as `make run` builds it (no HQ configured)."""
    bus = EventBus()
    bridge = QtBridge(bus)
    register = build_register(Settings(tmp_path / "home"), events=bus)
    win = CounterWindow(register, bridge)
    qtbot.addWidget(win)
    win.show()
    register.start()
    counter = win.screens["counter"]
    qtbot.waitUntil(lambda: len(counter.devices.button_texts()) > 1, timeout=30000)
    yield win
    win.close()
    register.stop()


@pytest.mark.ui
def test_embedded_demo_signs_in_with_the_hinted_staff_and_sells(qtbot, window):
    assert window.windowTitle() == "Tamaru"
    assert window.register.demo
    hint = window.signin.demo_hint
    assert hint.isVisible()
    texts = " ".join(w.text() for w in hint.findChildren(QLabel))
    assert "1001" in texts and "1234" in texts and "2001" in texts and "0000" in texts
    counter = signed_in(qtbot, window, "2001", "0000")
    qtbot.mouseClick(counter.devices.button("山田 花子"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "山田 花子" in counter.member_panel.name.text(), timeout=5000)
    assert counter.member_panel.balance.text() == "1,200 pt"
    QTest.keyClicks(counter.amount, "2480")
    QTest.keyClicks(counter.redeem, "100")
    assert counter.quote_panel.earn.text() == "23 pt"
    qtbot.mouseClick(counter.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: counter.receipt_view.has_image(), timeout=15000)
    assert counter.member_panel.balance.text() == "残高 1,123 pt"
    assert "R01-000001" in counter.message.text()
    qtbot.waitUntil(lambda: window.status.queue.text() == "未送信 0 件", timeout=15000)


@pytest.mark.ui
def test_real_window_under_xvfb(tmp_path):
    """`tamaru` as `make run` starts it, on a real X server at a counter display's size: a
    window titled Tamaru, the sign-in screen with the demo staff hint, then a simulated tap
    shows a demo member and a basket is rung up — each grabbed at exactly 1280×800."""
    out = tmp_path / "shots"
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m",
         "tests.support.screenshot", str(out), "--home", str(tmp_path / "home"),
         "--only", "signin,counter-idle,counter"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["title"] == "Tamaru"
    assert {(s["name"], s["width"], s["height"]) for s in report["shots"]} == {
        ("signin", 1280, 800), ("counter-idle", 1280, 800), ("counter", 1280, 800)}
    assert sorted(p.name for p in out.iterdir()) == ["counter-idle.png", "counter.png",
                                                      "signin.png"]
