"""The failure scenarios of the sync protocol (numbered as in the design notes), each with
the outcome that must hold, on a real HQ process over PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from sync.backup import backup_now
from sync.client import SyncError
from sync.protocol import PushResponse
from tests.reliability.harness import (
    MEMBERS,
    Register,
    hq_count,
    read_marker,
    reconcile,
    register_token,
    spawn_register,
)
from tests.support.faulty import Faults, FaultyTransport
from tests.support.seed import NOW

pytestmark = pytest.mark.integration


def test_1_killed_before_commit_leaves_nothing(hq, make_register, tmp_path):
    proc, db_url = hq
    reg = make_register()
    reg.close()  # the process below owns the database now
    token = register_token(db_url, "R01")
    p = spawn_register(reg.path, proc.url, token, "hang", "M0000001", "1000")
    op_id = read_marker(p, "IN_TX")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    again = Register(reg.path, "R01", proc.url, token)
    try:
        assert again.store.op_state(op_id) is None
        assert again.store.outbox_counts() == {}
        again.client.sync_once()
    finally:
        again.close()
    assert hq_count(db_url, "SELECT count(*) FROM ops") == 0


def test_2_killed_after_commit_is_sent_on_restart_once(hq, make_register):
    proc, db_url = hq
    reg = make_register()
    reg.close()
    token = register_token(db_url, "R01")
    p = spawn_register(reg.path, proc.url, token, "sell", "M0000001", "1000")
    op_id = read_marker(p, "COMMITTED")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    for _ in range(2):  # two restarts both sync: still applied once
        s = spawn_register(reg.path, proc.url, token, "sync")
        assert s.wait(timeout=60) == 0, s.stderr.read() if s.stderr else ""
    assert hq_count(db_url, "SELECT count(*) FROM ops WHERE op_id = :o AND status = 'applied'",
                    o=op_id) == 1
    assert hq_count(db_url, "SELECT count(*) FROM ledger_entries WHERE op_id = :o", o=op_id) == 1


def test_3_lost_request_is_retried_and_applied_once(hq, make_register):
    _, db_url = hq
    transport = FaultyTransport(seed=3, faults=Faults(drop_request=1.0, paths=("/v1/sync/push",)))
    reg = make_register(transport=transport)
    op_id = reg.sell("M0000001", 1500)
    with pytest.raises(SyncError):
        reg.client.sync_once()
    assert reg.store.op_state(op_id) == "queued"
    transport.enabled = False
    reg.client.sync_once()
    assert reg.store.op_state(op_id) == "applied"
    r = reconcile(db_url, reg.made)
    assert (r.lost, r.double_applied, r.applied) == (0, 0, 1)


def test_4_lost_response_gets_duplicate_with_original_result(hq, make_register):
    proc, db_url = hq
    transport = FaultyTransport(seed=4, faults=Faults(drop_response=1.0, paths=("/v1/sync/push",)))
    reg = make_register(transport=transport)
    op_id = reg.sell("M0000001", 2000)
    with pytest.raises(SyncError):
        reg.client.sync_once()
    # HQ applied it; the register does not know
    assert hq_count(db_url, "SELECT count(*) FROM ops WHERE op_id = :o", o=op_id) == 1
    transport.enabled = False
    pushed, _ = reg.client.sync_once()
    assert (pushed.applied, pushed.duplicate) == (0, 1)
    assert reg.store.op_state(op_id) == "duplicate"
    member = reg.store.member("M0000001")
    assert (member.balance, member.pending_delta) == (1220, 0)
    assert reconcile(db_url, reg.made).double_applied == 0


def test_5_hq_killed_mid_batch_nothing_half_applied(hq, make_register, tmp_path):
    proc, db_url = hq
    reg = make_register()
    for i in range(300):
        reg.sell(MEMBERS[i % 5], 100 + i)
    reg.client.batch_size = 300
    pusher = threading.Thread(target=lambda: _swallow(reg.client.sync_once))
    pusher.start()
    # kill HQ as soon as it has applied some of the batch (bounded wait)
    for _ in range(400):
        if hq_count(db_url, "SELECT count(*) FROM ops") >= 20:
            break
        threading.Event().wait(0.01)
    proc.kill()
    pusher.join(timeout=30)
    partial = hq_count(db_url, "SELECT count(*) FROM ops")
    assert 0 < partial <= 300
    proc.start()  # same port: the register's URL still works
    reg.sync_until_drained()
    r = reconcile(db_url, reg.made)
    assert (r.lost, r.double_applied, r.members_off, r.order_violations) == (0, 0, [], 0)
    assert r.applied == 300


def test_6_same_op_pushed_twice_at_once(hq, make_register):
    proc, db_url = hq
    reg = make_register()
    reg.sell("M0000002", 5000)
    body = {"ops": [op.model_dump(mode="json") for op in reg.store.pending_ops(10)]}
    statuses: list[str] = []
    barrier = threading.Barrier(2)

    def push():
        barrier.wait()
        r = httpx.post(f"{proc.url}/v1/sync/push", json=body, timeout=10,
                       headers={"Authorization": f"Bearer {reg.token}"})
        statuses.extend(x.status for x in PushResponse.model_validate_json(r.content).results)

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == ["applied", "duplicate"]
    assert reconcile(db_url, reg.made).double_applied == 0


def test_7_same_op_id_other_payload_is_refused(hq, make_register):
    proc, db_url = hq
    reg = make_register()
    op_id = reg.sell("M0000001", 1000)
    reg.client.sync_once()
    [op] = [o for o in _all_bodies(reg) if o["op_id"] == op_id]
    forged = dict(op, payload=dict(op["payload"], amount_yen=999_000))
    r = httpx.post(f"{proc.url}/v1/sync/push", json={"ops": [forged]}, timeout=10,
                   headers={"Authorization": f"Bearer {reg.token}"})
    [result] = r.json()["results"]
    assert (result["status"], result["reason"]) == ("rejected", "op_id_reused")
    assert hq_count(db_url, "SELECT balance FROM members WHERE member_id = 'M0000001'") == 1210


def test_9_business_refusal_is_dead_lettered_and_the_queue_moves_on(hq, make_register):
    proc, db_url = hq
    reg = make_register()
    first = reg.sell("M0000001", 1000)
    # Blocked at HQ after the register cached the member: HQ refuses the sale.
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as c:
        c.execute(text("UPDATE members SET status = 'blocked' WHERE member_id = 'M0000002'"))
    engine.dispose()
    refused = reg.sell("M0000002", 800)
    after = reg.sell("M0000003", 1200)
    rejected: list[tuple[str, str]] = []
    reg.client.events.subscribe("op_rejected", lambda o, why: rejected.append((o, why)))
    reg.client.sync_once()
    assert reg.store.op_state(first) == "applied"
    assert reg.store.op_state(refused) == "rejected"
    assert reg.store.op_state(after) == "applied"
    assert rejected == [(refused, "member_blocked")]
    assert hq_count(db_url, "SELECT count(*) FROM dead_letters WHERE op_id = :o", o=refused) == 1


def test_10_outage_of_days_thousands_of_ops_drain_once_in_order(hq, make_register):
    proc, db_url = hq
    proc.stop()
    regs = [make_register_offline(make_register, hq, d) for d in ("R01", "R02")]
    for i in range(1500):
        for reg in regs:
            reg.sell(MEMBERS[i % 5], 100 + (i % 900), when=NOW + timedelta(minutes=i * 3))
    for reg in regs:
        with pytest.raises(SyncError):
            reg.client.sync_once()
    proc.start()
    for reg in regs:
        reg.sync_until_drained()
    r = reconcile(db_url, [op for reg in regs for op in reg.made])
    print("reconciliation:", r.summary())
    assert (r.made, r.applied, r.lost, r.double_applied) == (3000, 3000, 0, 0)
    assert r.members_off == [] and r.order_violations == 0


def make_register_offline(make_register, hq, device_id):
    """A register that synced once (to get program and members) before HQ went away."""
    proc, _ = hq
    proc.start()
    reg = make_register(device_id)
    proc.stop()
    return reg


def test_13_register_clock_two_days_off(hq, make_register):
    _, db_url = hq
    ahead, behind = make_register("R01"), make_register("R02")
    a = ahead.sell("M0000001", 1000, when=NOW + timedelta(days=2))
    b = behind.sell("M0000001", 1000, when=NOW - timedelta(days=2))
    ahead.client.sync_once()
    behind.client.sync_once()
    seq = {row: hq_count(db_url, "SELECT (result->>'server_seq')::bigint FROM ops "
                                 "WHERE op_id = :o", o=row) for row in (a, b)}
    assert seq[a] < seq[b]  # HQ orders by arrival, not by the registers' clocks
    r = reconcile(db_url, ahead.made + behind.made)
    assert (r.lost, r.double_applied, r.members_off) == (0, 0, [])


def test_14_pull_cut_off_halfway_does_not_advance_the_cursor(hq, make_register, tmp_path):
    proc, db_url = hq
    reg = make_register()
    before = reg.store.pull_cursor()
    seller = make_register("R02")
    for i in range(30):
        seller.sell(MEMBERS[i % 5], 1000)
    seller.client.sync_once()
    transport = FaultyTransport(seed=14, faults=Faults(drop_response=1.0, paths=("/v1/sync/pull",)))
    cut = Register(reg.path.with_name("cut.db"), "R03", proc.url, register_token(db_url, "R03"),
                   transport=transport)
    try:
        with pytest.raises(SyncError):
            cut.client.pull_once()
        assert cut.store.pull_cursor() == 0
        transport.enabled = False
        cut.client.pull_once()
        cut.client.pull_once()  # again: harmless
        for member_id in MEMBERS:
            assert cut.store.member(member_id).balance == hq_count(
                db_url, "SELECT balance FROM members WHERE member_id = :m", m=member_id)
    finally:
        cut.close()
    assert reg.store.pull_cursor() == before


def test_15_register_restored_from_old_backup_must_reregister(hq, make_register, tmp_path):
    proc, db_url = hq
    reg = make_register()
    reg.sell("M0000001", 1000)
    reg.client.sync_once()
    backup = backup_now(reg.path, tmp_path / "backups")  # the register's scheduled backup
    for _ in range(3):
        reg.sell("M0000001", 1000)
    reg.client.sync_once()
    reg.close()
    for suffix in ("-wal", "-shm"):
        Path(str(reg.path) + suffix).unlink(missing_ok=True)
    shutil.copy(backup, reg.path)  # the store PC was restored
    restored = Register(reg.path, "R01", proc.url, reg.token)
    try:
        new_op = restored.sell("M0000001", 700)  # reuses device_seq 2
        rejected: list[str] = []
        restored.client.events.subscribe("op_rejected", lambda o, why: rejected.append(why))
        restored.client.sync_once()
        assert restored.store.op_state(new_op) == "rejected"
        assert rejected == ["device_seq_regressed"]
    finally:
        restored.close()


def _all_bodies(reg):
    from sync.models import OutboxOp

    with reg.store._read() as s:
        return [row.body for row in s.query(OutboxOp)]


def _swallow(fn):
    try:
        fn()
    except Exception:
        pass
