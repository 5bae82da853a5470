"""Sync protocol v1: the JSON shapes exchanged between a register and HQ.

This module is the one piece of `sync/` that HQ imports. It holds schemas and the
payload hash only: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

PROTOCOL_VERSION = 1
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 1000

OpKind = Literal["sale", "return", "adjust", "enroll", "card_block", "card_reissue", "merge"]
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MIN_HOLD_TTL_S = 10
MAX_HOLD_TTL_S = 900
DEFAULT_HOLD_TTL_S = 120

# Fields added after v1 shipped, left out of the payload hash while they hold their default:
# an op stored by an older HQ must hash the same when its register retries it.
_HASH_OMITTED_WHEN_DEFAULT: tuple[tuple[str, str], ...] = (
    ("payload", "hold_id"),
    ("payload", "lines"),
)
OpStatus = Literal["applied", "duplicate", "rejected", "parked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Payload(_Strict):
    """An op's payload. Which model applies is decided by the op's `kind`."""

    @model_validator(mode="before")
    @classmethod
    def _drop_kind_tag(cls, data: Any) -> Any:
        # `Op` tags a raw payload with its kind so the union picks the model by kind.
        if isinstance(data, dict) and _KIND_TAG in data:
            data = {k: v for k, v in data.items() if k != _KIND_TAG}
        return data


class SaleLine(_Strict):
    """One basket line as the register rang it up: tax included, after discounts."""

    sku: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=100)
    category: str = Field(default="", max_length=32)
    quantity: int = Field(default=1, ge=1, le=99_999)
    amount_yen: int = Field(ge=0, le=99_999_999)
    tax_rate: int = Field(default=10, ge=0, le=100)


class SalePayload(_Payload):
    """A sale: what the member paid and the points the register quoted."""

    amount_yen: int = Field(gt=0, le=99_999_999)
    points_earned: int = Field(ge=0)
    points_redeemed: int = Field(ge=0)
    receipt_no: str = Field(min_length=1, max_length=64)
    # The online hold this sale's redemption was reserved under (`POST /v1/holds`), if any.
    hold_id: str | None = Field(default=None, pattern=UUID_PATTERN)
    # The basket, so HQ can quote categories and campaigns as the register did; without
    # it HQ quotes one line of `amount_yen`. The lines must add up to `amount_yen`.
    lines: list[SaleLine] | None = Field(default=None, min_length=1, max_length=999)


class ReturnPayload(_Payload):
    """Goods of an earlier sale brought back: all of it or part, by yen."""

    sale_op_id: str = Field(pattern=UUID_PATTERN)
    returned_yen: int = Field(gt=0, le=99_999_999)
    receipt_no: str = Field(min_length=1, max_length=64)
    lines: list[SaleLine] | None = Field(default=None, min_length=1, max_length=999)


class AdjustPayload(_Payload):
    """A manager's correction at the register: points given (> 0) or taken (< 0)."""

    points: int = Field(ge=-99_999_999, le=99_999_999)
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustPayload:
        if self.points == 0:
            raise ValueError("points: an adjustment of 0 changes nothing")
        return self


class EnrollPayload(_Payload):
    """A member enrolled at the counter, online or not. The op's `member_id` is the new
    member's id, made at the register. The phone number is hashed on arrival at HQ and
    never stored there in plain."""

    display_name: str = Field(min_length=1, max_length=100)
    kana: str = Field(default="", max_length=100)
    birth_month: int | None = Field(default=None, ge=1, le=12)
    phone: str | None = Field(default=None, max_length=32)
    card_uid: str | None = Field(default=None, max_length=40)
    # A pre-printed member card's number (EAN-13); HQ assigns one when absent.
    member_no: str | None = Field(default=None, pattern=r"^[0-9]{13}$")


class CardBlockPayload(_Payload):
    card_uid: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=200)


class CardReissuePayload(_Payload):
    """A new card for the member of `old_card_uid`, which is blocked; points stay."""

    old_card_uid: str = Field(min_length=1, max_length=40)
    new_card_uid: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=200)


class MergePayload(_Payload):
    """Everything of the source member moves to the target (the op's `member_id`)."""

    source_member_id: str = Field(min_length=1, max_length=64)
    target_member_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=200)


