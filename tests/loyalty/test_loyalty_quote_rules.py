"""Real-program shapes, table-driven: what a sale earns and how each bonus is explained."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty.program import parse_program
from loyalty.quote import Line, MemberContext, QuoteError, quote, quote_sale
from resources import RESOURCES
from tests.loyalty.helpers import GOLD, jst, lines, program

FIVE_DAY = """
[[campaigns]]
id = "day5"
name = "5のつく日 ポイント5倍"
multiplier = 5
days_of_month = [5, 15, 25]
"""

STACK = """
[[campaigns]]
id = "signup"
name = "ご入会特典"
points = 100
signup = true
[[campaigns]]
id = "over3000"
name = "3,000円以上で100pt"
points = 100
min_yen = 3000
[[campaigns]]
id = "birthday"
name = "お誕生月ボーナス"
points = 200
birthday_month = true
"""

NEW_MEMBER_APRIL = MemberContext(birth_month=4, first_purchase=True, enrolled_on=date(2025, 4, 1))


def test_demo_program_earns_1pt_per_100_yen_floor():
    demo = parse_program((RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8"))
    assert quote_sale(demo, 3280).points_earned == 32
    q = quote_sale(demo, 2480, redeem_points=100, balance=1200)
    assert (q.earn_base_yen, q.points_earned, q.net_change) == (2380, 23, -77)


CASES = [
    # id, program body, basket, member, day, expected breakdown {source: points}
    ("base floor", "", lines(3280), None, jst(2025, 4, 6), {"base": 32}),
    ("gold 1.5x", GOLD, lines(3280), MemberContext(rank="gold"), jst(2025, 4, 6),
     {"base": 32, "rank": 16}),
    ("gold 1.5x rounds its bonus down", GOLD, lines(3380), MemberContext(rank="gold"),
     jst(2025, 4, 6), {"base": 33, "rank": 16}),
    ("regular has no bonus", GOLD, lines(3280), MemberContext(rank="regular"), jst(2025, 4, 6),
     {"base": 32}),
    ("5x day on the 15th", FIVE_DAY, lines(3280), None, jst(2025, 4, 15),
     {"base": 32, "day5": 128}),
    ("5x day not on the 16th", FIVE_DAY, lines(3280), None, jst(2025, 4, 16), {"base": 32}),
    ("gold on a 5x day adds", GOLD + FIVE_DAY, lines(3280), MemberContext(rank="gold"),
     jst(2025, 4, 25), {"base": 32, "rank": 16, "day5": 128}),
    ("gold on a 5x day multiplies", GOLD + FIVE_DAY + "[stacking]\nmultipliers = 'multiply'",
     lines(3280), MemberContext(rank="gold"), jst(2025, 4, 25),
     {"base": 32, "rank": 16, "day5": 192}),
    ("signup + threshold + birthday stack", STACK, lines(3280), NEW_MEMBER_APRIL,
     jst(2025, 4, 6), {"base": 32, "signup": 100, "over3000": 100, "birthday": 200}),
    ("bonuses best-only", STACK + "[stacking]\nbonuses = 'best'", lines(3280),
     NEW_MEMBER_APRIL, jst(2025, 4, 6), {"base": 32, "birthday": 200}),
    ("threshold missed, not birthday month", STACK, lines(2999),
     MemberContext(birth_month=5, first_purchase=True), jst(2025, 4, 6),
     {"base": 29, "signup": 100}),
    ("not a member: no member campaigns", STACK, lines(3280), None, jst(2025, 4, 6),
     {"base": 32, "over3000": 100}),
]


@pytest.mark.parametrize(("body", "basket", "member", "at", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_breakdown(body, basket, member, at, expected):
    q = quote(program(body, head=""), basket, member, at=at)
    assert {b.source: b.points for b in q.breakdown} == expected
    assert q.points_earned == sum(expected.values())


def test_each_bonus_is_named_and_skipped_campaigns_say_why():
    q = quote(program(FIVE_DAY + STACK), lines(2000), MemberContext(birth_month=1),
              at=jst(2025, 4, 16))
    assert [b.name for b in q.breakdown] == ["通常ポイント"]
    reasons = {s.campaign_id: s.reason for s in q.skipped}
    assert reasons == {"day5": "5・15・25日のみ", "signup": "ご入会後の初回お買い物のみ",
                       "over3000": "3,000 円以上のお買い物が対象", "birthday": "お誕生月のみ"}


@pytest.mark.parametrize(("earn", "basket", "expected"), [
    ('exclude_categories = ["tobacco", "gift_card"]',
     lines((1000, "food"), (580, "tobacco"), (3000, "gift_card")), 10),
    ('tax = "excluded"', lines(1100), 10),
    ('tax = "excluded"', lines(1080, tax_rate=8), 10),
    ('tax = "excluded"', lines(1080, tax_rate=0), 10),
    ('round_per = "sale"', lines(250, 250), 5),
    ('round_per = "line"', lines(250, 250), 4),
    ('rounding = "round"\nround_per = "line"', lines(140, 140), 2),
    ('rounding = "round"\nround_per = "sale"', lines(140, 140), 3),
])
def test_earn_base_rules(earn, basket, expected):
    assert quote(program(earn=earn), basket, at=jst(2025, 4, 6)).points_earned == expected


def test_excluded_lines_are_flagged():
    q = quote(program(earn='exclude_categories = ["tobacco"]'), lines((1000, ""), (580, "tobacco")),
              at=jst(2025, 4, 6))
    assert [(ln.earns, ln.earn_base_yen) for ln in q.lines] == [(True, 1000), (False, 0)]


@pytest.mark.parametrize(("earn", "expected_base", "expected_points"), [
    ("", 700, 7),
    ("earn_on_points_paid = true", 1000, 10),
])
def test_part_paid_with_points(earn, expected_base, expected_points):
    q = quote(program(earn=earn), lines(600, 400), MemberContext(balance=500), at=jst(2025, 4, 6),
              redeem_points=300)
    assert (q.earn_base_yen, q.points_earned) == (expected_base, expected_points)
    assert [ln.redeemed_yen for ln in q.lines] == [180, 120]


CATEGORY_3X = """
[[campaigns]]
id = "cosme"
name = "化粧品3倍"
multiplier = 3
categories = ["cosmetics"]
items = ["4901234567894"]
"""


def test_category_and_item_campaign_applies_to_its_lines_only():
    basket = [Line("A", 2000, category="cosmetics"), Line("B", 1000, category="food"),
              Line("4901234567894", 1000, category="food")]
    q = quote(program(CATEGORY_3X), basket, at=jst(2025, 4, 6))
    assert {b.source: b.points for b in q.breakdown} == {"base": 40, "cosme": 60}
    none = quote(program(CATEGORY_3X), lines((1000, "food")), at=jst(2025, 4, 6))
    assert [s.reason for s in none.skipped] == ["対象商品がありません"]


@pytest.mark.parametrize(("condition", "at", "store", "member", "applies"), [
    ('weekdays = ["sat", "sun"]', jst(2025, 4, 5), None, None, True),
    ('weekdays = ["土", "日"]', jst(2025, 4, 7), None, None, False),
    ("starts = 2025-04-01\nends = 2025-04-30", jst(2025, 4, 30, 23, 59), None, None, True),
    ("starts = 2025-04-01\nends = 2025-04-30", jst(2025, 5, 1, 0, 0), None, None, False),
    ('stores = ["S001"]', jst(2025, 4, 6), "S001", None, True),
    ('stores = ["S001"]', jst(2025, 4, 6), "S002", None, False),
    ('ranks = ["gold"]', jst(2025, 4, 6), None, MemberContext(rank="gold"), True),
    ('ranks = ["gold"]', jst(2025, 4, 6), None, MemberContext(rank="regular"), False),
    ('ranks = ["gold"]', jst(2025, 4, 6), None, None, False),
    ('ranks = ["regular"]', jst(2025, 4, 6), None, MemberContext(), True),
    ("signup = true\nsignup_within_days = 30", jst(2025, 4, 30), None, NEW_MEMBER_APRIL, True),
    ("signup = true\nsignup_within_days = 30", jst(2025, 5, 1), None, NEW_MEMBER_APRIL, False),
])
def test_campaign_conditions(condition, at, store, member, applies):
    body = GOLD + f'[[campaigns]]\nid = "c"\nname = "c"\nmultiplier = 2\n{condition}\n'
    q = quote(program(body), lines(1000), member, at=at, store_id=store)
    assert ("c" in {b.source for b in q.breakdown}) is applies


def test_campaign_days_are_local_days():
    # 2025-04-04 20:00 UTC is already the 5th in Japan.
    from datetime import UTC, datetime
    q = quote(program(FIVE_DAY), lines(1000), at=datetime(2025, 4, 4, 20, 0, tzinfo=UTC))
    assert {b.source for b in q.breakdown} == {"base", "day5"}


def test_best_multiplier_only():
    body = FIVE_DAY + CATEGORY_3X + "[stacking]\nmultipliers = 'best'"
    q = quote(program(body), lines((1000, "cosmetics")), at=jst(2025, 4, 5))
    assert {b.source: b.points for b in q.breakdown} == {"base": 10, "day5": 40}
    assert [s.campaign_id for s in q.skipped] == ["cosme"]


BUDGET = """
[[campaigns]]
id = "b"
name = "予算つき"
points = 100
budget_points = 1000
"""


@pytest.mark.parametrize(("spent", "expected"), [({}, 100), ({"b": 970}, 30), ({"b": 1000}, 0)])
def test_budget_caps(spent, expected):
    q = quote(program(BUDGET), lines(1000), at=jst(2025, 4, 6), campaign_spent=spent)
    assert sum(b.points for b in q.breakdown if b.source == "b") == expected
    if expected == 0:
        assert [s.reason for s in q.skipped] == ["予算上限に達しました"]


LIMITED = """
[expiry]
policy = "fixed"
months = 12
end_of_month = true
[[campaigns]]
id = "lim"
name = "期間限定ボーナス"
multiplier = 2
limited_months = 1
"""


def test_campaign_points_are_a_limited_lot_with_their_own_expiry():
    q = quote(program(LIMITED), lines(3280), at=jst(2025, 4, 6))
    assert [(g.kind, g.points, g.source) for g in q.grants] == [
        ("normal", 32, "sale"), ("limited", 32, "lim")]
    assert q.grants[0].expires_at == jst(2026, 5, 1, 0)  # 12 months on, to the month end
    assert q.grants[1].expires_at == jst(2025, 6, 1, 0)  # 翌月末: through 31 May
    assert [e.kind for e in q.expiries] == ["limited", "normal"]


def test_unknown_rank_falls_back_to_the_base_rank_with_a_note():
    q = quote(program(GOLD), lines(1000), MemberContext(rank="platinum"), at=jst(2025, 4, 6))
    assert q.rank == "regular" and q.points_earned == 10 and q.notes


def test_naive_time_is_refused():
    from datetime import datetime
    with pytest.raises(ValueError, match="timezone-aware"):
        quote(program(), lines(1000), at=datetime(2025, 4, 6, 12))


def test_amount_only_quote_needs_a_time_when_campaigns_exist():
    with pytest.raises(QuoteError, match="日時"):
        quote_sale(program(FIVE_DAY), 1000)
    assert quote_sale(program(FIVE_DAY), 1000, at=jst(2025, 4, 5)).points_earned == 50


@pytest.mark.parametrize(("basket", "message"), [
    ([], "商品がありません"),
    (lines(0), "1円以上"),
    ([Line("A", -1)], "1行目: 金額は0円以上"),
    ([Line("A", 100), Line("B", 10.5)], "2行目: 金額は整数"),  # type: ignore[arg-type]
    ([Line("A", 100, tax_rate=120)], "税率"),
    ([Line("A", 99_999_999), Line("B", 1)], "大きすぎます"),
])
def test_bad_baskets_are_refused(basket, message):
    with pytest.raises(QuoteError, match=message):
        quote(program(), basket, at=jst(2025, 4, 6))
