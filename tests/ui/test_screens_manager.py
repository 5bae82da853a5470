"""The manager's screens driven like a person would: returns, enrolment, member look-up
(against a real HQ process), reports and settings, each on a real register store.

The settings screen's Qt-free operations are tested here too, next to their screen.
"""

from __future__ import annotations

import csv
import io
import threading
import time
import tomllib

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt

from desktop.flows.enrol import EnrolFlow
from desktop.flows.lookup import LookupFlow
from desktop.flows.reports import ReportsFlow
from desktop.flows.returns import ReturnFlow
from desktop.flows.settings_ops import EMBEDDED_HQ, EVENTS, SettingsOps
from desktop.hq_lookup import HqLookup
from desktop.screens.enrol import EnrolScreen
from desktop.screens.lookup import LookupScreen
from desktop.screens.reports import HourChart, ReportsScreen
from desktop.screens.returns import ReturnsScreen
from desktop.screens.settings import SettingsScreen
from desktop.settings import Settings, SettingsError
from devices.cards import CardPresented
from devices.printer_status import REASON_PAPER_OUT
from devices.printers import SimulatedPrinter
from devices.simulated import SimulatedReader
from hq.demo import run_demo
from loyalty.quote import quote_sale
from sync.client import SyncClient
from sync.events import EventBus
from sync.staff import StaffBook
from sync.store import RegisterStore, list_cards
from sync.worker import StoreWorker
from tests.support.hq_process import HqProcess
from tests.support.seed import NOW, PHONE_KEY, TOKYO, seeded_store
from tests.ui.shell_support import screen_context

LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
LEFT = Qt.MouseButton.LeftButton
NEW_CARD = "04CAFE00112233"


@pytest.fixture
def register(tmp_path):
    """A seeded register store, its store thread, an event bus and its staff."""
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    book = StaffBook(store, hasher=LIGHT)
    book.create("M01", "店長 佐藤", "manager", "2468", now=NOW)
    book.create("C01", "鈴木", "cashier", "1357", now=NOW)
    yield store, worker, EventBus(), book
    worker.shutdown()
    store.close()


def sell(store, amount, at=NOW):
    q = quote_sale(store.program(), amount, balance=store.member("M1").balance)
    return store.record_sale("M1", q, staff_id="C01", local_time=at, build_receipt=lambda f: {})


# -- returns ------------------------------------------------------------------------------


@pytest.mark.ui
def test_return_screen_scan_approve_and_confirm(qtbot, register):
    store, worker, bus, book = register
    sell(store, 12_000)
    printed: list[str] = []
    flow = ReturnFlow(store, worker, bus, staff_book=book, print_receipt=printed.append,
                      tz=TOKYO, store_name="たまる商店", clock=lambda tz: NOW,
                      staff=book.get("C01"))
    screen = ReturnsScreen(screen_context(bus, returns=flow))
    qtbot.addWidget(screen)
    screen.show()
    assert not screen.confirm_button.isEnabled()

    screen.handle_scan("TR:R01-000001")
    qtbot.waitUntil(lambda: screen.sale_fields["amount"].text() == "￥12,000", timeout=5000)
    assert screen.sale_fields["earned"].text() == "120 pt"
    assert "山田 花子" in screen.member.text()
    qtbot.mouseClick(screen.all_button, LEFT)
    qtbot.waitUntil(lambda: screen.preview_fields["reversed"].text() == "-120 pt", timeout=5000)
    assert screen.approval.isVisible() and not screen.confirm_button.isEnabled()
    assert "￥10,000 を超えて" in screen.approval_reasons.text()

    qtbot.keyClicks(screen.manager_id, "M01")
    qtbot.keyClicks(screen.manager_pin, "2468")
    qtbot.mouseClick(screen.approve_button, LEFT)
    qtbot.waitUntil(lambda: "承認済み（M01）" in screen.approved.text(), timeout=5000)
    assert screen.confirm_button.isEnabled() and screen.manager_pin.text() == ""
    qtbot.mouseClick(screen.confirm_button, LEFT)
    qtbot.waitUntil(lambda: "返品を記録しました" in screen.message.text(), timeout=5000)
    assert len(printed) == 1
    assert store.member("M1").balance == 500
    assert "R01-000002" in screen.message.text()


