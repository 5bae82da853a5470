"""The HQ database schema as SQLAlchemy 2 typed models.

HQ owns the truth: the ledger, member balances, and the permanent table of every op a
register ever sent. Alembic revisions under `hq/migrations/` create these tables; a change
here needs a new revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let Alembic's SQLite batch mode find and alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only aliases the rowid for a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")

SEQ_COUNTER_ID = 1

# Every kind DESIGN §5 names, and the two halves of a member merge.
LEDGER_KINDS = (
    "earn", "redeem", "reverse_earn", "restore_redeem", "expire", "adjust", "debt",
    "debt_settle", "merge_out", "merge_in",
)  # fmt: skip
LEDGER_KINDS_SQL = ", ".join(f"'{k}'" for k in LEDGER_KINDS)
OP_STATUSES_SQL = "'applied', 'rejected', 'parked'"
LOT_ID_LEN = 80  # "<op_id>#<n>" and the like: an op id (36) with room to spare
DEBT_ID_LEN = 120  # a redemption id, or "<op_id>:<lot_id>" for a return's shortfall
FEED_KINDS_SQL = "'member', 'card', 'program', 'token_key'"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL keeps `timestamptz`; SQLite has no time zone type, so the value is stored
    as naive UTC and the zone is put back on the way out. Naive input is refused: a
    naive time at HQ is a bug, not a local time to guess about.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: HQ stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Register(Base):
    """A store register allowed to sync. Only the SHA-256 of its token is kept."""

    __tablename__ = "registers"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), index=True)
    company_id: Mapped[str] = mapped_column(String(64))
    # None until the register activates its provisioning code (or after re-registration).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Highest device_seq HQ has taken from this register in the current epoch; a new op at
    # or below it means the register was restored from a backup and must re-register.
    last_device_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Re-registration starts a new epoch: device_seq tracking starts again from zero.
    epoch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Member(Base):
    """A member and the minimal profile HQ keeps: never a plain phone number or birth date."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'blocked')", name="status"),
        # Who was merged into a member (their purchases count for its rank): few rows.
        Index("ix_members_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL"),
              sqlite_where=text("merged_into IS NOT NULL")),
    )

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_no: Mapped[str] = mapped_column(String(13), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    # Always equal to the sum of the member's ledger entries; kept here so a sale does
    # not have to sum the whole history.
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kana: Mapped[str] = mapped_column(String(100), default="", server_default="")
    birth_month: Mapped[int | None] = mapped_column(Integer)
    # HMAC-SHA256 of the phone's digits under HQ's phone key, and a masked form to show.
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    # A merged member stays (blocked) so old cards and history still resolve.
    merged_into: Mapped[str | None] = mapped_column(String(64))
    # Where and by whom the member was enrolled: the basis of the new-members report.
    enrolled_store_id: Mapped[str | None] = mapped_column(String(64))
    enrolled_staff_id: Mapped[str | None] = mapped_column(String(64))
    enrolled_device_id: Mapped[str | None] = mapped_column(String(64))
    # The ledger's state beside the lots: points owed (balance = Σ lots − debt), the
    # last earn and use (rolling expiry counts them), the rank, and the first sale
    # (a signup bonus applies until then).
    debt: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rank: Mapped[str] = mapped_column(String(32), default="", server_default="")
    last_earn_at: Mapped[datetime | None] = mapped_column()
    last_use_at: Mapped[datetime | None] = mapped_column()
    first_purchase_at: Mapped[datetime | None] = mapped_column()


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (CheckConstraint("status IN ('active', 'blocked')", name="status"),)

    uid: Mapped[str] = mapped_column(String(20), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgramVersion(Base):
    """A published program document. Versions are immutable once published."""

    __tablename__ = "programs"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    toml: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpRecord(Base):
    """Every op HQ has decided on, kept for ever: the idempotency key is the ledger's own.

    `result` is the answer given the first time, replayed on every retry.
    """

    __tablename__ = "ops"
    __table_args__ = (
        CheckConstraint(f"status IN ({OP_STATUSES_SQL})", name="status"),
        Index("ix_ops_device_seq", "device_id", "device_seq"),
        Index("ix_ops_store_local_time", "store_id", "local_time"),
        Index("ix_ops_store_receipt_no", "store_id", "receipt_no"),
    )

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("registers.device_id"))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    # The register's registration epoch when HQ took the op: (device, epoch, seq) orders it.
    epoch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    store_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column()
    # The op as received, for audit and later reports (settlement needs amount and store).
    op: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A parked op (a return before its sale) waits for this op; applied when it arrives.
    parent_op_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The register's clock when it made the op, and a sale's or return's receipt number:
    # the store summary and the sale look-up by receipt select on them.
    local_time: Mapped[datetime | None] = mapped_column()
    receipt_no: Mapped[str | None] = mapped_column(String(64))


class LedgerEntry(Base):
    """Append-only: a correction is a new entry, never an update.

    One row per (op, member, kind): `points` is the change to the balance, `debt` to the
    debt, `changes` the lots moved as `[lot_id, issuer, points, redeemer]`.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint(f"kind IN ({LEDGER_KINDS_SQL})", name="kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), index=True)
    op_id: Mapped[str | None] = mapped_column(ForeignKey("ops.op_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    debt: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ref: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[list[Any] | None] = mapped_column(JSON)


class LotRow(Base):
    """Points granted together: by whom (the issuer funds them), how many are left, until when."""

    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint("kind IN ('normal', 'limited')", name="kind"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining <= original", name="remaining_within_original"),
        Index("ix_lots_member_remaining", "member_id", "remaining"),
    )

    lot_id: Mapped[str] = mapped_column(String(LOT_ID_LEN), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"))
    issuer: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    original: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    reversed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    returned_yen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    earned_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class DebtRow(Base):
    """Points a member owes from one cause, and which lots have paid it so far."""

    __tablename__ = "debts"
    __table_args__ = (CheckConstraint("owed >= 0", name="owed_not_negative"),)

    debt_id: Mapped[str] = mapped_column(String(DEBT_ID_LEN), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), index=True)
    owed: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[list[Any]] = mapped_column(JSON)  # [[lot_id, points], ...]
    # The member's debts in the order they arose: the oldest is paid off first.
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RedemptionRow(Base):
    """What one sale's redemption took, so a return gives it back exactly once."""

    __tablename__ = "redemptions"

    redemption_id: Mapped[str] = mapped_column(String(LOT_ID_LEN), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"), index=True)
    redeemer: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    taken: Mapped[list[Any]] = mapped_column(JSON)  # [[lot_id, points], ...] still to give back
    debt_left: Mapped[int] = mapped_column(BigInteger)
    returned_yen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class AllocationRow(Base):
    """Points of one lot funding one redemption: issuer → redeemer, the basis of 原資精算.

    Signed: a return that gives redeemed points back writes the negative.
    """

    __tablename__ = "allocations"
    __table_args__ = (Index("ix_allocations_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lot_id: Mapped[str] = mapped_column(String(LOT_ID_LEN), index=True)
    redemption_id: Mapped[str] = mapped_column(String(LOT_ID_LEN), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(64))
    redeemer: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    op_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column()


class PurchaseRow(Base):
    """A sale (positive yen) or return (negative): rank history, returns and reports."""

    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'return')", name="kind"),
        Index("ix_purchases_member_at", "member_id", "at"),
        Index("ix_purchases_at", "at"),
    )

    op_id: Mapped[str] = mapped_column(ForeignKey("ops.op_id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    member_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[str] = mapped_column(String(64))
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    points_earned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A sale: yen returned so far, and the lots it created. A return: the sale.
    returned_yen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lot_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    sale_op_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # When it happened: the register's clock, never later than HQ's.
    at: Mapped[datetime] = mapped_column()


class CampaignGrant(Base):
    """Points a campaign gave with one sale: budgets and the campaign-effect report."""

    __tablename__ = "campaign_grants"
    __table_args__ = (Index("ix_campaign_grants_campaign_at", "campaign_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))
    op_id: Mapped[str] = mapped_column(ForeignKey("ops.op_id"))
    store_id: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column()


class FeedEntry(Base):
    """The pull feed: which entity changed at which `server_seq`.

    Only the newest row per entity is kept (like CouchDB's changes feed): a pull sends the
    entity's current state, so an older row for the same entity would repeat it.
    """

    __tablename__ = "feed"
    __table_args__ = (
        CheckConstraint(f"kind IN ({FEED_KINDS_SQL})", name="kind"),
        UniqueConstraint("kind", "key", name="uq_feed_kind_key"),
    )

    server_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetter(Base):
    """An op HQ refused for a business reason, kept for an operator to look at."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    op: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeqCounter(Base):
    """One row holding the last `server_seq` handed out.

    Taking the next value updates this row, which locks it until commit: transactions
    that publish changes therefore commit in `server_seq` order, so a pull that has seen
    seq N can never later miss a row below N that committed late.
    """

    __tablename__ = "seq_counter"
    __table_args__ = (CheckConstraint(f"id = {SEQ_COUNTER_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class ProvisioningCode(Base):
    """A one-time code a register exchanges for its token. Only its SHA-256 is kept."""

    __tablename__ = "provisioning_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("registers.device_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))


class AdminToken(Base):
    """A named token for the admin API. `app` tokens may only issue member app QR tokens."""

    __tablename__ = "admin_tokens"
    __table_args__ = (CheckConstraint("role IN ('admin', 'app')", name="role"),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    """Who changed what, when, from what to what, and why. Append-only."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_entity", "entity_kind", "entity_key", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))  # admin, register, cli
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity_kind: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(500))


class Hold(Base):
    """Points reserved online for a redemption: pending → posted, voided or expired."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'posted', 'voided', 'expired')", name="status"),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_holds_member_status", "member_id", "status"),
    )

    hold_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.member_id"))
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    device_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(64))
    # What the hold was created with, so a retry with other values is told apart.
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    op_id: Mapped[str | None] = mapped_column(String(36))


class TokenSigningKey(Base):
    """An Ed25519 key that signs member app QR tokens.

    The private key is stored as is (base64): protect the database accordingly.
    """

    __tablename__ = "token_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="Ed25519")
    private_key: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column()


class HqSetting(Base):
    """HQ-wide values made once and kept, such as the phone hash key."""

    __tablename__ = "hq_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class IdempotentRequest(Base):
    """The first answer to a request carrying a client request id, replayed on retries."""

    __tablename__ = "idempotent_requests"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
