"""Redemption: how much a sale may use, why not more, and the refusals the cashier sees."""

from __future__ import annotations

import pytest

from loyalty.program import parse_program
from loyalty.quote import HeldLot, MemberContext, QuoteError, quote
from loyalty.redeeming import spread
from tests.loyalty.helpers import jst, lines, program

P = program(redeem='max_per_sale = 3000\nexclude_categories = ["gift_card"]')


@pytest.mark.parametrize(("basket", "member", "max_points", "reason"), [
    (lines(5000), MemberContext(balance=1234), 1234, "balance"),
    (lines(5000), MemberContext(balance=9000), 3000, "per_sale"),
    (lines(800, (5000, "gift_card")), MemberContext(balance=9000), 800, "eligible"),
    (lines(5000), MemberContext(balance=9000, offline_allowance=500), 500, "offline"),
    (lines(5000), MemberContext(balance=-40), 0, "balance"),
    (lines(5000), None, 0, "no_member"),
])
def test_redeem_limit_says_why_not_more(basket, member, max_points, reason):
    q = quote(P, basket, member, at=jst(2025, 4, 6))
    assert (q.redeem_limit.max_points, q.redeem_limit.reason) == (max_points, reason)
    assert q.redeem_limit.message


@pytest.mark.parametrize(("balance", "max_points", "reason", "fragment"), [
    (1234, 1230, "balance", "10 pt 単位"),
    (95, 0, "minimum", "100 pt 以上"),
])
def test_unit_and_minimum_shape_the_limit(balance, max_points, reason, fragment):
    prog = _unit_program()
    q = quote(prog, lines(5000), MemberContext(balance=balance), at=jst(2025, 4, 6))
    assert (q.redeem_limit.max_points, q.redeem_limit.reason) == (max_points, reason)
    assert fragment in q.redeem_limit.message


def _unit_program():
    # The helper's [redeem] already sets unit and minimum; this one needs its own.
    return parse_program("""
[program]
version = 1
name = "t"
company_id = "C"
[earn]
points = 1
per_yen = 100
[redeem]
unit = 10
minimum = 100
""")


@pytest.mark.parametrize(("basket", "member", "points", "message"), [
    (lines(5000), MemberContext(balance=500), 600, "残高（500 pt）"),
    (lines(5000), MemberContext(balance=9000), 3010, "1回のご利用は 3,000 pt まで"),
    (lines(800, (5000, "gift_card")), MemberContext(balance=9000), 900, "対象の金額（800 円）"),
    (lines(500), MemberContext(balance=9000), 600, "お会計金額を超えて"),
    (lines(5000), MemberContext(balance=9000, offline_allowance=500), 600, "オフライン中は 500 pt"),
    (lines(5000), None, 100, "会員を確認"),
    (lines(5000), MemberContext(balance=9000), -1, "0以上"),
])
def test_refusals(basket, member, points, message):
    with pytest.raises(QuoteError, match=message):
        quote(P, basket, member, at=jst(2025, 4, 6), redeem_points=points)


def test_points_pay_only_eligible_lines():
    q = quote(P, lines(600, (5000, "gift_card"), 400), MemberContext(balance=9000),
              at=jst(2025, 4, 6), redeem_points=1000)
    assert [ln.redeemed_yen for ln in q.lines] == [600, 0, 400]
    assert [ln.redeemable for ln in q.lines] == [True, False, True]


@pytest.mark.parametrize(("total", "weights", "expected"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (2, [1, 1, 1], [1, 1, 0]),
    (10, [0, 5, 5], [0, 5, 5]),
    (0, [3, 4], [0, 0]),
    (7, [0, 0], [0, 0]),
    (999, [333, 333, 333], [333, 333, 333]),
])
def test_spread_is_exact_and_bounded(total, weights, expected):
    got = spread(total, weights)
    assert got == expected
    if sum(weights):
        assert sum(got) == total
    assert all(g <= w for g, w in zip(got, weights, strict=True) if total <= sum(weights))


def test_expiry_explanation_shows_what_the_redemption_leaves():
    member = MemberContext(balance=300, lots=(
        HeldLot("normal", 200, jst(2026, 1, 1, 0)), HeldLot("limited", 100, jst(2025, 5, 1, 0))))
    q = quote(program(), lines(1000), member, at=jst(2025, 4, 6), redeem_points=150)
    held = [(e.kind, e.points, e.new) for e in q.expiries]
    assert held == [("normal", 150, False), ("normal", 8, True)]
