"""Ledger arithmetic (DESIGN §5): earn, redeem, returns, expiry, adjustments, debt, merges.

Each operation takes an `Account` and returns `Applied(account, entries)`: the new
account and the entries it made, for HQ to persist. Points are used soonest-expiring
first (limited-time before normal on the same day), then oldest, and each use is an
allocation issuer → redeemer. A return gives back redeemed points to the lots they came
from, with their original expiry, and takes back earned points pro rata; what it cannot
take because the points were already spent becomes debt, which the member's other
points, then later earns, pay off. Whatever the sequence, `check_invariants` holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from loyalty._work import Applied, Work, later, positive, pro_rata
from loyalty.dates import FAR_PAST, require_aware
from loyalty.expiry import ExpiryPolicy
from loyalty.lots import (
    Account,
    Allocation,
    Debt,
    Entry,
    EntryKind,
    InvariantError,
    LedgerError,
    Lot,
    LotChange,
    LotKind,
    Redemption,
    check_invariants,
)

__all__ = ["Account", "Allocation", "Applied", "Debt", "Entry", "EntryKind", "InvariantError",
           "LedgerError", "Lot", "LotChange", "LotKind", "LotSummary", "Redemption", "adjust",
           "check_invariants", "earn", "expire", "lot_summaries", "merge",
           "offline_allowance", "post_sale", "pro_rata", "redeem", "reissue_card", "restore_redeem", "return_sale",
           "reverse_earn", "settle_debt"]


@dataclass(frozen=True)
class LotSummary:
    """Points of one kind that expire together, as the counter and receipt show them."""

    kind: LotKind
    points: int
    expires_at: datetime | None


def earn(account: Account, *, op_id: str, at: datetime, points: int, issuer: str,
         kind: LotKind = LotKind.NORMAL, expires_at: datetime | None = None,
         policy: ExpiryPolicy | None = None, lot_id: str | None = None) -> Applied:
    """A new lot of `points`, paying any debt first. A normal lot without `expires_at` takes
    its expiry from `policy` (fixed terms); a limited lot must carry its own."""
    require_aware(at, "at")
    positive(points)
    if kind is LotKind.LIMITED and expires_at is None:
        raise LedgerError("bad_lot", "a limited-time lot needs its expiry")
    if kind is LotKind.NORMAL and expires_at is None and policy is not None:
        expires_at = policy.lot_expiry(at)
    w = Work(account)
    w.grant(EntryKind.EARN, op_id, at, points, issuer, kind, expires_at, lot_id)
    if kind is LotKind.NORMAL:
        w.last_earn_at = later(w.last_earn_at, at)
    w.settle(op_id, at)
    return w.done()


def redeem(account: Account, *, op_id: str, at: datetime, points: int, redeemer: str,
           allow_debt: bool = False) -> Applied:
    """Use `points` at company `redeemer`. With `allow_debt` (a sale a register made offline
    within its cap), what the live lots cannot cover becomes debt instead of a refusal."""
    require_aware(at, "at")
    positive(points)
    if op_id in {r.redemption_id for r in account.redemptions}:
        raise LedgerError("redemption_exists", f"redemption {op_id} already recorded")
    available = account.available(at)
    if points > available and not allow_debt:
        raise LedgerError("insufficient_points",
                          f"{points} pt asked, {max(0, available)} pt available")
    w = Work(account)
    changes = w.take(points, at, redeemer)
    used = -sum(c.points for c in changes)
    w.add(EntryKind.REDEEM, op_id, at, changes=changes)
    if points > used:
        w.owe(op_id, at, op_id, points - used)
    w.redemptions[op_id] = Redemption(op_id, redeemer, points,
                                      tuple((c.lot_id, -c.points) for c in changes), points - used)
    w.last_use_at = later(w.last_use_at, at)
    return w.done()


def reverse_earn(account: Account, *, op_id: str, at: datetime, lot_id: str, returned_yen: int,
                 sale_yen: int) -> Applied:
    """Take back a lot's points for ¥`returned_yen` of its ¥`sale_yen` sale, pro rata."""
    require_aware(at, "at")
    w = Work(account)
    w.reverse(op_id, at, lot_id, returned_yen, sale_yen)
    w.settle(op_id, at)
    return w.done()


def restore_redeem(account: Account, *, op_id: str, at: datetime, redemption_id: str,
                   points: int | None = None) -> Applied:
    """Give back `points` (default: all not yet given back) of a redemption, to the lots they
    came from with their original expiry."""
    require_aware(at, "at")
    r = account.redemption(redemption_id)
    if r is None:
        raise LedgerError("unknown_redemption", f"no redemption {redemption_id}")
    amount = r.restorable if points is None else points
    positive(amount)
    w = Work(account)
    w.restore(op_id, at, redemption_id, amount)
    w.settle(op_id, at)
    return w.done()


