"""Applying pushed ops to the ledger, exactly once each.

Every op is keyed by `op_id` in the permanent `ops` table: the first answer for an op is
stored with it and replayed to every retry. Business refusals are stored too (and
dead-lettered), so a retried refusal gets the same answer and never sneaks through later.
A return whose sale HQ has not seen is stored `parked` and decided when the sale
arrives (or when it is pushed again and the sale has arrived meanwhile).

A batch is decided in one transaction with a handful of statements, whatever its size:
the members it touches are locked and their accounts loaded (`hq.ingest_reads`,
`hq.ingest_prepare`), the ops are decided one after another in memory, in the order sent
(`hq.ops_sale`, `hq.ops_return`, `hq.ops_member`), and their rows are written together
(`hq.bulk.Writes`); on PostgreSQL a batch of sales pays two round trips, one for its
reads and one for its writes and COMMIT. An op's effects are all-or-nothing either way;
a batch that cannot commit (another request stored one of its op ids first) is redone
one op per transaction, each answered from what is stored. The caller's token is proved
on the register row the batch locks first (`StaleRegister`).

Locks are always taken in the order register → members (by id) → holds → seq counter,
the same order as every other writer, so two pushes cannot deadlock. (A return whose
sale's points moved to another member by a merge, or a card op naming a card that moved,
locks that member afterwards: rare, and PostgreSQL breaks the deadlock it could cause by
failing one request, which its register retries.) The register lock serializes one
register's ops, which makes the `device_seq` check exact; the ops primary key still
backs it up. Everything an op is decided on is read after the locks, so a return and
its sale pushed at once by two registers (both locking the member) never leave the
return parked for good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.expression import bindparam

from hq.answers import answer, replay
from hq.auth import RegisterIdentity
from hq.batch import (
    DEVICE_SEQ_REGRESSED,
    INVALID_TEXT,
    OP_ID_REUSED,
    SALE_NOT_APPLIED,
    Batch,
    Decision,
    Refused,
)
from hq.bulk import Writes, one_of
from hq.errors import DirectoryError
from hq.ingest_prepare import Outcome, Run, prepare
from hq.ingest_reads import read_first
from hq.ledger_store import Ledger
from hq.models import (
    SEQ_COUNTER_ID,
    AuditEntry,
    CampaignGrant,
    Card,
    DeadLetter,
    FeedEntry,
    Hold,
    OpRecord,
    PurchaseRow,
    Register,
    SeqCounter,
    utcnow,
)
from hq.ops_member import (
    decide_adjust,
    decide_card_block,
    decide_card_reissue,
    decide_enroll,
    decide_merge,
)
from hq.ops_return import decide_return
from hq.ops_sale import decide_sale
from hq.phone import mask_phone, normalize_phone, phone_hash, phone_hash_key_conn
from hq.programs import Programs
from loyalty.ledger import LedgerError
from sync.protocol import (
    EnrollPayload,
    Op,
    OpResult,
    ReturnPayload,
    op_hash,
)

_ops = cast(Table, OpRecord.__table__)
_holds = cast(Table, Hold.__table__)
_feed = cast(Table, FeedEntry.__table__)
_dead = cast(Table, DeadLetter.__table__)
_registers = cast(Table, Register.__table__)
_counter = cast(Table, SeqCounter.__table__)
_cards = cast(Table, Card.__table__)
_purchases = cast(Table, PurchaseRow.__table__)
_grants = cast(Table, CampaignGrant.__table__)
_audit = cast(Table, AuditEntry.__table__)

DECIDERS: dict[str, Callable[[Batch, Op], Decision]] = {
    "sale": decide_sale,
    "return": decide_return,
    "adjust": decide_adjust,
    "enroll": decide_enroll,
    "card_block": decide_card_block,
    "card_reissue": decide_card_reissue,
    "merge": decide_merge,
}


class ForeignOpError(Exception):
    """An op in the batch was not made by the register whose token sent it."""


class StaleRegister(Exception):  # noqa: N818 (a state, not a failure)
    """The register's row no longer matches the caller: its token was revoked or replaced,
    or it was moved or re-registered since the token was looked up. Nothing was applied."""


def check_ownership(register: RegisterIdentity, ops: Sequence[Op]) -> None:
    """Refuse the whole batch before applying anything if one op is not this register's."""
    for op in ops:
        if op.device_id != register.device_id:
            raise ForeignOpError(
                f"op {op.op_id}: device_id {op.device_id!r} is not this token's register "
                f"{register.device_id!r}"
            )
        if op.store_id != register.store_id:
            raise ForeignOpError(
                f"op {op.op_id}: store_id {op.store_id!r} is not register "
                f"{register.device_id!r}'s store {register.store_id!r}"
            )


