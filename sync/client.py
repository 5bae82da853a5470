"""The sync client: pushes the outbox to HQ and pulls HQ's changes, on its own thread.

Transport failures and 5xx answers leave ops queued, to be resent unchanged (HQ
recognises them by op_id). A refusal of the whole request (401/403) stops pushing until
someone fixes the register's credentials, because retrying cannot help. The batch size
adapts: it grows while HQ answers quickly and halves after a timeout or 5xx, so a
register coming back from a long outage neither trickles nor times out.

Online redemption holds (`create_hold`, `void_hold`) are asked for by the counter while
a customer waits, so they go through a second HTTP client with a short timeout: a slow
HQ turns into the offline policy within seconds, and the sync thread's client is never
shared between threads.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from sync.events import EventBus
from sync.protocol import (
    DEFAULT_HOLD_TTL_S,
    MAX_PUSH_BATCH,
    HoldRequest,
    HoldState,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.store import RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

MIN_BATCH = 1
FAST_ROUND_S = 1.0  # a push answered faster than this lets the batch grow
MAX_BACKOFF_S = 300.0
HOLD_TIMEOUT_S = 3.0  # a customer is waiting: after this, the offline policy decides


class SyncError(Exception):
    """A sync round that failed; `retry` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class HoldRefused(SyncError):
    """HQ answered and refused the hold (not enough available points, a blocked member).

    `available` is what HQ said the member may still use, when it said so.
    """

    def __init__(self, message: str, *, status: int, available: int | None = None) -> None:
        super().__init__(message, retry=False)
        self.status = status
        self.available = available


_AVAILABLE = re.compile(r"available (-?\d+)")


@dataclass(frozen=True)
class PushSummary:
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    rejected: int = 0
    parked: int = 0

    def __add__(self, other: PushSummary) -> PushSummary:
        return PushSummary(*(getattr(self, f) + getattr(other, f) for f in
                             ("sent", "applied", "duplicate", "rejected", "parked")))


def check_hq_url(url: str) -> str:
    """Plain HTTP only to a loopback HQ: a register token must not cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url.rstrip("/")
    raise ValueError(f"HQ の URL は https:// で指定してください（{url}）")


def backoff_delay(failures: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: registers back from one outage spread out."""
    ceiling = min(MAX_BACKOFF_S, 2.0 ** min(failures, 10))
    return rng.uniform(ceiling / 2, ceiling)


