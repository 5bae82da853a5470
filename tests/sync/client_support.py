"""Shared parts of the sync client tests: an HQ process on SQLite (the embedded default),
registers made against it, and transports that let a test see or shape the traffic.

The HQ is real (`tamaru-hq serve` over loopback); only shapes a real HQ cannot produce
(garbage answers) are made with `httpx.MockTransport`.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from desktop.receipts import build_sale_receipt, receipt_to_dict
from hq.db import make_engine
from hq.provisioning import provision_register
from loyalty.basket import MemberContext
from loyalty.quote import quote_sale
from sync.client import SyncClient
from sync.store import RegisterStore
from sync.worker import StoreWorker
from tests.support.seed import NOW, TOKYO

_devices = itertools.count(1)


def new_token(db_url: str, device_id: str, store_id: str = "S001") -> str:
    engine = make_engine(db_url)
    try:
        return provision_register(engine, store_id, device_id)
    finally:
        engine.dispose()


class Recorder(httpx.BaseTransport):
    """Passes every request to a real transport and notes (method, path, batch size,
    status); `delay_push` makes HQ's push answers arrive that much later."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.seen: list[tuple[str, str, int, int]] = []
        self.delay_push = 0.0
        self.rewrite: Callable[[httpx.Request], httpx.Request] | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if self.rewrite is not None:
            request = self.rewrite(request)
        size = request.content.count(b'"op_id"') if request.url.path.endswith("push") else 0
        response = self.inner.handle_request(request)
        if request.url.path.endswith("push") and self.delay_push:
            time.sleep(self.delay_push)
        with self._lock:
            self.seen.append((request.method, request.url.path, size, response.status_code))
        return response

    def pushes(self) -> list[tuple[int, int]]:
        return [(size, status) for m, path, size, status in self.seen if path.endswith("push")]


@dataclass
class Reg:
    """A register in this process against the test HQ."""

    path: Path
    device_id: str
    url: str
    token: str
    transport: httpx.BaseTransport | None = None
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.store = RegisterStore(self.path)
        self.store.initialise(self.device_id, "S001")
        self.worker = StoreWorker()
        self.client = SyncClient(self.store, self.worker, self.url, self.token,
                                 transport=self.transport, rng=random.Random(5),
                                 **{"timeout": 10.0, **self.options})
        self.events: list[tuple] = []
        for name in ("online_changed", "op_rejected", "sync_halted", "bootstrap_progress",
                     "synced", "member_resynced", "push_progress"):
            self.client.events.subscribe(name, lambda *a, _n=name: self.events.append((_n, *a)))

    def named(self, name: str) -> list[tuple]:
        return [e[1:] for e in self.events if e[0] == name]

    def sell(self, member_id: str, amount: int) -> str:
        program = self.store.program()
        member = self.store.member(member_id)
        assert program is not None and member is not None, "pull first"
        q = quote_sale(program, amount, at=NOW, member=MemberContext(balance=member.balance))

        def receipt(facts):
            return receipt_to_dict(build_sale_receipt(facts, store_name="テスト店", footer="",
                                                      tz=TOKYO))

        return self.worker.call(self.store.record_sale, member_id, q, staff_id=None,
                                local_time=NOW, build_receipt=receipt).facts.op_id

    def sql(self, statement: str, *params) -> list[tuple]:
        """Change the register database behind the store's back (a damaged or odd row)."""
        con = sqlite3.connect(self.path, isolation_level=None)
        try:
            rows = con.execute(statement, params).fetchall()
        finally:
            con.close()
        return rows

    def close(self) -> None:
        self.client.stop()
        self.worker.shutdown()
        self.store.close()


def next_device() -> str:
    return f"T{next(_devices):02d}"
