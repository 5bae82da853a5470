"""The sync thread against a real HQ process (SQLite): a revoked token stops it until
someone acts, "sync now" wakes it, it announces going offline and back, a first sync
reports its progress page by page, and the backoff stays within its bounds."""

from __future__ import annotations

import random
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest

from hq.db import make_engine
from hq.provisioning import revoke_register
from sync.client import MAX_BACKOFF_S, SyncError, backoff_delay
from tests.support.faulty import Faults, FaultyTransport
from tests.sync.client_support import Recorder, new_token


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_revoked_token_stops_the_thread_until_new_credentials(make_reg, sqlite_hq):
    _, db_url = sqlite_hq
    seen = Recorder()
    reg = make_reg(transport=seen)
    engine = make_engine(db_url)
    try:
        revoke_register(engine, reg.device_id)
    finally:
        engine.dispose()
    op = reg.sell("M0000001", 1500)
    seen.seen.clear()
    reg.client.start(interval=0.05)
    assert wait_for(lambda: reg.named("sync_halted"))
    [(why,)] = reg.named("sync_halted")
    assert "401" in why and "revoked" in why and "トークン" in why
    assert reg.named("online_changed")[-1] == (False, why)
    time.sleep(0.6)  # twelve intervals: a backing-off thread would have asked again
    assert len(seen.seen) == 1 and reg.client.last_wait_s == float("inf")
    assert reg.store.op_state(op) == "queued"

    reg.client.sync_now()  # someone presses "sync now": one more try, still refused
    assert wait_for(lambda: len(seen.seen) == 2)
    time.sleep(0.3)
    assert len(seen.seen) == 2 and len(reg.named("sync_halted")) == 1

    reg.client.replace_token(new_token(db_url, reg.device_id))  # provisioned again
    assert wait_for(lambda: reg.store.op_state(op) == "applied")
    assert wait_for(lambda: reg.client.halted is None)
    assert reg.named("online_changed")[-1] == (True, "")


def test_sync_now_wakes_a_sleeping_thread(make_reg):
    reg = make_reg()
    reg.client.start(interval=3600)
    assert wait_for(lambda: len(reg.named("synced")) == 1)
    op = reg.sell("M0000005", 2000)
    time.sleep(0.2)
    assert reg.store.op_state(op) == "queued"  # asleep for an hour
    started = time.monotonic()
    reg.client.sync_now()
    assert wait_for(lambda: reg.store.op_state(op) == "applied", timeout=5)
    assert time.monotonic() - started < 5
    assert len(reg.named("synced")) == 2


def test_offline_and_back_are_announced_once_each(make_reg):
    faulty = FaultyTransport(seed=2, faults=Faults(drop_request=1.0), enabled=False)
    reg = make_reg(transport=faulty)
    assert reg.named("online_changed") == [(True, "")]
    faulty.enabled = True
    for _ in range(3):
        with pytest.raises(SyncError):
            reg.client.sync_once()
    assert reg.client.failures == 3
    faulty.enabled = False
    reg.client.sync_once()
    changes = reg.named("online_changed")
    assert [c[0] for c in changes] == [True, False, True]
    assert "接続できません" in changes[1][1] and "ConnectError" in changes[1][1]
    assert reg.client.failures == 0 and reg.client.halted is None


def test_a_first_sync_reports_bootstrap_progress_page_by_page(make_reg):
    def small_pages(request: httpx.Request) -> httpx.Request:
        # HQ's own paging with a page of 4 changes, so the demo's feed takes several.
        if request.url.path.endswith("pull"):
            query = dict(request.url.params) | {"limit": "4"}
            url = request.url.copy_with(query=urlencode(query).encode())
            return httpx.Request(request.method, url, headers=request.headers)
        return request

    seen = Recorder()
    seen.rewrite = small_pages
    reg = make_reg(transport=seen, sync=False)
    _, pulled = reg.client.sync_once()
    progress = reg.named("bootstrap_progress")
    assert len(progress) >= 3
    assert [p[0] for p in progress] == sorted(p[0] for p in progress)
    assert progress[-1] == (pulled, False)
    assert all(more for _, more in progress[:-1])
    assert reg.store.member("M0000001") is not None
    reg.client.sync_once()  # not a first sync any more: no bootstrap progress
    assert len(reg.named("bootstrap_progress")) == len(progress)


def test_backoff_is_equal_jitter_doubling_to_the_cap():
    rng = random.Random(3)
    for failures in range(0, 16):
        ceiling = min(MAX_BACKOFF_S, 2.0 ** min(max(failures, 1), 10))
        draws = [backoff_delay(failures, rng) for _ in range(300)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        # drawn across the whole upper half, not a fixed value
        assert max(draws) - min(draws) > ceiling / 2 * 0.8
    assert max(backoff_delay(50, rng) for _ in range(1000)) <= MAX_BACKOFF_S
    assert min(backoff_delay(50, rng) for _ in range(1000)) >= MAX_BACKOFF_S / 2


def test_the_thread_backs_off_between_failed_rounds(make_reg):
    faulty = FaultyTransport(seed=4, faults=Faults(drop_request=1.0), enabled=False)
    reg = make_reg(transport=faulty)
    faulty.enabled = True
    reg.client.start(interval=0.01)
    assert wait_for(lambda: reg.client.failures >= 1)
    assert wait_for(lambda: reg.client.last_wait_s > 0)
    # after the first failure: within [1, 2] s, not the 10 ms interval
    assert 1.0 <= reg.client.last_wait_s <= 2.0
    stop = threading.Event()
    stop.wait(0.3)
    assert reg.client.failures == 1
