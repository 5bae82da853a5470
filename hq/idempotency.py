"""Client request ids: the first answer to a request is kept and replayed to its retries.

The same id with a different request, or from a different caller, is refused: a retry
must be the same request, as with op ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.errors import ConflictError
from hq.models import IdempotentRequest, utcnow

T = TypeVar("T")


def retry_on_conflict(fn: Callable[[], T]) -> T:
    """Run `fn`; if a concurrent twin won a unique key, run it once more to see its result."""
    try:
        return fn()
    except IntegrityError:
        return fn()


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def replayed(
    session: Session, request_id: str, kind: str, actor: Actor, digest: str
) -> dict[str, Any] | None:
    """The stored answer for this request id, None if it is new; ConflictError if reused."""
    row = session.get(IdempotentRequest, request_id)
    if row is None:
        return None
    if row.kind != kind or row.request_hash != digest or row.actor != actor.label[:100]:
        raise ConflictError(
            f"request id {request_id} was already used for another request: "
            "make a new id for a new request"
        )
    return row.response


def remember(
    session: Session, request_id: str, kind: str, actor: Actor, digest: str, response: dict[str, Any]
) -> None:
    session.add(
        IdempotentRequest(
            request_id=request_id,
            kind=kind,
            actor=actor.label[:100],
            request_hash=digest,
            response=response,
            created_at=utcnow(),
        )
    )
    # Flush now so a concurrent twin fails on the key inside this transaction.
    session.flush()
