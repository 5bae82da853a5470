"""The register's SQLite schema: the op outbox, the cached member directory, programs,
receipts and sync state.

The schema is created and upgraded by the Alembic migrations in `sync/migrations/`;
these models are what the code reads and writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Outbox states. `queued` and `sent` still count as local pending effects; the others are
# final answers from HQ (parked ops wait at HQ for their parent and are still pending).
PENDING_STATES = ("queued", "sent", "parked")
OP_STATES = ("queued", "sent", "applied", "duplicate", "rejected", "parked")


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
    last_push_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_pull_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxOp(Base):
    __tablename__ = "ops"

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_seq: Mapped[int] = mapped_column(Integer, unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    # The exact op as sent on the wire: retries resend these bytes' content unchanged,
    # so HQ's payload hash matches and a retry is recognised as a duplicate.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    points_delta: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    """What the counter needs of a member, as HQ last said it."""

    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_no: Mapped[str] = mapped_column(String(32), index=True)
    display_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    hq_balance: Mapped[int] = mapped_column(Integer)


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
    print_state: Mapped[str] = mapped_column(String(16), default="pending")
    print_error: Mapped[str | None] = mapped_column(Text)
