"""Building blocks for the sync fault scenarios: an HQ on PostgreSQL, registers that sell
and sync through a (possibly faulty) transport, and the reconciliation that checks what
must hold after every run."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from desktop.receipts import build_sale_receipt, receipt_to_dict
from hq.db import make_engine
from hq.demo import run_demo
from hq.directory import load_program, provision_register
from loyalty.basket import MemberContext
from loyalty.ledger import offline_allowance
from loyalty.quote import quote_sale
from sync import ops
from sync.client import SyncClient, SyncError
from sync.store import RegisterStore
from sync.worker import StoreWorker
from tests.support.seed import NOW, TOKYO

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ["M0000001", "M0000002", "M0000003", "M0000004", "M0000005"]
# Each chaos seed's reconciliation, printed at the end of the run (conftest).
CHAOS_SUMMARIES: list[str] = []
_names = itertools.count(1)


def new_hq_db(postgres_cluster, label: str) -> str:
    url = postgres_cluster.url_for(f"{label}_{next(_names)}")
    run_demo(url, device_id="R01", store_id="S001")
    return url


def hq_count(db_url: str, sql: str, **params):
    """One value read from HQ's database."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return c.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def spawn_register(db: Path, url: str, token: str, *args: str) -> subprocess.Popen[str]:
    """A register as its own process (`register_proc`), to be killed or left to finish."""
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.register_proc",
                             str(db), url, token, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_marker(proc: subprocess.Popen[str], marker: str) -> str:
    assert proc.stdout is not None
    for _ in range(50):  # bounded: the process prints a handful of lines at most
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(marker):
            return line.split()[1]
    raise AssertionError(f"no {marker}: {proc.stderr.read() if proc.stderr else ''}")


def publish_program(db_url: str, toml_text: str) -> int:
    """Publish a program version at HQ (as its operator would); registers pull it."""
    engine = make_engine(db_url)
    try:
        return load_program(engine, toml_text).version
    finally:
        engine.dispose()


def register_token(db_url: str, device_id: str, store_id: str = "S001") -> str:
    engine = make_engine(db_url)
    try:
        return provision_register(engine, store_id, device_id)
    finally:
        engine.dispose()


@dataclass
class Register:
    """A register in this process: its store, store thread and sync client."""

    path: Path
    device_id: str
    hq_url: str
    token: str
    transport: httpx.BaseTransport | None = None
    store_id: str = "S001"
    made: list[str] = field(default_factory=list)

    client_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = RegisterStore(self.path)
        self.store.initialise(self.device_id, self.store_id)
        self.worker = StoreWorker()
        self.client = SyncClient(self.store, self.worker, self.hq_url, self.token,
                                 transport=self.transport, timeout=5.0,
                                 rng=random.Random(7), **self.client_options)

    def sell(self, member_id: str, amount: int, redeem: int = 0, *, when=NOW,
             offline: bool = False) -> str:
        """A sale as the counter records it; `offline` applies the counter's offline
        redemption bound (last HQ balance less queued redemptions, the program's cap)."""
        program = self.store.program()
        assert program is not None, "pull first"
        member = self.store.member(member_id)
        assert member is not None
        allowance = None
        if offline:
            allowance = offline_allowance(member.hq_balance,
                                          self.store.pending_redemptions(member_id),
                                          program.redeem.offline_cap,
                                          self.store.offline_redemptions(member_id))
        q = quote_sale(program, amount, redeem_points=redeem,
                       member=MemberContext(balance=member.balance,
                                            offline_allowance=allowance))

        def receipt(facts):
            return receipt_to_dict(build_sale_receipt(facts, store_name="テスト店",
                                                      footer="", tz=TOKYO))

        sale = self.worker.call(self.store.record_sale, member_id, q, staff_id=None,
                                local_time=when, build_receipt=receipt)
        self.made.append(sale.facts.op_id)
        return sale.facts.op_id

    def give_back(self, sale_receipt_no: str, yen: int, *, when=NOW) -> str:
        """A return at this register of a sale it recorded (the return screen's path)."""
        done = self.worker.call(ops.record_return, self.store, sale_receipt_no, yen,
                                staff_id="C01", local_time=when)
        self.made.append(done.op.op_id)
        return done.op.op_id

    def receipt_no(self, op_id: str) -> str:
        receipt = self.store.receipt(op_id)
        assert receipt is not None
        return str(receipt["receipt_no"])

    def sync_until_drained(self, *, max_rounds: int = 200) -> int:
        """Sync until nothing is waiting, riding out injected faults (bounded)."""
        failures = 0
        for _ in range(max_rounds):
            try:
                self.client.sync_once()
            except SyncError:
                failures += 1
                continue
            if not self.store.pending_ops(1):
                return failures
        raise AssertionError(f"queue not drained after {max_rounds} rounds: "
                             f"{self.store.outbox_counts()}")

    def close(self) -> None:
        self.client.stop()
        self.worker.shutdown()
        self.store.close()


