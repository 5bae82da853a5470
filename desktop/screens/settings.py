"""The settings screen for managers (F9), in tabs: the devices (choose, test, save), the
receipt (the store name, the lines under it such as the address and phone, a footer line,
and a copy for the store of returns, adjustments and optionally sales) and the language, the POS link (its port, its drop folder, its token masked with
copy and 再発行), and HQ (where it is, and registering again with a provisioning code,
`desktop.screens.provision.ProvisionDialog`).

Over `desktop.flows.settings_ops.SettingsOps` (from the shell's services); device checks
run on the ops' own thread and their results arrive through a relay. In the running
application a test of the device in use borrows the register's reader or uses its
printer, so neither is opened twice. Changes to devices, language and the POS link apply
at the next start, and the screen says so (the receipt options too: the print queue
takes them when the register starts); every tab scrolls, so the screen fits the
counter display whatever a tab holds.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.settings_ops import EVENTS, LANGUAGES, ReceiptView, SettingsOps
from desktop.i18n import core
from desktop.receipts.options import ABOUT_FULL_WIDTH, MAX_HEADER_LINES
from desktop.screens.base import EventRelay, Screen, ShellContext, label, panel
from desktop.screens.provision import ProvisionDialog
from desktop.screens.settings_devices import DevicesPanel, show_state
from desktop.settings import SettingsError
from devices.printer_status import PrinterStatus

ROTATE_CONFIRM_MS = 5000  # 再発行 asks once more, for this long


def _scrolled(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def _section(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = panel()
    v = QVBoxLayout(frame)
    v.setContentsMargins(12, 8, 12, 8)
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
        self._choices_asked = False
        v = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setStyleSheet("QTabBar::tab { min-height: 40px; min-width: 150px; "
                                "font-size: 16px; }")
        self.devices = DevicesPanel(self.ops, tap=self._simulated_tap(),
                                    show_message=self.show_message)
        self.tabs.addTab(_scrolled(self.devices), self.tr("機器"))
        self.tabs.addTab(_scrolled(self._display_tab()), self.tr("レシートと表示"))
        self.tabs.addTab(_scrolled(self._poslink_tab()), self.tr("POS 連携"))
        self.tabs.addTab(_scrolled(self._hq_tab()), self.tr("HQ"))
        v.addWidget(self.tabs, 1)
        self.message = label("", "message_info")
        v.addWidget(self.message)

    # -- layout -----------------------------------------------------------------------

    def _display_tab(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        box, b = _section(self.tr("表示言語"))
        row = QHBoxLayout()
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.ops.language())))
        self.save_language_button = QPushButton(self.tr("保存"))
        self.save_language_button.clicked.connect(self.save_language)
        row.addWidget(self.language, 1)
        row.addWidget(self.save_language_button)
        b.addLayout(row)
        b.addWidget(label(self.tr("画面の言語は、次にアプリを起動したときから切り替わります。"
                                  "レシートはお客様のため日本語で印字します"), "hint"))
        v.addWidget(box)

        v.addWidget(self._receipt_box())
        v.addStretch(1)
        return page

    def _receipt_box(self) -> QFrame:
        box, b = _section(self.tr("レシート"))
        saved = self.ops.receipt_view()
        form = QGridLayout()
        self.store_name = QLineEdit(saved.store_name)
        self.store_name.setObjectName("small")
        self.header_lines = QPlainTextEdit(saved.header_lines)
        self.header_lines.setObjectName("small")
        self.header_lines.setTabChangesFocus(True)
        self.header_lines.setPlaceholderText(self.tr("例\n東京都渋谷区道玄坂2-10-7\nTEL 03-3461-0925"))
        self.header_lines.setFixedHeight(self.header_lines.fontMetrics().lineSpacing()
                                         * (MAX_HEADER_LINES + 1) + 12)
        self.footer_line = QLineEdit(saved.footer_line)
        self.footer_line.setObjectName("small")
        self.footer_line.setPlaceholderText(self.tr("例 レシートは大切に保管してください"))
        rows = ((self.tr("店舗名"), self.store_name),
                (self.tr("店舗名の下の行（住所・電話番号など）"), self.header_lines),
                (self.tr("レシート下部の一行"), self.footer_line))
        for i, (text, widget) in enumerate(rows):
            form.addWidget(label(text), i, 0, Qt.AlignmentFlag.AlignTop)
            form.addWidget(widget, i, 1)
        form.setColumnStretch(1, 1)
        b.addLayout(form)
        self.store_copy = QCheckBox(self.tr("返品とポイント調整のレシートは、お店控えも印字する"))
        self.store_copy.setChecked(saved.store_copy)
        self.store_copy_sales = QCheckBox(self.tr("お買上げのレシートも、お店控えを印字する"))
        self.store_copy_sales.setChecked(saved.store_copy_sales)
        b.addWidget(self.store_copy)
        b.addWidget(self.store_copy_sales)
        row = QHBoxLayout()
        self.save_receipt_button = QPushButton(self.tr("レシートの設定を保存"))
        self.save_receipt_button.clicked.connect(self.save_receipt)
        row.addWidget(self.save_receipt_button)
        row.addStretch(1)
        b.addLayout(row)
        b.addWidget(label(self.tr(
            "店舗名はレシートの一番上に大きく印字されます。その下の行は {lines} 行まで、各行と"
            "下部の一行は 58 mm 幅のレシートの1行に入る長さ（全角でおよそ {full} 文字）までです。"
            "お店控えは「お店控え」と印字され、お客様のレシートの後に出ます。次に起動したときから"
            "使われます。お礼の言葉などポイントプログラムのメッセージは、本部のプログラムで"
            "決まります").format(lines=MAX_HEADER_LINES, full=ABOUT_FULL_WIDTH), "hint"))
        return box

    def _poslink_tab(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        box, b = _section(self.tr("POS 連携"))
        b.addWidget(label(self.tr("POS レジから売上を受け取り、会員のポイントと値引きを返します。"
                                  "使わないときはポートを 0、フォルダを空にします"), "hint"))
        form = QGridLayout()
        view = self.ops.poslink_view()
        self.pos_port = QLineEdit(str(view.port))
        self.pos_port.setObjectName("small")
        self.pos_port.setPlaceholderText(self.tr("例 8473（0 なら使わない）"))
        self.pos_dir = QLineEdit(view.drop_dir)
        self.pos_dir.setObjectName("small")
        self.pos_dir.setPlaceholderText(self.tr("例 /srv/pos-drop（空なら使わない）"))
        form.addWidget(label(self.tr("HTTP API のポート（127.0.0.1）"), wrap=False), 0, 0)
        form.addWidget(self.pos_port, 0, 1)
        form.addWidget(label(self.tr("受け渡しフォルダ"), wrap=False), 1, 0)
        form.addWidget(self.pos_dir, 1, 1)
        form.setColumnStretch(1, 1)
        b.addLayout(form)
        row = QHBoxLayout()
        self.pos_save = QPushButton(self.tr("保存"))
        self.pos_save.clicked.connect(self.save_poslink)
        row.addWidget(self.pos_save)
        self.pos_state = label("", "hint")
        row.addWidget(self.pos_state, 1)
        b.addLayout(row)
        v.addWidget(box)

        box, b = _section(self.tr("連携トークン"))
        b.addWidget(label(self.tr("POS がこのレジに接続するときの合言葉です。画面には表示しません。"
                                  "「コピー」で POS の設定に貼り付けてください"), "hint"))
        row = QHBoxLayout()
        self.token_label = label("", "total", wrap=False)
        row.addWidget(self.token_label, 1)
        self.copy_token = QPushButton(self.tr("コピー"))
        self.copy_token.clicked.connect(self.copy_poslink_token)
        self.rotate_token = QPushButton(self.tr("再発行"))
        self.rotate_token.setObjectName("secondary")
        self.rotate_token.clicked.connect(self.rotate_poslink_token)
        row.addWidget(self.copy_token)
        row.addWidget(self.rotate_token)
        b.addLayout(row)
        self._rotate_armed = False
        v.addWidget(box)
        v.addStretch(1)
        self.show_poslink()
        return page

    def _hq_tab(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        box, b = _section(self.tr("HQ（本部サーバー）"))
        self.hq_address = label(core(self.ops.hq_address()))
        self.hq_address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        b.addWidget(self.hq_address)
        b.addWidget(label(self.tr("HQ のアドレスを変えるとき、またはレジを登録し直すときは、"
                                  "本部から受け取ったコードで初期設定を行います。"), "hint"))
        self.provision_button = QPushButton(self.tr("初期設定（プロビジョニング）"))
        self.provision_button.clicked.connect(self.ops.request_provision)
        b.addWidget(self.provision_button)
        v.addWidget(box)
        v.addStretch(1)
        return page

    # -- shell hooks --------------------------------------------------------------------

    def activated(self) -> None:
        self.hq_address.setText(core(self.ops.hq_address()))
        self.show_poslink()
        if not self._choices_asked:
            self._choices_asked = True  # the readers, ports and models this PC has
            self.ops.choices()
            self.devices.load_cameras()

    def deactivated(self) -> None:
        self.devices.stop_camera()
        self.devices.awaiting_scan = False

    def can_leave(self) -> bool:
        return True

    def handle_scan(self, text: str) -> bool:
        """A scan while a scanner test waits is the test's; otherwise not this screen's."""
        return self.devices.scanned(text)

    def _simulated_tap(self) -> Any:
        cards = self.ctx.services.cards
        return getattr(cards, "tap", None) if cards is not None else None

    # -- actions ----------------------------------------------------------------------

    def save_language(self) -> None:
        try:
            self.ops.set_language(str(self.language.currentData()))
        except SettingsError as exc:
            self.show_message(core(exc), False)

    def receipt_form(self) -> ReceiptView:
        return ReceiptView(self.store_name.text(), self.header_lines.toPlainText(),
                           self.footer_line.text(), self.store_copy.isChecked(),
                           self.store_copy_sales.isChecked())

    def save_receipt(self) -> None:
        try:
            changed = self.ops.save_receipt(self.receipt_form())
        except SettingsError as exc:
            self.show_message(core(exc), False)
            return
        saved = self.ops.receipt_view()  # as kept: trimmed, blank lines dropped
        self.header_lines.setPlainText(saved.header_lines)
        self.footer_line.setText(saved.footer_line)
        self.store_name.setText(saved.store_name)
        self.show_message(self.tr("レシートの設定を保存しました。次に起動したときから印字されます")
                          if changed else self.tr("変更はありません"), True)

    def save_poslink(self) -> None:
        try:
            self.ops.save_poslink(self.pos_port.text(), self.pos_dir.text())
        except SettingsError as exc:
            self.show_message(core(exc), False)
            return
        self.show_message(self.tr("POS 連携の設定を保存しました。次にアプリを起動したときから"
                                  "使われます"), True)

    def show_poslink(self) -> None:
        view = self.ops.poslink_view()
        if view.running and view.url:
            self.pos_state.setText(self.tr("連携中: {url}").format(url=view.url))
        elif view.running:
            self.pos_state.setText(self.tr("連携中（受け渡しフォルダ）"))
        else:
            self.pos_state.setText(self.tr("今は連携していません"))
        self.token_label.setText(self.tr("●●●●●●●●…{last}").format(last=view.token_hint)
                                 if view.has_token else self.tr("（まだ発行されていません）"))
        self.copy_token.setEnabled(view.has_token)

    def copy_poslink_token(self) -> None:
        token = self.ops.poslink_token()
        clipboard = QGuiApplication.clipboard()
        if token and clipboard is not None:
            clipboard.setText(token)
            self.show_message(self.tr("トークンをコピーしました。POS の設定に貼り付けてください"), True)

    def rotate_poslink_token(self) -> None:
        """再発行, asked twice: the POS stops connecting until it gets the new token."""
        if not self._rotate_armed:
            self._rotate_armed = True
            self.rotate_token.setText(self.tr("本当に再発行する"))
            self.show_message(self.tr("再発行すると今のトークンはすぐに使えなくなります。"
                                      "もう一度押すと再発行します"), False)
            QTimer.singleShot(ROTATE_CONFIRM_MS, self._disarm_rotate)
            return
        self._disarm_rotate()
        self.ops.rotate_poslink_token()
        self.show_poslink()
        self.show_message(self.tr("トークンを再発行しました。新しいトークンをコピーして POS に"
                                  "設定してください"), True)

    def _disarm_rotate(self) -> None:
        self._rotate_armed = False
        self.rotate_token.setText(self.tr("再発行"))

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        d = self.devices
        if name == "settings_read_result":
            d.result(d.read_result, args[0])
            d.read_button.setEnabled(True)
            d.demo_tap.setVisible(False)
        elif name == "settings_print_result":
            d.result(d.print_result, args[0])
            d.print_button.setEnabled(True)
        elif name == "settings_scan_result":
            d.result(d.scan_result, args[0])
            d.scan_button.setEnabled(True)
        elif name == "settings_printer_status":
            status: PrinterStatus = args[0]
            show_state(d.status_result, status.ready)
            d.status_result.setText(self.tr("状態: {m}").format(m=core(status.message)))
            d.status_button.setEnabled(True)
        elif name == "settings_choices":
            d.show_choices(args[0])
        elif name == "settings_saved":
            self.show_message(self.tr("保存しました"), True)
        elif name == "language_changed":
            self.show_message(self.tr("保存しました。画面の言語は次に起動したときから切り替わります"),
                              True)
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

    def show_message(self, text: str, ok: bool) -> None:
        show_state(self.message, ok)
        self.message.setText(text)
