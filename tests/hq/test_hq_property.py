"""Property: however ops from several registers interleave, batch and repeat, every op is
decided exactly once, as a sequential model decides it, and Σ ledger = balance per member.

Each example gets its own members and registers in the one migrated database, so
examples do not see each other. The threaded variant runs the registers at once: its
order is the database's to choose, so it checks the invariants rather than the model.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.auth import authenticate
from hq.demo import DEMO_PROGRAM_PATH
from hq.directory import add_member, load_program, provision_register
from hq.ingest import Ingestor
from hq.models import LedgerEntry, Member, OpRecord
from loyalty.program import parse_program
from loyalty.quote import base_points
from sync.protocol import Op, OpResult
from tests.hq.hq_helpers import sale

PROGRAM = parse_program(DEMO_PROGRAM_PATH.read_text(encoding="utf-8"))
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


# One register's ops: (member index, amount in yen, points redeemed in units of 10).
op_spec = st.tuples(st.integers(0, MEMBERS - 1), st.integers(1, 3000), st.integers(0, 40))
plan = st.tuples(
    st.lists(st.lists(op_spec, min_size=1, max_size=10), min_size=REGISTERS, max_size=REGISTERS),
    # The schedule: which register sends next, how many of its ops, and whether the
    # response is "lost" so the same batch is sent again.
    st.lists(st.tuples(st.integers(0, REGISTERS - 1), st.integers(1, 4), st.booleans()), min_size=1, max_size=40),
)


def build_ops(example: Example, specs: list[list[tuple[int, int, int]]]) -> list[list[dict[str, Any]]]:
    out = []
    for r, ops in enumerate(specs):
        device, _ = example.registers[r]
        store = f"PS{device[1:device.index('R')]}"
        out.append([
            sale(seq, example.members[m], amount, redeemed=min(units * 10, amount // 10 * 10),
                 device_id=device, store_id=store, receipt_no=f"{device}-{seq}")
            for seq, (m, amount, units) in enumerate(ops, start=1)
        ])  # fmt: skip
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


def check_invariants(engine: Engine, example: Example, all_ops: list[dict[str, Any]]) -> None:
    with Session(engine) as session:
        for member_id in example.members:
            member = session.get_one(Member, member_id)
            total = session.scalar(select(func.coalesce(func.sum(LedgerEntry.points), 0))
                                   .where(LedgerEntry.member_id == member_id))  # fmt: skip
            assert int(total or 0) == member.balance >= 0
        ids = [op["op_id"] for op in all_ops]
        stored = session.scalar(select(func.count()).select_from(OpRecord).where(OpRecord.op_id.in_(ids)))
        assert stored == len(ids)  # every op decided once: none lost, none twice
        per_op = dict(session.execute(
            select(LedgerEntry.op_id, func.count()).where(LedgerEntry.op_id.in_(ids)).group_by(LedgerEntry.op_id)
        ).all())  # fmt: skip
        for record in session.scalars(select(OpRecord).where(OpRecord.op_id.in_(ids))):
            moved = bool(record.result["points_earned"] or record.op["payload"]["points_redeemed"])
            assert (record.op_id in per_op) == (record.status == "applied" and moved)


@pytest.fixture
def ingestor(engine: Engine) -> Ingestor:
    load_program(engine, DEMO_PROGRAM_PATH.read_text(encoding="utf-8"))
    return Ingestor(engine)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plan)
def test_interleaved_batched_and_repeated_pushes_match_a_sequential_model(
    engine: Engine, ingestor: Ingestor, plan: tuple[list[list[tuple[int, int, int]]], list[tuple[int, int, bool]]]
) -> None:
    specs, schedule = plan
    example = new_example(engine)
    ops = build_ops(example, specs)
    model = dict(example.opening)
    first_answer: dict[str, OpResult] = {}
    for r, batch in batches(ops, schedule):
        _, token = example.registers[r]
        results = ingestor.push(authenticate(engine, token), [Op.model_validate(o) for o in batch])
        for op, result in zip(batch, results, strict=True):
            earlier = first_answer.get(op["op_id"])
            if earlier is not None:
                assert result.status == ("duplicate" if earlier.status == "applied" else "rejected")
                assert result.model_dump(exclude={"status"}) == earlier.model_dump(exclude={"status"})
                continue
            first_answer[op["op_id"]] = result
            member, redeemed = op["member_id"], op["payload"]["points_redeemed"]
            if redeemed > model[member]:
                assert (result.status, result.reason) == ("rejected", "insufficient_balance")
                continue
            model[member] += base_points(PROGRAM, op["payload"]["amount_yen"] - redeemed) - redeemed
            assert (result.status, result.balance) == ("applied", model[member])
    with Session(engine) as session:
        assert {m: session.get_one(Member, m).balance for m in example.members} == model
    check_invariants(engine, example, [o for queue in ops for o in queue])


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plan)
def test_registers_pushing_at_once_keep_the_ledger_whole(
    engine: Engine, ingestor: Ingestor, plan: tuple[list[list[tuple[int, int, int]]], list[tuple[int, int, bool]]]
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
    check_invariants(engine, example, [o for queue in ops for o in queue])
    # Sanity: nothing here was a stranger's op id.
    assert all(uuid.UUID(o["op_id"]) for queue in ops for o in queue)
