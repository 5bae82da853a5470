"""Shift and day reports, free of Qt: this register's figures from its own outbox, and
beside them the whole store's from HQ when HQ answers.

This register's report: sales with members, points issued and used, returns,
adjustments, enrolments by staff member, points by campaign, an hourly breakdown for the
chart, and a CSV export Excel opens as is. Figures are HQ's where HQ has answered (its
points for a sale, its reversal for a return, its breakdown by campaign); until then the
register's own quote or estimate, counted separately as not yet confirmed.

The store's figures (`StoreFigures`) come from HQ's ledger over every register of the
store (`GET /v1/stores/{store_id}/summary`). When HQ cannot be reached, is not set up, or
the report is a shift (one staff member at this register), they are absent with a notice
saying the report is this register's only. Yen and points are integers throughout.

`request_day` / `request_shift` build the report on a thread of the flow's own (the GUI
thread opens no database session) and announce `report_ready(Report)`, then
`report_store(StoreFigures)` once HQ has answered or could not.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.hq_lookup import HqLookup, HqLookupError
from loyalty.ledger import pro_rata
from sync.events import EventBus
from sync.models import AuditEntry, OutboxOp, Staff
from sync.ops import KIND_NAMES
from sync.protocol import (
    AdjustPayload,
    EnrollPayload,
    Op,
    ReturnPayload,
    SalePayload,
    StoreSummary,
)
from sync.store import RegisterStore

log = logging.getLogger(__name__)

UNKNOWN_STAFF = QT_TRANSLATE_NOOP("core", "（不明）")  # an enrolment whose staff is not known here

EVENTS = ("report_ready", "report_store")
# Why a report shows this register's figures only (the "core" context, like messages.py).
HQ_OFFLINE = QT_TRANSLATE_NOOP(
    "core", "HQ に接続できないため、このレジの集計のみ表示しています")
HQ_NOT_SET = QT_TRANSLATE_NOOP(
    "core", "HQ が設定されていないため、このレジの集計のみ表示しています")
HQ_REFUSED = QT_TRANSLATE_NOOP(
    "core", "HQ から店舗の集計を受け取れませんでした（{reason}）。このレジの集計のみ表示しています")
SHIFT_ONLY = QT_TRANSLATE_NOOP(
    "core", "シフトの集計はこのレジの記録だけから作ります")

CSV_HEADER = ("日時", "取引番号", "種別", "担当", "金額（円）", "獲得pt", "利用pt", "取消pt",
              "返還pt", "調整pt", "状態")
STATE_NAMES = {"queued": "未送信", "sent": "送信中", "parked": "HQ 保留", "applied": "確定",
               "duplicate": "確定", "rejected": "HQ 却下"}
UNCONFIRMED = QT_TRANSLATE_NOOP("core", "HQ 未確定")  # a campaign line, shown through core()
SHIFT_KINDS = ("shift_start", "sign_in")  # the start of a staff member's shift


@dataclass(frozen=True)
class ReportLine:
    """One op, as the CSV lists it. A return's yen are negative."""

    local_time: datetime
    receipt_no: str
    kind: str
    staff: str
    amount_yen: int = 0
    points_earned: int = 0
    points_redeemed: int = 0
    points_reversed: int = 0
    points_restored: int = 0
    points_adjusted: int = 0
    state: str = ""


@dataclass(frozen=True)
class HourBar:
    hour: int  # local hour of day, 0–23
    issued: int
    redeemed: int


@dataclass(frozen=True)
class Report:
    """This register's figures over [start, end): its own outbox only."""

    title: str
    start: datetime
    end: datetime
    sales: int
    sales_yen: int
    members: int  # different members who bought
    points_issued: int
    points_redeemed: int
    returns: int
    returns_yen: int
    points_reversed: int
    points_restored: int
    points_adjusted: int
    enrolments: tuple[tuple[str, int], ...]  # (staff member, count), most first
    campaigns: tuple[tuple[str, int], ...]  # (HQ's breakdown line, points), most first
    unconfirmed: int  # ops HQ has not answered yet
    hours: tuple[HourBar, ...]
    lines: tuple[ReportLine, ...]
    rejected: int = 0  # ops HQ refused (not counted above)
    kind: str = "day"  # "day", or "shift" (one staff member's ops since their sign-in)
    staff_name: str = ""  # the shift's staff member
    device_id: str = ""  # this register


@dataclass(frozen=True)
class StoreFigures:
    """The whole store's figures from HQ for a report's period, or why there are none
    (`notice`, a translatable sentence; the report then stands for this register only)."""

    start: datetime
    end: datetime
    summary: StoreSummary | None = None
    notice: str = ""
    enrolments: tuple[tuple[str, int], ...] = ()  # (staff member, count), most first
    campaigns: tuple[tuple[str, int], ...] = ()  # (breakdown line, points), most first
    hours: tuple[HourBar, ...] = ()
    registers: tuple[str, ...] = ()  # the registers with ops in the period

    def matches(self, report: Report) -> bool:
        return (self.start, self.end) == (report.start, report.end)


