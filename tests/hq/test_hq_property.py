"""Property: however sales and returns from several registers interleave, batch and repeat,
every op is decided exactly once, as a sequential model built on `loyalty.ledger`
decides it — redemptions beyond the balance kept as debt within the offline cap and
refused beyond it, returns parked until their sale arrives, over-returns refused — and
the ledger's invariants hold.

Each example gets its own members and registers in the one migrated database, so
examples do not see each other. The threaded variant runs the registers at once: its
order is the database's to choose, so it checks the invariants rather than the model.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.auth import authenticate
from hq.demo import DEMO_PROGRAM_PATH
from hq.directory import add_member, load_program, provision_register
from hq.ingest import Ingestor
from hq.models import Member, OpRecord, utcnow
from loyalty.expiry import ExpiryPolicy
from loyalty.ledger import Account, adjust, post_sale, return_sale
from loyalty.program import parse_program
from loyalty.quote import Grant, base_points
from sync.protocol import Op, OpResult
from tests.hq.hq_helpers import assert_ledger_invariant, publish_demo_variant, sale

PROGRAM = parse_program(DEMO_PROGRAM_PATH.read_text(encoding="utf-8"))
VERSION = 2  # the demo program with an offline cap
OFFLINE_CAP = 300
REGISTERS = 3
MEMBERS = 3
_worlds = itertools.count(1)


@dataclass
class Example:
    members: list[str]  # member ids
    opening: dict[str, int]
    registers: list[tuple[str, str]]  # (device id, token)


def new_example(engine: Engine) -> Example:
    n = next(_worlds)
    members, opening = [], {}
    for i in range(MEMBERS):
        points = (0, 150, 600)[i]
        info = add_member(engine, member_no=f"28{n:07d}{i:04d}", display_name=f"P{n}-{i}",
                          card_uid=f"{n:010X}{i:04X}", initial_points=points, actor=Actor("cli", "prop"))  # fmt: skip
        members.append(info.member_id)
        opening[info.member_id] = points
    registers = [(f"P{n}R{r}", provision_register(engine, f"PS{n}", f"P{n}R{r}", "C001")) for r in range(REGISTERS)]
    return Example(members, opening, registers)


# A sale: (member index, amount in yen, points redeemed in units of 10); a return:
# (which sale of the plan, yen returned — sometimes more than was sold).
sale_spec = st.tuples(st.just("sale"), st.integers(0, MEMBERS - 1), st.integers(1, 3000), st.integers(0, 60))
return_spec = st.tuples(st.just("return"), st.integers(0, 50), st.integers(1, 3200), st.just(0))
op_spec = st.one_of(sale_spec, sale_spec, return_spec)
plan = st.tuples(
    st.lists(st.lists(op_spec, min_size=1, max_size=10), min_size=REGISTERS, max_size=REGISTERS),
    # The schedule: which register sends next, how many of its ops, and whether the
    # response is "lost" so the same batch is sent again.
    st.lists(st.tuples(st.integers(0, REGISTERS - 1), st.integers(1, 4), st.booleans()), min_size=1, max_size=40),
)
Spec = tuple[str, int, int, int]


def build_ops(example: Example, specs: list[list[Spec]]) -> list[list[dict[str, Any]]]:
    made: list[list[dict[str, Any]]] = []
    for r, ops in enumerate(specs):
        device, _ = example.registers[r]
        store = f"PS{device[1:device.index('R')]}"
        made.append([])
        for seq, (kind, m, amount, units) in enumerate(ops, start=1):
            if kind == "sale":
                made[r].append(sale(seq, example.members[m], amount, redeemed=min(units * 10, amount // 10 * 10),
                                    device_id=device, store_id=store, receipt_no=f"{device}-{seq}",
                                    program_version=VERSION))  # fmt: skip
                made[r][-1]["_sale_no"] = None
            else:
                made[r].append({"_return_of": m, "_yen": amount, "_seq": seq, "_device": device, "_store": store})
    sales = [op for queue in made for op in queue if "_sale_no" in op]
    out: list[list[dict[str, Any]]] = []
    for queue in made:
        out.append([])
        for op in queue:
            if "_sale_no" in op:
                del op["_sale_no"]
                out[-1].append(op)
            elif sales:
                target = sales[op["_return_of"] % len(sales)]
                ret = sale(op["_seq"], target["member_id"], 1, device_id=op["_device"], store_id=op["_store"],
                           receipt_no=f"{op['_device']}-{op['_seq']}", program_version=VERSION)  # fmt: skip
                ret["kind"] = "return"
                ret["payload"] = {"sale_op_id": target["op_id"], "returned_yen": op["_yen"],
                                  "receipt_no": ret["payload"]["receipt_no"]}
                out[-1].append(ret)
    return out


def batches(ops: list[list[dict[str, Any]]], schedule: list[tuple[int, int, bool]]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield (register, batch) by the schedule, then flush what is left, FIFO per register."""
    sent = [0] * len(ops)
    for r, size, lost in schedule:
        batch = ops[r][sent[r]:sent[r] + size]
        if not batch:
            continue
        yield r, batch
        if lost:
            yield r, batch  # the retry of a batch whose answer never arrived
        sent[r] += len(batch)
    for r, queue in enumerate(ops):
        if queue[sent[r]:]:
            yield r, queue[sent[r]:]


