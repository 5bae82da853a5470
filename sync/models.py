"""The register's SQLite schema: the op outbox, the local ledger mirror (members, lots,
pending effects), cards, programs, receipts, holds, staff, the audit log, sync state,
the store's recovery state, and the member-token keys and seen tokens.

The schema is created and upgraded by the Alembic migrations in `sync/migrations/`;
these models are what the code reads and writes, and a test keeps the two identical.
Times are stored as UTC text and come back timezone-aware (`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Outbox states. `queued` and `sent` still count as local pending effects, and so do
# `parked` ops (HQ holds them until their parent arrives); the others are final answers.
PENDING_STATES = ("queued", "sent", "parked")
FINAL_STATES = ("applied", "duplicate", "rejected")
OP_STATES = ("queued", "sent", "applied", "duplicate", "rejected", "parked")
HOLD_STATES = ("pending", "posted", "voided", "expired")
STAFF_ROLES = ("cashier", "manager")
RECOVERY_STATES = ("refusing", "rebuilding", "done")
LOT_KINDS = ("normal", "limited")

# SQLite's text format for a UTC time, the one SQLAlchemy writes; the sale path writes
# rows without the ORM and must produce the same text.
UTC_TEXT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def utc_text(value: datetime) -> str:
    """A timezone-aware time as the UTC text stored in the register database."""
    if value.tzinfo is None:
        raise ValueError("times stored in the register database must be timezone-aware")
    return value.astimezone(UTC).strftime(UTC_TEXT_FORMAT)


def parse_utc_text(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware time stored as UTC; a naive time is refused rather than guessed."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times stored in the register database must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class SyncState(Base):
    """One row: who this register is and how far it has synced."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(64))
    # The next device_seq to hand out; allocated inside the sale's transaction so the
    # sequence is gap-free.
    next_device_seq: Mapped[int] = mapped_column(Integer, default=1)
    pull_cursor: Mapped[int] = mapped_column(Integer, default=0)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class OutboxOp(Base):
    __tablename__ = "ops"
    __table_args__ = (
        CheckConstraint(_in("state", OP_STATES), name="ck_ops_state"),
        # Covers the pending-effect sum of a member without touching the table rows.
        Index("ix_ops_member_state", "member_id", "state", "points_delta"),
        Index("ix_ops_state_seq", "state", "device_seq"),
    )

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(64))
    # The exact op as sent on the wire: retries resend this content unchanged, so HQ's
    # payload hash matches and a retry is recognised as a duplicate.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The op's local ledger effect while it is pending (earned − redeemed).
    points_delta: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class Member(Base):
    """What the counter needs of a member, as HQ last said it. No full phone number and
    no birth date: a masked phone, a keyed hash to search by, and the birth month."""

    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_no: Mapped[str] = mapped_column(String(32), index=True)
    display_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    # The ledger mirror: balance and debt as of HQ's last word (lots in `member_lots`).
    hq_balance: Mapped[int] = mapped_column(Integer)
    kana: Mapped[str] = mapped_column(String(128), default="", server_default="")
    rank: Mapped[str] = mapped_column(String(32), default="", server_default="")
    birth_month: Mapped[int | None] = mapped_column(Integer)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    debt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # HQ's figures behind the rank (`sync.protocol.RankProgress`), written with the ledger
    # (only while none of the member's ops is unanswered); all None until HQ sends them.
    rank_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    rank_spend_yen: Mapped[int | None] = mapped_column(Integer)
    rank_visits: Mapped[int | None] = mapped_column(Integer)
    rank_last_visit_on: Mapped[date | None] = mapped_column(Date)
    member_since: Mapped[date | None] = mapped_column(Date)
    # This register's last device_seq when they were written: every op of the member up
    # to it had its answer, so HQ counted it; the ops after it are not in the figures.
    rank_seq: Mapped[int | None] = mapped_column(Integer)


class MemberLot(Base):
    """HQ's lot summary of a member: points of one kind expiring on one day."""

    __tablename__ = "member_lots"
    __table_args__ = (
        CheckConstraint(_in("kind", LOT_KINDS), name="ck_member_lots_kind"),
        # Clustered by member: a look-up reads one leaf page, not one page per lot.
        {"sqlite_with_rowid": False},
    )

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class Card(Base):
    __tablename__ = "cards"

    uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))


class ProgramSnapshot(Base):
    __tablename__ = "programs"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    toml: Mapped[str] = mapped_column(Text)


class ReceiptRecord(Base):
    """The receipt of an op, kept so it can be reprinted whatever happened to the printer."""

    __tablename__ = "receipts"

    op_id: Mapped[str] = mapped_column(ForeignKey("ops.op_id"), primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    print_state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    print_error: Mapped[str | None] = mapped_column(Text)
    print_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class Hold(Base):
    """A redemption hold taken at HQ: pending until the sale posts it, or voided/expired."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint(_in("state", HOLD_STATES), name="ck_holds_state"),
        CheckConstraint("points > 0", name="ck_holds_points"),
    )

    hold_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    points: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    op_id: Mapped[str | None] = mapped_column(String(36))


class Staff(Base):
    """A cashier or manager who signs in at this register with a PIN."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="ck_staff_role"),)

    staff_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str] = mapped_column(String(256))  # argon2id, with its parameters
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class AuditEntry(Base):
    """One append-only audit row; `hash` chains it to the row before (see sync.audit).

    Triggers made by the migration refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class RecoveryState(Base):
    """One row while (and after) the store recovers from a corrupt database file.

    It lives in the database so a register restarted half way through recovery still
    refuses to sell until the cache is rebuilt from HQ.
    """

    __tablename__ = "recovery"
    __table_args__ = (CheckConstraint(_in("state", RECOVERY_STATES), name="ck_recovery_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    kept_path: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    salvaged_ops: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class TokenKeyRecord(Base):
    """A public key HQ signs member app QR tokens with, as pulled (`token_key` changes)."""

    __tablename__ = "token_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64url unpadded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    # When HQ stopped signing with it: tokens signed before stay valid until they expire.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class SeenToken(Base):
    """A member token this register has accepted, kept until it could no longer verify,
    so showing the same code twice (a screenshot passed around) is refused."""

    __tablename__ = "seen_tokens"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
