"""Member ranks: their criteria, earn multipliers, and evaluation as of a date.

A rank is earned by spend over a rolling window, by visits (distinct shopping days) in
that window, by years of membership, or a mix. Ranks are declared lowest first; the
first is the rank every member has without meeting anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum

from loyalty import _fields as f
from loyalty.dates import local_date, require_aware
from loyalty.ratio import ONE, Ratio

CODE = r"[a-z0-9][a-z0-9_-]{0,31}"


class Require(Enum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Rank:
    code: str
    name: str
    multiplier: Ratio = ONE
    min_spend_yen: int | None = None
    min_visits: int | None = None
    min_years: int | None = None
    require: Require = Require.ALL

    @property
    def has_criteria(self) -> bool:
        return any(v is not None for v in (self.min_spend_yen, self.min_visits, self.min_years))


@dataclass(frozen=True)
class Ranking:
    ranks: tuple[Rank, ...]
    window_days: int = 365

    def find(self, code: str | None) -> Rank | None:
        for rank in self.ranks:
            if rank.code == code:
                return rank
        return None

    @property
    def base(self) -> Rank | None:
        return self.ranks[0] if self.ranks else None


@dataclass(frozen=True)
class Purchase:
    """One sale (positive) or return (negative) counted towards ranks."""

    at: datetime
    amount_yen: int


@dataclass(frozen=True)
class Shortfall:
    criterion: str  # "spend", "visits" or "years"
    needed: int  # how much more of it

    @property
    def text(self) -> str:
        if self.criterion == "spend":
            return f"あと {self.needed:,} 円のお買い物"
        if self.criterion == "visits":
            return f"あと {self.needed:,} 回のご来店"
        return f"あと {self.needed:,} 年のご継続"


@dataclass(frozen=True)
class RankStatus:
    rank: Rank
    spend_yen: int
    visits: int
    years: int
    next_rank: Rank | None
    # With `require = "all"` every shortfall must be made up; with "any", one of them.
    to_next: tuple[Shortfall, ...]
    # The last day (in the program's time zone) counted as a visit: a register adding its
    # own later sales to these figures counts a day after it as a new visit.
    last_visit_on: date | None = None


def full_years(since: date, until: date) -> int:
    """Whole years of membership from `since` to `until` (an anniversary completes one)."""
    years = until.year - since.year
    if (until.month, until.day) < (since.month, since.day):
        years -= 1
    return max(0, years)


def _shortfalls(rank: Rank, spend: int, visits: int, years: int) -> tuple[Shortfall, ...]:
    wanted = (("spend", rank.min_spend_yen, spend), ("visits", rank.min_visits, visits),
              ("years", rank.min_years, years))
    return tuple(Shortfall(name, need - have) for name, need, have in wanted
                 if need is not None and have < need)


def _qualifies(rank: Rank, spend: int, visits: int, years: int) -> bool:
    if not rank.has_criteria:
        return True
    missing = _shortfalls(rank, spend, visits, years)
    if rank.require is Require.ALL:
        return not missing
    criteria = sum(v is not None for v in (rank.min_spend_yen, rank.min_visits, rank.min_years))
    return len(missing) < criteria


def evaluate_rank(ranking: Ranking, purchases: Iterable[Purchase], *, enrolled_on: date | None,
                  as_of: datetime, tz: timezone) -> RankStatus:
    """The rank a member holds as of `as_of`, from purchases in the window before it."""
    if not ranking.ranks:
        raise ValueError("the program has no ranks")
    require_aware(as_of, "as_of")
    start = as_of - timedelta(days=ranking.window_days)
    spend = 0
    days: set[date] = set()
    for p in purchases:
        if start <= require_aware(p.at, "purchase time") < as_of:
            spend += p.amount_yen
            if p.amount_yen > 0:
                days.add(local_date(p.at, tz))
    spend = max(0, spend)
    visits = len(days)
    years = full_years(enrolled_on, local_date(as_of, tz)) if enrolled_on else 0
    held = ranking.ranks[0]
    for rank in ranking.ranks[1:]:
        if _qualifies(rank, spend, visits, years):
            held = rank
    index = ranking.ranks.index(held)
    nxt = ranking.ranks[index + 1] if index + 1 < len(ranking.ranks) else None
    return RankStatus(rank=held, spend_yen=spend, visits=visits, years=years, next_rank=nxt,
                      to_next=_shortfalls(nxt, spend, visits, years) if nxt else (),
                      last_visit_on=max(days, default=None))


def progress_from(ranking: Ranking, held: Rank, *, spend_yen: int, visits: int,
                  years: int) -> RankStatus:
    """What the rank after `held` still needs, from figures counted elsewhere (HQ's, plus
    what a register saw since). `held` stays the rank printed even when the figures no
    longer reach it: ranks change at HQ's evaluation, not on a receipt. Figures that
    already meet the next rank need nothing more (HQ promotes at its next evaluation)."""
    index = ranking.ranks.index(held)
    nxt = ranking.ranks[index + 1] if index + 1 < len(ranking.ranks) else None
    spend_yen = max(0, spend_yen)
    missing: tuple[Shortfall, ...] = ()
    if nxt is not None and not _qualifies(nxt, spend_yen, visits, years):
        missing = _shortfalls(nxt, spend_yen, visits, years)
    return RankStatus(rank=held, spend_yen=spend_yen, visits=visits, years=years,
                      next_rank=nxt, to_next=missing)


def parse_ranking(section: f.Table, rank_tables: list[f.Table]) -> Ranking:
    f.no_unknown_keys(section, "ranking", {"window_days"})
    ranks: list[Rank] = []
    for i, t in enumerate(rank_tables):
        where = f"ranks[{i}]"
        f.no_unknown_keys(t, where, {"code", "name", "multiplier", "min_spend_yen", "min_visits",
                                     "min_years", "require"})
        rank = Rank(
            code=f.string(t, where, "code", pattern=CODE),
            name=f.string(t, where, "name"),
            multiplier=f.ratio(t, where, "multiplier", default=ONE, minimum=ONE),
            min_spend_yen=f.optional_integer(t, where, "min_spend_yen", minimum=1),
            min_visits=f.optional_integer(t, where, "min_visits", minimum=1),
            min_years=f.optional_integer(t, where, "min_years", minimum=1, maximum=100),
            require=f.choice(t, where, "require", Require, default=Require.ALL),
        )
        if i == 0 and rank.has_criteria:
            raise f.ProgramError(f"{where}: the first rank is everyone's; it cannot have criteria")
        if i > 0 and not rank.has_criteria:
            raise f.ProgramError(f"{where}: needs min_spend_yen, min_visits or min_years")
        if any(r.code == rank.code for r in ranks):
            raise f.ProgramError(f"{where}.code: {rank.code!r} is used twice")
        ranks.append(rank)
    if section and not ranks:
        raise f.ProgramError("[ranking]: set, but no [[ranks]] are declared")
    return Ranking(ranks=tuple(ranks),
                   window_days=f.integer(section, "ranking", "window_days", minimum=1,
                                         maximum=3660, default=365))
