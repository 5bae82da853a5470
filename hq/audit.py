"""The audit trail: every change to the directory says who, what, when, from, to and why.

Rows are written in the same transaction as the change they describe, so an audited
change and its audit row commit or vanish together.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hq.auth import AdminIdentity, Identity, RegisterIdentity
from hq.models import AuditEntry, utcnow


@dataclass(frozen=True)
class Actor:
    """Who made a change: an admin token's name, a register (and its staff), or the CLI."""

    kind: str  # admin, register, cli
    name: str

    @staticmethod
    def of(who: Identity, staff_id: str | None = None) -> Actor:
        if isinstance(who, AdminIdentity):
            return Actor("admin", who.name)
        assert isinstance(who, RegisterIdentity)
        return Actor("register", f"{who.device_id}/{staff_id}" if staff_id else who.device_id)

    @staticmethod
    def cli() -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            user = "unknown"
        return Actor("cli", user)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_kind: str,
    entity_key: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utcnow(),
        actor_kind=actor.kind,
        actor=actor.name[:100],
        action=action,
        entity_kind=entity_kind,
        entity_key=entity_key,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(entry)
    return entry


def audit_page(
    session: Session,
    *,
    entity_kind: str | None = None,
    entity_key: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Newest first; `before` is the id of the oldest row of the previous page."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity_kind is not None:
        stmt = stmt.where(AuditEntry.entity_kind == entity_kind)
    if entity_key is not None:
        stmt = stmt.where(AuditEntry.entity_key == entity_key)
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    return list(session.scalars(stmt))
