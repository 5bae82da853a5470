"""Ledger scenarios from real programs: spending order, expiry styles, returns, debt, merges."""

from __future__ import annotations

import pytest

from loyalty.expiry import Activity, ExpiryKind, ExpiryPolicy
from loyalty.ledger import (
    Account,
    EntryKind,
    LedgerError,
    LotKind,
    adjust,
    check_invariants,
    earn,
    expire,
    lot_summaries,
    merge,
    offline_allowance,
    post_sale,
    redeem,
    reissue_card,
    restore_redeem,
    return_sale,
    reverse_earn,
    settle_debt,
)
from loyalty.lots import Debt, InvariantError, Lot
from tests.loyalty.helpers import jst

FIXED = ExpiryPolicy(ExpiryKind.FIXED, months=12)
NONE = ExpiryPolicy()


def remaining(acct: Account) -> dict[str, int]:
    return {lot.lot_id: lot.remaining for lot in acct.lots}


def ok(applied):
    check_invariants(applied.account)
    return applied.account


def test_limited_time_points_are_spent_first_then_soonest_then_oldest():
    a = Account("M1")
    a = ok(earn(a, op_id="s1", at=jst(2025, 1, 5), points=300, issuer="C1", policy=FIXED))
    a = ok(earn(a, op_id="s2", at=jst(2025, 2, 5), points=300, issuer="C2", policy=FIXED))
    a = ok(earn(a, op_id="camp", at=jst(2025, 3, 1), points=100, issuer="C1",
                kind=LotKind.LIMITED, expires_at=jst(2025, 5, 1, 0)))
    applied = redeem(a, op_id="r1", at=jst(2025, 3, 10), points=450, redeemer="C9")
    a = ok(applied)
    assert remaining(a) == {"s1#0": 0, "s2#0": 250, "camp#0": 0}
    (entry,) = applied.entries
    assert entry.kind is EntryKind.REDEEM and entry.points == -450
    assert [(x.lot_id, x.issuer, x.redeemer, x.points) for x in entry.allocations] == [
        ("camp#0", "C1", "C9", 100), ("s1#0", "C1", "C9", 300), ("s2#0", "C2", "C9", 50)]


def test_limited_before_normal_on_the_same_expiry_day():
    a = Account("M1")
    a = ok(earn(a, op_id="n", at=jst(2025, 1, 5), points=10, issuer="C1",
                expires_at=jst(2025, 6, 1, 0)))
    a = ok(earn(a, op_id="l", at=jst(2025, 2, 5), points=10, issuer="C1", kind=LotKind.LIMITED,
                expires_at=jst(2025, 6, 1, 0)))
    a = ok(redeem(a, op_id="r", at=jst(2025, 3, 1), points=10, redeemer="C1"))
    assert remaining(a) == {"n#0": 10, "l#0": 0}


ROLLING_EARN = ExpiryPolicy(ExpiryKind.ROLLING, months=12, counts=Activity.EARN)
ROLLING_ANY = ExpiryPolicy(ExpiryKind.ROLLING, months=12, counts=Activity.EARN_OR_USE)


@pytest.mark.parametrize(("policy", "expired_on_2026_02_01"), [
    (ROLLING_EARN, True),  # Rakuten: using points does not extend them
    (ROLLING_ANY, False),  # Ponta: using points does
])
def test_rolling_expiry_counts_earns_only_or_earn_and_use(policy, expired_on_2026_02_01):
    a = Account("M1")
    a = ok(earn(a, op_id="e1", at=jst(2025, 1, 10), points=500, issuer="C1", policy=policy))
    a = ok(redeem(a, op_id="r1", at=jst(2025, 6, 1), points=100, redeemer="C1"))
    a = ok(expire(a, op_id="x1", as_of=jst(2026, 1, 9, 23, 59), policy=policy))
    assert a.balance == 400  # one year from the earn is not over yet
    applied = expire(a, op_id="x2", as_of=jst(2026, 2, 1, 0), policy=policy)
    a = ok(applied)
    assert (a.balance == 0) is expired_on_2026_02_01
    if expired_on_2026_02_01:
        assert [e.kind for e in applied.entries] == [EntryKind.EXPIRE]
    a = ok(expire(a, op_id="x3", as_of=jst(2026, 6, 1, 0), policy=policy))
    assert a.balance == 0


