"""The audit log is append-only and hash-chained: edits, inserts and deletions show."""

from __future__ import annotations

import json
import sqlite3

import pytest

from sync.audit import GENESIS_HASH, entry_hash
from tests.support.seed import NOW


@pytest.fixture
def logged(store):
    for i in range(5):
        store.audit("reprint", staff_id="C01", detail={"receipt_no": f"R01-{i:06d}", "理由": "紙詰まり"},
                    at=NOW)
    return store


def raw(store):
    con = sqlite3.connect(store.path, isolation_level=None)
    # What someone with the file and a SQLite shell could do: drop the guard first.
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")
    return con


def test_a_sound_chain_verifies(logged):
    check = logged.verify_audit_chain()
    assert (check.ok, check.checked, check.bad_seq) == (True, 5, None)
    seq, head = logged.audit_head()
    assert seq == 5 and len(head) == 64


def test_the_first_row_chains_from_genesis_and_hashes_its_content(logged):
    con = sqlite3.connect(logged.path)
    seq, at, kind, staff, detail, prev, stored = con.execute(
        "SELECT seq, at, kind, staff_id, detail, prev_hash, hash FROM audit_log WHERE seq = 1"
    ).fetchone()
    con.close()
    assert prev == GENESIS_HASH and at == "2026-11-22 01:30:00.000000"
    assert stored == entry_hash(seq, at, kind, staff, json.loads(detail), prev)


def test_the_database_refuses_updates_and_deletes(logged):
    con = sqlite3.connect(logged.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit_log SET staff_id = 'X' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit_log WHERE seq = 5")
    con.close()


def test_an_edited_row_is_found(logged):
    con = raw(logged)
    con.execute("""UPDATE audit_log SET detail = '{"receipt_no":"R01-999999"}' WHERE seq = 3""")
    con.close()
    check = logged.verify_audit_chain()
    assert (check.ok, check.bad_seq, check.problem) == (
        False, 3, "row content does not match its hash")


def test_a_rehashed_edit_breaks_the_next_link(logged):
    con = raw(logged)
    prev = con.execute("SELECT prev_hash FROM audit_log WHERE seq = 2").fetchone()[0]
    forged = entry_hash(2, "2026-11-22 01:30:00.000000", "reprint", "X", {}, prev)
    con.execute("UPDATE audit_log SET staff_id = 'X', detail = '{}', hash = ? WHERE seq = 2",
                (forged,))
    con.close()
    check = logged.verify_audit_chain()
    assert (check.ok, check.bad_seq) == (False, 3)


def test_a_deleted_row_is_found(logged):
    con = raw(logged)
    con.execute("DELETE FROM audit_log WHERE seq = 2")
    con.close()
    check = logged.verify_audit_chain()
    assert (check.ok, check.bad_seq, check.problem) == (False, 2, "row 2 is missing")


def test_a_cut_tail_shows_only_against_a_kept_head(logged):
    kept = logged.audit_head()
    con = raw(logged)
    con.execute("DELETE FROM audit_log WHERE seq = 5")
    con.close()
    assert logged.verify_audit_chain().ok  # the chain alone cannot tell
    assert logged.audit_head() != kept
