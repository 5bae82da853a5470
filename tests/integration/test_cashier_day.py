"""A cashier's day at the counter, end to end, through the window as `tamaru` builds it.

HQ runs as a real process on PostgreSQL (migrated, seeded with the demo data, this register
provisioned, and a program version with an offline redemption cap published); the register
is built by `desktop.main.create` from its config folder and the token in its secret store,
with the card reader on the real pcscd (the project's virtual cards) and a file printer
whose ESC/POS is decoded back. Through the widgets, as a cashier would:

1. sign in;
2. tap a member's card and ring up a basket: the sale earns, the receipt says so;
3. another member uses points online: HQ takes a hold, posted with the sale;
4. the first sale is returned by scanning its receipt's QR (F2), a manager approving;
5. a new member is enrolled (F3) with a new card tapped on the reader;
6. HQ goes down (killed) for an hour of sales on the counter's clock, an offline
   redemption within the cap among them: all queued, the status bar says offline;
7. HQ comes back on the same database; 今すぐ同期 drains the queue, each op applied once;
8. the day report (F5, a manager approving) shows this register's figures, equal to HQ's
   for the store — its summary, its ledger rows, and the screen's own HQ column.

At the end HQ's ledger invariants hold (DESIGN §5).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from sqlalchemy import select

from desktop.flows.signin import seed_demo_staff
from desktop.hq_lookup import HqLookup
from desktop.main import create
from desktop.secrets import save_token
from desktop.settings import Settings
from hq.demo import DEMO_PROGRAM_PATH, run_demo
from hq.directory import load_program
from hq.models import Member
from sync.models import OutboxOp
from tests.reliability.harness import ledger_check, reconcile
from tests.support.cashier_day import (
    LEFT,
    WAIT_MS,
    ReceiptRoll,
    SteeredClock,
    answer_approval,
    day_window,
    hq_engine,
    hq_hold,
    hq_ops,
    key_in,
    ledger_day,
    line_with,
    offline_hour,
)
from tests.support.hq_process import HqProcess
from tests.support.pcscd import wait_reader_empty
from tests.support.postgres import free_port

pytestmark = [pytest.mark.integration, pytest.mark.ui]

TOKYO = ZoneInfo("Asia/Tokyo")
DEVICE, STORE = "R01", "S001"
STORE_NAME = "たまる商店 渋谷店"
OFFLINE_CAP = 300
# hq.demo's members and their cards.
YAMADA = ("04A1B2C3D4E5F6", "M0000001")  # 山田 花子, 1,200 pt
TAKAHASHI = ("0455AA66BB77CC", "M0000004")  # 高橋 美咲, 5,000 pt
SUZUKI = ("04C0FFEE123456", "M0000003")  # 鈴木 一郎, 350 pt
TANAKA = ("012E4CD3A1B2C3D4", "M0000005")  # 田中 健太, 80 pt (a FeliCa IDm)
NEW_CARD = "04CAFE00112233"  # a blank card handed to a new member


def _program_with_offline_cap() -> str:
    """The demo program as version 2, with a cap on points used while HQ is unreachable."""
    text = DEMO_PROGRAM_PATH.read_text(encoding="utf-8")
    assert "version = 1" in text and "[redeem]\n" in text
    return text.replace("version = 1", "version = 2", 1).replace(
        "[redeem]\n", f"[redeem]\noffline_cap = {OFFLINE_CAP}\n", 1)


@pytest.fixture
def hq(postgres_cluster, tmp_path) -> Iterator[tuple[HqProcess, str, str]]:
    """HQ on PostgreSQL with the demo data, on a port it keeps across a restart."""
    url = postgres_cluster.url_for("cashier_day")
    demo = run_demo(url, device_id=DEVICE, store_id=STORE)
    with hq_engine(url) as engine:
        load_program(engine, _program_with_offline_cap())
    proc = HqProcess(url, log_dir=tmp_path, port=free_port())
    proc.start()
    try:
        yield proc, demo.token, url
    finally:
        proc.stop()


@pytest.fixture
def app(qtbot, hq, live_pcscd, tmp_path, monkeypatch):
    """The app as `tamaru --home DIR` builds it: config.toml, the token in the secret
    store, `desktop.main.create`; shown, then the register started."""
    proc, token, _ = hq
    monkeypatch.setenv("TAMARU_SECRET_STORE", "file")  # no desktop keyring here
    home = tmp_path / "register"
    Settings(home, {
        "hq.url": proc.url, "register.device_id": DEVICE, "register.store_id": STORE,
        "register.store_name": STORE_NAME,
        "devices.reader": f"pcsc:{live_pcscd.reader_name}",
        "devices.printer": f"file:{tmp_path / 'lp0'}?mode=kanji",
        "sync.interval_seconds": 3600,  # the rounds after a sale and 今すぐ同期 only
    }).save()
    save_token(home, token)
    _, register, win = create(argparse.Namespace(home=home, reader=None, printer=None))
    clock = SteeredClock()
    register.flow.clock = clock  # the counter's wall clock, moved on for the outage
    # The store's staff, as the manager's set-up adds them.
    register.worker.call(seed_demo_staff, register.staff)
    qtbot.addWidget(win)
    win.show()
    register.start()
    try:
        yield win, clock, ReceiptRoll(tmp_path / "lp0")
    finally:
        win.close()  # as `tamaru` does: the window closes, then the register stops
        register.stop()
        wait_reader_empty(live_pcscd.reader_name)


def outbox(register) -> list[OutboxOp]:
    with register.store.reading() as s:
        rows = list(s.scalars(select(OutboxOp).order_by(OutboxOp.device_seq)))
        s.expunge_all()
    return rows


def test_a_cashiers_day(qtbot, app, hq, virtual_card, live_pcscd):
    win, clock, roll = app
    proc, token, db_url = hq
    register = win.register
    counter = win.screens["counter"]
    status = win.status
    reader = live_pcscd.reader_name
    day = datetime.now(TOKYO).date()

    def tap(uid: str, until) -> None:
        """A card held on the reader until the screen reacts, then lifted."""
        card = virtual_card(uid)
        card.insert()
        qtbot.waitUntil(until, timeout=WAIT_MS)
        card.remove()
        wait_reader_empty(reader)  # the next card is a new tap, not this one still lying

    def member_shown(name: str):
        return lambda: counter.member_panel.name.text() == f"{name} 様" \
            and counter.amount.isEnabled()

    def recorded() -> str:
        qtbot.waitUntil(lambda: counter.message.text().startswith("記録しました"),
                        timeout=WAIT_MS)
        return counter.message.text()

    def queue_is(n: int) -> None:
        """The status bar says n ops wait, and n do: a label still showing the count from
        before the last op was read again would otherwise pass for an emptied queue."""
        def waiting() -> int:
            counts = register.store.outbox_counts()
            return counts.get("queued", 0) + counts.get("sent", 0)

        qtbot.waitUntil(lambda: waiting() == n and status.queue.text() == f"未送信 {n} 件",
                        timeout=WAIT_MS)

    def sync_now() -> None:
        qtbot.waitUntil(status.sync_button.isEnabled, timeout=WAIT_MS)
        qtbot.mouseClick(status.sync_button, LEFT)

    # The first round brings the program, the members and their cards.
    qtbot.waitUntil(lambda: status.online.text() == "オンライン", timeout=30_000)
    assert register.store.program().redeem.offline_cap == OFFLINE_CAP

    # -- 1. sign in ----------------------------------------------------------------------
    assert win.current() is win.signin
    QTest.keyClicks(win.signin.code, "2001")
    QTest.keyClicks(win.signin.pin, "0000")
    qtbot.mouseClick(win.signin.submit_button, LEFT)
    qtbot.waitUntil(lambda: win.current() is counter, timeout=WAIT_MS)
    assert status.staff.text() == "担当: レジ 田村"

    # -- 2. a member's card, a basket, points earned, the receipt --------------------------
    tap(YAMADA[0], member_shown("山田 花子"))
    assert counter.member_panel.balance.text() == "1,200 pt"
    for name, amount in (("お米 5kg", "2480"), ("和牛 すき焼き用", "8800"),
                         ("緑茶 2L", "1520")):
        counter.basket.name.setText(name)  # as an input method commits it
        key_in(qtbot, counter.keypad, amount)
        qtbot.mouseClick(counter.basket.add, LEFT)
    assert counter.basket.table.rowCount() == 3
    assert counter.quote_panel.total.text() == "￥12,800"
    assert counter.quote_panel.earn.text() == "128 pt"
    QTest.keyClick(counter.amount, Qt.Key.Key_F8)
    assert recorded() == "記録しました（取引番号 R01-000001）"
    first = roll.next_receipt(qtbot)
    assert STORE_NAME in line_with(first, STORE_NAME)
    line_with(first, "今回獲得ポイント", "128 pt")
    line_with(first, "ポイント残高", "1,328 pt")
    line_with(first, "￥12,800")
    assert first.qr_payloads == ["TR:R01-000001"]
    queue_is(0)  # pushed as soon as it was recorded
    [sale1] = outbox(register)
    assert register.store.op_state(sale1.op_id) == "applied"
    QTest.keyClick(counter.amount, Qt.Key.Key_Escape)  # next customer
    qtbot.waitUntil(counter.member_panel.prompt.isVisible, timeout=WAIT_MS)

    # -- 3. another member uses points online: a hold at HQ, posted with the sale -------
    tap(TAKAHASHI[0], member_shown("高橋 美咲"))
    assert counter.member_panel.balance.text() == "5,000 pt"
    key_in(qtbot, counter.keypad, "3000")
    qtbot.mouseClick(counter.redeem, LEFT)  # the keypad now types the points
    key_in(qtbot, counter.keypad, "500")
    assert counter.redeem.text() == "500"
    assert counter.quote_panel.pay.text() == "￥2,500"
    assert counter.quote_panel.earn.text() == "25 pt"
    qtbot.mouseClick(counter.confirm_button, LEFT)
    assert recorded() == "記録しました（取引番号 R01-000002）"
    second = roll.next_receipt(qtbot)
    line_with(second, "ポイント利用", "-500 pt")
    line_with(second, "今回獲得ポイント", "25 pt")
    line_with(second, "ポイント残高", "4,525 pt")
    queue_is(0)
    sale2 = outbox(register)[-1]
    hold_id = sale2.body["payload"]["hold_id"]
    assert hold_id, "an online redemption names the hold HQ took"
    hold = hq_hold(db_url, hold_id)
    assert hold is not None, "HQ has no record of the hold"
    assert (hold.member_id, hold.points, hold.status, hold.op_id) == (
        TAKAHASHI[1], 500, "posted", sale2.op_id)
    [at_hq] = [op for op in hq_ops(db_url, DEVICE) if op.op_id == sale2.op_id]
    assert hold.created_at < at_hq.received_at  # held before the sale reached HQ
    assert register.store.hold(hold_id).state == "posted"
    QTest.keyClick(counter.amount, Qt.Key.Key_Escape)

    # -- 4. the first sale comes back: its receipt's QR scanned, a manager approving -----
    QTest.keyClick(win, Qt.Key.Key_F2)
    returns = win.screens["returns"]
    assert win.current() is returns
    qtbot.mouseClick(returns.receipt_no, LEFT)
    QTest.keyClicks(returns.receipt_no, first.qr_payloads[0])  # a wedge scanner's burst
    QTest.keyClick(returns.receipt_no, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: returns.sale_fields["amount"].text() == "￥12,800",
                    timeout=WAIT_MS)
    assert returns.sale_fields["earned"].text() == "128 pt"
    assert returns.confirmed_note.text() == "ポイントは HQ 確定済みの値です"
    assert "山田 花子" in returns.member.text()
    qtbot.mouseClick(returns.all_button, LEFT)
    qtbot.waitUntil(lambda: returns.preview_fields["reversed"].text() == "-128 pt",
                    timeout=WAIT_MS)
    assert returns.approval.isVisible() and not returns.confirm_button.isEnabled()
    assert "￥10,000 を超えて" in returns.approval_reasons.text()
    QTest.keyClicks(returns.manager_id, "1001")
    QTest.keyClicks(returns.manager_pin, "1234")
    qtbot.mouseClick(returns.approve_button, LEFT)
    qtbot.waitUntil(lambda: "承認済み（1001）" in returns.approved.text(), timeout=WAIT_MS)
    qtbot.mouseClick(returns.confirm_button, LEFT)
    qtbot.waitUntil(lambda: "返品を記録しました" in returns.message.text(), timeout=WAIT_MS)
    assert "R01-000003" in returns.message.text()
    slip = roll.next_receipt(qtbot)
    line_with(slip, "返品")
    line_with(slip, "元の取引番号", "R01-000001")
    line_with(slip, "返品金額", "-￥12,800")
    line_with(slip, "獲得ポイントの取消", "-128 pt")
    line_with(slip, "ポイント残高", "1,200 pt")

    # -- 5. a new member enrolled at the counter, with a new card tapped -----------------
    QTest.keyClick(win, Qt.Key.Key_F3)
    enrol = win.screens["enrolment"]
    assert win.current() is enrol
    enrol.name.setText("佐藤 次郎")  # as an input method commits them
    enrol.kana.setText("サトウ ジロウ")
    enrol.month.setCurrentIndex(4)
    # The tick box itself (the label beside it is long; the box is at its left).
    qtbot.mouseClick(enrol.consent, LEFT, pos=QPoint(16, enrol.consent.height() // 2))
    assert enrol.consent.isChecked()
    tap(NEW_CARD, lambda: enrol.card.text() == "カード …2233")
    qtbot.mouseClick(enrol.submit_button, LEFT)
    qtbot.waitUntil(lambda: "登録しました" in enrol.message.text(), timeout=WAIT_MS)
    assert "R01-000004" in enrol.message.text()
    welcome = roll.next_receipt(qtbot)
    line_with(welcome, "入会受付")
    line_with(welcome, "カード", "…2233")
    QTest.keyClick(win, Qt.Key.Key_F1)
    assert win.current() is counter

    # Everything so far reaches HQ before the line goes down.
    sync_now()
    queue_is(0)
    before_outage = {op.op_id for op in hq_ops(db_url, DEVICE)}
    assert len(before_outage) == 4

    # -- 6. HQ down for an hour of sales --------------------------------------------------
    proc.kill()  # the line goes down; nothing at the counter knows it yet
    start = offline_hour(datetime.now(TOKYO))
    # The hour's first customer uses points: the hold cannot be asked of HQ, so the
    # offline cap decides. One point over it is refused with what she may use …
    clock.at = start
    tap(YAMADA[0], member_shown("山田 花子"))
    key_in(qtbot, counter.keypad, "2000")
    qtbot.mouseClick(counter.redeem, LEFT)
    key_in(qtbot, counter.keypad, str(OFFLINE_CAP + 1))
    assert counter.quote_panel.problem.text() == ""  # HQ not yet missed: her 1,200 pt
    qtbot.mouseClick(counter.confirm_button, LEFT)
    qtbot.waitUntil(lambda: counter.message.text() == (
        f"HQ に接続できません。オフライン中に利用できるのは {OFFLINE_CAP} pt までです。"
        "利用ポイントを減らして確定してください"), timeout=WAIT_MS)
    assert counter.confirm_button.isEnabled()  # to be corrected; nothing was recorded
    assert register.store.outbox_counts().get("queued", 0) == 0
    # … the limit line says the same, and "use all" offers the cap.
    qtbot.waitUntil(lambda: counter.limit.text() ==
                    f"最大 {OFFLINE_CAP} pt（オフライン中の上限）", timeout=WAIT_MS)
    assert counter.quote_panel.problem.text() == \
        f"オフライン中は {OFFLINE_CAP} pt までしか利用できません"
    qtbot.mouseClick(counter.use_all, LEFT)
    assert counter.redeem.text() == str(OFFLINE_CAP)
    assert counter.limit.text() == f"最大 {OFFLINE_CAP} pt（オフライン中の上限）"
    assert counter.quote_panel.problem.text() == ""
    qtbot.mouseClick(counter.confirm_button, LEFT)
    assert recorded() == "記録しました（取引番号 R01-000005）"
    printed = roll.next_receipt(qtbot)
    line_with(printed, f"{clock.at:%Y年%m月%d日 %H:%M}")  # the counter's clock
    line_with(printed, "HQ 確定前")  # its points are provisional until HQ confirms
    line_with(printed, "ポイント利用", f"-{OFFLINE_CAP} pt")
    line_with(printed, "ポイント残高", "917 pt")
    # The sale's own sync round finds HQ gone: the status bar and the banner say so.
    qtbot.waitUntil(lambda: status.online.text() == "オフライン", timeout=WAIT_MS)
    qtbot.waitUntil(win.banner.isVisible, timeout=WAIT_MS)
    assert "HQ に接続できません" in win.banner.title.text()
    queue_is(1)
    QTest.keyClick(counter.amount, Qt.Key.Key_Escape)
    qtbot.waitUntil(counter.member_panel.prompt.isVisible, timeout=WAIT_MS)

    offline_sales = (
        # (minutes into the hour, card, name, yen)
        (20, SUZUKI[0], "鈴木 一郎", "1500"),
        (35, NEW_CARD, "佐藤 次郎", "980"),
        (58, TANAKA[0], "田中 健太", "4321"),
    )
    for n, (minutes, uid, name, amount) in enumerate(offline_sales, start=2):
        clock.at = start + timedelta(minutes=minutes)
        tap(uid, member_shown(name))
        assert counter.member_panel.offline.isVisible()
        key_in(qtbot, counter.keypad, amount)
        QTest.keyClick(counter.amount, Qt.Key.Key_Return)
        assert recorded() == f"記録しました（取引番号 R01-{4 + n:06d}）"
        printed = roll.next_receipt(qtbot)
        line_with(printed, f"{clock.at:%Y年%m月%d日 %H:%M}")
        line_with(printed, "HQ 確定前")
        line_with(printed, "ポイントは仮の値です")
        queue_is(n)
        QTest.keyClick(counter.amount, Qt.Key.Key_Escape)
        qtbot.waitUntil(counter.member_panel.prompt.isVisible, timeout=WAIT_MS)
    clock.at = None
    assert status.online.text() == "オフライン"
    made = outbox(register)
    queued = [op for op in made if op.state == "queued"]
    assert len(queued) == 4 and {op.op_id for op in made} - before_outage == \
        {op.op_id for op in queued}
    offline_redeem = queued[0].body["payload"]
    assert (offline_redeem["points_redeemed"], offline_redeem.get("hold_id")) == (
        OFFLINE_CAP, None)
    hours = {datetime.fromisoformat(op.body["local_time"]).astimezone(TOKYO)
             for op in queued}
    assert max(hours) - min(hours) == timedelta(minutes=58)

    # -- 7. HQ back on the same database: the queue drains, each op applied once ----------
    proc.start()
    sync_now()
    qtbot.waitUntil(lambda: status.online.text() == "オンライン", timeout=30_000)
    queue_is(0)
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=WAIT_MS)
    at_hq = hq_ops(db_url, DEVICE)
    assert [op.op_id for op in at_hq] == [op.op_id for op in made]
    assert {op.status for op in at_hq} == {"applied"}
    assert [op.kind for op in at_hq] == ["sale", "sale", "return", "enroll",
                                         "sale", "sale", "sale", "sale"]
    check = reconcile(db_url, [op.op_id for op in made])
    assert (check.lost, check.double_applied, check.order_violations, check.rejected) == (
        0, 0, 0, {}), check.summary()

    # -- 8. the day report, a manager approving, against HQ's figures -------------------
    seen: list = []
    answer_approval("1001", "1234", seen)
    QTest.keyClick(win, Qt.Key.Key_F5)
    reports = win.screens["reports"]
    assert seen and win.current() is reports
    qtbot.waitUntil(lambda: reports.store is not None and reports.store.summary is not None,
                    timeout=WAIT_MS)
    start_of_day, end_of_day = day_window(day, TOKYO)
    lookup = HqLookup(proc.url, token, timeout=10)
    try:
        summary = lookup.store_summary(STORE, start_of_day, end_of_day)
    finally:
        lookup.close()
    ledger = ledger_day(db_url, STORE, start_of_day, end_of_day)

    expected = {
        "sales": "6 件　￥24,601", "members": "5 人", "issued": "237 pt",
        "redeemed": "800 pt", "returns": "1 件　-￥12,800", "reversal": "-128 pt／0 pt",
        "adjusted": "0 pt", "enrolments": "1 人",
    }
    here = {key: reports.fields[key].text() for key in expected}
    at_store = {key: reports.store_fields[key].text() for key in expected}
    assert here == expected
    assert at_store == expected  # one register in this store: its figures are the store's
    assert reports.fields["pending"].text() == "未確定 0 件"
    assert reports.store_fields["pending"].text() == "保留 0 件"
    assert reports.here_header.text() == f"このレジ（{DEVICE}）"
    assert reports.store_header.text() == "店舗全体（HQ・レジ 1 台）"
    assert "店舗のすべてのレジ" in reports.scope.text()

    # HQ's summary and HQ's ledger rows say the same as the screen.
    assert (summary.sales, summary.sales_yen, summary.members) == (6, 24_601, 5)
    assert (summary.points_issued, summary.points_redeemed) == (237, 800)
    assert (summary.returns, summary.returns_yen, summary.points_reversed,
            summary.points_restored) == (1, 12_800, 128, 0)
    assert (summary.enrolments, summary.parked, summary.rejected) == (1, 0, 0)
    assert ledger == type(ledger)(earned=237, redeemed=800, reversed=128, restored=0,
                                  sales=6, sales_yen=24_601, members=5, returns=1,
                                  returns_yen=12_800, enrolments=1)
    # The breakdowns agree too: enrolments by staff member, points by campaign, and the
    # hours, where the register's clock put the hour of sales.
    report, store = reports.report, reports.store
    assert report.enrolments == store.enrolments == (("レジ 田村", 1),)
    assert sum(points for _, points in report.campaigns) == 237
    assert report.campaigns == store.campaigns
    issued_by_hour = {b.hour: (b.issued, b.redeemed) for b in report.hours
                      if b.issued or b.redeemed}
    assert issued_by_hour == {b.hour: (b.issued, b.redeemed) for b in store.hours
                              if b.issued or b.redeemed}
    assert sum(issued for issued, _ in issued_by_hour.values()) == 237
    qtbot.mouseClick(reports.store_button, LEFT)  # the chart of the whole store, from HQ
    assert reports.chart.bars == store.hours

    # Every member's balance at HQ is what the day made it, and the register mirrors it.
    with hq_engine(db_url) as engine, engine.connect() as c:
        balances = dict(c.execute(select(Member.display_name, Member.balance)).all())
    assert {name: balances[name] for name in ("山田 花子", "高橋 美咲", "鈴木 一郎",
                                               "田中 健太", "佐藤 次郎")} == {
        "山田 花子": 1_200 + 128 - 128 - OFFLINE_CAP + 17, "高橋 美咲": 5_000 - 500 + 25,
        "鈴木 一郎": 350 + 15, "田中 健太": 80 + 43, "佐藤 次郎": 9}
    for uid in (YAMADA[0], TAKAHASHI[0], SUZUKI[0], TANAKA[0], NEW_CARD):
        mirrored = register.store.member_by_card(uid)
        assert (mirrored.hq_balance, mirrored.pending_delta) == (
            balances[mirrored.display_name], 0), mirrored.display_name

    # The ledger's invariants at HQ (DESIGN §5).
    invariants = ledger_check(db_url)
    assert invariants.holds, invariants
    assert invariants.debts == {}