def test_rolling_leaves_limited_lots_to_their_own_date_and_an_earn_extends_all():
    a = Account("M1")
    a = ok(earn(a, op_id="e1", at=jst(2025, 1, 10), points=100, issuer="C1", policy=ROLLING_EARN))
    a = ok(earn(a, op_id="l1", at=jst(2025, 1, 10), points=50, issuer="C1",
                kind=LotKind.LIMITED, expires_at=jst(2025, 3, 1, 0)))
    a = ok(expire(a, op_id="x1", as_of=jst(2025, 3, 1, 0), policy=ROLLING_EARN))
    assert remaining(a) == {"e1#0": 100, "l1#0": 0}
    a = ok(earn(a, op_id="e2", at=jst(2025, 12, 1), points=1, issuer="C1", policy=ROLLING_EARN))
    a = ok(expire(a, op_id="x2", as_of=jst(2026, 6, 1, 0), policy=ROLLING_EARN))
    assert a.balance == 101
    assert [(s.points, s.expires_at) for s in lot_summaries(a, ROLLING_EARN)] == [
        (101, jst(2026, 12, 1, 0))]


def test_fixed_term_lots_expire_one_by_one():
    a = Account("M1")
    a = ok(earn(a, op_id="e1", at=jst(2025, 1, 10), points=100, issuer="C1", policy=FIXED))
    a = ok(earn(a, op_id="e2", at=jst(2025, 3, 10), points=70, issuer="C1", policy=FIXED))
    a = ok(expire(a, op_id="x", as_of=jst(2026, 1, 10, 0), policy=FIXED))
    assert remaining(a) == {"e1#0": 0, "e2#0": 70}
    # Points past their date cannot be spent even before the expiry job has run.
    with pytest.raises(LedgerError) as err:
        redeem(a, op_id="r", at=jst(2026, 3, 10, 0), points=1, redeemer="C1")
    assert err.value.reason == "insufficient_points"


def test_partial_return_after_the_points_were_spent_becomes_debt_settled_by_later_earns():
    a = Account("M1")
    # A ¥10,000 sale earned 100 pt; the member spent them all elsewhere.
    a = ok(earn(a, op_id="sale", at=jst(2025, 4, 1), points=100, issuer="C1"))
    a = ok(redeem(a, op_id="spend", at=jst(2025, 4, 2), points=100, redeemer="C1"))
    # Then returned ¥3,000 of the sale: 30 pt to take back, none left in the lot.
    applied = return_sale(a, op_id="ret1", at=jst(2025, 4, 3), sale_yen=10000,
                          returned_yen=3000, lot_ids=("sale#0",))
    a = ok(applied)
    assert [(e.kind, e.points, e.debt) for e in applied.entries] == [
        (EntryKind.REVERSE_EARN, 0, 0), (EntryKind.DEBT, -30, 30)]
    assert (a.balance, a.debt) == (-30, 30)
    # The next earn pays the debt first.
    applied = earn(a, op_id="sale2", at=jst(2025, 4, 10), points=50, issuer="C1")
    a = ok(applied)
    assert [(e.kind, e.points, e.debt) for e in applied.entries] == [
        (EntryKind.EARN, 50, 0), (EntryKind.DEBT_SETTLE, 0, -30)]
    assert (a.balance, a.debt, remaining(a)["sale2#0"]) == (20, 0, 20)
    # The rest of the sale returned: the lot is reversed in full, 100 pt in all.
    a = ok(return_sale(a, op_id="ret2", at=jst(2025, 4, 11), sale_yen=10000,
                       returned_yen=7000, lot_ids=("sale#0",)))
    assert a.lot("sale#0").reversed == 100
    assert (a.balance, a.debt) == (-50, 50)


