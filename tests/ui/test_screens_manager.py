"""The manager's screens driven like a person would: returns, enrolment, member look-up
(against a real HQ process) and reports, each on a real register store. The settings
screen has tests/ui/test_screens_settings.py."""

from __future__ import annotations

import csv
import io

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt

from desktop.flows.enrol import EnrolFlow
from desktop.flows.lookup import LookupFlow
from desktop.flows.reports import ReportsFlow
from desktop.flows.returns import ReturnFlow
from desktop.hq_lookup import HqLookup
from desktop.screens.enrol import EnrolScreen
from desktop.screens.lookup import LookupScreen
from desktop.screens.reports import HourChart, ReportsScreen
from desktop.screens.returns import ReturnsScreen
from devices.cards import CardPresented
from hq.demo import run_demo
from loyalty.quote import quote_sale
from sync.client import SyncClient
from sync.events import EventBus
from sync.staff import StaffBook
from sync.store import RegisterStore, list_cards
from sync.worker import StoreWorker
from tests.support.hq_process import HqProcess
from tests.support.seed import NOW, PHONE_KEY, TOKYO, seeded_store
from tests.ui.shell_support import screen_context

LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
LEFT = Qt.MouseButton.LeftButton
NEW_CARD = "04CAFE00112233"


@pytest.fixture
def register(tmp_path):
    """A seeded register store, its store thread, an event bus and its staff."""
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    book = StaffBook(store, hasher=LIGHT)
    book.create("M01", "店長 佐藤", "manager", "2468", now=NOW)
    book.create("C01", "鈴木", "cashier", "1357", now=NOW)
    yield store, worker, EventBus(), book
    worker.shutdown()
    store.close()


def sell(store, amount, at=NOW):
    q = quote_sale(store.program(), amount, balance=store.member("M1").balance)
    return store.record_sale("M1", q, staff_id="C01", local_time=at, build_receipt=lambda f: {})


# -- returns ------------------------------------------------------------------------------


@pytest.mark.ui
def test_return_screen_scan_approve_and_confirm(qtbot, register):
    store, worker, bus, book = register
    sell(store, 12_000)
    printed: list[str] = []
    flow = ReturnFlow(store, worker, bus, staff_book=book, print_receipt=printed.append,
                      tz=TOKYO, store_name="たまる商店", clock=lambda tz: NOW,
                      staff=book.get("C01"))
    screen = ReturnsScreen(screen_context(bus, returns=flow))
    qtbot.addWidget(screen)
    screen.show()
    assert not screen.confirm_button.isEnabled()

    screen.handle_scan("TR:R01-000001")
    qtbot.waitUntil(lambda: screen.sale_fields["amount"].text() == "￥12,000", timeout=5000)
    assert screen.sale_fields["earned"].text() == "120 pt"
    assert "山田 花子" in screen.member.text()
    qtbot.mouseClick(screen.all_button, LEFT)
    qtbot.waitUntil(lambda: screen.preview_fields["reversed"].text() == "-120 pt", timeout=5000)
    assert screen.approval.isVisible() and not screen.confirm_button.isEnabled()
    assert "￥10,000 を超えて" in screen.approval_reasons.text()

    qtbot.keyClicks(screen.manager_id, "M01")
    qtbot.keyClicks(screen.manager_pin, "2468")
    qtbot.mouseClick(screen.approve_button, LEFT)
    qtbot.waitUntil(lambda: "承認済み（M01）" in screen.approved.text(), timeout=5000)
    assert screen.confirm_button.isEnabled() and screen.manager_pin.text() == ""
    qtbot.mouseClick(screen.confirm_button, LEFT)
    qtbot.waitUntil(lambda: "返品を記録しました" in screen.message.text(), timeout=5000)
    assert len(printed) == 1
    assert store.member("M1").balance == 500
    assert "R01-000002" in screen.message.text()


