"""Drive the real counter application on an X display and save screenshots.

Run under Xvfb: it starts the app exactly as `tamaru` does (embedded HQ, simulated
devices), waits for the first sync, signs in with the demo cashier from the sign-in
screen's hint, taps a demo card on the simulated reader, rings up a basket and points to
use, grabs the window, confirms, waits for the receipt, and prints a JSON report of what
the screen showed.

    xvfb-run -a -s "-screen 0 1280x800x24" python -m tests.support.screenshot \\
        docs/screenshots/counter.png --docs docs/screenshots --campaigns
    xvfb-run -a -s "-screen 0 1280x800x24" python -m tests.support.screenshot \\
        docs/screenshots/counter-en.png --language en --campaigns

`OUT` gets the counter with the member, the basket and the live quote; `--docs DIR` also
writes signin.png and counter-idle.png there. `--campaigns` first publishes a version 2
of the demo program with two campaigns at the embedded HQ, so the quote's breakdown
shows campaign lines and limited-time points (the plain demo program has none).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer

# What the cashier rings up: (name, category, quantity, line amount in yen).
BASKET = (("お米 5kg", "rice", "1", "2480"), ("緑茶 2L", "food", "2", "396"),
          ("台所用洗剤", "daily", "1", "298"))
MEMBER = "高橋 美咲"
REDEEM = "500"
CAMPAIGNS = """
[[campaigns]]
id = "rice-2x"
name = "お米 ポイント2倍"
multiplier = 2
categories = ["rice"]
limited_days = 30

[[campaigns]]
id = "spend-3000"
name = "3,000円以上で 30 pt"
points = 30
min_yen = 3000
"""


def publish_campaigns(home: Path) -> None:
    """Seed the embedded HQ's demo and publish the demo program again with campaigns."""
    from resources import RESOURCES

    db = f"sqlite:///{home / 'hq' / 'hq.db'}"
    (home / "hq").mkdir(parents=True, exist_ok=True)
    hq = [sys.executable, "-m", "hq.cli", "--db", db]
    subprocess.run([*hq, "demo", "--device", "R01", "--store", "S001", "--json"],
                   check=True, capture_output=True)
    demo = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    program = home / "demo-campaigns.toml"
    program.write_text(demo.replace("version = 1", "version = 2", 1) + CAMPAIGNS,
                       encoding="utf-8")
    subprocess.run([*hq, "load-program", str(program)], check=True, capture_output=True)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path)
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--docs", type=Path, default=None)
    p.add_argument("--language", default="ja")
    p.add_argument("--campaigns", action="store_true")
    p.add_argument("--timeout", type=float, default=90.0)
    args = p.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tamaru-shot-"))
    if args.campaigns:
        publish_campaigns(home)
    if args.language != "ja":
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(f'[locale]\nlanguage = "{args.language}"\n',
                                          encoding="utf-8")

    from desktop.main import create, parse_args
    from desktop.screens.counter import CounterScreen

    app, register, window = create(parse_args(["--home", str(home)]))
    counter = window.screens["counter"]
    assert isinstance(counter, CounterScreen)
    report: dict[str, object] = {"home": str(home)}
    steps = iter(["wait_cards", "sign_in", "wait_counter", "tap", "wait_member", "ring_up",
                  "shoot", "confirm", "wait_receipt", "done"])
    state: dict[str, object] = {"step": next(steps), "ticks": 0, "settle": 0}

    def save(widget_name: str) -> None:
        if args.docs is not None:
            args.docs.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.docs / widget_name))

    def advance() -> None:
        state["step"] = next(steps)
        state["settle"] = 0

    def tick() -> None:
        state["ticks"] = int(state["ticks"]) + 1  # type: ignore[call-overload]
        step = state["step"]
        if step == "wait_cards" and len(counter.devices.button_texts()) > 1:
            report["demo_hint"] = window.signin.demo_hint.isVisible()
            report["signin_title"] = window.signin.heading.text()
            save("signin.png")
            advance()
        elif step == "sign_in":
            window.signin.code.setText("2001")
            window.signin.pin.setText("0000")
            window.signin.submit_button.click()
            advance()
        elif step == "wait_counter" and window.current() is counter:
            report["staff"] = window.status.staff.text()
            report["prompt"] = counter.member_panel.prompt.text()
            save("counter-idle.png")
            advance()
        elif step == "tap":
            button = counter.devices.button(MEMBER)
            report["tapped"] = button.text()
            button.click()
            advance()
        elif step == "wait_member" and counter.amount.isEnabled():
            report["member"] = counter.member_panel.name.text()
            report["balance_before"] = counter.member_panel.balance.text()
            advance()
        elif step == "ring_up":
            for name, category, qty, amount in BASKET:
                counter.basket.name.setText(name)
                counter.basket.category.setCurrentText(category)
                counter.basket.quantity.setText(qty)
                counter.amount.setText(amount)
                counter.basket.add.click()
            counter.redeem.setText(REDEEM)
            report["lines"] = counter.basket.table.rowCount()
            report["earn"] = counter.quote_panel.earn.text()
            report["pay"] = counter.quote_panel.pay.text()
            advance()
        elif step == "shoot":
            state["settle"] = int(state["settle"]) + 1  # type: ignore[call-overload]
            if int(state["settle"]) >= 5:  # type: ignore[call-overload]
                args.out.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(args.out))
                advance()
        elif step == "confirm":
            counter.confirm_button.click()
            advance()
        elif step == "wait_receipt" and counter.receipt_view.has_image():
            report["after_sale"] = counter.member_panel.balance.text()
            report["message"] = counter.message.text()
            report["title"] = window.windowTitle()
            report["xdotool"] = subprocess.run(
                ["xdotool", "search", "--name", "^Tamaru$"], capture_output=True, text=True,
                check=False).stdout.split()
            report["done"] = True
            app.quit()
        if int(state["ticks"]) * 0.1 > args.timeout:  # type: ignore[call-overload]
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
