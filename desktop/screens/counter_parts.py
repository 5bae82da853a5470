"""The counter screen's panels: the member, the basket, the quote, the receipt and the
demo devices (the POS banner and the printer strip are in `counter_strips`).

Each panel only draws what it is given; `desktop.screens.counter` decides when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.flows.basket import (
    CATEGORY_CONTEXT,
    CATEGORY_NAMES,
    NO_CATEGORY,
    CategoryChoice,
    MemberFlags,
)
from desktop.scanning import scan_target
from desktop.screens.base import label, panel
from loyalty.basket import Line
from loyalty.quote import Quote
from sync.store import MemberView, RecordedSale


def yen(amount: int) -> str:
    return f"￥{amount:,}"


def pts(points: int) -> str:
    return f"{points:,} pt"


def day(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y/%m/%d")


def last_day(expires_at: datetime, tz: tzinfo) -> str:
    """The last day points can be used: an expiry is the instant they lapse (the next
    midnight), which shown as a date would read one day late. Receipts say the same."""
    return day(expires_at - timedelta(microseconds=1), tz)


class MemberPanel(QWidget):
    """Idle prompt with the member-number entry, or the member on screen."""

    def __init__(self, on_member_no: Callable[[str], None]) -> None:
        super().__init__()
        frame = panel()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        v = QVBoxLayout(frame)
        v.setContentsMargins(16, 12, 16, 12)
        v.setSpacing(6)
        self.prompt = label(self.tr("カードをタッチまたはQRをスキャン"), "prompt")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(self.prompt)
        self.lookup = QWidget()
        row = QHBoxLayout(self.lookup)
        row.setContentsMargins(0, 0, 0, 0)
        self.member_no = scan_target(QLineEdit())
        self.member_no.setObjectName("small")
        self.member_no.setPlaceholderText(self.tr("会員番号で呼び出す"))
        self.member_no.setMaxLength(40)
        go = QPushButton(self.tr("呼出"))
        go.setObjectName("secondary")
        row.addWidget(self.member_no, 1)
        row.addWidget(go)
        v.addWidget(self.lookup)

        def submit() -> None:
            on_member_no(self.member_no.text())
            self.member_no.clear()

        go.clicked.connect(submit)
        self.member_no.returnPressed.connect(submit)

        self.name = label("", "member_name")
        self.kana = label("", "kana")
        badges = QHBoxLayout()
        self.rank = label("", "rank", wrap=False)
        self.number = label("", "kana", wrap=False)
        badges.addWidget(self.rank)
        badges.addWidget(self.number)
        badges.addStretch(1)
        self.balance = label("", "balance")
        self.expiring = label("", "expiring")
        flags = QHBoxLayout()
        self.birthday = label(self.tr("誕生月"), "flag_birthday", wrap=False)
        self.blocked = label("", "flag_blocked", wrap=False)
        self.debt = label("", "flag_debt", wrap=False)
        self.offline = label(self.tr("オフライン"), "flag_offline", wrap=False)
        for w in (self.birthday, self.blocked, self.debt, self.offline):
            flags.addWidget(w)
        flags.addStretch(1)
        v.addWidget(self.name)
        v.addWidget(self.kana)
        v.addLayout(badges)
        v.addWidget(self.balance)
        v.addWidget(self.expiring)
        v.addLayout(flags)
        self.done = label("", "done")
        v.addWidget(self.done)
        v.addStretch(1)
        self.show_idle()

    def _member_widgets(self) -> tuple[QWidget, ...]:
        return (self.name, self.kana, self.rank, self.number, self.balance, self.expiring,
                self.birthday, self.blocked, self.debt, self.offline, self.done)

    def show_idle(self) -> None:
        self.prompt.setVisible(True)
        self.lookup.setVisible(True)
        for w in self._member_widgets():
            w.setVisible(False)

    def show_member(self, member: MemberView, flags: MemberFlags, *, offline: bool,
                    tz: tzinfo) -> None:
        self.prompt.setVisible(False)
        self.lookup.setVisible(False)
        self.done.setVisible(False)
        self.name.setText(self.tr("{name} 様").format(name=member.display_name))
        self.kana.setText(member.kana)
        self.rank.setText(member.rank)
        self.number.setText(self.tr("会員番号 {no}").format(no=member.masked_no))
        self.balance.setText(pts(member.balance))
        if flags.expiring_points and flags.expiring_first is not None:
            self.expiring.setText(self.tr("まもなく失効: {points}（最初は {date}）").format(
                points=pts(flags.expiring_points), date=last_day(flags.expiring_first, tz)))
        self.blocked.setText(self.tr("停止中のカード {n} 枚").format(n=flags.blocked_cards))
        self.debt.setText(self.tr("未精算 {points}").format(points=pts(flags.debt)))
        for widget, shown in ((self.name, True), (self.kana, bool(member.kana)),
                              (self.rank, bool(member.rank)), (self.number, True),
                              (self.balance, True), (self.expiring, flags.expiring_points > 0),
                              (self.birthday, flags.birthday_month),
                              (self.blocked, flags.blocked_cards > 0),
                              (self.debt, flags.debt > 0), (self.offline, offline)):
            widget.setVisible(shown)

    def show_done(self, sale: RecordedSale) -> None:
        f = sale.facts
        self.prompt.setVisible(False)
        self.lookup.setVisible(False)
        for w in self._member_widgets():
            w.setVisible(False)
        self.name.setVisible(True)
        self.balance.setVisible(True)
        self.done.setVisible(True)
        self.name.setText(self.tr("{name} 様").format(name=f.member.display_name))
        self.balance.setText(self.tr("残高 {balance}").format(balance=pts(f.balance_after)))
        self.done.setText(self.tr("ありがとうございました（今回 +{earned}）").format(
            earned=pts(f.quote.points_earned)))


class BasketPanel(QWidget):
    """The basket lines and a one-row editor to add a line."""

    def __init__(self) -> None:
        super().__init__()
        frame = panel()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        v = QVBoxLayout(frame)
        v.setContentsMargins(12, 10, 12, 10)
        v.addWidget(label(self.tr("明細"), "heading"))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(
            [self.tr("商品"), self.tr("分類"), self.tr("数量"), self.tr("金額")])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        v.addWidget(self.table, 1)
        grid = QGridLayout()
        self.name = QLineEdit()
        self.name.setObjectName("small")
        self.name.setPlaceholderText(self.tr("商品名（任意）"))
        # The program's categories, by name: a cashier picks, never types, a code.
        self.category = QComboBox()
        self.category.setObjectName("small")
        self.category.setToolTip(self.tr("分類: ポイントの対象外やキャンペーンはプログラムで決まります"))
        self._names: dict[str, str] = {}
        self.set_categories((CategoryChoice("", NO_CATEGORY),))
        self.quantity = scan_target(QLineEdit("1"))
        self.quantity.setObjectName("small")
        self.quantity.setMaximumWidth(70)
        self.add = QPushButton(self.tr("明細に追加"))
        self.add.setObjectName("secondary")
        self.remove = QPushButton(self.tr("選択した行を削除"))
        self.remove.setObjectName("secondary")
        grid.addWidget(self.name, 0, 0, 1, 2)
        grid.addWidget(self.category, 1, 0)
        grid.addWidget(self.quantity, 1, 1)
        grid.addWidget(self.add, 2, 0)
        grid.addWidget(self.remove, 2, 1)
        v.addLayout(grid)
        v.addWidget(label(self.tr("金額欄に入力して「明細に追加」。明細がなければ金額だけで会計します"),
                          "hint"))

    def set_categories(self, choices: tuple[CategoryChoice, ...]) -> None:
        """The categories of the program in force (`desktop.flows.basket.category_choices`)."""
        self._names = {c.code: _category(c.name) for c in choices}
        self.category.clear()
        for choice in choices:
            name = _category(choice.name)
            text = self.tr("{name}（{note}）").format(name=name, note=_category(choice.note)) \
                if choice.note else name
            self.category.addItem(text, choice.code)

    def category_code(self) -> str:
        """The code of the category picked for the next line ("" for none)."""
        return str(self.category.currentData() or "")

    def category_name(self, code: str) -> str:
        if not code:
            return ""
        known = self._names.get(code)
        if known is not None:
            return known
        # A POS line may carry a category this program does not treat apart.
        return _category(CATEGORY_NAMES[code]) if code in CATEGORY_NAMES else code

    def show_lines(self, lines: tuple[Line, ...]) -> None:
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            cells = (line.name or line.sku or self.tr("（商品）"), self.category_name(line.category),
                     str(line.quantity), yen(line.amount_yen))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else self.table.rowCount() - 1


class QuotePanel(QWidget):
    """The live quote: total, points used, amount to pay, points earned and why."""

    def __init__(self) -> None:
        super().__init__()
        frame = panel()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        v = QVBoxLayout(frame)
        v.setContentsMargins(16, 10, 16, 10)
        v.setSpacing(4)
        v.addWidget(label(self.tr("お会計"), "heading"))
        self.hint = label(self.tr("会員と金額を入力すると、お支払いと獲得ポイントがここに出ます"),
                          "hint")
        v.addWidget(self.hint)
        self.rows = QWidget()
        grid = QGridLayout(self.rows)
        grid.setContentsMargins(0, 0, 0, 0)
        self.total = label("", "breakdown")
        self.used = label("", "breakdown")
        self.pay = label("", "total")
        self.earn = label("", "earn")
        rows = ((self.tr("合計"), self.total), (self.tr("ポイント利用"), self.used),
                (self.tr("お支払い"), self.pay), (self.tr("獲得予定"), self.earn))
        for n, (name, value) in enumerate(rows):
            grid.addWidget(label(name, "breakdown", wrap=False), n, 0)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(value, n, 1)
        v.addWidget(self.rows)
        self.breakdown = label("", "breakdown")
        self.breakdown.setTextFormat(Qt.TextFormat.RichText)
        v.addWidget(self.breakdown)
        self.problem = label("", "message_error")
        v.addWidget(self.problem)
        v.addStretch(1)
        self.clear()

    def clear(self) -> None:
        for w in (self.total, self.used, self.pay, self.earn, self.breakdown, self.problem):
            w.setText("")
        self.rows.setVisible(False)
        self.hint.setVisible(True)

    def show_problem(self, text: str) -> None:
        self.clear()
        self.hint.setVisible(False)
        self.problem.setText(text)

    def show_quote(self, q: Quote, tz: tzinfo) -> None:
        self.problem.setText("")
        self.hint.setVisible(False)
        self.rows.setVisible(True)
        self.total.setText(yen(q.amount_yen))
        self.used.setText(f"-{pts(q.redeem_points)}" if q.redeem_points else "—")
        self.pay.setText(yen(q.amount_yen - q.redeem_points))
        self.earn.setText(pts(q.points_earned))
        rows = []
        for bonus in q.breakdown:
            if bonus.source == "base":
                name = self.tr("通常ポイント")
            elif bonus.source == "rank":
                name = self.tr("ランク特典")
            else:
                name = bonus.name  # a campaign, named by the program
            extra = ""
            if bonus.limited and bonus.expires_at is not None:
                extra = "<br><span style='color:#8d5a00; font-size:13px'>{}</span>".format(
                    _html(self.tr("期間限定・{date} まで").format(
                        date=last_day(bonus.expires_at, tz))))
            rows.append(f"<tr><td>{_html(name)}{extra}</td>"
                        f"<td align='right' valign='top'>&nbsp;+{pts(bonus.points)}</td></tr>")
        for note in q.notes:
            rows.append(f"<tr><td colspan='2'><i>{_html(i18n.core(note))}</i></td></tr>")
        self.breakdown.setText(f"<table width='100%'>{''.join(rows)}</table>" if rows else "")


class ReceiptView(QScrollArea):
    """The simulated printer's paper, fitted to the panel's width."""

    def __init__(self) -> None:
        super().__init__()
        self.image = label("")
        self.image.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.image)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._original = QPixmap()

    def show_png(self, png: bytes) -> None:
        self._original = QPixmap()
        self._original.loadFromData(png)
        self._fit()

    def _fit(self) -> None:
        if self._original.isNull():
            return
        width = min(self._original.width(), max(120, self.viewport().width() - 4))
        self.image.setPixmap(self._original.scaledToWidth(
            width, Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def has_image(self) -> bool:
        return not self._original.isNull()


class DevicePanel(QWidget):
    """Demo devices: tap a cached card on the simulated reader."""

    def __init__(self, tap: Callable[[str], None]) -> None:
        super().__init__()
        self._tap = tap
        frame = panel()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        v = QVBoxLayout(frame)
        v.setContentsMargins(10, 10, 10, 10)
        v.addWidget(label(self.tr("デモ用カードリーダー"), "heading"))
        self.buttons = QVBoxLayout()
        v.addLayout(self.buttons)
        v.addStretch(1)

    def _buttons(self) -> list[QPushButton]:
        found = []
        for i in range(self.buttons.count()):
            item = self.buttons.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QPushButton):
                found.append(widget)
        return found

    def set_cards(self, cards: list[tuple[str, str, str]]) -> None:
        for button in self._buttons():
            self.buttons.removeWidget(button)
            button.deleteLater()
        for uid, name, status in cards[:6]:
            text = self.tr("タッチ: {name}").format(name=name)
            if status != "active":
                text += self.tr("（停止中）")
            self._add(text, uid)
        self._add(self.tr("タッチ: 未登録のカード"), "0000DEADBEEF00")

    def _add(self, text: str, uid: str) -> None:
        button = QPushButton(text)
        button.setObjectName("tap")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _=False, u=uid: self._tap(u))
        self.buttons.addWidget(button)

    def button_texts(self) -> list[str]:
        return [button.text() for button in self._buttons()]

    def button(self, contains: str) -> QPushButton:
        for button in self._buttons():
            if contains in button.text():
                return button
        raise LookupError(contains)


def _category(source: str) -> str:
    return QCoreApplication.translate(CATEGORY_CONTEXT, source)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
