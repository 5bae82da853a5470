"""The working copy of an account while one ledger operation is applied to it.

Internal to `loyalty.ledger`: the moves here (take points in spending order, settle debt,
reverse a lot, restore a redemption) are the building blocks the public operations
compose, each leaving entries behind so that every point moved is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from loyalty.lots import (
    Account,
    Debt,
    Entry,
    EntryKind,
    LedgerError,
    Lot,
    LotChange,
    LotKind,
    Redemption,
    spend_order,
)


class Applied(NamedTuple):
    account: Account
    entries: tuple[Entry, ...]


def pro_rata(total: int, part_yen: int, whole_yen: int, *, round_up: bool = False) -> int:
    """total × part / whole, exactly, rounded down (or up). Used on cumulative returns."""
    q, r = divmod(total * part_yen, whole_yen)
    return q + 1 if round_up and r else q


def positive(points: int, what: str = "points") -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise LedgerError("bad_amount", f"{what} must be a positive integer, got {points!r}")


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


@dataclass
class Work:
    """A member's account while one operation is applied to it; `done` freezes the result."""

    account: Account
    lots: dict[str, Lot] = field(init=False)
    debts: dict[str, Debt] = field(init=False)
    redemptions: dict[str, Redemption] = field(init=False)
    made: list[Entry] = field(default_factory=list)
    last_earn_at: datetime | None = field(init=False)
    last_use_at: datetime | None = field(init=False)

    def __post_init__(self) -> None:
        a = self.account
        self.lots = {lot.lot_id: lot for lot in a.lots}
        self.debts = {d.debt_id: d for d in a.debts}
        self.redemptions = {r.redemption_id: r for r in a.redemptions}
        self.last_earn_at, self.last_use_at = a.last_earn_at, a.last_use_at

    def done(self) -> Applied:
        made = tuple(self.made)
        account = replace(self.account, lots=tuple(self.lots.values()),
                          debts=tuple(d for d in self.debts.values() if d.owed or d.paid),
                          entries=self.account.entries + made,
                          redemptions=tuple(self.redemptions.values()),
                          last_earn_at=self.last_earn_at, last_use_at=self.last_use_at)
        return Applied(account, made)

    def add(self, kind: EntryKind, op_id: str, at: datetime, *, debt: int = 0,
            changes: list[LotChange] | None = None, ref: str | None = None,
            reason: str = "") -> None:
        """Record an entry and move its lots; the caller has already moved the debt."""
        ch = tuple(changes or ())
        for c in ch:
            lot = self.lots[c.lot_id]
            self.lots[c.lot_id] = replace(lot, remaining=lot.remaining + c.points)
        self.made.append(Entry(kind, op_id, at, sum(c.points for c in ch) - debt, debt, ch, ref,
                               reason))

    def owe(self, op_id: str, at: datetime, debt_id: str, points: int, reason: str = "") -> None:
        d = self.debts.get(debt_id, Debt(debt_id, 0))
        self.debts[debt_id] = replace(d, owed=d.owed + points)
        self.add(EntryKind.DEBT, op_id, at, debt=points, ref=debt_id, reason=reason)

    def new_lot_id(self, op_id: str) -> str:
        n = sum(1 for lot_id in self.lots if lot_id.startswith(op_id + "#"))
        return f"{op_id}#{n}"

    def take(self, points: int, at: datetime, redeemer: str | None) -> list[LotChange]:
        """Changes that use up to `points` from live lots in spending order."""
        changes: list[LotChange] = []
        left = points
        for lot in spend_order(self.lots.values(), at):
            if left == 0:
                break
            use = min(left, lot.remaining)
            changes.append(LotChange(lot.lot_id, lot.issuer, -use, redeemer))
            left -= use
        return changes

    def settle(self, op_id: str, at: datetime) -> None:
        # Debt is paid, oldest first, as soon as there are points to pay it with, so a
        # member never holds spendable points while owing points.
        for d in list(self.debts.values()):
            if d.owed <= 0:
                continue
            changes = self.take(d.owed, at, None)
            if not changes:
                return
            paid = -sum(c.points for c in changes)
            self.debts[d.debt_id] = replace(d, owed=d.owed - paid, paid=d.paid + tuple(
                (c.lot_id, -c.points) for c in changes))
            self.add(EntryKind.DEBT_SETTLE, op_id, at, debt=-paid, changes=changes, ref=d.debt_id)

    def grant(self, kind: EntryKind, op_id: str, at: datetime, points: int, issuer: str,
              lot_kind: LotKind, expires_at: datetime | None, lot_id: str | None,
              reason: str = "") -> str:
        lot_id = lot_id or self.new_lot_id(op_id)
        if lot_id in self.lots:
            raise LedgerError("lot_exists", f"lot {lot_id} already exists")
        self.lots[lot_id] = Lot(lot_id, issuer, lot_kind, points, 0, at, expires_at)
        self.add(kind, op_id, at, changes=[LotChange(lot_id, issuer, points)], reason=reason)
        return lot_id

    def reverse(self, op_id: str, at: datetime, lot_id: str, returned_yen: int,
                sale_yen: int) -> None:
        lot = self.lots.get(lot_id)
        if lot is None:
            raise LedgerError("unknown_lot", f"lot {lot_id} is not this member's")
        positive(returned_yen, "returned_yen")
        positive(sale_yen, "sale_yen")
        returned = lot.returned_yen + returned_yen
        if returned > sale_yen:
            raise LedgerError("over_return", f"lot {lot_id}: ¥{returned:,} returned of a "
                                             f"¥{sale_yen:,} sale")
        # Cumulative, so partial returns that add up to the sale take back exactly the lot.
        due = pro_rata(lot.original, returned, sale_yen) - lot.reversed
        use = min(due, lot.remaining)
        self.lots[lot_id] = replace(lot, reversed=lot.reversed + due, returned_yen=returned)
        self.add(EntryKind.REVERSE_EARN, op_id, at, ref=lot_id,
                 changes=[LotChange(lot_id, lot.issuer, -use)] if use else [])
        short = due - use
        # Points of this lot that paid a debt are taken back from that debt: it is owed
        # again, under its own cause, so undoing that cause later cancels it exactly.
        for d in reversed(list(self.debts.values())):
            if short == 0:
                break
            paid = list(d.paid)
            reopened = 0
            for i in range(len(paid) - 1, -1, -1):
                pid, pts = paid[i]
                if pid == lot_id and pts and short:
                    back = min(pts, short)
                    paid[i] = (pid, pts - back)
                    short -= back
                    reopened += back
            if reopened:
                self.debts[d.debt_id] = replace(d, owed=d.owed + reopened,
                                                paid=tuple(p for p in paid if p[1]))
                self.add(EntryKind.DEBT, op_id, at, debt=reopened, ref=d.debt_id)
        if short:
            self.owe(op_id, at, f"{op_id}:{lot_id}", short)

    def restore(self, op_id: str, at: datetime, redemption_id: str, points: int) -> None:
        r = self.redemptions.get(redemption_id)
        if r is None:
            raise LedgerError("unknown_redemption", f"no redemption {redemption_id}")
        if points > r.restorable:
            raise LedgerError("over_restore", f"redemption {redemption_id}: {points} pt asked, "
                                              f"{r.restorable} pt left to give back")
        left = points
        changes: list[LotChange] = []
        cancel = 0
        # Undo in reverse order of use: the part that became debt (used last) first — what
        # is still owed is cancelled, what lots already paid goes back to them — then the
        # lots that expire latest, so a partial restore gives back the longest-lived points.
        from_debt = min(left, r.debt_left)
        if from_debt:
            d = self.debts[redemption_id]
            cancel = min(from_debt, d.owed)
            rest = from_debt - cancel
            paid = list(d.paid)
            for i in range(len(paid) - 1, -1, -1):
                if rest == 0:
                    break
                lot_id, pts = paid[i]
                give = min(rest, pts)
                changes.append(LotChange(lot_id, self.lots[lot_id].issuer, give))
                paid[i] = (lot_id, pts - give)
                rest -= give
            self.debts[redemption_id] = replace(d, owed=d.owed - cancel,
                                                paid=tuple(p for p in paid if p[1]))
            left -= from_debt
        taken = list(r.taken)
        for i in range(len(taken) - 1, -1, -1):
            if left == 0:
                break
            lot_id, pts = taken[i]
            give = min(left, pts)
            if give:
                changes.append(LotChange(lot_id, self.lots[lot_id].issuer, give))
                taken[i] = (lot_id, pts - give)
                left -= give
        self.redemptions[redemption_id] = replace(r, taken=tuple(taken),
                                                  debt_left=r.debt_left - from_debt)
        self.add(EntryKind.RESTORE_REDEEM, op_id, at, debt=-cancel, changes=changes,
                 ref=redemption_id)
