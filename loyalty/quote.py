"""Quoting a sale: how many points it earns and how many may be redeemed.

All arithmetic is on integers. The quote explains itself so the screen and the receipt
can say why the numbers are what they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.program import Program, Rounding

# A register refuses amounts above this: no counter sale is a hundred million yen, and a
# typo of that size must not mint points.
MAX_SALE_YEN = 99_999_999


class QuoteError(ValueError):
    """A sale that cannot be quoted; the message is shown to the cashier."""


@dataclass(frozen=True)
class Quote:
    amount_yen: int
    redeem_points: int
    earn_base_yen: int
    points_earned: int
    program_version: int

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
    """Points for `base_yen` at the program's base rate, rounded once per sale."""
    return _divide(base_yen * program.earn.points, program.earn.per_yen, program.earn.rounding)


def quote_sale(program: Program, amount_yen: int, *, redeem_points: int = 0, balance: int = 0) -> Quote:
    """Quote a sale of `amount_yen` where the member uses `redeem_points` points (1 pt = ¥1)."""
    if isinstance(amount_yen, bool) or not isinstance(amount_yen, int):
        raise QuoteError("金額は整数で入力してください")
    if amount_yen <= 0:
        raise QuoteError("金額は1円以上で入力してください")
    if amount_yen > MAX_SALE_YEN:
        raise QuoteError(f"金額が大きすぎます（上限 {MAX_SALE_YEN:,} 円）")
    if redeem_points < 0:
        raise QuoteError("利用ポイントは0以上で入力してください")
    if redeem_points:
        if redeem_points > balance:
            raise QuoteError(f"ポイント残高（{balance:,} pt）を超えて利用できません")
        if redeem_points > amount_yen:
            raise QuoteError("お会計金額を超えてポイントを利用できません")
        if redeem_points < program.redeem.minimum:
            raise QuoteError(f"ポイントは {program.redeem.minimum:,} pt 以上から利用できます")
        if redeem_points % program.redeem.unit:
            raise QuoteError(f"ポイントは {program.redeem.unit:,} pt 単位で利用できます")
    # The part paid with points earns nothing: points are not money the member spent.
    earn_base = amount_yen - redeem_points
    return Quote(
        amount_yen=amount_yen,
        redeem_points=redeem_points,
        earn_base_yen=earn_base,
        points_earned=base_points(program, earn_base),
        program_version=program.version,
    )
