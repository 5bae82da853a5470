"""Campaigns: X-fold days, signup, threshold and birthday bonuses, and when each applies.

A campaign is a reward — a multiplier of the base points, or a fixed number of points —
and conditions: dates, weekdays, days of the month (5・10日), stores, ranks, categories
or items, a minimum purchase, the member's birthday month, or the first purchase after
signing up. Campaign points may be granted as limited-time lots (期間限定).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from loyalty import _fields as f
from loyalty.ratio import ONE, Ratio

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
            "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
WEEKDAY_JA = "月火水木金土日"
CAMPAIGN_ID = r"[a-z0-9][a-z0-9_-]{0,47}"


class MultiplierStacking(Enum):
    ADD = "add"  # each campaign adds (its multiplier − 1) × base: 2× and 3× make 4×
    MULTIPLY = "multiply"  # multipliers compound: 2× and 3× make 6×, rank included
    BEST = "best"  # only the campaign giving the most points applies


class BonusStacking(Enum):
    ADD = "add"
    BEST = "best"


@dataclass(frozen=True)
class Stacking:
    multipliers: MultiplierStacking = MultiplierStacking.ADD
    bonuses: BonusStacking = BonusStacking.ADD


@dataclass(frozen=True)
class MemberFacts:
    """What a campaign may ask of the member at the time of the sale."""

    rank: str | None
    birth_month: int | None
    first_purchase: bool
    enrolled_on: date | None


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    multiplier: Ratio | None = None
    points: int | None = None
    starts: date | None = None
    ends: date | None = None
    weekdays: frozenset[int] = frozenset()
    days_of_month: frozenset[int] = frozenset()
    stores: frozenset[str] = frozenset()
    ranks: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    min_yen: int | None = None
    birthday_month: bool = False
    signup: bool = False
    signup_within_days: int | None = None
    budget_points: int | None = None
    limited_days: int | None = None
    limited_months: int | None = None
    limited_until: date | None = None

    @property
    def limited(self) -> bool:
        return (self.limited_days is not None or self.limited_months is not None
                or self.limited_until is not None)

    @property
    def scoped(self) -> bool:
        """Whether only some lines count (categories or items)."""
        return bool(self.categories or self.items)

    def line_matches(self, sku: str, category: str) -> bool:
        if not self.scoped:
            return True
        return category in self.categories or sku in self.items

    def why_not(self, day: date, store_id: str | None, member: MemberFacts | None) -> str | None:
        """None when the campaign applies on `day` at `store_id` for `member`; else why not.

        Line scope and the minimum purchase are checked against the basket by the quote.
        """
        if self.starts is not None and day < self.starts:
            return f"{self.starts:%Y-%m-%d} から"
        if self.ends is not None and day > self.ends:
            return f"{self.ends:%Y-%m-%d} で終了"
        if self.weekdays and day.weekday() not in self.weekdays:
            days = "・".join(WEEKDAY_JA[d] for d in sorted(self.weekdays))
            return f"{days}曜日のみ"
        if self.days_of_month and day.day not in self.days_of_month:
            return "・".join(str(d) for d in sorted(self.days_of_month)) + "日のみ"
        if self.stores and store_id not in self.stores:
            return "対象外の店舗"
        if self.ranks or self.birthday_month or self.signup:
            if member is None:
                return "会員のみ"
            if self.ranks and member.rank not in self.ranks:
                return "対象外のランク"
            if self.birthday_month and member.birth_month != day.month:
                return "お誕生月のみ"
            if self.signup:
                if not member.first_purchase:
                    return "ご入会後の初回お買い物のみ"
                if self.signup_within_days is not None and (
                        member.enrolled_on is None
                        or (day - member.enrolled_on).days >= self.signup_within_days):
                    return f"ご入会から {self.signup_within_days} 日以内のみ"
        return None


_KEYS = {"id", "name", "multiplier", "points", "starts", "ends", "weekdays", "days_of_month",
         "stores", "ranks", "categories", "items", "min_yen", "birthday_month", "signup",
         "signup_within_days", "budget_points", "limited_days", "limited_months",
         "limited_until"}


def _weekdays(t: f.Table, where: str) -> frozenset[int]:
    names = f.strings(t, where, "weekdays")
    out: set[int] = set()
    for name in names:
        if name.lower() not in WEEKDAYS:
            raise f.ProgramError(f"{where}.weekdays: {name!r} is not a weekday "
                                 f"(mon … sun, or 月 … 日)")
        out.add(WEEKDAYS[name.lower()])
    return frozenset(out)


def parse_campaign(t: f.Table, where: str) -> Campaign:
    f.no_unknown_keys(t, where, _KEYS)
    has_mult, has_points = "multiplier" in t, "points" in t
    if has_mult == has_points:
        raise f.ProgramError(f"{where}: set exactly one of multiplier or points")
    multiplier = None
    if has_mult:
        multiplier = f.ratio(t, where, "multiplier")
        if multiplier <= ONE:
            raise f.ProgramError(f"{where}.multiplier: must be more than 1, got {multiplier}")
    c = Campaign(
        id=f.string(t, where, "id", pattern=CAMPAIGN_ID),
        name=f.string(t, where, "name"),
        multiplier=multiplier,
        points=f.integer(t, where, "points", minimum=1, maximum=1_000_000) if has_points else None,
        starts=f.day(t, where, "starts"),
        ends=f.day(t, where, "ends"),
        weekdays=_weekdays(t, where),
        days_of_month=frozenset(f.integers(t, where, "days_of_month", minimum=1, maximum=31)),
        stores=frozenset(f.strings(t, where, "stores")),
        ranks=frozenset(f.strings(t, where, "ranks")),
        categories=frozenset(f.strings(t, where, "categories")),
        items=frozenset(f.strings(t, where, "items")),
        min_yen=f.optional_integer(t, where, "min_yen", minimum=1),
        birthday_month=f.boolean(t, where, "birthday_month", default=False),
        signup=f.boolean(t, where, "signup", default=False),
        signup_within_days=f.optional_integer(t, where, "signup_within_days", minimum=1),
        budget_points=f.optional_integer(t, where, "budget_points", minimum=1),
        limited_days=f.optional_integer(t, where, "limited_days", minimum=1, maximum=3660),
        limited_months=f.optional_integer(t, where, "limited_months", minimum=0, maximum=120),
        limited_until=f.day(t, where, "limited_until"),
    )
    if c.starts and c.ends and c.starts > c.ends:
        raise f.ProgramError(f"{where}.ends: {c.ends} is before starts {c.starts}")
    if sum(v is not None for v in (c.limited_days, c.limited_months, c.limited_until)) > 1:
        raise f.ProgramError(f"{where}: set only one of limited_days, limited_months, limited_until")
    if c.limited_until and c.ends and c.limited_until < c.ends:
        raise f.ProgramError(f"{where}.limited_until: {c.limited_until} is before the campaign "
                             f"ends ({c.ends}); points would be born expired")
    if c.signup_within_days is not None and not c.signup:
        raise f.ProgramError(f"{where}.signup_within_days: needs signup = true")
    return c


def parse_stacking(t: f.Table) -> Stacking:
    f.no_unknown_keys(t, "stacking", {"multipliers", "bonuses"})
    return Stacking(
        multipliers=f.choice(t, "stacking", "multipliers", MultiplierStacking,
                             default=MultiplierStacking.ADD),
        bonuses=f.choice(t, "stacking", "bonuses", BonusStacking, default=BonusStacking.ADD),
    )
