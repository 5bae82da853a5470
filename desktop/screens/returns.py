"""The return screen (F2): read the receipt, choose what comes back, see what happens to
the points, get a manager's PIN when the store's policy asks for it, confirm.

Over `desktop.flows.returns.ReturnFlow` (from the shell's services): it calls the flow's
operations and shows the flow's events, which a relay brings to the GUI thread. A receipt
QR scanned while it is shown looks its sale up (another register's sale is asked of HQ).
Any cashier may open it; a return over the policy's amount or age waits for a manager's
code and PIN on this screen (a signed-in manager approves their own).

A return handed over by the POS link comes to this screen by itself (when someone is
signed in) under a banner naming the POS's return: its sale and amount are the POS's and
cannot be changed here; 「POS の返品を取消」 tells the POS it was cancelled at the counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.returns import EVENTS, ReturnFlow, ReturnPreview, ReturnState
from desktop.i18n import core
from desktop.receipts import pts, yen
from desktop.screens.base import EventRelay, Screen, ShellContext, label, restyle
from sync.ops import RecordedOp, SaleRecord
from sync.staff import StaffView

if TYPE_CHECKING:
    from desktop.poslink import PosReturn


class ReturnsScreen(Screen):
    screen_id = "returns"
    title = QT_TRANSLATE_NOOP("Screens", "返品")
    manager_only = False  # the policy decides, return by return

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.flow: ReturnFlow = ctx.services.returns
        self.setWindowTitle(self.tr("返品"))
        self._relay = EventRelay(ctx.services.events, EVENTS, self)
        self._relay.fired.connect(self._on_event)
        ctx.bridge.staff_changed.connect(self._staff_changed)

        outer = QVBoxLayout(self)
        outer.addWidget(self._pos_banner())
        body = QHBoxLayout()
        body.addWidget(self._find_panel(), 1)
        body.addWidget(self._preview_panel(), 1)
        outer.addLayout(body, 1)
        self.reset()
        # A POS return left waiting by the last run is already the flow's.
        if self.flow.pos_return is not None:
            self.show_pos_return(self.flow.pos_return)
            if self.flow.sale is not None:
                self.show_sale(self.flow.sale)
            if self.flow.preview is not None:
                self.show_preview(self.flow.preview)

    def _pos_banner(self) -> QFrame:
        self.pos_banner = QFrame()
        self.pos_banner.setObjectName("banner_warning")
        v = QVBoxLayout(self.pos_banner)
        v.setContentsMargins(14, 8, 14, 8)
        self.pos_headline = label("", "pos_headline", wrap=False)
        self.pos_headline.setStyleSheet("font-size: 26px; font-weight: bold; color: #7a3b00;")
        self.pos_detail = label("", "banner_advice")
        v.addWidget(self.pos_headline)
        v.addWidget(self.pos_detail)
        self.pos_banner.setVisible(False)
        return self.pos_banner

    # -- layout -----------------------------------------------------------------------

    def _find_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        v.addWidget(label(self.tr("返品するお買上げ"), "heading"))
        row = QHBoxLayout()
        self.receipt_no = QLineEdit()
        self.receipt_no.setPlaceholderText(self.tr("取引番号 例 R01-000001"))
        self.receipt_no.returnPressed.connect(self.search)
        self.search_button = QPushButton(self.tr("呼び出す"))
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.receipt_no, 1)
        row.addWidget(self.search_button)
        v.addLayout(row)
        v.addWidget(label(self.tr("レシートのQRコードを読み取るか、取引番号を入力してください"),
                           "hint"))

        grid = QGridLayout()
        self.sale_fields: dict[str, QLabel] = {}
        for i, (key, text) in enumerate((
                ("receipt", self.tr("取引番号")), ("when", self.tr("お買上げ日時")),
                ("amount", self.tr("お買上げ金額")), ("earned", self.tr("獲得ポイント")),
                ("redeemed", self.tr("利用ポイント")), ("returned", self.tr("返品済み")),
                ("remaining", self.tr("返品できる金額")))):
            grid.addWidget(label(text), i, 0)
            value = label("", wrap=False)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(value, i, 1)
            self.sale_fields[key] = value
        v.addLayout(grid)
        self.confirmed_note = label("", "hint")
        v.addWidget(self.confirmed_note)

        self.lines_label = label(self.tr("返品する商品を選んでください"), "heading")
        self.lines = QListWidget()
        self.lines.setStyleSheet("QListWidget { font-size: 18px; }"
                                 "QListWidget::indicator { width: 26px; height: 26px; }")
        self.lines.itemChanged.connect(lambda _item: self._lines_changed())
        v.addWidget(self.lines_label)
        v.addWidget(self.lines, 1)
        amount_row = QHBoxLayout()
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(self.tr("返品金額（円）"))
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.returnPressed.connect(self.choose_amount)
        self.amount_button = QPushButton(self.tr("金額で返品"))
        self.amount_button.clicked.connect(self.choose_amount)
        self.all_button = QPushButton(self.tr("すべて返品"))
        self.all_button.clicked.connect(self.flow.choose_all)
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.amount_button)
        amount_row.addWidget(self.all_button)
        v.addLayout(amount_row)
        v.addStretch(0)
        return panel

    def _preview_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        v.addWidget(label(self.tr("ポイントの戻し"), "heading"))
        self.member = label("", "member_name")
        v.addWidget(self.member)
        grid = QGridLayout()
        self.preview_fields: dict[str, QLabel] = {}
        for i, (key, text) in enumerate((
                ("returned", self.tr("返品金額")), ("reversed", self.tr("獲得ポイントの取消")),
                ("restored", self.tr("利用ポイントの返却")), ("before", self.tr("現在の残高")),
                ("after", self.tr("返品後の残高（見込み）")))):
            grid.addWidget(label(text), i, 0)
            value = label("", "total" if key == "after" else "", wrap=False)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(value, i, 1)
            self.preview_fields[key] = value
        v.addLayout(grid)
        v.addWidget(label(self.tr("ポイントは HQ での確定後に正式に反映されます"), "hint"))
        self.warning = label("", "message_warning")
        v.addWidget(self.warning)

        self.approval = QFrame()
        self.approval.setObjectName("demo_hint")
        a = QVBoxLayout(self.approval)
        self.approval_reasons = label("", "message_warning")
        a.addWidget(self.approval_reasons)
        row = QHBoxLayout()
        self.manager_id = QLineEdit()
        self.manager_id.setObjectName("small")
        self.manager_id.setPlaceholderText(self.tr("店長のスタッフ番号"))
        self.manager_pin = QLineEdit()
        self.manager_pin.setObjectName("small")
        self.manager_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.manager_pin.setPlaceholderText(self.tr("暗証番号"))
        self.manager_pin.returnPressed.connect(self.approve)
        self.approve_button = QPushButton(self.tr("承認"))
        self.approve_button.clicked.connect(self.approve)
        row.addWidget(self.manager_id, 1)
        row.addWidget(self.manager_pin, 1)
        row.addWidget(self.approve_button)
        a.addLayout(row)
        v.addWidget(self.approval)
        self.approved = label("", "message_info")
        v.addWidget(self.approved)
        v.addStretch(1)

        buttons = QHBoxLayout()
        self.cancel_button = QPushButton(self.tr("やり直す"))
        self.cancel_button.setObjectName("secondary")
        self.cancel_button.clicked.connect(self.flow.cancel)
        self.confirm_button = QPushButton(self.tr("返品を確定"))
        self.confirm_button.setObjectName("primary")
        self.confirm_button.clicked.connect(self.confirm)
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.confirm_button, 2)
        v.addLayout(buttons)
        self.message = label("", "message_info")
        v.addWidget(self.message)
        return panel

    # -- actions ----------------------------------------------------------------------

    def activated(self) -> None:
        self.receipt_no.setFocus()

    def _staff_changed(self, staff: StaffView | None) -> None:
        if staff is None:
            # A half-made return is not left for the next person; a POS return is (the
            # POS still waits for it), without the approval it had.
            self.flow.staff_left()
        elif self.flow.pos_return is not None:
            # A POS return came while nobody was signed in (or before a restart): it is
            # the first thing to see, once the shell has shown its own first screen.
            QTimer.singleShot(0, lambda: self.ctx.show_screen(self.screen_id))

    def can_leave(self) -> bool:
        """Not while a return is being written."""
        return self.flow.state is not ReturnState.RECORDING

    def handle_scan(self, text: str) -> bool:
        """A scan while this screen is shown: a receipt QR looks its sale up."""
        self.flow.scan(text)
        return True

    def search(self) -> None:
        self.flow.search(self.receipt_no.text())

    def choose_amount(self) -> None:
        self.flow.choose_amount(self.amount.text())

    def _lines_changed(self) -> None:
        chosen = [i for i in range(self.lines.count())
                  if self.lines.item(i).checkState() == Qt.CheckState.Checked]
        if chosen:
            self.flow.choose_lines(chosen)

    def approve(self) -> None:
        self.approve_button.setEnabled(False)
        if self.flow.approve(self.manager_id.text(), self.manager_pin.text()) is None:
            self.approve_button.setEnabled(True)
        self.manager_pin.clear()

    def confirm(self) -> None:
        self.confirm_button.setEnabled(False)
        if self.flow.confirm() is None:
            self.confirm_button.setEnabled(True)

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "return_pos_shown":
            self.show_pos_return(args[0])
            register = self.ctx.register
            if register is not None and register.session.current is not None:
                # The POS's return is the cashier's next task: bring it forward (the shell
                # refuses while another screen is recording, and says so).
                self.ctx.show_screen(self.screen_id)
        elif name == "return_pos_cleared":
            self.clear_pos_return()
        elif name == "return_sale_shown":
            self.show_sale(args[0])
        elif name == "return_preview":
            self.show_preview(args[0])
        elif name == "return_recorded":
            self.recorded(args[0])
        elif name == "return_message":
            self.show_message(core(args[0]), args[1])
            self.approve_button.setEnabled(True)
            preview = self.flow.preview
            self.confirm_button.setEnabled(preview is not None and not preview.needs_approval)
        elif name == "return_reset":
            self.reset()

    def show_message(self, text: str, level: str = "info") -> None:
        restyle(self.message, f"message_{level if level in ('error', 'warning') else 'info'}")
        self.message.setText(text)

    def show_pos_return(self, ret: PosReturn) -> None:
        self.pos_banner.setVisible(True)
        self.pos_headline.setText(self.tr("POS から返品 {amount}").format(
            amount=yen(ret.amount_yen)))
        self.pos_detail.setText(self.tr(
            "POS の返品 {return_id}（POS の取引 {sale_id}、レシート {receipt_no}）。"
            "内容を確かめて「返品を確定」を押してください").format(
            return_id=ret.return_id, sale_id=ret.sale_id, receipt_no=ret.original_receipt_no))
        self.cancel_button.setText(self.tr("POS の返品を取消"))
        self._lock_for_pos(True)

    def clear_pos_return(self) -> None:
        self.pos_banner.setVisible(False)
        self.pos_headline.setText("")
        self.pos_detail.setText("")
        self.cancel_button.setText(self.tr("やり直す"))
        self._lock_for_pos(False)

    def _lock_for_pos(self, locked: bool) -> None:
        """A POS return's sale and amount are the POS's: nothing to search or choose."""
        for w in (self.receipt_no, self.search_button):
            w.setEnabled(not locked)
        self.lines.setEnabled(not locked)

    def reset(self) -> None:
        for widget in (*self.sale_fields.values(), *self.preview_fields.values(), self.member,
                       self.warning, self.confirmed_note, self.approved):
            widget.setText("")
        self.lines.clear()
        self.lines_label.setVisible(False)
        self.lines.setVisible(False)
        self.amount.clear()
        self.approval.setVisible(False)
        for w in (self.amount, self.amount_button, self.all_button, self.confirm_button):
            w.setEnabled(False)
        if self.flow.pos_return is None:
            self.clear_pos_return()
        self.receipt_no.setFocus()

    def show_sale(self, sale: SaleRecord) -> None:
        self.reset()
        self.receipt_no.setText(sale.receipt_no)  # also when the sale came from a scan or a void
        f = self.sale_fields
        f["receipt"].setText(sale.receipt_no)
        f["when"].setText(sale.local_time.astimezone(self.flow.tz).strftime("%Y/%m/%d %H:%M"))
        f["amount"].setText(yen(sale.amount_yen))
        f["earned"].setText(pts(sale.points_earned))
        f["redeemed"].setText(pts(sale.points_redeemed))
        f["returned"].setText(yen(sale.returned_yen))
        f["remaining"].setText(yen(sale.remaining_yen))
        if sale.source == "hq":
            self.confirmed_note.setText(self.tr(
                "別のレジ（{device}）のお買上げです。ポイントは HQ の値です").format(
                device=sale.device_id))
        else:
            self.confirmed_note.setText(self.tr("ポイントは HQ 確定済みの値です") if sale.confirmed
                                        else self.tr("ポイントはこのレジの計算です（HQ 未確定）"))
        member = self.flow.member_of(sale)
        if member is not None:
            self.member.setText(self.tr("{name} 様（会員番号 {no}）").format(
                name=member.display_name, no=member.masked_no))
        self.lines.blockSignals(True)
        for line in sale.returnable_lines():
            item = QListWidgetItem(f"{line.name or line.sku}　×{line.quantity}　{yen(line.amount_yen)}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setSizeHint(QSize(0, 48))  # a row a finger can hit
            self.lines.addItem(item)
        self.lines.blockSignals(False)
        has_lines = bool(sale.lines)
        self.lines_label.setVisible(has_lines)
        self.lines.setVisible(has_lines)
        for w in (self.amount, self.amount_button, self.all_button):
            w.setEnabled(self.flow.pos_return is None)
        self.amount.setPlaceholderText(self.tr("返品金額（円、最大 {max}）").format(
            max=yen(sale.remaining_yen)))
        self.show_message(self.tr("返品する商品か金額を選んでください"))
        self.amount.setFocus()

    def show_preview(self, preview: ReturnPreview) -> None:
        est = preview.estimate
        f = self.preview_fields
        f["returned"].setText(yen(-est.returned_yen))
        f["reversed"].setText(f"-{pts(est.points_reversed)}")
        f["restored"].setText(f"+{pts(est.points_restored)}")
        if preview.member is not None and preview.balance_after is not None:
            f["before"].setText(pts(preview.member.balance))
            f["after"].setText(pts(preview.balance_after))
        self.warning.setText(core(preview.warning))
        self.approval.setVisible(preview.needs_approval)
        # One whole sentence a line: the heading, then each reason.
        self.approval_reasons.setText("\n".join(
            [self.tr("店長の承認が必要です。"), *(core(r) for r in preview.approval_reasons)]))
        # The ticks follow the flow's choice, whoever made it: the cashier's clicks, the
        # POS's lines, or a void from the counter (every line).
        self._check_lines(preview)
        self.approved.setText(self.tr("承認済み（{who}）").format(who=preview.approved_by)
                              if preview.approved_by else "")
        self.confirm_button.setEnabled(not preview.needs_approval)
        self.show_message("")

    def _check_lines(self, preview: ReturnPreview) -> None:
        """Tick the lines the return takes back, as the flow has them."""
        left = list(preview.lines)
        sale = preview.sale
        self.lines.blockSignals(True)
        for i, line in enumerate(sale.returnable_lines()):
            item = self.lines.item(i)
            if item is None:
                break
            chosen = line in left
            if chosen:
                left.remove(line)
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
        self.lines.blockSignals(False)

    def recorded(self, recorded: RecordedOp) -> None:
        est = recorded.facts.estimate
        pos = self.pos_banner.isVisible()
        self.ctx.refresh_status()
        self.clear_pos_return()
        self.reset()
        self.receipt_no.clear()
        returned = yen(est.returned_yen) if est else ""
        text = (self.tr("返品を記録し、POS に結果を送りました（取引番号 {no}、{amount}）。"
                        "返品受付票を印刷しています") if pos
                else self.tr("返品を記録しました（取引番号 {no}、{amount}）。返品受付票を印刷しています"))
        self.show_message(text.format(no=recorded.facts.receipt_no, amount=returned))