@pytest.mark.ui
def test_return_screen_explains_a_foreign_receipt(qtbot, register):
    store, worker, bus, book = register
    flow = ReturnFlow(store, worker, bus, staff_book=book, print_receipt=lambda _: None,
                      tz=TOKYO, store_name="たまる商店", clock=lambda tz: NOW)
    screen = ReturnsScreen(screen_context(bus, returns=flow))
    qtbot.addWidget(screen)
    qtbot.keyClicks(screen.receipt_no, "R07-000123")
    qtbot.mouseClick(screen.search_button, LEFT)
    qtbot.waitUntil(lambda: "別のレジの取引" in screen.message.text(), timeout=5000)
    assert screen.message.objectName() == "message_error"
    assert not screen.all_button.isEnabled()


# -- enrolment ----------------------------------------------------------------------------


@pytest.mark.ui
def test_enrol_screen_shows_errors_then_enrols_offline(qtbot, register):
    store, worker, bus, _ = register
    printed: list[str] = []
    flow = EnrolFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                     print_receipt=printed.append, phone_key=PHONE_KEY, clock=lambda tz: NOW)
    screen = EnrolScreen(screen_context(bus, enrol=flow))
    qtbot.addWidget(screen)
    screen.show()
    screen.name.setText("佐藤 次郎")  # as an IME commits it
    qtbot.keyClicks(screen.kana, "Sato")
    qtbot.mouseClick(screen.submit_button, LEFT)
    qtbot.waitUntil(lambda: screen.errors["kana"].isVisible(), timeout=5000)
    assert screen.errors["kana"].text() == "フリガナはカタカナで入力してください"
    assert screen.errors["consent"].text() == "個人情報の取り扱いへの同意が必要です"
    assert screen.errors["binding"].isVisible()
    assert not screen.errors["display_name"].isVisible()
    assert store.outbox_counts() == {}

    flow.on_card_event(CardPresented("sim", NEW_CARD))
    qtbot.waitUntil(lambda: screen.card.text() == "カード …2233", timeout=5000)
    screen.kana.clear()
    screen.kana.setText("さとう じろう")  # as an IME commits it
    screen.month.setCurrentIndex(4)
    qtbot.keyClicks(screen.phone, "080-1111-2222")
    screen.consent.setChecked(True)
    qtbot.mouseClick(screen.submit_button, LEFT)
    qtbot.waitUntil(lambda: "登録しました" in screen.message.text(), timeout=5000)
    member = store.member_by_card(NEW_CARD)
    assert (member.display_name, member.kana, member.birth_month) == ("佐藤 次郎",
                                                                      "サトウ ジロウ", 4)
    assert len(printed) == 1
    assert screen.name.text() == "" and not screen.consent.isChecked()  # ready for the next


# -- member look-up -------------------------------------------------------------------------


@pytest.fixture
def online_register(tmp_path):
    """HQ as a real process on SQLite with the demo data, and a register that pulled it."""
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    demo = run_demo(url, device_id="R01", store_id="S001")
    with HqProcess(url, log_dir=tmp_path) as hq:
        store = RegisterStore(tmp_path / "register.db")
        store.initialise("R01", "S001")
        worker = StoreWorker()
        client = SyncClient(store, worker, hq.url, demo.token, timeout=10)
        try:
            client.sync_once()
            yield hq, demo.token, store, worker
        finally:
            client.stop()
            worker.shutdown()
            store.close()


def _manager():
    from sync.staff import StaffView

    return StaffView("M01", "店長 佐藤", "manager", True, 0, None)


@pytest.mark.ui
def test_lookup_screen_history_from_hq_then_this_register_when_hq_is_down(
        qtbot, online_register):
    hq, token, store, worker = online_register
    bus = EventBus()
    uid = next(uid for uid, name, _ in list_cards(store) if name == "山田 花子")
    member = store.member_by_card(uid)  # its number as HQ sent it, whatever the demo uses
    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=lambda _: None, hq=HqLookup(hq.url, token, timeout=2),
                      clock=lambda tz: NOW, staff=_manager())
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.keyClicks(screen.query, member.member_no)
    qtbot.keyClick(screen.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.source.text() == "HQ", timeout=10000)
    assert screen.history.rowCount() >= 1
    assert screen.history.item(0, 3).text() == "1,200 pt"  # HQ's rows carry the balance
    qtbot.waitUntil(lambda: "HQ: 残高 1,200 pt" in screen.hq_line.text(), timeout=10000)
    assert screen.name.text() == "山田 花子 様" and screen.balance.text() == "1,200 pt"
    assert screen.cards.item(0, 0).text() == uid

    hq.stop()
    flow.select(member.member_id)
    qtbot.waitUntil(lambda: screen.source.text() == "このレジの記録のみ", timeout=10000)
    assert "本部に接続できません" in screen.notice.text()
    flow.close()


