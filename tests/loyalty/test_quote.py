"""Quoting a sale: base earn with rounding, redemption limits, absurd input refused."""

import pytest

from loyalty.program import parse_program
from loyalty.quote import MAX_SALE_YEN, QuoteError, quote_sale


def program(per_yen=100, rounding="floor", unit=1, minimum=1):
    return parse_program(f"""
[program]
version = 1
name = "t"
company_id = "C"
[earn]
points = 1
per_yen = {per_yen}
rounding = "{rounding}"
[redeem]
unit = {unit}
minimum = {minimum}
""")


@pytest.mark.parametrize(
    ("rounding", "amount", "expected"),
    [("floor", 199, 1), ("floor", 200, 2), ("ceil", 101, 2), ("ceil", 100, 1),
     ("round", 149, 1), ("round", 150, 2), ("floor", 99, 0)],
)
def test_base_earn_rounding(rounding, amount, expected):
    assert quote_sale(program(rounding=rounding), amount).points_earned == expected


def test_part_paid_with_points_earns_nothing():
    q = quote_sale(program(), 1000, redeem_points=300, balance=500)
    assert q.earn_base_yen == 700
    assert q.points_earned == 7
    assert q.net_change == 7 - 300


@pytest.mark.parametrize(
    ("amount", "redeem", "balance", "message"),
    [
        (0, 0, 0, "1円以上"),
        (-500, 0, 0, "1円以上"),
        (MAX_SALE_YEN + 1, 0, 0, "大きすぎます"),
        (1000, 600, 500, "残高"),
        (100, 200, 500, "お会計金額を超えて"),
        (1000, -1, 500, "0以上"),
    ],
)
def test_bad_amounts_are_refused(amount, redeem, balance, message):
    with pytest.raises(QuoteError, match=message):
        quote_sale(program(), amount, redeem_points=redeem, balance=balance)


def test_redemption_unit_and_minimum():
    p = program(unit=10, minimum=100)
    with pytest.raises(QuoteError, match="100 pt 以上"):
        quote_sale(p, 1000, redeem_points=50, balance=500)
    with pytest.raises(QuoteError, match="10 pt 単位"):
        quote_sale(p, 1000, redeem_points=105, balance=500)
    assert quote_sale(p, 1000, redeem_points=110, balance=500).redeem_points == 110


def test_float_amount_is_refused():
    with pytest.raises(QuoteError):
        quote_sale(program(), 100.5)  # type: ignore[arg-type]
