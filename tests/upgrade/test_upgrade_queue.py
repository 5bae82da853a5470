"""Upgrading a register that still holds unsent sales: the database and queue an earlier
build made, opened by this build, synced with a real HQ, every op delivered exactly once.

Three earlier registers:
- `skeleton`, `durable`: databases written by those builds' own code (fixtures made by
  tests/upgrade/make_fixtures.py from their commits), with ops applied, sent without an
  answer (HQ had applied the first half of that batch when the connection broke) and
  queued;
- `raw-0001`: schema revision 0001 built by Alembic, filled with raw inserts of sale ops
  in the walking skeleton's wire format (four payload fields, no later ones).

HQ is a real server process on SQLite with the demo program and members. Before the
upgrade it is given the ops it had already received from the old build; after it, the
register's own sync client pushes the rest. HQ must then hold each op exactly once with
the payload hash the old build computed, and each member's balance must count each sale
once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from hq.demo import DEMO_MEMBERS, run_demo
from resources import RESOURCES
from sync.client import SyncClient
from sync.protocol import op_hash
from sync.recovery import open_checked
from sync.store_db import (
    all_revisions,
    current_revision,
    head_revision,
)
from sync.worker import StoreWorker
from tests.support.hq_process import HqProcess
from tests.support.seed import build_at

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass
class OldRegister:
    """What an earlier build left on disk, and what it knew about each op."""

    db: Path
    revision: str
    ops: list[dict[str, Any]]  # op_id, device_seq, state, old_hash, body, at_hq


def skeleton_hash(body: dict[str, Any]) -> str:
    """The walking skeleton's op_hash: SHA-256 of the canonical JSON of the op it sent."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def from_fixture(name: str, home: Path) -> OldRegister:
    manifest = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    db = home / "register.db"
    home.mkdir(parents=True)
    con = sqlite3.connect(db)
    con.executescript((FIXTURES / f"{name}.sql").read_text(encoding="utf-8"))
    con.close()
    return OldRegister(db, manifest["revision"], manifest["ops"])


def raw_0001(home: Path, sales: int = 24) -> OldRegister:
    """Revision 0001 by Alembic, then the rows the skeleton's store wrote, by hand."""
    home.mkdir(parents=True)
    db = home / "register.db"
    build_at(db, "0001")
    members = [m for m in DEMO_MEMBERS]
    start = datetime(2026, 11, 21, 9, 0, tzinfo=TOKYO)
    ops = []
    con = sqlite3.connect(db)
    with con:
        con.execute("INSERT INTO sync_state VALUES (1, 'R01', 'S001', ?, 11, NULL, NULL)",
                    (sales + 1,))
        for m in members:
            con.execute("INSERT INTO members VALUES (?, ?, ?, 'active', ?)",
                        (m.member_id, m.member_no, m.display_name, m.initial_points))
            con.execute("INSERT INTO cards VALUES (?, ?, 'active')", (m.card_uid, m.member_id))
        toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
        con.execute("INSERT INTO programs VALUES (1, ?)", (toml,))
        for seq in range(1, sales + 1):
            member = members[seq % len(members)]
            amount = 250 + 990 * seq
            body = {"op_id": str(uuid.UUID(int=0xA5 << 64 | seq, version=4)), "kind": "sale",
                    "device_id": "R01", "device_seq": seq, "store_id": "S001",
                    "staff_id": None,
                    "local_time": (start + timedelta(minutes=seq)).isoformat(),
                    "program_version": 1, "member_id": member.member_id,
                    "payload": {"amount_yen": amount, "points_earned": amount // 100,
                                "points_redeemed": 0, "receipt_no": f"R01-{seq:06d}"}}
            state = "sent" if seq in (1, 2) else "queued"
            # SQLAlchemy's JSON type wrote json.dumps with its default separators.
            con.execute("INSERT INTO ops VALUES (?, ?, 'sale', ?, ?, ?, ?, ?, NULL, NULL, ?)",
                        (body["op_id"], seq, member.member_id, json.dumps(body),
                         amount // 100, state, 1 if state == "sent" else 0,
                         (start + timedelta(minutes=seq)).strftime("%Y-%m-%d %H:%M:%S.%f")))
            con.execute("INSERT INTO receipts VALUES (?, ?, ?, 'printed', NULL)",
                        (body["op_id"], f"R01-{seq:06d}",
                         json.dumps({"receipt_no": f"R01-{seq:06d}", "text": "お買上げ"})))
            ops.append({"op_id": body["op_id"], "device_seq": seq, "state": state,
                        "old_hash": skeleton_hash(body), "body": body, "at_hq": seq == 1})
    con.close()
    return OldRegister(db, "0001", ops)


