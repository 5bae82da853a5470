"""Property tests: random sequences of earn, redeem, return, expire, adjust and merge.

After every step, for every member: Σ entries = balance = Σ lot remaining − debt, and no
lot is below zero. A full return of a sale — at once or in parts — puts the member back
exactly where they were before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.expiry import Activity, ExpiryKind, ExpiryPolicy
from loyalty.ledger import (
    Account,
    EntryKind,
    LedgerError,
    LotKind,
    adjust,
    check_invariants,
    earn,
    expire,
    merge,
    redeem,
    return_sale,
)
from tests.loyalty.helpers import jst

PROPERTY = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

POLICIES = st.sampled_from([
    ExpiryPolicy(ExpiryKind.FIXED, months=3),
    ExpiryPolicy(ExpiryKind.ROLLING, months=2, counts=Activity.EARN),
    ExpiryPolicy(ExpiryKind.ROLLING, months=2, counts=Activity.EARN_OR_USE),
    ExpiryPolicy(),
])

earn_op = st.tuples(st.just("earn"), st.integers(0, 1), st.integers(1, 500),
                    st.sampled_from([None, 5, 40]))
sale_op = st.tuples(st.just("sale"), st.integers(0, 1), st.integers(1, 20_000),
                    st.integers(0, 200), st.integers(0, 700), st.booleans(), st.integers(0, 60))
return_op = st.tuples(st.just("return"), st.integers(0, 50), st.integers(1, 20_000))
expire_op = st.tuples(st.just("expire"))
adjust_op = st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-300, 300))
merge_op = st.tuples(st.just("merge"))
step = st.tuples(st.one_of(earn_op, sale_op, sale_op, return_op, expire_op, adjust_op, merge_op),
                 st.integers(0, 24 * 50))  # hours that pass before the step
OPS = st.lists(step, max_size=25)


@dataclass
class Sale:
    member: int
    sale_yen: int
    lot_ids: tuple[str, ...]
    redemption_id: str | None
    returned_yen: int = 0


@dataclass
class World:
    policy: ExpiryPolicy
    accounts: list[Account] = field(default_factory=lambda: [Account("A"), Account("B")])
    sales: list[Sale] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: jst(2025, 1, 1))
    n: int = 0

    def op_id(self) -> str:
        self.n += 1
        return f"op{self.n}"


def checked(world: World) -> None:
    for acct in world.accounts:
        check_invariants(acct)
        assert all(lot.remaining >= 0 for lot in acct.lots)
        assert acct.balance == sum(e.points for e in acct.entries)


def do_sale(world: World, member: int, sale_yen: int, points: int, redeem_points: int,
            allow_debt: bool, limited: int) -> None:
    op = world.op_id()
    acct = world.accounts[member]
    redemption = None
    if redeem_points:
        try:
            acct = redeem(acct, op_id=op, at=world.now, points=redeem_points, redeemer="C2",
                          allow_debt=allow_debt).account
            redemption = op
        except LedgerError as err:
            assert err.reason == "insufficient_points" and not allow_debt
    lots = []
    if points:
        acct = earn(acct, op_id=op, at=world.now, points=points, issuer="C1",
                    policy=world.policy).account
        lots.append(acct.lots[-1].lot_id)
    if limited:
        acct = earn(acct, op_id=op, at=world.now, points=limited, issuer="C1",
                    kind=LotKind.LIMITED, expires_at=world.now + timedelta(days=20)).account
        lots.append(acct.lots[-1].lot_id)
    world.accounts[member] = acct
    world.sales.append(Sale(member, sale_yen, tuple(lots), redemption))


def apply(world: World, op: tuple) -> None:
    match op:
        case ("earn", member, points, days):
            limited = days is not None
            world.accounts[member] = earn(
                world.accounts[member], op_id=world.op_id(), at=world.now, points=points,
                issuer="C1", kind=LotKind.LIMITED if limited else LotKind.NORMAL,
                policy=world.policy,
                expires_at=world.now + timedelta(days=days) if limited else None).account
        case ("sale", member, sale_yen, points, redeem_points, allow_debt, limited):
            do_sale(world, member, sale_yen, points, redeem_points, allow_debt, limited)
        case ("return", pick, yen):
            open_sales = [s for s in world.sales if s.returned_yen < s.sale_yen]
            if not open_sales:
                return
            sale = open_sales[pick % len(open_sales)]
            amount = min(yen, sale.sale_yen - sale.returned_yen)
            world.accounts[sale.member] = return_sale(
                world.accounts[sale.member], op_id=world.op_id(), at=world.now,
                sale_yen=sale.sale_yen, returned_yen=amount, lot_ids=sale.lot_ids,
                redemption_id=sale.redemption_id).account
            sale.returned_yen += amount
        case ("expire",):
            for i, acct in enumerate(world.accounts):
                world.accounts[i] = expire(acct, op_id=world.op_id(), as_of=world.now,
                                           policy=world.policy).account
        case ("adjust", member, points) if points:
            try:
                world.accounts[member] = adjust(
                    world.accounts[member], op_id=world.op_id(), at=world.now, points=points,
                    reason="test", issuer="C1", policy=world.policy).account
            except LedgerError as err:
                assert err.reason == "insufficient_points"
        case ("merge",):
            src, dst = merge(world.accounts[1], world.accounts[0], op_id=world.op_id(),
                             at=world.now)
            world.accounts = [dst.account, src.account]
            for s in world.sales:
                s.member = 0


def run(world: World, steps: list[tuple[tuple[object, ...], int]]) -> None:
    for op, hours in steps:
        world.now += timedelta(hours=hours)
        apply(world, op)
        checked(world)


@PROPERTY
@given(POLICIES, OPS)
def test_invariants_hold_after_every_step(policy, steps):
    world = World(policy)
    run(world, steps)
    for acct in world.accounts:
        for e in acct.entries:
            if e.kind is EntryKind.REDEEM:
                assert all(a.points > 0 and a.redeemer == "C2" for a in e.allocations)
            if e.kind is EntryKind.EXPIRE:
                assert e.points < 0


def snapshot(acct: Account) -> tuple[int, int, dict[str, int]]:
    return acct.balance, acct.debt, {lot.lot_id: lot.remaining for lot in acct.lots}


sale_shape = st.tuples(st.integers(1, 20_000), st.integers(0, 200), st.integers(0, 700),
                       st.booleans(), st.integers(0, 60))


@PROPERTY
@given(POLICIES, OPS, sale_shape, st.lists(st.integers(1, 20_000), max_size=4))
def test_a_full_return_restores_the_member_exactly(policy, steps, shape, cuts):
    world = World(policy)
    run(world, steps)
    before = snapshot(world.accounts[0])
    do_sale(world, 0, *shape)
    sale = world.sales[-1]
    # Return it in parts (cut points within the sale), then the rest.
    marks = sorted({c % sale.sale_yen for c in cuts if c % sale.sale_yen} | {sale.sale_yen})
    done = 0
    for mark in marks:
        world.accounts[0] = return_sale(
            world.accounts[0], op_id=world.op_id(), at=world.now, sale_yen=sale.sale_yen,
            returned_yen=mark - done, lot_ids=sale.lot_ids,
            redemption_id=sale.redemption_id).account
        done = mark
        checked(world)
    balance, debt, lots = snapshot(world.accounts[0])
    assert (balance, debt) == before[:2]
    assert {k: v for k, v in lots.items() if k in before[2]} == before[2]
    assert all(v == 0 for k, v in lots.items() if k not in before[2])