@pytest.mark.ui
def test_return_screen_explains_a_foreign_receipt(qtbot, register):
    store, worker, bus, book = register
    flow = ReturnFlow(store, worker, bus, staff_book=book, print_receipt=lambda _: None,
                      tz=TOKYO, store_name="たまる商店", clock=lambda tz: NOW)
    screen = ReturnsScreen(screen_context(bus, returns=flow))
    qtbot.addWidget(screen)
    qtbot.keyClicks(screen.receipt_no, "R07-000123")
    qtbot.mouseClick(screen.search_button, LEFT)
    qtbot.waitUntil(lambda: "別のレジの取引" in screen.message.text(), timeout=5000)
    assert screen.message.objectName() == "message_error"
    assert not screen.all_button.isEnabled()


# -- enrolment ----------------------------------------------------------------------------


@pytest.mark.ui
def test_enrol_screen_shows_errors_then_enrols_offline(qtbot, register):
    store, worker, bus, _ = register
    printed: list[str] = []
    flow = EnrolFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                     print_receipt=printed.append, phone_key=PHONE_KEY, clock=lambda tz: NOW)
    screen = EnrolScreen(screen_context(bus, enrol=flow))
    qtbot.addWidget(screen)
    screen.show()
    screen.name.setText("佐藤 次郎")  # as an IME commits it
    qtbot.keyClicks(screen.kana, "Sato")
    qtbot.mouseClick(screen.submit_button, LEFT)
    qtbot.waitUntil(lambda: screen.errors["kana"].isVisible(), timeout=5000)
    assert screen.errors["kana"].text() == "フリガナはカタカナで入力してください"
    assert screen.errors["consent"].text() == "個人情報の取り扱いへの同意が必要です"
    assert screen.errors["binding"].isVisible()
    assert not screen.errors["display_name"].isVisible()
    assert store.outbox_counts() == {}

    flow.on_card_event(CardPresented("sim", NEW_CARD))
    qtbot.waitUntil(lambda: screen.card.text() == "カード …2233", timeout=5000)
    screen.kana.clear()
    screen.kana.setText("さとう じろう")  # as an IME commits it
    screen.month.setCurrentIndex(4)
    qtbot.keyClicks(screen.phone, "080-1111-2222")
    screen.consent.setChecked(True)
    qtbot.mouseClick(screen.submit_button, LEFT)
    qtbot.waitUntil(lambda: "登録しました" in screen.message.text(), timeout=5000)
    member = store.member_by_card(NEW_CARD)
    assert (member.display_name, member.kana, member.birth_month) == ("佐藤 次郎",
                                                                      "サトウ ジロウ", 4)
    assert len(printed) == 1
    assert screen.name.text() == "" and not screen.consent.isChecked()  # ready for the next


# -- member look-up -------------------------------------------------------------------------


@pytest.fixture
def online_register(tmp_path):
    """HQ as a real process on SQLite with the demo data, and a register that pulled it."""
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    demo = run_demo(url, device_id="R01", store_id="S001")
    with HqProcess(url, log_dir=tmp_path) as hq:
        store = RegisterStore(tmp_path / "register.db")
        store.initialise("R01", "S001")
        worker = StoreWorker()
        client = SyncClient(store, worker, hq.url, demo.token, timeout=10)
        try:
            client.sync_once()
            yield hq, demo.token, store, worker
        finally:
            client.stop()
            worker.shutdown()
            store.close()


def _manager():
    from sync.staff import StaffView

    return StaffView("M01", "店長 佐藤", "manager", True, 0, None)


