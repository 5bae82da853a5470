"""Sync protocol v1: the JSON shapes exchanged between a register and HQ.

This module is the one piece of `sync/` that HQ imports. It holds schemas and the
payload hash only: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 1000

OpKind = Literal["sale"]
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MIN_HOLD_TTL_S = 10
MAX_HOLD_TTL_S = 900
DEFAULT_HOLD_TTL_S = 120

# Fields added after v1 shipped, left out of the payload hash while they hold their default:
# an op stored by an older HQ must hash the same when its register retries it.
_HASH_OMITTED_WHEN_DEFAULT: tuple[tuple[str, str], ...] = (("payload", "hold_id"),)
OpStatus = Literal["applied", "duplicate", "rejected", "parked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalePayload(_Strict):
    """A sale: what the member paid and the points the register quoted."""

    amount_yen: int = Field(gt=0, le=99_999_999)
    points_earned: int = Field(ge=0)
    points_redeemed: int = Field(ge=0)
    receipt_no: str = Field(min_length=1, max_length=64)
    # The online hold this sale's redemption was reserved under (`POST /v1/holds`), if any.
    hold_id: str | None = Field(default=None, pattern=UUID_PATTERN)


class Op(_Strict):
    """One idempotent operation made by a register. `op_id` is made before any send."""

    op_id: str = Field(pattern=UUID_PATTERN)
    kind: OpKind
    device_id: str = Field(min_length=1, max_length=64)
    device_seq: int = Field(ge=1)
    store_id: str = Field(min_length=1, max_length=64)
    staff_id: str | None = Field(default=None, max_length=64)
    local_time: AwareDatetime
    program_version: int = Field(ge=1)
    member_id: str = Field(min_length=1, max_length=64)
    payload: SalePayload

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


class OpResult(_Strict):
    op_id: str
    status: OpStatus
    reason: str | None = None
    member_id: str | None = None
    balance: int | None = None
    points_earned: int | None = None
    server_seq: int | None = None


class PushResponse(_Strict):
    results: list[OpResult]


class LotSummary(_Strict):
    """Points of one kind that expire on one day, as the counter and receipt show them."""

    kind: Literal["normal", "limited"]
    points: int
    expires_at: AwareDatetime | None = None


class MemberState(_Strict):
    """What a register caches of a member: only what the counter needs.

    No full phone number and no birth date: the counter shows a masked phone, searches by
    a keyed hash of the number, and only needs the birth month for birthday offers.
    """

    member_id: str
    member_no: str
    display_name: str
    status: Literal["active", "blocked"]
    balance: int
    kana: str = ""
    rank: str = ""
    birth_month: int | None = Field(default=None, ge=1, le=12)
    phone_masked: str | None = None
    phone_hash: str | None = None
    debt: int = Field(default=0, ge=0)
    lots: list[LotSummary] = Field(default_factory=list)
    # Set when this member was merged into another: the register should follow it.
    merged_into: str | None = None


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