def test_a_shortfall_is_paid_at_once_from_other_points():
    a = Account("M1")
    a = ok(earn(a, op_id="old", at=jst(2025, 1, 1), points=500, issuer="C1"))
    # The sale's lot expires (the old one does not), so it is spent first.
    a = ok(earn(a, op_id="sale", at=jst(2025, 4, 1), points=100, issuer="C2", policy=FIXED))
    a = ok(redeem(a, op_id="spend", at=jst(2025, 4, 2), points=150, redeemer="C1"))
    assert remaining(a) == {"old#0": 450, "sale#0": 0}
    applied = reverse_earn(a, op_id="ret", at=jst(2025, 4, 3), lot_id="sale#0",
                           returned_yen=1000, sale_yen=1000)
    a = ok(applied)
    assert [(e.kind, e.points, e.debt) for e in applied.entries] == [
        (EntryKind.REVERSE_EARN, 0, 0), (EntryKind.DEBT, -100, 100),
        (EntryKind.DEBT_SETTLE, 0, -100)]
    assert (a.balance, a.debt, remaining(a)) == (350, 0, {"old#0": 350, "sale#0": 0})


def test_restored_points_keep_their_original_lots_and_expiry():
    a = Account("M1")
    a = ok(earn(a, op_id="e1", at=jst(2025, 1, 10), points=100, issuer="C1", policy=FIXED))
    a = ok(earn(a, op_id="e2", at=jst(2025, 3, 10), points=100, issuer="C2", policy=FIXED))
    before = a.lots
    a = ok(redeem(a, op_id="r1", at=jst(2025, 4, 1), points=150, redeemer="C3"))
    applied = restore_redeem(a, op_id="ret", at=jst(2025, 4, 5), redemption_id="r1", points=60)
    a = ok(applied)
    # A partial restore gives back the latest-expiring points first.
    assert remaining(a) == {"e1#0": 10, "e2#0": 100}
    a = ok(restore_redeem(a, op_id="ret2", at=jst(2025, 4, 6), redemption_id="r1"))
    assert a.lots == before
    with pytest.raises(LedgerError) as err:
        restore_redeem(a, op_id="ret3", at=jst(2025, 4, 7), redemption_id="r1")
    assert err.value.reason == "bad_amount"  # nothing left to give back: never twice


def test_full_return_in_parts_equals_one_full_return():
    def sale():
        a = Account("M1")
        a = ok(earn(a, op_id="e0", at=jst(2025, 1, 1), points=1000, issuer="C1"))
        a = ok(redeem(a, op_id="s", at=jst(2025, 4, 1), points=333, redeemer="C1"))
        return ok(earn(a, op_id="s", at=jst(2025, 4, 1), points=97, issuer="C1"))

    start = Account("M1")
    start = ok(earn(start, op_id="e0", at=jst(2025, 1, 1), points=1000, issuer="C1"))
    whole = ok(return_sale(sale(), op_id="r", at=jst(2025, 4, 2), sale_yen=9999,
                           returned_yen=9999, lot_ids=("s#0",), redemption_id="s"))
    parts = sale()
    for n, yen in enumerate((1, 4000, 3333, 2665)):
        parts = ok(return_sale(parts, op_id=f"r{n}", at=jst(2025, 4, 2), sale_yen=9999,
                               returned_yen=yen, lot_ids=("s#0",), redemption_id="s"))
    for acct in (whole, parts):
        assert (acct.balance, acct.debt) == (start.balance, 0)
        assert remaining(acct) == {"e0#0": 1000, "s#0": 0}
    with pytest.raises(LedgerError) as err:
        return_sale(parts, op_id="again", at=jst(2025, 4, 3), sale_yen=9999, returned_yen=1,
                    lot_ids=("s#0",))
    assert err.value.reason == "over_return"


