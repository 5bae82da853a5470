"""Quoting a sale: what it earns, what it may redeem, and why — from the basket and the member.

`quote` is the full rule set (lines, ranks, campaigns, expiry); `quote_sale` is the
amount-only shape the counter started with, kept as a thin wrapper. All arithmetic is
on integers and exact fractions; the quote explains itself so the screen, the receipt
and the simulator can say why the numbers are what they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from loyalty.basket import (
    AMOUNT_NOT_POSITIVE,
    AMOUNT_TOO_LARGE,
    MAX_SALE_YEN,
    HeldLot,
    Line,
    LotKindName,
    MemberContext,
    QuoteError,
    check_basket,
    check_member,
)
from loyalty.campaigns import MemberFacts
from loyalty.dates import FAR_PAST, local_date, require_aware
from loyalty.earning import Bonus, EarnLine, Skipped, campaign_bonuses, rank_bonus
from loyalty.expiry import ExpiryKind
from loyalty.message import QT_TRANSLATE_NOOP, Message
from loyalty.program import Program, Rounding, RoundPer, TaxBasis
from loyalty.ranks import Rank
from loyalty.redeeming import RedeemLimit, check_redemption, redeem_limit, spread

# What the cashier is told (translated on screen through the "core" context).
NEEDS_TIME = QT_TRANSLATE_NOOP("core", "キャンペーンの判定には日時が必要です")
AMOUNT_NOT_INTEGER = QT_TRANSLATE_NOOP("core", "金額は整数で入力してください")

__all__ = ["MAX_SALE_YEN", "Bonus", "ExpiryLine", "Grant", "HeldLot", "Line", "LineQuote",
           "MemberContext", "Quote", "QuoteError", "RedeemLimit", "Skipped", "base_points",
           "quote", "quote_sale"]


@dataclass(frozen=True)
class LineQuote:
    sku: str
    name: str
    category: str
    amount_yen: int
    redeemed_yen: int  # the part of this line paid with points
    earn_base_yen: int
    earns: bool  # False for excluded categories (tobacco, gift cards…)
    redeemable: bool


@dataclass(frozen=True)
class Grant:
    """Points this sale adds as one lot: normal, or limited-time with its own expiry."""

    kind: LotKindName
    points: int
    expires_at: datetime | None
    source: str  # "sale" for the normal lot, else the campaign id


@dataclass(frozen=True)
class ExpiryLine:
    kind: LotKindName
    points: int
    expires_at: datetime | None  # None: never, under this program's policy
    new: bool  # earned by this sale


@dataclass(frozen=True)
class Quote:
    amount_yen: int
    redeem_points: int
    earn_base_yen: int
    points_earned: int
    program_version: int
    base_points: int = 0
    rank: str | None = None
    breakdown: tuple[Bonus, ...] = ()  # base, rank, then each campaign by name
    skipped: tuple[Skipped, ...] = ()
    grants: tuple[Grant, ...] = ()
    lines: tuple[LineQuote, ...] = ()
    redeem_limit: RedeemLimit = field(default_factory=lambda: RedeemLimit(0, "no_member", ""))
    expiries: tuple[ExpiryLine, ...] = ()
    rolling_expires_at: datetime | None = None
    notes: tuple[str, ...] = ()

    @property
    def net_change(self) -> int:
        return self.points_earned - self.redeem_points


def _divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    quotient, remainder = divmod(numerator, denominator)
    if remainder == 0 or rounding is Rounding.FLOOR:
        return quotient
    if rounding is Rounding.CEIL:
        return quotient + 1
    # Half up: Japanese programs round 0.5 up, not to even.
    return quotient + 1 if remainder * 2 >= denominator else quotient


def base_points(program: Program, base_yen: int) -> int:
    """Points for `base_yen` at the program's base rate, rounded once."""
    return _divide(base_yen * program.earn.points, program.earn.per_yen, program.earn.rounding)


