"""Redeeming points at the counter: a hold at HQ first when online; the offline policy
when HQ cannot be asked; a cancelled sale gives its hold back. Also the sync client's
hold calls against a scripted HQ."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from desktop.flows.counter import CounterState
from loyalty.quote import QuoteError
from sync.client import HoldRefused, SyncClient, SyncError
from sync.protocol import Change, MemberState, PullResponse
from sync.worker import StoreWorker
from tests.desktop.counter_support import HANAKO_CARD, FakeHolds, filled_store
from tests.desktop.test_counter import make_flow, op_body


@pytest.fixture
def online(tmp_path):
    holds = FakeHolds()
    state = {"online": True}
    flow, rec, store, worker = make_flow(tmp_path, holds=holds, online=lambda: state["online"])
    yield flow, rec, store, holds, state
    flow.close()
    worker.shutdown()
    store.close()


def ready(flow, rec):
    flow.card_presented(HANAKO_CARD)
    rec.wait("member_shown")


def test_online_redemption_holds_then_posts_the_hold(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    assert not flow.offline
    assert flow.quote("3000", "500").redeem_limit.reason != "offline"
    flow.confirm("3000", "500")
    assert "確保" in rec.wait("counter_busy")[0]
    (sale,) = rec.wait("sale_recorded")
    [(hold_id, member_id, points, ttl)] = holds.created
    assert (member_id, points, ttl) == ("M1", 500, 120)
    assert op_body(store, sale.facts.op_id)["payload"]["hold_id"] == hold_id
    assert store.hold(hold_id).state == "posted"
    assert holds.voided == []


def test_the_hold_is_recorded_in_the_sales_own_commit(online):
    flow, rec, store, holds, _ = online
    commits: list[str] = []
    store._wconn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.lstrip().upper().startswith("COMMIT") else None)
    ready(flow, rec)
    flow.confirm("3000", "500")
    (sale,) = rec.wait("sale_recorded")
    store._wconn.set_trace_callback(None)
    # One durable commit for an online redemption: the hold is written with the sale.
    assert len(commits) == 1
    [(hold_id, *_)] = holds.created
    hold = store.hold(hold_id)
    assert (hold.state, hold.op_id, hold.member_id, hold.points) == (
        "posted", sale.facts.op_id, "M1", 500)


def test_no_points_used_no_hold(online):
    flow, rec, _, holds, _ = online
    ready(flow, rec)
    flow.confirm("3000")
    rec.wait("sale_recorded")
    assert holds.created == []


def test_hq_timeout_falls_back_to_the_offline_allowance(online):
    flow, rec, store, holds, _ = online
    holds.mode = "timeout"
    heard: list[str] = []
    flow.events.subscribe("hq_unreachable", heard.append)  # the register wakes its sync
    ready(flow, rec)
    flow.confirm("3000", "500")
    (sale,) = rec.wait("sale_recorded")
    assert heard and "タイムアウト" in heard[0]
    assert op_body(store, sale.facts.op_id)["payload"]["hold_id"] is None
    assert sale.facts.quote.redeem_points == 500
    text, level = next(a for n, a in rec.seen if n == "counter_message")
    assert level == "warning" and "オフライン" in text and "1,500 pt" in text
    # The hold HQ may have made before the answer was lost is given back.
    [(hold_id, *_)] = holds.created
    assert hold_id in holds.voided
    # Until the next successful sync, quotes follow the offline policy.
    assert flow.offline
    ready(flow, rec)
    q = flow.quote("3000")
    assert (q.redeem_limit.reason, q.redeem_limit.max_points) == ("offline", 1000)
    flow.events.emit("synced", None, 0)
    assert not flow.offline


def test_hq_timeout_beyond_the_allowance_is_refused_and_nothing_posted(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    holds.mode = "timeout"
    flow.confirm("3000", "500")
    rec.wait("sale_recorded")  # 500 of 1,500 used offline, still queued
    flow.events.emit("synced", None, 0)  # HQ looked reachable again; it is not
    ready(flow, rec)
    assert flow.member.balance > 1100
    mark = rec.mark()
    flow.confirm("3000", "1100")  # the allowance is now 1,500 − 500 = 1,000
    text, level = rec.wait("counter_message", after=mark)
    assert level == "error" and "1,000 pt" in text and "減らして" in text
    assert store.outbox_counts() == {"queued": 1}
    assert flow.state is CounterState.MEMBER
    # Known to be offline now: the quote itself says so before any confirm.
    with pytest.raises(QuoteError, match="オフライン中は 1,000 pt まで"):
        flow.quote("3000", "1100")


def test_known_offline_quotes_the_allowance_and_asks_no_hold(online):
    flow, rec, store, holds, state = online
    state["online"] = False
    ready(flow, rec)
    assert flow.offline
    assert flow.quote("3000").redeem_limit.reason == "balance"  # 1,500 < cap 2,000
    flow.confirm("3000", "300")
    (sale,) = rec.wait("sale_recorded")
    assert holds.created == [] and sale.facts.quote.redeem_points == 300
    assert store.pending_redemptions("M1") == 300


def test_hq_refusal_says_what_is_available(online):
    flow, rec, store, holds, _ = online
    holds.mode, holds.available = "refuse", 300
    ready(flow, rec)
    flow.confirm("3000", "500")
    text, level = rec.wait("counter_message")
    assert level == "error" and "300 pt" in text
    assert store.outbox_counts() == {} and flow.state is CounterState.MEMBER


def test_hq_not_knowing_the_member_yet_uses_the_offline_policy(online):
    flow, rec, _, holds, _ = online
    holds.mode = "404"
    ready(flow, rec)
    flow.confirm("3000", "500")
    (sale,) = rec.wait("sale_recorded")
    assert sale.facts.quote.redeem_points == 500


def block(store, worker, member_id="M1", status="blocked"):
    page = PullResponse(cursor=store.pull_cursor() + 1, has_more=False, changes=[
        Change(server_seq=90, kind="member", member=MemberState(
            member_id=member_id, member_no=store.member(member_id).member_no,
            display_name="山田 花子", status=status, balance=1500))])
    worker.call(store.apply_pull, page)


def test_cancelled_sale_voids_its_hold(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    block(store, flow.worker)  # the sale will fail after the hold was taken
    flow.confirm("3000", "500")
    text, _ = rec.wait("counter_message")
    assert "利用停止" in text
    [(hold_id, *_)] = holds.created
    # The failed sale's commit took the hold's record with it: the flow keeps the hold.
    assert store.hold(hold_id) is None and flow.state is CounterState.MEMBER
    flow.cancel()
    rec.wait("counter_reset")
    flow._hold_pool.submit(lambda: None).result(5)  # the void runs off the caller's thread
    assert holds.voided == [hold_id]
    assert store.hold(hold_id) is None and store.pending_hold_points("M1") == 0
    assert store.outbox_counts() == {}


def test_confirming_again_reuses_the_hold_for_the_same_points(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    block(store, flow.worker)
    flow.confirm("3000", "500")
    rec.wait("counter_message")
    block(store, flow.worker, status="active")
    flow.confirm("3000", "500")
    (sale,) = rec.wait("sale_recorded")
    assert len(holds.created) == 1
    assert op_body(store, sale.facts.op_id)["payload"]["hold_id"] == holds.created[0][0]
    assert store.hold(holds.created[0][0]).state == "posted"


def test_a_kept_hold_about_to_lapse_at_hq_is_given_back_and_taken_again(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    block(store, flow.worker)
    flow.confirm("3000", "500")
    rec.wait("counter_message")
    # HQ lets the kept hold lapse within the margin: a sale naming it would not be covered.
    flow._hold = replace(flow._hold, expires_at=datetime.now(UTC) + timedelta(seconds=3))
    block(store, flow.worker, status="active")
    flow.confirm("3000", "500")
    (sale,) = rec.wait("sale_recorded")
    first, second = (hold_id for hold_id, *_ in holds.created)
    flow._hold_pool.submit(lambda: None).result(5)  # the void runs off the caller's thread
    assert holds.voided == [first]
    assert op_body(store, sale.facts.op_id)["payload"]["hold_id"] == second
    assert store.hold(second).state == "posted"


def test_changed_points_void_the_old_hold(online):
    flow, rec, store, holds, _ = online
    ready(flow, rec)
    block(store, flow.worker)
    flow.confirm("3000", "500")
    rec.wait("counter_message")
    block(store, flow.worker, status="active")
    flow.confirm("3000", "400")
    rec.wait("sale_recorded")
    assert [p for _, _, p, _ in holds.created] == [500, 400]
    assert holds.voided == [holds.created[0][0]]


# -- the sync client's hold calls ---------------------------------------------------------


def hold_json(body, status="pending"):
    return {"hold_id": body.get("hold_id", "h"), "member_id": body.get("member_id", "M1"),
            "points": body.get("points", 1), "status": status,
            "created_at": "2026-11-10T01:30:00Z", "expires_at": "2026-11-10T01:32:00Z",
            "balance": 1500, "available": 1000}


@pytest.fixture
def client(tmp_path):
    store = filled_store(tmp_path / "c.db")
    worker = StoreWorker()
    answers = {"mode": "ok"}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.headers["authorization"]))
        if answers["mode"] == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if answers["mode"] == "409":
            return httpx.Response(409, json={"detail": "insufficient points: balance 1500, "
                                             "held 1200, available 300, requested 500"})
        if request.url.path.endswith("/void"):
            return httpx.Response(200, json=hold_json({}, "voided"))
        return httpx.Response(201, json=hold_json(json.loads(request.content)))

    c = SyncClient(store, worker, "http://127.0.0.1:9", "tok",
                   transport=httpx.MockTransport(handler))
    yield c, answers, seen
    c.stop()
    worker.shutdown()
    store.close()


def test_client_creates_and_voids_holds(client):
    c, _, seen = client
    state = c.create_hold("M1", 500, 60, hold_id="0b7c6a4e-8f0e-4f7a-9a61-3c8d9d5e2b10")
    assert (state.hold_id, state.points, state.status) == (
        "0b7c6a4e-8f0e-4f7a-9a61-3c8d9d5e2b10", 500, "pending")
    assert c.void_hold(state.hold_id).status == "voided"
    assert [(m, p) for m, p, _ in seen] == [
        ("POST", "/v1/holds"), ("POST", f"/v1/holds/{state.hold_id}/void")]
    assert all(auth == "Bearer tok" for _, _, auth in seen)


def test_client_hold_refusal_and_timeout(client):
    c, answers, _ = client
    answers["mode"] = "409"
    with pytest.raises(HoldRefused) as refused:
        c.create_hold("M1", 500)
    assert (refused.value.status, refused.value.available, refused.value.retry) == (409, 300,
                                                                                    False)
    answers["mode"] = "timeout"
    with pytest.raises(SyncError) as slow:
        c.create_hold("M1", 500)
    assert slow.value.retry and not isinstance(slow.value, HoldRefused)
