"""Drive the real counter application on an X display and save a screenshot of every screen.

Run under Xvfb (a 1280×800 screen, as a counter display): it starts the app exactly as
`tamaru` does (embedded HQ, simulated devices) with a demo program that has campaigns,
and goes through a cashier's and a manager's day, saving into DIR:

    signin.png          the sign-in screen with the demo staff
    counter-idle.png    the counter waiting for a card
    counter.png         a member, a basket with categories, points to use, the live quote
    counter-sale.png    the sale recorded, its receipt on the simulated printer's paper
    returns.png         "取引を取り消す" on that sale: its full return, ready to confirm
    enrolment.png       the sign-up form with a new card tapped
    approval.png        a cashier opening a manager's screen: the manager approval dialog
    lookup.png          the member with their points by expiry, cards and HQ's history
    reports.png         the day: this register's figures beside the store's, the chart
    settings.png        the settings' devices tab
    provision.png       the provisioning dialog over the settings screen
    counter-en.png      the counter with a member and a basket, in English

    xvfb-run -a -s "-screen 0 1280x800x24" python -m tests.support.screenshot docs/screenshots

`--only NAME,NAME` stops once those are saved (the English one runs in a process of its
own: a language is chosen when the application starts). The last line printed is a JSON
report of what the screens said; the exit status is 0 when every shot was taken.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer

# What the cashier rings up: (name, category code, quantity, line amount in yen).
BASKET = (("お米 5kg", "rice", "1", "2480"), ("緑茶 2L", "", "2", "396"),
          ("台所用洗剤", "", "1", "298"))
MEMBER = "高橋 美咲"
NEW_CARD = "04CAFE00112233"
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
ALL = ("signin", "counter-idle", "counter", "counter-sale", "returns", "enrolment",
       "approval", "lookup", "reports", "settings", "provision", "counter-en")
TICK_MS = 100


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


@dataclass
class Step:
    name: str
    when: Callable[[], bool]  # the step runs once this holds
    do: Callable[[], None]
    timeout_s: float = 30.0


class Tour:
    """Steps run from a timer, one at a time; a step may open a modal dialog (its event
    loop keeps the timer going, so the next steps answer the dialog)."""

    def __init__(self, app, window, out: Path, wanted: set[str]) -> None:  # type: ignore[no-untyped-def]
        self.app, self.window, self.out, self.wanted = app, window, out, wanted
        self.steps: list[Step] = []
        self.index = 0
        self.waited = 0.0
        self.busy = False
        self.report: dict[str, object] = {"shots": []}
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)

    def add(self, name: str, when: Callable[[], bool], do: Callable[[], None] = lambda: None,
            timeout_s: float = 30.0) -> None:
        self.steps.append(Step(name, when, do, timeout_s))

    def pause(self, ticks: int = 5) -> None:
        """Let the screen settle (layouts, repaints, a receipt image scaled)."""
        left = [ticks]

        def settled() -> bool:
            left[0] -= 1
            return left[0] <= 0

        self.add("settle", settled)

    def shoot(self, name: str, *, whole_screen: bool = False) -> None:
        def save() -> None:
            if name not in self.wanted:
                return
            self.out.mkdir(parents=True, exist_ok=True)
            path = self.out / f"{name}.png"
            if whole_screen:  # a dialog is a window of its own: take the whole display
                screen = self.app.primaryScreen()
                image = screen.grabWindow(0)
            else:
                image = self.window.grab()
            image.save(str(path))
            shots = self.report["shots"]
            assert isinstance(shots, list)
            shots.append({"name": name, "width": image.width(), "height": image.height()})
            if self.wanted <= {s["name"] for s in shots}:
                self.finish(done=True)

        self.add(f"shoot {name}", lambda: True, save)

    def start(self) -> None:
        self.timer.start(TICK_MS)

    def finish(self, *, done: bool) -> None:
        self.report["done"] = done
        self.timer.stop()
        self.app.quit()

    def tick(self) -> None:
        if self.busy:
            return  # the last step has not started yet
        if self.index >= len(self.steps):
            self.finish(done=True)
            return
        step = self.steps[self.index]
        self.waited += TICK_MS / 1000
        if self.waited > step.timeout_s:
            self.report["timeout_at"] = step.name
            self.finish(done=False)
            return
        if not step.when():
            return
        # Run from the event loop, not from this tick: a step that opens a modal dialog
        # returns only when the next steps (ticks in the dialog's event loop) closed it,
        # and a timer does not tick again while its own slot runs.
        self.index += 1
        self.waited = 0.0
        print(f"step: {step.name}", file=sys.stderr, flush=True)  # where a timeout stopped
        self.busy = True

        def run() -> None:
            self.busy = False
            step.do()

        QTimer.singleShot(0, run)


def modal(kind: type) -> object | None:
    from PySide6.QtWidgets import QApplication

    widget = QApplication.activeModalWidget()
    return widget if isinstance(widget, kind) else None


def japanese_tour(tour: Tour, register) -> None:  # type: ignore[no-untyped-def]
    # Function keys go through `function_key`, the keys' own slot: without a window
    # manager the window is never active, and a shortcut needs an active window.
    from desktop.flows.returns import ReturnState
    from desktop.screens.approval import ManagerApprovalDialog
    from desktop.screens.provision import ProvisionDialog

    win = tour.window
    counter = win.screens["counter"]
    report = tour.report
    tour.add("first sync", lambda: len(counter.devices.button_texts()) > 1, timeout_s=90)
    tour.pause()
    tour.shoot("signin")

    def sign_in(code: str, pin: str) -> None:
        win.signin.code.setText(code)
        win.signin.pin.setText(pin)
        win.signin.submit_button.click()

    tour.add("sign in", lambda: True, lambda: sign_in("2001", "0000"))
    tour.add("counter", lambda: win.current() is counter)
    tour.pause()
    tour.shoot("counter-idle")
    tour.add("tap", lambda: True, lambda: counter.devices.button(MEMBER).click())

    def ring_up() -> None:
        for name, category, qty, amount in BASKET:
            counter.basket.name.setText(name)
            counter.basket.category.setCurrentIndex(counter.basket.category.findData(category))
            counter.basket.quantity.setText(qty)
            counter.amount.setText(amount)
            counter.basket.add.click()
        counter.redeem.setText(REDEEM)
        report["earn"] = counter.quote_panel.earn.text()
        report["pay"] = counter.quote_panel.pay.text()

    tour.add("member", lambda: counter.amount.isEnabled(), ring_up)
    tour.pause()
    tour.shoot("counter")
    tour.add("confirm", lambda: True, counter.confirm_button.click)
    tour.add("receipt", lambda: counter.receipt_view.has_image())
    tour.pause(8)
    tour.shoot("counter-sale")

    returns = win.screens["returns"]
    tour.add("void", lambda: counter.void_button.isVisible(), counter.void_button.click)
    tour.add("full return", lambda: returns.flow.state is ReturnState.PREVIEW)
    tour.pause()
    tour.shoot("returns")

    enrol = win.screens["enrolment"]

    def enrol_form() -> None:
        enrol.name.setText("小林 さくら")
        enrol.kana.setText("コバヤシ サクラ")
        enrol.month.setCurrentIndex(enrol.month.findData("4"))
        enrol.consent.setChecked(True)
        win.services.cards.tap(NEW_CARD)  # a new card on the reader, routed to enrolment

    tour.add("enrolment", lambda: True, lambda: win.function_key("enrolment"))
    tour.add("form", lambda: win.current() is enrol, enrol_form)
    tour.add("card bound", lambda: bool(enrol.card.text()))
    tour.pause()
    tour.shoot("enrolment")

    # A cashier opens the member look-up: a manager approves on the dialog.
    lookup = win.screens["lookup"]
    tour.add("ask", lambda: True, lambda: win.function_key("lookup"))
    tour.add("dialog", lambda: modal(ManagerApprovalDialog) is not None)

    def fill_approval() -> None:
        dialog = modal(ManagerApprovalDialog)
        assert isinstance(dialog, ManagerApprovalDialog)
        dialog.code.setText("1001")
        dialog.pin.setText("1234")

    tour.add("fill", lambda: True, fill_approval)
    tour.pause()
    tour.shoot("approval", whole_screen=True)

    def approve() -> None:
        dialog = modal(ManagerApprovalDialog)
        assert isinstance(dialog, ManagerApprovalDialog)
        dialog.submit()

    tour.add("approve", lambda: True, approve)

    def look_up() -> None:
        lookup.query.setText(MEMBER_NO[0])
        lookup.search()

    tour.add("lookup", lambda: win.current() is lookup and bool(MEMBER_NO), look_up)
    tour.add("history", lambda: lookup.history.rowCount() > 0 and lookup.source.isVisible())
    tour.add("lots", lambda: lookup.lots.rowCount() > 0 or tour.waited > 8, timeout_s=10)
    tour.pause()
    tour.shoot("lookup")

    # Reports and settings: the manager signs in (a cashier would be asked again).
    def manager() -> None:
        win.sign_out()

    tour.add("sign out", lambda: True, manager)
    tour.add("signed out", lambda: win.current() is win.signin, lambda: sign_in("1001", "1234"))
    reports = win.screens["reports"]
    tour.add("reports", lambda: win.current() is counter,
             lambda: win.function_key("reports"))
    tour.add("figures", lambda: win.current() is reports and reports.store is not None)
    tour.pause()
    tour.shoot("reports")
    settings = win.screens["settings"]
    tour.add("settings", lambda: True, lambda: win.function_key("settings"))
    tour.add("devices", lambda: win.current() is settings)
    tour.pause(10)  # the readers and printer models this PC has
    tour.shoot("settings")
    tour.add("provision", lambda: True, settings.provision_button.click)
    tour.add("provision dialog", lambda: settings.provision_dialog is not None
             and settings.provision_dialog.isVisible())
    tour.pause()
    tour.shoot("provision", whole_screen=True)

    def close_provision() -> None:
        dialog = settings.provision_dialog
        if isinstance(dialog, ProvisionDialog):
            dialog.reject()

    tour.add("close", lambda: True, close_provision)


MEMBER_NO: list[str] = []  # the demo member's number, read once the first sync is in


def english_tour(tour: Tour) -> None:
    win = tour.window
    counter = win.screens["counter"]
    tour.add("first sync", lambda: len(counter.devices.button_texts()) > 1, timeout_s=90)

    def sign_in() -> None:
        win.signin.code.setText("2001")
        win.signin.pin.setText("0000")
        win.signin.submit_button.click()

    tour.add("sign in", lambda: True, sign_in)
    tour.add("tap", lambda: win.current() is counter,
             lambda: counter.devices.button(MEMBER).click())

    def ring_up() -> None:
        for name, category, qty, amount in BASKET:
            counter.basket.name.setText(name)
            counter.basket.category.setCurrentIndex(counter.basket.category.findData(category))
            counter.basket.quantity.setText(qty)
            counter.amount.setText(amount)
            counter.basket.add.click()
        counter.redeem.setText(REDEEM)

    tour.add("member", lambda: counter.amount.isEnabled(), ring_up)
    tour.pause()
    tour.shoot("counter-en")


def run(out: Path, home: Path, language: str, wanted: set[str], timeout: float) -> dict:
    from desktop.main import create, parse_args

    if language != "ja":
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(f'[locale]\nlanguage = "{language}"\n',
                                          encoding="utf-8")
    app, register, window = create(parse_args(["--home", str(home)]))
    tour = Tour(app, window, out, wanted)
    tour.report["home"] = str(home)
    if language == "ja":
        def member_no() -> None:
            import sqlite3

            con = sqlite3.connect(register.store.path)
            try:
                row = con.execute("SELECT member_no FROM members WHERE display_name = ?",
                                  (MEMBER,)).fetchone()
            finally:
                con.close()
            if row:
                MEMBER_NO.append(row[0])

        register.events.subscribe("synced", lambda *_: MEMBER_NO or member_no())
        japanese_tour(tour, register)
    else:
        english_tour(tour)
    window.show()
    register.start()
    tour.start()
    QTimer.singleShot(int(timeout * 1000), lambda: tour.finish(done=False))
    try:
        app.exec()
    finally:
        window.close()
        register.stop()
    tour.report["title"] = window.windowTitle()
    tour.report["xdotool"] = subprocess.run(
        ["xdotool", "search", "--name", "^Tamaru$"], capture_output=True, text=True,
        check=False).stdout.split()
    return tour.report


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path, help="the folder the screenshots go to")
    p.add_argument("--home", type=Path, default=None)
    p.add_argument("--language", default="ja")
    p.add_argument("--only", default="", help="names to take, comma-separated (default: all)")
    p.add_argument("--timeout", type=float, default=240.0)
    args = p.parse_args()
    if args.out.suffix == ".png":
        args.out = args.out.parent  # the old form named the counter's file: its folder gets all
    wanted = {n for n in args.only.split(",") if n} or set(ALL)
    unknown = wanted - set(ALL)
    if unknown:
        p.error(f"unknown screenshots: {', '.join(sorted(unknown))}")
    report: dict[str, object] = {}
    japanese = wanted - {"counter-en"}
    if args.language == "ja" and japanese:
        home = args.home or Path(tempfile.mkdtemp(prefix="tamaru-shot-"))
        publish_campaigns(home)
        report = run(args.out, home, "ja", japanese, args.timeout)
    if "counter-en" in wanted:
        if args.language == "en":
            home = args.home or Path(tempfile.mkdtemp(prefix="tamaru-shot-en-"))
            publish_campaigns(home)
            report = run(args.out, home, "en", {"counter-en"}, args.timeout)
        else:  # a language is chosen at start: English runs in a process of its own
            done = subprocess.run([sys.executable, "-m", "tests.support.screenshot",
                                   str(args.out), "--language", "en", "--only", "counter-en"],
                                  capture_output=True, text=True, check=False)
            lines = done.stdout.strip().splitlines()
            english = json.loads(lines[-1]) if lines else {"done": False, "error": done.stderr}
            shots = list(report.get("shots", [])) + list(english.get("shots", []))  # type: ignore[arg-type]
            report = {**english, **report, "shots": shots,
                      "done": bool(report.get("done", not japanese)) and bool(english.get("done"))}
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report.get("done") else 1


if __name__ == "__main__":
    sys.exit(main())