def make_old(source: str, home: Path) -> OldRegister:
    return raw_0001(home) if source == "raw-0001" else from_fixture(source, home)


@pytest.fixture
def hq(tmp_path):
    db_path = tmp_path / "hq" / "hq.db"
    db_path.parent.mkdir()
    demo = run_demo(f"sqlite:///{db_path}", device_id="R01", store_id="S001")
    with HqProcess(f"sqlite:///{db_path}", log_dir=db_path.parent) as proc:
        yield proc, demo.token, db_path


def hq_balances(url: str, token: str) -> dict[str, int]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=10) as client:
        return {m.member_id: client.get(f"/v1/members/{m.member_no}").json()["member"]["balance"]
                for m in DEMO_MEMBERS}


@pytest.mark.integration
@pytest.mark.parametrize("source", ["skeleton", "durable", "raw-0001"])
def test_every_queued_op_of_an_earlier_build_is_delivered_once(source, hq, tmp_path):
    proc, token, hq_db = hq
    old = make_old(source, tmp_path / "home")
    assert old.revision in all_revisions()  # a schema this build knows how to upgrade from
    before = hq_balances(proc.url, token)

    # What HQ had already received from the old build (applied, or sent and answer lost).
    known = [op["body"] for op in old.ops if op["at_hq"]]
    if known:
        pushed = httpx.post(f"{proc.url}/v1/sync/push", json={"ops": known}, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
        assert pushed.status_code == 200, pushed.text
        assert {r["status"] for r in pushed.json()["results"]} == {"applied"}

    waiting = [op for op in old.ops if op["state"] in ("queued", "sent")]
    assert waiting, "the old register must leave ops to deliver"
    with sqlite3.connect(old.db) as con:
        (old_receipt,) = con.execute("SELECT model FROM receipts WHERE op_id = ?",
                                     (waiting[0]["op_id"],)).fetchone()
    store = open_checked(old.db)
    worker = StoreWorker()
    try:
        with sqlite3.connect(old.db) as con:
            assert current_revision(con) == head_revision()
        assert store.refusal() is None
        # The queue survived the upgrade in order, each op hashing as the old build did.
        pending = store.pending_ops(1000)
        assert [op.op_id for op in pending] == [op["op_id"] for op in waiting]
        assert [op_hash(op) for op in pending] == [op["old_hash"] for op in waiting]

        client = SyncClient(store, worker, proc.url, token)
        try:
            summary = client.push_all()
        finally:
            client._http.close()
        reached = sum(1 for op in waiting if op["at_hq"])
        assert (summary.sent, summary.applied, summary.duplicate, summary.rejected) == \
            (len(waiting), len(waiting) - reached, reached, 0)
        assert store.pending_ops(10) == []
        counts = store.outbox_counts()
        assert counts.get("queued", 0) == counts.get("sent", 0) == 0
        assert sum(counts.values()) == len(old.ops)
        # A receipt written by the old build can still be reprinted.
        assert store.receipt(waiting[0]["op_id"]) == json.loads(old_receipt)
    finally:
        worker.shutdown()
        store.close()

    con = sqlite3.connect(hq_db)
    rows = con.execute("SELECT op_id, payload_hash, status FROM ops WHERE device_id = 'R01'"
                       ).fetchall()
    con.close()
    delivered = [op for op in old.ops if op["state"] != "applied" or op["at_hq"]]
    assert sorted(r[0] for r in rows) == sorted(op["op_id"] for op in delivered)
    assert {r[0]: r[1] for r in rows} == {op["op_id"]: op["old_hash"] for op in delivered}
    assert {r[2] for r in rows} == {"applied"}
    # Each sale counted once in the ledger: balances moved by exactly the ops' net points.
    net: dict[str, int] = {}
    for op in delivered:
        payload = op["body"]["payload"]
        delta = payload["points_earned"] - payload["points_redeemed"]
        net[op["body"]["member_id"]] = net.get(op["body"]["member_id"], 0) + delta
    after = hq_balances(proc.url, token)
    assert after == {m: before[m] + net.get(m, 0) for m in before}