@pytest.mark.ui
def test_lookup_screen_history_from_hq_then_this_register_when_hq_is_down(
        qtbot, online_register):
    hq, token, store, worker = online_register
    bus = EventBus()
    uid = next(uid for uid, name, _ in list_cards(store) if name == "山田 花子")
    member = store.member_by_card(uid)  # its number as HQ sent it, whatever the demo uses
    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=lambda _: None, hq=HqLookup(hq.url, token, timeout=2),
                      clock=lambda tz: NOW, staff=_manager())
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.keyClicks(screen.query, member.member_no)
    qtbot.keyClick(screen.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.source.text() == "HQ", timeout=10000)
    assert screen.history.rowCount() >= 1
    assert screen.history.item(0, 3).text() == "1,200 pt"  # HQ's rows carry the balance
    qtbot.waitUntil(lambda: "HQ: 残高 1,200 pt" in screen.hq_line.text(), timeout=10000)
    assert screen.name.text() == "山田 花子 様" and screen.balance.text() == "1,200 pt"
    assert screen.cards.item(0, 0).text() == uid

    hq.stop()
    flow.select(member.member_id)
    qtbot.waitUntil(lambda: screen.source.text() == "このレジの記録のみ", timeout=10000)
    assert "本部に接続できません" in screen.notice.text()
    flow.close()


@pytest.mark.ui
def test_lookup_screen_corrections_are_for_managers(qtbot, register):
    store, worker, bus, book = register
    printed: list[str] = []
    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=printed.append, phone_key=PHONE_KEY, clock=lambda tz: NOW,
                      staff=book.get("C01"))
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.keyClicks(screen.query, "090-1234-5678")
    qtbot.mouseClick(next(b for b in screen.findChildren(type(screen.more))
                          if b.text() == "検索"), LEFT)
    qtbot.waitUntil(lambda: screen.name.text() == "山田 花子 様", timeout=5000)
    qtbot.waitUntil(lambda: screen.source.text() == "このレジの記録のみ", timeout=5000)
    assert not screen.adjust_button.isEnabled() and not screen.block_button.isEnabled()

    screen.set_staff(book.get("M01"))
    screen.tabs.setCurrentIndex(1)
    qtbot.keyClicks(screen.adjust_points, "+80")
    screen.adjust_reason.setText("レシート紛失分")  # as an IME commits it
    qtbot.mouseClick(screen.adjust_button, LEFT)
    qtbot.waitUntil(lambda: "+80 pt 調整しました" in screen.message.text(), timeout=5000)
    qtbot.waitUntil(lambda: screen.balance.text() == "580 pt", timeout=5000)
    qtbot.waitUntil(lambda: screen.history.rowCount() == 1, timeout=5000)
    assert screen.history.item(0, 1).text() == "ポイント調整"
    assert len(printed) == 1

    screen.cards.selectRow(0)
    screen.card_reason.setText("紛失届")  # as an IME commits it
    qtbot.mouseClick(screen.block_button, LEFT)
    qtbot.waitUntil(lambda: screen.cards.item(0, 1) is not None
                    and screen.cards.item(0, 1).text() == "停止", timeout=5000)
    flow.close()


@pytest.mark.ui
def test_lookup_corrections_wait_for_a_member_and_receipts_reprint(qtbot, register):
    store, worker, bus, book = register
    sale = sell(store, 3000)
    reprinted: list[str] = []

    def reprint(number):
        reprinted.append(number)
        return "op" if number == sale.facts.receipt_no else None

    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=lambda _: None, phone_key=PHONE_KEY, clock=lambda tz: NOW,
                      staff=book.get("M01"), reprint=reprint)
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    # A manager, but no member yet: nothing to block, reissue, adjust or merge.
    for button in (screen.block_button, screen.reissue_button, screen.adjust_button,
                   screen.merge_button):
        assert not button.isEnabled(), button.text()
    qtbot.keyClicks(screen.query, "090-1234-5678")
    qtbot.keyClick(screen.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.history.rowCount() == 1, timeout=5000)
    assert screen.block_button.isEnabled() and screen.reissue_button.isEnabled()
    assert screen.adjust_button.isEnabled()
    assert screen.history.item(0, 1).text() == "販売"
    assert sale.facts.receipt_no in screen.history.item(0, 4).text()
    button = screen.history.cellWidget(0, 5)
    assert button is not None and button.text() == "再発行"
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(lambda: "再発行を印刷しています" in screen.message.text(), timeout=5000)
    assert reprinted == [sale.facts.receipt_no]
    flow.reprint("R09-000009")  # a number the print queue does not know
    qtbot.waitUntil(lambda: "再発行できません" in screen.message.text(), timeout=5000)
    flow.close()


