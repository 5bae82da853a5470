"""Online backups: a consistent copy while sales go on, checked, rotated, on a schedule."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from loyalty.quote import quote_sale
from sync.backup import BackupError, BackupScheduler, backup_now, list_backups, rotate
from sync.recovery import open_checked
from sync.worker import StoreWorker
from tests.support.seed import NOW, seeded_store


def sell(store):
    q = quote_sale(store.program(), 1000)
    return store.record_sale("M1", q, staff_id=None, local_time=NOW,
                             build_receipt=lambda f: {"no": f.receipt_no}).facts.op_id


def ops_in(path):
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [r[0] for r in con.execute("SELECT op_id FROM ops ORDER BY device_seq")]
    finally:
        con.close()


def test_backup_is_a_plain_sound_copy_of_every_commit(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    ids = [sell(store) for _ in range(5)]
    backup = backup_now(store.path, tmp_path / "backups", now=NOW)
    store.close()
    assert backup.name == "register-20261122T013000000000Z.db"
    assert ops_in(backup) == ids
    assert not backup.with_name(backup.name + "-wal").exists()
    assert sqlite3.connect(backup).execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_backup_while_sales_are_recorded_is_consistent(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    worker = StoreWorker()
    stop = threading.Event()
    made: list[str] = []

    def selling():
        while not stop.is_set():
            made.append(worker.call(sell, store))

    seller = threading.Thread(target=selling)
    seller.start()
    try:
        backups = []
        for i in range(5):
            time.sleep(0.02)
            backups.append(backup_now(store.path, tmp_path / "b", keep=10,
                                      now=NOW + timedelta(seconds=i)))
    finally:
        stop.set()
        seller.join()
        worker.shutdown()
        store.close()
    for backup in backups:
        copied = ops_in(backup)
        # A snapshot: a prefix of the sales, each with its receipt, no gap in device_seq.
        assert copied == made[: len(copied)]
        con = sqlite3.connect(backup)
        assert con.execute("SELECT count(*) FROM receipts").fetchone() == (len(copied),)
        assert con.execute("SELECT next_device_seq FROM sync_state").fetchone() == (
            len(copied) + 1,)
        con.close()


def test_rotation_keeps_the_newest(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    dest = tmp_path / "backups"
    made = [backup_now(store.path, dest, keep=3, now=NOW + timedelta(hours=h))
            for h in range(5)]
    store.close()
    assert list_backups(dest) == made[-3:]
    (dest / "register-20261122T000000000000Z.db.part").write_bytes(b"half")
    assert rotate(dest, 2) == made[-3:-2]
    assert list_backups(dest) == made[-2:] and not list(dest.glob("*.part"))
    with pytest.raises(ValueError):
        backup_now(tmp_path / "register.db", dest, keep=0)


def test_a_store_being_recovered_is_not_backed_up(tmp_path):
    path = tmp_path / "register.db"
    path.write_bytes(b"not a database at all" * 100)
    store = open_checked(path)
    store.close()
    good = tmp_path / "backups" / "register-20261101T000000000000Z.db"
    good.parent.mkdir()
    good.write_bytes(b"the last good backup")
    with pytest.raises(BackupError, match="復旧中"):
        backup_now(path, good.parent, keep=1)
    assert list_backups(good.parent) == [good]  # not rotated away


def test_scheduler_backs_up_at_start_and_stops_promptly(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    results = []
    done = threading.Event()

    def on_result(path, error):
        results.append((path, error))
        done.set()

    scheduler = BackupScheduler(store.path, tmp_path / "backups", interval_s=3600, keep=2,
                                on_result=on_result)
    scheduler.start()
    assert done.wait(10)
    started = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - started < 2
    store.close()
    [(path, error)] = results
    assert error is None and path == scheduler.last_backup and path.exists()


def test_scheduler_reports_a_failure_and_keeps_going(tmp_path):
    scheduler = BackupScheduler(tmp_path / "register.db", tmp_path / "b")
    assert scheduler.run_once() is None and scheduler.last_error is not None
    assert not (tmp_path / "register.db").exists()  # a backup never creates the database
    seeded_store(tmp_path / "register.db").close()
    assert scheduler.run_once() is not None and scheduler.last_error is None


@pytest.mark.parametrize("interval", [0.0, 0.5, 2 * 24 * 3600])
def test_scheduler_interval_is_bounded(tmp_path, interval):
    with pytest.raises(ValueError, match="between"):
        BackupScheduler(tmp_path / "r.db", tmp_path / "b", interval_s=interval)


def test_a_damaged_live_database_fails_its_backup_loudly(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    for _ in range(200):
        sell(store)
    store.close()
    data = bytearray(store.path.read_bytes())
    page = data.index(b'{"op_id"') // 4096
    data[page * 4096:(page + 1) * 4096] = bytes(range(256)) * 16
    store.path.write_bytes(bytes(data))
    dest = tmp_path / "backups"
    with pytest.raises(BackupError, match="破損している可能性"):
        backup_now(store.path, dest)
    assert list_backups(dest) == [] and not list(dest.glob("*.part"))
