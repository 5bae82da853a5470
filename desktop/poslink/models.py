"""The POS link's wire shapes: what a POS register sends, what it gets back, its refusals.

A POS sale is the POS's own basket and total; Tamaru only adds the member, the points
and the discount. Amounts are integer yen. `amount_yen` is always what the customer pays
before the points discount, consumption tax included; `tax_basis` says how the *lines*
are priced (内税 "included" or 外税 "excluded"), because a loyalty quote needs
tax-included lines and older registers print tax-excluded ones.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from loyalty.basket import MAX_LINES, MAX_SALE_YEN, Line

# Safe in a URL path and as part of a file name, and long enough for any POS's own ids.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"

SaleState = Literal["waiting", "confirmed", "cancelled", "refused"]
OPEN_STATES = ("waiting",)

# Why a sale was not confirmed, in both languages, so a POS can show either.
REASONS: dict[str, tuple[str, str]] = {
    "cancelled_by_pos": ("POS から取り消されました", "Cancelled by the POS"),
    "cancelled_at_counter": ("レジで取り消されました", "Cancelled at the loyalty counter"),
    "no_member": ("会員なしでお会計してください（ポイントなし）",
                  "No member: settle without points"),
    "expired": ("レジで確定されないまま時間が過ぎたため取り消しました",
                "Not settled at the counter in time: expired"),
    # Returns the counter cannot take (the cashier sees the same reason on screen).
    "sale_unknown_here": ("元の取引がこのレジの記録にありません",
                          "The original sale is not in this register's records"),
    "sale_refused_by_hq": ("元の取引は本部で受け付けられなかったため、戻すポイントがありません",
                           "HQ refused the original sale: there are no points to reverse"),
    "return_exceeds_left": ("レジで返品済みの分があり、この金額は返品できません",
                            "Part of the sale was already returned at the counter: "
                            "this amount exceeds what is left"),
    "return_not_possible": ("この返品のポイントを処理できません",
                            "The points of this return cannot be processed"),
}

Id = Annotated[str, Field(pattern=ID_PATTERN, examples=["POS-20261122-0042"])]
Yen = Annotated[int, Field(ge=0, le=MAX_SALE_YEN)]


class _Body(BaseModel):
    # Strict: "3280" or 3280.5 as an amount is a POS bug to report, not to guess at;
    # unknown fields are refused so a misspelt one is named instead of ignored.
    model_config = ConfigDict(extra="forbid", strict=True)


class PosLine(_Body):
    """One basket line as the POS rang it up, after line discounts."""

    sku: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=100)
    category: str = Field(
        default="", max_length=32,
        description="The program's category code (excluded categories earn nothing)")
    quantity: int = Field(default=1, ge=1, le=99_999)
    amount_yen: Yen
    tax_rate: int = Field(default=10, ge=0, le=100, description="Percent: 10, 8 (reduced) or 0")


def _tax_bounds(lines: list[PosLine]) -> tuple[int, int]:
    """The least and most tax on tax-excluded lines: rounded once per rate, either way."""
    by_rate: dict[int, int] = {}
    for line in lines:
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, 0) + line.amount_yen
    low = sum(yen * rate // 100 for rate, yen in by_rate.items())
    high = sum(-(-yen * rate // 100) for rate, yen in by_rate.items())
    return low, high


class PosSaleRequest(_Body):
    """`POST /v1/pos/sales`: a sale the POS wants the loyalty counter to settle."""

    sale_id: Id = Field(description="The POS's own id for this sale; retries reuse it")
    amount_yen: int = Field(gt=0, le=MAX_SALE_YEN,
                            description="What the customer pays before points, tax included")
    tax_basis: Literal["included", "excluded"] = Field(
        default="included", description="How the lines are priced: 内税 or 外税")
    currency: Literal["JPY"] = "JPY"
    lines: list[PosLine] | None = Field(default=None, min_length=1, max_length=MAX_LINES)

    @field_validator("lines")
    @classmethod
    def _lines_add_up(cls, lines: list[PosLine] | None,
                      info: ValidationInfo) -> list[PosLine] | None:
        amount, basis = info.data.get("amount_yen"), info.data.get("tax_basis")
        if lines is None or amount is None or basis is None:
            return lines
        subtotal = sum(line.amount_yen for line in lines)
        if basis == "included":
            if subtotal != amount:
                raise ValueError(f"lines add up to {subtotal} yen, not amount_yen {amount}")
            return lines
        low, high = _tax_bounds(lines)
        if not subtotal + low <= amount <= subtotal + high:
            raise ValueError(f"tax-excluded lines ({subtotal} yen) plus consumption tax give "
                             f"{subtotal + low}..{subtotal + high} yen, not amount_yen {amount}")
        return lines

    def basket(self) -> tuple[Line, ...]:
        """The basket as the loyalty quote takes it: tax-included lines adding up to the total."""
        if not self.lines:
            return (Line(sku="", amount_yen=self.amount_yen),)
        if self.tax_basis == "included":
            return tuple(_line(ln, ln.amount_yen) for ln in self.lines)
        # Share the tax-included total by each line's tax-included weight (largest
        # remainder), so the lines add up to exactly what the customer pays.
        weights = [ln.amount_yen * (100 + ln.tax_rate) for ln in self.lines]
        total = sum(weights)
        if total == 0:
            shares = [0] * len(weights)
            shares[0] = self.amount_yen
        else:
            shares = [self.amount_yen * w // total for w in weights]
            order = sorted(range(len(weights)),
                           key=lambda i: -(self.amount_yen * weights[i] % total))
            for i in order[: self.amount_yen - sum(shares)]:
                shares[i] += 1
        return tuple(_line(ln, share) for ln, share in zip(self.lines, shares, strict=True))


def _line(line: PosLine, amount_yen: int) -> Line:
    return Line(sku=line.sku, amount_yen=amount_yen, category=line.category,
                quantity=line.quantity, tax_rate=line.tax_rate, name=line.name)


class PosReturnRequest(_Body):
    """`POST /v1/pos/returns`: goods of a confirmed POS sale brought back."""

    return_id: Id = Field(description="The POS's own id for this return; retries reuse it")
    sale_id: Id = Field(description="The original POS sale (confirmed through this link)")
    amount_yen: int = Field(gt=0, le=MAX_SALE_YEN, description="Yen refunded, tax included")
    lines: list[PosLine] | None = Field(default=None, min_length=1, max_length=MAX_LINES)

    @field_validator("lines")
    @classmethod
    def _lines_add_up(cls, lines: list[PosLine] | None,
                      info: ValidationInfo) -> list[PosLine] | None:
        amount = info.data.get("amount_yen")
        if lines is not None and amount is not None:
            subtotal = sum(line.amount_yen for line in lines)
            if subtotal != amount:
                raise ValueError(f"lines add up to {subtotal} yen, not amount_yen {amount}")
        return lines


class Detail(BaseModel):
    ja: str
    en: str


class SaleResult(BaseModel):
    """What the POS applies once the cashier confirmed: the discount and the points."""

    points_earned: int
    points_used: int
    discount_yen: int = Field(description="Points used, 1 pt = ¥1: take this off the bill")
    amount_due_yen: int = Field(description="amount_yen − discount_yen")
    balance_after: int
    receipt_no: str = Field(description="The loyalty receipt's number (取引番号)")
    member_no: str = Field(description="The member number, masked (…0017)")
    confirmed_at: datetime


class ReturnResult(BaseModel):
    """What the POS is told once the cashier confirmed the return."""

    points_reversed: int = Field(description="Points earned by the sale and taken back")
    points_restored: int = Field(description="Points the sale used and gave back")
    balance_after: int = Field(description="The member's balance after the return (never "
                                           "below 0: what is missing is debt_after)")
    debt_after: int = Field(default=0, description="Points the member owes after the "
                                                   "return (spent points of the sale)")
    receipt_no: str = Field(description="The loyalty return receipt's number (返品受付票)")
    member_no: str = Field(default="", description="The member number, masked (…0017)")
    confirmed_at: datetime


class SaleView(BaseModel):
    sale_id: str
    state: SaleState
    amount_yen: int
    received_at: datetime
    updated_at: datetime
    expires_at: datetime | None = Field(
        default=None, description="While waiting: when it is refused as `expired`")
    result: SaleResult | None = None
    reason: str | None = Field(default=None, description="Why it was not confirmed")
    detail: Detail | None = None


class ReturnView(BaseModel):
    return_id: str
    sale_id: str
    state: SaleState
    amount_yen: int
    received_at: datetime
    updated_at: datetime
    expires_at: datetime | None = Field(
        default=None, description="While waiting: when it is refused as `expired`")
    result: ReturnResult | None = None
    reason: str | None = Field(default=None, description="Why it was not confirmed")
    detail: Detail | None = None


class ErrorBody(BaseModel):
    """Every refusal: a stable code, a sentence in Japanese and English, and context."""

    error: str
    detail: Detail
    field: str | None = None
    waiting: dict[str, str] | None = Field(
        default=None, description="counter_busy: the request at the counter "
                                  "(kind, id, expires_at)")


class PosError(Exception):
    """A refusal with its HTTP status; `body()` is what the POS receives."""

    def __init__(self, status: int, code: str, ja: str, en: str, **extra: Any) -> None:
        super().__init__(f"{code}: {en}")
        self.status, self.code, self.ja, self.en, self.extra = status, code, ja, en, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": {"ja": self.ja, "en": self.en}, **self.extra}


def body_hash(request: BaseModel) -> str:
    """SHA-256 of the request's canonical JSON: defaults filled, keys sorted, no spaces."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
