"""A register as its own process, for scenarios that kill it: `python -m
tests.reliability.register_proc DB HQ_URL TOKEN COMMAND`.

Commands: `sell MEMBER AMOUNT` (prints COMMITTED <op_id> after the commit, then waits to
be killed), `hang MEMBER AMOUNT` (prints IN_TX inside the sale's transaction and waits
there, to be killed before the commit), `sync` (pushes and pulls once, prints the counts).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.reliability.harness import Register


def main(argv: list[str]) -> int:
    db, url, token, command, *rest = argv
    reg = Register(Path(db), "R01", url, token)
    if command == "sync":
        pushed, pulled = reg.client.sync_once()
        print(f"SYNCED applied={pushed.applied} duplicate={pushed.duplicate} pulled={pulled}",
              flush=True)
        reg.close()
        return 0
    member, amount = rest[0], int(rest[1])
    if command == "hang":
        import sync.store as store_module

        original = store_module.RegisterStore.record_sale

        def hanging(self, *a, **kw):
            def build(facts):
                print("IN_TX", facts.op_id, flush=True)
                time.sleep(3600)
                return {}

            kw["build_receipt"] = build
            return original(self, *a, **kw)

        store_module.RegisterStore.record_sale = hanging  # type: ignore[method-assign]
    op_id = reg.sell(member, amount)
    print("COMMITTED", op_id, flush=True)
    time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
