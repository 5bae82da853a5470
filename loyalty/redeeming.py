"""How many points a sale may use, why not more, and which lines the points pay for.

1 pt = ¥1. A redemption is bounded by the balance, the offline allowance while HQ cannot
be asked for a hold, the program's per-sale cap, and the amount of the lines points may
pay for (gift cards and the like excluded); then it is rounded down to the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.basket import MemberContext, QuoteError
from loyalty.message import QT_TRANSLATE_NOOP, Message
from loyalty.program import Program

# What the cashier is told (translated on screen through the "core" context).
REDEEM_NOT_INTEGER = QT_TRANSLATE_NOOP("core", "利用ポイントは整数で入力してください")
REDEEM_NEGATIVE = QT_TRANSLATE_NOOP("core", "利用ポイントは0以上で入力してください")
NEEDS_MEMBER = QT_TRANSLATE_NOOP("core", "ポイントを利用するには会員を確認してください")
OVER_BALANCE = QT_TRANSLATE_NOOP("core", "ポイント残高（{balance:,} pt）を超えて利用できません")
OVER_OFFLINE_ALLOWANCE = QT_TRANSLATE_NOOP("core", "オフライン中は {allowance:,} pt までしか利用できません")
OVER_TOTAL = QT_TRANSLATE_NOOP("core", "お会計金額を超えてポイントを利用できません")
OVER_ELIGIBLE = QT_TRANSLATE_NOOP("core", "ポイント利用対象の金額（{yen:,} 円）を超えて利用できません")
OVER_PER_SALE = QT_TRANSLATE_NOOP("core", "1回のご利用は {points:,} pt までです")
UNDER_MINIMUM = QT_TRANSLATE_NOOP("core", "ポイントは {points:,} pt 以上から利用できます")
NOT_A_UNIT = QT_TRANSLATE_NOOP("core", "ポイントは {points:,} pt 単位で利用できます")


@dataclass(frozen=True)
class RedeemLimit:
    max_points: int
    reason: str  # balance, offline, per_sale, eligible, minimum, no_member
    message: str  # for the cashier: why not more


def redeem_limit(program: Program, member: MemberContext | None, eligible_yen: int,
                 total_yen: int) -> RedeemLimit:
    """The most this sale may redeem, and the bound that decided it."""
    rule = program.redeem
    if member is None:
        return RedeemLimit(0, "no_member", "会員を確認するとポイントを利用できます")
    where = "お会計金額" if eligible_yen == total_yen else "ポイント利用対象の金額"
    bounds: list[tuple[int, str, str]] = [
        (max(0, member.balance), "balance", f"ポイント残高 {max(0, member.balance):,} pt まで"),
    ]
    if member.offline_allowance is not None:
        bounds.append((member.offline_allowance, "offline",
                       f"オフライン中の利用上限 {member.offline_allowance:,} pt まで"))
    if rule.max_per_sale is not None:
        bounds.append((rule.max_per_sale, "per_sale", f"1回のご利用上限 {rule.max_per_sale:,} pt まで"))
    bounds.append((eligible_yen, "eligible", f"{where} {eligible_yen:,} 円まで"))
    value, reason, message = min(bounds, key=lambda b: b[0])
    rounded = value - value % rule.unit
    if rounded != value:
        message += f"（{rule.unit:,} pt 単位）"
    if rounded < max(rule.minimum, 1):
        return RedeemLimit(0, "minimum" if value > 0 else reason,
                           f"{message}。{rule.minimum:,} pt 以上から利用できます"
                           if value > 0 else message)
    return RedeemLimit(rounded, reason, message)


def check_redemption(program: Program, member: MemberContext | None, points: int,
                     eligible_yen: int, total_yen: int) -> None:
    """Refuse a redemption the rules do not allow, saying which rule, in the cashier's words."""
    if isinstance(points, bool) or not isinstance(points, int):
        raise QuoteError(REDEEM_NOT_INTEGER)
    if points < 0:
        raise QuoteError(REDEEM_NEGATIVE)
    if points == 0:
        return
    rule = program.redeem
    if member is None:
        raise QuoteError(NEEDS_MEMBER)
    if points > member.balance:
        raise QuoteError(Message(OVER_BALANCE, balance=max(0, member.balance)))
    if member.offline_allowance is not None and points > member.offline_allowance:
        raise QuoteError(Message(OVER_OFFLINE_ALLOWANCE, allowance=member.offline_allowance))
    if points > total_yen:
        raise QuoteError(OVER_TOTAL)
    if points > eligible_yen:
        raise QuoteError(Message(OVER_ELIGIBLE, yen=eligible_yen))
    if rule.max_per_sale is not None and points > rule.max_per_sale:
        raise QuoteError(Message(OVER_PER_SALE, points=rule.max_per_sale))
    if points < rule.minimum:
        raise QuoteError(Message(UNDER_MINIMUM, points=rule.minimum))
    if points % rule.unit:
        raise QuoteError(Message(NOT_A_UNIT, points=rule.unit))


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` pro rata, exactly: largest remainders get the odd yen.

    Each share is at most its weight when total ≤ Σ weights; ties go to the earlier line so
    the register and HQ split the same way.
    """
    whole = sum(weights)
    if total == 0 or whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    left = total - sum(shares)
    if left:
        order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
        for i in order[:left]:
            shares[i] += 1
    return shares
