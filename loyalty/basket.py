"""What a quote is asked about: the basket's lines and what is known of the member.

The register fills these from its scanner and its local member cache; HQ fills them from
the op it received. Both then quote with the same code, so their figures agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from loyalty.dates import require_aware
from loyalty.message import QT_TRANSLATE_NOOP, Message

# What the cashier is told (translated on screen through the "core" context).
NO_LINES = QT_TRANSLATE_NOOP("core", "商品がありません")
TOO_MANY_LINES = QT_TRANSLATE_NOOP("core", "明細が多すぎます（上限 {limit} 行）")
LINE_NOT_INTEGER = QT_TRANSLATE_NOOP("core", "{n}行目: 金額は整数で入力してください")
LINE_NEGATIVE = QT_TRANSLATE_NOOP("core", "{n}行目: 金額は0円以上で入力してください")
LINE_BAD_QUANTITY = QT_TRANSLATE_NOOP("core", "{n}行目: 数量は1以上の整数で入力してください")
LINE_BAD_TAX = QT_TRANSLATE_NOOP("core", "{n}行目: 税率が正しくありません")
LINE_BAD_SKU = QT_TRANSLATE_NOOP("core", "{n}行目: 商品コードが正しくありません")
AMOUNT_TOO_LARGE = QT_TRANSLATE_NOOP("core", "金額が大きすぎます（上限 {limit:,} 円）")
AMOUNT_NOT_POSITIVE = QT_TRANSLATE_NOOP("core", "金額は1円以上で入力してください")
BAD_BALANCE = QT_TRANSLATE_NOOP("core", "ポイント残高が正しくありません")
BAD_BIRTH_MONTH = QT_TRANSLATE_NOOP("core", "誕生月が正しくありません")
BAD_ALLOWANCE = QT_TRANSLATE_NOOP("core", "オフライン利用枠が正しくありません")

# A register refuses amounts above this: no counter sale is a hundred million yen, and a
# typo of that size must not mint points.
MAX_SALE_YEN = 99_999_999
MAX_LINES = 999

LotKindName = Literal["normal", "limited"]


class QuoteError(ValueError):
    """A sale that cannot be quoted; the message is shown to the cashier."""


@dataclass(frozen=True)
class Line:
    """One basket line: what the member pays for it, consumption tax included, after discounts."""

    sku: str
    amount_yen: int
    category: str = ""
    quantity: int = 1
    tax_rate: int = 10  # percent: 10 standard, 8 reduced (food), 0 not taxed
    name: str = ""


@dataclass(frozen=True)
class HeldLot:
    """Points the member holds that expire together, as the register last heard from HQ."""

    kind: LotKindName
    points: int
    expires_at: datetime | None = None


@dataclass(frozen=True)
class MemberContext:
    """What the rules may ask about the member. Unknown facts stay at their defaults."""

    balance: int = 0
    rank: str | None = None
    birth_month: int | None = None
    enrolled_on: date | None = None
    # No sale yet since enrolment: the signup bonus (入会特典) applies.
    first_purchase: bool = False
    lots: tuple[HeldLot, ...] = ()
    # Set while offline: the most this member may redeem now (see ledger.offline_allowance).
    offline_allowance: int | None = None
    rolling_expires_at: datetime | None = None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_basket(lines: Sequence[Line]) -> int:
    """Validate the lines and return the sale total; QuoteError says what the cashier must fix."""
    if not lines:
        raise QuoteError(NO_LINES)
    if len(lines) > MAX_LINES:
        raise QuoteError(Message(TOO_MANY_LINES, limit=MAX_LINES))
    total = 0
    for n, line in enumerate(lines, 1):
        amount = line.amount_yen
        # `type(...) is int` refuses bool and float alike, and is cheap on a hot path.
        if type(amount) is not int:
            raise QuoteError(Message(LINE_NOT_INTEGER, n=n))
        if amount < 0:
            raise QuoteError(Message(LINE_NEGATIVE, n=n))
        if type(line.quantity) is not int or line.quantity < 1:
            raise QuoteError(Message(LINE_BAD_QUANTITY, n=n))
        if type(line.tax_rate) is not int or not 0 <= line.tax_rate <= 100:
            raise QuoteError(Message(LINE_BAD_TAX, n=n))
        if type(line.sku) is not str or type(line.category) is not str:
            raise QuoteError(Message(LINE_BAD_SKU, n=n))
        total += amount
        if total > MAX_SALE_YEN:
            raise QuoteError(Message(AMOUNT_TOO_LARGE, limit=MAX_SALE_YEN))
    if total <= 0:
        raise QuoteError(AMOUNT_NOT_POSITIVE)
    return total


def check_member(member: MemberContext) -> None:
    if not _is_int(member.balance):
        raise QuoteError(BAD_BALANCE)
    if member.birth_month is not None and not 1 <= member.birth_month <= 12:
        raise QuoteError(BAD_BIRTH_MONTH)
    if member.offline_allowance is not None and member.offline_allowance < 0:
        raise QuoteError(BAD_ALLOWANCE)
    for lot in member.lots:
        if lot.expires_at is not None:
            require_aware(lot.expires_at, "lot expiry")
