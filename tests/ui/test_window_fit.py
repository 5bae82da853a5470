"""The window fits a 1280×800 counter display: idle, with a member and a basket, after a
sale, with a problem banner, and on every screen; the function-key bar stays where it is
when a member appears."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtTest import QTest

from tests.ui.shell_support import signed_in

DISPLAY = QSize(1280, 800)
LEFT = Qt.MouseButton.LeftButton


def assert_fits(qtbot, win, what):
    QTest.qWait(50)  # let the layouts settle after a change of content
    hint, size, grabbed = win.minimumSizeHint(), win.size(), win.grab().size()
    for name, got in (("minimum size hint", hint), ("size", size), ("grab", grabbed)):
        assert got.width() <= DISPLAY.width() and got.height() <= DISPLAY.height(), \
            f"{what}: {name} {got.width()}×{got.height()} is larger than the display"


@pytest.mark.ui
def test_the_window_fits_the_counter_display_in_every_state(qtbot, open_window):
    win = open_window()
    win.resize(DISPLAY)
    assert_fits(qtbot, win, "sign-in")
    counter = signed_in(qtbot, win)
    assert_fits(qtbot, win, "counter idle")
    bar_idle = win.fkeys.geometry()

    qtbot.mouseClick(counter.devices.button("高橋 美咲"), LEFT)
    qtbot.waitUntil(lambda: "高橋 美咲" in counter.member_panel.name.text(), timeout=5000)
    for name, amount in (("お米 5kg", "2480"), ("緑茶 2L", "396"), ("台所用洗剤", "298")):
        counter.basket.name.setText(name)
        counter.amount.setText(amount)
        qtbot.mouseClick(counter.basket.add, LEFT)
    counter.redeem.setText("500")
    assert_fits(qtbot, win, "counter with a member, a basket and a quote")
    assert win.fkeys.geometry() == bar_idle, "the function keys moved when a member appeared"

    win.banner.show_problem(
        "offline", "HQ に接続できません（ネットワークに接続できません）",
        "販売はそのまま続けられます。ポイントの利用はオフラインの上限までです。"
        "ネットワークのケーブルとルーターを確認してください", level="warning")
    assert_fits(qtbot, win, "counter with a banner")

    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: counter.receipt_view.has_image(), timeout=15000)
    assert_fits(qtbot, win, "counter after a sale, with its receipt")

    for screen_id in win.screens:
        win.show_screen(screen_id)
        assert_fits(qtbot, win, f"screen {screen_id} with a banner")
