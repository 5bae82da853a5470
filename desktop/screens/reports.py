"""The reports screen for managers (F5): a day's figures or the signed-in staff member's
shift, this register's beside the whole store's from HQ, the breakdowns by staff and by
campaign, an hourly bar chart of points issued and used (drawn with QPainter), and a CSV
export of this register's ops to the `exports` folder of the register's home.

Over `desktop.flows.reports.ReportsFlow` (from the shell's services), which builds the
figures off the GUI thread and announces them. The screen always says whose figures it
shows: "このレジ" columns are this register's own outbox; the store's column is HQ's,
and when HQ cannot give it the screen says the report is this register's only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
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
from desktop.flows.reports import (
    EVENTS,
    UNKNOWN_STAFF,
    HourBar,
    Report,
    ReportsFlow,
    StoreFigures,
)
from desktop.i18n import core
from desktop.receipts import pts, yen
from desktop.screens.base import EventRelay, Screen, ShellContext, label, restyle
from sync.protocol import StoreSummary

ISSUED = QColor("#e65100")
REDEEMED = QColor("#6d4c41")
FIRST_HOUR, LAST_HOUR = 6, 23  # store hours shown unless a bar falls outside them
NO_FIGURE = "—"
# The figures, in the order the table lists them.
ROWS = ("sales", "members", "issued", "redeemed", "returns", "reversal", "adjusted",
        "enrolments", "pending")


class HourChart(QWidget):
    """Points issued and used per hour, two bars an hour, with a scale and a legend."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: tuple[HourBar, ...] = ()
        self.setMinimumHeight(130)

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
        self.store: StoreFigures | None = None
        self.setWindowTitle(self.tr("集計"))
        self._relay = EventRelay(self.flow.events, EVENTS, self)
        self._relay.fired.connect(self._on_event)

        v = QVBoxLayout(self)
        v.setSpacing(6)
        bar = QHBoxLayout()
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy/MM/dd")
        self.date.setMinimumHeight(44)
        self.date.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # no selected year on arrival
        self.date.setStyleSheet("QDateEdit { font-size: 20px; padding: 2px 8px; }")
        today = self.flow.clock(self.flow.tz).date()
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.day_button = QPushButton(self.tr("日計を表示"))
        self.day_button.clicked.connect(self.show_day)
        self.shift_button = QPushButton(self.tr("自分のシフト"))
        self.shift_button.clicked.connect(self.show_shift)
        self.export_button = QPushButton(self.tr("CSV に書き出す（このレジ）"))
        self.export_button.clicked.connect(self.export)
        self.heading = label("", "report_title", wrap=False)
        for w in (self.date, self.day_button, self.shift_button):
            bar.addWidget(w)
        bar.addSpacing(12)
        bar.addWidget(self.heading)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        v.addLayout(bar)
        # Whose figures these are, always on screen (and why HQ's are missing).
        self.scope = label("", "hint")
        v.addWidget(self.scope)

        row = QHBoxLayout()
        row.addWidget(self._figures_panel(), 3)
        row.addWidget(self._details_panel(), 2)
        v.addLayout(row)

        chart_panel = QFrame()
        chart_panel.setObjectName("panel")
        c = QVBoxLayout(chart_panel)
        c.setContentsMargins(10, 6, 10, 6)
        self.chart_heading = label("", "heading")
        c.addWidget(self.chart_heading)
        self.chart = HourChart()
        c.addWidget(self.chart, 1)
        v.addWidget(chart_panel, 1)
        self.message = label("", "message_info")
        v.addWidget(self.message)

    def _figures_panel(self) -> QFrame:
        figures = QFrame()
        figures.setObjectName("panel")
        grid = QGridLayout(figures)
        grid.setContentsMargins(12, 8, 12, 8)
        grid.setVerticalSpacing(2)
        grid.setHorizontalSpacing(16)
        self.here_header = label("", "heading", wrap=False)
        self.store_header = label("", "heading", wrap=False)
        for col, w in ((1, self.here_header), (2, self.store_header)):
            w.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(w, 0, col)
        names = {"sales": self.tr("会員のお買上げ"), "members": self.tr("会員数"),
                 "issued": self.tr("発行ポイント"), "redeemed": self.tr("利用ポイント"),
                 "returns": self.tr("返品"), "reversal": self.tr("返品のポイント取消／返却"),
                 "adjusted": self.tr("ポイント調整"), "enrolments": self.tr("入会"),
                 "pending": self.tr("HQ 未確定／保留")}
        self.fields: dict[str, QLabel] = {}
        self.store_fields: dict[str, QLabel] = {}
        for i, key in enumerate(ROWS, start=1):
            grid.addWidget(label(names[key], wrap=False), i, 0)
            for col, target in ((1, self.fields), (2, self.store_fields)):
                value = label("", "breakdown", wrap=False)
                value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(value, i, col)
                target[key] = value
        grid.setColumnStretch(0, 1)
        return figures

    def _details_panel(self) -> QFrame:
        lists = QFrame()
        lists.setObjectName("panel")
        g = QVBoxLayout(lists)
        g.setContentsMargins(12, 8, 12, 8)
        g.setSpacing(4)
        # The breakdowns and the chart are of one scope at a time: this register or the store.
        toggle = QHBoxLayout()
        self.scope_group = QButtonGroup(self)
        self.here_button = QPushButton(self.tr("このレジ"))
        self.store_button = QPushButton(self.tr("店舗全体（HQ）"))
        for i, button in enumerate((self.here_button, self.store_button)):
            button.setObjectName("toggle")
            button.setCheckable(True)
            self.scope_group.addButton(button, i)
            toggle.addWidget(button)
        self.here_button.setChecked(True)
        self.scope_group.idClicked.connect(lambda _id: self._show_details())
        g.addLayout(toggle)
        g.addWidget(label(self.tr("入会（担当者別）"), "heading"))
        self.enrolments = QGridLayout()
        g.addLayout(self.enrolments)
        g.addWidget(label(self.tr("ポイントの内訳（キャンペーン別）"), "heading"))
        self.campaigns = QGridLayout()
        g.addLayout(self.campaigns)
        g.addStretch(1)
        return lists

    # -- shell hooks ------------------------------------------------------------------

    def activated(self) -> None:
        """Shown again: today's figures may have moved on."""
        today = self.flow.clock(self.flow.tz).date()
        self.date.setDate(QDate(today.year, today.month, today.day))
        self.show_day()

    def can_leave(self) -> bool:
        return True

    def handle_scan(self, text: str) -> bool:
        return False

    # -- actions ----------------------------------------------------------------------

    def show_day(self) -> None:
        d = self.date.date()
        self._asking()
        self.flow.request_day(date(d.year(), d.month(), d.day()))

    def show_shift(self) -> None:
        staff = self.staff()
        if staff is None:
            self.message.setText(self.tr("サインインしてください"))
            return
        self._asking()
        self.flow.request_shift(staff.staff_id, staff.display_name)

    def _asking(self) -> None:
        self.message.setText("")
        for button in (self.day_button, self.shift_button):
            button.setEnabled(False)

    def export(self) -> Path | None:
        if self.report is None:
            return None
        name = f"tamaru-{self.report.device_id or 'register'}-{self.report.start:%Y%m%d-%H%M}.csv"
        try:
            path = self.flow.export_csv(self.report, self.export_dir / name)
        except OSError as exc:
            self.message.setText(self.tr("書き出せませんでした: {e}").format(e=exc.strerror or exc))
            return None
        self.message.setText(self.tr("このレジの記録を書き出しました: {path}").format(path=path))
        return path

    # -- reactions --------------------------------------------------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "report_ready":
            self.show_report(args[0])
        elif name == "report_store":
            self.show_store(args[0])

    def _title(self, report: Report) -> str:
        start = report.start.astimezone(self.flow.tz)
        if report.kind == "shift":
            return self.tr("{name} さんのシフト（{time}〜）").format(
                name=report.staff_name, time=start.strftime("%H:%M"))
        return self.tr("{year}年{month}月{day}日 の日計").format(
            year=start.year, month=f"{start.month:02d}", day=f"{start.day:02d}")

    def show_report(self, report: Report) -> None:
        """This register's figures; the store's follow (`show_store`)."""
        self.report, self.store = report, None
        for button in (self.day_button, self.shift_button):
            button.setEnabled(True)
        self.heading.setText(self._title(report))
        self.here_header.setText(self.tr("このレジ（{device}）").format(device=report.device_id))
        self.store_header.setText(self.tr("店舗全体（HQ）"))
        for key, text in self._figures(report).items():
            self.fields[key].setText(text)
        for value in self.store_fields.values():
            value.setText(NO_FIGURE)
        self._set_scope_note(self.tr("「このレジ」はこのレジの記録だけの集計です。"
                                     "店舗全体の集計を HQ に問い合わせています…"), "hint")
        self.store_button.setEnabled(False)
        self.here_button.setChecked(True)
        self._show_details()

    def show_store(self, figures: StoreFigures) -> None:
        """HQ's figures for the whole store, or why the report is this register's only."""
        if self.report is None or not figures.matches(self.report):
            return  # the answer to an earlier request
        self.store = figures
        summary = figures.summary
        if summary is None:
            self._set_scope_note(core(figures.notice), "message_warning")
            return
        self.store_header.setText(self.tr("店舗全体（HQ・レジ {n} 台）").format(
            n=len(figures.registers)))
        for key, text in self._store_figures(summary).items():
            self.store_fields[key].setText(text)
        self._set_scope_note(self.tr(
            "「このレジ」はこのレジの記録だけ、「店舗全体」は HQ が受け付けた店舗のすべてのレジの"
            "集計です（{time} 現在）").format(
                time=summary.as_of.astimezone(self.flow.tz).strftime("%H:%M")), "hint")
        self.store_button.setEnabled(True)

    def _set_scope_note(self, text: str, style: str) -> None:
        restyle(self.scope, style)
        self.scope.setText(text)

    def _figures(self, r: Report) -> dict[str, str]:
        pending = self.tr("未確定 {n} 件").format(n=r.unconfirmed)
        if r.rejected:
            pending = self.tr("未確定 {n} 件（却下 {m} 件）").format(n=r.unconfirmed, m=r.rejected)
        return {
            "sales": self.tr("{n} 件　{yen}").format(n=r.sales, yen=yen(r.sales_yen)),
            "members": self.tr("{n} 人").format(n=r.members),
            "issued": pts(r.points_issued), "redeemed": pts(r.points_redeemed),
            "returns": self.tr("{n} 件　{yen}").format(n=r.returns, yen=yen(-r.returns_yen)),
            "reversal": self.tr("{reversed}／{restored}").format(
                reversed=_signed(-r.points_reversed), restored=_signed(r.points_restored)),
            "adjusted": _signed(r.points_adjusted),
            "enrolments": self.tr("{n} 人").format(n=sum(n for _, n in r.enrolments)),
            "pending": pending,
        }

    def _store_figures(self, s: StoreSummary) -> dict[str, str]:
        pending = self.tr("保留 {n} 件").format(n=s.parked)
        if s.rejected:
            pending = self.tr("保留 {n} 件（却下 {m} 件）").format(n=s.parked, m=s.rejected)
        return {
            "sales": self.tr("{n} 件　{yen}").format(n=s.sales, yen=yen(s.sales_yen)),
            "members": self.tr("{n} 人").format(n=s.members),
            "issued": pts(s.points_issued), "redeemed": pts(s.points_redeemed),
            "returns": self.tr("{n} 件　{yen}").format(n=s.returns, yen=yen(-s.returns_yen)),
            "reversal": self.tr("{reversed}／{restored}").format(
                reversed=_signed(-s.points_reversed), restored=_signed(s.points_restored)),
            "adjusted": _signed(s.points_adjusted),
            "enrolments": self.tr("{n} 人").format(n=s.enrolments),
            "pending": pending,
        }

    def _show_details(self) -> None:
        report, store = self.report, self.store
        if report is None:
            return
        whole = self.store_button.isChecked() and store is not None and \
            store.summary is not None
        if whole:
            assert store is not None
            enrolments, campaigns, hours = store.enrolments, store.campaigns, store.hours
            self.chart_heading.setText(self.tr("時間帯別のポイント（店舗全体・HQ）"))
        else:
            enrolments, campaigns, hours = report.enrolments, report.campaigns, report.hours
            self.chart_heading.setText(self.tr("時間帯別のポイント（このレジ）"))
        # Staff names are data; only the "unknown" placeholder is a sentence to translate.
        self._fill(self.enrolments, [(core(who) if who == UNKNOWN_STAFF else who,
                                      self.tr("{n} 人").format(n=n))
                                     for who, n in enrolments])
        self._fill(self.campaigns, [(core(name), pts(points)) for name, points in campaigns])
        self.chart.set_bars(hours)

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
