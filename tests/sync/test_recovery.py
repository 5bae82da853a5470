"""A corrupt register database: refused at start-up, kept aside, and recovered.

The damaged files are real: a truncated database, one whose first pages are random
bytes, one with garbage pages in the middle, an empty one, and a crash image whose
newest sales are only in the WAL.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
import uuid

import pytest

from loyalty.program import parse_program
from loyalty.quote import quote_sale
from resources import RESOURCES
from sync.protocol import OpResult
from sync.recovery import LOCKED_MESSAGE, check_database, open_checked, recover
from sync.salvage import salvage, salvage_queued_ops
from sync.store import RegisterStore, StoreCorrupt, StoreError
from tests.support.seed import CARD_UID, NOW, seed_page, seeded_store

PROGRAM = parse_program((RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8"))
SALES = 200
ANSWERED = 50  # the first sales were applied at HQ before the damage
PAGE = 4096


def sell(store, amount=1000):
    q = quote_sale(PROGRAM, amount)
    return store.record_sale("M1", q, staff_id="S01", local_time=NOW,
                             build_receipt=lambda f: {"receipt_no": f.receipt_no, "店": "渋谷"})


def fill(store):
    """SALES sales, the first ANSWERED applied; returns every op and the unanswered ones,
    by id."""
    ids = [sell(store, 1000 + i).facts.op_id for i in range(SALES)]
    everything = {op.op_id: op for op in store.pending_ops(1000)}
    store.record_push_results([OpResult(op_id=i, status="applied", member_id="M1", balance=510)
                               for i in ids[:ANSWERED]])
    store.mark_sent(ids[ANSWERED:ANSWERED + 5])
    return everything, {op.op_id: op for op in store.pending_ops(1000)}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "register.db"
    store = seeded_store(path)
    everything, pending = fill(store)
    store.close()  # a clean close merges the WAL: one file to copy
    assert not path.with_name("register.db-wal").exists()
    return path, everything, pending


@pytest.fixture
def made(template, tmp_path):
    """(path, every op, unanswered ops) of a closed register database about to be damaged."""
    source, everything, pending = template
    path = tmp_path / "register.db"
    shutil.copy(source, path)
    return path, everything, pending


@pytest.fixture
def damaged(made):
    path, _, pending = made
    return path, pending


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 6 // 10])


def garbage_header(path):
    with path.open("r+b") as f:
        f.write(random.Random(1).randbytes(16_384))


def garbage_middle(path):
    size = path.stat().st_size
    rnd = random.Random(2)
    with path.open("r+b") as f:
        for page in rnd.sample(range(4, size // 4096), 4):
            f.seek(page * 4096)
            f.write(rnd.randbytes(4096))


def empty(path):
    path.write_bytes(b"")


def page_of(path, text):
    return path.read_bytes().index(text.encode()) // PAGE


def garbage_ops_page(path, op_id):
    """Random bytes over the page holding this op's row: one leaf of the ops table."""
    page = page_of(path, f'{{"op_id":"{op_id}"')
    with path.open("r+b") as f:
        f.seek(page * PAGE)
        f.write(random.Random(3).randbytes(PAGE))
    return page


@pytest.mark.parametrize("damage", [truncate, garbage_header, garbage_middle, empty])
def test_a_damaged_database_is_kept_aside_and_sales_are_refused(damaged, damage):
    path, _ = damaged
    damage(path)
    damaged_hash = sha(path)
    assert check_database(path) != []

    store = open_checked(path)
    try:
        refusal = store.refusal()
        assert isinstance(refusal, StoreCorrupt)
        assert "破損" in str(refusal) and "販売を停止" in str(refusal)
        kept = path.with_name(refusal.kept_path.rsplit("/", 1)[-1])
        assert kept.name.startswith("register.db.corrupt-") and kept.name in str(refusal)
        assert sha(kept) == damaged_hash  # kept exactly as found, never deleted
        assert check_database(path) == []  # a fresh, sound database took its place
        store.initialise("R01", "S001")
        with pytest.raises(StoreCorrupt, match="販売を停止"):
            store.record_sale("M1", quote_sale(PROGRAM, 1000), staff_id=None,
                              local_time=NOW, build_receipt=lambda f: {})
        # An empty cache must not tell the cashier the card is unknown.
        with pytest.raises(StoreCorrupt, match="販売を停止"):
            store.member_by_card(CARD_UID)
    finally:
        store.close()




