"""Sign-in, lockout, shift change and manager approval, Qt-free, on a real store thread."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from desktop.flows.signin import (
    DEMO_STAFF,
    SHIFT_END,
    SHIFT_START,
    ApprovalRefused,
    StaffSession,
    seed_demo_staff,
)
from sync.events import EventBus
from sync.staff import StaffBook, StaffError
from sync.worker import StoreWorker
from tests.desktop.counter_support import LIGHT, NOW, Recorder, filled_store


@pytest.fixture
def setup(tmp_path):
    store = filled_store(tmp_path / "register.db")
    worker = StoreWorker()
    bus = EventBus()
    book = StaffBook(store, max_failures=3, lockout=timedelta(minutes=10), hasher=LIGHT)
    clock = {"now": NOW}
    session = StaffSession(store, worker, bus, book, clock=lambda: clock["now"])
    worker.call(book.create, "1001", "店長 佐々木", "manager", "1234", now=NOW)
    worker.call(book.create, "2001", "レジ 田村", "cashier", "0000", now=NOW)
    worker.call(book.create, "2002", "レジ 中村", "cashier", "5555", now=NOW)
    yield session, Recorder(bus), store, clock
    worker.shutdown()
    store.close()


def audit(store):
    con = sqlite3.connect(store.path)
    try:
        return [(kind, staff, detail) for kind, staff, detail in con.execute(
            "SELECT kind, staff_id, detail FROM audit_log ORDER BY seq")]
    finally:
        con.close()


def kinds(store):
    return [(kind, staff) for kind, staff, _ in audit(store)]


def test_sign_in_starts_a_shift_and_sign_out_ends_it(setup):
    session, rec, store, _ = setup
    staff = session.sign_in("2001", "0000").result(5)
    assert (staff.display_name, staff.role) == ("レジ 田村", "cashier")
    assert session.staff_id == "2001"
    assert rec.wait("staff_changed") == (staff,)
    session.sign_out().result(5)
    assert session.current is None
    assert kinds(store)[-4:] == [("sign_in", "2001"), (SHIFT_START, "2001"),
                                 (SHIFT_END, "2001"), ("sign_out", "2001")]
    assert store.verify_audit_chain().ok


def test_wrong_pins_lock_out_and_say_how_long(setup):
    session, rec, store, clock = setup
    for _ in range(2):
        with pytest.raises(StaffError, match="暗証番号が違います"):
            session.sign_in("2001", "9999").result(5)
    with pytest.raises(StaffError, match="10分後"):
        session.sign_in("2001", "9999").result(5)
    refusals = [a[0] for n, a in rec.seen if n == "sign_in_refused"]
    assert [r.locked_until is not None for r in refusals] == [False, False, True]
    assert refusals[-1].remaining_seconds(NOW) == 600
    assert refusals[-1].remaining_seconds(NOW + timedelta(minutes=9, seconds=30)) == 30
    # Locked: even the right PIN is refused, and the time left is still known.
    clock["now"] = NOW + timedelta(minutes=4)
    with pytest.raises(StaffError, match="ロック"):
        session.sign_in("2001", "0000").result(5)
    assert rec.seen[-1][1][0].remaining_seconds(clock["now"]) == 360
    assert session.current is None
    # After the lockout, the right PIN works again.
    clock["now"] = NOW + timedelta(minutes=11)
    assert session.sign_in("2001", "0000").result(5).staff_id == "2001"


def test_a_manager_unlocks_a_locked_cashier(setup):
    session, _, _, _ = setup
    for _ in range(3):
        with pytest.raises(StaffError):
            session.sign_in("2002", "1111").result(5)
    with pytest.raises(StaffError, match="店長のみ"):
        session.unlock("2002", "2001", "0000").result(5)
    assert session.unlock("2002", "1001", "1234").result(5).locked_until is None
    assert session.sign_in("2002", "5555").result(5).staff_id == "2002"


def test_empty_code_or_pin_is_refused_without_a_try(setup):
    session, rec, store, _ = setup
    before = kinds(store)
    with pytest.raises(StaffError, match="入力してください"):
        session.sign_in(" ", "").result(5)
    assert kinds(store) == before
    assert rec.wait("sign_in_refused")[0].locked_until is None


def test_shift_change_ends_one_shift_and_starts_the_next(setup):
    session, _, store, _ = setup
    session.sign_in("2001", "0000").result(5)
    # A failed attempt by the next cashier leaves the current one signed in.
    with pytest.raises(StaffError):
        session.sign_in("2002", "0000").result(5)
    assert session.staff_id == "2001"
    session.sign_in("2002", "5555").result(5)
    assert session.staff_id == "2002"
    rows = audit(store)
    end = next(r for r in rows if r[0] == SHIFT_END)
    assert end[1] == "2001" and '"shift_change"' in end[2] and '"2002"' in end[2]
    start = [r for r in rows if r[0] == SHIFT_START][-1]
    assert start[1] == "2002" and '"2001"' in start[2]
    assert ("sign_out", "2001") in kinds(store)


def test_manager_approval(setup):
    session, _, store, _ = setup
    session.sign_in("2001", "0000").result(5)
    approval = session.approve("1001", "1234", action="redeem_over_cap",
                               detail={"points": 5000}).result(5)
    assert (approval.manager_id, approval.manager_name) == ("1001", "店長 佐々木")
    row = audit(store)[-1]
    assert row[0] == "manager_approval" and row[1] == "1001"
    assert '"redeem_over_cap"' in row[2] and '"2001"' in row[2] and "5000" in row[2]
    with pytest.raises(ApprovalRefused, match="店長の承認が必要"):
        session.approve("2002", "5555", action="redeem_over_cap").result(5)
    with pytest.raises(ApprovalRefused, match="暗証番号が違います"):
        session.approve("1001", "0000", action="redeem_over_cap").result(5)
    assert session.staff_id == "2001"  # approving never changes who is signed in


def test_demo_staff_are_seeded_once(tmp_path):
    store = filled_store(tmp_path / "r.db")
    try:
        book = StaffBook(store, hasher=LIGHT)
        assert seed_demo_staff(book) == len(DEMO_STAFF)
        assert seed_demo_staff(book) == 0
        for demo in DEMO_STAFF:
            assert book.sign_in(demo.staff_id, demo.pin).role == demo.role
    finally:
        store.close()


def test_closing_the_app_ends_the_shift(setup):
    session, _, store, _ = setup
    session.sign_in("2001", "0000").result(5)
    session.close()
    end = [r for r in audit(store) if r[0] == SHIFT_END][-1]
    assert '"app_closed"' in end[2]
