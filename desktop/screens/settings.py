"""The settings screen for managers (F9): check the card reader and the printer, choose
the language and what the receipt prints, see which HQ the register talks to, and
register again with a provisioning code (`desktop.screens.provision.ProvisionDialog`).

Over `desktop.flows.settings_ops.SettingsOps` (from the shell's services); device checks
run on the ops' own thread and their results arrive through a relay. In the running
application the test read borrows the register's reader and the test print uses its
printer, so neither is opened twice.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.settings_ops import EVENTS, LANGUAGES, CheckResult, SettingsOps
from desktop.i18n import core
from desktop.screens.base import EventRelay, Screen, ShellContext, label, panel, restyle
from desktop.screens.provision import ProvisionDialog
from desktop.settings import SettingsError
from devices.printer_status import PrinterStatus

DEMO_TEST_CARD = "04E1E2E3E4E5E6"  # the simulated reader's test card (no member has it)


def _show_state(widget: QLabel, ok: bool | None) -> None:
    restyle(widget, {True: "message_info", False: "message_error", None: "hint"}[ok])


def _panel(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = panel()
    v = QVBoxLayout(frame)
    v.addWidget(label(title, "heading"))
    return frame, v


class SettingsScreen(Screen):
    screen_id = "settings"
    title = QT_TRANSLATE_NOOP("Screens", "設定")
    manager_only = True

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.ops: SettingsOps = ctx.services.settings
        self.provision_dialog: ProvisionDialog | None = None
        self.setWindowTitle(self.tr("設定"))
        self._relay = EventRelay(ctx.services.events, EVENTS, self)
        self._relay.fired.connect(self._on_event)
        grid = QGridLayout(self)
        grid.addWidget(self._reader_panel(), 0, 0)
        grid.addWidget(self._printer_panel(), 0, 1)
        grid.addWidget(self._display_panel(), 1, 0)
        grid.addWidget(self._hq_panel(), 1, 1)
        grid.setRowStretch(2, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.message = label("", "message_info")
        grid.addWidget(self.message, 3, 0, 1, 2)

    # -- layout -----------------------------------------------------------------------

    def _reader_panel(self) -> QFrame:
        panel, v = _panel(self.tr("カードリーダー"))
        v.addWidget(label(self.tr("設定: {spec}").format(spec=self.ops.device_specs()["reader"]),
                           "hint"))
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
        v.addStretch(1)
        return panel

    def _printer_panel(self) -> QFrame:
        panel, v = _panel(self.tr("レシートプリンター"))
        v.addWidget(label(self.tr("設定: {spec}").format(
            spec=self.ops.device_specs()["printer"]), "hint"))
        row = QHBoxLayout()
        self.print_button = QPushButton(self.tr("テスト印字"))
        self.print_button.clicked.connect(self.test_print)
        self.status_button = QPushButton(self.tr("状態を確認"))
        self.status_button.clicked.connect(self.printer_status)
        row.addWidget(self.print_button)
        row.addWidget(self.status_button)
        v.addLayout(row)
        self.print_result = label("", "hint")
        self.status_result = label("", "hint")
        v.addWidget(self.print_result)
        v.addWidget(self.status_result)
        v.addStretch(1)
        return panel

    def _display_panel(self) -> QFrame:
        panel, v = _panel(self.tr("表示とレシート"))
        form = QGridLayout()
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.ops.language())))
        save_language = QPushButton(self.tr("保存"))
        save_language.clicked.connect(self.save_language)
        form.addWidget(label(self.tr("表示言語")), 0, 0)
        form.addWidget(self.language, 0, 1)
        form.addWidget(save_language, 0, 2)
        self.options: dict[str, QLineEdit] = {}
        for i, option in enumerate(self.ops.receipt_options(), start=1):
            edit = QLineEdit(str(option.value))
            edit.setObjectName("small")
            edit.setToolTip(option.description)
            save = QPushButton(self.tr("保存"))
            save.clicked.connect(lambda _=False, k=option.key: self.save_option(k))
            name = self.tr("レシートの店舗名") if option.key == "register.store_name" \
                else option.description
            form.addWidget(label(name), i, 0)
            form.addWidget(edit, i, 1)
            form.addWidget(save, i, 2)
            self.options[option.key] = edit
        form.setColumnStretch(1, 1)
        v.addLayout(form)
        v.addWidget(label(self.tr("表示言語は次に起動したときから切り替わります"), "hint"))
        v.addStretch(1)
        return panel

    def _hq_panel(self) -> QFrame:
        panel, v = _panel(self.tr("HQ（本部サーバー）"))
        self.hq_address = label(self.ops.hq_address())
        self.hq_address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.hq_address)
        v.addWidget(label(self.tr("HQ のアドレスを変えるとき、またはレジを登録し直すときは、"
                                   "本部から受け取ったコードで初期設定を行います。"), "hint"))
        self.provision_button = QPushButton(self.tr("初期設定（プロビジョニング）"))
        self.provision_button.clicked.connect(self.ops.request_provision)
        v.addWidget(self.provision_button)
        v.addStretch(1)
        return panel

    # -- actions ----------------------------------------------------------------------

    def activated(self) -> None:
        self.hq_address.setText(self.ops.hq_address())

    def can_leave(self) -> bool:
        return True

    def handle_scan(self, text: str) -> bool:
        return False

    def _simulated_tap(self) -> Any:
        cards = self.ctx.services.cards
        return getattr(cards, "tap", None) if cards is not None else None

    def tap_demo_card(self) -> None:
        tap = self._simulated_tap()
        if tap is not None:
            tap(DEMO_TEST_CARD)

    def test_read(self) -> None:
        self.demo_tap.setVisible(self._simulated_tap() is not None)
        self.read_button.setEnabled(False)
        _show_state(self.read_result, None)
        self.read_result.setText(self.tr("カードをリーダーにタッチしてください…"))
        self.ops.test_read()

    def test_print(self) -> None:
        self.print_button.setEnabled(False)
        _show_state(self.print_result, None)
        self.print_result.setText(self.tr("印刷しています…"))
        self.ops.test_print()

    def printer_status(self) -> None:
        self.status_button.setEnabled(False)
        _show_state(self.status_result, None)
        self.status_result.setText(self.tr("確認しています…"))
        self.ops.printer_status()

    def save_language(self) -> None:
        try:
            self.ops.set_language(str(self.language.currentData()))
        except SettingsError as exc:
            self.show_message(core(exc), False)

    def save_option(self, key: str) -> None:
        try:
            self.ops.set_receipt_option(key, self.options[key].text())
        except SettingsError as exc:
            self.show_message(core(exc), False)

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "settings_read_result":
            self._result(self.read_result, args[0])
            self.read_button.setEnabled(True)
            self.demo_tap.setVisible(False)
        elif name == "settings_print_result":
            self._result(self.print_result, args[0])
            self.print_button.setEnabled(True)
        elif name == "settings_printer_status":
            status: PrinterStatus = args[0]
            _show_state(self.status_result, status.ready)
            self.status_result.setText(self.tr("状態: {m}").format(m=core(status.message)))
            self.status_button.setEnabled(True)
        elif name == "settings_saved":
            self.show_message(self.tr("保存しました"), True)
        elif name == "language_changed":
            self.show_message(self.tr("保存しました。次に起動したときから切り替わります"), True)
        elif name == "provision_requested":
            self.provision()

    def provision(self) -> ProvisionDialog:
        """The first-run dialog, over this screen (not blocking: the register keeps
        syncing meanwhile); the new HQ and token take effect at the next start."""
        s = self.ops.settings
        dialog = ProvisionDialog(s.home, hq_url=s.get("hq.url"),
                                 device_id=s.get("register.device_id"),
                                 store_id=s.get("register.store_id"), parent=self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(lambda code: self._provisioned(dialog, code))
        self.provision_dialog = dialog
        dialog.open()
        return dialog

    def _provisioned(self, dialog: ProvisionDialog, code: int) -> None:
        self.provision_dialog = None
        dialog.deleteLater()
        activation = dialog.activation
        if code != QDialog.DialogCode.Accepted or activation is None:
            return
        self.hq_address.setText(activation.hq_url)
        self.show_message(self.tr("レジ {device} として {url} に登録しました。"
                                  "アプリを再起動すると新しい HQ に接続します").format(
            device=activation.device_id, url=activation.hq_url), True)

    def _result(self, target: QLabel, result: CheckResult) -> None:
        _show_state(target, result.ok)
        text = core(result.message)
        if result.ok and result.detail:
            text += self.tr("　カード番号 {uid}").format(uid=result.detail)
        target.setText(text)

    def show_message(self, text: str, ok: bool) -> None:
        _show_state(self.message, ok)
        self.message.setText(text)