# -- reports ------------------------------------------------------------------------------


@pytest.mark.ui
def test_reports_screen_figures_chart_and_csv(qtbot, register, tmp_path):
    store, _, bus, book = register
    sell(store, 3000)
    sell(store, 1500, NOW.replace(hour=15))
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: NOW.replace(hour=18), events=bus)
    screen = ReportsScreen(screen_context(bus, reports=flow, staff=lambda: book.get("C01"),
                                          export_dir=tmp_path / "exports"))
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    qtbot.waitUntil(lambda: screen.report is not None and screen.store is not None)
    assert screen.heading.text() == "2026年11月22日 の日計"
    # Whose figures: this register's, said in the column and in the note (no HQ set up).
    assert screen.here_header.text() == "このレジ（R01）"
    assert screen.fields["sales"].text() == "2 件　￥4,500"
    assert screen.fields["issued"].text() == "45 pt"
    assert screen.store_fields["sales"].text() == "—"
    assert "このレジの集計のみ" in screen.scope.text()
    assert not screen.store_button.isEnabled()
    bars = {b.hour: b.issued for b in screen.chart.bars}
    assert bars[10] == 30 and bars[15] == 15
    assert [b.hour for b in screen.chart.shown_hours()][0] == 6
    assert screen.chart_heading.text() == "時間帯別のポイント（このレジ）"
    image = screen.chart.grab().toImage()
    assert not image.isNull() and image.width() > 100

    path = screen.export()
    assert "R01" in path.name
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[4] for r in rows[1:]] == ["3000", "1500"]
    assert "書き出しました" in screen.message.text()

    qtbot.mouseClick(screen.shift_button, LEFT)
    qtbot.waitUntil(lambda: screen.heading.text().startswith("鈴木 さんのシフト"))
    qtbot.waitUntil(lambda: "シフトの集計はこのレジの記録だけ" in screen.scope.text())
    flow.close()


@pytest.mark.ui
def test_reports_screen_shows_the_store_from_hq_beside_this_register(qtbot, register):
    from tests.desktop.test_flow_reports import FakeHq, summary

    store, _, bus, _book = register
    sell(store, 3000)
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: NOW.replace(hour=18), events=bus,
                       hq=FakeHq(summary()))
    screen = ReportsScreen(screen_context(bus, reports=flow))
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    qtbot.waitUntil(lambda: screen.store is not None)
    assert screen.fields["sales"].text() == "1 件　￥3,000"
    assert screen.store_fields["sales"].text() == "9 件　￥21,000"
    assert screen.store_fields["pending"].text() == "保留 1 件"
    assert screen.store_header.text() == "店舗全体（HQ・レジ 2 台）"
    assert "店舗のすべてのレジ" in screen.scope.text()
    qtbot.mouseClick(screen.store_button, LEFT)
    assert screen.chart_heading.text() == "時間帯別のポイント（店舗全体・HQ）"
    assert {b.hour: b.issued for b in screen.chart.bars}[14] == 10
    qtbot.mouseClick(screen.here_button, LEFT)
    assert {b.hour: b.issued for b in screen.chart.bars}[10] == 30
    flow.close()


def test_hour_chart_scale_steps_are_1_2_5():
    from desktop.screens.reports import _nice_step

    assert [_nice_step(p) for p in (1, 4, 9, 40, 230, 1200)] == [1, 1, 2, 10, 50, 500]


@pytest.mark.ui
def test_hour_chart_draws_bars_in_their_colours(qtbot):
    from desktop.flows.reports import HourBar
    from desktop.screens.reports import ISSUED, REDEEMED

    chart = HourChart()
    qtbot.addWidget(chart)
    chart.resize(800, 240)
    chart.set_bars(tuple(HourBar(h, 100 if h == 12 else 0, 50 if h == 12 else 0)
                         for h in range(24)))
    image = chart.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 800, 2) for y in range(40, 200, 4)}
    assert ISSUED.name() in colours and REDEEMED.name() in colours