def stored_op(op: Op) -> dict[str, Any]:
    """The op as HQ keeps it: an enrolment's phone number only masked."""
    data = op.model_dump(mode="json")
    phone = data["payload"].get("phone") if op.kind == "enroll" else None
    if phone:
        try:
            data["payload"]["phone"] = mask_phone(normalize_phone(phone))
        except DirectoryError:
            data["payload"]["phone"] = None
    return data


@dataclass
class _Again:
    """The same op a second time in one batch: answered as a retry of the first."""

    outcome: Outcome


class Ingestor:
    """Applies ops for one database. Thread-safe: the app shares one across requests.

    `clock` is HQ's time (tests move it); every date HQ decides with comes from it.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock
        self._programs = Programs()

    def push(self, register: RegisterIdentity, ops: Sequence[Op], *,
             token_hash: str | None = None) -> list[OpResult]:
        """Apply a batch and answer each op (`answers` as models)."""
        return [OpResult.model_validate(a) for a in self.answers(register, ops, token_hash=token_hash)]

    def answers(self, register: RegisterIdentity, ops: Sequence[Op], *,
                token_hash: str | None = None) -> list[dict[str, Any]]:
        """Apply a batch; each op's answer as JSON (`hq.answers`). With `token_hash`, the
        register's row must still hold that token, unrevoked, and be the register
        `register` describes, else StaleRegister and nothing is applied."""
        check_ownership(register, ops)
        for attempt in range(2):
            try:
                return self._apply_batch(register, ops, token_hash)
            except IntegrityError:
                # A concurrent request stored one of these op ids (or enrolled one of these
                # members or cards) after our look-up.
                return [self._apply_one(register, op, token_hash) for op in ops]
            except DBAPIError as exc:
                # The database connection was lost (the server restarted since it was last
                # used): once more on a new one. Safe whether or not the batch committed:
                # an op stored already is answered from the op table.
                if attempt or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def apply(self, register: RegisterIdentity, op: Op) -> OpResult:
        """Apply one op in its own transaction."""
        return OpResult.model_validate(self._apply_one(register, op, None))

    def _apply_one(self, register: RegisterIdentity, op: Op, token_hash: str | None) -> dict[str, Any]:
        try:
            return self._apply_batch(register, [op], token_hash)[0]
        except IntegrityError:
            # Another request stored this op_id between our look-up and our insert; the
            # primary key kept the ledger right, so answer from what it stored.
            with self._engine.begin() as conn:
                row = conn.execute(
                    select(_ops.c.payload_hash, _ops.c.result).where(_ops.c.op_id == op.op_id)
                ).one_or_none()
                if row is None:
                    raise
                if row.payload_hash == self._hash(conn, op, {}):
                    return replay(row.result)
                conn.execute(insert(_dead), [_dead_row(op, OP_ID_REUSED, self._clock())])
                return answer({"op_id": op.op_id, "status": "rejected", "reason": OP_ID_REUSED})

    # -- one batch, one transaction ------------------------------------------------

    @staticmethod
    def _hash(conn: Connection, op: Op, keys: dict[str, str]) -> str:
        """The op's payload hash; an enrolment's with its phone number keyed first, so the
        stored hash cannot be matched against guessed numbers without the key."""
        if isinstance(op.payload, EnrollPayload) and op.payload.phone:
            if "phone" not in keys:
                keys["phone"] = phone_hash_key_conn(conn)
            keyed = phone_hash(keys["phone"], op.payload.phone)
            op = op.model_copy(update={"payload": op.payload.model_copy(update={"phone": keyed})})
        return op_hash(op)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A batch's transaction. psycopg would start one with a round trip of its own (a
        BEGIN it waits for); on PostgreSQL the batch sends BEGIN itself, with its first
        reads (`hq.ingest_reads`), and COMMIT with its writes (`hq.bulk.Writes.flush`), so
        the connection is left to autocommit meanwhile. Anything else rolls back when the
        connection goes back to the pool, which then stops it autocommitting."""
        if self._engine.dialect.name == "postgresql":
            with self._engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
        else:
            with self._engine.begin() as conn:
                yield conn

    def _apply_batch(self, register: RegisterIdentity, ops: Sequence[Op],
                     token_hash: str | None) -> list[dict[str, Any]]:
        now = self._clock()
        with self._transaction() as conn:
            keys: dict[str, str] = {}
            hashes = [self._hash(conn, op, keys) for op in ops]
            batch = Batch(conn, register, now, Ledger(conn, now), self._programs)
            first = read_first(batch, ops)
            reg = first.register
            if reg is None or (token_hash is not None and (
                    reg.token_hash != token_hash or reg.revoked or reg.epoch != register.epoch
                    or (reg.store_id, reg.company_id) != (register.store_id, register.company_id))):
                raise StaleRegister(register.device_id)
            stored = first.stored
            todo = [op for op in ops if op.op_id not in stored or stored[op.op_id].status == "parked"]
            run = Run(batch, reg.epoch)
            prepare(run, todo, first)

            results: list[dict[str, Any] | Outcome | _Again] = []
            last_seq = reg.last_device_seq
            for op, payload_hash in zip(ops, hashes, strict=True):
                known = run.outcomes.get(op.op_id)
                prior = stored.get(op.op_id)
                if known is not None:  # decided earlier in this batch
                    if known.payload_hash != payload_hash:
                        batch.dead_rows.append(_dead_row(op, OP_ID_REUSED, now))
                        results.append(answer({"op_id": op.op_id, "status": "rejected", "reason": OP_ID_REUSED}))
                    else:
                        results.append(_Again(known))
                    continue
                if prior is not None:
                    if prior.payload_hash != payload_hash:
                        batch.dead_rows.append(_dead_row(op, OP_ID_REUSED, now))
                        results.append(answer({"op_id": op.op_id, "status": "rejected", "reason": OP_ID_REUSED}))
                    elif prior.status == "parked":
                        # Pushed again while parked: its sale may have arrived meanwhile.
                        out = Outcome(op, payload_hash, insert=False)
                        self._run(run, out)
                        results.append(out)
                    else:
                        results.append(replay(prior.result))
                    continue
                if op.device_seq <= last_seq:
                    # Not stored: the op is not refused for what it is but because the
                    # register's history went back; after re-registering it may be resent.
                    results.append(answer({"op_id": op.op_id, "status": "rejected",
                                           "reason": DEVICE_SEQ_REGRESSED}))
                    continue
                last_seq = op.device_seq
                out = Outcome(op, payload_hash, insert=True)
                self._run(run, out)
                results.append(out)
            self._write(run, register, last_seq, reg.last_device_seq)
        answers = []
        for r in results:
            if isinstance(r, Outcome):
                answers.append(answer(r.result))
            elif isinstance(r, _Again):
                answers.append(replay(r.outcome.result))
            else:
                answers.append(r)
        return answers

    # -- deciding ----------------------------------------------------------------------

    def _run(self, run: Run, out: Outcome) -> None:
        """Decide one op, then the returns that were waiting for it if it is a sale."""
        batch, op = run.batch, out.op
        decision = self._decide(batch, op)
        out.result, out.feed = decision.result, decision.feed
        run.outcomes[op.op_id] = out
        status = out.result["status"]
        if status == "applied":
            run.applied.append(out)
        elif status == "parked":
            run.waiting.setdefault(cast(ReturnPayload, op.payload).sale_op_id, []).append(out)
        if op.kind == "sale":
            batch.parents[op.op_id] = status
            for waiting in run.waiting.pop(op.op_id, []):
                current = run.outcomes.get(waiting.op.op_id, waiting)
                if current.result.get("status", "parked") == "parked":
                    self._run(run, current)

    def _decide(self, batch: Batch, op: Op) -> Decision:
        try:
            if _has_nul(op.model_dump()):
                # No text HQ keeps may hold a NUL (PostgreSQL refuses one): refusing the op
                # keeps its register's queue moving instead of failing the whole batch.
                raise Refused(INVALID_TEXT)
            return DECIDERS[op.kind](batch, op)
        except Refused as refused:
            reason, member_id = refused.reason, refused.member_id
        except LedgerError as exc:  # a rule of the ledger the op breaks
            reason, member_id = exc.reason, op.member_id
        batch.dead_rows.append(_dead_row(op, reason, batch.now))
        return Decision({"op_id": op.op_id, "status": "rejected", "reason": reason,
                         "member_id": member_id})  # fmt: skip

    # -- writing -----------------------------------------------------------------------

    def _write(self, run: Run, register: RegisterIdentity, last_seq: int, old_last_seq: int) -> None:
        """Write everything the batch decided, then publish: on PostgreSQL every statement
        is queued and sent in one go with the COMMIT (`hq.bulk.Writes`)."""
        batch = run.batch
        now = batch.now
        w = Writes(batch.conn)
        if last_seq != old_last_seq:
            w.update(_registers, "device_id", [{"device_id": register.device_id, "last_device_seq": last_seq}])
        batch.ledger.write_state(w)
        w.insert(_cards, [{"uid": c.uid, "member_id": c.member_id, "status": c.status, "created_at": now}
                          for c in batch.cards.values() if c.new])  # fmt: skip
        w.update(_cards, "uid", [{"uid": c.uid, "member_id": c.member_id, "status": c.status}
                                 for c in batch.cards.values() if c.touched and not c.new])  # fmt: skip
        w.update(_holds, "hold_id", [{"hold_id": h.hold_id, "status": h.status, "closed_at": h.closed_at,
                                      "op_id": h.op_id} for h in batch.holds.values() if h.touched])  # fmt: skip
        w.insert(_dead, batch.dead_rows)
        op_rows, updates = [], []
        for out in run.outcomes.values():
            # Stored whole, so a replay is field for field the first answer; an applied op's
            # `server_seq` is filled in by `_publish`, last.
            result = answer(out.result)
            status = result["status"]
            if not out.insert:
                if status != "parked":
                    updates.append({"op_id": out.op.op_id, "status": status, "result": result})
                continue
            op = out.op
            op_rows.append({
                "op_id": op.op_id, "device_id": op.device_id, "device_seq": op.device_seq,
                "epoch": run.epoch, "store_id": op.store_id, "kind": op.kind,
                "payload_hash": out.payload_hash, "status": status, "result": result,
                "op": stored_op(op), "received_at": now,
                "parent_op_id": op.payload.sale_op_id if isinstance(op.payload, ReturnPayload) else None,
                "local_time": op.local_time, "receipt_no": getattr(op.payload, "receipt_no", None),
            })  # fmt: skip
        w.insert(_ops, op_rows)
        w.update(_ops, "op_id", updates)
        batch.ledger.write_rows(w)
        w.insert(_purchases, batch.purchase_rows)
        w.insert(_grants, batch.grant_rows)
        w.insert(_audit, batch.audit_rows)
        w.update(_purchases, "op_id", [{"op_id": s.op_id, "returned_yen": s.returned_yen}
                                       for s in batch.sales.values() if s.touched])  # fmt: skip
        self._publish(run, w)

    @staticmethod
    def _publish(run: Run, w: Writes) -> None:
        """Give applied ops their `server_seq`s and each changed entity its newest one.

        The counter row serializes every publishing transaction from the moment it is
        taken until commit (that is what keeps `server_seq > cursor` a safe pull), so it is
        taken by the batch's last statement: with many registers pushing at once, the
        batches' other work overlaps and only this statement and the commit queue. On
        PostgreSQL that statement goes in one pipeline with the COMMIT, so the counter is
        held for the server's time only, never while this process waits to run.
        """
        conn, now = run.batch.conn, run.batch.now
        if not run.applied:
            if w.pg:
                w.flush(commit=True)
            return
        # Offsets from the counter's current value, in the order the ops were decided.
        op_offsets: list[int] = []
        entity_offsets: dict[tuple[str, str], int] = {}
        total = 0
        for out in run.applied:
            for entity in out.feed:
                total += 1
                # Only the newest row per entity is kept: a pull sends the current state anyway.
                entity_offsets.pop(entity, None)
                entity_offsets[entity] = total
            if not out.feed:
                total += 1
            op_offsets.append(total)
        if w.pg:
            base = _publish_postgres(w, total, entity_offsets, run.applied, op_offsets, now)
        else:
            base = int(conn.execute(
                update(_counter).where(_counter.c.id == SEQ_COUNTER_ID)
                .values(value=_counter.c.value + total).returning(_counter.c.value)
            ).scalar_one()) - total  # fmt: skip
            for kind in sorted({k for k, _ in entity_offsets}):
                keys = sorted(key for k, key in entity_offsets if k == kind)
                conn.execute(delete(_feed).where(_feed.c.kind == kind, one_of(conn, _feed.c.key, keys)))
            conn.execute(insert(_feed), [{"server_seq": base + off, "kind": kind, "key": key, "created_at": now}
                                         for (kind, key), off in entity_offsets.items()])  # fmt: skip
        for out, off in zip(run.applied, op_offsets, strict=True):
            out.result["server_seq"] = base + off
        if not w.pg:
            conn.execute(update(_ops).where(_ops.c.op_id == bindparam("u_id")).values(result=bindparam("u_result")),
                         [{"u_id": out.op.op_id,
                           "u_result": answer(out.result)}
                          for out in run.applied])  # fmt: skip


