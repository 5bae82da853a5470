"""Upgrading a register database from every earlier schema revision, with ops queued.

A database is built at an old revision by Alembic itself and filled with raw inserts in
the shape the code of that revision wrote (JSON with spaces, op times as local wall
time); opening it with today's store must upgrade it and keep every op as it was.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loyalty.quote import quote_sale
from resources import RESOURCES
from sync.models import Base, OutboxOp
from sync.protocol import Op, OpResult, op_hash
from sync.recovery import open_checked
from sync.store import RegisterStore
from sync.store_db import (
    SchemaError,
    all_revisions,
    current_revision,
    head_revision,
)
from tests.support.seed import NOW, build_at
from tests.sync.test_rank_figures_cache import fill_revision_0003
from tests.sync.test_tokens_cache import fill_revision_0002

OLD_REVISIONS = all_revisions()[:-1]
STATES = ["applied", "rejected", "queued", "sent", "queued", "queued"]


def make_op(seq: int, earned: int) -> Op:
    return Op.model_validate({
        "op_id": str(uuid.UUID(int=seq)), "kind": "sale", "device_id": "R01",
        "device_seq": seq, "store_id": "S001", "staff_id": None,
        "local_time": NOW.isoformat(), "program_version": 1, "member_id": "M1",
        "payload": {"amount_yen": earned * 100, "points_earned": earned,
                    "points_redeemed": 0, "receipt_no": f"R01-{seq:06d}"}})


def fill_revision_0001(path) -> list[Op]:
    """Rows as the 0001-era store wrote them."""
    ops = [make_op(seq, 10 * seq) for seq in range(1, len(STATES) + 1)]
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sync_state VALUES (1, 'R01', 'S001', ?, 3, NULL, NULL)",
                    (len(ops) + 1,))
        con.execute("INSERT INTO members VALUES ('M1', '2900000000017', '山田 花子', 'active', 30)")
        con.execute("INSERT INTO cards VALUES ('04A1B2C3D4E5F6', 'M1', 'active')")
        toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
        con.execute("INSERT INTO programs VALUES (1, ?)", (toml,))
        for op, state in zip(ops, STATES, strict=True):
            result = (json.dumps(OpResult(op_id=op.op_id, status=state, balance=10).model_dump(
                mode="json")) if state in ("applied", "rejected") else None)
            # 0001 stored an aware time without its offset: Tokyo wall time.
            con.execute("INSERT INTO ops VALUES (?, ?, 'sale', 'M1', ?, ?, ?, 1, NULL, ?, ?)",
                        (op.op_id, op.device_seq, json.dumps(op.model_dump(mode="json")),
                         op.payload.points_earned, state, result, "2026-11-22 10:30:00.000000"))
            con.execute("INSERT INTO receipts VALUES (?, ?, ?, 'printed', NULL)",
                        (op.op_id, op.payload.receipt_no,
                         json.dumps({"receipt_no": op.payload.receipt_no, "text": "お買上げ"})))
    con.close()
    return ops


FILLERS = {"0001": fill_revision_0001}
# Revisions 0002's and 0003's upgrades (with their queued ops) are tested where their
# fillers live, in tests/sync/test_tokens_cache.py and test_rank_figures_cache.py; those
# fillers write fewer ops than the state table here.
COVERED_ELSEWHERE = {"0002": fill_revision_0002, "0003": fill_revision_0003}


def test_every_old_revision_has_a_filler():
    # A new revision must come with a test database in the shape its code wrote.
    assert OLD_REVISIONS and set(OLD_REVISIONS) <= set(FILLERS) | set(COVERED_ELSEWHERE)


@pytest.mark.parametrize("revision", sorted(FILLERS))
def test_upgrade_keeps_queued_ops(tmp_path, revision):
    path = tmp_path / "register.db"
    build_at(path, revision)
    ops = FILLERS[revision](path)
    pending = [op for op, state in zip(ops, STATES, strict=True) if state in ("queued", "sent")]

    store = RegisterStore(path)
    try:
        with sqlite3.connect(path) as con:
            assert current_revision(con) == head_revision()
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        # The same ops, byte for byte as HQ will hash them, in device_seq order.
        assert store.pending_ops(100) == pending
        assert [op_hash(op) for op in store.pending_ops(100)] == [op_hash(op) for op in pending]
        assert store.outbox_counts() == {"applied": 1, "rejected": 1, "queued": 3, "sent": 1}
        assert store.receipt(pending[0].op_id) == {"receipt_no": "R01-000003", "text": "お買上げ"}
        member = store.member("M1")
        assert member.pending_delta == sum(op.payload.points_earned for op in pending)
        assert (member.kana, member.lots) == ("", ())
        with store.reading() as s:
            row = s.get(OutboxOp, pending[0].op_id)
            assert row.created_at == NOW  # rewritten to UTC from the op's own local time
        # The register carries on where it was.
        sale = store.record_sale("M1", quote_sale(store.program(), 1000), staff_id=None,
                                 local_time=NOW, build_receipt=lambda f: {})
        assert sale.facts.device_seq == len(ops) + 1
        with store._writer.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.close()


@pytest.mark.parametrize("revision", sorted(FILLERS))
def test_a_failed_upgrade_leaves_the_old_schema_and_every_op(tmp_path, revision):
    path = tmp_path / "register.db"
    build_at(path, revision)
    FILLERS[revision](path)
    with sqlite3.connect(path) as con:
        # A state no code ever wrote: the new CHECK refuses to copy it.
        con.execute("UPDATE ops SET state = 'lost' WHERE device_seq = 6")
    before = sqlite3.connect(path).execute("SELECT * FROM ops ORDER BY device_seq").fetchall()
    with pytest.raises(SchemaError, match="更新できません"):
        RegisterStore(path)
    con = sqlite3.connect(path)
    assert current_revision(con) == revision
    assert con.execute("SELECT * FROM ops ORDER BY device_seq").fetchall() == before
    con.close()


def test_a_database_from_newer_software_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "register.db"
    RegisterStore(path).close()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = '9999'")
    original = path.read_bytes()
    with pytest.raises(SchemaError, match="新しいバージョン"):
        open_checked(path)
    assert path.read_bytes() == original
    assert not list(tmp_path.glob("*.corrupt-*"))

