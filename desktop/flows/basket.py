"""What the cashier types, as the sale needs it: whole numbers, basket lines, and what
the member panel points out about the member. Qt-free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop.flows.messages import EMPTY_BASKET, LINE_AMOUNT, NUMBERS_ONLY, Message
from loyalty.basket import Line
from loyalty.quote import QuoteError
from sync.protocol import SaleLine
from sync.store import MemberView

EXPIRING_SOON = timedelta(days=31)


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