def _int(value: Any, default: int) -> int:
    return default if value is None else int(value)


def _receipt_no(row: OutboxOp, op: Op) -> str:
    return getattr(op.payload, "receipt_no", "") or f"{op.device_id}-{row.device_seq:06d}"


class ReportsFlow:
    def __init__(self, store: RegisterStore, *, tz: ZoneInfo,
                 clock: Callable[[ZoneInfo], datetime] = datetime.now,
                 events: EventBus | None = None, hq: HqLookup | None = None,
                 online: Callable[[], bool] = lambda: True) -> None:
        self.store = store
        self.tz = tz
        self.clock = clock
        self.events = events or EventBus()
        self.hq = hq
        self.online = online  # False skips HQ at once (the sync client knows it is offline)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-reports")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- off the GUI thread -----------------------------------------------------------

    def request_day(self, day: date | None = None) -> Future[Report]:
        """`day()` on the flow's thread: `report_ready`, then `report_store`."""
        return self._pool.submit(self._announce, lambda: self.day(day))

    def request_shift(self, staff_id: str, name: str = "") -> Future[Report]:
        """`shift()` on the flow's thread: `report_ready`, then `report_store`."""
        return self._pool.submit(self._announce, lambda: self.shift(staff_id, name))

    def _announce(self, make: Callable[[], Report]) -> Report:
        report = make()
        self.events.emit("report_ready", report)
        self.events.emit("report_store", self.store_figures(report))
        return report

    def store_figures(self, report: Report) -> StoreFigures:
        """HQ's figures for the whole store over the report's period (blocks on HQ)."""
        empty = StoreFigures(report.start, report.end)
        if report.kind == "shift":
            return replace(empty, notice=Message(SHIFT_ONLY))
        identity = self.store.identity()
        if self.hq is None or identity is None:
            return replace(empty, notice=Message(HQ_NOT_SET))
        if not self.online():
            return replace(empty, notice=Message(HQ_OFFLINE))
        try:
            summary = self.hq.store_summary(identity[1], report.start, report.end)
        except HqLookupError as exc:
            if exc.offline:
                return replace(empty, notice=Message(HQ_OFFLINE))
            return replace(empty, notice=Message(HQ_REFUSED, reason=str(exc)))
        except Exception:
            log.exception("store summary not read")
            return replace(empty, notice=Message(HQ_OFFLINE))
        with self.store.reading() as s:
            names = {st.staff_id: st.display_name for st in s.scalars(select(Staff))}
        return replace(
            empty, summary=summary,
            enrolments=tuple((names.get(e.staff_id, e.staff_id) or UNKNOWN_STAFF, e.enrolments)
                             for e in summary.enrolments_by_staff),
            campaigns=tuple((c.name, c.points) for c in summary.campaigns),
            hours=tuple(HourBar(h.hour, h.issued, h.redeemed) for h in summary.hours),
            registers=tuple(r.device_id for r in summary.registers))

    # -- this register's figures ------------------------------------------------------

    def day(self, day: date | None = None) -> Report:
        """The business day `day` (default today), midnight to midnight, local time."""
        day = day or self.clock(self.tz).date()
        start = datetime.combine(day, time(0), self.tz)
        return self.report(start, start + timedelta(days=1),
                           title=f"{day:%Y年%m月%d日} の日計")

    def shift_start(self, staff_id: str) -> datetime | None:
        """When the staff member's current shift began (their last sign-in here)."""
        with self.store.reading() as s:
            return s.scalars(select(AuditEntry.at).where(
                AuditEntry.staff_id == staff_id, AuditEntry.kind.in_(SHIFT_KINDS))
                .order_by(AuditEntry.seq.desc()).limit(1)).first()

    def shift(self, staff_id: str, name: str = "") -> Report:
        """The staff member's ops since the start of their shift (the whole day if unknown)."""
        now = self.clock(self.tz)
        start = self.shift_start(staff_id) or datetime.combine(now.date(), time(0), self.tz)
        start = start.astimezone(self.tz)
        report = self.report(start, now + timedelta(seconds=1),
                             title=f"{name or staff_id} さんのシフト（{start:%H:%M}〜）",
                             staff_id=staff_id)
        return replace(report, kind="shift", staff_name=name or staff_id)

    def report(self, start: datetime, end: datetime, *, title: str,
               staff_id: str | None = None) -> Report:
        with self.store.reading() as s:
            query = select(OutboxOp).where(OutboxOp.created_at >= start,
                                           OutboxOp.created_at < end)
            rows = list(s.scalars(query.order_by(OutboxOp.device_seq)))
            names = {st.staff_id: st.display_name for st in s.scalars(select(Staff))}
            sale_ids = {r.body["payload"]["sale_op_id"] for r in rows if r.kind == "return"}
            sales = {r.op_id: r for r in s.scalars(select(OutboxOp).where(
                OutboxOp.op_id.in_(sale_ids)))} if sale_ids else {}
        t = _Tally(self.tz, names)
        for row in rows:
            op = Op.model_validate(row.body)
            if staff_id is None or op.staff_id == staff_id:
                t.add(row, op, sales)
        identity = self.store.identity()
        return replace(t.report(title, start, end),
                       device_id=identity[0] if identity is not None else "")

    @staticmethod
    def csv_bytes(report: Report) -> bytes:
        """The report's ops as CSV: UTF-8 with a BOM (so Excel reads the Japanese), CRLF."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for ln in report.lines:
            writer.writerow([ln.local_time.strftime("%Y-%m-%d %H:%M:%S"), ln.receipt_no,
                             ln.kind, ln.staff, ln.amount_yen, ln.points_earned,
                             ln.points_redeemed, ln.points_reversed, ln.points_restored,
                             ln.points_adjusted, ln.state])
        return out.getvalue().encode("utf-8-sig")

    def export_csv(self, report: Report, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(self.csv_bytes(report))
        tmp.replace(path)  # a half-written file never looks like a report
        return path


class _Tally:
    """Adds up ops into a report."""

    def __init__(self, tz: ZoneInfo, names: dict[str, str]) -> None:
        self.tz = tz
        self.names = names
        self.n: Counter[str] = Counter()
        self.members: set[str] = set()
        self.enrolments: Counter[str] = Counter()
        self.campaigns: Counter[str] = Counter()
        self.issued: Counter[int] = Counter()
        self.redeemed: Counter[int] = Counter()
        self.lines: list[ReportLine] = []

    def add(self, row: OutboxOp, op: Op, sales: dict[str, OutboxOp]) -> None:
        local = op.local_time.astimezone(self.tz)
        staff = self.names.get(op.staff_id or "", op.staff_id or "")
        result: dict[str, Any] = row.result or {}
        confirmed = row.state in ("applied", "duplicate")
        line = ReportLine(local, _receipt_no(row, op), KIND_NAMES.get(row.kind, row.kind), staff,
                          state=STATE_NAMES.get(row.state, row.state))
        if row.state == "rejected":
            self.n["rejected"] += 1
            self.lines.append(line)
            return
        if not confirmed:
            self.n["unconfirmed"] += 1
        p = op.payload
        if isinstance(p, SalePayload):
            earned, redeemed = p.points_earned, p.points_redeemed
            if confirmed:  # HQ's own figures where it gave them
                earned = _int(result.get("points_earned"), earned)
                redeemed = _int(result.get("points_redeemed"), redeemed)
            self.n["sales"] += 1
            self.n["sales_yen"] += p.amount_yen
            self.n["issued"] += earned
            self.n["redeemed"] += redeemed
            self.members.add(op.member_id)
            self.issued[local.hour] += earned
            self.redeemed[local.hour] += redeemed
            breakdown = result.get("breakdown") if confirmed else None
            if breakdown:
                for part in breakdown:
                    self.campaigns[part["name"]] += int(part["points"])
            elif earned:
                self.campaigns[UNCONFIRMED] += earned
            line = replace(line, amount_yen=p.amount_yen, points_earned=earned,
                           points_redeemed=redeemed)
        elif isinstance(p, ReturnPayload):
            reversed_pts, restored = self._return_points(p, result, confirmed, sales)
            self.n["returns"] += 1
            self.n["returns_yen"] += p.returned_yen
            self.n["reversed"] += reversed_pts
            self.n["restored"] += restored
            line = replace(line, amount_yen=-p.returned_yen, points_reversed=reversed_pts,
                           points_restored=restored)
        elif isinstance(p, AdjustPayload):
            self.n["adjusted"] += p.points
            line = replace(line, points_adjusted=p.points)
        elif isinstance(p, EnrollPayload):
            self.enrolments[staff or UNKNOWN_STAFF] += 1
        self.lines.append(line)

    @staticmethod
    def _return_points(p: ReturnPayload, result: dict[str, Any], confirmed: bool,
                       sales: dict[str, OutboxOp]) -> tuple[int, int]:
        if confirmed and result.get("points_reversed") is not None:
            return int(result["points_reversed"]), int(result.get("points_restored") or 0)
        sale = sales.get(p.sale_op_id)
        if sale is None:
            return 0, 0
        body = sale.body["payload"]
        earned = _int((sale.result or {}).get("points_earned"), body["points_earned"])
        # The register's estimate; HQ's answer replaces it in the next report.
        return (pro_rata(earned, p.returned_yen, body["amount_yen"]),
                pro_rata(body["points_redeemed"], p.returned_yen, body["amount_yen"],
                         round_up=True))

    def report(self, title: str, start: datetime, end: datetime) -> Report:
        n = self.n
        hours = tuple(HourBar(h, self.issued[h], self.redeemed[h]) for h in range(24))
        return Report(title, start, end, n["sales"], n["sales_yen"], len(self.members),
                      n["issued"], n["redeemed"], n["returns"], n["returns_yen"],
                      n["reversed"], n["restored"], n["adjusted"],
                      tuple(self.enrolments.most_common()), tuple(self.campaigns.most_common()),
                      n["unconfirmed"], hours, tuple(self.lines), n["rejected"])
