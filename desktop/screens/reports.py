"""The reports screen for managers (F5): today's figures or the signed-in staff member's
shift, an hourly bar chart of points issued and used (drawn with QPainter), and a CSV
export to the `exports` folder of the register's home.

Over `desktop.flows.reports.ReportsFlow` (from the shell's services). Reports read the
register's own outbox, with HQ's figures where HQ has answered; the chart needs no
charting module.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.flows.messages import QT_TRANSLATE_NOOP
from desktop.flows.reports import HourBar, Report, ReportsFlow
from desktop.receipts import pts, yen
from desktop.screens.base import Screen, ShellContext, label

ISSUED = QColor("#e65100")
REDEEMED = QColor("#6d4c41")
FIRST_HOUR, LAST_HOUR = 6, 23  # store hours shown unless a bar falls outside them



class HourChart(QWidget):
    """Points issued and used per hour, two bars an hour, with a scale and a legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: tuple[HourBar, ...] = ()
        self.setMinimumHeight(220)

    def set_bars(self, bars: tuple[HourBar, ...]) -> None:
        self.bars = bars
        self.update()

    def shown_hours(self) -> list[HourBar]:
        busy = [b.hour for b in self.bars if b.issued or b.redeemed]
        first = min([FIRST_HOUR, *busy])
        last = max([LAST_HOUR - 1, *busy])
        return [b for b in self.bars if first <= b.hour <= last]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        font = QFont(self.font())
        font.setPixelSize(13)
        p.setFont(font)
        hours = self.shown_hours()
        left, right, top, bottom = 56.0, 12.0, 30.0, 26.0
        w, h = self.width() - left - right, self.height() - top - bottom
        if not hours or w <= 0 or h <= 0:
            return
        peak = max([1, *(max(b.issued, b.redeemed) for b in hours)])
        step = _nice_step(peak)
        top_value = step * -(-peak // step)
        axis = QPen(QColor("#9e9e9e"))
        p.setPen(axis)
        for i in range(0, top_value + 1, step):
            y = top + h - h * i / top_value
            p.drawLine(int(left), int(y), int(left + w), int(y))
            p.drawText(QRectF(0, y - 9, left - 6, 18),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{i:,}")
        slot = w / len(hours)
        bar = max(2.0, slot * 0.36)
        for n, b in enumerate(hours):
            x = left + n * slot + slot * 0.12
            for k, (value, color) in enumerate(((b.issued, ISSUED), (b.redeemed, REDEEMED))):
                height = h * value / top_value
                p.fillRect(QRectF(x + k * bar, top + h - height, bar - 1, height), color)
            p.setPen(QColor("#424242"))
            p.drawText(QRectF(left + n * slot, top + h + 4, slot, 18),
                       int(Qt.AlignmentFlag.AlignHCenter), str(b.hour))
        legend_x = left
        for text, color in ((self.tr("発行ポイント"), ISSUED), (self.tr("利用ポイント"), REDEEMED)):
            p.fillRect(QRectF(legend_x, 8, 14, 14), color)
            p.setPen(QColor("#222"))
            p.drawText(QRectF(legend_x + 20, 4, 140, 22),
                       int(Qt.AlignmentFlag.AlignVCenter), text)
            legend_x += 150
        p.drawText(QRectF(left + w - 60, 4, 60, 22),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                   self.tr("（時）"))
        p.end()


def _signed(points: int) -> str:
    return f"{points:+,} pt" if points else "0 pt"


def _nice_step(peak: int) -> int:
    """A round gridline step giving four or five lines up to `peak`."""
    step = 1
    while peak / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 5:
                break
    return step


class ReportsScreen(Screen):
    screen_id = "reports"
    title = QT_TRANSLATE_NOOP("Screens", "集計")
    manager_only = True

    def __init__(self, ctx: ShellContext) -> None:
        super().__init__(ctx)
        self.flow: ReportsFlow = ctx.services.reports
        self.staff = ctx.services.staff  # the signed-in staff member, for the shift report
        self.export_dir = ctx.services.export_dir
        self.report: Report | None = None
        self.setWindowTitle(self.tr("集計"))

        v = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy/MM/dd")
        self.date.setMinimumHeight(44)
        self.date.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # no selected year on arrival
        self.date.setStyleSheet("QDateEdit { font-size: 20px; padding: 2px 8px; }")
        today = self.flow.clock(self.flow.tz).date()
        self.date.setDate(QDate(today.year, today.month, today.day))
        day_button = QPushButton(self.tr("日計を表示"))
        day_button.clicked.connect(self.show_day)
        shift_button = QPushButton(self.tr("自分のシフト"))
        shift_button.clicked.connect(self.show_shift)
        self.export_button = QPushButton(self.tr("CSV に書き出す"))
        self.export_button.clicked.connect(self.export)
        for w in (self.date, day_button, shift_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        v.addLayout(bar)

        row = QHBoxLayout()
        figures = QFrame()
        figures.setObjectName("panel")
        f = QVBoxLayout(figures)
        self.heading = label("", "heading")
        f.addWidget(self.heading)
        grid = QGridLayout()
        self.fields: dict[str, QLabel] = {}
        for i, (key, text) in enumerate((
                ("sales", self.tr("会員のお買上げ")), ("members", self.tr("会員数")),
                ("issued", self.tr("発行ポイント")), ("redeemed", self.tr("利用ポイント")),
                ("returns", self.tr("返品")), ("reversal", self.tr("返品のポイント取消／返却")),
                ("adjusted", self.tr("ポイント調整")), ("pending", self.tr("HQ 未確定")))):
            grid.addWidget(label(text), i, 0)
            value = label("", "breakdown")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(value, i, 1)
            self.fields[key] = value
        f.addLayout(grid)
        f.addStretch(1)
        row.addWidget(figures, 2)

        lists = QFrame()
        lists.setObjectName("panel")
        g = QVBoxLayout(lists)
        g.addWidget(label(self.tr("入会（担当者別）"), "heading"))
        self.enrolments = QGridLayout()
        g.addLayout(self.enrolments)
        g.addWidget(label(self.tr("ポイントの内訳（キャンペーン別）"), "heading"))
        self.campaigns = QGridLayout()
        g.addLayout(self.campaigns)
        g.addStretch(1)
        row.addWidget(lists, 2)
        v.addLayout(row, 2)

        chart_panel = QFrame()
        chart_panel.setObjectName("panel")
        c = QVBoxLayout(chart_panel)
        c.addWidget(label(self.tr("時間帯別のポイント"), "heading"))
        self.chart = HourChart()
        c.addWidget(self.chart, 1)
        v.addWidget(chart_panel, 3)
        self.message = label("", "message_info")
        v.addWidget(self.message)
        self.show_day()

    def activated(self) -> None:
        """Shown again: today's figures may have moved on."""
        today = self.flow.clock(self.flow.tz).date()
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.show_day()

    def can_leave(self) -> bool:
        return True

    def handle_scan(self, text: str) -> bool:
        return False

    def show_day(self) -> None:
        d = self.date.date()
        self.show_report(self.flow.day(date(d.year(), d.month(), d.day())))

    def show_shift(self) -> None:
        staff = self.staff()
        if staff is None:
            self.message.setText(self.tr("サインインしてください"))
            return
        self.show_report(self.flow.shift(staff.staff_id, staff.display_name))

    def show_report(self, report: Report) -> None:
        self.report = report
        self.heading.setText(report.title)
        f = self.fields
        f["sales"].setText(self.tr("{n} 件　{yen}").format(n=report.sales, yen=yen(report.sales_yen)))
        f["members"].setText(self.tr("{n} 人").format(n=report.members))
        f["issued"].setText(pts(report.points_issued))
        f["redeemed"].setText(pts(report.points_redeemed))
        f["returns"].setText(self.tr("{n} 件　{yen}").format(n=report.returns,
                                                            yen=yen(-report.returns_yen)))
        f["reversal"].setText(f"{_signed(-report.points_reversed)}／"
                              f"{_signed(report.points_restored)}")
        f["adjusted"].setText(_signed(report.points_adjusted))
        pending = self.tr("{n} 件").format(n=report.unconfirmed)
        if report.rejected:
            pending += self.tr("（HQ 却下 {n} 件）").format(n=report.rejected)
        f["pending"].setText(pending)
        self._fill(self.enrolments, [(who, self.tr("{n} 人").format(n=n))
                                     for who, n in report.enrolments])
        self._fill(self.campaigns, [(name, pts(points)) for name, points in report.campaigns])
        self.chart.set_bars(report.hours)
        self.message.setText("")

    def _fill(self, grid: QGridLayout, rows: list[tuple[str, str]]) -> None:
        while grid.count():
            item = grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone now, not at the next turn of the event loop
                widget.deleteLater()
        for i, (name, value) in enumerate(rows or [(self.tr("なし"), "")]):
            grid.addWidget(label(name), i, 0)
            right = label(value)
            right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(right, i, 1)

    def export(self) -> Path | None:
        if self.report is None:
            return None
        name = f"tamaru-{self.report.start:%Y%m%d-%H%M}.csv"
        try:
            path = self.flow.export_csv(self.report, self.export_dir / name)
        except OSError as exc:
            self.message.setText(self.tr("書き出せませんでした: {e}").format(e=exc.strerror or exc))
            return None
        self.message.setText(self.tr("書き出しました: {path}").format(path=path))
        return path