# -- settings: the screen -------------------------------------------------------------------


def tap_when_started(reader, uid):
    def run():
        for _ in range(300):
            try:
                reader.tap(uid)
                return
            except RuntimeError:  # the check has not opened the reader yet
                time.sleep(0.01)

    threading.Thread(target=run, daemon=True).start()


@pytest.mark.ui
def test_settings_screen_checks_devices_and_saves(qtbot, tmp_path):
    settings = Settings(tmp_path / "home")
    bus = EventBus()
    reader, printer = SimulatedReader(), SimulatedPrinter()
    ops = SettingsOps(settings, bus, open_reader=lambda spec: reader,
                      make_printer=lambda spec: printer, read_timeout_s=5)
    asked: list[str] = []
    bus.subscribe("provision_requested", lambda: asked.append("yes"))
    screen = SettingsScreen(screen_context(bus, settings=ops))
    qtbot.addWidget(screen)
    screen.show()
    devices = screen.devices
    assert screen.hq_address.text() == EMBEDDED_HQ

    qtbot.mouseClick(devices.read_button, LEFT)
    tap_when_started(reader, "04A1B2C3D4E5F6")
    qtbot.waitUntil(lambda: "04A1B2C3D4E5F6" in devices.read_result.text(), timeout=5000)
    assert devices.read_button.isEnabled()

    qtbot.mouseClick(devices.print_button, LEFT)
    qtbot.waitUntil(lambda: "テスト印字を送りました" in devices.print_result.text(), timeout=5000)
    assert len(printer.printed) == 1
    printer.fail_with(REASON_PAPER_OUT)
    qtbot.mouseClick(devices.status_button, LEFT)
    qtbot.waitUntil(lambda: REASON_PAPER_OUT in devices.status_result.text(), timeout=5000)
    assert devices.status_result.objectName() == "message_error"

    screen.language.setCurrentIndex(screen.language.findData("en"))
    screen.save_language()
    screen.options["register.store_name"].setText("たまる商店 渋谷店")
    screen.save_option("register.store_name")
    saved = tomllib.loads((settings.home / "config.toml").read_text(encoding="utf-8"))
    assert saved["locale"]["language"] == "en"
    assert saved["register"]["store_name"] == "たまる商店 渋谷店"
    qtbot.waitUntil(lambda: screen.message.text() == "保存しました", timeout=5000)
    qtbot.mouseClick(screen.provision_button, LEFT)
    assert asked == ["yes"]
    ops.close()


@pytest.mark.ui
def test_settings_screen_chooses_a_printer_tests_it_unsaved_then_saves(qtbot, tmp_path):
    settings = Settings(tmp_path / "home")
    bus = EventBus()
    opened: list[str] = []

    def make_printer(spec):
        opened.append(spec)
        return SimulatedPrinter()

    ops = SettingsOps(settings, bus, make_printer=make_printer, read_timeout_s=5)
    screen = SettingsScreen(screen_context(bus, settings=ops))
    qtbot.addWidget(screen)
    screen.show()
    d = screen.devices
    assert not d.printer_address.isVisible()  # the demo printer has no address
    d.printer_kind.setCurrentIndex(d.printer_kind.findData("network"))
    assert d.printer_address.isVisible() and not d.printer_baud.isVisible()
    assert "192.168.0.50" in d.printer_address.placeholderText()
    d.printer_address.setText("192.168.0.50:99999")
    qtbot.mouseClick(d.print_button, LEFT)
    assert d.print_result.text() == "ポート番号は 1〜65535 の数字で入力してください"
    assert opened == []  # nothing opened for a form that cannot be right
    d.printer_address.setText("192.168.0.50")
    d.paper.setCurrentIndex(d.paper.findData(58))
    d.print_mode.setCurrentIndex(d.print_mode.findData("kanji"))
    qtbot.mouseClick(d.print_button, LEFT)  # tested as the form shows it, before saving
    qtbot.waitUntil(lambda: "テスト印字を送りました" in d.print_result.text(), timeout=5000)
    assert opened == ["network:192.168.0.50?mode=kanji&paper=58"]
    assert "devices" not in (tomllib.loads((settings.home / "config.toml").read_text("utf-8"))
                             if (settings.home / "config.toml").exists() else {})
    qtbot.mouseClick(d.save_button, LEFT)
    saved = tomllib.loads((settings.home / "config.toml").read_text(encoding="utf-8"))
    assert saved["devices"]["printer"] == "network:192.168.0.50?mode=kanji&paper=58"
    assert "次にアプリを起動したときから" in screen.message.text()

    d.scanner_kind.setCurrentIndex(d.scanner_kind.findData("serial"))
    d.scanner_port.setEditText("")
    qtbot.mouseClick(d.save_button, LEFT)
    assert "シリアルポート" in screen.message.text()
    assert screen.message.objectName() == "message_error"
    ops.close()


