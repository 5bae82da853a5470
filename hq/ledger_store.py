"""The ledger of record: members' accounts read from their rows, changed with
`loyalty.ledger`, and written back as rows in the same transaction.

A `Ledger` belongs to one transaction. It locks the members it is asked for (always in
`member_id` order, the order every writer uses), loads each one's `Account` — the live
lots, the debts, and whatever older lots and redemptions the transaction's returns and
merges need — and keeps it in memory while the transaction's ops are applied one after
another. Each application is checked (the balance moves by exactly the entries made, no
lot below zero) and leaves entry rows (one per member, op and kind) and allocation rows:
how many points of which lot fund which redemption, issuer → redeemer, signed, so a
return that gives points back writes the negative. `write_state` then writes the lots,
debts, redemptions and members that changed, with a handful of statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select

from hq.bulk import Writes, one_of
from hq.models import (
    AllocationRow,
    DebtRow,
    Hold,
    LedgerEntry,
    LotRow,
    Member,
    RedemptionRow,
)
from hq.programs import issuer_and_policy
from loyalty.ledger import (
    Account,
    Applied,
    Debt,
    Entry,
    InvariantError,
    Lot,
    LotKind,
    Redemption,
    adjust,
)

_members = cast(Table, Member.__table__)
_lots = cast(Table, LotRow.__table__)
_debts = cast(Table, DebtRow.__table__)
_redemptions = cast(Table, RedemptionRow.__table__)
_holds = cast(Table, Hold.__table__)
_entries = cast(Table, LedgerEntry.__table__)
_allocations = cast(Table, AllocationRow.__table__)

# Member columns a transaction may change besides the ledger's own.
_MEMBER_FIELDS = ("status", "merged_into", "rank", "first_purchase_at")


@dataclass
class Book:
    """One member during a transaction: the row's facts HQ decides with, and the account."""

    member_id: str
    member_no: str
    status: str
    merged_into: str | None
    rank: str
    birth_month: int | None
    created_at: datetime
    first_purchase_at: datetime | None
    held: int  # points this member's pending, unexpired holds reserve
    account: Account
    touched: bool = False
    # The row to insert, for a member enrolled in this transaction.
    new_row: dict[str, Any] | None = None

    @property
    def balance(self) -> int:
        return self.account.balance

    @property
    def debt(self) -> int:
        return self.account.debt


def _lot(row: Any) -> Lot:
    return Lot(row.lot_id, row.issuer, LotKind(row.kind), int(row.original), int(row.remaining),
               row.earned_at, row.expires_at, int(row.reversed), int(row.returned_yen))  # fmt: skip


def _pairs(raw: Any) -> tuple[tuple[str, int], ...]:
    return tuple((str(lot_id), int(points)) for lot_id, points in raw or ())


def _debt(row: Any) -> Debt:
    return Debt(row.debt_id, int(row.owed), _pairs(row.paid))


def _redemption(row: Any) -> Redemption:
    return Redemption(row.redemption_id, row.redeemer, int(row.points), _pairs(row.taken),
                      int(row.debt_left), int(row.returned_yen))  # fmt: skip


def funding(accounts: Iterable[Account]) -> dict[tuple[str, str], tuple[int, str]]:
    """(redemption, lot) → (points of the lot paying for it now, redeemer).

    A redemption is paid by the lots it took and, for its part that became debt, by the
    lots that paid that debt off since.
    """
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for account in accounts:
        redeemers = {r.redemption_id: r.redeemer for r in account.redemptions}
        sources = [(r.redemption_id, r.taken) for r in account.redemptions]
        sources += [(d.debt_id, d.paid) for d in account.debts if d.debt_id in redeemers]
        for rid, parts in sources:
            for lot_id, points in parts:
                pts, _ = out.get((rid, lot_id), (0, ""))
                out[(rid, lot_id)] = (pts + points, redeemers[rid])
    return out