def return_sale(account: Account, *, op_id: str, at: datetime, sale_yen: int, returned_yen: int,
                lot_ids: tuple[str, ...] = (), redemption_id: str | None = None) -> Applied:
    """A full or partial return of a sale: reverse its lots and restore its redemption pro rata.

    Earned points are taken back rounded down and used points given back rounded up, both
    on the cumulative amount returned, so a full return — in one go or in parts — undoes
    the sale exactly.
    """
    require_aware(at, "at")
    w = Work(account)
    for lot_id in lot_ids:
        w.reverse(op_id, at, lot_id, returned_yen, sale_yen)
    if redemption_id is not None:
        r = w.redemptions.get(redemption_id)
        if r is None:
            raise LedgerError("unknown_redemption", f"no redemption {redemption_id}")
        positive(returned_yen, "returned_yen")
        returned = r.returned_yen + returned_yen
        if returned > sale_yen:
            raise LedgerError("over_return", f"¥{returned:,} returned of a ¥{sale_yen:,} sale")
        due = pro_rata(r.points, returned, sale_yen, round_up=True) - (r.points - r.restorable)
        w.redemptions[redemption_id] = replace(r, returned_yen=returned)
        if due > 0:
            w.restore(op_id, at, redemption_id, min(due, r.restorable))
    w.settle(op_id, at)
    return w.done()


def expire(account: Account, *, op_id: str, as_of: datetime, policy: ExpiryPolicy) -> Applied:
    """Expire, as of `as_of`, lots past their own date and, under a rolling policy, all normal
    points once the member has been inactive (by the counted activities) for the term."""
    require_aware(as_of, "as_of")
    w = Work(account)
    last_earn = account.last_earn_at or max(
        (lot.earned_at for lot in account.lots if lot.kind is LotKind.NORMAL), default=None)
    deadline = policy.rolling_deadline(last_earn, account.last_use_at)
    changes = [
        LotChange(lot.lot_id, lot.issuer, -lot.remaining)
        for lot in account.lots
        if lot.remaining > 0 and (
            (lot.expires_at is not None and lot.expires_at <= as_of)
            or (lot.expires_at is None and lot.kind is LotKind.NORMAL
                and deadline is not None and deadline <= as_of))
    ]
    if changes:
        w.add(EntryKind.EXPIRE, op_id, as_of, changes=changes)
    return w.done()


def adjust(account: Account, *, op_id: str, at: datetime, points: int, reason: str,
           issuer: str, expires_at: datetime | None = None, policy: ExpiryPolicy | None = None,
           allow_debt: bool = False) -> Applied:
    """A manager's correction, with its reason: points given as a new normal lot, or taken
    from live lots in spending order (beyond them only with `allow_debt`)."""
    require_aware(at, "at")
    if not reason.strip():
        raise LedgerError("no_reason", "an adjustment needs a reason")
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise LedgerError("bad_amount", f"points must be a non-zero integer, got {points!r}")
    w = Work(account)
    if points > 0:
        if expires_at is None and policy is not None:
            expires_at = policy.lot_expiry(at)
        w.grant(EntryKind.ADJUST, op_id, at, points, issuer, LotKind.NORMAL, expires_at, None,
                reason)
    else:
        available = account.available(at)
        if -points > available and not allow_debt:
            raise LedgerError("insufficient_points",
                              f"{-points} pt to remove, {max(0, available)} pt available")
        changes = w.take(-points, at, None)
        w.add(EntryKind.ADJUST, op_id, at, changes=changes, reason=reason)
        short = -points + sum(c.points for c in changes)
        if short:
            w.owe(op_id, at, op_id, short, reason)
    w.settle(op_id, at)
    return w.done()


def settle_debt(account: Account, *, op_id: str, at: datetime) -> Applied:
    """Pay debt from live lots (every operation that adds points already does)."""
    require_aware(at, "at")
    w = Work(account)
    w.settle(op_id, at)
    return w.done()