def _tax_basis(program: Program, yen: int, rate: int) -> int:
    if program.earn.tax is TaxBasis.INCLUDED or rate == 0:
        return yen
    # The tax inside a tax-included price, rounded down as receipts show it (内税).
    return yen - yen * rate // (100 + rate)


def _resolve_rank(program: Program, member: MemberContext | None) -> tuple[Rank | None, str | None]:
    ranking = program.ranking
    if member is None or not ranking.ranks:
        return None, None
    if not member.rank:
        return ranking.base, None
    rank = ranking.find(member.rank)
    if rank is None:
        return ranking.base, f"ランク「{member.rank}」はこのプログラムにないため基本ランクで計算しました"
    return rank, None


def quote(program: Program, basket: Sequence[Line], member: MemberContext | None = None, *,
          at: datetime, store_id: str | None = None, redeem_points: int = 0,
          campaign_spent: Mapping[str, int] | None = None) -> Quote:
    """Quote a sale of `basket` at `at` in `store_id` for `member` (None: not a member).

    `campaign_spent` is what each budgeted campaign has granted so far, as far as the
    caller knows; HQ's figure is the one that counts. Raises QuoteError, in Japanese, for
    anything the cashier must fix.
    """
    require_aware(at, "at")
    return _quote(program, basket, member, at=at, store_id=store_id, redeem_points=redeem_points,
                  spent=campaign_spent or {})


def _quote(program: Program, basket: Sequence[Line], member: MemberContext | None, *,
           at: datetime | None, store_id: str | None, redeem_points: int,
           spent: Mapping[str, int]) -> Quote:
    total = check_basket(basket)
    if member is not None:
        check_member(member)
    earn, rules = program.earn, program.redeem
    earns = [ln.category not in earn.exclude_categories for ln in basket]
    redeemable = [ln.category not in rules.exclude_categories for ln in basket]
    eligible = sum(ln.amount_yen for ln, ok in zip(basket, redeemable, strict=True) if ok)
    check_redemption(program, member, redeem_points, eligible, total)
    paid = spread(redeem_points, [ln.amount_yen if ok else 0
                                  for ln, ok in zip(basket, redeemable, strict=True)])

    earn_lines: list[EarnLine] = []
    line_quotes: list[LineQuote] = []
    per_line = earn.round_per is RoundPer.LINE
    for ln, ok, can_pay, pts_paid in zip(basket, earns, redeemable, paid, strict=True):
        gross = _tax_basis(program, ln.amount_yen, ln.tax_rate) if ok else 0
        net = ln.amount_yen if earn.earn_on_points_paid else ln.amount_yen - pts_paid
        base_yen = _tax_basis(program, net, ln.tax_rate) if ok else 0
        # A line's weight is its share of the base: its own points when rounding per line,
        # its yen when the sale is rounded as a whole.
        weight = base_points(program, base_yen) if per_line else base_yen
        earn_lines.append(EarnLine(ln.sku, ln.category, gross, base_yen, weight))
        line_quotes.append(LineQuote(ln.sku, ln.name, ln.category, ln.amount_yen, pts_paid,
                                     base_yen, ok, can_pay))
    earn_base = sum(el.base_yen for el in earn_lines)
    if per_line:
        base = sum(el.weight for el in earn_lines)
        scale = (1, 1)
    else:
        base = base_points(program, earn_base)
        scale = (base, earn_base) if earn_base else (0, 1)

    rank, rank_note = _resolve_rank(program, member)
    breakdown = [Bonus("base", "通常ポイント", base,
                       f"{earn_base:,} 円 × {earn.points}/{earn.per_yen}（{earn.rounding.value}）")]
    rb = rank_bonus(rank, base)
    if rb is not None:
        breakdown.append(rb)
    skipped: list[Skipped] = []
    if program.campaigns:
        if at is None:
            raise QuoteError(NEEDS_TIME)
        # Campaigns see the rank the quote applies, so one aimed at the base rank reaches
        # members whose rank was never set.
        facts = None if member is None else MemberFacts(
            rank.code if rank else member.rank, member.birth_month, member.first_purchase,
            member.enrolled_on)
        bonuses, skipped = campaign_bonuses(program, earn_lines, base, scale, rank, at,
                                            local_date(at, program.tz), store_id, facts, spent)
        breakdown += bonuses

    normal = sum(b.points for b in breakdown if not b.limited)
    expires = program.expiry.lot_expiry(at) if at is not None else None
    grants = [Grant("normal", normal, expires, "sale")] if normal else []
    grants += [Grant("limited", b.points, b.expires_at, b.source)
               for b in breakdown if b.limited and b.points]
    rolling = _rolling_after(program, member, at, normal, redeem_points)
    return Quote(
        amount_yen=total,
        redeem_points=redeem_points,
        earn_base_yen=earn_base,
        points_earned=sum(g.points for g in grants),
        program_version=program.version,
        base_points=base,
        rank=rank.code if rank else None,
        breakdown=tuple(breakdown),
        skipped=tuple(skipped),
        grants=tuple(grants),
        lines=tuple(line_quotes),
        redeem_limit=redeem_limit(program, member, eligible, total),
        expiries=_expiries(program, member, grants, redeem_points, rolling),
        rolling_expires_at=rolling,
        notes=(rank_note,) if rank_note else (),
    )


