"""Program file parsing: valid documents load, invalid ones name the field."""

import pytest

from loyalty.program import ProgramError, Rounding, parse_program
from resources import RESOURCES

VALID = """
[program]
version = 3
name = "テスト"
company_id = "C9"
[earn]
points = 1
per_yen = 200
rounding = "round"
[redeem]
unit = 10
minimum = 100
"""


def test_demo_program_loads():
    program = parse_program((RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8"))
    assert program.version == 1
    assert program.earn.per_yen == 100
    assert program.receipt_footer


def test_fields_are_read():
    p = parse_program(VALID)
    assert (p.version, p.company_id, p.earn.per_yen, p.earn.rounding) == (3, "C9", 200, Rounding.ROUND)
    assert (p.redeem.unit, p.redeem.minimum) == (10, 100)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("per_yen = 200", "per_yen = 0"), "earn.per_yen: must be at least 1"),
        (("per_yen = 200", 'per_yen = "200"'), "earn.per_yen: must be an integer"),
        (("per_yen = 200", "per_yen = 1.5"), "earn.per_yen: must be an integer"),
        (('rounding = "round"', 'rounding = "bankers"'), "earn.rounding: must be one of"),
        (("version = 3", ""), "program.version: required"),
        (("unit = 10", "unit = true"), "redeem.unit: must be an integer"),
        (("[earn]", "[earnings]"), "[earn]: missing section"),
    ],
)
def test_errors_name_the_field(change, message):
    with pytest.raises(ProgramError) as err:
        parse_program(VALID.replace(*change))
    assert message in str(err.value)


def test_not_toml():
    with pytest.raises(ProgramError, match="not valid TOML"):
        parse_program("[program\nversion=")


@pytest.mark.parametrize("name", ["demo", "drugstore", "supermarket"])
def test_shipped_programs_load(name):
    program = parse_program((RESOURCES / "programs" / f"{name}.toml").read_text(encoding="utf-8"))
    assert program.name and program.version >= 1


def test_shipped_programs_are_rich():
    drug = parse_program((RESOURCES / "programs" / "drugstore.toml").read_text(encoding="utf-8"))
    assert [r.code for r in drug.ranking.ranks] == ["regular", "silver", "gold"]
    assert drug.expiry.kind.value == "rolling" and drug.redeem.offline_cap == 3000
    assert any(c.limited for c in drug.campaigns)
    market = parse_program((RESOURCES / "programs" / "supermarket.toml").read_text(encoding="utf-8"))
    assert market.stacking.multipliers.value == "multiply"
    assert market.expiry.kind.value == "fixed" and market.expiry.months == 24


def with_(extra: str) -> str:
    return VALID + "\n" + extra


