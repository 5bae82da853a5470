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
OpStatus = Literal["applied", "duplicate", "rejected", "parked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalePayload(_Strict):
    """A sale: what the member paid and the points the register quoted."""

    amount_yen: int = Field(gt=0, le=99_999_999)
    points_earned: int = Field(ge=0)
    points_redeemed: int = Field(ge=0)
    receipt_no: str = Field(min_length=1, max_length=64)


class Op(_Strict):
    """One idempotent operation made by a register. `op_id` is made before any send."""

    op_id: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
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


class CardState(_Strict):
    uid: str
    member_id: str
    status: Literal["active", "blocked"]


class ProgramDoc(_Strict):
    version: int
    toml: str


class Change(_Strict):
    server_seq: int
    kind: Literal["member", "card", "program"]
    member: MemberState | None = None
    card: CardState | None = None
    program: ProgramDoc | None = None


class PullResponse(_Strict):
    cursor: int
    has_more: bool
    changes: list[Change]


class ErrorBody(_Strict):
    detail: str

