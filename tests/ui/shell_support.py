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


def screen_context(bus, *, staff=lambda: None, export_dir=None, cards=None, **flows):
    """A shell context for one screen on its own: its flow over a test store, the bus the
    flow announces on, and no register (the screens beyond the counter use none)."""
    from pathlib import Path

    from desktop.bridge import QtBridge
    from desktop.screens.base import ShellContext
    from desktop.services import Services

    services = Services(events=bus, returns=flows.get("returns"), enrol=flows.get("enrol"),
                        lookup=flows.get("lookup"), reports=flows.get("reports"),
                        settings=flows.get("settings"), staff=staff,
                        export_dir=export_dir or Path("exports"), cards=cards)
    return ShellContext(register=None, bridge=QtBridge(bus), show_screen=lambda _id: None,
                        show_error=lambda _text, _advice: None, sign_out=lambda: None,
                        services=services)
