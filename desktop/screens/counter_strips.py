"""The counter screen's strips across its width: the POS sale waiting for its member
above the panels, and the printer below them (what is wrong, what to do, receipts left
unprinted, reprint).

Each strip only draws what it is given; `desktop.screens.counter` decides when.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout

from desktop import i18n
from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.printing import PrintStatus
from desktop.screens.base import label, restyle
from desktop.screens.counter_parts import yen
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

if TYPE_CHECKING:
    from desktop.poslink import PosSale


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

    def _unprinted_title(self, status: PrintStatus) -> str:
        count = f"{status.unprinted_count:,}"
        shown = status.unprinted[-3:]
        if not shown:
            return self.tr("印刷できなかったレシート {n} 件").format(n=count)
        # The separator is a text of its own: a translation may list numbers otherwise.
        numbers = self.tr("、", "between receipt numbers").join(shown)
        if status.unprinted_count > len(shown):
            return self.tr("印刷できなかったレシート {n} 件（{numbers} ほか）").format(
                n=count, numbers=numbers)
        return self.tr("印刷できなかったレシート {n} 件（{numbers}）").format(
            n=count, numbers=numbers)

    def show_status(self, status: PrintStatus) -> None:
        reason = status.waiting or status.retrying
        if status.waiting:
            self.title.setText(self.tr("印刷を止めています: {reason}").format(
                reason=i18n.core(status.waiting)))
            advice = self.tr("{advice}。お買い上げは記録済みで、レジはそのまま使えます").format(
                advice=self._advice(status.waiting))
        elif status.retrying:
            self.title.setText(self.tr("印刷をやり直しています（{n} 回目）: {reason}").format(
                n=status.attempt + 1, reason=i18n.core(status.retrying)))
            advice = self._advice(status.retrying)
        elif status.unprinted_count:
            self.title.setText(self._unprinted_title(status))
            if status.last_error:
                advice = self.tr("{reason}。{advice}。直したら「未印刷を印刷」を押してください").format(
                    reason=i18n.core(status.last_error), advice=self._advice(status.last_error))
            else:
                advice = self.tr("{advice}。直したら「未印刷を印刷」を押してください").format(
                    advice=self._advice(None))
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