def entry_rows(member_id: str, entries: Sequence[Entry], *, op_id: str | None, now: datetime,
               note: str | None) -> list[dict[str, Any]]:
    """One row per kind: an op's entries of a kind, summed, with every lot change kept."""
    rows: dict[str, dict[str, Any]] = {}
    changes: dict[str, dict[tuple[str, str, str | None], int]] = {}
    refs: dict[str, list[str]] = {}
    for e in entries:
        kind = e.kind.value
        row = rows.get(kind)
        if row is None:
            row = rows[kind] = {"member_id": member_id, "op_id": op_id, "kind": kind, "points": 0,
                                "debt": 0, "note": (note or e.reason or None), "created_at": now}  # fmt: skip
            changes[kind], refs[kind] = {}, []
        row["points"] += e.points
        row["debt"] += e.debt
        if e.ref and e.ref not in refs[kind]:
            refs[kind].append(e.ref)
        for c in e.changes:
            key = (c.lot_id, c.issuer, c.redeemer)
            changes[kind][key] = changes[kind].get(key, 0) + c.points
    out = []
    for kind, row in rows.items():
        moved = [[lot, issuer, pts, redeemer] for (lot, issuer, redeemer), pts in changes[kind].items() if pts]
        if not (row["points"] or row["debt"] or moved):
            continue
        row["ref"] = ",".join(refs[kind])[:200] or None
        row["changes"] = moved
        if row["note"] is not None:
            row["note"] = row["note"][:200]
        out.append(row)
    return out


def _check_step(before: Account, after: Account, entries: Sequence[Entry]) -> None:
    # A failure here is a bug, never a refusal: the transaction must not commit.
    points = sum(e.points for e in entries)
    debt = sum(e.debt for e in entries)
    if before.balance + points != after.balance or before.debt + debt != after.debt:
        raise InvariantError(f"member {after.member_id}: entries move {points} pt / debt {debt}, "
                             f"the account moved {after.balance - before.balance} / "
                             f"{after.debt - before.debt}")
    for lot in after.lots:
        if lot.remaining < 0 or lot.remaining > lot.original:
            raise InvariantError(f"lot {lot.lot_id}: {lot.remaining} of {lot.original} remaining")


