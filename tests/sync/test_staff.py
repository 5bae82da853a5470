"""Staff sign-in: argon2id PIN hashes, lockout after wrong PINs, every event audited."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from sync.staff import StaffBook, StaffError
from tests.support.seed import NOW

# The real parameters cost 64 MiB and ~50 ms a hash; tests use a light argon2id.
LIGHT = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def book(store):
    b = StaffBook(store, max_failures=3, lockout=timedelta(minutes=10), hasher=LIGHT)
    b.create("M01", "店長 佐藤", "manager", "2468", now=NOW)
    b.create("C01", "鈴木", "cashier", "1357", by="M01", now=NOW)
    return b


def audit_rows(store):
    con = sqlite3.connect(store.path)
    try:
        return [(kind, staff_id) for kind, staff_id in
                con.execute("SELECT kind, staff_id FROM audit_log ORDER BY seq")]
    finally:
        con.close()


def test_pin_is_stored_as_an_argon2id_hash(store, book):
    con = sqlite3.connect(store.path)
    (pin_hash,) = con.execute("SELECT pin_hash FROM staff WHERE staff_id = 'C01'").fetchone()
    con.close()
    assert pin_hash.startswith("$argon2id$") and "1357" not in pin_hash


def test_the_default_hash_is_memory_hard(store):
    b = StaffBook(store)
    assert b.hasher.type.name == "ID" and b.hasher.memory_cost >= 64 * 1024


def test_sign_in_and_out_are_audited(store, book):
    staff = book.sign_in("C01", "1357", now=NOW)
    assert (staff.display_name, staff.role, staff.is_manager) == ("鈴木", "cashier", False)
    book.sign_out("C01", now=NOW)
    assert audit_rows(store)[-2:] == [("sign_in", "C01"), ("sign_out", "C01")]


def test_wrong_pins_lock_the_staff_member_even_for_the_right_pin(store, book):
    for _ in range(2):
        with pytest.raises(StaffError, match="暗証番号が違います"):
            book.sign_in("C01", "0000", now=NOW)
    with pytest.raises(StaffError, match="ロックされています。10分後"):
        book.sign_in("C01", "0000", now=NOW)
    with pytest.raises(StaffError, match="ロック"):
        book.sign_in("C01", "1357", now=NOW + timedelta(minutes=5))
    assert book.get("C01").locked_until == NOW + timedelta(minutes=10)
    assert [k for k, _ in audit_rows(store)][-5:] == [
        "sign_in_failed", "sign_in_failed", "sign_in_failed", "staff_locked", "sign_in_failed"]


def test_the_lock_runs_out(store, book):
    for _ in range(3):
        with pytest.raises(StaffError):
            book.sign_in("C01", "9999", now=NOW)
    assert book.sign_in("C01", "1357", now=NOW + timedelta(minutes=11)).failed_attempts == 0
    assert book.get("C01").locked_until is None


def test_a_right_pin_resets_the_count(store, book):
    for _ in range(2):
        with pytest.raises(StaffError):
            book.sign_in("C01", "9999", now=NOW)
    book.sign_in("C01", "1357", now=NOW)
    with pytest.raises(StaffError, match="違います"):
        book.sign_in("C01", "9999", now=NOW)  # one failure again, not the third


def test_a_manager_unlocks_and_a_cashier_cannot(store, book):
    book.create("C02", "高橋", "cashier", "8642", now=NOW)
    for _ in range(3):
        with pytest.raises(StaffError):
            book.sign_in("C01", "9999", now=NOW)
    with pytest.raises(StaffError, match="店長のみ"):
        book.unlock("C01", manager_id="C02", manager_pin="8642", now=NOW)
    with pytest.raises(StaffError, match="違います"):
        book.unlock("C01", manager_id="M01", manager_pin="0000", now=NOW)
    book.unlock("C01", manager_id="M01", manager_pin="2468", now=NOW)
    assert book.sign_in("C01", "1357", now=NOW).staff_id == "C01"
    assert ("staff_unlocked", "M01") in audit_rows(store)


def test_unknown_staff_gets_the_same_answer_and_is_audited(store, book):
    with pytest.raises(StaffError, match="スタッフ番号または暗証番号が違います"):
        book.sign_in("X99", "1357", now=NOW)
    assert audit_rows(store)[-1] == ("sign_in_failed", "X99")


def test_change_pin(store, book):
    book.change_pin("C01", "1357", "97531", now=NOW)
    with pytest.raises(StaffError):
        book.sign_in("C01", "1357", now=NOW)
    assert book.sign_in("C01", "97531", now=NOW).staff_id == "C01"


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "１２３４"])
def test_bad_pins_are_refused(book, pin):
    with pytest.raises(StaffError, match="桁の数字"):
        book.create("C09", "新人", "cashier", pin, now=NOW)


def test_duplicate_staff_and_unknown_role_are_refused(book):
    with pytest.raises(StaffError, match="すでに登録"):
        book.create("C01", "鈴木", "cashier", "1111", now=NOW)
    with pytest.raises(StaffError, match="役割"):
        book.create("C05", "田中", "owner", "1111", now=NOW)


def test_every_staff_event_keeps_the_audit_chain_sound(store, book):
    with pytest.raises(StaffError):
        book.sign_in("C01", "0000", now=NOW)
    book.sign_in("C01", "1357", now=NOW)
    check = store.verify_audit_chain()
    assert check.ok and check.checked == len(audit_rows(store)) == 4
