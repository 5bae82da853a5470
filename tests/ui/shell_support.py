"""Steps the shell tests share: signing in through the sign-in screen."""

from __future__ import annotations

from PySide6.QtCore import Qt


def sign_in(qtbot, win, code="2001", pin="0000"):
    screen = win.signin
    screen.code.setText(code)
    screen.pin.setText(pin)
    qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)


def signed_in(qtbot, win, code="2001", pin="0000"):
    sign_in(qtbot, win, code, pin)
    qtbot.waitUntil(lambda: win.current() is win.screens["counter"], timeout=20000)
    return win.screens["counter"]
