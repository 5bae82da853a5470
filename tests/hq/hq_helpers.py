"""Builders and checks shared by the HQ tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.admin_tokens import create_admin_token
from hq.audit import Actor
from hq.demo import seed_demo
from hq.directory import provision_register
from hq.models import AuditEntry, LedgerEntry, Member

STORE = "S001"
OTHER_STORE = "S002"


@dataclass(frozen=True)
class World:
    token: str  # register R01 at store S001
    token_r02: str  # register R02 at the same store
    token_other_store: str  # register R09 at store S002
    admin: str  # admin token "hq-ops"
    app: str  # admin token "member-app" with role app

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    @property
    def admin_auth(self) -> dict[str, str]:
        return self.auth(self.admin)


def build_world(engine: Engine) -> World:
    setup = seed_demo(engine, device_id="R01", store_id=STORE)
    actor = Actor("cli", "test")
    return World(
        token=setup.token,
        token_r02=provision_register(engine, STORE, "R02", "C001"),
        token_other_store=provision_register(engine, OTHER_STORE, "R09", "C001"),
        admin=create_admin_token(engine, "hq-ops", actor=actor),
        app=create_admin_token(engine, "member-app", role="app", actor=actor),
    )


def sale(
    seq: int,
    member_id: str = "M0000001",
    amount_yen: int = 1000,
    *,
    redeemed: int = 0,
    earned: int | None = None,
    device_id: str = "R01",
    store_id: str = STORE,
    program_version: int = 1,
    op_id: str | None = None,
    receipt_no: str | None = None,
    hold_id: str | None = None,
) -> dict[str, Any]:
    """A sale op as a register would send it (JSON-ready)."""
    op: dict[str, Any] = {
        "op_id": op_id or str(uuid.uuid4()),
        "kind": "sale",
        "device_id": device_id,
        "device_seq": seq,
        "store_id": store_id,
        "staff_id": "ST01",
        "local_time": datetime(2026, 11, 22, 10, 30, tzinfo=UTC).isoformat(),
        "program_version": program_version,
        "member_id": member_id,
        "payload": {
            "amount_yen": amount_yen,
            "points_earned": max(0, amount_yen - redeemed) // 100 if earned is None else earned,
            "points_redeemed": redeemed,
            "receipt_no": receipt_no or f"R01-{seq:06d}",
        },
    }
    if hold_id is not None:
        op["payload"]["hold_id"] = hold_id
    return op


def balance(engine: Engine, member_id: str) -> int:
    with Session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member.balance


def assert_ledger_invariant(engine: Engine) -> None:
    """Per member: Σ ledger entries = balance."""
    with Session(engine) as session:
        rows = session.execute(
            select(LedgerEntry.member_id, func.sum(LedgerEntry.points)).group_by(
                LedgerEntry.member_id
            )
        ).all()
        sums: dict[str, int] = {member_id: int(total) for member_id, total in rows}
        for member in session.scalars(select(Member)):
            assert int(sums.get(member.member_id, 0)) == member.balance, member.member_id


def audit_rows(engine: Engine, entity_kind: str, entity_key: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_kind == entity_kind, AuditEntry.entity_key == entity_key)
                .order_by(AuditEntry.id)
            )
        )