_KIND_TAG = "__kind__"
PAYLOADS: dict[str, type[_Payload]] = {
    "sale": SalePayload,
    "return": ReturnPayload,
    "adjust": AdjustPayload,
    "enroll": EnrollPayload,
    "card_block": CardBlockPayload,
    "card_reissue": CardReissuePayload,
    "merge": MergePayload,
}
_KIND_OF = {model: kind for kind, model in PAYLOADS.items()}


def _payload_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get(_KIND_TAG)
        return tag if isinstance(tag, str) else None
    return _KIND_OF.get(type(value))


Payload = Annotated[
    Annotated[SalePayload, Tag("sale")]
    | Annotated[ReturnPayload, Tag("return")]
    | Annotated[AdjustPayload, Tag("adjust")]
    | Annotated[EnrollPayload, Tag("enroll")]
    | Annotated[CardBlockPayload, Tag("card_block")]
    | Annotated[CardReissuePayload, Tag("card_reissue")]
    | Annotated[MergePayload, Tag("merge")],
    Discriminator(_payload_kind),
]


class Op(_Strict):
    """One idempotent operation made by a register. `op_id` is made before any send.

    `payload` is the model `kind` names (`PAYLOADS`): a sale's is `SalePayload`, and so on.
    """

    op_id: str = Field(pattern=UUID_PATTERN)
    kind: OpKind
    device_id: str = Field(min_length=1, max_length=64)
    device_seq: int = Field(ge=1)
    store_id: str = Field(min_length=1, max_length=64)
    staff_id: str | None = Field(default=None, max_length=64)
    local_time: AwareDatetime
    program_version: int = Field(ge=1)
    member_id: str = Field(min_length=1, max_length=64)
    payload: Payload

    @model_validator(mode="before")
    @classmethod
    def _tag_payload(cls, data: Any) -> Any:
        # The payload's model follows from the op's kind, not from its fields.
        if isinstance(data, dict):
            kind, payload = data.get("kind"), data.get("payload")
            if isinstance(kind, str) and kind in PAYLOADS and isinstance(payload, dict):
                return {**data, "payload": {**payload, _KIND_TAG: kind}}
        return data

    @model_validator(mode="after")
    def _payload_matches_kind(self) -> Op:
        if _KIND_OF.get(type(self.payload)) != self.kind:
            raise ValueError(f"payload: not a {self.kind} payload")
        return self

    def payload_hash(self) -> str:
        return op_hash(self)


