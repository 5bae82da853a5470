"""HQ on PostgreSQL: ops ingested per second over HTTP, and push latency under 50 registers.

Ingestion runs through a real `tamaru-hq serve` process and httpx, in 500-op batches from
one register; beside it, the raw limit: psycopg `executemany` of every row HQ writes for
those sales (the op with its answer, ledger entries, the new lot and the spent one, the
redemption and its allocation, the purchase, the members' balances, the feed rows, the
register's last seq and the feed counter; built before the clock starts) into the same
schema, one transaction per 500 ops. Latency: 50 registers push small batches at once, each on its
own thread and connection; beside it, the p99 of `GET /v1/health` (no database work)
under the same 50 clients, so the figure separates HQ's work from HTTP and threads.
The PostgreSQL cluster is the tests' throwaway one (fsync off): both sides share it, and
both databases are analyzed once seeded, as a running database would be.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Json
from sqlalchemy import insert

from bench.common import Figure, percentile
from hq.db import make_engine, migrate
from hq.demo import DEMO_PROGRAM_PATH
from hq.directory import load_program, provision_register
from hq.models import LedgerEntry, LotRow, Member
from sync.protocol import Op, SalePayload, op_hash
from tests.support.hq_process import HqProcess
from tests.support.postgres import PostgresCluster

BENCH = "hq"
BATCH = 500
REGISTERS = 50
MEMBERS = 2000
OPENING = 1_000_000


def _seed(url: str) -> None:
    """The demo program and many members with a large balance in one lot (so no sale runs
    into debt)."""
    migrate(url)
    engine = make_engine(url)
    try:
        load_program(engine, DEMO_PROGRAM_PATH.read_text(encoding="utf-8"))
        now = datetime.now(UTC)
        members = [
            {"member_id": f"B{i:07d}", "member_no": f"27{i:011d}", "display_name": f"会員{i}",
             "status": "active", "balance": OPENING, "created_at": now, "kana": ""}
            for i in range(MEMBERS)
        ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Member.__table__), members)  # type: ignore[arg-type]
            conn.execute(
                insert(LotRow.__table__),  # type: ignore[arg-type]
                [{"lot_id": f"opening:{m['member_id']}", "member_id": m["member_id"], "issuer": "C001",
                  "kind": "normal", "original": OPENING, "remaining": OPENING, "reversed": 0,
                  "returned_yen": 0, "earned_at": now, "expires_at": None} for m in members],
            )  # fmt: skip
            conn.execute(
                insert(LedgerEntry.__table__),  # type: ignore[arg-type]
                [{"member_id": m["member_id"], "op_id": None, "kind": "adjust", "points": OPENING,
                  "note": "opening", "created_at": now, "debt": 0, "ref": None,
                  "changes": [[f"opening:{m['member_id']}", "C001", OPENING, None]]} for m in members],
            )  # fmt: skip
        # Statistics, as autovacuum keeps them in a running database: without them the
        # planner takes the freshly filled tables for the empty ones it last saw.
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _sale(rng: random.Random, device: str, store: str, seq: int) -> dict[str, Any]:
    amount = rng.randint(1_000, 20_000)
    redeemed = rng.choice((0, 0, 0, 100, 500))
    return {
        "op_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "kind": "sale", "device_id": device, "device_seq": seq, "store_id": store,
        "staff_id": "ST01", "local_time": datetime.now(UTC).isoformat(), "program_version": 1,
        "member_id": f"B{rng.randrange(MEMBERS):07d}",
        "payload": {"amount_yen": amount, "points_earned": (amount - redeemed) // 100,
                    "points_redeemed": redeemed, "receipt_no": f"{device}-{seq}"},
    }  # fmt: skip


Rows = list[tuple[Any, ...]]


@dataclass
class _RawBatch:
    """Every row HQ writes for one batch of sales, as tuples ready for executemany."""

    last_seq: int = 0
    ops: Rows = field(default_factory=list)
    entries: Rows = field(default_factory=list)
    new_lots: Rows = field(default_factory=list)
    spent_lots: Rows = field(default_factory=list)  # (remaining, lot_id) of lots redeemed from
    redemptions: Rows = field(default_factory=list)
    allocations: Rows = field(default_factory=list)
    purchases: Rows = field(default_factory=list)
    members: Rows = field(default_factory=list)  # (balance, last_earn_at, last_use_at, first_purchase_at, id)
    feed: Rows = field(default_factory=list)  # (offset, member_id)


def _raw_rows(batches: list[list[dict[str, Any]]]) -> list[_RawBatch]:
    """The rows HQ writes for these sales on the seeded members: the op with its stored
    answer, the earn and redeem entries, the new lot and the opening lot it spends, the
    redemption and its allocation, the purchase, each member's new balance and feed row."""
    now = datetime.now(UTC)
    balance: dict[str, int] = {}
    opening: dict[str, int] = {}
    out = []
    for ops in batches:
        raw = _RawBatch()
        touched: dict[str, tuple[Any, ...]] = {}
        for i, body in enumerate(ops):
            op = Op.model_validate(body)
            sale = op.payload
            assert isinstance(sale, SalePayload)
            m = op.member_id
            earned = (sale.amount_yen - sale.points_redeemed) // 100
            before = balance.get(m, OPENING)
            balance[m] = before + earned - sale.points_redeemed
            lot_id, opening_lot = f"{op.op_id}#0", f"opening:{m}"
            result = {
                "op_id": op.op_id, "status": "applied", "reason": None, "member_id": m,
                "balance": balance[m], "points_earned": earned, "server_seq": i + 1, "debt": 0,
                "points_redeemed": sale.points_redeemed,
                "breakdown": [{"source": "base", "name": "通常ポイント", "points": earned,
                               "limited": False, "expires_at": None}] if earned else [],
                "points_reversed": None, "points_restored": None, "member_no": None,
                "lots": [{"kind": "normal", "points": balance[m], "expires_at": None}],
            }
            raw.ops.append((op.op_id, op.device_seq, op.store_id, op.kind, op_hash(op),
                            Json(result), Json(body), now, op.local_time, sale.receipt_no))
            raw.last_seq = op.device_seq
            if sale.points_redeemed:
                opening[m] = opening.get(m, OPENING) - sale.points_redeemed
                raw.entries.append((m, op.op_id, "redeem", -sale.points_redeemed, now,
                                    Json([[opening_lot, "C001", -sale.points_redeemed, "C001"]])))
                raw.spent_lots.append((opening[m], opening_lot))
                raw.redemptions.append((op.op_id, m, "C001", sale.points_redeemed,
                                        Json([[opening_lot, sale.points_redeemed]])))
                raw.allocations.append((opening_lot, op.op_id, m, "C001", "C001",
                                        sale.points_redeemed, op.op_id, now))
            if earned:
                raw.entries.append((m, op.op_id, "earn", earned, now, Json([[lot_id, "C001", earned, None]])))
                raw.new_lots.append((lot_id, m, "C001", "normal", earned, earned, now))
            raw.purchases.append((op.op_id, m, op.store_id, sale.amount_yen, earned,
                                  sale.points_redeemed, Json([lot_id] if earned else []), now))
            touched[m] = (balance[m], now, now if sale.points_redeemed else None, now, m)
        raw.members = list(touched.values())
        raw.feed = [(k + 1, m) for k, m in enumerate(touched)]
        out.append(raw)
    return out


