"""The failure scenarios of the sync protocol (numbered as in the design notes), each with
the outcome that must hold, on a real HQ process over PostgreSQL. Scenarios 8, 11 and
12 are in `test_sync_scenarios_ledger`, 13 to 15 in `test_sync_scenarios_state`."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine, text

from sync.client import SyncError
from sync.protocol import PushResponse
from tests.reliability.harness import (
    MEMBERS,
    Register,
    hq_count,
    ledger_check,
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


def test_5_hq_killed_mid_batch_nothing_half_applied(hq, make_register):
    """HQ is killed while a 300-op batch's transaction is open. The test holds the row the
    batch takes last (the feed counter, `hq.ingest._publish`) from another connection, so
    the batch has done everything else and waits inside its transaction; HQ is SIGKILLed
    there, then the row is released.

    What PostgreSQL does with the orphaned transaction depends on what HQ had sent: if
    its COMMIT was still to come, the transaction dies with the connection (nothing
    applied); if HQ sends its writes and COMMIT in one pipeline, the COMMIT is already in
    the server's hands and the batch commits whole. Either way the batch is applied
    whole or not at all — never part — and the retry leaves each op exactly once."""
    proc, db_url = hq
    reg = make_register()
    for i in range(300):
        reg.sell(MEMBERS[i % 5], 100 + i)
    reg.client.batch_size = 300
    counter = hq_count(db_url, "SELECT value FROM seq_counter")
    balances = _balances(db_url)
    with psycopg.connect(_plain(db_url), autocommit=False) as blocker:
        blocker.execute("SELECT value FROM seq_counter FOR UPDATE")
        failed: list[SyncError] = []
        pusher = threading.Thread(target=_push_expecting_failure, args=(reg, failed))
        pusher.start()
        waiting = _wait_for_publish_blocked(db_url)
        assert waiting is not None, "the batch never reached its last statement"
        assert hq_count(db_url, "SELECT count(*) FROM ops") == 0  # nothing visible yet
        proc.kill()  # SIGKILL, with the batch's transaction open in PostgreSQL
        pusher.join(timeout=30)
        assert len(failed) == 1 and failed[0].retry
        blocker.rollback()  # release: the orphaned transaction runs on, then ends
    _wait_backend_gone(db_url, waiting)
    stored = hq_count(db_url, "SELECT count(*) FROM ops")
    entries = hq_count(db_url, "SELECT count(*) FROM ledger_entries WHERE op_id IS NOT NULL")
    moved = hq_count(db_url, "SELECT value FROM seq_counter") - counter
    last_seq = hq_count(db_url, "SELECT last_device_seq FROM registers WHERE device_id = 'R01'")
    if stored == 0:  # the transaction died with HQ's connection
        assert (entries, moved, last_seq) == (0, 0, 0)
        assert _balances(db_url) == balances
    else:  # the COMMIT had been sent: all of it, published
        assert (stored, entries, last_seq) == (300, 300, 300) and moved >= 300
        assert hq_count(db_url, "SELECT count(*) FROM ops WHERE status = 'applied' AND "
                                "result->>'server_seq' IS NOT NULL") == 300
        assert ledger_check(db_url).holds
    print(f"scenario 5: HQ killed inside the batch's transaction; "
          f"{'whole batch committed' if stored else 'nothing committed'}")
    assert reg.store.outbox_counts() == {"queued": 300}  # the register knows nothing yet

    proc.start()  # same port: the register's URL still works
    reg.sync_until_drained()
    counts = reg.store.outbox_counts()
    assert counts == ({"duplicate": 300} if stored else {"applied": 300})
    r = reconcile(db_url, reg.made)
    assert (r.lost, r.double_applied, r.members_off, r.order_violations) == (0, 0, [], 0)
    assert r.applied == 300
    assert hq_count(db_url, "SELECT count(*) FROM ledger_entries WHERE op_id IS NOT NULL") == 300
    assert ledger_check(db_url).holds


def _plain(db_url: str) -> str:
    return db_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _balances(db_url: str) -> dict[str, int]:
    with psycopg.connect(_plain(db_url)) as c:
        return dict(c.execute("SELECT member_id, balance FROM members").fetchall())


def _push_expecting_failure(reg, failed: list[SyncError]) -> None:
    try:
        reg.client.push_once()
    except SyncError as exc:  # HQ dies under it: the only outcome this test expects
        failed.append(exc)


def _wait_for_publish_blocked(db_url: str) -> int | None:
    """The pid of HQ's backend once it waits for the counter row, inside its batch."""
    with psycopg.connect(_plain(db_url), autocommit=True) as c:
        for _ in range(1500):  # bounded: 30 s
            row = c.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND state = 'active' AND query LIKE '%UPDATE seq_counter%'").fetchone()
            if row:
                return int(row[0])
            time.sleep(0.02)
    return None


def _wait_backend_gone(db_url: str, pid: int) -> None:
    with psycopg.connect(_plain(db_url), autocommit=True) as c:
        for _ in range(500):
            if c.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is None:
                return
            time.sleep(0.02)
    raise AssertionError(f"HQ's orphaned backend {pid} is still there")


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


def _all_bodies(reg):
    from sync.models import OutboxOp

    with reg.store._read() as s:
        return [row.body for row in s.query(OutboxOp)]