@dataclass
class Ledger:
    """The members one transaction touches, and the rows their changes make."""

    conn: Connection
    now: datetime
    books: dict[str, Book] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[dict[str, Any]] = field(default_factory=list)
    _lots0: dict[str, tuple[str, Lot]] = field(default_factory=dict)
    _debts0: dict[str, tuple[str, Debt, int]] = field(default_factory=dict)
    _reds0: dict[str, tuple[str, Redemption]] = field(default_factory=dict)
    _full: set[str] = field(default_factory=set)

    # -- loading -----------------------------------------------------------------

    def lock(self, member_ids: Iterable[str], *, full: Iterable[str] = (),
             lots: Iterable[str] = (), redemptions: Iterable[str] = ()) -> None:
        """Lock and load these members (unknown ids are skipped); `full` ones with every lot
        and redemption (a merge moves them all); `lots` and `redemptions` by id besides."""
        # No member id holds a NUL, and PostgreSQL refuses one in a query.
        wanted = sorted({m for m in member_ids if "\x00" not in m} - set(self.books))
        if wanted:
            held = (
                select(func.coalesce(func.sum(_holds.c.points), 0))
                .where(_holds.c.member_id == _members.c.member_id, _holds.c.status == "pending",
                       _holds.c.expires_at > self.now)
                .scalar_subquery()
            )  # fmt: skip
            m = _members.c
            rows = self.conn.execute(
                select(m.member_id, m.member_no, m.status, m.merged_into, m.rank, m.birth_month,
                       m.created_at, m.first_purchase_at, m.last_earn_at, m.last_use_at,
                       m.balance, m.debt, held.label("held"))
                .where(one_of(self.conn, m.member_id, wanted))
                .order_by(m.member_id)
                # NO KEY UPDATE: writers exclude each other, foreign-key checks pass.
                .with_for_update(of=_members, key_share=True)
            )  # fmt: skip
            self._add_books(rows)
        self._load(set(wanted) & set(self.books), set(full) & set(self.books), set(lots),
                   set(redemptions))  # fmt: skip

    def adopt(self, members: Iterable[Any], lots: Iterable[Any], debts: Iterable[Any]) -> None:
        """Take members the transaction locked and read itself (`hq.ingest_reads`): their
        rows as `lock` reads them, with their live lots and debts."""
        self._add_books(members)
        self._add_lots(lots)
        for r in debts:
            self._add_debt(r.member_id, _debt(r))
        self._load(set(), set(), set(), set())

    def _add_books(self, rows: Iterable[Any]) -> None:
        for r in rows:
            account = Account(r.member_id, last_earn_at=r.last_earn_at, last_use_at=r.last_use_at,
                              carried_points=int(r.balance), carried_debt=int(r.debt))  # fmt: skip
            self.books[r.member_id] = Book(
                r.member_id, r.member_no, r.status, r.merged_into, r.rank or "", r.birth_month,
                r.created_at, r.first_purchase_at, int(r.held or 0), account)

    def _load(self, new: set[str], full: set[str], lot_ids: set[str], red_ids: set[str]) -> None:
        full -= self._full
        mine = sorted(self.books)
        if not mine:
            return
        c = self.conn
        lot_rows: list[Any] = []
        if new:
            lot_rows += c.execute(select(_lots).where(
                one_of(c, _lots.c.member_id, sorted(new)), _lots.c.remaining > 0)).all()
            for r in c.execute(select(_debts).where(one_of(c, _debts.c.member_id, sorted(new)))
                               .order_by(_debts.c.member_id, _debts.c.position)):  # fmt: skip
                self._add_debt(r.member_id, _debt(r))
        if full:
            lot_rows += c.execute(select(_lots).where(one_of(c, _lots.c.member_id, sorted(full)))).all()
        if lot_ids:
            lot_rows += c.execute(select(_lots).where(
                one_of(c, _lots.c.lot_id, sorted(lot_ids)), one_of(c, _lots.c.member_id, mine))).all()
        self._add_lots(lot_rows)
        # Redemptions: those asked for, those a debt stands for, and all of a full member's.
        red_ids |= {d.debt_id for b in self.books.values() for d in b.account.debts}
        red_ids -= {r.redemption_id for b in self.books.values() for r in b.account.redemptions}
        clauses = []
        if red_ids:
            clauses.append(one_of(c, _redemptions.c.redemption_id, sorted(red_ids)))
        if full:
            clauses.append(one_of(c, _redemptions.c.member_id, sorted(full)))
        for clause in clauses:
            for r in c.execute(select(_redemptions).where(clause, one_of(c, _redemptions.c.member_id, mine))):
                self._add_redemption(r.member_id, _redemption(r))
        self._full |= full
        # Lots a redemption or a debt may give points back to, even if spent or expired.
        known = {lot.lot_id for b in self.books.values() for lot in b.account.lots}
        wanted = {lot for b in self.books.values() for r in b.account.redemptions for lot, _ in r.taken}
        wanted |= {lot for b in self.books.values() for d in b.account.debts for lot, _ in d.paid}
        missing = sorted(wanted - known)
        if missing:
            self._add_lots(c.execute(select(_lots).where(one_of(c, _lots.c.lot_id, missing),
                                                         one_of(c, _lots.c.member_id, mine))))

    def _add_lots(self, rows: Iterable[Any]) -> None:
        # One new account per member, however many lots: a member may hold hundreds.
        by_member: dict[str, list[Lot]] = {}
        for r in rows:
            if r.lot_id not in self._lots0:
                by_member.setdefault(r.member_id, []).append(_lot(r))
        for member_id, lots in by_member.items():
            book = self.books[member_id]
            have = {lot.lot_id for lot in book.account.lots}
            new = []
            for lot in lots:
                if lot.lot_id not in have:
                    have.add(lot.lot_id)
                    self._lots0[lot.lot_id] = (member_id, lot)
                    new.append(lot)
            if new:
                book.account = replace(book.account, lots=book.account.lots + tuple(new))

    def _add_debt(self, member_id: str, debt: Debt) -> None:
        book = self.books[member_id]
        if debt.debt_id in self._debts0:
            return
        self._debts0[debt.debt_id] = (member_id, debt, len(book.account.debts))
        book.account = replace(book.account, debts=book.account.debts + (debt,))

    def _add_redemption(self, member_id: str, r: Redemption) -> None:
        book = self.books[member_id]
        if r.redemption_id in self._reds0 or book.account.redemption(r.redemption_id) is not None:
            return
        self._reds0[r.redemption_id] = (member_id, r)
        book.account = replace(book.account, redemptions=book.account.redemptions + (r,))

    def add_member(self, book: Book) -> None:
        """A member enrolled in this transaction (its row is inserted by `write_state`)."""
        self.books[book.member_id] = book

    # -- applying ----------------------------------------------------------------

    def apply(self, changes: Sequence[tuple[Book, Applied]], *, op_id: str | None,
              note: str | None = None) -> None:
        """Take the accounts `loyalty.ledger` returned, with the rows their entries make."""
        before = funding(b.account for b, _ in changes)
        issuers = {lot.lot_id: lot.issuer for b, _ in changes for lot in b.account.lots}
        for book, applied in changes:
            _check_step(book.account, applied.account, applied.entries)
            # Entries are rows now: the account carries their sum, not the list.
            book.account = replace(applied.account, entries=(),
                                   carried_points=applied.account.balance,
                                   carried_debt=applied.account.debt)
            book.touched = True
            self.entries += entry_rows(book.member_id, applied.entries, op_id=op_id, now=self.now,
                                       note=note)  # fmt: skip
            issuers.update({lot.lot_id: lot.issuer for lot in book.account.lots})
        after = funding(b.account for b, _ in changes)
        owner = {r.redemption_id: b.member_id for b, _ in changes for r in b.account.redemptions}
        for key in sorted(set(before) | set(after)):
            moved = after.get(key, (0, ""))[0] - before.get(key, (0, ""))[0]
            if not moved:
                continue
            rid, lot_id = key
            redeemer = (after.get(key) or before[key])[1]
            self.allocations.append({
                "lot_id": lot_id, "redemption_id": rid, "member_id": owner.get(rid, ""),
                "issuer": issuers[lot_id], "redeemer": redeemer, "points": moved, "op_id": op_id,
                "at": self.now,
            })  # fmt: skip

    # -- writing -----------------------------------------------------------------

    def write_state(self, writes: Writes | None = None) -> None:
        """Write new and changed members, lots, debts and redemptions (through `writes`,
        else at once)."""
        w = writes or Writes(self.conn)
        # A member enrolled in this transaction may have bought in it already.
        w.insert(_members, [{**b.new_row, "balance": b.balance, "debt": b.debt,
                             "last_earn_at": b.account.last_earn_at,
                             "last_use_at": b.account.last_use_at,
                             **{f: getattr(b, f) for f in _MEMBER_FIELDS}}
                            for b in self.books.values() if b.new_row is not None])  # fmt: skip
        w.update(_members, "member_id", [
            {"member_id": b.member_id, "balance": b.balance, "debt": b.debt,
             "last_earn_at": b.account.last_earn_at, "last_use_at": b.account.last_use_at,
             **{f: getattr(b, f) for f in _MEMBER_FIELDS}}
            for b in self.books.values() if b.touched and b.new_row is None])  # fmt: skip
        lots_new: list[dict[str, Any]] = []
        lots_changed: list[dict[str, Any]] = []
        debts_new: list[dict[str, Any]] = []
        debts_changed: list[dict[str, Any]] = []
        debts_kept: set[str] = set()
        reds_new: list[dict[str, Any]] = []
        reds_changed: list[dict[str, Any]] = []
        for b in self.books.values():
            for lot in b.account.lots:
                old = self._lots0.get(lot.lot_id)
                if old is not None and old == (b.member_id, lot):
                    continue
                row = {"lot_id": lot.lot_id, "member_id": b.member_id, "issuer": lot.issuer,
                       "kind": lot.kind.value, "original": lot.original, "remaining": lot.remaining,
                       "reversed": lot.reversed, "returned_yen": lot.returned_yen,
                       "earned_at": lot.earned_at, "expires_at": lot.expires_at}  # fmt: skip
                (lots_new if old is None else lots_changed).append(row)
            for position, d in enumerate(b.account.debts):
                debts_kept.add(d.debt_id)
                old_d = self._debts0.get(d.debt_id)
                if old_d is not None and old_d == (b.member_id, d, position):
                    continue
                drow = {"debt_id": d.debt_id, "member_id": b.member_id, "owed": d.owed,
                        "paid": [list(p) for p in d.paid], "position": position}
                (debts_new if old_d is None else debts_changed).append(drow)
            for r in b.account.redemptions:
                old_r = self._reds0.get(r.redemption_id)
                if old_r is not None and old_r == (b.member_id, r):
                    continue
                rrow = {"redemption_id": r.redemption_id, "member_id": b.member_id,
                        "redeemer": r.redeemer, "points": r.points, "taken": [list(p) for p in r.taken],
                        "debt_left": r.debt_left, "returned_yen": r.returned_yen}  # fmt: skip
                (reds_new if old_r is None else reds_changed).append(rrow)
        gone = sorted(set(self._debts0) - debts_kept)
        w.delete_in(_debts, "debt_id", gone)
        w.insert(_lots, lots_new)
        w.insert(_debts, debts_new)
        w.insert(_redemptions, reds_new)
        w.update(_lots, "lot_id", lots_changed)
        w.update(_debts, "debt_id", debts_changed)
        w.update(_redemptions, "redemption_id", reds_changed)
        if writes is None:
            w.flush()
        # Written now, a second call writes only what changed since.
        for b in self.books.values():
            b.new_row = None
            b.touched = False
            for lot in b.account.lots:
                self._lots0[lot.lot_id] = (b.member_id, lot)
            for position, d in enumerate(b.account.debts):
                self._debts0[d.debt_id] = (b.member_id, d, position)
            for r in b.account.redemptions:
                self._reds0[r.redemption_id] = (b.member_id, r)
        for debt_id in gone:
            del self._debts0[debt_id]

    def write_rows(self, writes: Writes | None = None) -> None:
        """Write the entries and allocations made so far (their ops must exist by then)."""
        w = writes or Writes(self.conn)
        w.insert(_entries, self.entries)
        w.insert(_allocations, self.allocations)
        if writes is None:
            w.flush()
        self.entries, self.allocations = [], []


