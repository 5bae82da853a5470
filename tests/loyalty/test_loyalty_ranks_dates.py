"""Ranks as of a date, calendar arithmetic for expiry, and exact multipliers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from loyalty.dates import JST, add_months, last_valid_day, month_end_after, parse_utc_offset
from loyalty.expiry import Activity, ExpiryKind, ExpiryPolicy, limited_expiry
from loyalty.ranks import Purchase, evaluate_rank
from loyalty.ratio import Ratio, RatioError
from tests.loyalty.helpers import jst, program

RANKS = """
[ranking]
window_days = 365
[[ranks]]
code = "regular"
name = "レギュラー"
[[ranks]]
code = "silver"
name = "シルバー"
multiplier = "1.2"
min_spend_yen = 30000
[[ranks]]
code = "gold"
name = "ゴールド"
multiplier = "1.5"
min_spend_yen = 100000
min_visits = 24
[[ranks]]
code = "loyal"
name = "ロイヤル"
multiplier = 2
min_spend_yen = 300000
min_years = 5
require = "any"
"""


def visits(n: int, each: int, start: datetime) -> list[Purchase]:
    return [Purchase(start + timedelta(days=7 * i), each) for i in range(n)]


AS_OF = jst(2025, 4, 1, 0)


@pytest.mark.parametrize(("purchases", "enrolled", "rank", "next_rank", "to_next"), [
    ([], date(2024, 4, 1), "regular", "silver", [("spend", 30000)]),
    (visits(3, 10000, jst(2024, 6, 1)), None, "silver", "gold",
     [("spend", 70000), ("visits", 21)]),
    (visits(30, 4000, jst(2024, 5, 1)), None, "gold", "loyal",
     [("spend", 180000), ("years", 5)]),
    # Spend high but too few visits: not gold, silver.
    (visits(2, 60000, jst(2024, 6, 1)), None, "silver", "gold", [("visits", 22)]),
    # Five years of membership alone is enough for "any".
    ([], date(2020, 3, 31), "loyal", None, []),
    # Purchases before the window do not count; a return offsets its sale.
    ([Purchase(jst(2024, 3, 31), 50000), Purchase(jst(2024, 5, 1), 40000),
      Purchase(jst(2024, 5, 2), -15000)], None, "regular", "silver", [("spend", 5000)]),
])
def test_rank_as_of_a_date(purchases, enrolled, rank, next_rank, to_next):
    p = program(RANKS)
    status = evaluate_rank(p.ranking, purchases, enrolled_on=enrolled, as_of=AS_OF, tz=p.tz)
    assert status.rank.code == rank
    assert (status.next_rank.code if status.next_rank else None) == next_rank
    assert [(s.criterion, s.needed) for s in status.to_next] == to_next
    assert all(s.text.startswith("あと") for s in status.to_next)


def test_visits_are_distinct_local_days():
    p = program(RANKS)
    same_day = [Purchase(jst(2025, 1, 10, 9), 1000), Purchase(jst(2025, 1, 10, 20), 1000),
                Purchase(datetime(2025, 1, 10, 16, tzinfo=UTC), 1000)]  # 01:00 on the 11th JST
    status = evaluate_rank(p.ranking, same_day, enrolled_on=None, as_of=AS_OF, tz=p.tz)
    assert (status.visits, status.spend_yen) == (2, 3000)


def test_rank_evaluation_moves_with_the_date():
    p = program(RANKS)
    history = visits(3, 10000, jst(2024, 6, 1))
    later = evaluate_rank(p.ranking, history, enrolled_on=None, as_of=jst(2025, 6, 20), tz=p.tz)
    assert later.rank.code == "regular"


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 11, 15), 3, date(2026, 2, 15)),
    (date(2025, 3, 15), -3, date(2024, 12, 15)),
])
def test_add_months_clamps(day, months, expected):
    assert add_months(day, months) == expected


def test_month_end_after():
    assert month_end_after(date(2025, 3, 15), 48) == date(2029, 3, 31)
    assert month_end_after(date(2025, 12, 1), 2) == date(2026, 2, 28)


@pytest.mark.parametrize(("policy", "earned", "last_valid"), [
    (ExpiryPolicy(ExpiryKind.FIXED, months=12), jst(2025, 3, 15), date(2026, 3, 14)),
    (ExpiryPolicy(ExpiryKind.FIXED, months=48, end_of_month=True), jst(2025, 3, 15),
     date(2029, 3, 31)),
    # Late evening UTC is already the next day in Japan.
    (ExpiryPolicy(ExpiryKind.FIXED, months=12), datetime(2025, 3, 14, 16, tzinfo=UTC),
     date(2026, 3, 14)),
])
def test_fixed_terms(policy, earned, last_valid):
    assert last_valid_day(policy.lot_expiry(earned), JST) == last_valid


def test_rolling_deadline_counts_the_configured_activities():
    earn_only = ExpiryPolicy(ExpiryKind.ROLLING, months=12, counts=Activity.EARN)
    earn_or_use = ExpiryPolicy(ExpiryKind.ROLLING, months=12, counts=Activity.EARN_OR_USE)
    earned, used = jst(2025, 1, 10), jst(2025, 6, 1)
    assert earn_only.rolling_deadline(earned, used) == jst(2026, 1, 10, 0)
    assert earn_or_use.rolling_deadline(earned, used) == jst(2026, 6, 1, 0)
    assert earn_only.rolling_deadline(None, None) is None
    assert ExpiryPolicy(ExpiryKind.FIXED).rolling_deadline(earned, used) is None
    assert earn_only.lot_expiry(earned) is None


def test_limited_expiry_styles():
    at = jst(2025, 4, 6, 15)
    assert limited_expiry(at, JST, days=1) == jst(2025, 4, 7, 0)  # the day of grant only
    assert limited_expiry(at, JST, months=1) == jst(2025, 6, 1, 0)  # 翌月末
    assert limited_expiry(at, JST, months=0) == jst(2025, 5, 1, 0)  # 当月末
    with pytest.raises(ValueError):
        limited_expiry(at, JST)


@pytest.mark.parametrize(("text", "ok"), [("+09:00", True), ("-05:30", True), ("+9", False),
                                          ("+15:00", False), ("JST", False)])
def test_utc_offsets(text, ok):
    if ok:
        assert parse_utc_offset(text).utcoffset(None) is not None
    else:
        with pytest.raises(ValueError):
            parse_utc_offset(text)


@pytest.mark.parametrize(("value", "num", "den", "shown"), [
    ("1.5", 3, 2, "1.5"), ("3/2", 3, 2, "1.5"), ("150%", 3, 2, "1.5"), (5, 5, 1, "5"),
    ("1.25", 5, 4, "1.25"), ("4/3", 4, 3, "4/3"), ("1%", 1, 100, "0.01"), (" 2 ", 2, 1, "2"),
])
def test_ratio_parsing_is_exact(value, num, den, shown):
    r = Ratio.parse(value)
    assert (r.num, r.den, str(r)) == (num, den, shown)


@pytest.mark.parametrize("value", ["1.5x", "", "1/0", "-1", True, 1.5, None, "1e3", "1.1234567"])
def test_ratio_refuses_inexact_or_odd_input(value):
    with pytest.raises(RatioError):
        Ratio.parse(value)


def test_ratio_arithmetic():
    r = Ratio.parse("1.5")
    assert r.minus_one() == Ratio.of(1, 2)
    assert r.floor_of(33) == 49
    assert r.times(Ratio.of(5)) == Ratio.of(15, 2)
    assert Ratio.of(4, 3) < r <= Ratio.of(3, 2) < Ratio.of(2) and r >= Ratio.of(1)
    with pytest.raises(RatioError):
        Ratio.of(1, 2).minus_one()
