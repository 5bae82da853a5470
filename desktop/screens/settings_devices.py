"""The settings screen's devices tab: choose the card reader, the receipt printer (kind,
address, model, paper width, text or image), the serial scanner and the camera, test
each one as the form shows it, and save them together for the next start.

The forms turn into spec strings through `desktop.flows.settings_devices`; the checks
run on the settings ops' thread (`desktop.flows.settings_ops`), their results come back
as events the screen passes here. A driver's own options (`devices.<device>_<option>`
settings) are listed under 詳細設定 with their descriptions, with no code of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.flows.settings_devices import (
    ADDRESS_HINTS,
    BAUD_RATES,
    CHOICES_CONTEXT,
    PAPER_WIDTHS,
    PRINT_MODES,
    PRINTER_KINDS,
    SCANNER_KINDS,
    TERMINATORS,
    PrinterChoice,
    ScannerChoice,
    parse_printer,
    parse_scanner,
    printer_spec,
    reader_spec,
    scanner_spec,
)
from desktop.flows.settings_ops import CheckResult, DeviceChoices, SettingsOps
from desktop.i18n import core
from desktop.screens.base import label, panel, restyle
from desktop.settings import DESCRIPTION_CONTEXT, SettingsError

DEMO_TEST_CARD = "04E1E2E3E4E5E6"  # the simulated reader's test card (no member has it)
CAMERA_TEST_S = 30  # a camera test stops by itself after this


def show_state(widget: QLabel, ok: bool | None) -> None:
    restyle(widget, {True: "message_info", False: "message_error", None: "hint"}[ok])


def _choice(source: str) -> str:
    return QCoreApplication.translate(CHOICES_CONTEXT, source)


def _combo(items: list[tuple[str, Any]], *, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setObjectName("small")
    box.setEditable(editable)
    for text, data in items:
        box.addItem(text, data)
    return box


def _select(box: QComboBox, data: Any, text: str | None = None) -> None:
    """Select the item with `data`, adding it (as `text`) when the list lacks it."""
    index = box.findData(data)
    if index < 0:
        box.addItem(text if text is not None else str(data), data)
        index = box.count() - 1
    box.setCurrentIndex(index)


class DevicesPanel(QWidget):
    def __init__(self, ops: SettingsOps, *, tap: Callable[[str], None] | None,
                 show_message: Callable[[str, bool], None]) -> None:
        super().__init__()
        self.ops = ops
        self._tap = tap  # the running simulated reader's tap, when there is one
        self._show_message = show_message
        self.awaiting_scan = False  # a scanner test that waits for the screen's next scan
        self.camera: QObject | None = None
        specs = ops.device_specs()
        self._saved = specs
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.addWidget(self._reader_box(specs["reader"]), 0, 0)
        grid.addWidget(self._printer_box(parse_printer(specs["printer"])), 0, 1, 3, 1)
        grid.addWidget(self._scanner_box(parse_scanner(specs["scanner"])), 1, 0)
        grid.addWidget(self._camera_box(specs["camera"]), 2, 0)
        grid.addWidget(self._options_box(), 3, 0, 1, 2)
        save_row = QHBoxLayout()
        self.save_button = QPushButton(self.tr("機器の設定を保存"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        save_row.addWidget(self.save_button)
        save_row.addWidget(label(self.tr("保存した機器は、次にアプリを起動したときから使われます。"
                                         "保存する前に「テスト」で確かめてください"), "hint"), 1)
        grid.addLayout(save_row, 4, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    # -- layout -------------------------------------------------------------------------

    def _box(self, title: str) -> tuple[QWidget, QVBoxLayout]:
        frame = panel()
        v = QVBoxLayout(frame)
        v.setContentsMargins(12, 8, 12, 8)
        v.setSpacing(4)
        v.addWidget(label(title, "heading"))
        return frame, v

    def _reader_box(self, saved: str) -> QWidget:
        frame, v = self._box(self.tr("カードリーダー"))
        self.reader = _combo([], editable=True)
        self.set_readers((saved,))
        v.addWidget(self.reader)
        row = QHBoxLayout()
        self.read_button = QPushButton(self.tr("読み取りテスト"))
        self.read_button.clicked.connect(self.test_read)
        row.addWidget(self.read_button)
        # The simulated reader has no card to hold up to it: a button taps one.
        self.demo_tap = QPushButton(self.tr("デモ用カードをタッチ"))
        self.demo_tap.setObjectName("secondary")
        self.demo_tap.clicked.connect(self.tap_demo_card)
        self.demo_tap.setVisible(False)
        row.addWidget(self.demo_tap)
        row.addStretch(1)
        v.addLayout(row)
        self.read_result = label("", "hint")
        v.addWidget(self.read_result)
        return frame

    def _reader_label(self, spec: str) -> str:
        head = spec.partition("?")[0]
        if head == "simulated":
            return self.tr("デモ用リーダー（画面のボタンでタッチ）")
        if head == "pcsc":
            return self.tr("IC カードリーダー（最初に接続されたもの）")
        if head.startswith("pcsc:"):
            return self.tr("IC カードリーダー: {name}").format(name=head.removeprefix("pcsc:"))
        return spec

    def set_readers(self, specs: tuple[str, ...]) -> None:
        current = self.reader.currentData() or self._saved["reader"]
        self.reader.clear()
        for spec in dict.fromkeys((*specs, self._saved["reader"])):
            self.reader.addItem(self._reader_label(spec), spec)
        _select(self.reader, current, self._reader_label(str(current)))

    def _printer_box(self, saved: PrinterChoice) -> QWidget:
        frame, v = self._box(self.tr("レシートプリンター"))
        form = QGridLayout()
        form.setVerticalSpacing(4)
        self.printer_kind = _combo([(_choice(text), kind) for kind, text in PRINTER_KINDS])
        self.printer_address = QLineEdit(saved.address)
        self.printer_address.setObjectName("small")
        self.printer_profile = _combo([(self.tr("標準（機種を指定しない）"), "")], editable=True)
        self.paper = _combo([(self.tr("{mm} mm").format(mm=mm), mm) for mm in PAPER_WIDTHS])
        self.print_mode = _combo([(_choice(text), mode) for mode, text in PRINT_MODES])
        self.printer_baud = _combo([(f"{b:,} bps", b) for b in BAUD_RATES])
        rows = ((self.tr("接続"), self.printer_kind), (self.tr("アドレス"), self.printer_address),
                (self.tr("機種"), self.printer_profile), (self.tr("用紙の幅"), self.paper),
                (self.tr("印刷方式"), self.print_mode), (self.tr("通信速度"), self.printer_baud))
        self.printer_labels: dict[QWidget, QLabel] = {}
        for i, (text, widget) in enumerate(rows):
            name = label(text, wrap=False)
            form.addWidget(name, i, 0)
            form.addWidget(widget, i, 1)
            self.printer_labels[widget] = name
        form.setColumnStretch(1, 1)
        v.addLayout(form)
        _select(self.printer_kind, saved.kind)
        _select(self.printer_profile, saved.profile)
        _select(self.paper, saved.paper)
        _select(self.print_mode, saved.mode)
        _select(self.printer_baud, saved.baud, f"{saved.baud:,} bps")
        self._printer_extra = saved.extra
        self.printer_kind.currentIndexChanged.connect(lambda _i: self._printer_fields())
        self._printer_fields()
        row = QHBoxLayout()
        self.print_button = QPushButton(self.tr("テスト印字"))
        self.print_button.clicked.connect(self.test_print)
        self.status_button = QPushButton(self.tr("状態を確認"))
        self.status_button.clicked.connect(self.printer_status)
        row.addWidget(self.print_button)
        row.addWidget(self.status_button)
        row.addStretch(1)
        v.addLayout(row)
        self.print_result = label("", "hint")
        self.status_result = label("", "hint")
        v.addWidget(self.print_result)
        v.addWidget(self.status_result)
        v.addStretch(1)
        return frame

    def _printer_fields(self) -> None:
        """Only the fields the chosen kind uses, with what its address looks like."""
        kind = str(self.printer_kind.currentData())
        escpos = kind != "simulated"
        # The demo printer keeps the paper width: it shows receipts as that roll prints.
        for widget, shown in ((self.printer_address, escpos), (self.printer_profile, escpos),
                              (self.paper, True), (self.print_mode, escpos),
                              (self.printer_baud, kind == "serial")):
            widget.setVisible(shown)
            self.printer_labels[widget].setVisible(shown)
        hint = ADDRESS_HINTS.get(kind, "")
        self.printer_address.setPlaceholderText(_choice(hint) if hint else "")

    def _scanner_box(self, saved: ScannerChoice) -> QWidget:
        frame, v = self._box(self.tr("シリアルスキャナー"))
        form = QGridLayout()
        self.scanner_kind = _combo([(_choice(text), kind) for kind, text in SCANNER_KINDS])
        self.scanner_port = _combo([], editable=True)
        self.scanner_port.setEditText(saved.port)
        editor = self.scanner_port.lineEdit()
        if editor is not None:
            editor.setPlaceholderText(self.tr("例 /dev/ttyACM0 または COM3"))
        self.scanner_baud = _combo([(f"{b:,} bps", b) for b in BAUD_RATES])
        self.terminator = _combo([(t.upper().replace("CRLF", "CR+LF"), t) for t in TERMINATORS])
        self.scanner_labels: dict[QWidget, QLabel] = {}
        for i, (text, widget) in enumerate(((self.tr("接続"), self.scanner_kind),
                                            (self.tr("ポート"), self.scanner_port),
                                            (self.tr("通信速度"), self.scanner_baud),
                                            (self.tr("終端文字"), self.terminator))):
            name = label(text, wrap=False)
            form.addWidget(name, i, 0)
            form.addWidget(widget, i, 1)
            self.scanner_labels[widget] = name
        form.setColumnStretch(1, 1)
        v.addLayout(form)
        _select(self.scanner_kind, saved.kind)
        _select(self.scanner_baud, saved.baud, f"{saved.baud:,} bps")
        _select(self.terminator, saved.terminator)
        self.scanner_kind.currentIndexChanged.connect(lambda _i: self._scanner_fields())
        self._scanner_fields()
        row = QHBoxLayout()
        self.scan_button = QPushButton(self.tr("読み取りテスト"))
        self.scan_button.clicked.connect(self.test_scan)
        row.addWidget(self.scan_button)
        row.addStretch(1)
        v.addLayout(row)
        self.scan_result = label("", "hint")
        v.addWidget(self.scan_result)
        return frame

    def _scanner_fields(self) -> None:
        serial = self.scanner_kind.currentData() == "serial"
        for widget in (self.scanner_port, self.scanner_baud, self.terminator):
            widget.setVisible(serial)
            self.scanner_labels[widget].setVisible(serial)

    def _camera_box(self, saved: str) -> QWidget:
        frame, v = self._box(self.tr("カメラ（会員アプリの QR）"))
        self.camera_choice = _combo([(self.tr("使わない"), ""),
                                     (self.tr("既定のカメラ"), "default")])
        # The cameras are listed when the screen is first shown (`load_cameras`): loading
        # QtMultimedia at start-up would slow every counter's start.
        _select(self.camera_choice, saved)
        v.addWidget(self.camera_choice)
        row = QHBoxLayout()
        self.camera_button = QPushButton(self.tr("カメラのテスト"))
        self.camera_button.clicked.connect(self.test_camera)
        row.addWidget(self.camera_button)
        row.addStretch(1)
        v.addLayout(row)
        self.camera_result = label("", "hint")
        v.addWidget(self.camera_result)
        return frame

    def load_cameras(self) -> None:
        current = self.camera_choice.currentData()
        for name in self._camera_names():
            if self.camera_choice.findData(name) < 0:
                self.camera_choice.addItem(name, name)
        _select(self.camera_choice, current)

    @staticmethod
    def _camera_names() -> list[str]:
        try:
            from desktop.camera_scan import load_multimedia
        except ImportError:
            return []
        multimedia = load_multimedia()
        if multimedia is None:
            return []
        return [device.description() for device in multimedia.QMediaDevices.videoInputs()]

    def _options_box(self) -> QWidget:
        frame, v = self._box(self.tr("詳細設定"))
        self.options: dict[str, QLineEdit] = {}
        options = self.ops.device_options()
        if not options:
            v.addWidget(label(self.tr("この機器構成には詳細設定はありません"), "hint"))
        grid = QGridLayout()
        for i, option in enumerate(options):
            edit = QLineEdit(str(option.value))
            edit.setObjectName("small")
            save = QPushButton(self.tr("保存"))
            save.clicked.connect(lambda _=False, k=option.key: self.save_option(k))
            grid.addWidget(label(QCoreApplication.translate(DESCRIPTION_CONTEXT,
                                                            option.description)), i, 0)
            grid.addWidget(edit, i, 1)
            grid.addWidget(save, i, 2)
            self.options[option.key] = edit
        grid.setColumnStretch(0, 1)
        v.addLayout(grid)
        frame.setVisible(bool(options))
        return frame

    # -- what the forms say ---------------------------------------------------------------

    def pending_reader(self) -> str:
        chosen = self.reader.currentData() if self.reader.currentText() == \
            self.reader.itemText(self.reader.currentIndex()) else self.reader.currentText()
        return reader_spec(str(chosen or ""), self._saved["reader"])

    def printer_choice(self) -> PrinterChoice:
        return PrinterChoice(
            kind=str(self.printer_kind.currentData()), address=self.printer_address.text(),
            profile=str(self.printer_profile.currentData() or "")
            if self.printer_profile.currentText() == self.printer_profile.itemText(
                self.printer_profile.currentIndex()) else self.printer_profile.currentText(),
            paper=int(self.paper.currentData()), mode=str(self.print_mode.currentData()),
            baud=int(self.printer_baud.currentData()), extra=self._printer_extra)

    def pending_printer(self) -> str:
        return printer_spec(self.printer_choice())

    def pending_scanner(self) -> str:
        return scanner_spec(ScannerChoice(
            kind=str(self.scanner_kind.currentData()), port=self.scanner_port.currentText(),
            baud=int(self.scanner_baud.currentData()),
            terminator=str(self.terminator.currentData())))

    def pending_camera(self) -> str:
        return str(self.camera_choice.currentData() or "")

    # -- tests and saving -----------------------------------------------------------------

    def test_read(self) -> None:
        spec = self.pending_reader()
        # Only the running reader can be tapped from the screen (the check borrows it).
        self.demo_tap.setVisible(self._tap is not None and spec == self._saved["reader"]
                                 and spec.startswith("simulated"))
        self.read_button.setEnabled(False)
        show_state(self.read_result, None)
        self.read_result.setText(self.tr("カードをリーダーにタッチしてください…"))
        self.ops.test_read(spec=spec)

    def tap_demo_card(self) -> None:
        if self._tap is not None:
            self._tap(DEMO_TEST_CARD)

    def _printer_spec_or_say(self, target: QLabel) -> str | None:
        try:
            return self.pending_printer()
        except SettingsError as exc:
            show_state(target, False)
            target.setText(core(exc))
            return None

    def test_print(self) -> None:
        spec = self._printer_spec_or_say(self.print_result)
        if spec is None:
            return
        self.print_button.setEnabled(False)
        show_state(self.print_result, None)
        self.print_result.setText(self.tr("印刷しています…"))
        self.ops.test_print(spec)

    def printer_status(self) -> None:
        spec = self._printer_spec_or_say(self.status_result)
        if spec is None:
            return
        self.status_button.setEnabled(False)
        show_state(self.status_result, None)
        self.status_result.setText(self.tr("確認しています…"))
        self.ops.printer_status(spec)

    def test_scan(self) -> None:
        try:
            spec = self.pending_scanner()
        except SettingsError as exc:
            show_state(self.scan_result, False)
            self.scan_result.setText(core(exc))
            return
        show_state(self.scan_result, None)
        if spec == "" or spec == self._saved["scanner"]:
            # The wedge and the running serial scanner send their codes to the screen
            # shown: the next one that reaches this screen is the test's.
            self.awaiting_scan = True
            self.scan_result.setText(self.tr("スキャナーでバーコードを読み取ってください…"))
            return
        self.scan_button.setEnabled(False)
        self.scan_result.setText(self.tr("スキャナーでバーコードを読み取ってください…"))
        self.ops.test_scan(spec)

    def scanned(self, text: str) -> bool:
        """A code reached the screen: the scanner test's, if one waits for it."""
        if not self.awaiting_scan:
            return False
        self.awaiting_scan = False
        show_state(self.scan_result, True)
        self.scan_result.setText(self.tr("読み取りました: {code}").format(code=text.strip()))
        return True

    def test_camera(self) -> None:
        self.stop_camera()
        setting = self.pending_camera()
        if not setting:
            show_state(self.camera_result, None)
            self.camera_result.setText(self.tr("カメラは使わない設定です"))
            return
        try:
            from desktop.camera_scan import PROBLEMS, camera_from_setting
        except ImportError:
            show_state(self.camera_result, False)
            self.camera_result.setText(self.tr("このパソコンにはカメラ読み取りの機能が入っていません"))
            return

        def status(state: object, text: str) -> None:
            show_state(self.camera_result, False if state in PROBLEMS else None)
            self.camera_result.setText(text)

        def scanned(code: str) -> None:
            show_state(self.camera_result, True)
            self.camera_result.setText(self.tr("読み取りました: {code}").format(code=code))
            self.stop_camera()

        try:
            camera = camera_from_setting(setting, parent=self)
        except ValueError as exc:
            show_state(self.camera_result, False)
            self.camera_result.setText(core(exc))
            return
        if camera is None:
            return
        camera.status_changed.connect(status)
        camera.scanned.connect(scanned)
        self.camera = camera
        QTimer.singleShot(CAMERA_TEST_S * 1000, self.stop_camera)

    def stop_camera(self) -> None:
        camera, self.camera = self.camera, None
        stop = getattr(camera, "stop", None)
        if callable(stop):
            stop()

    def save(self) -> None:
        try:
            changed = self.ops.save_devices(self.pending_reader(), self.pending_printer(),
                                            self.pending_scanner(), self.pending_camera())
        except SettingsError as exc:
            self._show_message(core(exc), False)
            return
        self._saved = self.ops.device_specs()
        if changed:
            self._show_message(self.tr("機器の設定を保存しました。次にアプリを起動したときから"
                                       "使われます"), True)
        else:
            self._show_message(self.tr("変更はありません"), True)

    def save_option(self, key: str) -> None:
        try:
            self.ops.set_device_option(key, self.options[key].text())
        except SettingsError as exc:
            self._show_message(core(exc), False)

    # -- results ----------------------------------------------------------------------------

    def show_choices(self, choices: DeviceChoices) -> None:
        self.set_readers(choices.readers)
        port = self.scanner_port.currentText()
        self.scanner_port.clear()
        self.scanner_port.addItems(list(choices.serial_ports))
        self.scanner_port.setEditText(port)
        profile = self.printer_profile.currentData()
        for name, model in choices.profiles:
            if self.printer_profile.findData(name) < 0:
                self.printer_profile.addItem(
                    self.tr("{name}（{model}）").format(name=name, model=model) if model
                    else name, name)
        _select(self.printer_profile, profile)

    def result(self, target: QLabel, result: CheckResult) -> None:
        show_state(target, result.ok)
        text = core(result.message)
        if result.ok and result.detail and target is self.read_result:
            text = self.tr("{message}　カード番号 {uid}").format(message=text, uid=result.detail)
        elif not result.ok and result.detail:
            text = self.tr("{message}（{detail}）").format(message=text, detail=result.detail)
        target.setText(text)