@dataclass
class Model:
    """The ledger as HQ must keep it, decided op by op with `loyalty.ledger`."""

    accounts: dict[str, Account]
    sales: dict[str, dict[str, Any]] = field(default_factory=dict)  # applied sales
    rejected_sales: set[str] = field(default_factory=set)
    waiting: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    final: dict[str, tuple[str, str | None, int | None]] = field(default_factory=dict)

    def decide(self, op: dict[str, Any]) -> None:
        if op["kind"] == "sale":
            self._sale(op)
            for ret in self.waiting.pop(op["op_id"], []):
                self._return(ret)
        else:
            self._return(op)

    def _sale(self, op: dict[str, Any]) -> None:
        member, p = op["member_id"], op["payload"]
        account, now = self.accounts[member], utcnow()
        redeemed = p["points_redeemed"]
        if redeemed - max(0, account.available(now)) > OFFLINE_CAP:
            self.rejected_sales.add(op["op_id"])
            self.final[op["op_id"]] = ("rejected", "offline_cap_exceeded", None)
            return
        earned = base_points(PROGRAM, p["amount_yen"] - redeemed)
        grants = [Grant("normal", earned, None, "sale")] if earned else []
        account, _ = post_sale(account, op_id=op["op_id"], at=now, redeem_points=redeemed, grants=grants,
                               issuer="C001", redeemer="C001", policy=ExpiryPolicy(), allow_debt=True)  # fmt: skip
        self.accounts[member] = account
        lots = tuple(lot.lot_id for lot in account.lots if lot.lot_id.startswith(op["op_id"] + "#"))
        self.sales[op["op_id"]] = {"member": member, "amount": p["amount_yen"], "redeemed": redeemed,
                                   "lots": lots, "returned": 0}  # fmt: skip
        self.final[op["op_id"]] = ("applied", None, account.balance)

    def _return(self, op: dict[str, Any]) -> None:
        p = op["payload"]
        sale_id = p["sale_op_id"]
        if sale_id in self.rejected_sales:
            self.final[op["op_id"]] = ("rejected", "sale_not_applied", None)
            return
        s = self.sales.get(sale_id)
        if s is None:
            self.waiting.setdefault(sale_id, []).append(op)
            self.final[op["op_id"]] = ("parked", None, None)
            return
        if s["returned"] + p["returned_yen"] > s["amount"]:
            self.final[op["op_id"]] = ("rejected", "return_exceeds_sale", None)
            return
        account = self.accounts[s["member"]]
        account, _ = return_sale(account, op_id=op["op_id"], at=utcnow(), sale_yen=s["amount"],
                                 returned_yen=p["returned_yen"], lot_ids=s["lots"],
                                 redemption_id=sale_id if s["redeemed"] else None)  # fmt: skip
        self.accounts[s["member"]] = account
        s["returned"] += p["returned_yen"]
        self.final[op["op_id"]] = ("applied", None, account.balance)


