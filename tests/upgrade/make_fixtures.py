"""Make the upgrade test's fixtures: register databases written by earlier builds' own code.

    python -m tests.upgrade.make_fixtures            # every build in BUILDS
    python -m tests.upgrade.make_fixtures skeleton   # one of them

For each earlier build, the source tree of its commit is taken with `git archive`, and
that code (not today's) runs a register offline: it binds the database to register R01 of
store S001, takes the demo program and members as a pull would, and records sales at the
counter with its own store, quote and receipt code. Some sales end as HQ answered them
(applied), some as pushed with no answer yet (sent), the rest still queued, as a register
stopped for an upgrade leaves them. The database is saved as an SQL dump
(`fixtures/<name>.sql`) with a manifest (`fixtures/<name>.json`) of every op: its state,
its body as stored, and the payload hash that build computed for it.

The fixtures are committed; this script is how they were made, and how to make one for
the next release before its schema changes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]

# name → (commit, what it was)
BUILDS = {
    "skeleton": ("03f0b69", "the walking skeleton: schema 0001, sale payloads of four fields"),
    "durable": ("c3e210b", "the durable store: schema 0002, hold ids, audit log, staff"),
}

SALES = 30
APPLIED = 6  # answered by HQ before the upgrade
# Pushed with no answer received: HQ applied the first half of that batch (it applies
# each op in its own transaction, in order) before the connection broke.
SENT = 6

# Runs inside the old tree, with that tree first on sys.path.
DRIVER = r'''
import inspect, json, sqlite3, sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.receipts import build_sale_receipt, receipt_to_dict
from loyalty.quote import quote_sale
from resources import RESOURCES
from sync.protocol import CardState, Change, MemberState, OpResult, ProgramDoc, PullResponse
from sync.store import RegisterStore

out, sales, applied, sent = Path(sys.argv[1]), *map(int, sys.argv[2:5])
TOKYO = ZoneInfo("Asia/Tokyo")
MEMBERS = [("M0000001", "2900000000011", "山田 花子", "04A1B2C3D4E5F6", 1200),
           ("M0000002", "2900000000028", "佐藤 太郎", "04112233445566", 0),
           ("M0000003", "2900000000035", "鈴木 一郎", "04C0FFEE123456", 350),
           ("M0000004", "2900000000042", "高橋 美咲", "0455AA66BB77CC", 5000),
           ("M0000005", "2900000000059", "田中 健太", "012E4CD3A1B2C3D4", 80)]
db = out / "register.db"
store = RegisterStore(db)
store.initialise("R01", "S001")
toml = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
changes = [Change(server_seq=1, kind="program", program=ProgramDoc(version=1, toml=toml))]
for i, (mid, no, name, uid, points) in enumerate(MEMBERS):
    changes.append(Change(server_seq=2 + 2 * i, kind="member", member=MemberState(
        member_id=mid, member_no=no, display_name=name, status="active", balance=points)))
    changes.append(Change(server_seq=3 + 2 * i, kind="card",
                          card=CardState(uid=uid, member_id=mid, status="active")))
store.apply_pull(PullResponse(cursor=len(changes), has_more=False, changes=changes))
program = store.program()
takes_time = "at" in inspect.signature(quote_sale).parameters
start = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
ops = []
for n in range(sales):
    mid = MEMBERS[n % len(MEMBERS)][0]
    when = start + timedelta(minutes=7 * n)
    amount = 480 + 1370 * n
    redeem = 100 if mid == "M0000004" and n % 2 == 1 else 0
    kw = {"at": when, "store_id": "S001"} if takes_time else {}
    quote = quote_sale(program, amount, redeem_points=redeem,
                       balance=store.member(mid).balance, **kw)
    build = lambda facts: receipt_to_dict(build_sale_receipt(
        facts, store_name="たまる商店 渋谷店", footer="ご来店ありがとうございました", tz=TOKYO))
    store.record_sale(mid, quote, staff_id="ST01", local_time=when, build_receipt=build)
pending = store.pending_ops(sales)
hashes = {op.op_id: op.payload_hash() for op in pending}
first = [op.op_id for op in pending[:applied]]
store.record_push_results([OpResult(op_id=i, status="applied", balance=0) for i in first])
store.mark_sent([op.op_id for op in pending[applied:applied + sent]])
store.close()
con = sqlite3.connect(db)
rows = con.execute("SELECT op_id, device_seq, state, body FROM ops ORDER BY device_seq")
manifest = [{"op_id": op_id, "device_seq": seq, "state": state, "old_hash": hashes[op_id],
             "body": json.loads(body),
             "at_hq": state == "applied" or (state == "sent" and seq <= applied + sent // 2)}
            for op_id, seq, state, body in rows]
revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
dump = "\n".join(con.iterdump()) + "\n"
con.close()
(out / "dump.sql").write_text(dump, encoding="utf-8")
(out / "manifest.json").write_text(json.dumps({"revision": revision, "ops": manifest},
                                              ensure_ascii=False, indent=1), encoding="utf-8")
'''


def extract(commit: str, into: Path) -> None:
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=REPO,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def make(name: str) -> Path:
    commit, what = BUILDS[name]
    with tempfile.TemporaryDirectory(prefix=f"tamaru-fixture-{name}-") as tmp:
        tree, out = Path(tmp) / "tree", Path(tmp) / "out"
        tree.mkdir()
        out.mkdir()
        extract(commit, tree)
        env = {**os.environ, "PYTHONPATH": str(tree), "TAMARU_HOME": str(out / "home")}
        subprocess.run([sys.executable, "-c", DRIVER, str(out), str(SALES), str(APPLIED),
                        str(SENT)], cwd=tree, env=env, check=True, timeout=300)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        manifest = {"build": name, "commit": commit, "what": what, **manifest}
        FIXTURES.mkdir(exist_ok=True)
        header = (f"-- Register database written by Tamaru {commit} ({what}).\n"
                  "-- Made by tests/upgrade/make_fixtures.py; do not edit by hand.\n")
        (FIXTURES / f"{name}.sql").write_text(
            header + (out / "dump.sql").read_text(encoding="utf-8"), encoding="utf-8")
        (FIXTURES / f"{name}.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return FIXTURES / f"{name}.sql"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.upgrade.make_fixtures")
    p.add_argument("names", nargs="*", help=f"builds to make (default: all of {list(BUILDS)})")
    args = p.parse_args(argv)
    unknown = set(args.names) - set(BUILDS)
    if unknown:
        p.error(f"unknown build: {', '.join(sorted(unknown))}")
    for name in args.names or list(BUILDS):
        print(make(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
