"""The sync client's push path against a real HQ process (SQLite): an op HQ will never
accept is isolated and set aside while the queue moves on, a register HQ refuses
everything from stops instead of dead-lettering its outbox, and the batch adapts to how
fast HQ answers, both ways."""

from __future__ import annotations

import json

import pytest

from sync.client import MAX_PUSH_BATCH, POISON_LIMIT, SyncError
from tests.support.faulty import Faults, FaultyTransport
from tests.sync.client_support import Recorder

MEMBER = "M0000004"


def poison(reg, op_id: str, **payload) -> None:
    """Make one stored op into one HQ refuses for what it is (as a bug or an older HQ would)."""
    [(body,)] = reg.sql("SELECT body FROM ops WHERE op_id = ?", op_id)
    op = json.loads(body)
    op["payload"].update(payload)
    reg.sql("UPDATE ops SET body = ? WHERE op_id = ?", json.dumps(op), op_id)


def test_a_poison_op_is_bisected_out_refused_with_hqs_reason_and_the_queue_moves_on(make_reg):
    seen = Recorder()
    reg = make_reg(transport=seen, batch_size=16)
    before = reg.store.member(MEMBER)
    ops = [reg.sell(MEMBER, 1000 + i) for i in range(11)]
    bad = ops[6]
    poison(reg, bad, amount_yen=0)  # HQ's schema: amount_yen > 0
    seen.seen.clear()

    pushed, _ = reg.client.sync_once()

    assert reg.store.op_state(bad) == "rejected"
    assert [reg.store.op_state(o) for o in ops if o != bad] == ["applied"] * 10
    [(op_id, reason)] = reg.named("op_rejected")
    assert op_id == bad
    assert reason.startswith("invalid_op (422)") and "amount_yen" in reason
    [(result,)] = reg.sql("SELECT json_extract(result, '$.reason') FROM ops WHERE op_id = ?", bad)
    assert result == reason  # kept, visible as a refusal
    assert (pushed.sent, pushed.applied, pushed.rejected) == (11, 10, 1)
    # Bisection, not one op at a time: the whole batch, then halves down to the op.
    sizes = [size for size, _ in seen.pushes()]
    assert sizes[0] == 11 and len(sizes) <= 2 * 4 + 1
    assert (1, 422) in seen.pushes()
    # Nothing of the refused op counts toward the member's balance, as for a business
    # refusal; the ten others moved into HQ's balance.
    after = reg.store.member(MEMBER)
    assert after.pending_delta == 0
    assert reg.store.outbox_counts() == {"applied": 10, "rejected": 1}
    assert after.balance == before.balance + sum(
        (1000 + i) // 100 for i in range(11) if i != 6)  # ¥100 → 1 pt
    assert reg.client.halted is None and reg.client.online is True


def test_a_register_hq_refuses_everything_from_stops_with_its_ops_queued(make_reg):
    """Version skew: every op carries a field this HQ does not know. After POISON_LIMIT
    refusals in a row the client stops (nothing is dead-lettered) and says why."""
    seen = Recorder()
    reg = make_reg(transport=seen)
    ops = [reg.sell(MEMBER, 500) for _ in range(6)]
    for op_id in ops:
        poison(reg, op_id, gift_wrap=True)
    seen.seen.clear()

    with pytest.raises(SyncError) as caught:
        reg.client.sync_once()

    assert caught.value.retry is False
    assert reg.client.halted is not None and "バージョン" in reg.client.halted
    assert reg.named("sync_halted") == [(reg.client.halted,)]
    assert reg.store.outbox_counts() == {"queued": 6}  # none set aside for good
    assert reg.store.member(MEMBER).pending_delta == 6 * 5
    assert len([p for p in seen.pushes() if p == (1, 422)]) == POISON_LIMIT
    assert len(seen.pushes()) <= POISON_LIMIT + 4


def test_the_batch_grows_on_fast_answers_and_shrinks_on_slow_ones(make_reg):
    seen = Recorder()
    reg = make_reg(transport=seen, batch_size=2, timeout=2.0)
    for i in range(100):
        reg.sell(MEMBER, 100 + i)
    seen.seen.clear()
    for _ in range(4):
        reg.client.push_once()
    # Answered within a tenth of the timeout (0.2 s): doubled each time.
    assert [s for s, _ in seen.pushes()] == [2, 4, 8, 16]
    assert reg.client.batch_size == 32

    seen.delay_push = 0.25  # between the two thresholds: unchanged
    reg.client.push_once()
    assert reg.client.batch_size == 32
    seen.delay_push = 1.1  # past half the timeout, answered all the same: halved
    reg.client.push_once()
    assert reg.client.batch_size == 16
    reg.client.push_all()
    assert reg.store.outbox_counts() == {"applied": 100}


def test_a_short_tail_does_not_grow_the_batch_and_the_cap_holds(make_reg):
    reg = make_reg(batch_size=MAX_PUSH_BATCH)
    reg.sell(MEMBER, 300)
    reg.client.push_once()
    assert reg.client.batch_size == MAX_PUSH_BATCH
    reg.client.batch_size = 4
    reg.sell(MEMBER, 300)
    reg.client.push_once()  # one op in a batch of 4: says nothing about 8
    assert reg.client.batch_size == 4


def test_5xx_and_timeouts_halve_the_batch_a_refused_connection_does_not(make_reg):
    faulty = FaultyTransport(seed=1, faults=Faults(server_error=1.0), enabled=False)
    reg = make_reg(transport=faulty, batch_size=64)
    op = reg.sell(MEMBER, 700)
    faulty.enabled = True
    with pytest.raises(SyncError):
        reg.client.push_once()
    assert reg.client.batch_size == 32
    faulty.faults = Faults(drop_response=1.0)  # HQ applied it; the answer timed out
    with pytest.raises(SyncError):
        reg.client.push_once()
    assert reg.client.batch_size == 16
    faulty.faults = Faults(drop_request=1.0)
    with pytest.raises(SyncError):
        reg.client.push_once()
    assert reg.client.batch_size == 16
    assert reg.store.op_state(op) == "queued"
    faulty.enabled = False
    reg.client.push_once()
    assert reg.store.op_state(op) == "duplicate"
