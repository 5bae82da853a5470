"""The counter screen's panels: the member, the basket, the quote, the demo devices, the
POS sale waiting for its member, and the printer.

Each panel only draws what it is given; `desktop.screens.counter` decides when.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
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
from desktop.flows.basket import MemberFlags
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.printing import PrintStatus
from desktop.scanning import scan_target
from desktop.screens.base import label, panel, restyle
from devices.printers import (
    REASON_BUSY,
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_NO_ANSWER,
    REASON_NOT_FOUND,
    REASON_OFFLINE,
    REASON_PAPER_OUT,
    REASON_PRINTER_FAULT,
    REASON_UNREACHABLE,
)
from loyalty.basket import Line
from loyalty.quote import Quote
from sync.store import MemberView, RecordedSale

if TYPE_CHECKING:
    from desktop.poslink import PosSale

# Categories offered in the line editor; the program's own names may differ, so the
# field stays editable.
CATEGORIES = ("", "food", "daily", "rice", "tobacco", "gift_card")


def yen(amount: int) -> str:
    return f"￥{amount:,}"


def pts(points: int) -> str:
    return f"{points:,} pt"


def day(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y/%m/%d")


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
                points=pts(flags.expiring_points), date=day(flags.expiring_first, tz)))
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
        self.category = QComboBox()
        self.category.setObjectName("small")
        self.category.setEditable(True)
        self.category.addItems(list(CATEGORIES))
        editor = self.category.lineEdit()
        if editor is not None:
            editor.setPlaceholderText(self.tr("分類"))
        self.category.setToolTip(self.tr("分類（ポイント対象外の分類はプログラムで決まります）"))
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

    def show_lines(self, lines: tuple[Line, ...]) -> None:
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            cells = (line.name or line.sku or self.tr("（商品）"), line.category,
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
                        date=day(bonus.expires_at, tz))))
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


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PosBanner(QFrame):
    """The POS's sale waiting for its member: the amount, the lines, "no member"."""

    def __init__(self, on_no_member: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("banner_warning")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 14, 8)
        text = QVBoxLayout()
        self.headline = label("", "pos_headline", wrap=False)
        self.headline.setStyleSheet("font-size: 26px; font-weight: bold; color: #7a3b00;")
        self.detail = label("", "banner_advice")
        text.addWidget(self.headline)
        text.addWidget(self.detail)
        row.addLayout(text, 1)
        self.no_member = QPushButton(self.tr("会員なしで会計"))
        self.no_member.setObjectName("secondary")
        self.no_member.setToolTip(self.tr("カードのないお客様: POS にポイントなしでお会計するよう伝えます"))
        self.no_member.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.no_member.clicked.connect(on_no_member)
        row.addWidget(self.no_member)
        self.sale_id: str | None = None
        self.setVisible(False)

    def show_sale(self, sale: PosSale) -> None:
        self.sale_id = sale.sale_id
        self.headline.setText(self.tr("POS から {amount}").format(amount=yen(sale.amount_yen)))
        items = sum(line.quantity for line in sale.basket)
        basis = self.tr("内税") if sale.tax_basis == "included" else self.tr("外税")
        self.detail.setText(self.tr(
            "{items} 点（{basis}）・POS の取引 {sale_id}。会員カードをタッチまたは QR をスキャンし、"
            "確定してください").format(items=f"{items:,}", basis=basis, sale_id=sale.sale_id))
        self.setVisible(True)

    def clear(self) -> None:
        self.sale_id = None
        self.headline.setText("")
        self.detail.setText("")
        self.setVisible(False)


