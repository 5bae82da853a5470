"""The counter window driven like a cashier would, on the embedded HQ and simulated devices
(the same set-up `make run` starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.app import build_register
from desktop.bridge import QtBridge
from desktop.settings import Settings
from desktop.window import CounterWindow
from sync.events import EventBus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, tmp_path):
    bus = EventBus()
    bridge = QtBridge(bus)
    register = build_register(Settings(tmp_path / "home"), events=bus)
    win = CounterWindow(register, bridge)
    qtbot.addWidget(win)
    win.show()
    register.start()
    qtbot.waitUntil(lambda: win.sim_buttons.count() > 1, timeout=20000)
    yield win
    register.stop()


def tap(qtbot, win, name):
    buttons = [win.sim_buttons.itemAt(i).widget() for i in range(win.sim_buttons.count())]
    [button] = [b for b in buttons if name in b.text()]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.mark.ui
def test_tap_sell_and_see_the_receipt(qtbot, window):
    assert window.windowTitle() == "Tamaru"
    assert window.status.text() == "オンライン"
    tap(qtbot, window, "山田 花子")
    qtbot.waitUntil(lambda: "山田 花子" in window.member_name.text(), timeout=5000)
    assert window.balance.text() == "1,200 pt"
    qtbot.keyClicks(window.amount, "2480")
    qtbot.keyClicks(window.redeem, "100")
    assert window.preview.text().startswith("獲得予定 23 pt")
    qtbot.mouseClick(window.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.receipt_view.pixmap() is not None
                    and not window.receipt_view.pixmap().isNull(), timeout=10000)
    assert "残高 1,123 pt" in window.balance.text()
    assert "R01-000001" in window.message.text()
    # the sale reaches the embedded HQ: nothing left waiting
    qtbot.waitUntil(lambda: window.queue_label.text() == "未送信 0 件", timeout=15000)


@pytest.mark.ui
def test_unknown_card_and_bad_amount_are_explained(qtbot, window):
    tap(qtbot, window, "未登録のカード")
    qtbot.waitUntil(lambda: "登録されていないカード" in window.message.text(), timeout=5000)
    assert not window.confirm_button.isEnabled()

    tap(qtbot, window, "佐藤 太郎")
    qtbot.waitUntil(lambda: "佐藤 太郎" in window.member_name.text(), timeout=5000)
    qtbot.keyClicks(window.amount, "100")
    qtbot.keyClicks(window.redeem, "50")  # 佐藤 has 0 pt
    qtbot.mouseClick(window.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "残高" in window.message.text(), timeout=5000)
    assert window.confirm_button.isEnabled()  # the cashier can correct it
    assert window.register.store.outbox_counts() == {}


@pytest.mark.ui
def test_real_window_under_xvfb(tmp_path):
    """`tamaru` as `make run` starts it, on a real X server: a window titled Tamaru, and a
    simulated tap shows a demo member."""
    out = tmp_path / "counter.png"
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m",
         "tests.support.screenshot", str(out), "--home", str(tmp_path / "home")],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
        env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["title"] == "Tamaru"
    assert report["xdotool"], "no X window named Tamaru"
    assert report["member"].endswith(" 様")
    assert "記録しました" in report["message"]
    assert out.stat().st_size > 10_000