def live_points(conn: Connection, member_id: str, now: datetime) -> int:
    """Points in the member's lots that may still be used at `now` (debt not deducted)."""
    total = conn.execute(
        select(func.coalesce(func.sum(_lots.c.remaining), 0)).where(
            _lots.c.member_id == member_id, _lots.c.remaining > 0,
            (_lots.c.expires_at.is_(None)) | (_lots.c.expires_at > now))
    ).scalar()  # fmt: skip
    return int(total or 0)


def load_accounts(conn: Connection, member_ids: Sequence[str]) -> dict[str, Account]:
    """Members' accounts with their live lots, unlocked: for reading (pull, look-ups)."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    m = _members.c
    out = {
        r.member_id: Account(r.member_id, last_earn_at=r.last_earn_at, last_use_at=r.last_use_at,
                             carried_points=int(r.balance), carried_debt=int(r.debt))
        for r in conn.execute(select(m.member_id, m.last_earn_at, m.last_use_at, m.balance, m.debt)
                              .where(one_of(conn, m.member_id, ids)))
    }  # fmt: skip
    lots: dict[str, list[Lot]] = {}
    for r in conn.execute(select(_lots).where(one_of(conn, _lots.c.member_id, ids),
                                              _lots.c.remaining > 0)):
        lots.setdefault(r.member_id, []).append(_lot(r))
    debts: dict[str, list[Debt]] = {}
    for r in conn.execute(select(_debts).where(one_of(conn, _debts.c.member_id, ids))
                          .order_by(_debts.c.member_id, _debts.c.position)):  # fmt: skip
        debts.setdefault(r.member_id, []).append(_debt(r))
    return {k: replace(a, lots=tuple(lots.get(k, ())), debts=tuple(debts.get(k, ())))
            for k, a in out.items()}  # fmt: skip


def opening_points(conn: Connection, member_id: str, points: int, now: datetime) -> None:
    """A seeded member's first points: an `adjust` entry (noted 初期ポイント, as the store
    reads it in the member's history) and one lot `seed-<member_id>#0`."""
    issuer, policy = issuer_and_policy(conn)
    ledger = Ledger(conn, now)
    ledger.lock([member_id])
    book = ledger.books[member_id]
    applied = adjust(book.account, op_id=f"seed-{member_id}", at=now, points=points,
                     reason="初期ポイント", issuer=issuer, policy=policy)  # fmt: skip
    ledger.apply([(book, applied)], op_id=None, note="初期ポイント")
    ledger.write_state()
    ledger.write_rows()
