"""Failure scenarios 8, 11 and 12 of the design notes — where the ledger, not the wire, is
the hard part — on a real HQ process over PostgreSQL, with real register stores (and, for
the register that crashes, a real register process killed with SIGKILL).

 8. a return reaches HQ before its sale: parked, applied when the sale arrives;
11. two stores redeem the same points offline: both sales kept, debt ≤ the sum of the
    offline caps, later earns settle it;
12. a return after its points were spent: reversal plus debt; the invariants hold.

After each: every op made exists once at HQ, Σ entries = balance = Σ lot remaining − debt
per member, no lot below zero, and the registers show HQ's balance once nothing is
pending.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from loyalty.basket import QuoteError
from resources import RESOURCES
from sync import ops
from sync.protocol import ReturnPayload
from tests.reliability.harness import (
    hq_count,
    ledger_check,
    publish_program,
    read_marker,
    reconcile,
    register_token,
    spawn_register,
)
from tests.support.seed import NOW

pytestmark = pytest.mark.integration
OFFLINE_CAP = 300


def hq_member(db_url, member_id):
    return (hq_count(db_url, "SELECT balance FROM members WHERE member_id = :m", m=member_id),
            hq_count(db_url, "SELECT debt FROM members WHERE member_id = :m", m=member_id))


def hq_rows(db_url, sql, **params):
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql), params)]
    finally:
        engine.dispose()


def entry_kinds(db_url, op_id):
    return sorted(kind for (kind,) in hq_rows(
        db_url, "SELECT kind FROM ledger_entries WHERE op_id = :o", o=op_id))


def op_status(db_url, op_id):
    return hq_count(db_url, "SELECT status FROM ops WHERE op_id = :o", o=op_id)


def server_seq(db_url, op_id):
    return hq_count(db_url, "SELECT (result->>'server_seq')::bigint FROM ops WHERE op_id = :o",
                    o=op_id)


class Events:
    """Every event a client announces, in order, for the assertions."""

    def __init__(self, client, *names):
        self.seen: list[tuple] = []
        for name in names:
            client.events.subscribe(name, lambda *a, _n=name: self.seen.append((_n, *a)))

    def named(self, name):
        return [e[1:] for e in self.seen if e[0] == name]


def test_8_return_before_its_sale_is_parked_then_applied_with_the_sale(hq, make_register):
    """R01 crashes with a sale committed but not sent; the customer brings the goods back
    to R02, whose return reaches HQ first. HQ parks it, R02 watches it (and says when it
    has waited too long), and when R01 comes back its sale and the return are applied
    together; R02 learns the final answer and shows HQ's balance again."""
    proc, db_url = hq
    member = "M0000003"  # 350 pt
    r01 = make_register("R01")
    r01.close()  # the process below owns R01's database
    token = register_token(db_url, "R01")
    p = spawn_register(r01.path, proc.url, token, "sell", member, "5000")
    sale_op = read_marker(p, "COMMITTED")
    os.kill(p.pid, signal.SIGKILL)  # powered off before it could send
    p.wait(timeout=10)

    clock = [datetime.now(UTC)]
    r02 = make_register("R02", client_options={"parked_alert_s": 3600,
                                               "clock": lambda: clock[0]})
    seen = Events(r02.client, "op_parked", "op_parked_overdue", "parked_changed",
                  "parked_resolved", "member_resynced")
    before = r02.store.member(member)
    ret = r02.worker.call(
        ops.record_op, r02.store, kind="return", member_id=member,
        payload=ReturnPayload(sale_op_id=sale_op, returned_yen=5000, receipt_no="R02-H0001"),
        points_delta=-50, staff_id="C01", local_time=NOW + timedelta(hours=1))
    ret_op = ret.op.op_id

    pushing = datetime.now(UTC)
    pushed, _ = r02.client.sync_once()
    assert pushed.parked == 1
    assert r02.store.op_state(ret_op) == "parked"
    assert op_status(db_url, ret_op) == "parked"
    assert entry_kinds(db_url, ret_op) == []  # nothing of it is in the ledger yet
    assert seen.named("op_parked") == [(ret_op, member)]
    assert r02.client.parked.count == 1 and r02.client.parked.overdue == ()
    # The counter still shows the return's effect while HQ holds it.
    assert r02.store.member(member).balance == before.balance - 50

    # Hours later the sale still has not come: announced once, visible in the status.
    clock[0] += timedelta(hours=2)
    status = r02.client.watch_parked(force=True)
    r02.client.watch_parked(force=True)
    assert [o.op_id for o in status.overdue] == [ret_op]
    [(op_id, who, since, parent)] = seen.named("op_parked_overdue")
    assert (op_id, who, parent) == (ret_op, member, sale_op)
    # Since when HQ parked it: the answer's time, not the watch's.
    assert pushing <= since <= datetime.now(UTC) and clock[0] - since > timedelta(hours=1)
    assert [s[0].count for s in seen.named("parked_changed")] == [1, 1]  # new, then overdue
    assert op_status(db_url, ret_op) == "parked"

    # R01 restarts and sends its sale: HQ applies it, then the parked return.
    s = spawn_register(r01.path, proc.url, token, "sync")
    assert s.wait(timeout=60) == 0, s.stderr.read() if s.stderr else ""
    assert (op_status(db_url, sale_op), op_status(db_url, ret_op)) == ("applied", "applied")
    assert server_seq(db_url, sale_op) < server_seq(db_url, ret_op)
    assert "reverse_earn" in entry_kinds(db_url, ret_op)
    assert "debt" not in entry_kinds(db_url, ret_op)  # its points were still there

    r02.client.sync_once()
    assert r02.store.op_state(ret_op) == "duplicate"  # the final answer, replayed
    assert seen.named("parked_resolved") == [(ret_op, "duplicate", None)]
    assert r02.client.parked.count == 0
    assert seen.named("parked_changed")[-1][0].count == 0
    # The pull had skipped the member while the return was parked: fetched again.
    assert (member, "behind_hq") in seen.named("member_resynced")
    balance, debt = hq_member(db_url, member)
    after = r02.store.member(member)
    assert (after.balance, after.pending_delta, after.debt) == (balance, 0, debt)
    assert balance == before.balance  # the sale's 50 pt, then taken back

    r = reconcile(db_url, [sale_op, ret_op])
    assert (r.lost, r.double_applied, r.members_off, r.order_violations) == (0, 0, [], 0)
    assert r.applied == 2
    assert ledger_check(db_url).holds


