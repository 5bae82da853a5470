"""kill -9 of a register in the middle of its sales, a hundred times.

A writer process records sales in a loop and prints each op id after its commit; it is
killed at a random moment (seeded: the seed is printed, and TAMARU_CRASH_SEED replays
it) and a new writer starts on the same file, as a register restarting after a crash.
After every kill: `PRAGMA integrity_check` is ok, every printed op is there exactly once
with its receipt, `device_seq` runs 1..n without a gap, and no file was moved aside.

kill -9 stops the process, not the machine: what the OS had accepted still reaches the
disk. A power cut is not reproduced here; it is what `synchronous=FULL` is for (the WAL
is synced before a commit returns).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from sync.store import RegisterStore
from tests.support.seed import seeded_store

ROOT = Path(__file__).resolve().parents[2]
KILLS = 100
MAX_DELAY_S = 0.3


class Writers:
    """The forking writer process and the lines it (and its children) print."""

    def __init__(self, db: Path, log: Path) -> None:
        self._err = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.register_writer", str(db)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def until(self, prefix: str, ops: dict[str, int], timeout: float = 30.0) -> str:
        """Collect op lines until a line starting with `prefix` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line.startswith("op "):
                _, _pid, op_id, seq = line.split()
                assert op_id not in ops, f"op {op_id} printed twice"
                ops[op_id] = int(seq)
            elif line.startswith("refused"):
                raise AssertionError(line)
            elif line.startswith(prefix):
                return line

    def close(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._err.close()


def check_database(db: Path, printed: dict[str, int]) -> int:
    """What must hold after a crash; returns the number of ops in the database."""
    assert not list(db.parent.glob("*.corrupt-*")), "a database was moved aside"
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = con.execute("SELECT op_id, device_seq FROM ops ORDER BY device_seq").fetchall()
        seqs = [seq for _, seq in rows]
        assert seqs == list(range(1, len(rows) + 1)), "device_seq has a gap"
        (next_seq,) = con.execute("SELECT next_device_seq FROM sync_state").fetchone()
        assert next_seq == len(rows) + 1
        stored = dict(rows)
        missing = [op_id for op_id in printed if op_id not in stored]
        assert not missing, f"acknowledged ops lost: {missing[:5]}"
        assert all(stored[op_id] == seq for op_id, seq in printed.items())
        (receipts,) = con.execute(
            "SELECT count(*) FROM receipts r JOIN ops o ON o.op_id = r.op_id").fetchone()
        assert receipts == len(rows), "an op without its receipt (or the reverse)"
        return len(rows)
    finally:
        con.close()


def test_kill_9_loses_nothing_and_duplicates_nothing(tmp_path):
    seed = int(os.environ.get("TAMARU_CRASH_SEED", time.time_ns() % 2**32))
    print(f"kill -9 test seed: {seed} (replay with TAMARU_CRASH_SEED={seed})")
    rng = random.Random(seed)
    db = tmp_path / "register.db"
    seeded_store(db).close()
    writers = Writers(db, tmp_path / "writers.log")
    printed: dict[str, int] = {}
    started = time.monotonic()
    try:
        counts: list[int] = []
        acknowledged = 0
        for _ in range(KILLS):
            writers.send("spawn")
            pid = int(writers.until("spawned", printed).split()[1])
            time.sleep(rng.uniform(0.0, MAX_DELAY_S))
            os.kill(pid, signal.SIGKILL)
            writers.send(f"reap {pid}")
            status = int(writers.until(f"reaped {pid}", printed).split()[2])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                f"writer {pid} ended by itself (status {status}): "
                f"{(tmp_path / 'writers.log').read_text(errors='replace')[-2000:]}")
            before = (counts[-1] if counts else 0, acknowledged)
            counts.append(check_database(db, printed))
            acknowledged = len(printed)
            # Committed but not printed: at most the sale whose commit returned just
            # before the kill.
            assert 0 <= (counts[-1] - before[0]) - (acknowledged - before[1]) <= 1
    finally:
        writers.close()
    elapsed = time.monotonic() - started
    # The register that starts after the last kill sees every acknowledged sale queued.
    store = RegisterStore.open_checked(db)
    try:
        assert store.refusal() is None
        assert sum(store.outbox_counts().values()) == counts[-1]
        # Killed between marking a batch sent and putting it back, some may say sent.
        assert {store.op_state(op_id) for op_id in printed} <= {"queued", "sent"}
        assert len(store.pending_ops(100_000)) == counts[-1]
        assert store.next_device_seq() == counts[-1] + 1
    finally:
        store.close()
    print(f"{KILLS} kills in {elapsed:.1f} s; {len(printed)} acknowledged sales, "
          f"{counts[-1]} ops in the database")
    # The kills must land in the middle of sales, not only during start-up.
    assert len(printed) >= KILLS
    assert sum(1 for a, b in zip([0, *counts], counts, strict=False) if b > a) >= KILLS // 2