@pytest.mark.ui
def test_settings_screen_poslink_token_masked_copied_and_rotated(qtbot, tmp_path):
    from PySide6.QtGui import QGuiApplication

    from desktop.poslink.token import load_or_create_token

    home = tmp_path / "home"
    token = load_or_create_token(home)
    settings = Settings(home)
    bus = EventBus()
    ops = SettingsOps(settings, bus)
    screen = SettingsScreen(screen_context(bus, settings=ops))
    qtbot.addWidget(screen)
    screen.show()
    shown = " ".join(w.text() for w in screen.findChildren(type(screen.message)))
    assert token not in shown and token[-4:] in screen.token_label.text()
    qtbot.mouseClick(screen.copy_token, LEFT)
    assert QGuiApplication.clipboard().text() == token
    qtbot.mouseClick(screen.rotate_token, LEFT)  # asks once more first
    assert load_or_create_token(home) == token
    assert screen.rotate_token.text() == "本当に再発行する"
    qtbot.mouseClick(screen.rotate_token, LEFT)
    new = load_or_create_token(home)
    assert new != token and new[-4:] in screen.token_label.text()

    screen.pos_port.setText("80")
    qtbot.mouseClick(screen.pos_save, LEFT)
    assert "1024〜65535" in screen.message.text()
    screen.pos_port.setText("8473")
    screen.pos_dir.setText(str(tmp_path / "nowhere"))
    qtbot.mouseClick(screen.pos_save, LEFT)
    assert "がありません" in screen.message.text()
    (tmp_path / "drop").mkdir()
    screen.pos_dir.setText(str(tmp_path / "drop"))
    qtbot.mouseClick(screen.pos_save, LEFT)
    saved = tomllib.loads((home / "config.toml").read_text(encoding="utf-8"))
    assert saved["poslink"] == {"port": 8473, "drop_dir": str(tmp_path / "drop")}
    ops.close()


# -- settings: the operations, without a screen -----------------------------------------------


@pytest.fixture
def settings_ops(tmp_path):
    settings = Settings(tmp_path / "home")
    bus = EventBus()
    seen: list[tuple[str, tuple]] = []
    for name in EVENTS:
        bus.subscribe(name, lambda *a, n=name: seen.append((n, a)))
    reader, printer = SimulatedReader(), SimulatedPrinter()
    ops = SettingsOps(settings, bus, open_reader=lambda spec: reader,
                      make_printer=lambda spec: printer, read_timeout_s=5)
    yield ops, seen, reader, printer, settings
    ops.close()


def test_test_read_reports_the_card(settings_ops):
    ops, seen, reader, _, _ = settings_ops
    future = ops.test_read()
    tap_when_started(reader, "04a1b2c3d4e5f6")
    result = future.result(timeout=5)
    assert result.ok and result.detail == "04A1B2C3D4E5F6"
    deadline = time.monotonic() + 5
    while ("settings_read_result", (result,)) not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ("settings_read_result", (result,)) in seen


def test_test_read_gives_up_after_its_timeout(settings_ops):
    ops = settings_ops[0]
    started = time.monotonic()
    result = ops.test_read(timeout_s=0.2).result(timeout=5)
    assert not result.ok and "秒以内にカードが読み取られませんでした" in result.message
    assert time.monotonic() - started < 3


