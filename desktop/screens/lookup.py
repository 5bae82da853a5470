"""The member look-up screen for managers (F4): search, the member's points, lots and
cards, history (HQ's or this register's, labelled), and the manager's corrections.

Over `desktop.flows.lookup.LookupFlow` (from the shell's services). While it is shown the
shell sends card taps to the flow (a tap finds the card's member, or is the new card of a
reissue) and scans here. A cashier opens it with a manager's approval; the corrections
are then made in that manager's name until the screen is left. The corrections are
offered once a member is shown (a card's, once the member has a card); a history row of
a receipt this register keeps has 再発行, which prints a copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.flows.lookup import EVENTS, HISTORY_CONTEXT, History, LookupFlow, MemberDetail
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.signin import Approval
from desktop.i18n import core
from desktop.receipts import pts
from desktop.screens.base import EventRelay, Screen, ShellContext, label, restyle
from desktop.screens.counter_parts import last_day
from devices.cards import CardEvent
from sync.ops import RecordedOp
from sync.staff import StaffView
from sync.store import MemberView


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(40)  # rows a finger can pick
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _label(source: str) -> str:
    """A history label (kind, state, source) in the screen's language."""
    return QCoreApplication.translate(HISTORY_CONTEXT, source)


def _cell(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class LookupScreen(Screen):
    screen_id = "lookup"
    title = QT_TRANSLATE_NOOP("Screens", "会員照会")
    manager_only = True

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.flow: LookupFlow = ctx.services.lookup
        self.setWindowTitle(self.tr("会員照会"))
        self._relay = EventRelay(ctx.services.events, EVENTS, self)
        self._relay.fired.connect(self._on_event)
        self._merge_source: MemberView | None = None
        body = QHBoxLayout(self)
        body.addWidget(self._member_panel(), 2)
        body.addWidget(self._tabs(), 3)
        self.show_detail(None)
        self.set_staff(self.flow.staff)
        ctx.bridge.staff_changed.connect(self._staff_changed)

    # -- layout -----------------------------------------------------------------------

    def _member_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("panel")
        v = QVBoxLayout(panel)
        row = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setPlaceholderText(self.tr("会員番号・カード番号・電話番号"))
        self.query.returnPressed.connect(self.search)
        search = QPushButton(self.tr("検索"))
        search.clicked.connect(self.search)
        row.addWidget(self.query, 1)
        row.addWidget(search)
        v.addLayout(row)
        v.addWidget(label(self.tr("カードをタッチしても呼び出せます"), "hint"))
        self.results = QListWidget()
        self.results.setMaximumHeight(150)
        self.results.itemClicked.connect(
            lambda item: self.flow.select(item.data(Qt.ItemDataRole.UserRole)))
        v.addWidget(self.results)

        head = QHBoxLayout()
        self.name = label("", "member_name")
        head.addWidget(self.name, 1)
        self.flags: list[QLabel] = []
        self.flag_row = QHBoxLayout()
        head.addLayout(self.flag_row)
        v.addLayout(head)
        self.kana = label("", "kana")
        self.number = label("")
        self.balance = label("", "balance")
        self.hq_line = label("", "hint")
        for w in (self.kana, self.number, self.balance, self.hq_line):
            v.addWidget(w)
        v.addWidget(label(self.tr("有効期限ごとのポイント"), "heading"))
        self.lots = _table([self.tr("種類"), self.tr("ポイント"), self.tr("有効期限")])
        self.lots.setMaximumHeight(150)
        v.addWidget(self.lots)
        v.addWidget(label(self.tr("カード"), "heading"))
        self.cards = _table([self.tr("カード"), self.tr("状態")])
        self.cards.setMaximumHeight(130)
        v.addWidget(self.cards)
        row = QHBoxLayout()
        self.card_reason = QLineEdit()
        self.card_reason.setObjectName("small")
        self.card_reason.setPlaceholderText(self.tr("理由 例 紛失届"))
        self.block_button = QPushButton(self.tr("カード停止"))
        self.block_button.clicked.connect(self.block_card)
        self.reissue_button = QPushButton(self.tr("再発行"))
        self.reissue_button.clicked.connect(self.start_reissue)
        row.addWidget(self.card_reason, 1)
        row.addWidget(self.block_button)
        row.addWidget(self.reissue_button)
        v.addLayout(row)
        self.message = label("", "message_info")
        v.addWidget(self.message)
        v.addStretch(1)
        return panel

    def _tabs(self) -> QTabWidget:
        self.tabs = QTabWidget()
        self.tabs.setStyleSheet("QTabBar::tab { min-height: 40px; min-width: 130px; "
                                "font-size: 16px; }")
        history = QWidget()
        v = QVBoxLayout(history)
        row = QHBoxLayout()
        self.source = label("", "rank", wrap=False)
        row.addWidget(self.source)
        self.notice = label("", "hint")
        row.addWidget(self.notice, 1)
        v.addLayout(row)
        self.history = _table([self.tr("日時"), self.tr("内容"), self.tr("ポイント"),
                               self.tr("残高"), self.tr("備考"), self.tr("レシート")])
        self.history.verticalHeader().setDefaultSectionSize(46)  # a 再発行 button a finger hits
        self.history.horizontalHeader().setStretchLastSection(False)
        self.history.horizontalHeader().setSectionResizeMode(
            4, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.history, 1)
        self.more = QPushButton(self.tr("さらに表示"))
        self.more.clicked.connect(self.flow.more_history)
        v.addWidget(self.more)
        self.tabs.addTab(history, self.tr("履歴"))

        adjust = QWidget()
        v = QVBoxLayout(adjust)
        v.addWidget(label(self.tr("ポイントを加算（+）または減算（-）します。理由は HQ の記録と"
                                   "お客様の控えに残ります。"), "hint"))
        self.adjust_points = QLineEdit()
        self.adjust_points.setPlaceholderText(self.tr("例 +100 / -50"))
        self.adjust_reason = QLineEdit()
        self.adjust_reason.setPlaceholderText(self.tr("理由 例 レシート紛失分の付与"))
        self.adjust_button = QPushButton(self.tr("調整する"))
        self.adjust_button.setObjectName("primary")
        self.adjust_button.clicked.connect(self.adjust)
        for w in (label(self.tr("調整ポイント"), "heading"), self.adjust_points,
                  label(self.tr("理由"), "heading"), self.adjust_reason, self.adjust_button):
            v.addWidget(w)
        v.addStretch(1)
        self.tabs.addTab(adjust, self.tr("ポイント調整"))

        merge = QWidget()
        v = QVBoxLayout(merge)
        v.addWidget(label(self.tr("統合元の会員のポイントとカードを、表示中の会員に移します。"
                                   "統合元は利用停止になります。"), "hint"))
        row = QHBoxLayout()
        self.merge_query = QLineEdit()
        self.merge_query.setPlaceholderText(self.tr("統合元の会員番号またはカード番号"))
        check = QPushButton(self.tr("確認"))
        check.clicked.connect(lambda: self.flow.merge_source(self.merge_query.text()))
        row.addWidget(self.merge_query, 1)
        row.addWidget(check)
        v.addLayout(row)
        self.merge_preview = label("", "total")
        v.addWidget(self.merge_preview)
        self.merge_reason = QLineEdit()
        self.merge_reason.setPlaceholderText(self.tr("理由 例 二重登録"))
        v.addWidget(self.merge_reason)
        self.merge_button = QPushButton(self.tr("統合する"))
        self.merge_button.setObjectName("primary")
        self.merge_button.clicked.connect(self.merge)
        v.addWidget(self.merge_button)
        v.addStretch(1)
        self.tabs.addTab(merge, self.tr("会員統合"))
        self.manager_widgets = [self.adjust_points, self.adjust_reason, self.adjust_button,
                                self.merge_query, check, self.merge_reason,
                                self.block_button, self.reissue_button, self.card_reason]
        return self.tabs

    # -- actions ----------------------------------------------------------------------

    def set_staff(self, staff: StaffView | None) -> None:
        """The signed-in staff member: corrections are a manager's."""
        self.flow.staff = staff
        self._enable()

    def _enable(self) -> None:
        """Corrections need a manager, and a member shown (a card's, a card to act on)."""
        staff = self.flow.staff
        manager = staff is not None and staff.is_manager
        detail = self.flow.detail
        for w in self.manager_widgets:
            w.setEnabled(manager and detail is not None)
        has_card = detail is not None and bool(detail.cards)
        for w in (self.block_button, self.reissue_button, self.card_reason):
            w.setEnabled(manager and has_card)
        self.merge_button.setEnabled(manager and detail is not None
                                     and self._merge_source is not None)
        for i in (1, 2):
            self.tabs.setTabToolTip(i, "" if manager else self.tr("店長のみ操作できます"))

    def search(self) -> None:
        self.flow.search(self.query.text())

    def activated(self) -> None:
        self.query.setFocus()

    def approved(self, approval: Approval) -> None:
        """A manager opened this screen for a cashier: they make the corrections."""
        self.set_staff(StaffView(approval.manager_id, approval.manager_name, "manager", True,
                                 0, None))

    def deactivated(self) -> None:
        self.set_staff(self.ctx.services.staff())  # the approval ends with the visit
        self.flow.cancel_reissue()

    def _staff_changed(self, staff: StaffView | None) -> None:
        self.set_staff(staff)
        if staff is None:
            self.query.clear()
            self.flow.forget()
            self.show_detail(None)  # no member's details left on screen after sign-out

    def card_handler(self) -> Callable[[CardEvent], None]:
        """A tap finds the card's member, or is the new card of a reissue."""
        return self.flow.on_card_event

    def can_leave(self) -> bool:
        return True

    def handle_scan(self, text: str) -> bool:
        """A scanned member barcode looks the member up."""
        self.query.setText(text.strip())
        self.flow.search(text)
        return True

    def _selected_card(self) -> str | None:
        row = self.cards.currentRow()
        if row < 0 and self.cards.rowCount() == 1:
            row = 0
        if row < 0:
            self.show_message(self.tr("カードを選んでください"), "error")
            return None
        item = self.cards.item(row, 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def block_card(self) -> None:
        uid = self._selected_card()
        if uid:
            self.flow.block_card(uid, self.card_reason.text())

    def start_reissue(self) -> None:
        uid = self._selected_card()
        if uid:
            self.flow.start_reissue(uid, self.card_reason.text())

    def adjust(self) -> None:
        self.flow.adjust(self.adjust_points.text(), self.adjust_reason.text())

    def merge(self) -> None:
        if self._merge_source is not None:
            self.flow.merge(self._merge_source.member_id, self.merge_reason.text())

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "lookup_results":
            self.show_results(args[0])
        elif name == "lookup_member":
            self.show_detail(args[0])
        elif name == "lookup_history":
            self.show_history(args[0])
        elif name == "lookup_message":
            self.show_message(core(args[0]), args[1])
        elif name == "lookup_done":
            self.done(args[0], args[1])
        elif name == "lookup_waiting_card":
            self.show_message(self.tr("新しいカードをタッチしてください"), "warning")
        elif name == "lookup_merge_source":
            self.show_merge_source(args[0])

    def show_message(self, text: str, level: str = "info") -> None:
        restyle(self.message, f"message_{level if level in ('error', 'warning') else 'info'}")
        self.message.setText(text)

    def show_results(self, members: list[MemberView]) -> None:
        self.results.clear()
        for m in members:
            blocked = self.tr("（利用停止）") if m.status != "active" else ""
            item = QListWidgetItem(f"{m.display_name}　{m.masked_no}　{pts(m.balance)}{blocked}")
            item.setData(Qt.ItemDataRole.UserRole, m.member_id)
            self.results.addItem(item)
        self.results.setVisible(len(members) > 1)

    def _set_flags(self, texts: list[tuple[str, str]]) -> None:
        for old in self.flags:
            old.hide()
            old.deleteLater()
        self.flags = [label(text, name, wrap=False) for text, name in texts]
        for flag in self.flags:
            flag.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.flag_row.addWidget(flag, 0, Qt.AlignmentFlag.AlignVCenter)

    def show_detail(self, detail: MemberDetail | None) -> None:
        if detail is None:
            for w in (self.name, self.kana, self.number, self.balance, self.hq_line):
                w.setText("")
            self.name.setText(self.tr("会員を検索してください"))
            self.results.setVisible(False)
            self.lots.setRowCount(0)
            self.cards.setRowCount(0)
            self.history.setRowCount(0)
            self.source.setVisible(False)
            self.more.setVisible(False)
            self._set_flags([])
            self._enable()
            return
        m = detail.member
        self.name.setText(self.tr("{name} 様").format(name=m.display_name))
        self.kana.setText(m.kana)
        self.kana.setVisible(bool(m.kana))
        number = m.member_no or self.tr("（HQ で発行待ち）")
        if m.phone_masked:
            self.number.setText(self.tr("会員番号 {no}　電話 {phone}").format(
                no=number, phone=m.phone_masked))
        else:
            self.number.setText(self.tr("会員番号 {no}").format(no=number))
        self.balance.setText(pts(m.balance))
        flags = []
        if m.status != "active":
            flags.append((self.tr("利用停止"), "flag_blocked"))
        if detail.provisional:
            flags.append((self.tr("仮登録"), "flag_offline"))
        if m.debt:
            flags.append((self.tr("不足 {debt}").format(debt=pts(m.debt)), "flag_debt"))
        if m.rank:
            flags.append((m.rank, "rank"))
        self._set_flags(flags)
        if detail.hq is not None:
            self.hq_line.setText(self.tr("HQ: 残高 {b}　取り置き {h}　利用可能 {a}").format(
                b=pts(detail.hq.member.balance), h=pts(detail.hq.held),
                a=pts(detail.hq.available)))
        elif m.pending_delta:
            self.hq_line.setText(self.tr("HQ 未確定の増減 {d:+,} pt を含みます").format(
                d=m.pending_delta))
        else:
            self.hq_line.setText("")
        self.lots.setRowCount(len(m.lots))
        for i, lot in enumerate(m.lots):
            kind = self.tr("期間限定") if lot.kind == "limited" else self.tr("通常")
            expires = (self.tr("{date} まで").format(date=last_day(lot.expires_at, self.flow.tz))
                       if lot.expires_at else self.tr("期限なし"))
            for j, (text, right) in enumerate(((kind, False), (pts(lot.points), True),
                                               (expires, False))):
                self.lots.setItem(i, j, _cell(text, right))
        self.cards.setRowCount(len(detail.cards))
        for i, (uid, status) in enumerate(detail.cards):
            item = _cell(uid)
            item.setData(Qt.ItemDataRole.UserRole, uid)
            self.cards.setItem(i, 0, item)
            self.cards.setItem(i, 1, _cell(self.tr("利用中") if status == "active"
                                           else self.tr("停止")))
        if len(detail.cards) == 1:
            self.cards.selectRow(0)  # the one card is the one a correction acts on
        self._enable()

    def show_history(self, history: History) -> None:
        self.source.setVisible(True)
        self.source.setText(_label(history.label))
        self.notice.setText(core(history.notice))
        self.history.setColumnHidden(3, history.source != "hq")  # HQ's rows carry balances
        self.history.setRowCount(len(history.rows))
        for i, row in enumerate(history.rows):
            balance = pts(row.balance_after) if row.balance_after is not None else ""
            note = core(row.note) if row.note else ""
            if row.state:
                note = self.tr("{note}　{state}").format(note=note, state=_label(row.state)) \
                    if note else _label(row.state)
            cells = ((row.at.astimezone(self.flow.tz).strftime("%Y/%m/%d %H:%M"), False),
                     (_label(row.kind), False), (f"{row.points:+,}", True), (balance, True),
                     (note, False))
            for j, (text, right) in enumerate(cells):
                self.history.setItem(i, j, _cell(text, right))
            button = self._reprint_button(row.receipt_no)
            if button is None:
                self.history.removeCellWidget(i, 5)
            else:
                self.history.setCellWidget(i, 5, button)
        self.more.setVisible(history.more)

    def _reprint_button(self, receipt_no: str) -> QPushButton | None:
        """再発行 for a receipt this register keeps; None (an empty cell) otherwise."""
        if not receipt_no:
            return None
        button = QPushButton(self.tr("再発行", "reprint a receipt"))
        button.setObjectName("row_button")
        button.setToolTip(self.tr("レシート {no} をもう一度印刷します（再発行と印字されます）").format(
            no=receipt_no))
        button.clicked.connect(lambda _=False, no=receipt_no: self.flow.reprint(no))
        return button

    def show_merge_source(self, source: MemberView) -> None:
        self._merge_source = source
        self.merge_preview.setText(self.tr("統合元: {name}（{no}）{points}").format(
            name=source.display_name, no=source.masked_no, points=pts(source.balance)))
        self._enable()

    def done(self, recorded: RecordedOp, text: str) -> None:
        self.ctx.refresh_status()
        self.show_message(self.tr("{what}（取引番号 {no}）").format(
            what=core(text), no=recorded.facts.receipt_no))
        self.adjust_points.clear()
        self.adjust_reason.clear()
        self.card_reason.clear()
        if recorded.op.kind == "merge":
            self._merge_source = None
            self.merge_preview.setText("")
            self.merge_query.clear()
            self.merge_reason.clear()
            self.set_staff(self.flow.staff)