@dataclass(frozen=True)
class LedgerCheck:
    """HQ's ledger invariants (DESIGN §5), member by member."""

    entries_off: list[str]  # balance ≠ Σ entries
    lots_off: list[str]  # balance ≠ Σ lot remaining − debt
    lots_below_zero: int
    debts: dict[str, int]  # members owing points, and how many

    @property
    def holds(self) -> bool:
        return not self.entries_off and not self.lots_off and self.lots_below_zero == 0


def ledger_check(db_url: str) -> LedgerCheck:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            entries_off = [r.member_id for r in c.execute(text(
                "SELECT m.member_id FROM members m LEFT JOIN ledger_entries e "
                "ON e.member_id = m.member_id GROUP BY m.member_id, m.balance "
                "HAVING m.balance <> coalesce(sum(e.points), 0)"))]
            lots_off = [r.member_id for r in c.execute(text(
                "SELECT m.member_id FROM members m LEFT JOIN lots l ON l.member_id = m.member_id "
                "GROUP BY m.member_id, m.balance, m.debt "
                "HAVING m.balance <> coalesce(sum(l.remaining), 0) - m.debt"))]
            below = c.execute(text("SELECT count(*) FROM lots WHERE remaining < 0")).scalar()
            debts = {r.member_id: int(r.debt) for r in c.execute(text(
                "SELECT member_id, debt FROM members WHERE debt <> 0"))}
    finally:
        engine.dispose()
    return LedgerCheck(entries_off, lots_off, int(below or 0), debts)


@dataclass(frozen=True)
class Reconciliation:
    made: int
    applied: int
    rejected: dict[str, int]
    lost: int
    double_applied: int
    members_off: list[str]
    order_violations: int

    def summary(self) -> str:
        return (f"ops made {self.made}, applied {self.applied}, "
                f"rejected {dict(self.rejected)}, lost {self.lost}, "
                f"double-applied {self.double_applied}, members off {self.members_off}, "
                f"order violations {self.order_violations}")


def reconcile(db_url: str, made: list[str]) -> Reconciliation:
    """What HQ holds against what the registers made, and the ledger invariants."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            ops = {row.op_id: row.status for row in c.execute(
                text("SELECT op_id, status FROM ops"))}
            doubled = c.execute(text(
                "SELECT count(*) FROM (SELECT op_id, kind FROM ledger_entries "
                "WHERE op_id IS NOT NULL GROUP BY op_id, kind HAVING count(*) > 1) d")).scalar()
            off = [r.member_id for r in c.execute(text(
                "SELECT m.member_id FROM members m LEFT JOIN ledger_entries e "
                "ON e.member_id = m.member_id GROUP BY m.member_id, m.balance "
                "HAVING m.balance <> coalesce(sum(e.points), 0)"))]
            # per register, applied ops must have been applied in device_seq order
            rows = c.execute(text(
                "SELECT device_id, device_seq, (result->>'server_seq')::bigint AS seq "
                "FROM ops WHERE status = 'applied' ORDER BY device_id, device_seq")).all()
            rejected: dict[str, int] = {}
            for row in c.execute(text(
                    "SELECT result->>'reason' AS reason, count(*) AS n FROM ops "
                    "WHERE status = 'rejected' GROUP BY 1")):
                rejected[row.reason] = row.n
    finally:
        engine.dispose()
    violations = 0
    for _, group in itertools.groupby(rows, key=lambda r: r.device_id):
        seqs = [r.seq for r in group]
        violations += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    lost = sum(1 for op_id in made if op_id not in ops)
    return Reconciliation(made=len(made), applied=sum(1 for s in ops.values() if s == "applied"),
                          rejected=rejected, lost=lost, double_applied=int(doubled or 0),
                          members_off=off, order_violations=violations)
