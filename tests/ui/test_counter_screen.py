"""The counter screen driven like a cashier would, on a register synced with a real HQ:
a basket sale with points held at HQ, cancel, refusals (a hold HQ is gone for among
them), a wedge scanner burst; and the member and quote panels drawing flags and a
campaign breakdown."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.flows.basket import CategoryChoice, MemberFlags, category_choices
from desktop.flows.returns import ReturnState
from desktop.printing import PrintStatus
from desktop.screens.counter_parts import BasketPanel, MemberPanel, QuotePanel
from desktop.screens.counter_strips import PrintPanel
from hq.db import make_engine
from hq.demo import DEMO_PROGRAM_PATH, run_demo
from hq.directory import load_program
from loyalty.program import parse_program
from loyalty.quote import Line, MemberContext, quote
from loyalty.scan import member_no_is_valid
from resources import RESOURCES
from sync.models import OutboxOp
from sync.store_views import LotView, MemberView
from tests.desktop.counter_support import NOW, TOKYO
from tests.support.hq_process import HqProcess
from tests.ui.shell_support import signed_in

LEFT = Qt.MouseButton.LeftButton


def cached_members(register):
    con = sqlite3.connect(register.store.path)
    try:
        return {name: (no, balance) for no, name, balance in con.execute(
            "SELECT member_no, display_name, hq_balance FROM members ORDER BY member_no")}
    finally:
        con.close()


def op_bodies(register):
    with register.store.reading() as s:
        return [row.body for row in s.query(OutboxOp).order_by(OutboxOp.device_seq)]


def receipt_shown(counter):
    return counter.result.currentWidget() is counter.receipt_view and \
        counter.receipt_view.has_image()


@pytest.mark.ui
def test_basket_sale_with_points_held_at_hq(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    register = win.register
    _, balance = cached_members(register)["高橋 美咲"]
    qtbot.mouseClick(counter.devices.button("高橋 美咲"), LEFT)
    qtbot.waitUntil(lambda: "高橋 美咲" in counter.member_panel.name.text(), timeout=5000)
    assert counter.member_panel.balance.text() == f"{balance:,} pt"
    QTest.keyClicks(counter.amount, "2000")
    counter.basket.name.setText("お米 5kg")
    qtbot.mouseClick(counter.basket.add, LEFT)
    for key in "480":  # the on-screen keypad types into the amount field
        qtbot.mouseClick(counter.keypad.buttons[key], LEFT)
    assert counter.amount.text() == "480"
    assert counter.basket.table.rowCount() == 1
    assert counter.quote_panel.total.text() == "￥2,480"
    qtbot.mouseClick(counter.use_all, LEFT)
    assert counter.redeem.text() == "2480"  # all of the sale: she has more than that
    counter.redeem.setText("100")
    assert counter.quote_panel.pay.text() == "￥2,380"
    assert counter.quote_panel.earn.text() == "23 pt"
    assert "通常ポイント" in counter.quote_panel.breakdown.text()
    assert counter.limit.text() == "最大 2,480 pt（ポイントで払える金額まで）"
    QTest.keyClick(counter.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: receipt_shown(counter), timeout=15000)
    assert "記録しました（取引番号 " in counter.message.text()
    assert counter.cancel_button.text() == "次のお客様（Esc）"
    [body] = op_bodies(register)
    assert body["staff_id"] == "2001"
    assert [(ln["name"], ln["amount_yen"]) for ln in body["payload"]["lines"]] == [
        ("お米 5kg", 2000), ("", 480)]
    hold_id = body["payload"]["hold_id"]
    assert hold_id and register.store.hold(hold_id).state == "posted"
    qtbot.waitUntil(lambda: win.status.queue.text() == "未送信 0 件", timeout=15000)
    QTest.keyClick(counter, Qt.Key.Key_Escape)  # next customer
    qtbot.waitUntil(lambda: counter.member_panel.prompt.isVisible(), timeout=5000)


@pytest.mark.ui
def test_escape_cancels_and_nothing_is_posted(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    QTest.keyClicks(counter.amount, "1200")
    QTest.keyClick(counter.amount, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: counter.member_panel.prompt.isVisible(), timeout=5000)
    assert counter.amount.text() == "" and not counter.amount.isEnabled()
    assert win.register.store.outbox_counts() == {}


@pytest.mark.ui
def test_unknown_card_and_bad_redemption_are_explained(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    qtbot.mouseClick(counter.devices.button("未登録のカード"), LEFT)
    qtbot.waitUntil(lambda: "登録されていないカード" in counter.message.text(), timeout=5000)
    assert not counter.confirm_button.isEnabled()
    qtbot.mouseClick(counter.devices.button("佐藤 太郎"), LEFT)
    qtbot.waitUntil(lambda: "佐藤 太郎" in counter.member_panel.name.text(), timeout=5000)
    QTest.keyClicks(counter.amount, "100")
    QTest.keyClicks(counter.redeem, "50")  # 佐藤 has no points
    assert "残高" in counter.quote_panel.problem.text()
    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: "残高" in counter.message.text(), timeout=5000)
    assert counter.confirm_button.isEnabled()  # the cashier can correct it
    assert win.register.store.outbox_counts() == {}


@pytest.mark.ui
def test_wedge_scanner_burst_switches_member_and_restores_the_field(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    members = cached_members(win.register)
    number, _ = members["鈴木 一郎"]
    assert member_no_is_valid(number), f"demo member numbers must be EAN-13: {members}"
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    for key in "1500":
        QTest.keyClick(counter.amount, key, delay=70)  # a person typing
    assert counter.amount.text() == "1500"
    qtbot.wait(300)  # the cashier stops typing; the member holds up their card
    QTest.keyClicks(counter.amount, number)  # the scanner: a few ms per key …
    QTest.keyClick(counter.amount, Qt.Key.Key_Return)  # … then Enter
    qtbot.waitUntil(lambda: "鈴木 一郎" in counter.member_panel.name.text(), timeout=5000)
    assert counter.amount.text() == "1500"  # the burst was taken back out
    assert win.register.store.outbox_counts() == {}  # its Enter confirmed nothing
    # A person typing a number and pressing Enter is not a scan: the field keeps it.
    for key in "12":
        QTest.keyClick(counter.amount, key, delay=70)
    assert counter.amount.text() == "150012"


@pytest.mark.ui
def test_panels_show_flags_and_campaign_breakdown(qtbot):
    program = parse_program((RESOURCES / "programs" / "supermarket.toml").read_text("utf-8"))
    q = quote(program, [Line("4901", 3000, category="rice"), Line("4902", 2200)],
              MemberContext(balance=900, rank="regular"), at=NOW, store_id="S001",
              redeem_points=200)
    panel = QuotePanel()
    qtbot.addWidget(panel)
    panel.show_quote(q, TOKYO)
    text = panel.breakdown.text()
    for part in ("通常ポイント", "ランク特典", "火曜市 ポイント2倍", "10日・20日 ポイント5倍"):
        assert part in text
    assert panel.pay.text() == "￥5,000" and panel.used.text() == "-200 pt"
    member = MemberView("M1", "2900000000018", "山田 花子", "active", 900, 0, kana="ヤマダ",
                        rank="regular", birth_month=11, debt=30,
                        lots=(LotView("limited", 200, NOW.replace(day=30)),))
    flags = MemberFlags(birthday_month=True, blocked_cards=1, debt=30, expiring_points=200,
                        expiring_first=NOW.replace(day=30))
    members = MemberPanel(lambda text: None)
    qtbot.addWidget(members)
    members.show()
    members.show_member(member, flags, offline=True, tz=TOKYO)
    assert members.name.text() == "山田 花子 様"
    assert members.expiring.text() == "まもなく失効: 200 pt（最初は 2026/11/30）"
    assert members.blocked.isVisible() and members.debt.text() == "未精算 30 pt"
    assert members.birthday.isVisible() and members.offline.isVisible()


@pytest.mark.ui
def test_the_amount_says_what_it_is_beside_the_basket(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    assert counter.amount_note.text() == "" and counter.amount.placeholderText() == "0"
    for name, amount in (("お米 5kg", "2480"), ("緑茶 2L", "694")):
        counter.basket.name.setText(name)
        counter.amount.setText(amount)
        qtbot.mouseClick(counter.basket.add, LEFT)
    # An empty amount with a basket: the basket's total is the sale, and it says so.
    assert counter.amount.text() == ""
    assert counter.amount.placeholderText() == "明細 ￥3,174"
    assert counter.amount_note.text() == "明細 2 行の合計 ￥3,174"
    assert counter.quote_panel.total.text() == "￥3,174"
    QTest.keyClicks(counter.amount, "500")  # one more line, added to the basket's total
    assert counter.amount_note.text() == "明細 ￥3,174 ＋ ￥500 ＝ ￥3,674"
    assert counter.quote_panel.total.text() == "￥3,674"


@pytest.mark.ui
def test_void_of_a_finished_sale_opens_its_full_return(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    returns = win.screens["returns"]
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    assert not counter.void_button.isVisible()  # nothing recorded yet: Esc drops the sale
    QTest.keyClicks(counter.amount, "2480")
    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: receipt_shown(counter), timeout=15000)
    assert counter.void_button.isVisible() and counter.void_button.text() == "取引を取り消す"
    [body] = op_bodies(win.register)
    qtbot.mouseClick(counter.void_button, LEFT)
    assert win.current() is returns
    flow = win.services.returns
    qtbot.waitUntil(lambda: flow.state is ReturnState.PREVIEW, timeout=10000)
    assert flow.sale.receipt_no == body["payload"]["receipt_no"]
    assert flow.preview.estimate.returned_yen == 2480  # all of it: a void is a full return
    qtbot.waitUntil(lambda: returns.confirm_button.isEnabled(), timeout=5000)
    assert len(op_bodies(win.register)) == 1  # nothing recorded until the cashier confirms


def test_the_category_picker_offers_the_programs_categories_by_name():
    program = parse_program((RESOURCES / "programs" / "supermarket.toml").read_text("utf-8"))
    choices = category_choices(program)
    assert choices[0] == CategoryChoice("", "分類なし")
    by_code = {c.code: (c.name, c.note) for c in choices}
    assert by_code["rice"] == ("お米", "キャンペーン対象")
    assert by_code["tobacco"] == ("たばこ", "ポイント対象外")
    assert by_code["gift_card"] == ("ギフトカード", "ポイント対象外・利用不可")
    assert set(by_code) == {"", "rice", "tobacco", "gift_card", "garbage_bag"}
    assert category_choices(None) == (CategoryChoice("", "分類なし"),)


@pytest.mark.ui
def test_basket_lines_show_category_names_and_keep_codes(qtbot):
    panel = BasketPanel()
    qtbot.addWidget(panel)
    panel.set_categories((CategoryChoice("", "分類なし"),
                          CategoryChoice("tobacco", "たばこ", "ポイント対象外"),
                          CategoryChoice("x9", "x9", "キャンペーン対象")))
    texts = [panel.category.itemText(i) for i in range(panel.category.count())]
    assert texts == ["分類なし", "たばこ（ポイント対象外）", "x9（キャンペーン対象）"]
    panel.category.setCurrentIndex(1)
    assert panel.category_code() == "tobacco"
    panel.show_lines((Line("", 580, category="tobacco", name="たばこ"),
                      Line("", 300, category="food"), Line("", 100, category="zz")))
    assert [panel.table.item(r, 1).text() for r in range(3)] == ["たばこ", "食品", "zz"]


@pytest.mark.ui
def test_printer_strip_lists_unprinted_receipts_in_whole_sentences(qtbot):
    strip = PrintPanel(retry=lambda: None, set_aside=lambda: [], print_unprinted=lambda: 0,
                       reprint=lambda: None)
    qtbot.addWidget(strip)
    strip.show_status(PrintStatus(unprinted=("R01-000001", "R01-000002"), unprinted_count=2,
                                  last_error="用紙切れです"))
    assert strip.title.text() == "印刷できなかったレシート 2 件（R01-000001、R01-000002）"
    assert strip.advice.text().startswith("用紙切れです。新しいロール紙をセット")
    strip.show_status(PrintStatus(unprinted=("R01-000003", "R01-000004", "R01-000005"),
                                  unprinted_count=7))
    assert strip.title.text() == \
        "印刷できなかったレシート 7 件（R01-000003、R01-000004、R01-000005 ほか）"


@pytest.mark.ui
def test_void_of_a_basket_sale_ticks_every_line_on_the_returns_screen(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    returns = win.screens["returns"]
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
    qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
    for name, amount in (("お米 5kg", "2480"), ("緑茶 2L", "694")):
        counter.basket.name.setText(name)
        counter.amount.setText(amount)
        qtbot.mouseClick(counter.basket.add, LEFT)
    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: receipt_shown(counter), timeout=15000)
    [body] = op_bodies(win.register)
    qtbot.mouseClick(counter.void_button, LEFT)
    flow = win.services.returns
    qtbot.waitUntil(lambda: flow.state is ReturnState.PREVIEW, timeout=10000)
    # What the screen shows is what will be returned: the receipt, and every line ticked
    # (the screen hears the flow's events through the GUI thread's queue).
    qtbot.waitUntil(lambda: returns.lines.count() == 2 and all(
        returns.lines.item(i).checkState() == Qt.CheckState.Checked for i in range(2)),
        timeout=5000)
    assert returns.receipt_no.text() == body["payload"]["receipt_no"]
    assert flow.preview.estimate.returned_yen == 3174


@pytest.mark.ui
def test_a_hold_hq_cannot_take_puts_the_offline_limit_on_screen(qtbot, open_window, tmp_path):
    """HQ gone without the register having noticed: the hold fails, the cashier is told the
    offline cap, and the limit line and quote say the same, not the balance from before."""
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    demo = run_demo(url, device_id="R05", store_id="S001")
    program = (DEMO_PROGRAM_PATH.read_text(encoding="utf-8")
               .replace("version = 1", "version = 2", 1)
               .replace("[redeem]\n", "[redeem]\noffline_cap = 300\n", 1))
    engine = make_engine(url)
    try:
        load_program(engine, program)
    finally:
        engine.dispose()
    with HqProcess(url, log_dir=tmp_path) as hq:
        win = open_window(**{"hq.url": hq.url, "hq.token": demo.token,
                             "register.device_id": "R05"})
        counter = signed_in(qtbot, win)
        qtbot.waitUntil(lambda: win.status.online.text() == "オンライン", timeout=15000)
        hq.kill()  # nothing has tried HQ since: the register still thinks it is online
        qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)
        qtbot.waitUntil(lambda: counter.amount.isEnabled(), timeout=5000)
        QTest.keyClicks(counter.amount, "2000")
        counter.redeem.setText("301")
        assert counter.limit.text() == "最大 1,200 pt（ポイント残高まで）"
        qtbot.mouseClick(counter.confirm_button, LEFT)
        qtbot.waitUntil(lambda: "オフライン中に利用できるのは 300 pt まで" in
                        counter.message.text(), timeout=10000)
        qtbot.waitUntil(lambda: counter.limit.text() == "最大 300 pt（オフライン中の上限）",
                        timeout=5000)
        assert counter.quote_panel.problem.text() == "オフライン中は 300 pt までしか利用できません"
        assert win.register.store.outbox_counts() == {}