@pytest.mark.ui
def test_lookup_screen_corrections_are_for_managers(qtbot, register):
    store, worker, bus, book = register
    printed: list[str] = []
    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=printed.append, phone_key=PHONE_KEY, clock=lambda tz: NOW,
                      staff=book.get("C01"))
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.keyClicks(screen.query, "090-1234-5678")
    qtbot.mouseClick(next(b for b in screen.findChildren(type(screen.more))
                          if b.text() == "検索"), LEFT)
    qtbot.waitUntil(lambda: screen.name.text() == "山田 花子 様", timeout=5000)
    qtbot.waitUntil(lambda: screen.source.text() == "このレジの記録のみ", timeout=5000)
    assert not screen.adjust_button.isEnabled() and not screen.block_button.isEnabled()

    screen.set_staff(book.get("M01"))
    screen.tabs.setCurrentIndex(1)
    qtbot.keyClicks(screen.adjust_points, "+80")
    screen.adjust_reason.setText("レシート紛失分")  # as an IME commits it
    qtbot.mouseClick(screen.adjust_button, LEFT)
    qtbot.waitUntil(lambda: "+80 pt 調整しました" in screen.message.text(), timeout=5000)
    qtbot.waitUntil(lambda: screen.balance.text() == "580 pt", timeout=5000)
    qtbot.waitUntil(lambda: screen.history.rowCount() == 1, timeout=5000)
    assert screen.history.item(0, 1).text() == "ポイント調整"
    assert len(printed) == 1

    screen.cards.selectRow(0)
    screen.card_reason.setText("紛失届")  # as an IME commits it
    qtbot.mouseClick(screen.block_button, LEFT)
    qtbot.waitUntil(lambda: screen.cards.item(0, 1) is not None
                    and screen.cards.item(0, 1).text() == "停止", timeout=5000)
    flow.close()


@pytest.mark.ui
def test_lookup_corrections_wait_for_a_member_and_receipts_reprint(qtbot, register):
    store, worker, bus, book = register
    sale = sell(store, 3000)
    reprinted: list[str] = []

    def reprint(number):
        reprinted.append(number)
        return "op" if number == sale.facts.receipt_no else None

    flow = LookupFlow(store, worker, bus, tz=TOKYO, store_name="たまる商店",
                      print_receipt=lambda _: None, phone_key=PHONE_KEY, clock=lambda tz: NOW,
                      staff=book.get("M01"), reprint=reprint)
    screen = LookupScreen(screen_context(bus, lookup=flow))
    qtbot.addWidget(screen)
    screen.show()
    # A manager, but no member yet: nothing to block, reissue, adjust or merge.
    for button in (screen.block_button, screen.reissue_button, screen.adjust_button,
                   screen.merge_button):
        assert not button.isEnabled(), button.text()
    qtbot.keyClicks(screen.query, "090-1234-5678")
    qtbot.keyClick(screen.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.history.rowCount() == 1, timeout=5000)
    assert screen.block_button.isEnabled() and screen.reissue_button.isEnabled()
    assert screen.adjust_button.isEnabled()
    assert screen.history.item(0, 1).text() == "販売"
    assert sale.facts.receipt_no in screen.history.item(0, 4).text()
    button = screen.history.cellWidget(0, 5)
    assert button is not None and button.text() == "再発行"
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(lambda: "再発行を印刷しています" in screen.message.text(), timeout=5000)
    assert reprinted == [sale.facts.receipt_no]
    flow.reprint("R09-000009")  # a number the print queue does not know
    qtbot.waitUntil(lambda: "再発行できません" in screen.message.text(), timeout=5000)
    flow.close()


