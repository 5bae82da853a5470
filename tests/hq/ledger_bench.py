"""A bench for ledger scenarios: HQ with a clock the test moves, registers of two
companies, ops built as registers build them, and steps a scenario table is made of.

A scenario is a list of steps (`Sale`, `Return`, `Op`, `Push`, `Advance`, `Expire`,
`Ranks`, `Check`, `Allocations`, `CardIs`); `run` plays them against HQ over push and checks each
expectation as it goes. Ops are named by keys ("s1"), and lots by "<key>#<n>".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.jobs import evaluate_ranks, expire_points
from hq.models import AllocationRow, Card, LotRow, Member
from tests.hq.hq_helpers import World

JST = timezone(timedelta(hours=9), "JST")
START = datetime(2026, 3, 3, 10, 0, tzinfo=JST)  # a Tuesday
HANAKO, TARO, ICHIRO, MISAKI, KENTA = "M0000001", "M0000002", "M0000003", "M0000004", "M0000005"
CARDS = {HANAKO: "04A1B2C3D4E5F6", TARO: "04112233445566", ICHIRO: "04C0FFEE123456"}

# Version 2: fixed 12-month expiry, an offline cap, a silver rank at 1.5×, and 20 pt of
# limited-time points (30 days) for ¥1,000 or more on Tuesdays.
SCENARIO_PROGRAM = """
[program]
version = 2
name = "シナリオ"
company_id = "C001"

[earn]
points = 1
per_yen = 100
rounding = "floor"

[redeem]
unit = 1
minimum = 1
offline_cap = 300

[expiry]
policy = "fixed"
months = 12

[ranking]
window_days = 365

[[ranks]]
code = "regular"
name = "レギュラー"

[[ranks]]
code = "silver"
name = "シルバー"
multiplier = "1.5"
min_spend_yen = 10000

