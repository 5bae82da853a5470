"""Points a sale earns beyond the base: the rank multiplier and each campaign, by name.

Multipliers act on the base points (5× day on a 32 pt sale: 32 × 4 = +128 on top). A
campaign limited to some categories or items acts on those lines' share of the base. Each
bonus is rounded down on its own so the breakdown on the receipt adds up exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from loyalty.campaigns import BonusStacking, Campaign, MemberFacts, MultiplierStacking
from loyalty.dates import end_of
from loyalty.expiry import limited_expiry
from loyalty.program import Program
from loyalty.ranks import Rank
from loyalty.ratio import ONE


@dataclass(frozen=True)
class Bonus:
    source: str  # "base", "rank", or the campaign id
    name: str
    points: int
    detail: str = ""
    limited: bool = False
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Skipped:
    """A campaign that did not apply to this sale, and why — for the simulator and support."""

    campaign_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class EarnLine:
    sku: str
    category: str
    gross_yen: int  # in the program's tax basis, before points paid
    base_yen: int  # what earns: gross less the part paid with points, unless that earns too
    weight: int  # this line's part of the base: its base yen (per sale) or its points (per line)


@dataclass(frozen=True)
class _Candidate:
    campaign: Campaign
    points: int
    detail: str


def _expiry(program: Program, c: Campaign, at: datetime) -> datetime | None:
    if not c.limited:
        return None
    until = end_of(c.limited_until, program.tz) if c.limited_until is not None else None
    return limited_expiry(at, program.tz, days=c.limited_days, months=c.limited_months,
                          until=until)


def _budget(c: Campaign, points: int, spent: Mapping[str, int]) -> tuple[int, str | None]:
    if c.budget_points is None:
        return points, None
    left = c.budget_points - spent.get(c.id, 0)
    if left <= 0:
        return 0, "予算上限に達しました"
    return min(points, left), None


def rank_bonus(rank: Rank | None, base: int) -> Bonus | None:
    if rank is None or rank.multiplier.num == rank.multiplier.den:
        return None
    extra = rank.multiplier.minus_one()
    return Bonus("rank", f"{rank.name}ランク {rank.multiplier}倍", extra.floor_of(base),
                 f"{base:,} pt × {extra}")


def campaign_bonuses(program: Program, lines: Sequence[EarnLine], base: int,
                     scale: tuple[int, int], rank: Rank | None, at: datetime, day: date,
                     store_id: str | None, member: MemberFacts | None, spent: Mapping[str, int],
                     ) -> tuple[list[Bonus], list[Skipped]]:
    """Each campaign's bonus, by name, after stacking and budgets; and those that did not apply.

    `scale` (numerator, denominator) turns line weights into base points: b / Σ base yen
    when rounding per sale, 1 when rounding per line.
    """
    mode = program.stacking.multipliers
    everything = range(len(lines))
    all_weight = sum(ln.weight for ln in lines)
    all_gross = sum(ln.gross_yen for ln in lines)
    # Under "multiply" each line carries the product of the multipliers applied to it so
    # far, as integer numerators over one shared denominator: exact, and no Fraction churn.
    factor_num: list[int] | None = None
    factor_den = 1
    if mode is MultiplierStacking.MULTIPLY:
        start = rank.multiplier if rank else ONE
        factor_num, factor_den = [start.num] * len(lines), start.den
    multipliers: list[_Candidate] = []
    fixed: list[_Candidate] = []
    skipped: list[Skipped] = []
    for c in program.campaigns:
        why = c.why_not(day, store_id, member)
        picked: Sequence[int] = everything
        if why is None:
            if c.scoped:
                cats, items = c.categories, c.items
                picked = [i for i, ln in enumerate(lines) if ln.category in cats or ln.sku in items]
                if not picked:
                    why = "対象商品がありません"
            if why is None and c.min_yen is not None and (
                    sum(lines[i].gross_yen for i in picked) if c.scoped else all_gross) < c.min_yen:
                why = f"{c.min_yen:,} 円以上のお買い物が対象"
        if why is not None:
            skipped.append(Skipped(c.id, c.name, why))
            continue
        if c.multiplier is None:
            assert c.points is not None
            fixed.append(_Candidate(c, c.points, f"+{c.points:,} pt"))
            continue
        m = c.multiplier
        extra = m.minus_one()
        if factor_num is not None:
            share_num = sum(lines[i].weight * factor_num[i] for i in picked)
            share_den = factor_den
            chosen = set(picked)
            factor_num = [f * (m.num if i in chosen else m.den) for i, f in enumerate(factor_num)]
            factor_den *= m.den
        else:
            share_num = sum(lines[i].weight for i in picked) if c.scoped else all_weight
            share_den = 1
        pts = (share_num * scale[0] * extra.num) // (share_den * scale[1] * extra.den)
        if c.scoped:
            on = f"対象 {sum(lines[i].base_yen for i in picked):,} 円分"
        else:
            on = f"{base:,} pt"
        detail = f"{on} × {extra}"
        if factor_num is not None:
            detail += "（ほかの倍率と掛け合わせ）"
        multipliers.append(_Candidate(c, pts, detail))
    if mode is MultiplierStacking.BEST and len(multipliers) > 1:
        multipliers, dropped = _best(multipliers, spent)
        skipped += dropped
    if program.stacking.bonuses is BonusStacking.BEST and len(fixed) > 1:
        fixed, dropped = _best(fixed, spent)
        skipped += dropped
    bonuses: list[Bonus] = []
    for cand in multipliers + fixed:
        c = cand.campaign
        pts, why_not = _budget(c, cand.points, spent)
        if why_not is not None:
            skipped.append(Skipped(c.id, c.name, why_not))
            continue
        detail = cand.detail if pts == cand.points else f"{cand.detail}（予算上限により {pts:,} pt）"
        bonuses.append(Bonus(c.id, c.name, pts, detail, c.limited, _expiry(program, c, at)))
    order = {c.id: n for n, c in enumerate(program.campaigns)}
    bonuses.sort(key=lambda b: order[b.source])
    return bonuses, skipped


def _best(cands: list[_Candidate], spent: Mapping[str, int],
          ) -> tuple[list[_Candidate], list[Skipped]]:
    # Best after budgets: a campaign whose budget is spent must not win and then give nothing.
    winner = max(cands, key=lambda c: _budget(c.campaign, c.points, spent)[0])
    return [winner], [Skipped(c.campaign.id, c.campaign.name,
                              f"「{winner.campaign.name}」を優先（併用不可）")
                      for c in cands if c is not winner]