def test_offline_double_spend_becomes_debt_within_the_cap():
    a = Account("M1")
    a = ok(earn(a, op_id="e", at=jst(2025, 4, 1), points=1000, issuer="C1"))
    # Two stores each allowed the member 800 pt offline; HQ keeps both sales.
    a = ok(redeem(a, op_id="storeA", at=jst(2025, 4, 2), points=800, redeemer="C1",
                  allow_debt=True))
    applied = redeem(a, op_id="storeB", at=jst(2025, 4, 2), points=800, redeemer="C2",
                     allow_debt=True)
    a = ok(applied)
    assert (a.balance, a.debt) == (-600, 600)
    # Returning store B's sale cancels the debt it made, without minting points.
    a = ok(restore_redeem(a, op_id="ret", at=jst(2025, 4, 3), redemption_id="storeB"))
    assert (a.balance, a.debt) == (200, 0)
    with pytest.raises(LedgerError) as err:
        redeem(a, op_id="storeC", at=jst(2025, 4, 3), points=201, redeemer="C1")
    assert err.value.reason == "insufficient_points"


def test_restoring_a_debt_already_paid_gives_the_points_back_to_the_lots_that_paid_it():
    a = ok(redeem(Account("M1"), op_id="r", at=jst(2025, 4, 1), points=100, redeemer="C1",
                  allow_debt=True))
    a = ok(earn(a, op_id="e", at=jst(2025, 4, 2), points=150, issuer="C1", policy=FIXED))
    assert (a.balance, a.debt, remaining(a)) == (50, 0, {"e#0": 50})
    a = ok(restore_redeem(a, op_id="ret", at=jst(2025, 4, 3), redemption_id="r"))
    assert (a.balance, a.debt, remaining(a)) == (150, 0, {"e#0": 150})


def test_returning_the_sale_whose_points_paid_a_debt_makes_it_owed_again():
    a = ok(redeem(Account("M1"), op_id="r", at=jst(2025, 4, 1), points=100, redeemer="C1",
                  allow_debt=True))
    a = ok(earn(a, op_id="e", at=jst(2025, 4, 2), points=150, issuer="C1"))
    applied = reverse_earn(a, op_id="ret", at=jst(2025, 4, 3), lot_id="e#0", returned_yen=1,
                           sale_yen=1)
    a = ok(applied)
    assert [(e.kind, e.debt, e.ref) for e in applied.entries] == [
        (EntryKind.REVERSE_EARN, 0, "e#0"), (EntryKind.DEBT, 100, "r")]
    assert [(d.debt_id, d.owed) for d in a.debts] == [("r", 100)]


@pytest.mark.parametrize(("balance", "pending", "cap", "expected"), [
    (5000, 0, 3000, 3000), (5000, 4000, 3000, 1000), (5000, 6000, 3000, 0),
    (100, 0, None, 100), (-50, 0, 3000, 0), (800, 0, 0, 0),
])
def test_offline_allowance(balance, pending, cap, expected):
    assert offline_allowance(balance, pending, cap) == expected


@pytest.mark.parametrize(("balance", "pending", "cap", "offline", "expected"), [
    (5000, 300, 300, 300, 0),  # the cap is spent by an earlier offline sale
    (5000, 500, 300, 100, 200),  # 400 of the queue went through holds: only 100 counts
    (5000, 0, None, 0, 5000), (250, 100, 300, 100, 150),
])
def test_the_offline_cap_bounds_the_members_whole_outage_not_each_sale(
        balance, pending, cap, offline, expected):
    assert offline_allowance(balance, pending, cap, offline) == expected