def _raw_ingest(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """Plain psycopg executemany of every row HQ writes for the batches (`_raw_rows`),
    one transaction per batch, with the register's last seq and the feed counter moved
    as HQ moves them: no deciding, no look-ups, no locks beyond the rows written."""
    prepared = _raw_rows(batches)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO registers (device_id, store_id, company_id, revoked, "
                     "last_device_seq, epoch, created_at) VALUES ('RAW', 'S1', 'C001', false, 0, 1, now())")  # fmt: skip
        conn.commit()
        start = time.perf_counter()
        for b in prepared:
            with conn.cursor() as cur:
                cur.execute("UPDATE registers SET last_device_seq = %s WHERE device_id = 'RAW'", (b.last_seq,))
                cur.executemany(
                    "INSERT INTO ops (op_id, device_id, device_seq, epoch, store_id, kind, payload_hash,"
                    " status, result, op, received_at, local_time, receipt_no)"
                    " VALUES (%s,'RAW',%s,1,%s,%s,%s,'applied',%s,%s,%s,%s,%s)", b.ops)
                cur.executemany(
                    "UPDATE members SET balance = %s, debt = 0, last_earn_at = %s, last_use_at = %s,"
                    " first_purchase_at = %s WHERE member_id = %s", b.members)
                cur.executemany(
                    "INSERT INTO lots (lot_id, member_id, issuer, kind, original, remaining, earned_at)"
                    " VALUES (%s,%s,%s,%s,%s,%s,%s)", b.new_lots)
                cur.executemany("UPDATE lots SET remaining = %s WHERE lot_id = %s", b.spent_lots)
                cur.executemany(
                    "INSERT INTO redemptions (redemption_id, member_id, redeemer, points, taken,"
                    " debt_left) VALUES (%s,%s,%s,%s,%s,0)", b.redemptions)
                cur.executemany(
                    "INSERT INTO ledger_entries (member_id, op_id, kind, points, created_at, changes)"
                    " VALUES (%s,%s,%s,%s,%s,%s)", b.entries)
                cur.executemany(
                    "INSERT INTO allocations (lot_id, redemption_id, member_id, issuer, redeemer,"
                    " points, op_id, at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", b.allocations)
                cur.executemany(
                    "INSERT INTO purchases (op_id, kind, member_id, store_id, company_id, amount_yen,"
                    " points_earned, points_redeemed, lot_ids, at)"
                    " VALUES (%s,'sale',%s,%s,'C001',%s,%s,%s,%s,%s)", b.purchases)
                base = cur.execute("UPDATE seq_counter SET value = value + %s WHERE id = 1 "
                                   "RETURNING value - %s", (len(b.feed), len(b.feed))).fetchone()[0]
                cur.executemany(
                    "INSERT INTO feed (server_seq, kind, key, created_at) VALUES (%s, 'member', %s, now())"
                    " ON CONFLICT (kind, key) DO UPDATE SET server_seq = excluded.server_seq,"
                    " created_at = excluded.created_at", [(base + off, m) for off, m in b.feed])
            conn.commit()
        elapsed = time.perf_counter() - start
    return sum(len(b) for b in batches) / elapsed


def _http_ingest(base_url: str, token: str, batches: list[list[dict[str, Any]]]) -> float:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        start = time.perf_counter()
        for batch in batches:
            response = c.post("/v1/sync/push", json={"ops": batch})
            if response.status_code != 200:
                raise RuntimeError(f"ingest bench: {response.status_code} {response.text[:300]}")
            results = response.json()["results"]
            if any(r["status"] != "applied" for r in results):
                raise RuntimeError(f"ingest bench: not all applied: {results[:3]}")
        elapsed = time.perf_counter() - start
    return sum(len(b) for b in batches) / elapsed


def _at_once(clients: list[httpx.Client], rounds: int, request: Callable[[int, httpx.Client, int], None]) -> list[float]:
    """Every client makes `rounds` requests on its own thread, all starting together."""
    barrier = threading.Barrier(len(clients))
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(30)
            for r in range(rounds):
                start = time.perf_counter()
                request(i, clients[i], r)
                latencies[i].append((time.perf_counter() - start) * 1000)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    if errors:
        raise RuntimeError(f"latency bench: {errors[0]!r}")
    return [ms for per in latencies for ms in per]


def run(quick: bool) -> list[Figure]:
    n_batches = 4 if quick else 30
    rounds = 4 if quick else 20
    ops_per_push = 5
    rng = random.Random(20261129)
    cluster = PostgresCluster()
    logs = Path(tempfile.mkdtemp(prefix="tamaru-bench-hq-"))
    try:
        cluster.start()
        hq_url, raw_url = cluster.url_for("bench_hq"), cluster.url_for("bench_raw")
        _seed(hq_url)
        _seed(raw_url)
        engine = make_engine(hq_url)
        try:
            token = provision_register(engine, "S1", "BENCH", "C001")
            tokens = [provision_register(engine, f"S{i % 10}", f"L{i:02d}", "C001") for i in range(REGISTERS)]
        finally:
            engine.dispose()
        seq = 1
        batches = []
        for _ in range(n_batches + 1):
            batches.append([_sale(rng, "BENCH", "S1", seq + k) for k in range(BATCH)])
            seq += BATCH

        with HqProcess(hq_url, log_dir=logs) as hq:
            _http_ingest(hq.url, token, batches[:1])  # warm-up: imports, pools, caches
            http_rate = _http_ingest(hq.url, token, batches[1:])
            raw_rate = _raw_ingest(raw_url, batches[1:])

            clients = [httpx.Client(base_url=hq.url, headers={"Authorization": f"Bearer {t}"}, timeout=120)
                       for t in tokens]  # fmt: skip
            try:
                def health(_i: int, client: httpx.Client, _r: int) -> None:
                    client.get("/v1/health").raise_for_status()

                def push(i: int, client: httpx.Client, r: int) -> None:
                    device, store = f"L{i:02d}", f"S{i % 10}"
                    ops = [_sale(random.Random(i * 1000 + r * 10 + k), device, store, r * ops_per_push + k + 1)
                           for k in range(ops_per_push)]  # fmt: skip
                    response = client.post("/v1/sync/push", json={"ops": ops})
                    response.raise_for_status()

                _at_once(clients, 1, health)  # connect every client first
                health_p99 = percentile(_at_once(clients, rounds, health), 99)
                push_ms = _at_once(clients, rounds, push)
            finally:
                for c in clients:
                    c.close()
    finally:
        cluster.stop()
        shutil.rmtree(logs, ignore_errors=True)

    push_p99 = percentile(push_ms, 99)
    ratio = http_rate / raw_rate
    return [
        Figure(BENCH, f"ingest over HTTP, {BATCH}-op batches (PostgreSQL)", http_rate, "ops/s",
               raw_name="psycopg executemany of the same rows", raw_value=raw_rate,
               target="≥ 0.25×", met=ratio >= 0.25,
               note=f"{n_batches * BATCH:,} sale ops, one register, one transaction per batch"),
        Figure(BENCH, f"p99 push latency, {REGISTERS} registers at once", push_p99, "ms",
               raw_name=f"p99 GET /v1/health, {REGISTERS} clients", raw_value=health_p99,
               higher_is_better=False, target="≤ 500 ms", met=push_p99 <= 500,
               note=f"{REGISTERS} × {rounds} pushes of {ops_per_push} ops; median "
                    f"{percentile(push_ms, 50):.0f} ms"),
    ]  # fmt: skip


if __name__ == "__main__":
    for figure in run(quick=True):
        print(json.dumps({"name": figure.name, "value": round(figure.value, 1), "raw": figure.raw_value}))