def opening_account(member_id: str, points: int) -> Account:
    if not points:
        return Account(member_id)
    return adjust(Account(member_id), op_id=f"seed-{member_id}", at=utcnow(), points=points, reason="x",
                  issuer="C001", policy=ExpiryPolicy()).account  # fmt: skip


def decided_once(engine: Engine, all_ops: list[dict[str, Any]]) -> None:
    ids = [op["op_id"] for op in all_ops]
    with Session(engine) as session:
        rows = dict(session.execute(select(OpRecord.op_id, OpRecord.status).where(OpRecord.op_id.in_(ids))).all())
    assert set(rows) == set(ids)  # every op decided once: none lost, none twice
    assert "parked" not in rows.values()  # every sale arrived, so no return still waits


@pytest.fixture
def ingestor(engine: Engine) -> Ingestor:
    load_program(engine, DEMO_PROGRAM_PATH.read_text(encoding="utf-8"))
    publish_demo_variant(engine, VERSION, offline_cap=OFFLINE_CAP)
    return Ingestor(engine)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plan)
def test_interleaved_batched_and_repeated_pushes_match_a_sequential_model(
    engine: Engine, ingestor: Ingestor, plan: tuple[list[list[Spec]], list[tuple[int, int, bool]]]
) -> None:
    specs, schedule = plan
    example = new_example(engine)
    ops = build_ops(example, specs)
    model = Model({m: opening_account(m, p) for m, p in example.opening.items()})
    first_answer: dict[str, OpResult] = {}
    for r, batch in batches(ops, schedule):
        _, token = example.registers[r]
        results = ingestor.push(authenticate(engine, token), [Op.model_validate(o) for o in batch])
        retried = {op["op_id"] for op in batch if op["op_id"] in first_answer}
        for op, result in zip(batch, results, strict=True):
            if op["op_id"] not in first_answer:
                first_answer[op["op_id"]] = result
                model.decide(op)
        # Checked once the whole batch is decided: a return parked at the start of a batch
        # is answered as applied if its sale comes later in the same batch.
        for op, result in zip(batch, results, strict=True):
            status, reason, balance = model.final[op["op_id"]]
            event(f"{op['kind']} {result.status} {result.reason or ''}")
            if op["op_id"] in retried:
                status = {"applied": "duplicate"}.get(status, status)
            assert (result.status, result.reason) == (status, reason), (op, result)
            if status in ("applied", "duplicate"):
                assert result.balance == balance
    with Session(engine) as session:
        for m in example.members:
            row = session.get_one(Member, m)
            assert (row.balance, row.debt) == (model.accounts[m].balance, model.accounts[m].debt)
    decided_once(engine, [o for queue in ops for o in queue])
    assert_ledger_invariant(engine)


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plan)
def test_registers_pushing_at_once_keep_the_ledger_whole(
    engine: Engine, ingestor: Ingestor, plan: tuple[list[list[Spec]], list[tuple[int, int, bool]]]
) -> None:
    specs, schedule = plan
    example = new_example(engine)
    ops = build_ops(example, specs)
    per_register: dict[int, list[list[dict[str, Any]]]] = {r: [] for r in range(REGISTERS)}
    for r, batch in batches(ops, schedule):
        per_register[r].append(batch)
    errors: list[BaseException] = []
    barrier = threading.Barrier(REGISTERS)

    def run(r: int) -> None:
        try:
            barrier.wait(10)
            who = authenticate(engine, example.registers[r][1])
            for batch in per_register[r]:
                ingestor.push(who, [Op.model_validate(o) for o in batch])
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in range(REGISTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    decided_once(engine, [o for queue in ops for o in queue])
    assert_ledger_invariant(engine)
