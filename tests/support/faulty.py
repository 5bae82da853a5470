"""A faulty HTTP transport for sync tests: drops, duplicates, delays and replays requests
and responses on a seeded schedule, so any failing run can be replayed from its seed.

It wraps a real `httpx.HTTPTransport`: every request that "gets through" really reaches
HQ over loopback.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass
class Faults:
    """Probabilities per request; the rest go through untouched."""

    drop_request: float = 0.0  # never reaches HQ; the client sees a connect error
    drop_response: float = 0.0  # HQ applies it; the client sees a read timeout
    duplicate: float = 0.0  # sent twice back to back; the client sees the second answer
    replay_later: float = 0.0  # a copy is kept and sent again before a later request
    delay_s: float = 0.0  # up to this long before sending
    server_error: float = 0.0  # the client sees a 503 without HQ seeing the request
    paths: tuple[str, ...] = ("/v1/sync/push", "/v1/sync/pull")


@dataclass
class FaultyTransport(httpx.BaseTransport):
    seed: int
    faults: Faults
    inner: httpx.BaseTransport = field(default_factory=httpx.HTTPTransport)
    counts: Counter[str] = field(default_factory=Counter)
    enabled: bool = True

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._held: list[httpx.Request] = []
        self._lock = threading.Lock()

    def _copy(self, request: httpx.Request) -> httpx.Request:
        return httpx.Request(request.method, request.url, headers=request.headers,
                             content=request.content)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if not self.enabled or request.url.path not in self.faults.paths:
            return self.inner.handle_request(request)
        with self._lock:
            roll = [self.rng.random() for _ in range(6)]
            delay = self.rng.uniform(0, self.faults.delay_s) if self.faults.delay_s else 0.0
            held, self._held = self._held, []
        for old in held:  # a stale copy arrives first: reordered
            self.counts["replayed"] += 1
            self.inner.handle_request(old).read()
        if delay:
            time.sleep(delay)
        f = self.faults
        if roll[0] < f.drop_request:
            self.counts["dropped_request"] += 1
            raise httpx.ConnectError("injected: request lost", request=request)
        if roll[1] < f.server_error:
            self.counts["server_error"] += 1
            return httpx.Response(503, json={"detail": "injected"}, request=request)
        if roll[2] < f.replay_later:
            with self._lock:
                self._held.append(self._copy(request))
        if roll[3] < f.duplicate:
            self.counts["duplicated"] += 1
            self.inner.handle_request(self._copy(request)).read()
        response = self.inner.handle_request(request)
        if roll[4] < f.drop_response:
            response.read()
            self.counts["dropped_response"] += 1
            raise httpx.ReadTimeout("injected: response lost", request=request)
        self.counts["passed"] += 1
        return response

    def close(self) -> None:
        self.inner.close()
