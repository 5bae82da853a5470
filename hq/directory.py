"""Admin operations on HQ's directory: programs, members, cards and registers.

The CLI, the tests and (later) the admin API call these. Each runs in its own
transaction and publishes a feed row for every change a register must learn about.
Refusals raise `DirectoryError` (or `ProgramError` for a bad program file) with a
message fit to show an operator as is.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.auth import hash_token, new_token
from hq.feed import publish
from hq.models import Card, LedgerEntry, Member, ProgramVersion, Register, utcnow
from loyalty.program import Program, ProgramError, parse_program

MEMBER_NO_RE = re.compile(r"^[0-9]{13}$")
# MIFARE UIDs are 4, 7 or 10 bytes, a FeliCa IDm is 8: upper-case hex, no separators.
CARD_UID_RE = re.compile(r"^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{16}|[0-9A-F]{20})$")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class DirectoryError(ValueError):
    """An admin operation HQ refuses; the message names what is wrong."""


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


def load_program(engine: Engine, toml_text: str) -> Program:
    """Publish a program document. Loading the same version with the same text again is a
    no-op; a published version never changes (bump `program.version` instead)."""
    program = parse_program(toml_text)
    with Session(engine) as session, session.begin():
        existing = session.get(ProgramVersion, program.version)
        if existing is not None:
            if existing.toml != toml_text:
                raise ProgramError(
                    f"program.version: version {program.version} is already published with "
                    "different content; publish the change as a new version"
                )
            return program
        now = utcnow()
        session.add(ProgramVersion(version=program.version, toml=toml_text, published_at=now))
        session.flush()
        publish(session, "program", str(program.version), now)
    return program


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
) -> MemberInfo:
    """Enrol a member with one active card; `initial_points` become an `adjust` entry.

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
                raise DirectoryError(
                    f"member number {member_no} already exists with another card"
                )
            return MemberInfo(
                existing.member_id, member_no, existing.display_name, uid, existing.balance, False
            )
        if card is not None:
            raise DirectoryError(f"card {uid} already belongs to member {card.member_id}")
        if session.get(Member, member_id) is not None:
            raise DirectoryError(f"member id {member_id} already exists")

        now = utcnow()
        member = Member(
            member_id=member_id,
            member_no=member_no,
            display_name=display_name,
            status="active",
            balance=initial_points,
            created_at=now,
        )
        session.add(member)
        session.flush()
        session.add(Card(uid=uid, member_id=member_id, status="active", created_at=now))
        if initial_points:
            session.add(
                LedgerEntry(
                    member_id=member_id,
                    op_id=None,
                    kind="adjust",
                    points=initial_points,
                    note="initial points",
                    created_at=now,
                )
            )
        session.flush()
        publish(session, "member", member_id, now)
        publish(session, "card", uid, now)
        return MemberInfo(member_id, member_no, display_name, uid, initial_points, True)


def provision_register(
    engine: Engine, store_id: str, device_id: str, company_id: str | None = None
) -> str:
    """Allow a register to sync and return its new bearer token (shown only now).

    Provisioning an existing register issues a fresh token, which revokes the old one,
    and lifts a revocation. A register cannot move to another store this way.
    `company_id` defaults to the newest program's company.
    """
    _check_id("store id", store_id)
    _check_id("device id", device_id)
    if company_id is None:
        program = latest_program(engine)
        if program is None:
            raise DirectoryError("no program is loaded: give the company id explicitly")
        company_id = program.company_id
    _check_id("company id", company_id)

    token = new_token()
    with Session(engine) as session, session.begin():
        register = session.scalars(
            select(Register).where(Register.device_id == device_id).with_for_update()
        ).one_or_none()
        if register is None:
            session.add(
                Register(
                    device_id=device_id,
                    store_id=store_id,
                    company_id=company_id,
                    token_hash=hash_token(token),
                    revoked=False,
                    last_device_seq=0,
                    created_at=utcnow(),
                )
            )
            return token
        if register.store_id != store_id:
            raise DirectoryError(
                f"register {device_id} belongs to store {register.store_id}, not {store_id}"
            )
        if register.company_id != company_id:
            raise DirectoryError(
                f"register {device_id} belongs to company {register.company_id}, not {company_id}"
            )
        register.token_hash = hash_token(token)
        register.revoked = False
    return token


def revoke_register(engine: Engine, device_id: str) -> None:
    """Refuse the register's token from now on."""
    with Session(engine) as session, session.begin():
        register = session.get(Register, device_id)
        if register is None:
            raise DirectoryError(f"unknown register {device_id}")
        register.revoked = True


def ledger_sum(engine: Engine, member_id: str) -> int:
    """Σ of a member's ledger entries: must always equal the member's balance."""
    with Session(engine) as session:
        total = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.member_id == member_id
            )
        )
        return int(total or 0)
