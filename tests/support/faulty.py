"""A faulty HTTP transport for sync tests: drops, duplicates, delays, replays and reorders
requests and responses, and cuts answers off mid-body, on a seeded schedule, so any
failing run can be replayed from its seed.

It wraps a real `httpx.HTTPTransport`: every request that "gets through" really reaches
HQ over loopback. `during_next` runs something (killing HQ) while the next faulted
request is in flight, for crashes that must land inside a request, not between two.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
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
    # HQ applies it, but its answer arrives late: the client times out, and the answer
    # is handed to the next request on the same path in place of that one's own (whose
    # answer is the one held next, or dropped): the client reads answers out of order.
    reorder: float = 0.0
    # HQ applies it; the connection drops half-way through the answer's body.
    cut_response: float = 0.0
    paths: tuple[str, ...] = ("/v1/sync/push", "/v1/sync/pull")


class _CutStream(httpx.SyncByteStream):
    """The first half of a body, then the connection is gone."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body[: len(self.body) // 2]
        raise httpx.RemoteProtocolError("injected: peer closed connection without sending "
                                        "complete message body")


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
        self._late: dict[str, httpx.Response] = {}  # path → an answer not delivered yet
        self._during: tuple[Callable[[], None], float] | None = None
        self._lock = threading.Lock()

    def _copy(self, request: httpx.Request) -> httpx.Request:
        return httpx.Request(request.method, request.url, headers=request.headers,
                             content=request.content)

    def during_next(self, action: Callable[[], None], after_s: float) -> None:
        """Run `action` `after_s` seconds after the next faulted request is sent, while its
        answer is awaited (a crash in flight); the request's outcome is whatever the
        action leaves (an answer if HQ finished first, an error otherwise)."""
        with self._lock:
            self._during = (action, after_s)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if not self.enabled or request.url.path not in self.faults.paths:
            return self.inner.handle_request(request)
        with self._lock:
            roll = [self.rng.random() for _ in range(8)]
            delay = self.rng.uniform(0, self.faults.delay_s) if self.faults.delay_s else 0.0
            held, self._held = self._held, []
            during, self._during = self._during, None
        for old in held:  # a stale copy arrives first: reordered
            self.counts["replayed"] += 1
            self._quietly(old)
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
            self._quietly(self._copy(request))
        response = self._send(request, during)
        if roll[4] < f.drop_response:
            response.read()
            self.counts["dropped_response"] += 1
            raise httpx.ReadTimeout("injected: response lost", request=request)
        path = request.url.path
        with self._lock:
            late = self._late.pop(path, None)
            if roll[5] < f.reorder:
                response.read()
                self._late[path] = response
        if late is not None:  # an earlier request's answer arrives now, in this one's place
            self.counts["reordered"] += 1
            if path not in self._late:
                response.read()  # this answer is lost
            return httpx.Response(late.status_code, headers=late.headers,
                                  content=late.content, request=request)
        if path in self._late:
            self.counts["held_late"] += 1
            raise httpx.ReadTimeout("injected: response late", request=request)
        if roll[6] < f.cut_response:
            body = response.read()
            self.counts["cut_response"] += 1
            return httpx.Response(response.status_code, headers=response.headers,
                                  stream=_CutStream(body), request=request)
        self.counts["passed"] += 1
        return response

    def _send(self, request: httpx.Request,
              during: tuple[Callable[[], None], float] | None) -> httpx.Response:
        if during is None:
            return self.inner.handle_request(request)
        action, after_s = during
        timer = threading.Timer(after_s, action)
        timer.start()
        self.counts["crash_in_flight"] += 1
        try:
            response = self.inner.handle_request(request)
            response.read()  # in flight until the whole answer is here
        except httpx.TransportError:
            self.counts["crash_cut_request"] += 1  # the crash landed inside the request
            raise
        finally:
            timer.join()
        self.counts["crash_after_answer"] += 1
        return response

    def _quietly(self, request: httpx.Request) -> None:
        """Send a copy whose answer nobody reads; HQ being down then is part of the fault."""
        try:
            self.inner.handle_request(request).read()
        except httpx.TransportError:
            self.counts["copy_lost"] += 1

    def close(self) -> None:
        self.inner.close()
