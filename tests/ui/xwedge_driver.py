"""A keyboard-wedge scan as real X key events: run under Xvfb by test_wedge_x11.py.

It starts the app as `tamaru` does (embedded HQ, simulated devices), signs in, taps a demo
member, then types into the focused amount field with `xdotool`: first like a person
("1500", 150 ms a key), then like a scanner (another member's printed number, 8 ms a key,
then Enter). It prints a JSON report: who is on screen, what the field holds, where the
focus is, what the filter saw, and whether anything was recorded.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

from loyalty.scan import member_no_is_valid

FIRST, SECOND = "山田 花子", "鈴木 一郎"


class KeyCounter(QObject):
    """Counts key presses an app-wide filter sees, for widgets and for other objects."""

    def __init__(self) -> None:
        super().__init__()
        self.widget = 0
        self.other = 0

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.KeyPress:
            if obj.isWidgetType():
                self.widget += 1
            else:
                self.other += 1
        return False


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--timeout", type=float, default=90.0)
    args = p.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tamaru-xwedge-"))

    from desktop.main import create, parse_args

    app, register, window = create(parse_args(["--home", str(home)]))
    counter = window.screens["counter"]
    keys = KeyCounter()
    app.installEventFilter(keys)
    scans: list[str] = []
    window.wedge.scanned.connect(scans.append)
    report: dict[str, object] = {"home": str(home)}
    state: dict[str, object] = {"step": "wait_cards", "since": time.monotonic(), "proc": None}
    started = time.monotonic()

    def go(step: str) -> None:
        state["step"], state["since"] = step, time.monotonic()

    def xdotool(*argv: str) -> None:
        state["proc"] = subprocess.Popen(["xdotool", *argv])

    def typed() -> bool:
        proc = state["proc"]
        return isinstance(proc, subprocess.Popen) and proc.poll() is not None

    def waited(seconds: float) -> bool:
        return time.monotonic() - float(state["since"]) >= seconds  # type: ignore[arg-type]

    def tick() -> None:
        step = state["step"]
        if step == "wait_cards" and len(counter.devices.button_texts()) > 1:
            window.signin.code.setText("2001")
            window.signin.pin.setText("0000")
            window.signin.submit_button.click()
            go("wait_counter")
        elif step == "wait_counter" and window.current() is counter:
            con = sqlite3.connect(register.store.path)
            numbers = dict(con.execute("SELECT display_name, member_no FROM members"))
            con.close()
            report["second_no"] = numbers[SECOND]
            report["second_no_valid"] = member_no_is_valid(numbers[SECOND])
            counter.devices.button(FIRST).click()
            go("wait_first")
        elif step == "wait_first" and FIRST in counter.member_panel.name.text():
            window.activateWindow()
            window.raise_()
            counter.amount.setFocus()
            wid = subprocess.run(["xdotool", "search", "--name", "^Tamaru$"],
                                 capture_output=True, text=True, check=False).stdout.split()
            if wid:
                subprocess.run(["xdotool", "windowfocus", "--sync", wid[-1]], check=False,
                               timeout=10)
            go("focus")
        elif step == "focus" and waited(0.5):
            report["focus_before"] = type(app.focusWidget()).__name__
            xdotool("type", "--delay", "150", "1500")  # a person
            go("person")
        elif step == "person" and typed() and waited(0.4):
            report["after_person"] = counter.amount.text()
            # A scanner: the code 8 ms a key, then its terminator (CR), in one burst.
            xdotool("type", "--delay", "8", f"{report['second_no']}\r")
            go("scanner")
        elif step == "scanner" and typed() and waited(1.5):
            report["member"] = counter.member_panel.name.text()
            report["amount"] = counter.amount.text()
            report["focus_after"] = (app.focusWidget() is counter.amount)
            report["scans"] = scans
            report["keys_to_widgets"] = keys.widget
            report["keys_to_windows"] = keys.other
            report["outbox"] = register.store.outbox_counts()
            report["done"] = True
            app.quit()
        if time.monotonic() - started > args.timeout:
            report["timeout_at"] = step
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    window.show()
    register.start()
    timer.start(50)
    try:
        app.exec()
    finally:
        register.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report.get("done") else 1


if __name__ == "__main__":
    sys.exit(main())
