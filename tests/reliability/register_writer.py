"""Writers for the kill -9 test: `python -m tests.reliability.register_writer DB`.

This process imports the register once and then forks a writer per request, so a
hundred crash-and-restart rounds do not each pay two seconds of imports. Each writer is a
register starting up for real: `open_checked` (integrity check, migrations) on the
database, then sales in a loop through `RegisterStore.record_sale` on a store thread,
printing `op <pid> <op_id> <device_seq>` only after each commit. Every few sales it also
marks ops sent and puts them back (a failed push), so kills land in those transactions
too.

Commands on stdin, answers on stdout:
  spawn        → `spawned <pid>`
  reap <pid>   → `reaped <pid> <wait status>` (after the writer is dead, so every line it
                 printed is already in the pipe before this one)
  quit
"""

from __future__ import annotations

import os
import random
import sys
import traceback
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from loyalty.quote import quote_sale
from sync.recovery import open_checked
from sync.worker import StoreWorker

TOKYO = ZoneInfo("Asia/Tokyo")


def _say(line: str) -> None:
    # One write(2) per line: under PIPE_BUF it is atomic, and nothing sits in a Python
    # buffer that a fork would copy or a kill would lose after the commit was printed.
    os.write(1, (line + "\n").encode())


def write_forever(db: Path) -> None:
    pid = os.getpid()
    store = open_checked(db)
    refused = store.refusal()
    if refused is not None:
        _say(f"refused {pid} {refused}")
        os._exit(3)
    worker = StoreWorker()
    rng = random.Random(pid)
    program = store.program()
    assert program is not None
    n = 0
    while True:
        n += 1
        member = store.member("M1")
        assert member is not None
        redeem = 10 if member.balance > 100 and n % 5 == 0 else 0
        quote = quote_sale(program, rng.randint(100, 20_000), redeem_points=redeem,
                           balance=member.balance)
        sale = worker.call(store.record_sale, "M1", quote, staff_id="S01",
                           local_time=datetime.now(TOKYO),
                           build_receipt=lambda f: {"receipt_no": f.receipt_no,
                                                    "balance_after": f.balance_after,
                                                    "lines": ["お買上げ", f.quote.amount_yen]})
        _say(f"op {pid} {sale.facts.op_id} {sale.facts.device_seq}")
        if n % 7 == 0:
            ids = [op.op_id for op in store.pending_ops(20)]
            worker.call(store.mark_sent, ids)
            worker.call(store.record_push_error, ids, "simulated outage")


def main(argv: list[str]) -> int:
    db = Path(argv[0])
    for line in sys.stdin:
        command, *args = line.split()
        if command == "spawn":
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    write_forever(db)
                except BaseException:
                    traceback.print_exc()
                    sys.stderr.flush()
                os._exit(1)
            _say(f"spawned {pid}")
        elif command == "reap":
            child = int(args[0])
            _, status = os.waitpid(child, 0)
            _say(f"reaped {child} {status}")
        elif command == "quit":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