def op_hash(op: Op) -> str:
    """SHA-256 of the op's canonical JSON: the same op retried hashes the same."""
    data: dict[str, Any] = op.model_dump(mode="json")
    for section, field in _HASH_OMITTED_WHEN_DEFAULT:
        if data[section].get(field) is None:
            data[section].pop(field, None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class PushRequest(_Strict):
    ops: list[Op] = Field(min_length=1, max_length=MAX_PUSH_BATCH)


class LotSummary(_Strict):
    """Points of one kind that expire on one day, as the counter and receipt show them."""

    kind: Literal["normal", "limited"]
    points: int
    expires_at: AwareDatetime | None = None


class PointsLine(_Strict):
    """One part of what a sale earned, as HQ computed it: base, rank, or a campaign."""

    source: str  # "base", "rank", or the campaign id
    name: str
    points: int
    limited: bool = False
    expires_at: AwareDatetime | None = None


class OpResult(_Strict):
    op_id: str
    status: OpStatus
    reason: str | None = None
    member_id: str | None = None
    balance: int | None = None
    points_earned: int | None = None
    server_seq: int | None = None
    # (added) Authoritative figures: what HQ recorded, whatever the register quoted.
    debt: int | None = None
    points_redeemed: int | None = None
    breakdown: list[PointsLine] | None = None
    points_reversed: int | None = None  # a return: earned points taken back
    points_restored: int | None = None  # a return: used points given back
    member_no: str | None = None  # an enrolment: the member's number
    lots: list[LotSummary] | None = None  # the member's points by expiry, after the op


class PushResponse(_Strict):
    results: list[OpResult]


def _left_out(value: object) -> bool:
    return value is None


class RankProgress(_Strict):
    """(added) The figures behind a member's rank, as HQ counted them at `as_of`: over the
    newest program's ranking window ending then, in its time zone, the way the ranks job
    counts them (sales less returns, every register and store; the purchases of members
    merged into this one included). A receipt adds the register's own later sales to them.
    """

    as_of: AwareDatetime
    spend_yen: int = Field(ge=0)  # never below zero, as the ranks job counts it
    visits: int = Field(ge=0)  # distinct days with a sale
    last_visit_on: date | None = None  # the newest of those days; None when there are none
    member_since: date  # the enrolment day, for `min_years`


class MemberState(_Strict):
    """What a register caches of a member: only what the counter needs.

    No full phone number and no birth date: the counter shows a masked phone, searches by
    a keyed hash of the number, and only needs the birth month for birthday offers.
    """

    member_id: str
    member_no: str
    display_name: str
    status: Literal["active", "blocked"]
    balance: int  # Σ lots − debt: negative while the member owes points
    kana: str = ""
    rank: str = ""
    birth_month: int | None = Field(default=None, ge=1, le=12)
    phone_masked: str | None = None
    phone_hash: str | None = None
    debt: int = Field(default=0, ge=0)
    lots: list[LotSummary] = Field(default_factory=list)
    # Set when this member was merged into another: the register should follow it.
    merged_into: str | None = None
    # Only sent to a register that asks for it (`rank_progress=true`) and left out of the
    # JSON when absent: a register from before the field refuses fields it does not know.
    rank_progress: RankProgress | None = Field(default=None, exclude_if=_left_out)


class CardState(_Strict):
    uid: str
    member_id: str
    status: Literal["active", "blocked"]


class ProgramDoc(_Strict):
    version: int
    toml: str


class TokenKey(_Strict):
    """A public key that verifies member app QR tokens, as the register pulls it.

    `retired_at` is when HQ stopped signing with it; tokens signed before then stay
    valid until they expire, so a register keeps a retired key a while longer.
    """

    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str  # the raw 32-byte key, base64url without padding
    created_at: AwareDatetime
    retired_at: AwareDatetime | None = None


class Change(_Strict):
    server_seq: int
    kind: Literal["member", "card", "program", "token_key"]
    member: MemberState | None = None
    card: CardState | None = None
    program: ProgramDoc | None = None
    token_key: TokenKey | None = None


class PullResponse(_Strict):
    cursor: int
    has_more: bool
    changes: list[Change]


class ErrorBody(_Strict):
    detail: str


# -- register activation ------------------------------------------------------------


class ActivateRequest(_Strict):
    """What a register sends once, with the code an HQ operator gave its installer."""

    device_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)


class RegisterInfo(_Strict):
    """What a register needs to know about itself and HQ (`GET /v1/registers/me`).

    `phone_hash_key` is the shared key of `MemberState.phone_hash`: with it the counter
    hashes a typed phone number to search its cache. It is a secret shared with the
    company's registers, never shown on screen.
    """

    device_id: str
    store_id: str
    company_id: str
    epoch: int
    protocol: int = PROTOCOL_VERSION
    program_version: int | None = None
    token_keys: list[TokenKey] = Field(default_factory=list)
    phone_hash_key: str


class ActivateResponse(RegisterInfo):
    token: str


# -- online holds and member look-up ------------------------------------------------


class HoldRequest(_Strict):
    """Reserve `points` of a member's balance for a sale about to be made online."""

    hold_id: str = Field(pattern=UUID_PATTERN)
    member_id: str = Field(min_length=1, max_length=64)
    points: int = Field(gt=0, le=99_999_999)
    ttl: int = Field(default=DEFAULT_HOLD_TTL_S, ge=MIN_HOLD_TTL_S, le=MAX_HOLD_TTL_S)


class HoldState(_Strict):
    hold_id: str
    member_id: str
    points: int
    status: Literal["pending", "posted", "voided", "expired"]
    created_at: AwareDatetime
    expires_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    op_id: str | None = None  # the sale that posted it
    balance: int  # the member's balance now
    available: int  # balance minus every pending hold


class MemberLookup(_Strict):
    """A member as HQ knows them now, for an online look-up at the counter."""

    member: MemberState
    cards: list[CardState]
    held: int  # points reserved by pending holds
    available: int


