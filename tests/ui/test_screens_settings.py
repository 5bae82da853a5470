"""The settings screen driven like a manager would (devices chosen and tested before
saving, the POS link, language and receipt), and its Qt-free operations and device forms
next to it."""

from __future__ import annotations

import threading
import time
import tomllib

import pytest
from PySide6.QtCore import Qt

from desktop.flows.settings_ops import EMBEDDED_HQ, EVENTS, SettingsOps
from desktop.screens.settings import SettingsScreen
from desktop.settings import Settings, SettingsError
from devices.printer_status import REASON_PAPER_OUT
from devices.printers import SimulatedPrinter
from devices.simulated import SimulatedReader
from sync.events import EventBus
from tests.ui.shell_support import screen_context

LEFT = Qt.MouseButton.LeftButton


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
    screen.store_name.setText("たまる商店 渋谷店")
    qtbot.mouseClick(screen.save_receipt_button, LEFT)
    saved = tomllib.loads((settings.home / "config.toml").read_text(encoding="utf-8"))
    assert saved["locale"]["language"] == "en"
    assert saved["register"]["store_name"] == "たまる商店 渋谷店"
    qtbot.waitUntil(lambda: "レシートの設定を保存しました" in screen.message.text(), timeout=5000)
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


# -- the printer form: the one place a printer spec is made ----------------------------------


def test_a_printer_spec_from_the_form_opens_the_printer_it_names(tmp_path):
    from desktop.flows.settings_devices import PrinterChoice, parse_printer, printer_spec
    from devices.printer_specs import open_printer
    from devices.printers import NetworkPrinter

    spec = printer_spec(PrinterChoice("network", "192.168.0.50", "TM-T20II", 58, "kanji",
                                      extra=(("timeout", "5"),)))
    assert spec == "network:192.168.0.50?mode=kanji&paper=58&profile=TM-T20II&timeout=5"
    printer = open_printer(spec)
    assert isinstance(printer, NetworkPrinter) and printer.port == 9100
    assert printer.format.mode == "kanji" and printer.format.columns == 32
    assert printer.format.profile == "TM-T20II" and printer.timeout == 5
    # The demo printer shows the roll chosen; its spec reads back as that roll.
    assert printer_spec(PrinterChoice("simulated", paper=58)) == "simulated?width=384"
    assert parse_printer("simulated?width=384") == PrinterChoice("simulated", paper=58)
    assert open_printer("simulated?width=384").width_px == 384
    path = tmp_path / "capture file.bin"  # a capture file may have a space in its name
    assert printer_spec(PrinterChoice("file", str(path))) == \
        f"file:{path}?mode=raster&paper=80"
    # Options of another kind (a flow control kept from a serial printer) are dropped.
    lan = PrinterChoice("network", "10.0.0.5", extra=(("flow", "rtscts"), ("timeout", "3")))
    assert printer_spec(lan) == "network:10.0.0.5?mode=raster&paper=80&timeout=3"


@pytest.mark.parametrize(
    ("choice", "says"),
    [
        ({"kind": "laser"}, "プリンターの接続方法を選んでください"),
        ({"kind": "network", "address": ""}, "IP アドレスを「192.168.0.50」のように"),
        ({"kind": "network", "address": "printer:99999"}, "ポート番号は 1〜65535"),
        ({"kind": "network", "address": "10.0.0.5?mode=kanji"}, "IP アドレス"),
        ({"kind": "usb", "address": "04b8"}, "「04b8:0202」のように"),
        ({"kind": "serial", "address": "/dev/ttyS0", "baud": 12345}, "通信速度は一覧から"),
        ({"kind": "serial", "address": "COM 1"}, "シリアルポートを"),
        ({"kind": "file", "address": "/dev/usb/lp0?mode=kanji"}, "デバイスファイルを"),
        ({"kind": "network", "address": "10.0.0.5", "mode": "pdf"}, "印刷方式は"),
        ({"kind": "network", "address": "10.0.0.5", "profile": "TM-NOPE"},
         "機種 TM-NOPE は一覧にありません"),
        ({"kind": "network", "address": "10.0.0.5", "profile": "TM T88"}, "使えない文字"),
        ({"kind": "network", "address": "10.0.0.5", "profile": "ZJ-5870", "paper": 80},
         "機種 ZJ-5870 は 80 mm 幅の用紙に印字できません"),
        ({"kind": "network", "address": "10.0.0.5", "paper": 76}, "58 mm か 80 mm"),
        ({"kind": "simulated", "paper": 76}, "58 mm か 80 mm"),
        ({"kind": "network", "address": "10.0.0.5", "extra": (("timeout", "0"),)},
         "プリンターの設定が正しくありません: printer option timeout"),
    ],
)
def test_a_printer_form_mistake_says_what_to_correct(choice, says):
    from desktop.flows import settings_devices
    from desktop.flows.messages import Message
    from desktop.flows.settings_devices import PrinterChoice, printer_spec

    with pytest.raises(SettingsError) as caught:
        printer_spec(PrinterChoice(**choice))
    sentence = caught.value.args[0]
    assert says in sentence
    # A sentence of the module's own, so the screen shows it in its language.
    assert isinstance(sentence, Message)
    assert sentence.template in {v for k, v in vars(settings_devices).items()
                                 if k.isupper() and isinstance(v, str)}