# -- reports ------------------------------------------------------------------------------


@pytest.mark.ui
def test_reports_screen_figures_chart_and_csv(qtbot, register, tmp_path):
    store, _, bus, book = register
    sell(store, 3000)
    sell(store, 1500, NOW.replace(hour=15))
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: NOW.replace(hour=18), events=bus)
    screen = ReportsScreen(screen_context(bus, reports=flow, staff=lambda: book.get("C01"),
                                          export_dir=tmp_path / "exports"))
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    qtbot.waitUntil(lambda: screen.report is not None and screen.store is not None)
    assert screen.heading.text() == "2026年11月22日 の日計"
    # Whose figures: this register's, said in the column and in the note (no HQ set up).
    assert screen.here_header.text() == "このレジ（R01）"
    assert screen.fields["sales"].text() == "2 件　￥4,500"
    assert screen.fields["issued"].text() == "45 pt"
    assert screen.store_fields["sales"].text() == "—"
    assert "このレジの集計のみ" in screen.scope.text()
    assert not screen.store_button.isEnabled()
    bars = {b.hour: b.issued for b in screen.chart.bars}
    assert bars[10] == 30 and bars[15] == 15
    assert [b.hour for b in screen.chart.shown_hours()][0] == 6
    assert screen.chart_heading.text() == "時間帯別のポイント（このレジ）"
    image = screen.chart.grab().toImage()
    assert not image.isNull() and image.width() > 100

    path = screen.export()
    assert "R01" in path.name
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[4] for r in rows[1:]] == ["3000", "1500"]
    assert "書き出しました" in screen.message.text()

    qtbot.mouseClick(screen.shift_button, LEFT)
    qtbot.waitUntil(lambda: screen.heading.text().startswith("鈴木 さんのシフト"))
    qtbot.waitUntil(lambda: "シフトの集計はこのレジの記録だけ" in screen.scope.text())
    flow.close()


@pytest.mark.ui
def test_reports_screen_shows_the_store_from_hq_beside_this_register(qtbot, register):
    from tests.desktop.test_flow_reports import FakeHq, summary

    store, _, bus, _book = register
    sell(store, 3000)
    flow = ReportsFlow(store, tz=TOKYO, clock=lambda tz: NOW.replace(hour=18), events=bus,
                       hq=FakeHq(summary()))
    screen = ReportsScreen(screen_context(bus, reports=flow))
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    qtbot.waitUntil(lambda: screen.store is not None)
    assert screen.fields["sales"].text() == "1 件　￥3,000"
    assert screen.store_fields["sales"].text() == "9 件　￥21,000"
    assert screen.store_fields["pending"].text() == "保留 1 件"
    assert screen.store_header.text() == "店舗全体（HQ・レジ 2 台）"
    assert "店舗のすべてのレジ" in screen.scope.text()
    qtbot.mouseClick(screen.store_button, LEFT)
    assert screen.chart_heading.text() == "時間帯別のポイント（店舗全体・HQ）"
    assert {b.hour: b.issued for b in screen.chart.bars}[14] == 10
    qtbot.mouseClick(screen.here_button, LEFT)
    assert {b.hour: b.issued for b in screen.chart.bars}[10] == 30
    flow.close()


def test_hour_chart_scale_steps_are_1_2_5():
    from desktop.screens.reports import _nice_step

    assert [_nice_step(p) for p in (1, 4, 9, 40, 230, 1200)] == [1, 1, 2, 10, 50, 500]


@pytest.mark.ui
def test_hour_chart_draws_bars_in_their_colours(qtbot):
    from desktop.flows.reports import HourBar
    from desktop.screens.reports import ISSUED, REDEEMED

    chart = HourChart()
    qtbot.addWidget(chart)
    chart.resize(800, 240)
    chart.set_bars(tuple(HourBar(h, 100 if h == 12 else 0, 50 if h == 12 else 0)
                         for h in range(24)))
    image = chart.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 800, 2) for y in range(40, 200, 4)}
    assert ISSUED.name() in colours and REDEEMED.name() in colours