# What the cashier does about each printer problem, in plain words.
PRINT_ADVICE: dict[str, str] = {
    REASON_PAPER_OUT: QT_TRANSLATE_NOOP(
        "PrintPanel", "新しいロール紙をセットしてカバーを閉じ、「印刷を再開」を押してください"),
    REASON_COVER_OPEN: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターのカバーを奥まで閉じてから「印刷を再開」を押してください"),
    REASON_PRINTER_FAULT: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターの電源を切り、紙詰まりを取り除いてから電源を入れ、「印刷を再開」を押してください"),
    REASON_OFFLINE: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターの電源が入っているか、ケーブルが抜けていないか確認してください"),
    REASON_UNREACHABLE: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターの電源と、LAN・USB ケーブルを確認してください"),
    REASON_NOT_FOUND: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターの電源と、LAN・USB ケーブルを確認してください"),
    REASON_NO_ANSWER: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターの電源を入れ直してください"),
    REASON_CONNECTION_LOST: QT_TRANSLATE_NOOP(
        "PrintPanel", "ケーブルがしっかり差さっているか確認してください"),
    REASON_BUSY: QT_TRANSLATE_NOOP(
        "PrintPanel", "プリンターを使っているほかのアプリを閉じてください"),
}
OTHER_ADVICE = QT_TRANSLATE_NOOP("PrintPanel", "店長に連絡してください")


class PrintPanel(QFrame):
    """The printer as the cashier needs it: what is wrong and what to do, receipts left
    unprinted, and the buttons that act on them. Selling never waits for it."""

    def __init__(self, *, retry: Callable[[], None], set_aside: Callable[[], object],
                 print_unprinted: Callable[[], object], reprint: Callable[[], object]) -> None:
        super().__init__()
        self.setObjectName("panel")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        text = QVBoxLayout()
        text.setSpacing(0)
        self.title = label("", "heading")
        self.advice = label("", "banner_advice")
        text.addWidget(self.title)
        text.addWidget(self.advice)
        row.addLayout(text, 1)
        self.retry = self._button(self.tr("印刷を再開"), retry)
        self.set_aside = self._button(self.tr("あとで印刷"), set_aside)
        self.print_unprinted = self._button("", print_unprinted)
        self.reprint = self._button(self.tr("レシート再発行"), reprint)
        for button in (self.retry, self.set_aside, self.print_unprinted, self.reprint):
            row.addWidget(button)
        self.show_status(PrintStatus())

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName("secondary")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter keeps confirming the sale
        button.clicked.connect(lambda _=False: slot())
        return button

    def _advice(self, reason: str | None) -> str:
        return self.tr(PRINT_ADVICE.get(reason or "", OTHER_ADVICE))

    def show_status(self, status: PrintStatus) -> None:
        reason = status.waiting or status.retrying
        if status.waiting:
            self.title.setText(self.tr("印刷を止めています: {reason}").format(
                reason=i18n.core(status.waiting)))
            advice = self._advice(status.waiting) + self.tr(
                "。お買い上げは記録済みで、レジはそのまま使えます")
        elif status.retrying:
            self.title.setText(self.tr("印刷をやり直しています（{n} 回目）: {reason}").format(
                n=status.attempt + 1, reason=i18n.core(status.retrying)))
            advice = self._advice(status.retrying)
        elif status.unprinted_count:
            numbers = "、".join(status.unprinted[-3:])
            self.title.setText(self.tr("印刷できなかったレシート {n} 件").format(
                n=f"{status.unprinted_count:,}") + (f"（{numbers}）" if numbers else ""))
            why = i18n.core(status.last_error) + "。" if status.last_error else ""
            advice = why + self._advice(status.last_error) + self.tr(
                "。直したら「未印刷を印刷」を押してください")
        elif status.queued:
            self.title.setText(self.tr("印刷しています"))
            advice = ""
        else:
            self.title.setText(self.tr("プリンター: 準備できています"))
            advice = ""
        self.advice.setText(advice)
        self.advice.setVisible(bool(advice))
        trouble = bool(reason or status.unprinted_count)
        restyle(self, ("banner_error" if status.waiting else "banner_warning") if trouble
                else "panel")
        restyle(self.title, "banner_title" if trouble else "heading")
        self.retry.setVisible(bool(status.waiting or status.retrying))
        self.set_aside.setVisible(bool(status.waiting))
        self.print_unprinted.setText(self.tr("未印刷を印刷（{n} 件）").format(
            n=f"{status.unprinted_count:,}"))
        self.print_unprinted.setVisible(bool(status.unprinted_count) and not status.waiting)
        self.reprint.setEnabled(status.last_receipt is not None)
        self.reprint.setToolTip(self.tr("最後のレシート（{no}）をもう一度印刷します").format(
            no=status.last_receipt) if status.last_receipt else "")