def test_every_kind_paper_and_mode_the_form_offers_makes_a_spec_the_driver_reads(tmp_path):
    from desktop.flows.settings_devices import (
        PAPER_WIDTHS,
        PRINT_MODES,
        PRINTER_KINDS,
        PrinterChoice,
        parse_printer,
        printer_spec,
    )
    from devices.printer_specs import PRINTER_KINDS as DRIVER_KINDS
    from devices.printer_specs import open_printer, printer_profiles

    assert {kind for kind, _ in PRINTER_KINDS} == {kind.key for kind in DRIVER_KINDS}
    labels = [text for _, text in PRINTER_KINDS] + [text for _, text in PRINT_MODES]
    assert all(labels) and len(set(labels)) == len(labels)
    targets = {"network": "192.168.0.50", "usb": "04b8:0202", "file": str(tmp_path / "lp"),
               "serial": "/dev/ttyS0", "simulated": ""}
    for kind, _ in PRINTER_KINDS:
        for paper in PAPER_WIDTHS:
            for mode, _ in PRINT_MODES:
                profile = printer_profiles(paper)[0].name if kind != "simulated" else ""
                choice = PrinterChoice(kind, targets[kind], profile, paper, mode)
                spec = printer_spec(choice)
                assert spec.startswith(kind) and open_printer(spec)
                back = parse_printer(spec)
                assert (back.kind, back.paper) == (kind, paper)
                if kind != "simulated":
                    assert (back.profile, back.mode) == (profile, mode)


# -- the receipt options ----------------------------------------------------------------------


@pytest.mark.ui
def test_settings_screen_sets_the_receipts_lines_and_store_copies(qtbot, tmp_path):
    settings = Settings(tmp_path / "home")
    bus = EventBus()
    ops = SettingsOps(settings, bus)
    screen = SettingsScreen(screen_context(bus, settings=ops))
    qtbot.addWidget(screen)
    screen.show()
    config = settings.home / "config.toml"
    assert not screen.store_copy.isChecked() and screen.header_lines.toPlainText() == ""

    screen.header_lines.setPlainText("東京都渋谷区道玄坂二丁目１０番７号 新大宗ビル\nTEL 03-3461-0925")
    qtbot.mouseClick(screen.save_receipt_button, LEFT)
    assert screen.message.objectName() == "message_error"
    assert "店舗名の下の行「東京都渋谷区道玄坂二丁目１０番７号 新大宗ビル」は 58 mm 幅のレシートの" \
        "1行に入りません。全角でおよそ 15 文字までにしてください" == screen.message.text()
    assert not config.exists()  # nothing kept while a line is wrong

    screen.header_lines.setPlainText("  東京都渋谷区道玄坂2-10-7\n\nTEL 03-3461-0925  \n")
    screen.footer_line.setText("ありがとう🙏")
    qtbot.mouseClick(screen.save_receipt_button, LEFT)
    assert "「🙏」はレシートに印字できません" in screen.message.text()

    screen.footer_line.setText("このレシートは返品時に必要です")
    qtbot.mouseClick(screen.store_copy, LEFT)
    qtbot.mouseClick(screen.save_receipt_button, LEFT)
    assert screen.message.objectName() == "message_info"
    assert "次に起動したときから印字されます" in screen.message.text()
    saved = tomllib.loads(config.read_text(encoding="utf-8"))
    assert saved["receipt"] == {"header_lines": "東京都渋谷区道玄坂2-10-7\nTEL 03-3461-0925",
                                "footer_line": "このレシートは返品時に必要です",
                                "store_copy": True}  # only what changed is written
    assert screen.header_lines.toPlainText() == "東京都渋谷区道玄坂2-10-7\nTEL 03-3461-0925"
    qtbot.mouseClick(screen.save_receipt_button, LEFT)
    assert screen.message.text() == "変更はありません"

    # Opened again (the next start), the form shows what was kept.
    again = SettingsScreen(screen_context(bus, settings=SettingsOps(Settings.load(settings.home),
                                                                    bus)))
    qtbot.addWidget(again)
    assert again.store_copy.isChecked() and not again.store_copy_sales.isChecked()
    assert again.footer_line.text() == "このレシートは返品時に必要です"
    again.ops.close()
    ops.close()


def test_receipt_form_is_checked_whole_before_anything_is_saved(settings_ops):
    from desktop.flows.settings_ops import ReceiptView
    from desktop.receipts import ReceiptOptions, receipt_options

    ops, seen, _, _, settings = settings_ops
    view = ops.receipt_view()
    assert view == ReceiptView("たまる商店 本店", "", "", False, False)
    for bad, says in (
            (ReceiptView("", "", "", False, False), "店舗名を入力してください"),
            (ReceiptView("本店", "1\n2\n3\n4\n5", "", True, False), "4 行まで"),
            (ReceiptView("本店", "TEL 03-3461-0925", "ご来店ありがとうございました。またどうぞ",
                         True, True), "レシート下部の一行"),
    ):
        with pytest.raises(SettingsError) as caught:
            ops.save_receipt(bad)
        assert says in str(caught.value)
    assert not (settings.home / "config.toml").exists() and seen == []
    changed = ops.save_receipt(ReceiptView("たまる商店 本店", "TEL 03-3461-0925", "", True, True))
    assert changed == ["receipt.header_lines", "receipt.store_copy", "receipt.store_copy_sales"]
    # What the print queue will get at the next start.
    assert receipt_options(Settings.load(settings.home)) == ReceiptOptions(
        ("TEL 03-3461-0925",), "", frozenset({"return", "adjust", "sale"}))
    ops.set_receipt_option("receipt.footer_line", "  またどうぞ ")
    assert settings.get("receipt.footer_line") == "またどうぞ"
    with pytest.raises(TypeError):
        ops.set_receipt_option("receipt.store_copy", "yes")
