"""What the ops of one push batch share while they are decided: the ledger, the holds,
cards and sales they look at, and the rows they leave to write.

`Refused` is a business refusal with its reason code; the reason codes are part of the
protocol (`docs/protocol.md`): the register shows them and keys on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from hq.auth import RegisterIdentity
from hq.ledger_store import Book, Ledger
from hq.models import Card, Register
from hq.programs import Programs
from loyalty.program import Program
from sync.protocol import Op

# Rejection reasons.
OP_ID_REUSED = "op_id_reused"
DEVICE_SEQ_REGRESSED = "device_seq_regressed"
UNKNOWN_MEMBER = "unknown_member"
MEMBER_BLOCKED = "member_blocked"
INSUFFICIENT_BALANCE = "insufficient_balance"
UNKNOWN_PROGRAM_VERSION = "unknown_program_version"
INVALID_REDEMPTION = "invalid_redemption"
INVALID_BASKET = "invalid_basket"
OFFLINE_CAP_EXCEEDED = "offline_cap_exceeded"
RETURN_EXCEEDS_SALE = "return_exceeds_sale"
SALE_NOT_APPLIED = "sale_not_applied"
STAFF_REQUIRED = "staff_required"
INVALID_REASON = "invalid_reason"
MEMBER_EXISTS = "member_exists"
MEMBER_NO_TAKEN = "member_no_taken"
INVALID_MEMBER = "invalid_member"
CARD_IN_USE = "card_in_use"
UNKNOWN_CARD = "unknown_card"
INVALID_CARD_UID = "invalid_card_uid"
SAME_MEMBER = "same_member"
MEMBER_HAS_HOLDS = "member_has_holds"
INVALID_PHONE = "invalid_phone"
INVALID_TEXT = "invalid_text"

_cards = cast(Table, Card.__table__)


class Refused(Exception):
    def __init__(self, reason: str, member_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.member_id = member_id


@dataclass
class HoldRow:
    hold_id: str
    member_id: str
    points: int
    status: str
    expires_at: datetime
    closed_at: datetime | None = None
    op_id: str | None = None
    touched: bool = False


@dataclass
class CardRow:
    uid: str
    member_id: str
    status: str
    new: bool = False
    touched: bool = False


@dataclass
class SaleRef:
    """What a return needs of its sale."""

    op_id: str
    member_id: str
    amount_yen: int
    points_redeemed: int
    returned_yen: int
    lot_ids: tuple[str, ...]
    touched: bool = False


@dataclass
class Decision:
    """An op's answer, and the entities registers must hear about if it was applied."""

    result: dict[str, Any]
    feed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Batch:
    """One push batch in its transaction."""

    conn: Connection
    register: RegisterIdentity
    now: datetime
    ledger: Ledger
    programs: Programs
    holds: dict[str, HoldRow] = field(default_factory=dict)
    cards: dict[str, CardRow] = field(default_factory=dict)
    sales: dict[str, SaleRef] = field(default_factory=dict)
    # Status of parent ops that are stored (or decided in this batch): "applied", "rejected".
    parents: dict[str, str] = field(default_factory=dict)
    purchase_rows: list[dict[str, Any]] = field(default_factory=list)
    grant_rows: list[dict[str, Any]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    dead_rows: list[dict[str, Any]] = field(default_factory=list)
    member_nos: set[str] = field(default_factory=set)  # member numbers taken in this batch
    phone_key: str | None = None
    # Points each budgeted campaign granted so far, read once per batch when first needed.
    spent: dict[str, int] | None = None
    _companies: dict[str, str] = field(default_factory=dict)

    def book(self, member_id: str) -> Book:
        """The member an op names, active; Refused otherwise."""
        book = self.ledger.books.get(member_id)
        if book is None:
            raise Refused(UNKNOWN_MEMBER)
        if book.status != "active":
            raise Refused(MEMBER_BLOCKED, member_id)
        return book

    def program(self, version: int) -> Program:
        program = self.programs.get(self.conn, version)
        if program is None:
            raise Refused(UNKNOWN_PROGRAM_VERSION)
        return program

    def company_of(self, device_id: str) -> str:
        """The company of a register (a parked op may be another register's)."""
        if device_id == self.register.device_id:
            return self.register.company_id
        if device_id not in self._companies:
            table = cast(Table, Register.__table__)
            found = self.conn.execute(select(table.c.company_id).where(table.c.device_id == device_id)).scalar()
            self._companies[device_id] = str(found or self.register.company_id)
        return self._companies[device_id]

    def load_cards(self, uids: set[str]) -> None:
        wanted = sorted(uids - set(self.cards))
        if wanted:
            for r in self.conn.execute(select(_cards.c.uid, _cards.c.member_id, _cards.c.status)
                                       .where(_cards.c.uid.in_(wanted))):  # fmt: skip
                self.cards[r.uid] = CardRow(r.uid, r.member_id, r.status)

    def audit(self, op: Op, action: str, entity_kind: str, entity_key: str, *,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
              reason: str | None = None) -> None:
        actor = f"{op.device_id}/{op.staff_id}" if op.staff_id else op.device_id
        self.audit_rows.append({
            "at": self.now, "actor_kind": "register", "actor": actor[:100], "action": action,
            "entity_kind": entity_kind, "entity_key": entity_key[:64], "before": before,
            "after": after, "reason": (reason or None) and reason[:500],
        })  # fmt: skip