def _rolling_after(program: Program, member: MemberContext | None, at: datetime | None,
                   normal_earned: int, redeemed: int) -> datetime | None:
    policy = program.expiry
    if policy.kind is not ExpiryKind.ROLLING:
        return None
    before = member.rolling_expires_at if member else None
    if at is None or not (normal_earned or (redeemed and policy.counts_use())):
        return before
    after = policy.term_end(at)
    return after if before is None or after > before else before


def _expiries(program: Program, member: MemberContext | None, grants: list[Grant],
              redeemed: int, rolling: datetime | None) -> tuple[ExpiryLine, ...]:
    """What the member will hold after this sale, by expiry, soonest first."""
    held: list[tuple[LotKindName, int, datetime | None, bool]] = []
    lots = sorted(member.lots if member else (),
                  key=lambda lot: (lot.expires_at is None, lot.expires_at or FAR_PAST))
    # Points are used soonest-expiring first, as the ledger will: show what is left.
    left = redeemed
    for lot in lots:
        use = min(left, lot.points)
        left -= use
        if lot.points - use:
            held.append((lot.kind, lot.points - use, lot.expires_at, False))
    held += [(g.kind, g.points, g.expires_at, True) for g in grants]
    merged: dict[tuple[LotKindName, datetime | None, bool], int] = {}
    for kind, pts, expires_at, new in held:
        if kind == "normal" and program.expiry.kind is ExpiryKind.ROLLING:
            expires_at = rolling
        merged[(kind, expires_at, new)] = merged.get((kind, expires_at, new), 0) + pts
    out = [ExpiryLine(k, p, e, n) for (k, e, n), p in merged.items()]
    out.sort(key=lambda x: (x.expires_at is None, x.expires_at or FAR_PAST, x.new))
    return tuple(out)


def quote_sale(program: Program, amount_yen: int, *, redeem_points: int = 0, balance: int = 0,
               at: datetime | None = None, store_id: str | None = None,
               member: MemberContext | None = None) -> Quote:
    """Quote a sale of `amount_yen` where the member uses `redeem_points` points (1 pt = ¥1).

    The amount-only path: one line, no category. A program with campaigns needs `at`
    (QuoteError otherwise), since whether a campaign applies depends on the day.
    """
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int):
        raise QuoteError(AMOUNT_NOT_INTEGER)
    if amount_yen <= 0:
        raise QuoteError(AMOUNT_NOT_POSITIVE)
    if amount_yen > MAX_SALE_YEN:
        raise QuoteError(Message(AMOUNT_TOO_LARGE, limit=MAX_SALE_YEN))
    if at is not None:
        require_aware(at, "at")
    ctx = member if member is not None else MemberContext(balance=balance)
    return _quote(program, [Line(sku="", amount_yen=amount_yen)], ctx, at=at, store_id=store_id,
                  redeem_points=redeem_points, spent={})
