"""HQ's figures behind a member's rank in the register store: written with the member's
ledger from a pull or a member look-up (never while one of the member's ops is
unanswered), with the last device_seq they include; and the schema upgrade that added
them, from a revision-0003 database with ops queued."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loyalty.quote import quote_sale
from resources import RESOURCES
from sync.models import Base
from sync.protocol import Change, MemberLookup, Op, OpResult, PullResponse, RankProgress
from sync.store import RankFigures, RegisterStore
from sync.store_db import current_revision, head_revision
from tests.support.seed import NOW, build_at, yamada

AS_OF = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def figures(spend: int = 42_000, visits: int = 7, as_of: datetime = AS_OF) -> RankProgress:
    return RankProgress(as_of=as_of, spend_yen=spend, visits=visits,
                        last_visit_on=date(2026, 11, 20), member_since=date(2023, 4, 1))


def member_page(cursor: int, progress: RankProgress | None, balance: int = 500) -> PullResponse:
    member = yamada(balance).model_copy(update={"rank_progress": progress})
    return PullResponse(cursor=cursor, has_more=False,
                        changes=[Change(server_seq=cursor, kind="member", member=member)])


def sell(store: RegisterStore, amount: int = 1000) -> str:
    q = quote_sale(store.program(), amount)
    return store.record_sale("M1", q, staff_id=None, local_time=NOW,
                             build_receipt=lambda f: {}).facts.op_id


def answer(store: RegisterStore, op_id: str, balance: int) -> None:
    store.record_push_results([OpResult(op_id=op_id, status="applied", balance=balance)])


def test_a_pull_caches_hqs_figures_with_the_last_device_seq_they_include(store):
    assert store.member("M1").rank_figures is None  # the seed page had none
    answer(store, sell(store), 510)  # device_seq 1, answered: HQ counts it from now on
    store.apply_pull(member_page(10, figures()))
    assert store.member("M1").rank_figures == RankFigures(
        as_of=AS_OF, spend_yen=42_000, visits=7, last_visit_on=date(2026, 11, 20),
        member_since=date(2023, 4, 1), seq=1)


def test_figures_wait_while_an_op_of_the_member_is_unanswered(store):
    store.apply_pull(member_page(10, figures()))
    before = store.member("M1").rank_figures
    assert before is not None and before.seq == 0
    op_id = sell(store)  # queued: HQ's figures may or may not hold it yet
    store.apply_pull(member_page(11, figures(spend=43_000, visits=8)))
    assert store.member("M1").rank_figures == before
    answer(store, op_id, 510)
    # The answer moves the balance, not the figures: the op stays this register's to add
    # (its device_seq is after theirs) until a pull brings figures that hold it.
    assert store.member("M1").rank_figures == before
    store.apply_pull(member_page(12, figures(spend=43_000, visits=8), balance=510))
    after = store.member("M1").rank_figures
    assert after is not None and (after.spend_yen, after.visits, after.seq) == (43_000, 8, 1)


def test_an_hq_that_sends_no_figures_clears_them(store):
    store.apply_pull(member_page(10, figures()))
    store.apply_pull(member_page(11, None))
    assert store.member("M1").rank_figures is None


def test_a_member_look_up_writes_them_as_a_pull_does(store):
    sell(store)
    sell(store)
    found = MemberLookup(member=yamada(500).model_copy(update={"rank_progress": figures()}),
                         cards=[], held=0, available=500)
    assert not store.apply_member_lookup(found)  # both sales unanswered: left alone
    assert store.member("M1").rank_figures is None
    for op in store.pending_ops(10):
        answer(store, op.op_id, 500)
    assert store.apply_member_lookup(found)
    cached = store.member("M1").rank_figures
    assert cached is not None and (cached.spend_yen, cached.seq) == (42_000, 2)


# -- upgrading a revision-0003 database ----------------------------------------------------


def fill_revision_0003(path) -> list[Op]:
    """Rows as the 0003-era store wrote them: members without rank figures, ops queued."""
    toml = (RESOURCES / "programs" / "drugstore.toml").read_text(encoding="utf-8")
    ops = [Op.model_validate({
        "op_id": str(uuid.UUID(int=seq)), "kind": "sale", "device_id": "R01",
        "device_seq": seq, "store_id": "S001", "staff_id": "2001",
        "local_time": "2026-11-21T15:10:00+09:00", "program_version": 1, "member_id": "M1",
        "payload": {"amount_yen": 1500 * seq, "points_earned": 15 * seq,
                    "points_redeemed": 0, "receipt_no": f"R01-{seq:06d}"}})
        for seq in (1, 2, 3)]
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sync_state VALUES (1, 'R01', 'S001', 4, 12, NULL, NULL)")
        con.execute("INSERT INTO members (member_id, member_no, display_name, status, "
                    "hq_balance, kana, rank, birth_month, debt) VALUES ('M1', "
                    "'2900000000018', '山田 花子', 'active', 300, 'ヤマダ ハナコ', 'silver', 5, 0)")
        con.execute("INSERT INTO member_lots VALUES ('M1', 0, 'normal', 300, NULL)")
        con.execute("INSERT INTO programs VALUES (1, ?)", (toml,))
        for op in ops:
            con.execute(
                "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, "
                "state, attempts, created_at) VALUES (?, ?, 'sale', 'M1', ?, ?, ?, 0, "
                "'2026-11-21 06:10:00.000000')",
                (op.op_id, op.device_seq, json.dumps(op.model_dump(mode="json"),
                                                     separators=(",", ":")),
                 op.payload.points_earned, "applied" if op.device_seq == 1 else "queued"))
    con.close()
    return ops


def test_upgrade_from_0003_keeps_queued_ops_and_adds_empty_rank_figures(tmp_path):
    path = tmp_path / "register.db"
    build_at(path, "0003")
    ops = fill_revision_0003(path)
    store = RegisterStore(path)
    try:
        with sqlite3.connect(path) as check:
            assert current_revision(check) == head_revision()
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert store.pending_ops(10) == ops[1:]
        member = store.member("M1")
        assert member is not None and member.rank_figures is None
        assert (member.rank, member.balance) == ("silver", 300 + 30 + 45)
        # The first pull from an HQ that sends figures fills them in once the queue is
        # answered; the device_seq they include is the register's last.
        for op in ops[1:]:
            answer(store, op.op_id, 375)
        store.apply_pull(member_page(13, figures(), balance=375))
        cached = store.member("M1").rank_figures
        assert cached is not None and cached.seq == 3
        with store._writer.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.close()