@pytest.mark.parametrize(("text", "message"), [
    (with_("[bogus]\nx = 1"), "[bogus]: unknown section"),
    (VALID.replace("per_yen = 200", "per_yem = 200"), "earn.per_yem: unknown field"),
    (VALID.replace("rounding", "round_per = 'item'\nrounding"), "earn.round_per: must be one of"),
    (VALID.replace("rounding", "tax = 'gross'\nrounding"), "earn.tax: must be one of"),
    (VALID.replace("rounding", "typo = 1\nrounding"), "earn.typo: unknown field"),
    (VALID.replace('company_id = "C9"', 'company_id = "C 9"'), "program.company_id"),
    (with_("[program2]"), "[program2]: unknown section"),
    (VALID.replace("[program]", "[program]\nutc_offset = 'JST'"), "program.utc_offset"),
    (VALID.replace("minimum = 100", "minimum = 100\nmax_per_sale = 50"),
     "redeem.max_per_sale: 50 is below the minimum"),
    (with_("[expiry]\npolicy = 'rolling'"), "expiry.months: required"),
    (with_("[expiry]\npolicy = 'rolling'\nmonths = 12\ncounts = 'use'"), "expiry.counts"),
    (with_("[expiry]\npolicy = 'fixed'\nmonths = 12\ncounts = 'earn'"),
     "expiry.counts: only a rolling policy"),
    (with_("[expiry]\npolicy = 'none'\nmonths = 12"), "expiry.months: has no effect"),
    (with_("[[ranks]]\ncode = 'a'\nname = 'A'\nmin_visits = 3"),
     "ranks[0]: the first rank is everyone's"),
    (with_("[[ranks]]\ncode = 'a'\nname = 'A'\n[[ranks]]\ncode = 'b'\nname = 'B'"),
     "ranks[1]: needs min_spend_yen"),
    (with_("[[ranks]]\ncode = 'a'\nname = 'A'\n[[ranks]]\ncode = 'a'\nname = 'B'\nmin_visits = 1"),
     "ranks[1].code: 'a' is used twice"),
    (with_("[[ranks]]\ncode = 'a'\nname = 'A'\n[[ranks]]\ncode = 'g'\nname = 'G'\n"
           "min_visits = 1\nmultiplier = 1.5"), 'ranks[1].multiplier: write it as a string ("1.5")'),
    (with_("[[ranks]]\ncode = 'a'\nname = 'A'\n[[ranks]]\ncode = 'g'\nname = 'G'\n"
           "min_visits = 1\nmultiplier = '0.5'"), "ranks[1].multiplier: must be at least 1"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'"), "campaigns[0]: set exactly one of"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nmultiplier = 2"),
     "campaigns[0]: set exactly one of"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\nmultiplier = 1"),
     "campaigns[0].multiplier: must be more than 1"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\nmultiplier = '2x'"), "campaigns[0].multiplier"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nweekdays = ['someday']"),
     "campaigns[0].weekdays: 'someday' is not a weekday"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\ndays_of_month = [32]"),
     "campaigns[0].days_of_month: 32 is outside 1–31"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nstarts = 2025-05-01\n"
           "ends = 2025-04-01"), "campaigns[0].ends: 2025-04-01 is before starts"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nstarts = 2025-05-01T10:00:00"),
     "campaigns[0].starts: must be a date"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nlimited_days = 3\n"
           "limited_months = 1"), "campaigns[0]: set only one of limited_days"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nranks = ['gold']"),
     "campaigns[0].ranks: 'gold' is not a rank"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\n"
           "[[campaigns]]\nid = 'x'\nname = 'Y'\npoints = 5"), "campaigns[1].id: 'x' is used twice"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nsignup_within_days = 3"),
     "campaigns[0].signup_within_days: needs signup = true"),
    (VALID.replace("minimum = 100", "minimum = 100\nexclude_categories = ['a', 'a']"),
     "redeem.exclude_categories: lists a value twice"),
    (VALID.replace("rounding", "exclude_categories = ['tobacco']\nrounding")
     + "\n[[campaigns]]\nid = 'x'\nname = 'X'\nmultiplier = 2\ncategories = ['tobacco']",
     "campaigns[0].categories: 'tobacco' never earns"),
    (with_("[[campaigns]]\nid = 'x'\nname = 'X'\npoints = 5\nlimited_until = 2025-01-01\n"
           "ends = 2025-02-01"), "born expired"),
])
def test_richer_errors_name_the_field(text, message):
    with pytest.raises(ProgramError) as err:
        parse_program(text)
    assert message in str(err.value)


def test_a_full_program_reads_every_field():
    p = parse_program(with_("""
[expiry]
policy = "rolling"
months = 12
counts = "earn_or_use"
[ranking]
window_days = 180
[[ranks]]
code = "base"
name = "一般"
[[ranks]]
code = "gold"
name = "ゴールド"
multiplier = "3/2"
min_spend_yen = 50000
min_years = 2
require = "any"
[stacking]
multipliers = "multiply"
bonuses = "best"
[[campaigns]]
id = "c1"
name = "テスト"
multiplier = "150%"
weekdays = ["sat", "日"]
limited_days = 30
budget_points = 1000
"""))
    assert p.expiry.counts_use() and p.ranking.window_days == 180
    gold = p.ranking.find("gold")
    assert gold is not None and str(gold.multiplier) == "1.5" and gold.min_years == 2
    c = p.campaign("c1")
    assert c is not None and c.weekdays == frozenset({5, 6}) and c.limited
    assert p.campaign("nope") is None