def test_merge_moves_lots_with_their_expiry_and_keeps_old_sales_returnable():
    src = Account("OLD")
    src = ok(earn(src, op_id="a", at=jst(2025, 1, 1), points=100, issuer="C1", policy=FIXED))
    src = ok(redeem(src, op_id="b", at=jst(2025, 2, 1), points=30, redeemer="C1"))
    dst = ok(earn(Account("NEW"), op_id="c", at=jst(2025, 3, 1), points=50, issuer="C2",
                  kind=LotKind.LIMITED, expires_at=jst(2025, 4, 1, 0)))
    s_applied, d_applied = merge(src, dst, op_id="m", at=jst(2025, 3, 5))
    src2, dst2 = ok(s_applied), ok(d_applied)
    assert (src2.balance, src2.lots) == (0, ())
    assert dst2.balance == 120
    assert dst2.lot("a#0").expires_at == src.lot("a#0").expires_at
    assert [e.kind for e in s_applied.entries] == [EntryKind.MERGE_OUT]
    assert [e.kind for e in d_applied.entries] == [EntryKind.MERGE_IN]
    # The redemption made under the old number is restored in the merged member.
    dst3 = ok(restore_redeem(dst2, op_id="ret", at=jst(2025, 3, 6), redemption_id="b"))
    assert dst3.lot("a#0").remaining == 100
    with pytest.raises(LedgerError):
        merge(dst2, dst2, op_id="m2", at=jst(2025, 3, 6))


def test_merge_carries_debt_and_settles_it():
    src = ok(redeem(Account("OLD"), op_id="r", at=jst(2025, 1, 1), points=40, redeemer="C1",
                    allow_debt=True))
    dst = ok(earn(Account("NEW"), op_id="e", at=jst(2025, 1, 1), points=100, issuer="C1"))
    _, d = merge(src, dst, op_id="m", at=jst(2025, 1, 2))
    dst2 = ok(d)
    assert (dst2.balance, dst2.debt) == (60, 0)


def test_card_reissue_moves_nothing():
    a = ok(earn(Account("M1"), op_id="e", at=jst(2025, 1, 1), points=10, issuer="C1"))
    assert reissue_card(a) == (a, ())


def test_adjustments_need_a_reason_and_stay_within_the_balance():
    a = ok(adjust(Account("M1"), op_id="a1", at=jst(2025, 1, 1), points=100, reason="お詫び",
                  issuer="C1", policy=FIXED))
    assert a.lots[0].expires_at == jst(2026, 1, 1, 0)
    a = ok(adjust(a, op_id="a2", at=jst(2025, 1, 2), points=-40, reason="誤付与", issuer="C1"))
    assert a.balance == 60
    for points, reason, code in [(-61, "x", "insufficient_points"), (5, " ", "no_reason"),
                                 (0, "x", "bad_amount")]:
        with pytest.raises(LedgerError) as err:
            adjust(a, op_id="a3", at=jst(2025, 1, 3), points=points, reason=reason, issuer="C1")
        assert err.value.reason == code
    a = ok(adjust(a, op_id="a4", at=jst(2025, 1, 3), points=-70, reason="x", issuer="C1",
                  allow_debt=True))
    assert (a.balance, a.debt) == (-10, 10)
    assert settle_debt(a, op_id="s", at=jst(2025, 1, 4)).entries == ()