def test_bad_device_specs_are_explained(tmp_path):
    settings = Settings(tmp_path / "h", {"devices.reader": "nonsense",
                                         "devices.printer": "carrier-pigeon:1"})
    ops = SettingsOps(settings, EventBus())
    try:
        read = ops.test_read(timeout_s=0.1).result(timeout=5)
        printed = ops.test_print().result(timeout=5)
        status = ops.printer_status().result(timeout=5)
    finally:
        ops.close()
    assert read.message == "カードリーダーを開けません（nonsense）"
    assert not printed.ok and "プリンターの設定が正しくありません" in printed.message
    assert not status.reachable


def test_settings_are_validated_and_the_token_never_shown(settings_ops, tmp_path):
    ops = settings_ops[0]
    with pytest.raises(SettingsError):
        ops.set_language("fr")
    with pytest.raises(SettingsError):
        ops.set_receipt_option("hq.token", "x")  # not a receipt option
    with pytest.raises(SettingsError):
        ops.set_receipt_option("register.store_name", " ")
    online = SettingsOps(Settings(tmp_path / "b", {"hq.url": "https://hq.example.jp",
                                                   "hq.token": "secret-token"}), EventBus())
    assert online.hq_address() == "https://hq.example.jp"
    assert "secret" not in repr(online.device_specs()) + online.hq_address()
    online.close()


def test_device_forms_make_the_specs_the_drivers_read():
    from desktop.flows.settings_devices import (
        PrinterChoice,
        ScannerChoice,
        parse_printer,
        parse_scanner,
        printer_spec,
        reader_spec,
        scanner_spec,
    )
    from devices.printer_specs import open_printer
    from devices.registry import default_registry

    usb = PrinterChoice("usb", "04B8:0202", "TM-T88V", 80, "raster")
    assert printer_spec(usb) == "usb:04b8:0202?mode=raster&paper=80&profile=TM-T88V"
    serial = PrinterChoice("serial", "/dev/ttyS0", "", 58, "kanji", 19200,
                           extra=(("flow", "rtscts"), ("columns", "32")))
    spec = printer_spec(serial)
    # The form's paper wins over a width in columns; other options are kept.
    assert spec == "serial:/dev/ttyS0?mode=kanji&paper=58&baud=19200&flow=rtscts"
    open_printer(spec)  # the driver reads what the form makes
    assert parse_printer(spec) == PrinterChoice("serial", "/dev/ttyS0", "", 58, "kanji", 19200,
                                                extra=(("flow", "rtscts"),))
    assert printer_spec(PrinterChoice()) == "simulated"
    assert parse_printer("nonsense") == PrinterChoice()
    for bad, says in ((PrinterChoice("network", ""), "IP アドレス"),
                      (PrinterChoice("network", "pr inter"), "IP アドレス"),
                      (PrinterChoice("usb", "4b8:202"), "04b8:0202"),
                      (PrinterChoice("file", "lp0"), "/dev/usb/lp0"),
                      (PrinterChoice("network", "10.0.0.9", paper=76), "58 mm か 80 mm"),
                      (PrinterChoice("network", "10.0.0.9", profile="TM T88"), "TM T88")):
        with pytest.raises(SettingsError) as caught:
            printer_spec(bad)
        assert says in str(caught.value), bad

    scanner = ScannerChoice("serial", "/dev/ttyACM0", 115200, "crlf")
    spec = scanner_spec(scanner)
    assert spec == "serial:/dev/ttyACM0?baud=115200&terminator=crlf"
    default_registry().open_scanner(spec)
    assert parse_scanner(spec) == scanner
    assert scanner_spec(ScannerChoice()) == ""
    with pytest.raises(SettingsError):
        scanner_spec(ScannerChoice("serial", ""))
    # A card profile given to a reader stays with that reader.
    assert reader_spec("pcsc:Sony", "pcsc:Sony?file=0x1a8b") == "pcsc:Sony?file=0x1a8b"
    assert reader_spec("simulated", "pcsc:Sony?file=0x1a8b") == "simulated"