class SyncClient:
    def __init__(
        self,
        store: RegisterStore,
        worker: StoreWorker,
        base_url: str,
        token: str,
        *,
        events: EventBus | None = None,
        transport: httpx.BaseTransport | None = None,
        batch_size: int = 100,
        timeout: float = 10.0,
        ca_file: Path | None = None,
        rng: random.Random | None = None,
        hold_timeout: float = HOLD_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events or EventBus()
        self.batch_size = max(MIN_BATCH, min(batch_size, MAX_PUSH_BATCH))
        self.rng = rng or random.Random()
        # A private CA (a chain's own HQ certificate) is trusted in addition to nothing
        # else: verification is never switched off.
        verify: str | bool = str(ca_file) if ca_file else True
        self._http = httpx.Client(
            base_url=check_hq_url(base_url),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
            verify=verify,
        )
        self._counter_http = httpx.Client(
            base_url=check_hq_url(base_url),
            headers={"Authorization": f"Bearer {token}"},
            timeout=hold_timeout,
            transport=transport,
            verify=verify,
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rounds = 0
        self.online: bool | None = None
        self.failures = 0
        self.last_sync_at: float | None = None

    # -- one round ------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise SyncError("HQ の応答がタイムアウトしました", retry=True) from exc
        except httpx.HTTPError as exc:
            # The exception text can carry the URL but never our headers; keep it short.
            raise SyncError(f"HQ に接続できません（{type(exc).__name__}）", retry=True) from exc
        if resp.status_code >= 500:
            raise SyncError(f"HQ がエラーを返しました（{resp.status_code}）", retry=True)
        if resp.status_code in (401, 403):
            raise SyncError(f"HQ が拒否しました: {_detail(resp)}", retry=False)
        if resp.status_code != 200:
            raise SyncError(f"HQ の応答が不正です（{resp.status_code}: {_detail(resp)}）", retry=True)
        return resp

    # -- online redemption holds (the counter's thread) ------------------------------

    def create_hold(self, member_id: str, points: int, ttl: int = DEFAULT_HOLD_TTL_S, *,
                    hold_id: str | None = None) -> HoldState:
        """Reserve `points` of the member's balance at HQ; the answer carries `hold_id`.

        Pass the same `hold_id` to retry: HQ answers a retried id with the same hold.
        Raises HoldRefused when HQ refuses, SyncError(retry=True) when it cannot be asked.
        """
        body = HoldRequest(hold_id=hold_id or str(uuid.uuid4()), member_id=member_id,
                           points=points, ttl=ttl)
        return self._hold_call("POST", "/v1/holds", json=body.model_dump(mode="json"))

    def void_hold(self, hold_id: str) -> HoldState:
        """Give the held points back (a cancelled sale). Voiding twice changes nothing."""
        return self._hold_call("POST", f"/v1/holds/{hold_id}/void")

    def _hold_call(self, method: str, path: str, **kw: object) -> HoldState:
        try:
            resp = self._counter_http.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise SyncError("HQ の応答がタイムアウトしました", retry=True) from exc
        except httpx.HTTPError as exc:
            raise SyncError(f"HQ に接続できません（{type(exc).__name__}）", retry=True) from exc
        if resp.status_code >= 500:
            raise SyncError(f"HQ がエラーを返しました（{resp.status_code}）", retry=True)
        if resp.status_code in (401, 403, 404, 409, 422):
            detail = _detail(resp)
            found = _AVAILABLE.search(detail)
            raise HoldRefused(f"HQ がポイントの確保を断りました: {detail}",
                              status=resp.status_code,
                              available=int(found.group(1)) if found else None)
        if resp.status_code not in (200, 201):
            raise SyncError(f"HQ の応答が不正です（{resp.status_code}）", retry=True)
        try:
            return HoldState.model_validate_json(resp.content)
        except ValidationError as exc:
            raise SyncError("HQ の応答を読めません", retry=True) from exc

    def push_once(self) -> PushSummary:
        ops = self.store.pending_ops(self.batch_size)
        if not ops:
            return PushSummary()
        ids = [op.op_id for op in ops]
        self.worker.call(self.store.mark_sent, ids)
        body = PushRequest(ops=ops).model_dump(mode="json")
        started = time.monotonic()
        try:
            resp = self._request("POST", "/v1/sync/push", json=body)
            parsed = PushResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            self.worker.call(self.store.record_push_error, ids, "HQ の応答を読めません")
            raise SyncError("HQ の応答を読めません", retry=True) from exc
        except SyncError as exc:
            self.worker.call(self.store.record_push_error, ids, str(exc))
            if exc.retry:
                self.batch_size = max(MIN_BATCH, self.batch_size // 2)
            raise
        if time.monotonic() - started < FAST_ROUND_S:
            self.batch_size = min(MAX_PUSH_BATCH, self.batch_size * 2)
        sent = set(ids)
        results = [r for r in parsed.results if r.op_id in sent]
        missing = sent - {r.op_id for r in results}
        if missing:
            # Keep what was answered; the rest stays queued and goes again.
            self.worker.call(self.store.record_push_error, sorted(missing),
                             "HQ の応答に含まれていません")
        self.worker.call(self.store.record_push_results, results)
        count = {s: 0 for s in ("applied", "duplicate", "rejected", "parked")}
        for r in results:
            count[r.status] += 1
            if r.status == "rejected":
                self.events.emit("op_rejected", r.op_id, r.reason)
        return PushSummary(len(ops), count["applied"], count["duplicate"],
                           count["rejected"], count["parked"])

    def push_all(self, *, max_rounds: int = 1000) -> PushSummary:
        """Push until the queue is empty (bounded; a huge backlog continues next round)."""
        total = PushSummary()
        for _ in range(max_rounds):
            s = self.push_once()
            total = total + s
            if s.sent == 0 or not self.store.pending_ops(1):
                break
            self.events.emit("push_progress", total.sent, self.store.outbox_counts())
        return total

    def pull_once(self, *, max_pages: int = 1000) -> int:
        """Pull until HQ has nothing more (bounded), one transaction per page."""
        total = 0
        first_run = self.store.pull_cursor() == 0
        for _ in range(max_pages):
            resp = self._request("GET", "/v1/sync/pull",
                                 params={"cursor": self.store.pull_cursor()})
            try:
                page = PullResponse.model_validate_json(resp.content)
            except ValidationError as exc:
                raise SyncError("HQ の応答を読めません", retry=True) from exc
            if page.cursor < self.store.pull_cursor():
                # An HQ restored from an old backup, or a different HQ: do not go back.
                raise SyncError("HQ のカーソルが巻き戻りました。管理者に連絡してください",
                                retry=False)
            total += self.worker.call(self.store.apply_pull, page)
            if first_run:
                self.events.emit("bootstrap_progress", total, page.has_more)
            if not page.has_more:
                break
        return total

    def sync_once(self) -> tuple[PushSummary, int]:
        """Push everything queued, then pull. Announces online/offline and progress."""
        self._rounds += 1
        try:
            pushed = self.push_all()
            pulled = self.pull_once()
        except SyncError as exc:
            self.failures += 1
            self._set_online(False, str(exc))
            raise
        self.failures = 0
        self.last_sync_at = time.time()
        self._set_online(True, "")
        self.events.emit("synced", pushed, pulled)
        return pushed, pulled

    def _set_online(self, online: bool, reason: str) -> None:
        if self.online != online:
            self.online = online
            self.events.emit("online_changed", online, reason)

    # -- background thread ----------------------------------------------------------

    def start(self, interval: float = 15.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(interval,),
                                        name="tamaru-sync", daemon=True)
        self._thread.start()

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._http.close()
        self._counter_http.close()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once()
                delay = interval
            except SyncError as exc:
                delay = backoff_delay(self.failures, self.rng)
                log.warning("sync failed (%s); next try in %.0f s", exc, delay)
            except Exception:
                log.exception("sync round crashed")
                delay = interval
            self._wake.wait(delay)
            self._wake.clear()


def _detail(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return data["detail"]
    return str(data)[:200]
