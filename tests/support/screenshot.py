"""Drive the real counter application on an X display and save a screenshot.

Run under Xvfb (`xvfb-run -a python -m tests.support.screenshot OUT.png`): it starts the
app exactly as `tamaru` does (embedded HQ, simulated devices), waits for the first sync,
taps the first demo card on the simulated reader, enters an amount, confirms, waits for
the receipt, then grabs the window. It prints a JSON report of what the screen showed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path)
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--amount", default="3280")
    p.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tamaru-shot-"))

    from desktop.main import create, parse_args

    app, register, window = create(parse_args(["--home", str(home)]))
    report: dict[str, object] = {"home": str(home)}
    steps = iter(["wait_cards", "tap", "wait_member", "sell", "wait_receipt", "shoot"])
    state = {"step": next(steps), "ticks": 0}

    def tick() -> None:
        state["ticks"] += 1  # type: ignore[operator]
        step = state["step"]
        if step == "wait_cards" and window.sim_buttons.count() > 1:
            state["step"] = next(steps)
        elif step == "tap":
            first = window.sim_buttons.itemAt(0).widget()
            report["tapped"] = first.text()
            first.click()
            state["step"] = next(steps)
        elif step == "wait_member" and window.member_name.text():
            report["member"] = window.member_name.text()
            report["balance_before"] = window.balance.text()
            window.amount.setText(args.amount)
            state["step"] = next(steps)
        elif step == "sell":
            report["preview"] = window.preview.text()
            window.confirm_button.click()
            state["step"] = next(steps)
        elif step == "wait_receipt" and window.receipt_view.pixmap() is not None \
                and not window.receipt_view.pixmap().isNull():
            report["after_sale"] = window.balance.text()
            report["message"] = window.message.text()
            state["step"] = next(steps)
        elif step == "shoot":
            args.out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.out))
            report["title"] = window.windowTitle()
            report["xdotool"] = subprocess.run(
                ["xdotool", "search", "--name", "^Tamaru$"], capture_output=True, text=True,
                check=False).stdout.split()
            report["done"] = True
            app.quit()
        if state["ticks"] * 0.1 > args.timeout:  # type: ignore[operator]
            report["timeout_at"] = state["step"]
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    window.show()
    register.start()
    timer.start(100)
    try:
        app.exec()
    finally:
        register.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report.get("done") else 1


if __name__ == "__main__":
    sys.exit(main())
