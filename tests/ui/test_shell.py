"""The shell driven like a cashier would: sign-in (lockout shown with the time left,
shift change, sign-out), function keys, the status bar, problems in the banner, and the
whole screen in English."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from desktop.flows.signin import SHIFT_END
from desktop.screens.approval import ManagerApprovalDialog
from tests.ui.shell_support import sign_in, signed_in

LEFT = Qt.MouseButton.LeftButton


def audit_kinds(register):
    con = sqlite3.connect(register.store.path)
    try:
        return [(k, s) for k, s in con.execute("SELECT kind, staff_id FROM audit_log")]
    finally:
        con.close()


@pytest.mark.ui
def test_sign_in_screen_gates_the_register(qtbot, open_window):
    win = open_window()
    assert win.windowTitle() == "Tamaru"
    assert win.current() is win.signin
    assert not win.signin.demo_hint.isVisible()  # not the embedded demo
    assert not win.fkeys.isEnabled()
    assert win.status.staff.text() == "サインインしていません"
    QTest.keyClick(win, Qt.Key.Key_F1)  # no function keys before sign-in
    assert win.current() is win.signin
    counter = signed_in(qtbot, win)
    assert win.status.staff.text() == "担当: レジ 田村"
    assert win.status.online.text() == "オンライン"
    assert win.status.queue.text() == "未送信 0 件"
    assert win.status.last_sync.text().startswith("最終同期 ")
    assert counter.member_panel.prompt.text() == "カードをタッチまたはQRをスキャン"
    assert [b.text() for b in win.fkey_buttons.values()] == [
        "F1  レジ", "F2  返品", "F3  入会", "F4  会員照会", "F5  集計", "F9  設定",
        "F12  サインアウト"]


@pytest.mark.ui
def test_wrong_pins_lock_out_with_the_time_left(qtbot, open_window):
    win = open_window(**{"staff.max_failures": 2, "staff.lockout_minutes": 3})
    screen = win.signin
    sign_in(qtbot, win, "2001", "1111")
    qtbot.waitUntil(lambda: "暗証番号が違います" in screen.message.text(), timeout=5000)
    assert not screen.lock.isVisible()
    sign_in(qtbot, win, "2001", "1111")
    qtbot.waitUntil(lambda: screen.lock.isVisible(), timeout=5000)
    assert "ロック" in screen.message.text()
    assert screen.lock.text().startswith("ロック中: 解除まであと 2分5") or \
        screen.lock.text().startswith("ロック中: 解除まであと 3分00")
    assert screen.unlock.isVisible()
    sign_in(qtbot, win, "2001", "0000")  # locked: the right PIN is refused too
    qtbot.waitUntil(lambda: "ロック" in screen.message.text(), timeout=5000)
    assert win.current() is screen and win.register.session.current is None


@pytest.mark.ui
def test_manager_approval_dialog_unlocks(qtbot, open_window):
    win = open_window(**{"staff.max_failures": 1})
    session = win.register.session
    sign_in(qtbot, win, "2001", "1111")
    qtbot.waitUntil(lambda: win.signin.unlock.isVisible(), timeout=5000)
    dialog = ManagerApprovalDialog(session, reason="スタッフ 2001 のロックを解除します",
                                   action="unlock_staff",
                                   operation=lambda c, p: session.unlock("2001", c, p))
    qtbot.addWidget(dialog)
    dialog.code.setText("2001")  # a cashier cannot approve
    dialog.pin.setText("0000")
    dialog.submit()
    qtbot.waitUntil(lambda: "ロック" in dialog.message.text() or "店長" in dialog.message.text(),
                    timeout=5000)
    assert dialog.result_value is None
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.code.setText("1001")
        dialog.pin.setText("1234")
        dialog.submit()
    assert dialog.result_value.locked_until is None
    signed_in(qtbot, win)


@pytest.mark.ui
def test_shift_change_and_sign_out(qtbot, open_window):
    win = open_window()
    signed_in(qtbot, win)
    qtbot.mouseClick(win.status.change_button, LEFT)
    assert win.current() is win.signin and win.signin.back.isVisible()
    assert "レジ 田村" in win.signin.shift_note.text()
    qtbot.mouseClick(win.signin.back, LEFT)  # changed their mind
    assert win.current() is win.screens["counter"]
    qtbot.mouseClick(win.status.change_button, LEFT)
    signed_in(qtbot, win, "1001", "1234")
    assert win.status.staff.text() == "担当: 店長 佐々木"
    QTest.keyClick(win, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: win.current() is win.signin, timeout=5000)
    assert not win.signin.back.isVisible()
    kinds = audit_kinds(win.register)
    assert kinds.count((SHIFT_END, "2001")) == 1 and kinds.count((SHIFT_END, "1001")) == 1


@pytest.mark.ui
def test_function_keys(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    QTest.keyClick(win, Qt.Key.Key_F2)
    assert win.current() is win.screens["returns"]
    assert win.fkey_buttons["returns"].isChecked() and not win.fkey_buttons["counter"].isChecked()
    QTest.keyClick(win, Qt.Key.Key_F3)
    assert win.current() is win.screens["enrolment"]
    QTest.keyClick(win, Qt.Key.Key_F1)
    assert win.current() is counter
    qtbot.mouseClick(win.status.change_button, LEFT)
    assert win.current() is win.signin
    win.function_key("counter")  # F1
    assert win.current() is counter and win.fkey_buttons["counter"].isChecked()
    qtbot.mouseClick(win.fkey_buttons["sign_out"], LEFT)
    qtbot.waitUntil(lambda: win.current() is win.signin, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_F2)  # signed out: no function keys
    assert win.current() is win.signin


def answer_approval(code, pin, seen=None, *, refused=False):
    """Fill in the manager approval dialog as soon as it is shown (it runs its own loop).

    `code` None cancels it; `refused` cancels it once it has said no."""
    def fill():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ManagerApprovalDialog):
            QTimer.singleShot(20, fill)
            return
        if seen is not None:
            seen.append(dialog)
        if code is None:
            dialog.reject()
            return
        dialog.code.setText(code)
        dialog.pin.setText(pin)
        dialog.submit()
        if refused:
            give_up(dialog)

    def give_up(dialog):
        if dialog.ok.isEnabled() and dialog.message.objectName() == "message_error":
            dialog.reject()
        else:
            QTimer.singleShot(20, lambda: give_up(dialog))

    QTimer.singleShot(0, fill)


@pytest.mark.ui
def test_manager_screens_ask_a_cashier_for_a_manager(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    seen = []
    answer_approval(None, None, seen)  # the cashier gives up
    QTest.keyClick(win, Qt.Key.Key_F9)
    assert seen and "「設定」は店長の承認が必要です" in " ".join(
        w.text() for w in seen[0].findChildren(QLabel))
    assert win.current() is counter and not win.fkey_buttons["settings"].isChecked()
    # The window takes the keyboard back (nothing else would without a window manager).
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)

    answer_approval("2001", "0000", seen, refused=True)  # a cashier cannot approve …
    QTest.keyClick(win, Qt.Key.Key_F4)
    assert len(seen) == 2 and win.current() is counter
    assert "店長" in seen[-1].message.text()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)

    answer_approval("1001", "1234")  # … a manager can
    QTest.keyClick(win, Qt.Key.Key_F4)
    lookup = win.screens["lookup"]
    assert win.current() is lookup
    assert lookup.flow.staff.staff_id == "1001"  # corrections in the approving manager's name
    assert not lookup.adjust_button.isEnabled()  # … once a member is shown
    from sync.store import list_cards

    uid = next(u for u, name, _ in list_cards(win.register.store) if name == "山田 花子")
    win.services.cards.tap(uid)  # a tap on the look-up screen finds the card's member
    qtbot.waitUntil(lambda: lookup.name.text() == "山田 花子 様", timeout=5000)
    assert lookup.adjust_button.isEnabled() and lookup.block_button.isEnabled()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_F1)
    assert lookup.flow.staff.staff_id == "2001"  # the approval ended with the visit
    assert not lookup.adjust_button.isEnabled()

    QTest.keyClick(win, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: win.current() is win.signin, timeout=5000)
    signed_in(qtbot, win, "1001", "1234")  # a manager opens them without asking
    QTest.keyClick(win, Qt.Key.Key_F5)
    assert win.current() is win.screens["reports"]
    QTest.keyClick(win, Qt.Key.Key_F9)
    assert win.current() is win.screens["settings"]


@pytest.mark.ui
def test_taps_and_scans_reach_the_screen_shown(qtbot, open_window):
    win = open_window()
    counter = signed_in(qtbot, win)
    reader = win.register.reader
    QTest.keyClick(win, Qt.Key.Key_F3)
    enrol = win.screens["enrolment"]
    reader.tap("04CAFE00112233")  # a new card: bound to the enrolment, not looked up
    qtbot.waitUntil(lambda: enrol.card.text() == "カード …2233", timeout=5000)
    assert counter.member_panel.name.text() == ""
    QTest.keyClick(win, Qt.Key.Key_F2)
    returns = win.screens["returns"]
    win.route_scan("TR:R77-000001")  # a receipt QR: looked up on the returns screen
    qtbot.waitUntil(lambda: "R77" in returns.message.text() or
                    returns.message.objectName() == "message_error", timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_F1)
    qtbot.mouseClick(counter.devices.button("山田 花子"), LEFT)  # back at the counter
    qtbot.waitUntil(lambda: "山田 花子" in counter.member_panel.name.text(), timeout=5000)
    assert enrol.card.text() == "カード …2233"


@pytest.mark.ui
def test_problems_are_said_with_what_to_do(qtbot, open_window):
    win = open_window()
    signed_in(qtbot, win)
    bus = win.register.events
    bus.emit("online_changed", False, "HQ の応答がタイムアウトしました")
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=5000)
    assert win.status.online.text() == "オフライン"
    assert "HQ に接続できません" in win.banner.title.text()
    assert "販売はそのまま続けられます" in win.banner.advice.text()
    bus.emit("online_changed", True, "")
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=5000)
    bus.emit("print_failed", "op", "用紙切れです")
    qtbot.waitUntil(lambda: "用紙切れです" in win.banner.title.text(), timeout=5000)
    assert "記録済み" in win.banner.advice.text()
    bus.emit("bootstrap_progress", 1200, True)
    qtbot.waitUntil(lambda: win.status.progress.isVisible(), timeout=5000)
    assert "1,200" in win.status.progress.format()
    bus.emit("push_progress", 500, {"queued": 1500})
    qtbot.waitUntil(lambda: win.status.progress.maximum() == 2000, timeout=5000)
    assert win.status.progress.value() == 500
    bus.emit("synced", None, 0)
    qtbot.waitUntil(lambda: not win.status.progress.isVisible(), timeout=5000)


@pytest.mark.ui
def test_the_counters_reader_unplugged_and_back(qtbot, open_window):
    win = open_window()
    signed_in(qtbot, win)
    bus = win.register.events
    bus.emit("reader_removed", "ACS ACR1252 00 00", "pcsc:ACS ACR1252 00 00", False)
    bus.emit("reader_added", "Sony PaSoRi 00 00", "pcsc:Sony PaSoRi 00 00", False)
    qtbot.wait(100)
    assert not win.banner.isVisible()  # another reader than the counter's: nothing to do
    bus.emit("reader_removed", "Sony PaSoRi 00 00", "pcsc:Sony PaSoRi 00 00", True)
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=5000)
    assert "カードリーダー（Sony PaSoRi 00 00）が外れました" in win.banner.title.text()
    assert "会員 QR" in win.banner.advice.text()
    bus.emit("reader_added", "Sony PaSoRi 00 00", "pcsc:Sony PaSoRi 00 00", True)
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=5000)


@pytest.mark.ui
def test_parked_returns_and_a_halted_sync_are_said_with_what_to_do(qtbot, open_window):
    import json
    from datetime import UTC, datetime, timedelta

    from sync.client_checks import ParkedStatus
    from sync.store import ParkedOp

    win = open_window()
    signed_in(qtbot, win)
    bus = win.register.events
    assert not win.status.parked.isVisible()
    bus.emit("parked_changed", ParkedStatus(2, ()))
    qtbot.waitUntil(lambda: win.status.parked.isVisible(), timeout=5000)
    assert win.status.parked.text() == "HQ 保留 2 件"
    assert not win.banner.isVisible()  # parked for a while is normal: no alarm yet
    body = json.dumps({"payload": {"receipt_no": "R01-000042"}})
    old = ParkedOp("op1", 42, "return", "M1", body, datetime.now(UTC) - timedelta(hours=5),
                   "sale1")
    bus.emit("parked_changed", ParkedStatus(2, (old,)))
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=5000)
    assert win.banner.title.text() == \
        "返品 1 件が 5 時間以上 HQ で保留のままです（R01-000042）"
    assert "今すぐ同期" in win.banner.advice.text() and "本部に連絡" in win.banner.advice.text()
    bus.emit("parked_changed", ParkedStatus(0, ()))
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=5000)
    assert not win.status.parked.isVisible()

    reason = "HQ がこのレジを受け付けません（401: unknown token）。レジの登録（トークン）を確認してください"
    bus.emit("sync_halted", reason)
    bus.emit("online_changed", False, reason)
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=5000)
    assert win.banner.kind == "halted"
    assert win.banner.title.text().startswith("HQ との同期を止めています: HQ がこのレジを受け付けません")
    assert "初期設定（プロビジョニング）" in win.banner.advice.text()
    assert win.banner.action.text() == "もう一度試す"
    assert win.status.online.text() == "同期停止"
    bus.emit("synced", None, 0)  # new credentials, or HQ took the register back
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=5000)
    assert win.status.online.text() == "オンライン"


@pytest.mark.ui
def test_the_status_bar_is_read_off_the_gui_thread(qtbot, open_window, monkeypatch):
    import threading

    win = open_window()
    signed_in(qtbot, win)
    store = win.register.store
    threads: list[str] = []
    real = store.outbox_counts

    def counting():
        threads.append(threading.current_thread().name)
        return {"queued": 7}

    monkeypatch.setattr(store, "outbox_counts", counting)
    win.refresh()
    qtbot.waitUntil(lambda: win.status.queue.text() == "未送信 7 件", timeout=5000)
    assert threads and all(name.startswith("tamaru-status") for name in threads)
    monkeypatch.setattr(store, "outbox_counts", real)


@pytest.mark.ui
def test_english(qtbot, open_window):
    win = open_window(**{"locale.language": "en"})
    try:
        assert win.signin.submit_button.text() == "Sign in"
        assert win.status.staff.text() == "Not signed in"
        sign_in(qtbot, win, "2001", "9999")
        qtbot.waitUntil(lambda: win.signin.message.text() == "Wrong staff code or PIN",
                        timeout=5000)
        counter = signed_in(qtbot, win)
        assert counter.member_panel.prompt.text() == "Tap a card or scan a QR code"
        assert win.status.sync_button.text() == "Sync now"
        assert win.status.staff.text() == "Staff: レジ 田村"  # names stay as they are
        assert counter.confirm_button.text() == "Confirm (Enter / F8)"
        assert counter.use_all.text() == "Use all"
        assert [b.text() for b in win.fkey_buttons.values()] == [
            "F1  Counter", "F2  Returns", "F3  Enrol", "F4  Member look-up", "F5  Reports",
            "F9  Settings", "F12  Sign out"]
        qtbot.mouseClick(counter.devices.button("unknown card"), LEFT)
        qtbot.waitUntil(lambda: counter.message.text().startswith("This card is not"),
                        timeout=5000)
    finally:
        from desktop import i18n

        i18n.install("ja")


@pytest.mark.ui
def test_a_serial_scanner_from_settings_takes_the_same_path(qtbot, open_window):
    win = open_window(**{"devices.scanner": "simulated"})
    counter = signed_in(qtbot, win)
    con = sqlite3.connect(win.register.store.path)
    [number] = con.execute("SELECT member_no FROM members WHERE display_name = '鈴木 一郎'"
                           ).fetchone()
    con.close()
    win.register.scanner.scan(number)
    qtbot.waitUntil(lambda: "鈴木 一郎" in counter.member_panel.name.text(), timeout=5000)
    win.register.scanner.scan("TR:R01-000001")
    qtbot.waitUntil(lambda: "返品画面" in counter.message.text(), timeout=5000)
    assert "鈴木 一郎" in counter.member_panel.name.text()  # the member stays on screen
    win.register.scanner.fail("スキャナーとの接続が切れました")
    qtbot.waitUntil(lambda: "スキャナー" in counter.message.text(), timeout=5000)
    assert win.register.store.outbox_counts() == {}

    # On the returns screen the same receipt code looks the sale up there, as a wedge
    # scanner's would: no sale R01-000001 has been rung yet.
    QTest.keyClick(win, Qt.Key.Key_F2)
    returns = win.screens["returns"]
    assert win.current() is returns
    counter.message.clear()
    win.register.scanner.scan("TR:R01-000001")
    qtbot.waitUntil(lambda: "R01-000001" in returns.message.text(), timeout=5000)
    assert counter.message.text() == ""