class EnrollRequest(_Strict):
    """Enrol a member. `request_id` makes a retry return the first answer."""

    request_id: str = Field(pattern=UUID_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    kana: str = Field(default="", max_length=100)
    birth_month: int | None = Field(default=None, ge=1, le=12)
    phone: str | None = Field(default=None, max_length=32)
    card_uid: str | None = Field(default=None, max_length=40)
    member_no: str | None = Field(default=None, pattern=r"^[0-9]{13}$")
    staff_id: str | None = Field(default=None, max_length=64)
    store_id: str | None = Field(default=None, max_length=64)  # admin only; a register's own


class HistoryEntry(_Strict):
    entry_id: int
    at: AwareDatetime
    kind: str
    points: int
    balance_after: int
    op_id: str | None = None
    note: str | None = None


class HistoryPage(_Strict):
    member_no: str
    entries: list[HistoryEntry]
    # Pass as `before` for the next (older) page; None when this page reaches the start.
    next_before: int | None = None


class AppToken(_Strict):
    token: str
    key_id: str
    member_no: str
    expires_at: AwareDatetime



# -- store summary and sale look-up (added) ------------------------------------------


class SummaryRegister(_Strict):
    """A register of the store with ops in the window."""

    device_id: str
    ops: int  # its ops in the window, refused ones included


class SummaryStaff(_Strict):
    staff_id: str  # "" for enrolments recorded without a staff member
    enrolments: int


class SummaryCampaign(_Strict):
    """Points of one line of HQ's sale breakdowns, added up over the window."""

    source: str  # "base", "rank", or the campaign id, as in `PointsLine`
    name: str
    points: int


class SummaryHour(_Strict):
    hour: int = Field(ge=0, le=23)  # hour of day in the offset `start` was given in
    issued: int
    redeemed: int


class StoreSummary(_Strict):
    """A store's figures over `[start, end)` by the registers' clocks, from HQ's ledger of
    record over every register of the store: what a register's own report computes for
    itself (`desktop.flows.reports`), with HQ's figures for every op.

    Refused ops count only in `rejected`. A return HQ holds until its sale arrives counts
    in `returns` and `returns_yen` and in `parked`, with no points moved yet.
    """

    store_id: str
    start: AwareDatetime
    end: AwareDatetime
    as_of: AwareDatetime  # HQ's clock when the figures were read
    registers: list[SummaryRegister]
    sales: int
    sales_yen: int
    members: int  # different members who bought
    points_issued: int
    points_redeemed: int
    returns: int
    returns_yen: int
    points_reversed: int  # earned points returns took back
    points_restored: int  # used points returns gave back
    adjustments: int
    points_adjusted: int  # signed sum of the adjustments
    enrolments: int
    enrolments_by_staff: list[SummaryStaff]  # most first
    campaigns: list[SummaryCampaign]  # most points first
    hours: list[SummaryHour]  # 24 rows, hour 0 first
    parked: int  # returns waiting for their sale
    rejected: int  # ops HQ refused (not counted above)


class SaleReturnInfo(_Strict):
    """A return of the sale that HQ has applied, at any register."""

    op_id: str
    receipt_no: str
    device_id: str
    local_time: AwareDatetime
    returned_yen: int
    points_reversed: int
    points_restored: int
    lines: list[SaleLine] | None = None


class SaleLookup(_Strict):
    """A sale as HQ recorded it, found by receipt number, with what a return needs: it can
    stand in for the register's own record when the sale was made at another register of
    the same store. Points are HQ's (authoritative) figures.

    `member_id` is the member who holds the sale's points now (after a merge, the
    target), the one HQ applies a return to; `member_display_name` is masked.
    """

    op_id: str
    receipt_no: str
    store_id: str
    device_id: str
    staff_id: str | None = None
    member_id: str
    member_no: str
    member_display_name: str | None = None
    member_status: Literal["active", "blocked"]
    local_time: AwareDatetime
    program_version: int
    amount_yen: int
    earn_base_yen: int | None = None  # None when the sale cannot be quoted again
    points_earned: int
    points_redeemed: int
    returned_yen: int  # by the returns HQ applied
    remaining_yen: int
    lines: list[SaleLine] | None = None
    returned_lines: list[SaleLine] = Field(default_factory=list)
    returns: list[SaleReturnInfo] = Field(default_factory=list)
