"""Register tokens: how they are made, stored and checked.

A token is shown once when a register is provisioned; HQ keeps only its SHA-256, so a
copy of the database does not let anyone push as a register.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.db import read_only
from hq.models import Register


class AuthError(Exception):
    """The request carries no usable register token; the message says why."""


@dataclass(frozen=True)
class RegisterIdentity:
    """Who a valid token belongs to."""

    device_id: str
    store_id: str
    company_id: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str:
    """The token from an `Authorization: Bearer <token>` header value."""
    if not authorization:
        raise AuthError("missing register token: send Authorization: Bearer <token>")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("malformed Authorization header: expected Bearer <token>")
    return token


def authenticate(engine: Engine, token: str) -> RegisterIdentity:
    with Session(read_only(engine)) as session:
        register = session.scalars(
            select(Register).where(Register.token_hash == hash_token(token))
        ).one_or_none()
        if register is None:
            raise AuthError("unknown register token: provision this register at HQ")
        if register.revoked:
            raise AuthError(
                f"register {register.device_id} is revoked: provision it again for a new token"
            )
        return RegisterIdentity(register.device_id, register.store_id, register.company_id)