def capped_program() -> str:
    demo = (RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8")
    return (demo.replace("version = 1", "version = 2")
            .replace("minimum = 1\n", f"minimum = 1\noffline_cap = {OFFLINE_CAP}\n"))


def test_11_two_stores_redeem_the_same_points_offline(hq, make_register):
    """Both stores' registers last saw 350 pt and each lets the member use what the
    offline cap allows. HQ keeps both sales; the shortfall becomes debt no larger than
    the two caps; the member's next earns pay it off."""
    proc, db_url = hq
    member = "M0000003"  # 350 pt
    assert publish_program(db_url, capped_program()) == 2
    shibuya = make_register("R01")
    shinjuku = make_register("R21", store_id="S002")
    for reg in (shibuya, shinjuku):
        assert reg.store.program().redeem.offline_cap == OFFLINE_CAP
        assert reg.store.member(member).balance == 350
    proc.stop()  # the chain's network is down: both stores sell offline

    # The counter's offline bound: never more than the cap, whatever the balance.
    with pytest.raises(QuoteError):
        shibuya.sell(member, 2000, OFFLINE_CAP + 1, offline=True)
    a = shibuya.sell(member, 2000, OFFLINE_CAP, offline=True)
    b = shinjuku.sell(member, 3000, OFFLINE_CAP, offline=True)
    # Queued redemptions count against what is left here: 50 pt at the first store.
    with pytest.raises(QuoteError):
        shibuya.sell(member, 1000, 51, offline=True)

    proc.start()
    for reg in (shibuya, shinjuku):
        reg.sync_until_drained()
    assert (op_status(db_url, a), op_status(db_url, b)) == ("applied", "applied")
    balance, debt = hq_member(db_url, member)
    assert 0 < debt <= 2 * OFFLINE_CAP
    assert balance < 0 and balance == -debt  # nothing left, the rest owed
    assert ledger_check(db_url).debts == {member: debt}
    assert "debt" in entry_kinds(db_url, b)

    # Later earns settle it: ¥100 → 1 pt, so a ¥50,000 purchase more than covers it.
    settle = shibuya.sell(member, 50_000)
    shibuya.sync_until_drained()
    balance_after, debt_after = hq_member(db_url, member)
    assert debt_after == 0
    assert balance_after == balance + 500
    assert "debt_settle" in entry_kinds(db_url, settle)
    for reg in (shibuya, shinjuku):
        reg.client.sync_once()
        seen = reg.store.member(member)
        assert (seen.balance, seen.debt, seen.pending_delta) == (balance_after, 0, 0)

    r = reconcile(db_url, shibuya.made + shinjuku.made)
    assert (r.lost, r.double_applied, r.members_off, r.rejected) == (0, 0, [], {})
    assert r.applied == 3
    assert ledger_check(db_url).holds


def test_12_return_after_its_points_were_spent(hq, make_register):
    """A sale earns 200 pt, the member spends them at the next visit, then returns the
    first purchase: the earned points are taken back though spent, as debt; the register
    shows the negative balance HQ reports; the next earn pays it off."""
    proc, db_url = hq
    member = "M0000002"  # 0 pt
    reg = make_register("R01")
    first = reg.sell(member, 20_000)  # +200
    reg.client.sync_once()
    assert reg.store.member(member).balance == 200
    spend = reg.sell(member, 5_000, 200)  # every point of the first sale
    reg.client.sync_once()
    assert hq_count(db_url, "SELECT coalesce(sum(remaining), 0) FROM lots "
                            "WHERE lot_id LIKE :p", p=f"{first}%") == 0
    spent_balance, _ = hq_member(db_url, member)

    back = reg.give_back(reg.receipt_no(first), 20_000)
    assert reg.store.member(member).balance == spent_balance - 200  # the estimate
    reg.client.sync_once()
    assert reg.store.op_state(back) == "applied"
    # Nothing of the lot is left to take back: the whole reversal is owed, as a debt
    # named after the lot it reverses (entries with no effect are not written).
    lot = f"{first}#0"
    assert hq_count(db_url, "SELECT remaining FROM lots WHERE lot_id = :l", l=lot) == 0
    debts = hq_rows(db_url, "SELECT kind, debt, ref FROM ledger_entries WHERE op_id = :o "
                            "AND kind = 'debt'", o=back)
    assert debts == [("debt", 200, f"{back}:{lot}")]
    balance, debt = hq_member(db_url, member)
    assert debt > 0
    assert balance == spent_balance - 200
    check = ledger_check(db_url)
    assert check.holds and check.debts == {member: debt}
    seen = reg.store.member(member)
    assert (seen.balance, seen.debt, seen.pending_delta) == (balance, debt, 0)
    assert sum(lot.points for lot in seen.lots) - seen.debt == seen.balance

    reg.sell(member, 40_000)  # 400 pt: the debt is paid first
    reg.client.sync_once()
    balance_after, debt_after = hq_member(db_url, member)
    assert debt_after == 0 and balance_after == balance + 400
    seen = reg.store.member(member)
    assert (seen.balance, seen.debt) == (balance_after, 0)

    r = reconcile(db_url, reg.made)
    assert (r.lost, r.double_applied, r.members_off, r.rejected) == (0, 0, [], {})
    assert r.applied == 4
    assert ledger_check(db_url).holds
    assert spend in reg.made
