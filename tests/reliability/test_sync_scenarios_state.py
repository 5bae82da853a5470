"""Failure scenarios 13–15 of the design notes, where the register's own view is off:
its clock, a pull cut off half-way through HQ's pages, and its database restored from
an old backup (through re-registration to selling and syncing again). On a real HQ
process over PostgreSQL.

13. register clock ±2 days: HQ orders by `server_seq`, and HQ's time, not the
    register's, dates the points and decides when they expire;
14. a pull cut off halfway: the cursor is the last page committed, and pulling again
    is harmless;
15. a register restored from an old backup: HQ refuses its new ops as
    `device_seq_regressed`; the operator re-registers it, the register takes the new
    credentials, sends the refused op again, and goes on selling, nothing lost or
    doubled.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import create_engine, text

from desktop.provisioning import activate
from hq.cli import main as hq_cli
from loyalty.program import parse_program
from resources import RESOURCES
from sync.backup import backup_now
from sync.client import SyncError
from tests.reliability.harness import (
    MEMBERS,
    Register,
    hq_count,
    ledger_check,
    publish_program,
    reconcile,
    register_token,
)
from tests.support.faulty import Faults, FaultyTransport
from tests.support.seed import TOKYO

pytestmark = pytest.mark.integration


def hq_rows(db_url, sql, **params):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql), params)]
    finally:
        engine.dispose()


def fixed_expiry_program() -> str:
    demo = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    return (demo.replace("version = 1", "version = 2")
            + '\n[expiry]\npolicy = "fixed"\nmonths = 12\n')


def test_13_register_clock_two_days_off(hq, make_register):
    """Two registers, one two days ahead and one two days behind. The one ahead pushes
    first: its op gets the lower server_seq though its clock says later, and the ledger
    follows server_seq. Each sale's lot is dated by HQ and expires 12 months from HQ's
    day, not from the day either register believed it was."""
    _, db_url = hq
    assert publish_program(db_url, fixed_expiry_program()) == 2
    policy = parse_program(fixed_expiry_program()).expiry
    ahead, behind = make_register("R01"), make_register("R02")
    member = "M0000002"
    now = datetime.now(TOKYO)
    a = ahead.sell(member, 1000, when=now + timedelta(days=2))
    b = behind.sell(member, 2000, when=now - timedelta(days=2))
    ahead.client.sync_once()
    behind.client.sync_once()

    seq = {op: hq_count(db_url, "SELECT (result->>'server_seq')::bigint FROM ops "
                                "WHERE op_id = :o", o=op) for op in (a, b)}
    assert seq[a] < seq[b]  # arrival order, against both clocks
    # The ledger is in server_seq order: each entry's balance_after builds on the one before.
    entries = hq_rows(db_url, "SELECT op_id, points FROM ledger_entries "
                              "WHERE member_id = :m AND op_id IN (:a, :b) ORDER BY id",
                      m=member, a=a, b=b)
    assert [op for op, _ in entries] == [a, b]

    for op, local in ((a, now + timedelta(days=2)), (b, now - timedelta(days=2))):
        [(received, earned, expires)] = hq_rows(
            db_url, "SELECT o.received_at, l.earned_at, l.expires_at FROM ops o "
                    "JOIN lots l ON l.lot_id = o.op_id || '#0' WHERE o.op_id = :o", o=op)
        assert abs(earned - received) < timedelta(seconds=5)  # HQ's time
        assert expires == policy.term_end(earned)
        # The register's clock would have given another day: the test tells them apart.
        assert policy.term_end(local) != expires
        assert abs(policy.term_end(local) - expires) >= timedelta(days=1)
    # Both registers show the lots as HQ dated them.
    # (The register keeps HQ's summary: points by the day they expire.)
    hq_expiries = dict(hq_rows(
        db_url, "SELECT expires_at, sum(remaining) FROM lots WHERE member_id = :m "
                "AND remaining > 0 AND expires_at IS NOT NULL GROUP BY expires_at", m=member))
    assert sum(hq_expiries.values()) == 10 + 20
    for reg in (ahead, behind):
        reg.client.sync_once()
        shown = {lot.expires_at: lot.points for lot in reg.store.member(member).lots
                 if lot.expires_at}
        assert shown == hq_expiries

    r = reconcile(db_url, ahead.made + behind.made)
    assert (r.lost, r.double_applied, r.members_off, r.order_violations) == (0, 0, [], 0)
    assert ledger_check(db_url).holds


class PagedCut(httpx.BaseTransport):
    """Pulls in HQ's own pages of `limit` changes; the `cut_at`-th pull's answer is cut off
    half-way through its body (the connection drops), as a flaky uplink would."""

    def __init__(self, limit: int, cut_at: int) -> None:
        self.limit, self.cut_at = limit, cut_at
        self.plain = httpx.HTTPTransport()
        self.cutting = FaultyTransport(seed=14, faults=Faults(cut_response=1.0,
                                                              paths=("/v1/sync/pull",)))
        self.pulls = 0
        self.cursors: list[int] = []  # the cursor of each page that arrived whole

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/pull"):
            return self.plain.handle_request(request)
        query = dict(request.url.params) | {"limit": str(self.limit)}
        request = httpx.Request("GET", request.url.copy_with(query=urlencode(query).encode()),
                                headers=request.headers)
        self.pulls += 1
        if self.pulls == self.cut_at:
            return self.cutting.handle_request(request)
        response = self.plain.handle_request(request)
        self.cursors.append(json.loads(response.read())["cursor"])
        return response


def test_14_pull_cut_off_in_the_middle_of_paging(hq, make_register):
    """A new register's first pull, in pages of 3 changes, loses its connection half-way
    through the third page. The first two pages are committed with their cursor; the
    third left nothing. Pulling again starts from the committed cursor and ends where a
    clean pull would; a third pull finds nothing and changes nothing."""
    proc, db_url = hq
    seller = make_register("R02")
    for i in range(30):
        seller.sell(MEMBERS[i % 5], 1000 + i)
    seller.client.sync_once()
    transport = PagedCut(limit=3, cut_at=3)
    cut = Register(seller.path.with_name("cut.db"), "R03", proc.url,
                   register_token(db_url, "R03"), transport=transport)
    try:
        with pytest.raises(SyncError) as caught:
            cut.client.pull_once()
        assert caught.value.retry
        assert transport.cutting.counts["cut_response"] == 1
        assert len(transport.cursors) == 2
        committed = transport.cursors[-1]
        assert 0 < committed < hq_count(db_url, "SELECT max(server_seq) FROM feed")
        assert cut.store.pull_cursor() == committed  # the pages before, not the cut one
        written = _cache(cut)
        assert 0 < len(written["members"]) + len(written["cards"]) + len(written["programs"]) <= 6

        pulled = cut.client.pull_once()
        assert pulled > 0
        final = cut.store.pull_cursor()
        assert final == hq_count(db_url, "SELECT max(server_seq) FROM feed")
        whole = _cache(cut)
        assert cut.client.pull_once() == 0  # again: nothing new, nothing changed
        assert cut.store.pull_cursor() == final and _cache(cut) == whole
        assert whole["cards"] == sorted(hq_rows(db_url, "SELECT uid, member_id, status FROM cards"))
        assert whole["programs"] == [v for (v,) in hq_rows(
            db_url, "SELECT version FROM programs ORDER BY version")]
        for member_id in MEMBERS:
            assert cut.store.member(member_id).balance == hq_count(
                db_url, "SELECT balance FROM members WHERE member_id = :m", m=member_id)
    finally:
        cut.close()


def _cache(reg: Register) -> dict[str, list]:
    with reg.store.reading() as s:
        return {
            "members": sorted(tuple(r) for r in s.execute(text(
                "SELECT member_id, hq_balance, debt FROM members"))),
            "cards": sorted(tuple(r) for r in s.execute(text(
                "SELECT uid, member_id, status FROM cards"))),
            "programs": [v for (v,) in s.execute(text(
                "SELECT version FROM programs ORDER BY version"))],
        }


def test_15_restored_from_an_old_backup_reregisters_and_trades_on(hq, make_register,
                                                                  tmp_path, capsys):
    proc, db_url = hq
    reg = make_register()
    first = reg.sell("M0000001", 1000)
    reg.client.sync_once()
    backup = backup_now(reg.path, tmp_path / "backups")  # the register's scheduled backup
    after_backup = [reg.sell("M0000001", 1000) for _ in range(3)]
    reg.client.sync_once()
    reg.close()
    for suffix in ("-wal", "-shm"):
        Path(str(reg.path) + suffix).unlink(missing_ok=True)
    shutil.copy(backup, reg.path)  # the store PC was restored
    restored = Register(reg.path, "R01", proc.url, reg.token)
    events: list[tuple] = []
    for name in ("op_rejected", "sync_halted", "online_changed"):
        restored.client.events.subscribe(name, lambda *a, _n=name: events.append((_n, *a)))
    try:
        reused = restored.sell("M0000001", 700)  # device_seq 2 again
        restored.client.sync_once()
        assert restored.store.op_state(reused) == "rejected"
        assert ("op_rejected", reused, "device_seq_regressed") in events
        assert hq_count(db_url, "SELECT count(*) FROM ops WHERE op_id = :o", o=reused) == 0

        # The operator at HQ starts a new registration epoch (docs/hq.md) …
        assert hq_cli(["--db", db_url, "reregister", "--device", "R01",
                       "--reason", "restored from backup", "--json"]) == 0
        code = json.loads(capsys.readouterr().out)["code"]
        # … which stops the old token: the register says so and stops syncing.
        later = restored.sell("M0000001", 1200)
        with pytest.raises(SyncError) as caught:
            restored.client.sync_once()
        assert caught.value.retry is False and restored.client.halted is not None
        assert [e[1] for e in events if e[0] == "sync_halted"] == [restored.client.halted]
        # The store enters the code at the register; it takes the new token.
        activation = activate(proc.url, "R01", code, store_id="S001")
        assert activation.epoch == 2
        restored.client.replace_token(activation.token)
        restored.client.sync_once()
        assert restored.client.halted is None
        assert (restored.store.op_state(reused), restored.store.op_state(later)) == (
            "applied", "applied")
        more = restored.sell("M0000001", 900)
        restored.client.sync_once()
        assert restored.store.op_state(more) == "applied"
        epochs = dict(hq_rows(db_url, "SELECT op_id, epoch FROM ops WHERE device_id = 'R01'"))
        assert epochs == {first: 1, **dict.fromkeys(after_backup, 1),
                          reused: 2, later: 2, more: 2}
        hq_balance = hq_count(db_url, "SELECT balance FROM members WHERE member_id = 'M0000001'")
        seen = restored.store.member("M0000001")
        assert (seen.balance, seen.pending_delta) == (hq_balance, 0)
    finally:
        restored.close()
    made = [first, *after_backup, reused, later, more]
    r = reconcile(db_url, made)
    assert (r.made, r.applied, r.lost, r.double_applied, r.members_off) == (7, 7, 0, 0, [])
    assert r.rejected == {}
    assert ledger_check(db_url).holds
