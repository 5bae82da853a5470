"""Shift and day reports from the register's outbox, and their CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from desktop.flows.reports import CSV_HEADER, UNCONFIRMED, ReportsFlow
from loyalty.quote import quote_sale
from sync import ops
from sync.protocol import OpResult, PointsLine
from sync.staff import StaffBook
from tests.support.seed import NOW, TOKYO, seeded_store

LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
AFTERNOON = NOW.replace(hour=14, minute=5)
YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture
def store(tmp_path):
    s = seeded_store(tmp_path / "register.db")
    book = StaffBook(s, hasher=LIGHT)
    book.create("C01", "鈴木", "cashier", "1357", now=YESTERDAY)
    book.create("C02", "田村", "cashier", "2468", now=YESTERDAY)
    yield s
    s.close()


def sell(store, amount, at, staff="C01", redeem=0):
    q = quote_sale(store.program(), amount, redeem_points=redeem,
                   balance=store.member("M1").balance)
    return store.record_sale("M1", q, staff_id=staff, local_time=at,
                             build_receipt=lambda f: {})


def day_of_business(store):
    sell(store, 9999, YESTERDAY)  # another day: not in today's report
    first = sell(store, 3000, NOW, redeem=200)  # 28 pt on the ¥2,800 paid in cash
    sell(store, 1500, AFTERNOON, staff="C02")
    sell(store, 800, AFTERNOON)
    store.record_push_results([OpResult(
        op_id=first.facts.op_id, status="applied", balance=628, points_earned=58,
        points_redeemed=200, breakdown=[
            PointsLine(source="base", name="通常ポイント", points=28),
            PointsLine(source="x2", name="ポイント2倍デー", points=30, limited=True)])])
    ret = ops.record_return(store, first.facts.receipt_no, 1500, staff_id="C01",
                            local_time=AFTERNOON)
    ops.record_adjust(store, "M1", 15, "お詫び", staff_id="C02", local_time=AFTERNOON)
    ops.record_enroll(store, "新規 一", "シンキ ハジメ", None, None, "04CAFE00112233",
                      staff_id="C02", local_time=NOW)
    ops.record_enroll(store, "新規 二", "シンキ フタバ", None, None, "04CAFE00112244",
                      staff_id="C02", local_time=AFTERNOON)
    ops.record_enroll(store, "新規 三", "シンキ ミツ", None, None, "04CAFE00112255",
                      staff_id="C01", local_time=AFTERNOON)
    rejected = sell(store, 500, AFTERNOON)
    store.record_push_results([OpResult(op_id=rejected.facts.op_id, status="rejected",
                                        reason="member_blocked")])
    return ret


def test_day_report_counts_points_returns_and_enrolments(store):
    day_of_business(store)
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON)
    r = flow.day()
    assert r.title == "2026年11月22日 の日計"
    assert (r.sales, r.sales_yen, r.members) == (3, 5300, 1)
    assert r.points_issued == 58 + 15 + 8  # HQ's 58 for the confirmed sale, quotes for others
    assert r.points_redeemed == 200
    assert (r.returns, r.returns_yen) == (1, 1500)
    assert (r.points_reversed, r.points_restored) == (29, 100)  # estimate: 58/2, 200/2
    assert r.points_adjusted == 15
    assert r.enrolments == (("田村", 2), ("鈴木", 1))
    assert dict(r.campaigns) == {"通常ポイント": 28, "ポイント2倍デー": 30, UNCONFIRMED: 23}
    assert r.rejected == 1 and r.unconfirmed == 7
    by_hour = {b.hour: (b.issued, b.redeemed) for b in r.hours}
    assert by_hour[10] == (58, 200) and by_hour[14] == (23, 0) and by_hour[9] == (0, 0)
    assert len(r.hours) == 24


def test_a_return_confirmed_by_hq_shows_hq_figures(store):
    ret = day_of_business(store)
    store.record_push_results([OpResult(op_id=ret.op.op_id, status="applied", balance=500,
                                        points_reversed=28, points_restored=100)])
    r = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON).day()
    assert (r.points_reversed, r.points_restored) == (28, 100)


def test_shift_report_is_the_staff_members_ops_since_sign_in(store):
    day_of_business(store)
    store.audit("shift_start", staff_id="C02", at=NOW.replace(hour=12, minute=0))
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON.replace(minute=30))
    r = flow.shift("C02", "田村")
    assert r.title == "田村 さんのシフト（12:00〜）"
    assert (r.sales, r.sales_yen, r.points_adjusted) == (1, 1500, 15)
    assert r.enrolments == (("田村", 1),)  # the 10:30 one was before this shift


def test_csv_opens_in_excel_with_integers(store, tmp_path):
    day_of_business(store)
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON)
    path = flow.export_csv(flow.day(), tmp_path / "out" / "day.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    first = rows[1]
    assert first[:4] == ["2026-11-22 10:30:00", "R01-000002", "販売", "鈴木"]
    assert first[4:11] == ["3000", "58", "200", "0", "0", "0", "確定"]
    ret = next(r for r in rows if r[2] == "返品")
    assert ret[4] == "-1500" and ret[7:9] == ["29", "100"]
    assert [r[2] for r in rows[1:]].count("入会") == 3
    assert all(cell.lstrip("-").isdigit() for r in rows[1:] for cell in r[4:10])


# -- the whole store's figures from HQ, beside this register's ------------------------------


def summary(**figures):
    from sync.protocol import (
        StoreSummary,
        SummaryCampaign,
        SummaryHour,
        SummaryRegister,
        SummaryStaff,
    )

    values = dict(store_id="S001", start=NOW.replace(hour=0, minute=0),
                  end=NOW.replace(hour=0, minute=0) + timedelta(days=1), as_of=AFTERNOON,
                  registers=[SummaryRegister(device_id="R01", ops=5),
                             SummaryRegister(device_id="R02", ops=7)],
                  sales=9, sales_yen=21000, members=6, points_issued=210, points_redeemed=300,
                  returns=1, returns_yen=1500, points_reversed=15, points_restored=0,
                  adjustments=1, points_adjusted=15, enrolments=2,
                  enrolments_by_staff=[SummaryStaff(staff_id="C02", enrolments=2)],
                  campaigns=[SummaryCampaign(source="base", name="通常ポイント", points=210)],
                  hours=[SummaryHour(hour=h, issued=10 if h == 14 else 0, redeemed=0)
                         for h in range(24)],
                  parked=1, rejected=0)
    values.update(figures)
    return StoreSummary(**values)


class FakeHq:
    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    def store_summary(self, store_id, start, end):
        self.asked.append((store_id, start, end))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_store_figures_come_from_hq_for_the_reports_period(store):
    day_of_business(store)
    hq = FakeHq(summary())
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON, hq=hq)
    report = flow.day()
    assert report.device_id == "R01" and report.kind == "day"
    figures = flow.store_figures(report)
    assert hq.asked == [("S001", report.start, report.end)]
    assert figures.matches(report) and figures.notice == ""
    assert figures.summary.sales == 9
    assert figures.registers == ("R01", "R02")
    assert figures.enrolments == (("田村", 2),)  # HQ names staff by id; the register knows them
    assert figures.campaigns == (("通常ポイント", 210),)
    assert {b.hour: b.issued for b in figures.hours}[14] == 10


def test_without_hq_the_report_says_it_is_this_registers_only(store):
    from desktop.flows.reports import HQ_NOT_SET, HQ_OFFLINE, HQ_REFUSED, SHIFT_ONLY
    from desktop.hq_lookup import HqLookupError

    day_of_business(store)
    report = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON).day()

    def notice(**kw):
        flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON, **kw)
        figures = flow.store_figures(report)
        assert figures.summary is None
        return figures.notice

    assert notice() == HQ_NOT_SET
    asked = FakeHq(summary())
    assert notice(hq=asked, online=lambda: False) == HQ_OFFLINE
    assert asked.asked == []  # known offline: HQ is not even asked
    assert notice(hq=FakeHq(HqLookupError("本部に接続できません", offline=True))) == HQ_OFFLINE
    refused = notice(hq=FakeHq(HqLookupError("本部がこのレジの問い合わせを拒否しました",
                                               offline=False)))
    assert refused.template == HQ_REFUSED and "拒否しました" in refused
    shift = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON, hq=FakeHq(summary()))
    assert shift.store_figures(shift.shift("C02", "田村")).notice == SHIFT_ONLY


def test_requests_announce_the_register_then_the_store(store):
    from sync.events import EventBus

    day_of_business(store)
    bus = EventBus()
    heard = []
    bus.subscribe("report_ready", lambda r: heard.append(("ready", r.sales)))
    bus.subscribe("report_store", lambda f: heard.append(("store", f.summary.sales)))
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: AFTERNOON, events=bus,
                       hq=FakeHq(summary()))
    try:
        flow.request_day().result(timeout=10)
    finally:
        flow.close()
    assert heard == [("ready", 3), ("store", 9)]  # the rejected sale is not counted
