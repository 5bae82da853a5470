"""Admin tokens: named, shown once, stored as SHA-256, revocable.

Role `admin` may use the whole admin API; role `app` may only issue member app QR tokens
(for the member app's back end, which needs nothing else).
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.auth import ROLE_ADMIN, ROLE_APP, hash_token, new_admin_token
from hq.errors import ConflictError, DirectoryError, NotFoundError
from hq.models import AdminToken, utcnow
from hq.provisioning import check_id


def create_admin_token(engine: Engine, name: str, *, role: str = ROLE_ADMIN, actor: Actor) -> str:
    """Make a token named `name` and return it (the only time it is shown)."""
    check_id("admin token name", name)
    if role not in (ROLE_ADMIN, ROLE_APP):
        raise DirectoryError(f"role {role!r}: use {ROLE_ADMIN!r} or {ROLE_APP!r}")
    token = new_admin_token()
    try:
        with Session(engine) as session, session.begin():
            if session.get(AdminToken, name) is not None:
                raise ConflictError(f"admin token {name!r} already exists: revoke it or pick another name")
            now = utcnow()
            session.add(AdminToken(name=name, token_hash=hash_token(token), role=role, created_at=now))
            record(session, actor, "create_admin_token", "admin_token", name, after={"role": role}, at=now)
    except IntegrityError:
        raise ConflictError(f"admin token {name!r} already exists") from None
    return token


def revoke_admin_token(engine: Engine, name: str, *, actor: Actor) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(AdminToken, name)
        if row is None:
            raise NotFoundError(f"unknown admin token {name!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            record(session, actor, "revoke_admin_token", "admin_token", name,
                   before={"revoked": False}, after={"revoked": True})  # fmt: skip


def list_admin_tokens(engine: Engine) -> list[AdminToken]:
    with Session(engine) as session:
        return list(session.scalars(select(AdminToken).order_by(AdminToken.name)))
