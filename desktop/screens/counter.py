"""The counter screen: identify the member, ring up, use points, confirm (Enter / F8).

The sale itself is `desktop.flows.counter.CounterFlow`; this screen draws its state,
passes on what the cashier types and taps, and shows the flow's events. Esc drops the
sale on screen (voiding a points hold). A recorded sale is undone by a full return:
"取引を取り消す" on the finished sale opens the returns screen with its receipt looked up
and all of it chosen, and the returns policy decides whether a manager approves.

The amount field is the sale's amount when there is no basket, and otherwise one more
line added to it; the line beside its heading says which, with the basket's total. The
line editor offers the categories of the program in force, by name.

With the POS link on, a POS sale waiting for its member shows above the panels with its
basket filled in; confirming settles it (the POS gets the points and the discount) and
Esc refuses it. The printer strip at the bottom says what is wrong with the printer and
what to do, lists receipts left unprinted, and reprints the last receipt; a sale never
waits for the printer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIntValidator, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
)

from desktop import i18n
from desktop.flows.basket import category_choices
from desktop.flows.counter import CounterState
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.scanning import scan_target
from desktop.screens.base import EventRelay, Screen, ShellContext, label, panel, restyle
from desktop.screens.counter_parts import (
    BasketPanel,
    DevicePanel,
    MemberPanel,
    QuotePanel,
    ReceiptView,
    yen,
)
from desktop.screens.counter_strips import PosBanner, PrintPanel
from desktop.screens.keypad import NumericKeypad
from loyalty.quote import Quote, QuoteError
from sync.store import MemberView, RecordedSale

LIMIT_REASONS = {
    "balance": QT_TRANSLATE_NOOP("CounterScreen", "ポイント残高まで"),
    "offline": QT_TRANSLATE_NOOP("CounterScreen", "オフライン中の上限"),
    "per_sale": QT_TRANSLATE_NOOP("CounterScreen", "1回のご利用上限"),
    "eligible": QT_TRANSLATE_NOOP("CounterScreen", "ポイントで払える金額まで"),
    "minimum": QT_TRANSLATE_NOOP("CounterScreen", "最低利用ポイントに届きません"),
    "no_member": QT_TRANSLATE_NOOP("CounterScreen", "会員のみ"),
}


# The counter's own bus events (the POS sale, the printer strip), on the GUI thread.
RELAYED = ("pos_sale_shown", "pos_sale_cleared", "print_status")


class CounterScreen(Screen):
    screen_id = "counter"
    title = QT_TRANSLATE_NOOP("Screens", "レジ")

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.register = ctx.register
        self.flow = ctx.register.flow
        self.tz = self.flow.tz
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(8)
        self.pos_banner = PosBanner(self.pos_no_member)
        outer.addWidget(self.pos_banner)
        body = QHBoxLayout()
        body.setSpacing(8)
        outer.addLayout(body, 1)
        prints = ctx.register.prints
        self.printer = PrintPanel(retry=prints.retry, set_aside=prints.set_aside,
                                  print_unprinted=prints.print_unprinted,
                                  reprint=self.reprint_last)
        outer.addWidget(self.printer)

        left = QVBoxLayout()
        self.member_panel = MemberPanel(self.lookup_member_no)
        left.addWidget(self.member_panel)
        self.result = QStackedWidget()
        self.quote_panel = QuotePanel()
        self.receipt_view = ReceiptView()
        self.result.addWidget(self.quote_panel)
        self.result.addWidget(self.receipt_view)
        left.addWidget(self.result, 1)
        body.addLayout(left, 10)

        self.basket = BasketPanel()
        self.basket.add.clicked.connect(self.add_line)
        self.basket.remove.clicked.connect(self.remove_line)
        body.addWidget(self.basket, 11)

        body.addWidget(self._entry_panel(), 8)

        self._shown = CounterState.IDLE  # what the panels show, for a member switch
        self._done_receipt: str | None = None  # the finished sale's receipt, to void it
        self.devices = DevicePanel(self._tap)
        self.devices.setFixedWidth(230)
        self.devices.setVisible(hasattr(self.register.reader, "tap"))
        body.addWidget(self.devices)

        bridge = ctx.bridge
        bridge.member_shown.connect(self.show_member)
        bridge.counter_message.connect(self.show_message)
        bridge.counter_busy.connect(lambda text: self._busy(i18n.core(text)))
        bridge.counter_reset.connect(self.reset)
        bridge.sale_recorded.connect(self.sale_done)
        bridge.receipt_image.connect(self.show_receipt)
        bridge.cards_changed.connect(self.devices.set_cards)
        bridge.online_changed.connect(lambda *_: self.update_quote())
        self.relay = EventRelay(ctx.register.events, RELAYED, self)
        self.relay.fired.connect(self._relayed)
        self.printer.show_status(prints.status())

        for keys, slot in (("F8", self.confirm), ("Esc", self.cancel)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.reset()

    def _entry_panel(self) -> QFrame:
        # Sized to leave the whole window within a 1280×800 counter display: labels sit
        # beside their fields, and the two less used buttons share a row.
        box = panel()
        v = QVBoxLayout(box)
        v.setContentsMargins(12, 8, 12, 8)
        v.setSpacing(5)
        head = QHBoxLayout()
        head.addWidget(label(self.tr("金額（円）"), "heading", wrap=False))
        head.addStretch(1)
        # What the amount is beside the basket (its total, or the sum with this amount).
        self.amount_note = label("", "amount_note", wrap=False)
        head.addWidget(self.amount_note)
        v.addLayout(head)
        self.amount = scan_target(QLineEdit())
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText("0")
        self.amount.setValidator(QIntValidator(0, 99_999_999))
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        v.addWidget(self.amount)
        self.keypad = NumericKeypad()
        v.addWidget(self.keypad)
        row = QHBoxLayout()
        row.addWidget(label(self.tr("利用ポイント"), "heading", wrap=False))
        self.redeem = scan_target(QLineEdit())
        self.redeem.setObjectName("redeem")
        self.redeem.setPlaceholderText("0")
        self.redeem.setValidator(QIntValidator(0, 99_999_999))
        self.redeem.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.use_all = QPushButton(self.tr("全部使う"))
        self.use_all.setObjectName("secondary")
        self.use_all.clicked.connect(self.redeem_all)
        row.addWidget(self.redeem, 1)
        row.addWidget(self.use_all)
        v.addLayout(row)
        self.limit = label("", "limit")
        v.addWidget(self.limit)
        self.keypad.set_targets([self.amount, self.redeem, self.basket.quantity])
        self.confirm_button = QPushButton(self.tr("確定（Enter / F8）"))
        self.confirm_button.setObjectName("primary")
        self.confirm_button.clicked.connect(self.confirm)
        v.addWidget(self.confirm_button)
        row = QHBoxLayout()
        self.cancel_button = QPushButton(self.tr("取消（Esc）"))
        self.cancel_button.setObjectName("secondary")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button, 1)
        self.void_button = QPushButton(self.tr("取引を取り消す"))
        self.void_button.setObjectName("secondary")
        self.void_button.setToolTip(self.tr(
            "記録したこのお買上げを全額返品として取り消します（返品画面が開きます）"))
        self.void_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter never voids
        self.void_button.clicked.connect(self.void_sale)
        row.addWidget(self.void_button, 1)
        v.addLayout(row)
        self.message = label("", "message_info")
        v.addWidget(self.message)
        v.addStretch(1)
        self.amount.textChanged.connect(self.update_quote)
        self.redeem.textChanged.connect(self.update_quote)
        self.amount.returnPressed.connect(self.confirm)
        self.redeem.returnPressed.connect(self.confirm)
        return box

    def show_amount_note(self) -> None:
        """Say what the amount field is for beside the basket, with the basket's total."""
        lines = self.flow.lines if self.flow.state is CounterState.MEMBER or \
            self.flow.pos_sale is not None else ()
        if not lines:
            self.amount_note.setText("")
            self.amount.setPlaceholderText("0")
            return
        total = sum(line.amount_yen for line in lines)
        # With lines, the field is one more line: empty, the basket's total is the sale.
        self.amount.setPlaceholderText(self.tr("明細 {total}").format(total=yen(total)))
        text = self.amount.text().strip()
        extra = int(text) if text.isdecimal() else 0
        if extra:
            self.amount_note.setText(self.tr("明細 {total} ＋ {amount} ＝ {sum}").format(
                total=yen(total), amount=yen(extra), sum=yen(total + extra)))
        else:
            self.amount_note.setText(self.tr("明細 {n} 行の合計 {total}").format(
                n=len(lines), total=yen(total)))

    # -- shell hooks ------------------------------------------------------------------------

    def activated(self) -> None:
        (self.amount if self.flow.state is CounterState.MEMBER
         else self.member_panel.member_no).setFocus()

    def can_leave(self) -> bool:
        return self.flow.state not in (CounterState.HOLDING, CounterState.RECORDING)

    # -- reactions ----------------------------------------------------------------------------

    def _set_entry(self, state: CounterState) -> None:
        editing = state is CounterState.MEMBER
        pos = self.flow.pos_sale is not None
        for w in (self.redeem, self.use_all, self.confirm_button):
            w.setEnabled(editing)
        # The POS's basket and total are the POS's: the cashier adds the member and points.
        for w in (self.amount, self.basket.add, self.basket.remove, self.basket.name,
                  self.basket.category, self.basket.quantity):
            w.setEnabled(editing and not pos)
        pos_here = pos and state in (CounterState.IDLE, CounterState.MEMBER)
        self.cancel_button.setEnabled(state in (CounterState.MEMBER, CounterState.DONE)
                                      or pos_here)
        # Only a finished sale can be voided; before that, Esc drops it.
        self.void_button.setVisible(state is CounterState.DONE and self._done_receipt is not None)
        if state is CounterState.DONE:
            self.cancel_button.setText(self.tr("次のお客様（Esc）"))
        elif pos_here:
            self.cancel_button.setText(self.tr("POS の取引を取消（Esc）"))
        else:
            self.cancel_button.setText(self.tr("取消（Esc）"))

    def reset(self) -> None:
        self.member_panel.show_idle()
        self.amount.clear()
        self.redeem.clear()
        self.basket.show_lines(self.flow.lines)  # a POS sale's basket stays on screen
        self.quote_panel.clear()
        self.result.setCurrentWidget(self.quote_panel)
        self.limit.setText("")
        self._done_receipt = None
        self._set_entry(CounterState.IDLE)
        self._shown = CounterState.IDLE
        self.show_amount_note()
        self.show_message("", "info")
        self.member_panel.member_no.setFocus()

    def show_member(self, member: MemberView) -> None:
        # A new customer starts clean; another member over the same sale keeps the basket.
        fresh = self._shown is not CounterState.MEMBER
        self._shown = CounterState.MEMBER
        self.member_panel.show_member(member, self.flow.member_flags(member),
                                      offline=self.flow.offline, tz=self.tz)
        if fresh:
            # The program in force may have changed since the last customer (a sync).
            self.basket.set_categories(category_choices(self.flow.program))
            self.amount.clear()
            self.basket.show_lines(self.flow.lines)
        self.redeem.clear()
        self.result.setCurrentWidget(self.quote_panel)
        self._set_entry(CounterState.MEMBER)
        self.show_message("", "info")
        self.amount.setFocus()
        self.update_quote()

    def show_message(self, text: object, level: str) -> None:
        restyle(self.message, {"error": "message_error", "warning": "message_warning"}
                .get(level, "message_info"))
        self.message.setText(i18n.core(text) if text else "")
        if level == "error" and self.flow.state is CounterState.MEMBER:
            self._set_entry(CounterState.MEMBER)  # the cashier corrects it and tries again
            # A refusal can change what the sale allows (HQ could not be reached for a
            # hold: the offline cap applies now), so the quote and its limit are redone
            # rather than left saying what held before it. Queued, not called: the flow
            # may announce a refusal while it holds its own lock, which the quote takes.
            QTimer.singleShot(0, self.update_quote)

    def _busy(self, text: str) -> None:
        self._set_entry(CounterState.RECORDING)
        self.show_message(text, "info")

    def update_quote(self) -> None:
        self.show_amount_note()
        if self.flow.state is not CounterState.MEMBER:
            return
        self.basket.show_lines(self.flow.lines)
        if not self.amount.text() and not self.flow.lines:
            self.quote_panel.clear()
            self.limit.setText("")
            return
        try:
            q = self.flow.quote(self.amount.text(), self.redeem.text())
        except QuoteError as exc:
            self.quote_panel.show_problem(i18n.core(exc))
            # Points over the limit are refused: the limit line still says what it is now
            # (the sale quoted without points), not what an earlier quote found.
            try:
                q = self.flow.quote(self.amount.text(), "")
            except QuoteError:
                self.limit.setText("")
                return
            self._show_limit(q)
            return
        self.quote_panel.show_quote(q, self.tz)
        self._show_limit(q)

    def _show_limit(self, q: Quote) -> None:
        lim = q.redeem_limit
        why = self.tr(LIMIT_REASONS[lim.reason]) if lim.reason in LIMIT_REASONS else ""
        self.limit.setText(self.tr("最大 {points} pt（{why}）").format(
            points=f"{lim.max_points:,}", why=why))

    # -- the cashier's actions -------------------------------------------------------------

    def lookup_member_no(self, text: str) -> None:
        if text.strip():
            self.flow.enter_member_no(text)

    def add_line(self) -> None:
        try:
            self.flow.add_line(self.amount.text(), self.basket.quantity.text(),
                               name=self.basket.name.text(),
                               category=self.basket.category_code())
        except QuoteError as exc:
            self.show_message(exc.args[0], "error")
            return
        self.amount.clear()
        self.basket.name.clear()
        self.basket.category.setCurrentIndex(0)
        self.basket.quantity.setText("1")
        self.show_message("", "info")
        self.update_quote()
        self.amount.setFocus()

    def remove_line(self) -> None:
        self.flow.remove_line(self.basket.selected_row())
        self.update_quote()

    def redeem_all(self) -> None:
        try:
            self.redeem.setText(str(self.flow.redeem_max(self.amount.text())))
        except QuoteError as exc:
            self.show_message(exc.args[0], "error")

    def confirm(self) -> None:
        if self.flow.state is not CounterState.MEMBER or not self.confirm_button.isEnabled():
            return
        self._set_entry(CounterState.RECORDING)
        self.flow.confirm(self.amount.text(), self.redeem.text())
        # Entry comes back on an error (counter_message) or stays off until the next tap.

    def cancel(self) -> None:
        self.flow.cancel()

    def void_sale(self) -> None:
        """Undo the finished sale: a full return of its receipt on the returns screen."""
        receipt_no = self._done_receipt
        if receipt_no is None or self.flow.state is not CounterState.DONE:
            return
        self.ctx.show_screen("returns")
        self.ctx.services.void_sale(receipt_no)

    def pos_no_member(self) -> None:
        self.flow.pos_no_member()

    def reprint_last(self) -> None:
        if not self.register.prints.reprint_last():
            self.show_message(self.tr("再発行できるレシートがまだありません"), "info")

    # -- the POS link and the printer ---------------------------------------------------------

    def _relayed(self, name: str, args: tuple) -> None:
        if name == "pos_sale_shown":
            self.show_pos_sale(*args)
        elif name == "pos_sale_cleared":
            self.clear_pos_sale(*args)
        elif name == "print_status":
            self.printer.show_status(*args)

    def show_pos_sale(self, sale: object) -> None:
        self.pos_banner.show_sale(sale)  # type: ignore[arg-type]
        state = self.flow.state
        if state in (CounterState.HOLDING, CounterState.RECORDING):
            return  # the sale being recorded stays on screen; the POS's comes next
        if state is not CounterState.DONE:
            self.amount.clear()
            self.basket.show_lines(self.flow.lines)
            self._set_entry(state)
            self.update_quote()
        else:
            self._set_entry(state)
        if state is CounterState.IDLE:
            self.member_panel.member_no.setFocus()

    def clear_pos_sale(self, sale_id: str, _state: str) -> None:
        if self.pos_banner.sale_id not in (None, sale_id):
            return
        self.pos_banner.clear()
        state = self.flow.state
        if state in (CounterState.HOLDING, CounterState.RECORDING):
            return
        if state is not CounterState.DONE:
            self.basket.show_lines(self.flow.lines)
            if state is CounterState.MEMBER and not self.flow.lines and not self.amount.text():
                self.quote_panel.clear()
                self.limit.setText("")
        self._set_entry(state)
        self.update_quote()

    def sale_done(self, sale: RecordedSale) -> None:
        self._done_receipt = sale.facts.receipt_no
        self.member_panel.show_done(sale)
        self.amount.clear()
        self.redeem.clear()
        self.limit.setText("")
        self.basket.show_lines(())
        self.quote_panel.show_quote(sale.facts.quote, self.tz)
        self._set_entry(CounterState.DONE)
        self._shown = CounterState.DONE
        self.show_message(self.tr("記録しました（取引番号 {no}）").format(
            no=sale.facts.receipt_no), "info")

    def show_receipt(self, png: bytes) -> None:
        self.result.setCurrentWidget(self.receipt_view)  # shown first: it fits its width
        self.receipt_view.show_png(png)

    def _tap(self, uid: str) -> None:
        tap = getattr(self.register.reader, "tap", None)
        if tap is not None:
            tap(uid)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        # Keys the fields leave alone reach the screen. Enter in a field is that field's
        # (returnPressed); elsewhere it confirms.
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not isinstance(QApplication.focusWidget(), QLineEdit):
            self.confirm()
        elif key == Qt.Key.Key_F8:
            self.confirm()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        else:
            super().keyPressEvent(event)
