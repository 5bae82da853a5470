"""The per-member sanity check after a pull, against a real HQ process (SQLite): a
cached member whose ledger does not add up is fetched again from HQ's member look-up —
balance ≠ Σ lots − debt, a lot below zero, a negative debt — and one whose figures are
in motion (an op unanswered) is left alone until they settle."""

from __future__ import annotations

import httpx

from sync.client import SyncClient


def hq_view(reg, member_no):
    r = httpx.get(f"{reg.url}/v1/members/{member_no}", timeout=5,
                  headers={"Authorization": f"Bearer {reg.token}"})
    r.raise_for_status()
    m = r.json()["member"]
    return m["balance"], m["debt"], sorted(lot["points"] for lot in m["lots"])


def cached(reg, member_id):
    m = reg.store.member(member_id)
    return m.hq_balance, m.debt, sorted(lot.points for lot in m.lots)


def test_members_that_do_not_add_up_are_fetched_again_from_hq(make_reg):
    reg = make_reg()
    numbers = {m: reg.store.member(m).member_no
               for m in ("M0000001", "M0000003", "M0000004", "M0000005")}
    truth = {m: hq_view(reg, no) for m, no in numbers.items()}
    assert all(cached(reg, m) == truth[m] for m in numbers)

    # Three kinds of damage to the cache, as a bug or a half-written page could leave.
    reg.sql("UPDATE members SET hq_balance = hq_balance + 7 WHERE member_id = 'M0000001'")
    reg.sql("UPDATE member_lots SET points = -5 WHERE member_id = 'M0000003'")
    reg.sql("UPDATE members SET debt = -3, hq_balance = hq_balance + 3 "
            "WHERE member_id = 'M0000004'")
    # Damaged too, but an op of the member is unanswered: its figures are in motion.
    reg.sql("UPDATE members SET hq_balance = hq_balance + 11 WHERE member_id = 'M0000005'")
    reg.client.stop()  # a restart: the new client checks every cached member once
    restarted = SyncClient(reg.store, reg.worker, reg.url, reg.token)
    found: list[tuple[str, str]] = []
    restarted.events.subscribe("member_resynced", lambda m, why: found.append((m, why)))
    try:
        damaged = reg.store.member("M0000005")
        assert damaged is not None
        held = restarted.store.members_to_resync(everyone=True)
        assert held["M0000005"] == "balance_not_lots"
        op = reg.sell("M0000005", 1000)  # queued: M0000005's figures now in motion
        assert restarted.store.members_to_resync(everyone=True).get("M0000005") is None
        # A round without its push, so the op stays unanswered.
        restarted.pull_once()
        restarted.resync_members()
        assert sorted(found) == [("M0000001", "balance_not_lots"),
                                 ("M0000003", "lot_below_zero"),
                                 ("M0000004", "negative_debt")]
        for m in ("M0000001", "M0000003", "M0000004"):
            assert cached(reg, m) == hq_view(reg, numbers[m])
        assert cached(reg, "M0000005")[0] == truth["M0000005"][0] + 11  # left alone
        assert reg.store.op_state(op) == "queued"
    finally:
        restarted.stop()
