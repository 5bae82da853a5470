"""Directory basics: programs, seeding members with a card, card UIDs and ids.

The CLI, the demo, the tests and the admin API call these. Each runs in its own
transaction, publishes a feed row for every change a register must learn about, and
writes an audit row. Refusals raise `DirectoryError` (or `ProgramError` for a bad
program file) with a message fit to show an operator as is. Members' day-to-day changes
live in `hq.members`; registers in `hq.provisioning`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.errors import ConflictError, DirectoryError
from hq.feed import publish
from hq.ledger_store import opening_points
from hq.models import Card, LedgerEntry, Member, ProgramVersion, utcnow
from hq.provisioning import provision_register, revoke_register
from loyalty.program import Program, ProgramError, parse_program

__all__ = [
    "DirectoryError",
    "MemberInfo",
    "ProgramVersionTaken",
    "add_member",
    "latest_program",
    "ledger_sum",
    "load_program",
    "normalize_card_uid",
    "provision_register",
    "revoke_register",
]

MEMBER_NO_RE = re.compile(r"^[0-9]{13}$")
# MIFARE UIDs are 4, 7 or 10 bytes, a FeliCa IDm is 8: upper-case hex, no separators.
CARD_UID_RE = re.compile(r"^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{16}|[0-9A-F]{20})$")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ProgramVersionTaken(ProgramError):
    """The version is already published with other content (HTTP 409)."""


@dataclass(frozen=True)
class MemberInfo:
    member_id: str
    member_no: str
    display_name: str
    card_uid: str
    balance: int
    created: bool  # False when the member already existed and nothing changed


def normalize_card_uid(uid: str) -> str:
    """Card UIDs as readers report them: upper-case hex without separators."""
    cleaned = re.sub(r"[\s:-]", "", uid).upper()
    if not CARD_UID_RE.fullmatch(cleaned):
        raise DirectoryError(
            f"card UID {uid!r}: expected 8, 14, 16 or 20 hex digits (4/7/10-byte UID or FeliCa IDm)"
        )
    return cleaned


def _check_id(what: str, value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise DirectoryError(f"{what} {value!r}: use 1-64 letters, digits, '-', '_' or '.'")
    return value


def load_program(engine: Engine, toml_text: str, *, actor: Actor | None = None) -> Program:
    """Publish a program document. Loading the same version with the same text again is a
    no-op; a published version never changes (bump `program.version` instead)."""
    return publish_program(engine, toml_text, actor=actor)[0]


def publish_program(
    engine: Engine, toml_text: str, *, actor: Actor | None = None
) -> tuple[Program, bool]:
    """`load_program`, also saying whether this call published it (False: already was)."""
    program = parse_program(toml_text)
    with Session(engine) as session, session.begin():
        existing = session.get(ProgramVersion, program.version)
        if existing is not None:
            if existing.toml != toml_text:
                raise ProgramVersionTaken(
                    f"program.version: version {program.version} is already published with "
                    "different content; publish the change as a new version"
                )
            return program, False
        now = utcnow()
        session.add(ProgramVersion(version=program.version, toml=toml_text, published_at=now))
        session.flush()
        publish(session, "program", str(program.version), now)
        record(session, actor or Actor.cli(), "publish_program", "program", str(program.version),
               after={"name": program.name, "company_id": program.company_id}, at=now)  # fmt: skip
    return program, True


def latest_program(engine: Engine) -> Program | None:
    with Session(engine) as session:
        row = session.scalars(
            select(ProgramVersion).order_by(ProgramVersion.version.desc()).limit(1)
        ).first()
        return parse_program(row.toml) if row is not None else None


def add_member(
    engine: Engine,
    *,
    member_no: str,
    display_name: str,
    card_uid: str,
    initial_points: int = 0,
    member_id: str | None = None,
    actor: Actor | None = None,
) -> MemberInfo:
    """Enrol a member with one active card; `initial_points` become an `adjust` entry and
    a lot issued by the newest program's company.

    Adding the same member number with the same card again changes nothing, so a seed
    script can run twice.
    """
    if not MEMBER_NO_RE.fullmatch(member_no):
        raise DirectoryError(f"member number {member_no!r}: expected 13 digits")
    display_name = display_name.strip()
    if not display_name or len(display_name) > 100:
        raise DirectoryError("display name: required, at most 100 characters")
    if isinstance(initial_points, bool) or not isinstance(initial_points, int):
        raise DirectoryError(f"initial points {initial_points!r}: must be an integer")
    if initial_points < 0:
        raise DirectoryError(f"initial points {initial_points}: must not be negative")
    uid = normalize_card_uid(card_uid)
    member_id = _check_id("member id", member_id) if member_id else str(uuid.uuid4())

    with Session(engine) as session, session.begin():
        existing = session.scalars(select(Member).where(Member.member_no == member_no)).first()
        card = session.get(Card, uid)
        if existing is not None:
            if card is None or card.member_id != existing.member_id:
                raise ConflictError(
                    f"member number {member_no} already exists with another card"
                )
            return MemberInfo(
                existing.member_id, member_no, existing.display_name, uid, existing.balance, False
            )
        if card is not None:
            raise ConflictError(f"card {uid} already belongs to member {card.member_id}")
        if session.get(Member, member_id) is not None:
            raise ConflictError(f"member id {member_id} already exists")

        now = utcnow()
        member = Member(
            member_id=member_id,
            member_no=member_no,
            display_name=display_name,
            status="active",
            balance=0,
            created_at=now,
        )
        session.add(member)
        session.flush()
        session.add(Card(uid=uid, member_id=member_id, status="active", created_at=now))
        session.flush()
        if initial_points:
            opening_points(session.connection(), member_id, initial_points, now)
        publish(session, "member", member_id, now)
        publish(session, "card", uid, now)
        record(session, actor or Actor.cli(), "enroll", "member", member_no,
               after={"member_id": member_id, "display_name": display_name, "card_uid": uid,
                      "initial_points": initial_points}, at=now)  # fmt: skip
        return MemberInfo(member_id, member_no, display_name, uid, initial_points, True)


def ledger_sum(engine: Engine, member_id: str) -> int:
    """Σ of a member's ledger entries: must always equal the member's balance."""
    with Session(engine) as session:
        total = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.member_id == member_id
            )
        )
        return int(total or 0)
