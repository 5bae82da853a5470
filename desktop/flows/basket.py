"""What the cashier types, as the sale needs it: whole numbers, basket lines, the
categories a line may be given, and what the member panel points out about the member.
Qt-free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop.flows.messages import (
    EMPTY_BASKET,
    LINE_AMOUNT,
    NUMBERS_ONLY,
    QT_TRANSLATE_NOOP,
    Message,
)
from loyalty.basket import Line
from loyalty.program import Program
from loyalty.quote import QuoteError
from sync.protocol import SaleLine
from sync.store import MemberView

EXPIRING_SOON = timedelta(days=31)

# The translation context of category names and of what a category does.
CATEGORY_CONTEXT = "Categories"

# A program names categories by code only (earn / redeem exclusions, campaigns). These are
# the codes chains use, with the words a cashier reads; any other code is shown as it is.
CATEGORY_NAMES: dict[str, str] = {
    "food": QT_TRANSLATE_NOOP("Categories", "食品"),
    "fresh": QT_TRANSLATE_NOOP("Categories", "生鮮食品"),
    "daily": QT_TRANSLATE_NOOP("Categories", "日用品"),
    "rice": QT_TRANSLATE_NOOP("Categories", "お米"),
    "drink": QT_TRANSLATE_NOOP("Categories", "飲料"),
    "alcohol": QT_TRANSLATE_NOOP("Categories", "酒類"),
    "tobacco": QT_TRANSLATE_NOOP("Categories", "たばこ"),
    "gift_card": QT_TRANSLATE_NOOP("Categories", "ギフトカード"),
    "garbage_bag": QT_TRANSLATE_NOOP("Categories", "指定ごみ袋"),
    "postage": QT_TRANSLATE_NOOP("Categories", "切手・はがき"),
    "prescription": QT_TRANSLATE_NOOP("Categories", "処方薬"),
    "medicine": QT_TRANSLATE_NOOP("Categories", "医薬品"),
    "cosmetics": QT_TRANSLATE_NOOP("Categories", "化粧品"),
    "baby": QT_TRANSLATE_NOOP("Categories", "ベビー用品"),
    "pet": QT_TRANSLATE_NOOP("Categories", "ペット用品"),
}
NO_CATEGORY = QT_TRANSLATE_NOOP("Categories", "分類なし")
# What the program does with a category, shown after its name.
NO_POINTS = QT_TRANSLATE_NOOP("Categories", "ポイント対象外")
NO_REDEEM = QT_TRANSLATE_NOOP("Categories", "ポイント利用不可")
NO_EARN_OR_REDEEM = QT_TRANSLATE_NOOP("Categories", "ポイント対象外・利用不可")
CAMPAIGN = QT_TRANSLATE_NOOP("Categories", "キャンペーン対象")


@dataclass(frozen=True)
class CategoryChoice:
    """A category a basket line may be given: its code (what the quote matches), its name
    and what the program does with it — both Japanese sources in `CATEGORY_CONTEXT`,
    translated where shown. `name` is the code itself for a code with no known name."""

    code: str
    name: str
    note: str = ""


def category_choices(program: Program | None) -> tuple[CategoryChoice, ...]:
    """"No category" first, then every category the program treats apart (excluded from
    earning or from paying with points, or the subject of a campaign), by name. Any other
    category earns like none, so it is not offered."""
    if program is None:
        return (CategoryChoice("", NO_CATEGORY),)
    no_earn, no_redeem = program.earn.exclude_categories, program.redeem.exclude_categories
    campaigns = frozenset().union(*(c.categories for c in program.campaigns))
    out = []
    for code in sorted(no_earn | no_redeem | campaigns):
        if code in no_earn and code in no_redeem:
            note = NO_EARN_OR_REDEEM
        elif code in no_earn:
            note = NO_POINTS
        elif code in no_redeem:
            note = NO_REDEEM
        else:
            note = CAMPAIGN
        out.append(CategoryChoice(code, CATEGORY_NAMES.get(code, code), note))
    # Known names before bare codes, each group in the order a cashier reads it.
    out.sort(key=lambda c: (c.code not in CATEGORY_NAMES, c.name))
    return (CategoryChoice("", NO_CATEGORY), *out)


@dataclass(frozen=True)
class MemberFlags:
    """What the member panel points out besides name and balance."""

    birthday_month: bool
    blocked_cards: int
    debt: int
    expiring_points: int  # points that expire within EXPIRING_SOON
    expiring_first: datetime | None  # the soonest of those expiries


def member_flags(member: MemberView, now: datetime, blocked_cards: int) -> MemberFlags:
    """The flags of `member` at `now`, from the lot summary HQ last sent."""
    horizon = now + EXPIRING_SOON
    soon = [lot.expires_at for lot in member.lots
            if lot.expires_at is not None and lot.expires_at <= horizon]
    return MemberFlags(
        birthday_month=member.birth_month == now.month,
        blocked_cards=blocked_cards,
        debt=member.debt,
        expiring_points=member.expiring_by(horizon),
        expiring_first=min(soon) if soon else None,
    )


def parse_int(text: str, what: str) -> int:
    """An integer typed by the cashier: digits (half or full width) and commas only."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    if cleaned == "":
        return 0
    if not cleaned.isdecimal():
        raise QuoteError(Message(NUMBERS_ONLY, what=Message(what)))
    return int(cleaned)  # int() accepts full-width digits, which a Japanese IME may type


def with_amount(lines: Sequence[Line], amount_text: str) -> list[Line]:
    """The basket to quote: the lines, plus the amount field as one more line when it is
    filled in (with no lines, the amount alone is the sale)."""
    basket = list(lines)
    if amount_text.strip():
        basket.append(Line(sku="", amount_yen=parse_int(amount_text, LINE_AMOUNT)))
    if not basket:
        raise QuoteError(Message(EMPTY_BASKET))
    return basket


def sale_lines(basket: Sequence[Line]) -> list[SaleLine]:
    return [SaleLine(sku=ln.sku, name=ln.name, category=ln.category, quantity=ln.quantity,
                     amount_yen=ln.amount_yen, tax_rate=ln.tax_rate) for ln in basket]