[[campaigns]]
id = "tuesday"
name = "火曜 期間限定ボーナス"
points = 20
weekdays = ["tue"]
min_yen = 1000
limited_days = 30
"""

# device → (store, company)
REGISTERS = {"R01": ("S001", "C001"), "R02": ("S001", "C001"), "R09": ("S002", "C001"),
             "P01": ("P100", "C200")}  # fmt: skip


class Clock:
    """HQ's time, moved by the test; registers' clocks agree with it here."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Bench:
    client: TestClient
    world: World
    engine: Engine
    clock: Clock
    tokens: dict[str, str]
    seqs: dict[str, int] = field(default_factory=dict)
    ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def make(self, key: str, kind: str, member_id: str, payload: dict[str, Any], *, register: str = "R01",
             staff: str | None = "ST01", version: int = 2) -> dict[str, Any]:
        seq = self.seqs.get(register, 0) + 1
        self.seqs[register] = seq
        store, _ = REGISTERS[register]
        op = {"op_id": str(uuid.uuid4()), "kind": kind, "device_id": register, "device_seq": seq,
              "store_id": store, "staff_id": staff, "local_time": self.clock().isoformat(),
              "program_version": version, "member_id": member_id, "payload": payload}  # fmt: skip
        self.ops[key] = op
        return op

    def push(self, *keys: str) -> list[dict[str, Any]]:
        ops = [self.ops[k] for k in keys]
        token = self.tokens[ops[0]["device_id"]]
        response = self.client.post("/v1/sync/push", json={"ops": ops},
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        for key, result in zip(keys, results, strict=True):
            self.results.setdefault(key, result)
        return results

    def lot(self, name: str) -> str:
        """"s1#0" → the real lot id."""
        key, _, n = name.partition("#")
        return f"{self.ops[key]['op_id']}#{n}" if key in self.ops else name

    def name(self, lot_id: str) -> str:
        for key, op in self.ops.items():
            if lot_id.startswith(op["op_id"] + "#"):
                return key + lot_id[len(op["op_id"]):]
        return lot_id

    def member(self, member_id: str) -> Member:
        with Session(self.engine) as session:
            member = session.get(Member, member_id)
            assert member is not None
            session.expunge(member)
            return member

    def lots(self, member_id: str) -> list[tuple[str, int, date | None]]:
        """(kind, points left, last day usable) of each lot with points, soonest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(LotRow).where(LotRow.member_id == member_id, LotRow.remaining > 0))
            out = [(r.kind, r.remaining, (r.expires_at.astimezone(JST) - timedelta(microseconds=1)).date()
                    if r.expires_at else None) for r in rows]  # fmt: skip
        return sorted(out, key=lambda x: (x[2] is None, x[2] or date.min, x[0] != "limited", x[1]))

    def allocations(self, key: str) -> list[tuple[str, str, str, int]]:
        with Session(self.engine) as session:
            rows = session.scalars(select(AllocationRow).where(
                AllocationRow.redemption_id == self.ops[key]["op_id"]).order_by(AllocationRow.id))
            return [(self.name(a.lot_id), a.issuer, a.redeemer, a.points) for a in rows]

    def card(self, uid: str) -> tuple[str, str]:
        with Session(self.engine) as session:
            card = session.get(Card, uid)
            assert card is not None
            return card.member_id, card.status


# -- steps ----------------------------------------------------------------------------


@dataclass
class Sale:
    key: str
    member: str
    amount: int
    redeem: int = 0
    register: str = "R01"
    send: bool = True
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Return:
    key: str
    sale: str
    yen: int
    register: str = "R01"
    send: bool = True
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Op:
    """Any other op kind: `payload` as the register sends it."""

    key: str
    kind: str
    member: str
    payload: dict[str, Any]
    register: str = "R01"
    staff: str | None = "ST01"
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Push:
    """Send ops made earlier (with `send=False`), or send again ones already sent."""

    keys: tuple[str, ...]
    expect: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Advance:
    days: int


@dataclass
class Expire:
    day: date
    members: int
    points: int


@dataclass
class Ranks:
    day: date
    changes: list[tuple[str, str, str]]  # (member_id, before, after)


@dataclass
class Check:
    member: str
    balance: int
    debt: int = 0
    lots: list[tuple[str, int, date | None]] | None = None
    rank: str | None = None
    status: str = "active"


@dataclass
class Allocations:
    sale: str
    rows: list[tuple[str, str, str, int]]  # (lot name, issuer, redeemer, points), any order


@dataclass
class CardIs:
    uid: str
    member: str
    status: str


def _expect(result: dict[str, Any], expect: dict[str, Any], what: str) -> None:
    got = {k: result.get(k) for k in expect}
    assert got == expect, f"{what}: {result}"


def run(bench: Bench, steps: list[Any]) -> None:
    for step in steps:
        if isinstance(step, Sale):
            payload = {"amount_yen": step.amount, "points_earned": 0, "points_redeemed": step.redeem,
                       "receipt_no": f"{step.register}-{step.key}"}  # fmt: skip
            bench.make(step.key, "sale", step.member, payload, register=step.register)
            if step.send:
                _expect(bench.push(step.key)[0], step.expect, step.key)
        elif isinstance(step, Return):
            sale = bench.ops[step.sale]
            payload = {"sale_op_id": sale["op_id"], "returned_yen": step.yen, "receipt_no": f"{step.register}-{step.key}"}
            bench.make(step.key, "return", sale["member_id"], payload, register=step.register)
            if step.send:
                _expect(bench.push(step.key)[0], step.expect, step.key)
        elif isinstance(step, Op):
            bench.make(step.key, step.kind, step.member, step.payload, register=step.register, staff=step.staff)
            _expect(bench.push(step.key)[0], step.expect, step.key)
        elif isinstance(step, Push):
            results = bench.push(*step.keys)
            for key, result, expect in zip(step.keys, results, step.expect, strict=True):
                _expect(result, expect, key)
        elif isinstance(step, Advance):
            bench.clock.advance(days=step.days)
        elif isinstance(step, Expire):
            done = expire_points(bench.engine, step.day, actor=Actor("cli", "test"), now=bench.clock())
            assert (done.members, done.points) == (step.members, step.points), done
        elif isinstance(step, Ranks):
            ranked = evaluate_ranks(bench.engine, step.day, actor=Actor("cli", "test"), now=bench.clock())
            assert [(c.member_id, c.before, c.after) for c in ranked.changes] == step.changes
        elif isinstance(step, Check):
            m = bench.member(step.member)
            assert (m.balance, m.debt, m.status) == (step.balance, step.debt, step.status), step
            if step.lots is not None:
                assert bench.lots(step.member) == step.lots
            if step.rank is not None:
                assert m.rank == step.rank
        elif isinstance(step, Allocations):
            assert sorted(bench.allocations(step.sale)) == sorted(step.rows)
        elif isinstance(step, CardIs):
            assert bench.card(step.uid) == (step.member, step.status)
        else:  # pragma: no cover - a typo in a scenario table
            raise AssertionError(f"unknown step {step!r}")