# One statement: take the seqs, move each entity's feed row to its new seq (an upsert, so
# a concurrent writer of the same entity cannot leave two rows) and write the seqs into
# the stored answers of the ops inserted before it.
_PUBLISH_SQL = """
WITH c AS (
    UPDATE seq_counter SET value = value + %(total)s WHERE id = %(counter_id)s
    RETURNING value - %(total)s AS base
), f AS (
    INSERT INTO feed (server_seq, kind, key, created_at)
    SELECT c.base + x.off, x.kind, x.key, %(now)s
    FROM c, unnest(%(f_off)s::bigint[], %(f_kind)s::text[], %(f_key)s::text[]) AS x(off, kind, key)
    ON CONFLICT (kind, key) DO UPDATE SET server_seq = excluded.server_seq, created_at = excluded.created_at
), o AS (
    UPDATE ops SET result = CAST(jsonb_set(CAST(ops.result AS jsonb), '{server_seq}', to_jsonb(c.base + x.off)) AS json)
    FROM c, unnest(%(o_id)s::text[], %(o_off)s::bigint[]) AS x(op_id, off)
    WHERE ops.op_id = ANY(%(o_id)s) AND ops.op_id = x.op_id
)
SELECT base FROM c
"""


def _publish_postgres(w: Writes, total: int, entity_offsets: dict[tuple[str, str], int],
                      applied: list[Outcome], op_offsets: list[int], now: datetime) -> int:
    params = {
        "total": total, "counter_id": SEQ_COUNTER_ID, "now": now,
        "f_off": list(entity_offsets.values()), "f_kind": [k for k, _ in entity_offsets],
        "f_key": [key for _, key in entity_offsets],
        "o_id": [out.op.op_id for out in applied], "o_off": op_offsets,
    }  # fmt: skip
    index = w.execute(_PUBLISH_SQL, params, fetch=True)
    return int(w.flush(commit=True)[index][0])


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _dead_row(op: Op, reason: str, now: datetime) -> dict[str, Any]:
    return {"op_id": op.op_id, "device_id": op.device_id, "reason": reason, "op": stored_op(op),
            "created_at": now}  # fmt: skip


__all__ = ["DEVICE_SEQ_REGRESSED", "OP_ID_REUSED", "SALE_NOT_APPLIED", "ForeignOpError",
           "Ingestor", "check_ownership", "stored_op"]
