"""Member app QR tokens as the register keeps them (part of `RegisterStore`).

HQ publishes the public keys that verify app tokens through the pull feed; the register
caches them so a token verifies with no network. Each accepted token's nonce is
remembered until the token could no longer verify anyway, so the same code shown twice
(a screenshot handed around) is refused while the table stays small.
"""

from __future__ import annotations

import base64
import binascii
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync.models import SeenToken, TokenKeyRecord
from sync.protocol import TokenKey

if TYPE_CHECKING:
    from sync.store_db import ReaderPool

log = logging.getLogger(__name__)

ED25519_KEY_BYTES = 32


@dataclass(frozen=True)
class TokenKeyView:
    key_id: str
    algorithm: str
    public_key: bytes  # raw Ed25519 public key
    created_at: datetime
    retired_at: datetime | None


def decode_public_key(text: str) -> bytes | None:
    """The raw key of HQ's base64url text, or None when it is not a 32-byte key."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == ED25519_KEY_BYTES else None


def apply_token_key(s: Session, key: TokenKey) -> bool:
    """Store or update one pulled key in the pull's transaction; False when it is unusable.

    An unusable key is skipped rather than failing the page: members, cards and programs
    on the same page must still arrive, and a token signed with that key is then refused
    as "unknown key", which says what to do.
    """
    if key.algorithm != "Ed25519" or decode_public_key(key.public_key) is None:
        log.warning("token key %s from HQ is not a usable Ed25519 key; skipped", key.key_id)
        return False
    row = s.get(TokenKeyRecord, key.key_id)
    if row is None:
        s.add(TokenKeyRecord(key_id=key.key_id, algorithm=key.algorithm,
                             public_key=key.public_key, created_at=key.created_at,
                             retired_at=key.retired_at))
    else:
        row.algorithm, row.public_key = key.algorithm, key.public_key
        row.created_at, row.retired_at = key.created_at, key.retired_at
    return True


class TokensMixin:
    if TYPE_CHECKING:
        _readers: ReaderPool

        def writing(self) -> AbstractContextManager[Session]: ...

        def reading(self) -> AbstractContextManager[Session]: ...

    def token_keys(self) -> list[TokenKeyView]:
        """Every cached key, retired ones included (the caller decides what still counts)."""
        with self.reading() as s:
            rows = s.scalars(select(TokenKeyRecord).order_by(TokenKeyRecord.created_at))
            out = []
            for row in rows:
                raw = decode_public_key(row.public_key)
                if raw is not None:
                    out.append(TokenKeyView(row.key_id, row.algorithm, raw, row.created_at,
                                            row.retired_at))
            return out

    def remember_token(self, key_id: str, nonce: str, *, expires_at: datetime, now: datetime,
                       keep_for: timedelta) -> bool:
        """Note a token as used; False when it was used before (a replay). Store thread only.

        Tokens that expired more than `keep_for` (the clock skew verification tolerates)
        before `now` can no longer verify, so their rows are dropped in the same commit.
        """
        with self.writing() as s:
            s.execute(delete(SeenToken).where(SeenToken.expires_at < now - keep_for))
            if s.get(SeenToken, (key_id, nonce)) is not None:
                return False
            s.add(SeenToken(key_id=key_id, nonce=nonce, expires_at=expires_at, seen_at=now))
            return True

    def seen_token_count(self) -> int:
        with self._readers.snapshot() as con:
            return int(con.execute("SELECT count(*) FROM seen_tokens").fetchone()[0])
