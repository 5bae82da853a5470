"""Sync to HQ on PostgreSQL: draining a register's queue, and a fleet back from an outage.

- Drain: a register's outbox holding N sales (1,000 → 100,000) is pushed by the real
  `SyncClient` (adaptive batches, over HTTP) to a `tamaru-hq serve` process on
  PostgreSQL until empty. Beside it, HQ's own ingest rate measured by bench_hq's
  machinery in the same run, just before each drain: 500-op batches prepared in advance
  and posted by a bare httpx client. The ratio is what the register's side costs
  (reading the outbox, building requests, recording every answer in SQLite with fsync).
- Fleet: many registers reconnect at once after an outage, each with its own store,
  store thread and `SyncClient` on its own thread, each with ops queued; every op must be
  applied exactly once. Figures: the time until all are drained (as ops/s over the
  fleet, beside HQ's single-register ingest rate; met when every op is applied exactly
  once and nothing is left queued), and the p99 latency of every push attempt — a push
  that failed or timed out counts with the time it took to fail — beside the p99 of
  `GET /v1/health` under as many clients at once, with the failed attempts counted
  beside it. Failed pushes are retried with the client's own backoff.

The queues are written straight into SQLite (the sales' op bodies as the store writes
them): recording 100,000 sales one commit at a time is bench_store's subject, not this.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.bench_hq import BATCH, _at_once, _http_ingest, _sale, _seed
from bench.common import Figure, percentile
from hq.db import make_engine
from hq.directory import provision_register
from sync.client import SyncClient, SyncError, backoff_delay
from sync.store import RegisterStore
from sync.worker import StoreWorker
from tests.support.hq_process import HqProcess
from tests.support.postgres import PostgresCluster

BENCH = "sync"
COMPANY = "C001"
FLEET_DEADLINE_S = 2400.0


def fill_queue(path: Path, device: str, store_id: str, n: int, rng: random.Random) -> None:
    """A register database whose outbox holds n queued sales, device_seq 1..n."""
    store = RegisterStore(path)
    store.initialise(device, store_id)
    store.close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # building the test file, not measuring it
    con.execute("BEGIN")
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    for seq in range(1, n + 1):
        op = _sale(rng, device, store_id, seq)
        pay = op["payload"]
        rows.append((op["op_id"], seq, op["member_id"],
                     json.dumps(op, ensure_ascii=False, separators=(",", ":")),
                     pay["points_earned"] - pay["points_redeemed"], created))
    con.executemany(
        "INSERT INTO ops (op_id, device_seq, kind, member_id, body, points_delta, state, "
        "attempts, created_at) VALUES (?, ?, 'sale', ?, ?, ?, 'queued', 0, ?)", rows)
    con.execute("UPDATE sync_state SET next_device_seq = ?", (n + 1,))
    con.execute("COMMIT")
    con.close()


class TimedTransport(httpx.HTTPTransport):
    """Notes how long each push took, answered or not: a failed or timed-out push is
    timed until it failed and also counted by kind."""

    def __init__(self, latencies: list[float], failures: list[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.latencies = latencies
        self.failures = failures

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        try:
            response = super().handle_request(request)
        except httpx.HTTPError as exc:
            if request.url.path.endswith("/push"):
                self.latencies.append((time.perf_counter() - start) * 1000)
                self.failures.append(type(exc).__name__)
            raise
        if request.url.path.endswith("/push"):
            self.latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                self.failures.append(f"HTTP {response.status_code}")
        return response


def drain(path: Path, url: str, token: str, *, transport: httpx.BaseTransport | None = None,
          deadline: float | None = None, rng: random.Random | None = None) -> float:
    """Push the outbox until it is empty, retrying as the client does; returns seconds."""
    store = RegisterStore(path)
    worker = StoreWorker()
    client = SyncClient(store, worker, url, token, transport=transport, rng=rng)
    start = time.perf_counter()
    try:
        while store.pending_ops(1):
            if deadline is not None and time.monotonic() > deadline:
                raise RuntimeError(f"{path.name}: not drained in time: {store.outbox_counts()}")
            try:
                client.push_all(max_rounds=100_000)
                client.failures = 0
            except SyncError as exc:
                if not exc.retry:
                    raise
                client.failures += 1
                time.sleep(backoff_delay(client.failures, client.rng))
        elapsed = time.perf_counter() - start
        counts = store.outbox_counts()
        if counts.get("rejected") or counts.get("parked"):
            raise RuntimeError(f"{path.name}: HQ refused ops: {counts}")
        return elapsed
    finally:
        client.stop()
        worker.shutdown()
        store.close()


def ingest_rate(url: str, token: str, device: str, n: int, rng: random.Random,
                seq: list[int]) -> float:
    """HQ's own ingest (bench_hq's client) of n fresh ops from `device`."""
    batches = []
    for _ in range(max(1, n // BATCH)):
        batches.append([_sale(rng, device, "S1", seq[0] + k) for k in range(BATCH)])
        seq[0] += BATCH
    return _http_ingest(url, token, batches)


def fleet(folder: Path, hq_url: str, db_url: str, tokens: dict[str, str], per: int
          ) -> tuple[float, list[float], list[str], bool, str]:
    """Every register drains at once; returns (seconds, latencies of every push attempt,
    failed attempts, whether every op was applied exactly once with nothing left, and
    what HQ holds)."""
    latencies: list[float] = []
    failures: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(tokens) + 1)
    deadline = time.monotonic() + FLEET_DEADLINE_S

    def work(device: str, token: str, index: int) -> None:
        try:
            transport = TimedTransport(latencies, failures)
            barrier.wait(60)
            drain(folder / f"{device}.db", hq_url, token, transport=transport,
                  deadline=deadline, rng=random.Random(index))
        except BaseException as exc:  # surfaced after the join
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d, t, i), name=f"fleet-{d}", daemon=True)
               for i, (d, t) in enumerate(tokens.items())]
    for t in threads:
        t.start()
    barrier.wait(60)
    start = time.perf_counter()
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 30))
    elapsed = time.perf_counter() - start
    stuck = len(errors) + sum(t.is_alive() for t in threads)
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        total, distinct, applied = conn.execute(
            "SELECT count(*), count(DISTINCT op_id), count(*) FILTER (WHERE status = 'applied') "
            "FROM ops WHERE device_id LIKE 'F%'"
        ).fetchone()  # type: ignore[misc]
    expected = per * len(tokens)
    met = stuck == 0 and total == distinct == applied == expected
    held = (f"HQ holds {total:,} ops ({distinct:,} distinct, {applied:,} applied) of "
            f"{expected:,}; {stuck} registers not drained"
            + (f" ({errors[0]!r})" if errors else ""))
    return elapsed, latencies, failures, met, held


def run(quick: bool) -> list[Figure]:
    sizes = [500, 2_000] if quick else [1_000, 10_000, 100_000]
    registers, per = (10, 40) if quick else (200, 500)
    ingest_n = 2_000 if quick else 10_000
    rng = random.Random(20261122)
    cluster = PostgresCluster()
    folder = Path(tempfile.mkdtemp(prefix="tamaru-bench-sync-"))
    figures: list[Figure] = []
    try:
        cluster.start()
        db_url = cluster.url_for("bench_sync")
        _seed(db_url)
        engine = make_engine(db_url)
        try:
            ingest_token = provision_register(engine, "S1", "INGEST", COMPANY)
            drain_tokens = {n: provision_register(engine, "S1", f"D{n}", COMPANY) for n in sizes}
            fleet_tokens = {f"F{i:03d}": provision_register(engine, f"S{i % 20}", f"F{i:03d}",
                                                            COMPANY)
                            for i in range(registers)}
        finally:
            engine.dispose()
        for n in sizes:
            fill_queue(folder / f"D{n}.db", f"D{n}", "S1", n, rng)
        for device in fleet_tokens:
            fill_queue(folder / f"{device}.db", device, f"S{int(device[1:]) % 20}", per, rng)

        with HqProcess(db_url, log_dir=folder) as hq:
            seq = [1]
            ingest_rate(hq.url, ingest_token, "INGEST", BATCH, rng, seq)  # warm-up
            for n in sizes:
                raw = ingest_rate(hq.url, ingest_token, "INGEST", ingest_n, rng, seq)
                seconds = drain(folder / f"D{n}.db", hq.url, drain_tokens[n])
                value = n / seconds
                figures.append(Figure(
                    BENCH, "queue drained to HQ on PostgreSQL", value, "ops/s",
                    raw_name="HQ's own ingest, prepared 500-op batches (bench_hq)",
                    raw_value=raw, target="≥ 0.5×", met=value >= 0.5 * raw,
                    note=(f"{n:,} sales pushed by SyncClient in {seconds:.1f} s; HQ ingest "
                          f"measured on {ingest_n:,} ops just before"),
                    size=n, size_unit="queued ops"))
            fleet_raw = ingest_rate(hq.url, ingest_token, "INGEST", ingest_n, rng, seq)
            health_p99 = _health_p99(hq.url, list(fleet_tokens.values()))
            seconds, latencies, failures, drained, held = fleet(folder, hq.url, db_url,
                                                                fleet_tokens, per)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)

    total = registers * per
    p99 = percentile(latencies, 99)
    kinds = ", ".join(f"{k} × {failures.count(k)}" for k in sorted(set(failures))) or "none"
    figures += [
        Figure(BENCH, f"fleet of {registers} registers back from an outage, {per} ops each, "
                      "all drained", total / seconds, "ops/s",
               raw_name="HQ's own ingest, one register (bench_hq)", raw_value=fleet_raw,
               target="all applied exactly once, none lost", met=drained,
               note=(f"{total:,} ops from {registers} registers at once, in {seconds:.1f} s; "
                     f"{held} (HQ ops table checked)")),
        Figure(BENCH, f"p99 push latency, fleet of {registers} registers at once, failed "
                      "pushes included", p99, "ms",
               raw_name=f"p99 GET /v1/health, {registers} clients at once",
               raw_value=health_p99, higher_is_better=False,
               target="0 lost, all drained", met=drained,
               note=(f"{len(latencies):,} push attempts, {len(failures):,} of them failed "
                     f"or timed out and were retried with backoff ({kinds}), each counted "
                     f"with the time it took to fail; median "
                     f"{percentile(latencies, 50):.0f} ms")),
    ]
    return figures


def _health_p99(url: str, tokens: list[str]) -> float:
    clients = [httpx.Client(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=60)
               for t in tokens]
    try:
        def health(_i: int, client: httpx.Client, _r: int) -> None:
            client.get("/v1/health").raise_for_status()

        request: Callable[[int, httpx.Client, int], None] = health
        _at_once(clients, 1, request)  # connect every client first
        return percentile(_at_once(clients, 5, request), 99)
    finally:
        for c in clients:
            c.close()