def merge(source: Account, target: Account, *, op_id: str, at: datetime
          ) -> tuple[Applied, Applied]:
    """Move everything of `source` into `target`: lots keep their ids, issuers and expiry;
    debt and redemptions move too, so a later return of an old sale still finds them."""
    require_aware(at, "at")
    if source.member_id == target.member_id:
        raise LedgerError("same_member", "a member cannot be merged into itself")
    clash = {lot.lot_id for lot in source.lots} & {lot.lot_id for lot in target.lots}
    if clash:
        raise LedgerError("lot_exists", f"lot {sorted(clash)[0]} exists in both members")
    clash = {d.debt_id for d in source.debts} & {d.debt_id for d in target.debts}
    if clash:
        raise LedgerError("debt_exists", f"debt {sorted(clash)[0]} exists in both members")
    out = [LotChange(lot.lot_id, lot.issuer, -lot.remaining) for lot in source.lots
           if lot.remaining]
    s = Work(source)
    s.debts, s.redemptions = {}, {}
    s.add(EntryKind.MERGE_OUT, op_id, at, debt=-source.debt, changes=out, ref=target.member_id)
    s.lots = {}
    t = Work(target)
    for lot in source.lots:
        t.lots[lot.lot_id] = replace(lot, remaining=0)
    t.debts.update({d.debt_id: d for d in source.debts})
    t.redemptions.update({r.redemption_id: r for r in source.redemptions})
    t.add(EntryKind.MERGE_IN, op_id, at, debt=source.debt, ref=source.member_id,
          changes=[LotChange(c.lot_id, c.issuer, -c.points) for c in out])
    t.last_earn_at = later(t.last_earn_at, source.last_earn_at)
    t.last_use_at = later(t.last_use_at, source.last_use_at)
    t.settle(op_id, at)
    return s.done(), t.done()


class GrantLike(Protocol):
    """A quote's grant (`loyalty.quote.Grant`): points of one kind with their expiry."""

    @property
    def kind(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def expires_at(self) -> datetime | None: ...


def post_sale(account: Account, *, op_id: str, at: datetime, redeem_points: int,
              grants: Sequence[GrantLike], issuer: str, redeemer: str, policy: ExpiryPolicy,
              allow_debt: bool = False) -> Applied:
    """A quoted sale on the ledger: the redemption first, then one lot per grant.

    Normal lots take their expiry from `policy` at `at` (HQ's time, whatever the register's
    clock said); limited lots keep the expiry their campaign gave them. The sale's lots are
    `<op_id>#0`, `<op_id>#1`, … and its redemption is `op_id`: what a return refers to.
    """
    entries: list[Entry] = []
    if redeem_points:
        account, made = redeem(account, op_id=op_id, at=at, points=redeem_points,
                               redeemer=redeemer, allow_debt=allow_debt)
        entries += made
    for g in grants:
        if g.points <= 0:
            continue
        limited = g.kind == LotKind.LIMITED.value
        account, made = earn(account, op_id=op_id, at=at, points=g.points, issuer=issuer,
                             kind=LotKind.LIMITED if limited else LotKind.NORMAL,
                             expires_at=g.expires_at if limited else None, policy=policy)
        entries += made
    return Applied(account, tuple(entries))


def reissue_card(account: Account) -> Applied:
    """A new card for the same member: points belong to the member, so nothing moves."""
    return Applied(account, ())


def offline_allowance(last_hq_balance: int, pending_redemptions: int,
                      offline_cap: int | None, offline_redeemed: int = 0) -> int:
    """What a register may let a member redeem while it cannot reach HQ for a hold:
    min(last HQ balance − redemptions still queued here, the program's per-member cap −
    what this register already let the member redeem without HQ and has not sent yet).

    The cap bounds the member's whole offline spending at one register, not each sale, so
    the debt an outage can leave is at most the cap times the registers that sold."""
    allowed = last_hq_balance - pending_redemptions
    if offline_cap is not None:
        allowed = min(allowed, offline_cap - offline_redeemed)
    return max(0, allowed)


def lot_summaries(account: Account, policy: ExpiryPolicy) -> tuple[LotSummary, ...]:
    """What the member holds by kind and expiry, soonest first; rolling points carry the date
    they expire if nothing more happens."""
    deadline = policy.rolling_deadline(account.last_earn_at, account.last_use_at)
    groups: dict[tuple[LotKind, datetime | None], int] = {}
    for lot in account.lots:
        if lot.remaining:
            when = lot.expires_at if lot.expires_at is not None or lot.kind is LotKind.LIMITED \
                else deadline
            groups[(lot.kind, when)] = groups.get((lot.kind, when), 0) + lot.remaining
    out = [LotSummary(k, p, e) for (k, e), p in groups.items()]
    out.sort(key=lambda s: (s.expires_at is None, s.expires_at or FAR_PAST,
                            s.kind is not LotKind.LIMITED))
    return tuple(out)
