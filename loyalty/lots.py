"""The ledger's data: lots, entries with their lot changes, redemptions, and a member's account.

Everything is immutable; each ledger operation returns a new `Account` and the entries it
made, which HQ persists as they are. The invariants every account keeps are checked by
`check_invariants`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class LotKind(Enum):
    NORMAL = "normal"
    LIMITED = "limited"  # 期間限定: a campaign grant with its own short expiry


class EntryKind(Enum):
    EARN = "earn"
    REDEEM = "redeem"
    REVERSE_EARN = "reverse_earn"
    RESTORE_REDEEM = "restore_redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    DEBT = "debt"
    DEBT_SETTLE = "debt_settle"
    MERGE_OUT = "merge_out"
    MERGE_IN = "merge_in"


class LedgerError(ValueError):
    """An operation the ledger refuses; `reason` is a stable code HQ can dead-letter with."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvariantError(AssertionError):
    """An account that breaks the ledger's invariants: a bug, never a business refusal."""


@dataclass(frozen=True)
class Lot:
    lot_id: str
    issuer: str  # the company that funds these points
    kind: LotKind
    original: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None  # None: governed by the rolling policy, or never
    reversed: int = 0  # points taken back by returns so far
    returned_yen: int = 0  # yen of the earning sale returned so far

    def live_at(self, at: datetime) -> bool:
        return self.expires_at is None or at < self.expires_at


@dataclass(frozen=True)
class LotChange:
    """One lot's remaining moved by `points`. With `redeemer`, an allocation issuer → redeemer."""

    lot_id: str
    issuer: str
    points: int
    redeemer: str | None = None


@dataclass(frozen=True)
class Allocation:
    """Points one company issued that were used at another: the basis of 原資精算."""

    lot_id: str
    issuer: str
    redeemer: str
    points: int


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    op_id: str
    at: datetime
    points: int  # signed change to the balance
    debt: int = 0  # signed change to the debt
    changes: tuple[LotChange, ...] = ()
    ref: str | None = None  # the lot reversed, redemption restored, or member merged
    reason: str = ""

    @property
    def allocations(self) -> tuple[Allocation, ...]:
        return tuple(Allocation(c.lot_id, c.issuer, c.redeemer, -c.points)
                     for c in self.changes if c.redeemer is not None)


@dataclass(frozen=True)
class Redemption:
    """What one redemption took, so a return can give it back exactly once."""

    redemption_id: str
    redeemer: str
    points: int
    taken: tuple[tuple[str, int], ...]  # (lot_id, points) still to give back, in consumption order
    debt_left: int  # the part that became debt and has not been given back
    returned_yen: int = 0

    @property
    def restorable(self) -> int:
        return sum(p for _, p in self.taken) + self.debt_left


@dataclass(frozen=True)
class Debt:
    """Points owed, from one cause: a redemption beyond the balance, a return of spent points,
    or a manager's adjustment. `paid` says which lots paid it, so undoing the cause can give
    those points back to the same lots."""

    debt_id: str  # the redemption id, or "<op_id>:<lot_id>" for a return's shortfall
    owed: int
    paid: tuple[tuple[str, int], ...] = ()  # (lot_id, points), in the order they were paid


@dataclass(frozen=True)
class Account:
    """One member's points. `carried_*` stand for entries not loaded into `entries`."""

    member_id: str
    lots: tuple[Lot, ...] = ()
    debts: tuple[Debt, ...] = ()
    entries: tuple[Entry, ...] = ()
    redemptions: tuple[Redemption, ...] = ()
    last_earn_at: datetime | None = None
    last_use_at: datetime | None = None
    carried_points: int = 0
    carried_debt: int = 0

    @property
    def debt(self) -> int:
        return sum(d.owed for d in self.debts)

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots) - self.debt

    def lot(self, lot_id: str) -> Lot | None:
        return next((lot for lot in self.lots if lot.lot_id == lot_id), None)

    def redemption(self, redemption_id: str) -> Redemption | None:
        return next((r for r in self.redemptions if r.redemption_id == redemption_id), None)

    def available(self, at: datetime) -> int:
        """Points that may be used at `at`: live lots, less debt."""
        return sum(lot.remaining for lot in self.lots if lot.live_at(at)) - self.debt


def spend_order(lots: Iterable[Lot], at: datetime) -> list[Lot]:
    """Live lots with points, in the order they are used: soonest expiry, limited first, oldest."""
    live = [lot for lot in lots if lot.remaining > 0 and lot.live_at(at)]
    return sorted(live, key=lambda lot: (lot.expires_at is None,
                                         lot.expires_at or lot.earned_at,
                                         lot.kind is not LotKind.LIMITED,
                                         lot.earned_at, lot.lot_id))


def check_invariants(account: Account) -> None:
    """Σ entries = balance = Σ lot remaining − debt; no lot below zero; raise InvariantError."""
    problems: list[str] = []
    entry_points = account.carried_points + sum(e.points for e in account.entries)
    entry_debt = account.carried_debt + sum(e.debt for e in account.entries)
    if entry_points != account.balance:
        problems.append(f"Σ entries {entry_points} ≠ balance {account.balance}")
    if entry_debt != account.debt:
        problems.append(f"Σ entry debt {entry_debt} ≠ debt {account.debt}")
    for d in account.debts:
        if d.owed < 0 or any(p < 0 for _, p in d.paid):
            problems.append(f"debt {d.debt_id} below zero")
    for e in account.entries:
        if e.points != sum(c.points for c in e.changes) - e.debt:
            problems.append(f"{e.kind.value} {e.op_id}: points {e.points} ≠ Σ lot changes − debt")
    ids = [lot.lot_id for lot in account.lots]
    if len(set(ids)) != len(ids):
        problems.append("a lot id appears twice")
    debt_ids = [d.debt_id for d in account.debts]
    if len(set(debt_ids)) != len(debt_ids):
        problems.append("a debt id appears twice")
    for lot in account.lots:
        if lot.remaining < 0:
            problems.append(f"lot {lot.lot_id} below zero ({lot.remaining})")
        if lot.remaining > lot.original or lot.reversed > lot.original:
            problems.append(f"lot {lot.lot_id} holds more than it was granted")
    if not account.carried_points and not account.carried_debt:
        moved: dict[str, int] = {}
        for e in account.entries:
            for c in e.changes:
                moved[c.lot_id] = moved.get(c.lot_id, 0) + c.points
        held = {lot.lot_id: lot.remaining for lot in account.lots}
        for lot_id in sorted(set(moved) | set(held)):
            if moved.get(lot_id, 0) != held.get(lot_id, 0):
                problems.append(f"lot {lot_id}: Σ changes {moved.get(lot_id, 0)} ≠ "
                                f"remaining {held.get(lot_id, 0)}")
    for r in account.redemptions:
        if r.debt_left < 0 or any(p < 0 for _, p in r.taken):
            problems.append(f"redemption {r.redemption_id} gives back more than it took")
    if problems:
        raise InvariantError("; ".join(problems))
