"""The program file: one versioned TOML document that says how points are earned and used.

Parsing is strict: every problem names the field and what is wrong with it, and unknown
fields are refused, so an HQ operator uploading a program sees exactly what to fix and
a register never quotes with a rule it does not understand. `docs/program.md` is the
reference for every field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import timezone
from enum import Enum

from loyalty import _fields as f
from loyalty._fields import ProgramError
from loyalty.campaigns import Campaign, Stacking, parse_campaign, parse_stacking
from loyalty.dates import JST, parse_utc_offset
from loyalty.expiry import ExpiryPolicy, parse_expiry
from loyalty.ranks import Ranking, parse_ranking

__all__ = ["EarnRule", "Program", "ProgramError", "RedeemRule", "Rounding", "RoundPer",
           "TaxBasis", "parse_program"]

CATEGORY = r"[A-Za-z0-9_.-]{1,32}"


class Rounding(Enum):
    FLOOR = "floor"
    ROUND = "round"  # half up, as Japanese programs round: 0.5 → 1
    CEIL = "ceil"


class RoundPer(Enum):
    SALE = "sale"  # round the whole sale once (¥250 + ¥250 at 1 pt/¥100 → 5 pt)
    LINE = "line"  # round each line, then add (¥250 + ¥250 → 2 + 2 = 4 pt)


class TaxBasis(Enum):
    INCLUDED = "included"  # points on the price the member paid (税込)
    EXCLUDED = "excluded"  # points on the price before consumption tax (税抜)


@dataclass(frozen=True)
class EarnRule:
    """Points per yen as an exact fraction: `points` points for every `per_yen` yen."""

    points: int
    per_yen: int
    rounding: Rounding
    round_per: RoundPer = RoundPer.SALE
    tax: TaxBasis = TaxBasis.INCLUDED
    exclude_categories: frozenset[str] = frozenset()
    # Points are not money the member spent: by default, the part paid with them earns nothing.
    earn_on_points_paid: bool = False


@dataclass(frozen=True)
class RedeemRule:
    unit: int
    minimum: int
    max_per_sale: int | None = None
    # Per member, while the register cannot reach HQ to take a hold.
    offline_cap: int | None = None
    exclude_categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Program:
    version: int
    name: str
    company_id: str
    earn: EarnRule
    redeem: RedeemRule
    receipt_footer: str
    tz: timezone = JST
    expiry: ExpiryPolicy = field(default_factory=ExpiryPolicy)
    ranking: Ranking = field(default_factory=lambda: Ranking(ranks=()))
    campaigns: tuple[Campaign, ...] = ()
    stacking: Stacking = field(default_factory=Stacking)

    def campaign(self, campaign_id: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.id == campaign_id), None)


_TOP = {"program", "earn", "redeem", "expiry", "ranking", "ranks", "campaigns", "stacking",
        "receipt"}


def _earn(t: f.Table) -> EarnRule:
    f.no_unknown_keys(t, "earn", {"points", "per_yen", "rounding", "round_per", "tax",
                                  "exclude_categories", "earn_on_points_paid"})
    return EarnRule(
        points=f.integer(t, "earn", "points", minimum=0, maximum=1000),
        per_yen=f.integer(t, "earn", "per_yen", minimum=1, maximum=1_000_000),
        rounding=f.choice(t, "earn", "rounding", Rounding, default=Rounding.FLOOR),
        round_per=f.choice(t, "earn", "round_per", RoundPer, default=RoundPer.SALE),
        tax=f.choice(t, "earn", "tax", TaxBasis, default=TaxBasis.INCLUDED),
        exclude_categories=frozenset(f.strings(t, "earn", "exclude_categories", pattern=CATEGORY)),
        earn_on_points_paid=f.boolean(t, "earn", "earn_on_points_paid", default=False),
    )


def _redeem(t: f.Table) -> RedeemRule:
    f.no_unknown_keys(t, "redeem", {"unit", "minimum", "max_per_sale", "offline_cap",
                                    "exclude_categories"})
    rule = RedeemRule(
        unit=f.integer(t, "redeem", "unit", minimum=1, maximum=100_000, default=1),
        minimum=f.integer(t, "redeem", "minimum", minimum=0, default=1),
        max_per_sale=f.optional_integer(t, "redeem", "max_per_sale", minimum=1),
        offline_cap=f.optional_integer(t, "redeem", "offline_cap", minimum=0),
        exclude_categories=frozenset(f.strings(t, "redeem", "exclude_categories",
                                               pattern=CATEGORY)),
    )
    if rule.max_per_sale is not None and rule.max_per_sale < max(rule.minimum, rule.unit):
        raise ProgramError(f"redeem.max_per_sale: {rule.max_per_sale} is below the minimum "
                           f"redemption; nothing could ever be redeemed")
    return rule


def _check_campaigns(campaigns: list[Campaign], ranking: Ranking, earn: EarnRule) -> None:
    seen: set[str] = set()
    codes = {r.code for r in ranking.ranks}
    for i, c in enumerate(campaigns):
        where = f"campaigns[{i}]"
        if c.id in seen:
            raise ProgramError(f"{where}.id: {c.id!r} is used twice")
        seen.add(c.id)
        for code in sorted(c.ranks - codes):
            raise ProgramError(f"{where}.ranks: {code!r} is not a rank of this program")
        for cat in sorted(c.categories & earn.exclude_categories):
            raise ProgramError(f"{where}.categories: {cat!r} never earns points "
                               f"(earn.exclude_categories), so this campaign could not apply")


def parse_program(text: str) -> Program:
    """Parse and validate a program document."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"not valid TOML: {exc}") from exc
    prog = f.table(doc, "", "program", required=True)
    earn_table = f.table(doc, "", "earn", required=True)
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise ProgramError(f"[{unknown[0]}]: unknown section (known: {', '.join(sorted(_TOP))})")
    f.no_unknown_keys(prog, "program", {"version", "name", "company_id", "utc_offset"})
    offset = f.string(prog, "program", "utc_offset", default="+09:00")
    try:
        tz = parse_utc_offset(offset)
    except ValueError as exc:
        raise ProgramError(f"program.utc_offset: {exc}") from None
    earn = _earn(earn_table)
    receipt = f.table(doc, "", "receipt")
    f.no_unknown_keys(receipt, "receipt", {"footer"})
    ranking = parse_ranking(f.table(doc, "", "ranking"), f.tables(doc, "ranks"))
    campaigns = [parse_campaign(t, f"campaigns[{i}]")
                 for i, t in enumerate(f.tables(doc, "campaigns"))]
    _check_campaigns(campaigns, ranking, earn)
    return Program(
        version=f.integer(prog, "program", "version", minimum=1),
        name=f.string(prog, "program", "name"),
        company_id=f.string(prog, "program", "company_id", pattern=r"[A-Za-z0-9_-]{1,32}"),
        earn=earn,
        redeem=_redeem(f.table(doc, "", "redeem")),
        receipt_footer=f.string(receipt, "receipt", "footer", default=""),
        tz=tz,
        expiry=parse_expiry(f.table(doc, "", "expiry"), tz),
        ranking=ranking,
        campaigns=tuple(campaigns),
        stacking=parse_stacking(f.table(doc, "", "stacking")),
    )