@pytest.mark.parametrize("damage", [truncate, garbage_header, garbage_middle])
def test_salvage_reads_what_is_left_and_only_unanswered_ops(damaged, damage):
    path, pending = damaged
    damage(path)
    before = sha(path)
    found = salvage(path)
    assert sha(path) == before  # salvage reads a copy
    assert found.ops or damage is truncate, found.problems
    for op in found.ops:
        # Original op_id, device_seq and body: HQ will recognise any it already has.
        assert pending.get(op.op_id, op) == op
    assert [op.device_seq for op in found.ops] == sorted(op.device_seq for op in found.ops)
    assert found.identity == ("R01", "S001") or not found.ops
    assert found.highest_seq >= max((op.device_seq for op in found.ops), default=0)


def test_one_bad_page_costs_only_the_ops_on_it(made):
    path, everything, pending = made
    victim = list(pending)[len(pending) // 2]
    page = garbage_ops_page(path, victim)
    on_page = {i for i in everything
               if f'{{"op_id":"{i}"'.encode() in path.read_bytes()[page * PAGE:(page + 1) * PAGE]}
    found = salvage(path)
    assert any("rows unreadable" in p for p in found.problems)
    salvaged = {op.op_id for op in found.ops}
    assert victim not in salvaged
    # Every other unanswered op is back; no answered op is sent again.
    assert salvaged == set(pending) - {victim} - on_page - lost_with(path, page, everything)
    assert found.highest_seq == SALES


def lost_with(path, page, everything):
    """Ops whose rows shared the destroyed page (their bodies are gone with it)."""
    return {i for i in everything if f'"{i}"'.encode() not in path.read_bytes()}


def test_salvage_of_a_readable_file_skips_answered_ops_and_keeps_receipts(damaged):
    path, pending = damaged
    found = salvage(path)
    assert {op.op_id for op in found.ops} == set(pending)
    assert found.highest_seq == SALES
    some = next(iter(pending))
    assert found.receipts[some].model["店"] == "渋谷"
    assert salvage_queued_ops(path) == list(found.ops)


@pytest.mark.parametrize("damage", ["ops page", "random pages"])
def test_recovery_requeues_then_a_full_pull_ends_the_refusal(made, damage):
    path, everything, pending = made
    if damage == "ops page":
        garbage_ops_page(path, list(pending)[10])
        expected = pending  # the tree is readable: answered ops stay answered
    else:
        garbage_middle(path)
        expected = everything  # states may be lost: resending is safe, HQ dedups
    store = open_checked(path)
    try:
        store.initialise("R01", "S001")
        report = recover(store)
        assert report.requeued > 0
        requeued = store.pending_ops(1000)
        assert {op.op_id for op in requeued} <= set(expected)
        assert all(everything[op.op_id] == op for op in requeued)
        assert report.next_device_seq == SALES + 1 == store.next_device_seq()
        assert "復旧中" in str(store.refusal())

        store.apply_pull(seed_page().model_copy(update={"has_more": True}))
        assert store.refusal() is not None  # HQ has more: the cache is not complete yet
        store.apply_pull(seed_page(cursor=4))
        assert store.refusal() is None

        sale = sell(store)
        assert sale.facts.device_seq == SALES + 1  # after the highest one ever handed out
        store.record_push_results([OpResult(op_id=op.op_id, status="duplicate",
                                            member_id="M1", balance=900) for op in requeued])
        assert store.outbox_counts()["duplicate"] == len(requeued)
        check = store.verify_audit_chain()
        assert check.ok and check.checked == 2  # the corruption and the recovery
    finally:
        store.close()


def test_recovery_survives_a_restart_half_way_and_requeues_nothing_twice(damaged):
    path, pending = damaged
    truncate(path)
    first = open_checked(path)
    first.initialise("R01", "S001")
    first.close()  # the register was switched off before recovering
    store = open_checked(path)
    try:
        assert "販売を停止" in str(store.refusal())
        report = recover(store)
        again = recover(store)
        assert (again.requeued, again.already_present) == (0, report.requeued)
        assert len(store.pending_ops(1000)) == report.requeued
    finally:
        store.close()


def crash_image(live, folder):
    """The files as they are while the register runs (the WAL not merged): what a
    power cut or kill leaves behind."""
    folder.mkdir()
    for suffix in ("", "-wal"):
        shutil.copy(f"{live}{suffix}", folder / f"register.db{suffix}")
    return folder / "register.db"


def test_ops_committed_only_in_the_wal_are_recovered(tmp_path):
    live = tmp_path / "live.db"
    store = seeded_store(live)
    fill(store)
    latest = sell(store).facts.op_id
    path = crash_image(live, tmp_path / "crash")
    store.close()
    assert latest.encode() not in path.read_bytes()  # only in the WAL
    garbage_header(path)
    recovered = open_checked(path)
    try:
        kept = recovered.refusal().kept_path
        assert (path.parent / (kept.rsplit("/", 1)[-1] + "-wal")).exists()  # moved with it
        recover(recovered, now=NOW)
        assert latest in {op.op_id for op in recovered.pending_ops(1000)}
    finally:
        recovered.close()


def test_a_transaction_that_never_committed_is_not_salvaged(tmp_path):
    live = tmp_path / "live.db"
    store = seeded_store(live)
    fill(store)
    committed = sell(store).facts.op_id
    # A writer in the middle of a big transaction with a tiny page cache: SQLite spills
    # its pages into the WAL before the commit (as a register killed mid-sale might).
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA cache_size=2")
    writer.execute("BEGIN IMMEDIATE")
    ghost = str(uuid.uuid4())
    body = next(iter(store.pending_ops(1))).model_copy(update={"op_id": ghost,
                                                              "device_seq": 10_000})
    writer.execute("INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, "
                   "state, attempts, created_at) VALUES (?, 10000, 'sale', 'M1', ?, 1, 'queued', "
                   "0, '2026-11-22 01:30:00.000000')", (ghost, body.model_dump_json()))
    for i in range(300):
        writer.execute("INSERT INTO programs VALUES (?, ?)", (100 + i, "x" * 3000))
    path = crash_image(live, tmp_path / "crash")
    writer.execute("ROLLBACK")
    writer.close()
    store.close()
    assert ghost.encode() in (path.parent / "register.db-wal").read_bytes()  # it did spill
    garbage_header(path)
    found = {op.op_id for op in salvage(path).ops}
    assert committed in found and ghost not in found


def test_ops_of_another_register_are_not_requeued(damaged):
    path, pending = damaged
    garbage_header(path)
    store = open_checked(path)
    try:
        store.initialise("R02", "S001")
        report = recover(store)
        assert report.requeued == 0 and report.foreign > 0
        assert store.pending_ops(10) == []
    finally:
        store.close()


def test_recover_refuses_a_sound_store(tmp_path):
    store = seeded_store(tmp_path / "register.db")
    try:
        with pytest.raises(StoreError, match="復旧が必要な状態ではありません"):
            recover(store)
    finally:
        store.close()


def test_a_database_in_use_elsewhere_is_not_moved_aside(damaged):
    path, _ = damaged
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=LOCKED_MESSAGE):
            check_database(path, busy_timeout_s=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(path.parent.glob("*.corrupt-*"))


def test_a_sound_database_opens_as_usual(damaged):
    path, pending = damaged
    store = RegisterStore.open_checked(path, quick=True)
    try:
        assert store.refusal() is None
        assert {op.op_id for op in store.pending_ops(1000)} == set(pending)
    finally:
        store.close()
    assert not list(path.parent.glob("*.corrupt-*"))


def test_integrity_problems_of_an_open_store(tmp_path):
    store = RegisterStore(tmp_path / "r.db")
    assert store.integrity_problems() == [] and store.integrity_problems(quick=True) == []
    store.close()


def test_the_full_check_runs_after_an_unclean_shutdown(tmp_path, made, monkeypatch):
    import sync.recovery as recovery

    path, _, _ = made
    assert recovery.closed_cleanly(path)
    live = tmp_path / "live.db"
    running = seeded_store(live)
    sell(running)
    crashed = crash_image(live, tmp_path / "crash")
    running.close()
    assert not recovery.closed_cleanly(crashed)
    seen = []
    real = recovery.check_database
    monkeypatch.setattr(recovery, "check_database",
                        lambda p, quick=False: seen.append(quick) or real(p, quick=quick))
    for target in (path, crashed):
        store = open_checked(target)
        assert store.refusal() is None
        store.close()
    assert seen == [True, False]
