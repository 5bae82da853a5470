"""The register's member-token cache: keys from the pull feed, seen tokens for replays,
and the schema upgrade that added them, from a revision-0002 database with ops queued."""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from resources import RESOURCES
from sync.models import Base
from sync.protocol import Change, Op, PullResponse, TokenKey
from sync.store import RegisterStore
from sync.store_db import current_revision, head_revision
from tests.support.seed import build_at

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)


def key_text(seed: int) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def page(cursor, *keys):
    return PullResponse(cursor=cursor, has_more=False, changes=[
        Change(server_seq=cursor * 10 + n, kind="token_key", token_key=k)
        for n, k in enumerate(keys)])


def test_pulled_keys_are_cached_and_updated_when_retired(store):
    k1 = TokenKey(key_id="K1", public_key=key_text(1), created_at=T0)
    assert store.apply_pull(page(4, k1)) == 1
    [view] = store.token_keys()
    assert (view.key_id, view.algorithm, len(view.public_key), view.retired_at) == (
        "K1", "Ed25519", 32, None)
    retired = k1.model_copy(update={"retired_at": T0 + timedelta(days=1)})
    k2 = TokenKey(key_id="K2", public_key=key_text(2), created_at=T0 + timedelta(days=1))
    store.apply_pull(page(5, retired, k2))
    views = {v.key_id: v for v in store.token_keys()}
    assert views["K1"].retired_at == T0 + timedelta(days=1)
    assert views["K2"].retired_at is None
    assert store.pull_cursor() == 5


def test_an_unusable_key_is_skipped_and_the_page_still_applies(store):
    bad = TokenKey(key_id="KBAD", public_key="bm90LWEta2V5", created_at=T0)  # 9 bytes
    good = TokenKey(key_id="KGOOD", public_key=key_text(3), created_at=T0)
    store.apply_pull(page(6, bad, good))
    assert [v.key_id for v in store.token_keys()] == ["KGOOD"]
    assert store.pull_cursor() == 6


def test_seen_tokens_refuse_replays_and_are_pruned_after_expiry(store):
    skew = timedelta(seconds=30)
    expires = T0 + timedelta(seconds=60)
    assert store.remember_token("K1", "NONCE0001", expires_at=expires, now=T0, keep_for=skew)
    assert not store.remember_token("K1", "NONCE0001", expires_at=expires, now=T0,
                                    keep_for=skew)
    # Same nonce under another key is another token.
    assert store.remember_token("K2", "NONCE0001", expires_at=expires, now=T0, keep_for=skew)
    assert store.seen_token_count() == 2
    # Still inside expiry + skew: kept, so still refused.
    late = expires + timedelta(seconds=29)
    assert not store.remember_token("K1", "NONCE0001", expires_at=expires, now=late,
                                    keep_for=skew)
    # Past expiry + skew the token could not verify anyway: its row goes.
    much_later = expires + timedelta(seconds=31)
    assert store.remember_token("K1", "NONCE0002", expires_at=much_later + timedelta(minutes=1),
                                now=much_later, keep_for=skew)
    assert store.seen_token_count() == 1


# -- upgrading a revision-0002 database ----------------------------------------------------


def fill_revision_0002(path) -> list[Op]:
    """Rows as the 0002-era store wrote them: compact JSON, UTC times, staff and audit."""
    toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    ops = [Op.model_validate({
        "op_id": str(uuid.UUID(int=seq)), "kind": "sale", "device_id": "R01",
        "device_seq": seq, "store_id": "S001", "staff_id": "2001",
        "local_time": "2026-11-10T10:30:00+09:00", "program_version": 1, "member_id": "M1",
        "payload": {"amount_yen": 1000 * seq, "points_earned": 10 * seq,
                    "points_redeemed": 0, "receipt_no": f"R01-{seq:06d}"}})
        for seq in (1, 2)]
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sync_state VALUES (1, 'R01', 'S001', 3, 7, NULL, NULL)")
        con.execute("INSERT INTO members (member_id, member_no, display_name, status, "
                    "hq_balance, kana, rank, debt) VALUES ('M1', '2900000000018', "
                    "'山田 花子', 'active', 100, '', '', 0)")
        con.execute("INSERT INTO programs VALUES (1, ?)", (toml,))
        for op in ops:
            con.execute(
                "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, "
                "state, attempts, created_at) VALUES (?, ?, 'sale', 'M1', ?, ?, 'queued', 0, "
                "'2026-11-10 01:30:00.000000')",
                (op.op_id, op.device_seq, json.dumps(op.model_dump(mode="json"),
                                                     separators=(",", ":")),
                 op.payload.points_earned))
    con.close()
    return ops


def test_upgrade_from_0002_keeps_queued_ops_and_adds_the_token_cache(tmp_path):
    path = tmp_path / "register.db"
    build_at(path, "0002")
    ops = fill_revision_0002(path)
    store = RegisterStore(path)
    try:
        with sqlite3.connect(path) as check:
            assert current_revision(check) == head_revision()
            assert check.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.pending_ops(10) == ops
        assert store.token_keys() == [] and store.seen_token_count() == 0
        assert store.pending_redemptions("M1") == 0
        with store._writer.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.close()
