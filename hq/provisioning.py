"""Registers: provisioning codes, activation, tokens, revocation and re-registration.

An operator provisions a register (bound to one store and company) and reads a short
one-time code to the installer, who types it at the register; the register exchanges it
once for its bearer token (`POST /v1/registers/activate`). Codes and tokens are stored
as SHA-256 only. A code is 60 random bits: guessing one online is hopeless within its
24 hours, so activation needs no rate limit of its own.

Re-registration: a register restored from a backup sends `device_seq` values HQ has
already seen, and HQ refuses them (`device_seq_regressed`). `reregister` starts a new
registration epoch: the register's seq tracking restarts from zero, its old token stops
working, and it activates again with a new code. Ops it sent before keep their
`op_id`s, so a resent op is still answered `duplicate`, never applied twice.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.auth import hash_token, new_token
from hq.errors import ConflictError, DeniedError, DirectoryError, NotFoundError
from hq.keys import public_keys
from hq.models import ProgramVersion, ProvisioningCode, Register, utcnow
from hq.phone import phone_hash_key
from loyalty.program import parse_program
from sync.protocol import ActivateResponse, RegisterInfo

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_GROUPS = 3
CODE_GROUP_LEN = 4
DEFAULT_CODE_TTL = timedelta(hours=24)
_LOOK_ALIKES = str.maketrans("OIL", "011")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class IssuedCode:
    device_id: str
    store_id: str
    company_id: str
    code: str
    expires_at: datetime


def check_id(what: str, value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise DirectoryError(f"{what} {value!r}: use 1-64 letters, digits, '-', '_' or '.'")
    return value


def new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LEN))
    return "-".join(
        chars[i : i + CODE_GROUP_LEN] for i in range(0, len(chars), CODE_GROUP_LEN)
    )


def normalize_code(code: str) -> str:
    """What an installer typed, as issued: case, spaces, dashes and look-alikes forgiven."""
    cleaned = unicodedata.normalize("NFKC", code).upper()
    cleaned = re.sub(r"[\s-]", "", cleaned)
    return cleaned.translate(_LOOK_ALIKES)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("utf-8")).hexdigest()


def _latest_program_row(session: Session) -> ProgramVersion | None:
    return session.scalars(
        select(ProgramVersion).order_by(ProgramVersion.version.desc()).limit(1)
    ).first()


def _register_for_update(
    session: Session, store_id: str, device_id: str, company_id: str | None
) -> Register:
    """The register row, made if new; refuses a move to another store or company."""
    check_id("store id", store_id)
    check_id("device id", device_id)
    if company_id is None:
        row = _latest_program_row(session)
        if row is None:
            raise DirectoryError("no program is loaded: give the company id explicitly")
        company_id = parse_program(row.toml).company_id
    check_id("company id", company_id)
    register = session.scalars(
        select(Register).where(Register.device_id == device_id).with_for_update()
    ).one_or_none()
    if register is None:
        register = Register(
            device_id=device_id,
            store_id=store_id,
            company_id=company_id,
            token_hash=None,
            revoked=False,
            last_device_seq=0,
            epoch=1,
            created_at=utcnow(),
        )
        session.add(register)
        session.flush()
        return register
    if register.store_id != store_id:
        raise ConflictError(
            f"register {device_id} belongs to store {register.store_id}, not {store_id}"
        )
    if register.company_id != company_id:
        raise ConflictError(
            f"register {device_id} belongs to company {register.company_id}, not {company_id}"
        )
    return register


def _state(register: Register) -> dict[str, object]:
    return {
        "store_id": register.store_id,
        "company_id": register.company_id,
        "revoked": register.revoked,
        "has_token": register.token_hash is not None,
        "epoch": register.epoch,
        "last_device_seq": register.last_device_seq,
    }


def _issue_code(session: Session, register: Register, actor: Actor, ttl: timedelta) -> IssuedCode:
    now = utcnow()
    # One live code per register: a new one makes any older unused code worthless.
    session.execute(
        delete(ProvisioningCode).where(
            ProvisioningCode.device_id == register.device_id, ProvisioningCode.used_at.is_(None)
        )
    )
    code = new_code()
    session.add(
        ProvisioningCode(
            code_hash=hash_code(code),
            device_id=register.device_id,
            created_at=now,
            expires_at=now + ttl,
            used_at=None,
            created_by=actor.label[:100],
        )
    )
    return IssuedCode(register.device_id, register.store_id, register.company_id, code, now + ttl)


def provision(
    engine: Engine,
    store_id: str,
    device_id: str,
    company_id: str | None = None,
    *,
    actor: Actor,
    ttl: timedelta = DEFAULT_CODE_TTL,
) -> IssuedCode:
    """Allow a register to sync and return a one-time code for it to activate with.

    An already active register keeps its token until the code is used, so a replacement
    machine can be prepared while the old one still trades.
    """
    with Session(engine) as session, session.begin():
        register = _register_for_update(session, store_id, device_id, company_id)
        before = _state(register)
        issued = _issue_code(session, register, actor, ttl)
        record(session, actor, "provision", "register", device_id, before=before,
               after={**_state(register), "code_expires_at": issued.expires_at.isoformat()})  # fmt: skip
        return issued


def provision_register(
    engine: Engine,
    store_id: str,
    device_id: str,
    company_id: str | None = None,
    *,
    actor: Actor | None = None,
) -> str:
    """Provision and return a bearer token at once (scripted set-ups, tests, the demo).

    A fresh token replaces the old one and lifts a revocation.
    """
    actor = actor or Actor.cli()
    token = new_token()
    with Session(engine) as session, session.begin():
        register = _register_for_update(session, store_id, device_id, company_id)
        before = _state(register)
        register.token_hash = hash_token(token)
        register.revoked = False
        record(session, actor, "provision_token", "register", device_id, before=before,
               after=_state(register))  # fmt: skip
    return token


def register_info(session: Session, register: Register) -> RegisterInfo:
    latest = _latest_program_row(session)
    return RegisterInfo(
        device_id=register.device_id,
        store_id=register.store_id,
        company_id=register.company_id,
        epoch=register.epoch,
        program_version=latest.version if latest is not None else None,
        token_keys=public_keys(session),
        phone_hash_key=phone_hash_key(session),
    )


def activate(engine: Engine, device_id: str, code: str) -> ActivateResponse:
    """Exchange a provisioning code for the register's token, exactly once."""
    digest = hash_code(code)
    now = utcnow()
    with Session(engine) as session, session.begin():
        row = session.get(ProvisioningCode, digest)
        if row is None or row.device_id != device_id:
            raise DeniedError(
                f"provisioning code not recognised for register {device_id}: check it, or ask "
                "HQ for a new one (tamaru-hq provision)"
            )
        if row.used_at is not None:
            raise ConflictError(
                f"provisioning code for register {device_id} was already used at "
                f"{row.used_at:%Y-%m-%d %H:%M} UTC: ask HQ for a new one"
            )
        if row.expires_at <= now:
            raise DeniedError(
                f"provisioning code for register {device_id} expired at "
                f"{row.expires_at:%Y-%m-%d %H:%M} UTC: ask HQ for a new one"
            )
        # The conditional update is what makes "exactly once" hold under concurrency.
        taken = session.execute(
            update(ProvisioningCode)
            .where(ProvisioningCode.code_hash == digest, ProvisioningCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                f"provisioning code for register {device_id} was already used: ask HQ for a new one"
            )
        register = session.scalars(
            select(Register).where(Register.device_id == device_id).with_for_update()
        ).one()
        before = _state(register)
        token = new_token()
        register.token_hash = hash_token(token)
        register.revoked = False
        record(session, Actor("register", device_id), "activate", "register", device_id,
               before=before, after=_state(register), at=now)  # fmt: skip
        info = register_info(session, register)
        return ActivateResponse(**info.model_dump(), token=token)


def revoke_register(engine: Engine, device_id: str, *, actor: Actor | None = None) -> None:
    """Refuse the register's token from now on, and any code not used yet."""
    actor = actor or Actor.cli()
    with Session(engine) as session, session.begin():
        register = session.scalars(
            select(Register).where(Register.device_id == device_id).with_for_update()
        ).one_or_none()
        if register is None:
            raise NotFoundError(f"unknown register {device_id}")
        before = _state(register)
        register.revoked = True
        session.execute(
            delete(ProvisioningCode).where(
                ProvisioningCode.device_id == device_id, ProvisioningCode.used_at.is_(None)
            )
        )
        record(session, actor, "revoke", "register", device_id, before=before, after=_state(register))


def reregister(
    engine: Engine,
    device_id: str,
    *,
    actor: Actor,
    reason: str | None = None,
    with_token: bool = False,
    ttl: timedelta = DEFAULT_CODE_TTL,
) -> IssuedCode | str:
    """Start a new registration epoch for a register restored from a backup.

    Its device_seq tracking restarts from zero and its current token stops working.
    Returns a provisioning code to activate with, or a token with `with_token`.
    """
    with Session(engine) as session, session.begin():
        register = session.scalars(
            select(Register).where(Register.device_id == device_id).with_for_update()
        ).one_or_none()
        if register is None:
            raise NotFoundError(f"unknown register {device_id}")
        before = _state(register)
        register.epoch += 1
        register.last_device_seq = 0
        register.revoked = False
        result: IssuedCode | str
        if with_token:
            result = new_token()
            register.token_hash = hash_token(result)
        else:
            register.token_hash = None
            result = _issue_code(session, register, actor, ttl)
        record(session, actor, "reregister", "register", device_id, before=before,
               after=_state(register), reason=reason)  # fmt: skip
        return result


def list_registers(session: Session) -> list[Register]:
    return list(session.scalars(select(Register).order_by(Register.device_id)))
