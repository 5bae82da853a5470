"""Ed25519 keys that sign member app QR tokens: rotation, publication, issuing tokens.

The newest key that is not retired signs. Rotating makes a new key and retires the old
one; both are published through the pull feed, because tokens signed just before a
rotation must still verify at the counter until they expire. Private keys are stored in
the database unencrypted (base64 of the raw 32 bytes): whoever can read the database can
sign tokens, so protect it (and its backups) accordingly.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor, record
from hq.errors import ConflictError, NotFoundError, UnavailableError
from hq.feed import publish
from hq.models import Member, TokenSigningKey, utcnow
from loyalty.tokens import issue_token
from sync.protocol import AppToken, TokenKey

DEFAULT_APP_TOKEN_TTL_S = 60


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def token_key_state(row: TokenSigningKey) -> TokenKey:
    return TokenKey(
        key_id=row.key_id,
        algorithm="Ed25519",
        public_key=row.public_key,
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


def public_keys(session: Session) -> list[TokenKey]:
    rows = session.scalars(select(TokenSigningKey).order_by(TokenSigningKey.created_at))
    return [token_key_state(row) for row in rows]


def signing_key(session: Session) -> TokenSigningKey | None:
    return session.scalars(
        select(TokenSigningKey)
        .where(TokenSigningKey.retired_at.is_(None))
        .order_by(TokenSigningKey.created_at.desc())
        .limit(1)
    ).first()


def rotate(session: Session, actor: Actor, now: datetime | None = None) -> TokenSigningKey:
    """Make a new signing key and retire the current one, publishing both."""
    now = now or utcnow()
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    # Upper case, at most 16 characters: the token format carries it in that alphabet.
    key_id = f"K{now:%Y%m%d}-{secrets.token_hex(3).upper()}"
    retired = [
        row
        for row in session.scalars(
            select(TokenSigningKey).where(TokenSigningKey.retired_at.is_(None)).with_for_update()
        )
    ]
    for row in retired:
        row.retired_at = now
    key = TokenSigningKey(
        key_id=key_id,
        algorithm="Ed25519",
        private_key=base64.b64encode(private.private_bytes_raw()).decode("ascii"),
        public_key=_b64url(raw_public),
        created_at=now,
        retired_at=None,
    )
    session.add(key)
    session.flush()
    for row in retired:
        publish(session, "token_key", row.key_id, now)
    publish(session, "token_key", key_id, now)
    record(
        session,
        actor,
        "rotate_token_key",
        "token_key",
        key_id,
        before={"signing": [r.key_id for r in retired]},
        after={"signing": key_id, "public_key": key.public_key},
        at=now,
    )
    return key


def list_keys(engine: Engine) -> list[TokenKey]:
    with Session(engine) as session:
        return public_keys(session)


def rotate_key(engine: Engine, actor: Actor) -> TokenKey:
    with Session(engine) as session, session.begin():
        return token_key_state(rotate(session, actor))


def issue_app_token(
    engine: Engine, member_no: str, *, ttl_seconds: int = DEFAULT_APP_TOKEN_TTL_S
) -> AppToken:
    """Sign a short-lived QR token for a member's app with the current key."""
    with Session(engine) as session:
        member = session.scalars(select(Member).where(Member.member_no == member_no)).one_or_none()
        if member is None:
            raise NotFoundError(f"unknown member number {member_no}")
        if member.merged_into:
            raise ConflictError(f"member {member_no} was merged into member {member.merged_into}")
        if member.status != "active":
            raise ConflictError(f"member {member_no} is blocked: no app token is issued")
        key = signing_key(session)
        if key is None:
            raise UnavailableError("no token signing key: run `tamaru-hq keys rotate` first")
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key.private_key))
        now = utcnow()
        token = issue_token(private, key.key_id, member_no, now, ttl_seconds=ttl_seconds)
        # The token counts whole seconds from its issue time.
        issued = datetime.fromtimestamp(int(now.timestamp()), UTC)
        return AppToken(
            token=token,
            key_id=key.key_id,
            member_no=member_no,
            expires_at=issued + timedelta(seconds=ttl_seconds),
        )
