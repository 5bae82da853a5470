"""The counter screen: member panel, amount entry, receipt preview and sync status.

Widgets only touch widgets: they call the counter flow and react to bridge signals.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QIntValidator, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.app import Register
from desktop.bridge import QtBridge
from desktop.counter import CounterState
from loyalty.quote import QuoteError
from sync.store import MemberView, RecordedSale

STYLE = """
QMainWindow { background: #f4f1ea; }
QLabel#title { font-size: 22px; font-weight: bold; color: #7a3b00; }
QLabel#status_online { color: white; background: #2e7d32; border-radius: 10px; padding: 4px 12px; }
QLabel#status_offline { color: white; background: #c62828; border-radius: 10px; padding: 4px 12px; }
QFrame#panel { background: white; border: 1px solid #d8d2c4; border-radius: 8px; }
QLabel#prompt { font-size: 26px; color: #555; }
QLabel#member_name { font-size: 28px; font-weight: bold; }
QLabel#balance { font-size: 34px; font-weight: bold; color: #7a3b00; }
QLabel#message_error { color: #b71c1c; font-size: 18px; font-weight: bold; }
QLabel#message_info { color: #1b5e20; font-size: 18px; }
QLineEdit { font-size: 26px; padding: 6px; }
QPushButton { font-size: 18px; padding: 10px; }
QPushButton#confirm { background: #e65100; color: white; font-size: 24px; font-weight: bold; }
QPushButton#confirm:disabled { background: #bbb; }
"""


def _label(text: str = "", name: str = "") -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(True)
    return label


class CounterWindow(QMainWindow):
    def __init__(self, register: Register, bridge: QtBridge) -> None:
        super().__init__()
        self.register = register
        self.flow = register.flow
        self.bridge = bridge
        self.setWindowTitle("Tamaru")
        self.setStyleSheet(STYLE)
        self.resize(1180, 760)

        root = QWidget()
        layout = QVBoxLayout(root)
        layout.addLayout(self._top_bar())
        body = QHBoxLayout()
        body.addWidget(self._counter_panel(), 3)
        body.addWidget(self._side_panel(), 2)
        layout.addLayout(body, 1)
        self.setCentralWidget(root)

        bridge.member_shown.connect(self.show_member)
        bridge.counter_message.connect(self.show_message)
        bridge.counter_reset.connect(self.reset)
        bridge.sale_recorded.connect(self.sale_done)
        bridge.receipt_image.connect(self.show_receipt)
        bridge.print_failed.connect(lambda _op, reason: self.show_message(reason, "error"))
        bridge.online_changed.connect(self.set_online)
        bridge.synced.connect(lambda *_: self.refresh_queue())
        bridge.cards_changed.connect(self.set_sim_cards)
        self.reset()

    # -- layout -----------------------------------------------------------------------

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(_label("Tamaru たまるポイント", "title"))
        s = self.register.settings
        where = QLabel(f"{s.get('register.store_name')}　レジ {s.get('register.device_id')}")
        bar.addWidget(where)
        bar.addStretch(1)
        self.queue_label = _label("")
        bar.addWidget(self.queue_label)
        self.status = _label("接続確認中", "status_offline")
        bar.addWidget(self.status)
        sync_now = QPushButton("今すぐ同期")
        sync_now.clicked.connect(self.register.sync.sync_now)
        bar.addWidget(sync_now)
        return bar

    def _counter_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        self.prompt = _label("カードをタッチまたはQRをスキャン", "prompt")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(self.prompt)
        self.member_name = _label("", "member_name")
        self.member_no = _label("")
        self.balance = _label("", "balance")
        for w in (self.member_name, self.member_no, self.balance):
            v.addWidget(w)

        grid = QGridLayout()
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("0")
        self.amount.setValidator(QIntValidator(0, 99_999_999))
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.redeem = QLineEdit()
        self.redeem.setPlaceholderText("0")
        self.redeem.setValidator(QIntValidator(0, 99_999_999))
        self.redeem.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(_label("お買上げ金額（円）"), 0, 0)
        grid.addWidget(self.amount, 0, 1)
        grid.addWidget(_label("利用ポイント"), 1, 0)
        grid.addWidget(self.redeem, 1, 1)
        v.addLayout(grid)
        self.preview = _label("")
        self.preview.setFont(QFont(self.preview.font().family(), 16))
        v.addWidget(self.preview)
        self.amount.textChanged.connect(self.update_preview)
        self.redeem.textChanged.connect(self.update_preview)
        self.amount.returnPressed.connect(self.confirm)

        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("取消")
        self.cancel_button.clicked.connect(self.flow.cancel)
        self.confirm_button = QPushButton("確定")
        self.confirm_button.setObjectName("confirm")
        self.confirm_button.clicked.connect(self.confirm)
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.confirm_button, 2)
        v.addLayout(buttons)
        self.message = _label("", "message_info")
        v.addWidget(self.message)
        v.addStretch(1)
        return panel

    def _side_panel(self) -> QWidget:
        side = QWidget()
        v = QVBoxLayout(side)
        self.sim_box = QFrame()
        self.sim_box.setObjectName("panel")
        self.sim_layout = QVBoxLayout(self.sim_box)
        self.sim_layout.addWidget(_label("カードリーダー（シミュレーター）"))
        self.sim_buttons = QVBoxLayout()
        self.sim_layout.addLayout(self.sim_buttons)
        self.sim_box.setVisible(hasattr(self.register.reader, "tap"))
        v.addWidget(self.sim_box)
        v.addWidget(_label("レシート"))
        self.receipt_view = QLabel("")
        self.receipt_view.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.receipt_view)
        scroll.setWidgetResizable(True)
        v.addWidget(scroll, 1)
        return side

    # -- reactions --------------------------------------------------------------------

    def set_sim_cards(self, cards: list[tuple[str, str, str]]) -> None:
        while self.sim_buttons.count():
            item = self.sim_buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        tap = getattr(self.register.reader, "tap", None)
        if tap is None:
            return
        for uid, name, status in cards[:6]:
            note = "（停止中）" if status != "active" else ""
            button = QPushButton(f"タッチ: {name}{note}")
            button.clicked.connect(lambda _=False, u=uid: tap(u))
            self.sim_buttons.addWidget(button)
        unknown = QPushButton("タッチ: 未登録のカード")
        unknown.clicked.connect(lambda: tap("0000DEADBEEF00"))
        self.sim_buttons.addWidget(unknown)

    def set_online(self, online: bool, reason: str) -> None:
        self.status.setText("オンライン" if online else "オフライン")
        self.status.setObjectName("status_online" if online else "status_offline")
        self.status.setToolTip(reason)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.refresh_queue()

    def refresh_queue(self) -> None:
        counts = self.register.store.outbox_counts()
        waiting = counts.get("queued", 0) + counts.get("sent", 0)
        self.queue_label.setText(f"未送信 {waiting} 件")

    def show_message(self, text: str, level: str) -> None:
        self.message.setObjectName("message_error" if level == "error" else "message_info")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        if level == "error" and self.flow.state is CounterState.MEMBER:
            self._set_entry_enabled(True)  # the cashier corrects the amount and tries again

    def reset(self) -> None:
        self.prompt.setVisible(True)
        for w in (self.member_name, self.member_no, self.balance, self.preview):
            w.setText("")
        self.amount.clear()
        self.redeem.clear()
        self._set_entry_enabled(False)

    def _set_entry_enabled(self, enabled: bool) -> None:
        for w in (self.amount, self.redeem, self.confirm_button, self.cancel_button):
            w.setEnabled(enabled)

    def show_member(self, member: MemberView) -> None:
        self.prompt.setVisible(False)
        self.member_name.setText(f"{member.display_name} 様")
        self.member_no.setText(f"会員番号 {member.masked_no}")
        self.balance.setText(f"{member.balance:,} pt")
        self.show_message("", "info")
        self.amount.clear()
        self.redeem.clear()
        self._set_entry_enabled(True)
        self.amount.setFocus()

    def update_preview(self) -> None:
        if not self.amount.text():
            self.preview.setText("")
            return
        try:
            q = self.flow.quote(self.amount.text(), self.redeem.text())
        except QuoteError as exc:
            self.preview.setText(str(exc))
            return
        self.preview.setText(f"獲得予定 {q.points_earned:,} pt　お支払い ￥{q.amount_yen - q.redeem_points:,}")

    def confirm(self) -> None:
        self._set_entry_enabled(False)
        self.flow.confirm(self.amount.text(), self.redeem.text())
        # Entry comes back on error (counter_message) or stays off until the next tap.

    def sale_done(self, sale: RecordedSale) -> None:
        f = sale.facts
        self.reset()
        self.prompt.setVisible(False)
        self.member_name.setText(f"{f.member.display_name} 様　ありがとうございました")
        self.balance.setText(f"残高 {f.balance_after:,} pt（今回 +{f.quote.points_earned:,} pt）")
        self.show_message(f"記録しました（取引番号 {f.receipt_no}）", "info")
        self.refresh_queue()

    def show_receipt(self, png: bytes) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.receipt_view.setPixmap(pixmap.scaledToWidth(360, Qt.TransformationMode.SmoothTransformation))