@pytest.mark.parametrize(("call", "reason"), [
    (lambda a: earn(a, op_id="e", at=jst(2025, 1, 1), points=0, issuer="C1"), "bad_amount"),
    (lambda a: earn(a, op_id="e", at=jst(2025, 1, 1), points=1, issuer="C1",
                    kind=LotKind.LIMITED), "bad_lot"),
    (lambda a: earn(a, op_id="x", at=jst(2025, 1, 1), points=1, issuer="C1", lot_id="x#0"),
     "lot_exists"),
    (lambda a: redeem(a, op_id="r", at=jst(2025, 1, 1), points=1, redeemer="C1"),
     "redemption_exists"),
    (lambda a: reverse_earn(a, op_id="v", at=jst(2025, 1, 1), lot_id="nope", returned_yen=1,
                            sale_yen=1), "unknown_lot"),
    (lambda a: reverse_earn(a, op_id="v", at=jst(2025, 1, 1), lot_id="x#0", returned_yen=2,
                            sale_yen=1), "over_return"),
    (lambda a: restore_redeem(a, op_id="v", at=jst(2025, 1, 1), redemption_id="zz"),
     "unknown_redemption"),
    (lambda a: restore_redeem(a, op_id="v", at=jst(2025, 1, 1), redemption_id="r", points=99),
     "over_restore"),
])
def test_refusals_have_stable_reasons(call, reason):
    a = ok(earn(Account("M1"), op_id="x", at=jst(2025, 1, 1), points=10, issuer="C1"))
    a = ok(redeem(a, op_id="r", at=jst(2025, 1, 1), points=5, redeemer="C1"))
    with pytest.raises(LedgerError) as err:
        call(a)
    assert err.value.reason == reason


def test_naive_times_are_refused():
    from datetime import datetime
    with pytest.raises(ValueError, match="timezone-aware"):
        earn(Account("M1"), op_id="e", at=datetime(2025, 1, 1), points=1, issuer="C1")


def test_invariant_checker_catches_a_broken_account():
    good = ok(earn(Account("M1"), op_id="e", at=jst(2025, 1, 1), points=10, issuer="C1"))
    lot = good.lots[0]
    broken = [
        Account("M1", lots=(Lot("x", "C1", LotKind.NORMAL, 5, -1, jst(2025, 1, 1), None),),
                carried_points=-1),
        Account("M1", lots=good.lots, entries=good.entries, debts=(Debt("d", -1),),
                carried_debt=-1),
        Account("M1", lots=(lot, lot), entries=good.entries, carried_points=10),
        # Totals agree, but points sit in a lot no entry put them in.
        Account("M1", lots=(Lot("e#0", "C1", LotKind.NORMAL, 10, 9, jst(2025, 1, 1), None),
                            Lot("y", "C1", LotKind.NORMAL, 1, 1, jst(2025, 1, 1), None)),
                entries=good.entries),
    ]
    for acct in broken:
        with pytest.raises(InvariantError):
            check_invariants(acct)


def test_a_quoted_sale_is_posted_and_returned_in_full():
    from loyalty.quote import MemberContext, quote
    from tests.loyalty.helpers import lines, program

    prog = program("""
[expiry]
policy = "fixed"
months = 12
[[campaigns]]
id = "lim"
name = "期間限定 2倍"
multiplier = 2
limited_days = 30
""")
    a = ok(earn(Account("M1"), op_id="e0", at=jst(2025, 1, 1), points=500, issuer="C1",
                policy=prog.expiry))
    before = (a.balance, remaining(a))
    q = quote(prog, lines(3280), MemberContext(balance=a.balance), at=jst(2025, 4, 6),
              redeem_points=280)
    applied = post_sale(a, op_id="s1", at=jst(2025, 4, 6, 12, 5), redeem_points=q.redeem_points,
                        grants=q.grants, issuer="C1", redeemer="C1", policy=prog.expiry)
    a = ok(applied)
    assert a.balance == 500 - 280 + 30 + 30
    assert [(lot.lot_id, lot.kind, lot.expires_at) for lot in a.lots[1:]] == [
        ("s1#0", LotKind.NORMAL, jst(2026, 4, 6, 0)), ("s1#1", LotKind.LIMITED, jst(2025, 5, 6, 0))]
    a = ok(return_sale(a, op_id="ret", at=jst(2025, 4, 7), sale_yen=q.amount_yen,
                       returned_yen=q.amount_yen, lot_ids=("s1#0", "s1#1"), redemption_id="s1"))
    assert a.balance == before[0]
    assert {k: v for k, v in remaining(a).items() if k in before[1]} == before[1]
