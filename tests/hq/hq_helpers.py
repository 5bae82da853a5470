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
from hq.demo import DEMO_PROGRAM_PATH, seed_demo
from hq.directory import load_program, provision_register
from hq.ledger_store import funding
from hq.models import (
    AllocationRow,
    AuditEntry,
    DebtRow,
    LedgerEntry,
    LotRow,
    Member,
    RedemptionRow,
)
from loyalty.ledger import (
    Account,
    Debt,
    Entry,
    EntryKind,
    Lot,
    LotChange,
    LotKind,
    Redemption,
    check_invariants,
)

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


def publish_demo_variant(engine: Engine, version: int, *, offline_cap: int | None = None,
                         extra: str = "") -> None:
    """The demo program as another version: with an offline cap, and `extra` TOML appended
    (campaigns, an expiry policy, ranks)."""
    text = DEMO_PROGRAM_PATH.read_text(encoding="utf-8").replace("version = 1", f"version = {version}")
    if offline_cap is not None:
        text = text.replace("[redeem]\n", f"[redeem]\noffline_cap = {offline_cap}\n")
    load_program(engine, text + extra)


def balance(engine: Engine, member_id: str) -> int:
    with Session(engine) as session:
        member = session.get(Member, member_id)
        assert member is not None
        return member.balance


def assert_ledger_invariant(engine: Engine) -> None:
    """The ledger's invariants, from the rows alone (DESIGN §5), for every member:
    Σ entries = balance = Σ lot remaining − debt, Σ entry debt = debt; no lot below zero;
    each entry's points = its lot changes − its debt, and each lot's changes add up to what
    it holds (`loyalty.ledger.check_invariants` on the account rebuilt from its rows).
    Across members: at most one entry per (op, kind), and the allocations written for a
    redemption add up, lot by lot, to what pays for it now."""
    with Session(engine) as session:
        lots: dict[str, list[Lot]] = {}
        for r in session.scalars(select(LotRow)):
            lots.setdefault(r.member_id, []).append(
                Lot(r.lot_id, r.issuer, LotKind(r.kind), r.original, r.remaining, r.earned_at,
                    r.expires_at, r.reversed, r.returned_yen))
        debts: dict[str, list[Debt]] = {}
        for d in session.scalars(select(DebtRow)):
            debts.setdefault(d.member_id, []).append(Debt(d.debt_id, d.owed, tuple(map(tuple, d.paid))))
        reds: dict[str, list[Redemption]] = {}
        for x in session.scalars(select(RedemptionRow)):
            reds.setdefault(x.member_id, []).append(
                Redemption(x.redemption_id, x.redeemer, x.points, tuple(map(tuple, x.taken)),
                           x.debt_left, x.returned_yen))
        entries: dict[str, list[Entry]] = {}
        for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)):
            changes = tuple(LotChange(c[0], c[1], c[2], c[3]) for c in (e.changes or ()))
            entries.setdefault(e.member_id, []).append(
                Entry(EntryKind(e.kind), e.op_id or "", e.created_at, e.points, e.debt, changes))
        for member in session.scalars(select(Member)):
            mid = member.member_id
            account = Account(mid, tuple(lots.get(mid, ())), tuple(debts.get(mid, ())),
                              tuple(entries.get(mid, ())), tuple(reds.get(mid, ())))
            check_invariants(account)
            assert account.balance == member.balance, (mid, account.balance, member.balance)
            assert account.debt == member.debt, (mid, account.debt, member.debt)
            assert sum(e.points for e in account.entries) == member.balance, mid
        doubled = session.execute(
            select(LedgerEntry.op_id, LedgerEntry.kind).where(LedgerEntry.op_id.is_not(None))
            .group_by(LedgerEntry.op_id, LedgerEntry.kind).having(func.count() > 1)
        ).all()
        assert not doubled, doubled
        allocated: dict[tuple[str, str], int] = {}
        for a in session.scalars(select(AllocationRow)):
            allocated[(a.redemption_id, a.lot_id)] = allocated.get((a.redemption_id, a.lot_id), 0) + a.points
        now = funding(Account(k, tuple(lots.get(k, ())), tuple(debts.get(k, ())), (),
                              tuple(reds.get(k, ()))) for k in {*lots, *debts, *reds})
        assert {k: v for k, v in allocated.items() if v} == {k: v for k, (v, _) in now.items() if v}


def audit_rows(engine: Engine, entity_kind: str, entity_key: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_kind == entity_kind, AuditEntry.entity_key == entity_key)
                .order_by(AuditEntry.id)
            )
        )
