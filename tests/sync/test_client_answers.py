"""The sync client against answers a real HQ does not give (an `httpx.MockTransport`
plays HQ): garbage instead of JSON, the wrong shape, a 200 that answers nothing, and
refusals of the whole request. Every one keeps the ops queued, says what happened in
words the store can act on, and does not spin."""

from __future__ import annotations

import random
import threading

import httpx
import pytest
from sqlalchemy import text

from loyalty.basket import MemberContext
from loyalty.quote import quote_sale
from sync.client import MAX_BACKOFF_S, SyncClient, SyncError
from sync.worker import StoreWorker
from tests.support.seed import NOW


@pytest.fixture
def worker():
    w = StoreWorker()
    yield w
    w.shutdown()


def sell(store, worker, amount=1000) -> str:
    program = store.program()
    member = store.member("M1")
    q = quote_sale(program, amount, member=MemberContext(balance=member.balance))
    return worker.call(store.record_sale, "M1", q, staff_id=None, local_time=NOW,
                       build_receipt=lambda f: {"receipt_no": f.receipt_no}).facts.op_id


def client_for(store, worker, answer):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answer(request)

    client = SyncClient(store, worker, "http://127.0.0.1:9", "tok",
                        transport=httpx.MockTransport(handler), rng=random.Random(1))
    return client, calls


@pytest.mark.parametrize("answer, words", [
    (lambda r: httpx.Response(200, text="<html>maintenance</html>"), "応答を読めません"),
    (lambda r: httpx.Response(200, json={"ok": True}), "応答を読めません"),
    (lambda r: httpx.Response(200, json={"results": [{"op_id": "x", "status": "weird"}]}),
     "応答を読めません"),
    (lambda r: httpx.Response(200, json={"results": []}), "結果がありません"),
    (lambda r: httpx.Response(200, json={"results": [
        {"op_id": "00000000-0000-4000-8000-000000000000", "status": "applied"}]}),
     "結果がありません"),
], ids=["not-json", "wrong-shape", "bad-status", "no-results", "someone-elses-results"])
def test_garbage_from_hq_keeps_the_ops_queued_with_a_clear_message(store, worker, answer,
                                                                   words):
    client, calls = client_for(store, worker, answer)
    ops = [sell(store, worker) for _ in range(3)]
    offline: list[tuple[bool, str]] = []
    client.events.subscribe("online_changed", lambda *a: offline.append(a))
    with pytest.raises(SyncError) as caught:
        client.sync_once()
    assert caught.value.retry is True and words in str(caught.value)
    assert [store.op_state(o) for o in ops] == ["queued"] * 3
    assert store.member("M1").pending_delta == 30
    assert len(calls) == 1  # one push; the same batch is not sent again at once
    assert offline == [(False, str(caught.value))]
    with store.reading() as s:
        errors = {e for (e,) in s.execute(text("SELECT last_error FROM ops"))}
    assert len(errors) == 1 and words.split("を")[0] in errors.pop()
    client.stop()


def test_an_answer_for_part_of_the_batch_keeps_the_rest_queued(store, worker):
    ops = [sell(store, worker) for _ in range(3)]

    def answer(request):
        return httpx.Response(200, json={"results": [
            {"op_id": ops[0], "status": "applied", "balance": 510, "server_seq": 9}]})

    client, calls = client_for(store, worker, answer)
    summary = client.push_once()
    assert summary.applied == 1
    assert [store.op_state(o) for o in ops] == ["applied", "queued", "queued"]
    client.stop()


@pytest.mark.parametrize("status, words", [
    (426, "ソフトウェアを更新"), (404, "受け付けません"), (413, "大きすぎます")])
def test_a_refusal_of_the_whole_request_is_reported_and_waits(store, worker, status, words):
    sizes: list[int] = []

    def answer(request):
        sizes.append(request.content.count(b'"op_id"'))
        return httpx.Response(status, json={"detail": "nope"})

    client, _ = client_for(store, worker, answer)
    client.batch_size = 8
    for _ in range(5):
        sell(store, worker)
    with pytest.raises(SyncError) as caught:
        client.sync_once()
    err = caught.value
    assert (err.retry, err.status, err.wait_s) == (True, status, MAX_BACKOFF_S)
    assert words in str(err) and "nope" in str(err)
    # A request too large is tried smaller at once; anything else is not tried again.
    assert sizes == ([5, 2, 1] if status == 413 else [5])
    assert store.outbox_counts() == {"queued": 5}
    assert client.halted is None

    # The thread waits the long way before asking again, not the backoff's seconds.
    client.start(interval=0.01)
    deadline = threading.Event()
    for _ in range(100):
        if client.last_wait_s:
            break
        deadline.wait(0.02)
    assert client.last_wait_s >= MAX_BACKOFF_S
    client.stop()


def test_a_feed_cursor_that_goes_back_stops_the_thread(store, worker):
    assert store.pull_cursor() == 3

    def answer(request):
        if request.url.path.endswith("push"):
            return httpx.Response(200, json={"results": []})
        return httpx.Response(200, json={"cursor": 1, "has_more": False, "changes": []})

    client, _ = client_for(store, worker, answer)
    halted: list[str] = []
    client.events.subscribe("sync_halted", halted.append)
    with pytest.raises(SyncError) as caught:
        client.sync_once()
    assert caught.value.retry is False and "巻き戻りました" in str(caught.value)
    assert store.pull_cursor() == 3  # not taken
    assert halted == [str(caught.value)] and client.halted == halted[0]
    client.stop()
