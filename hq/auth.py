"""Bearer tokens: how they are made, stored and checked, for registers and admins.

A token is shown once when it is made; HQ keeps only its SHA-256, so a copy of the
database does not let anyone push as a register or act as an admin. Admin tokens carry
a prefix so an operator can tell the two kinds apart in a config file.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, select

from hq.db import read_only
from hq.models import AdminToken, Register

ADMIN_TOKEN_PREFIX = "tqa_"
ROLE_ADMIN = "admin"
ROLE_APP = "app"  # may only issue member app QR tokens
_registers = cast(Table, Register.__table__)
_admin_tokens = cast(Table, AdminToken.__table__)


class AuthError(Exception):
    """The request carries no usable token (HTTP 401); the message says why."""


class ForbiddenError(Exception):
    """A valid token that may not do this (HTTP 403); the message says why."""


@dataclass(frozen=True)
class RegisterIdentity:
    """Who a valid register token belongs to."""

    device_id: str
    store_id: str
    company_id: str
    epoch: int = 1


@dataclass(frozen=True)
class AdminIdentity:
    """Who a valid admin token belongs to."""

    name: str
    role: str = ROLE_ADMIN


Identity = RegisterIdentity | AdminIdentity


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_admin_token() -> str:
    return ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str:
    """The token from an `Authorization: Bearer <token>` header value."""
    if not authorization:
        raise AuthError("missing token: send Authorization: Bearer <token>")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("malformed Authorization header: expected Bearer <token>")
    return token


def identify(engine: Engine, token: str) -> Identity:
    """The register or admin a token belongs to; AuthError if none or revoked."""
    digest = hash_token(token)
    r, a = _registers.c, _admin_tokens.c
    # Core, not the ORM: every request pays for this look-up.
    with read_only(engine).connect() as conn:
        register = conn.execute(
            select(r.device_id, r.store_id, r.company_id, r.epoch, r.revoked)
            .where(r.token_hash == digest)
        ).one_or_none()  # fmt: skip
        if register is not None:
            if register.revoked:
                raise AuthError(
                    f"register {register.device_id} is revoked: provision it again for a new token"
                )
            return RegisterIdentity(
                register.device_id, register.store_id, register.company_id, register.epoch
            )
        admin = conn.execute(
            select(a.name, a.role, a.revoked_at).where(a.token_hash == digest)
        ).one_or_none()
        if admin is not None:
            if admin.revoked_at is not None:
                raise AuthError(f"admin token {admin.name!r} is revoked")
            return AdminIdentity(admin.name, admin.role)
    if token.startswith(ADMIN_TOKEN_PREFIX):
        raise AuthError("unknown admin token: create one with `tamaru-hq admin-token create`")
    raise AuthError("unknown register token: provision this register at HQ")


class RegisterTokens:
    """Register tokens known to be valid when last looked up, by hash: a push's caller is
    taken from here without a transaction of its own, and the push itself proves the
    token still holds — on the register row it locks anyway (`hq.ingest.StaleRegister`),
    where a revoked or replaced token is caught in the push's own transaction. Only what
    passed `identify` is kept, so an unknown token always costs a look-up. Thread-safe.
    """

    MAX_ENTRIES = 50_000  # far more registers than a chain has; then it starts over

    def __init__(self) -> None:
        self._known: dict[str, RegisterIdentity] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> RegisterIdentity | None:
        return self._known.get(digest)

    def put(self, digest: str, who: RegisterIdentity) -> None:
        with self._lock:
            if len(self._known) >= self.MAX_ENTRIES:
                self._known.clear()
            self._known[digest] = who

    def drop(self, digest: str) -> None:
        with self._lock:
            self._known.pop(digest, None)


def authenticate(engine: Engine, token: str) -> RegisterIdentity:
    """The register a token belongs to; AuthError (or ForbiddenError for an admin token)."""
    who = identify(engine, token)
    if isinstance(who, AdminIdentity):
        raise ForbiddenError(
            f"admin token {who.name!r} cannot act as a register: use the register's own token"
        )
    return who


def require_admin(who: Identity, *, roles: tuple[str, ...] = (ROLE_ADMIN,)) -> AdminIdentity:
    """`who` if it is an admin with one of `roles`, else ForbiddenError with the reason."""
    if isinstance(who, RegisterIdentity):
        raise ForbiddenError(
            f"register {who.device_id} cannot use the admin API: send an admin token"
        )
    if who.role not in roles:
        raise ForbiddenError(
            f"admin token {who.name!r} has role {who.role!r}; this needs {' or '.join(roles)}"
        )
    return who
