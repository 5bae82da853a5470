"""The sync client: pushes the outbox to HQ and pulls HQ's changes, on its own thread.

Transport failures and 5xx answers leave ops queued, to be resent unchanged (HQ
recognises them by op_id). A refusal of the whole request (401/403) stops sync and is
announced, because retrying cannot fix it.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from sync.events import EventBus
from sync.protocol import MAX_PUSH_BATCH, PullResponse, PushRequest, PushResponse
from sync.store import RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)


class SyncError(Exception):
    """A sync round that failed; `retry` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class PushSummary:
    sent: int
    applied: int
    duplicate: int
    rejected: int
    parked: int


def check_hq_url(url: str) -> str:
    """Plain HTTP only to a loopback HQ: a register token must not cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url.rstrip("/")
    raise ValueError(f"HQ の URL は https:// で指定してください（{url}）")


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
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events or EventBus()
        self.batch_size = min(batch_size, MAX_PUSH_BATCH)
        self._http = httpx.Client(
            base_url=check_hq_url(base_url),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.online: bool | None = None

    # -- one round ------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise SyncError(f"HQ に接続できません: {type(exc).__name__}", retry=True) from exc
        if resp.status_code >= 500:
            raise SyncError(f"HQ がエラーを返しました（{resp.status_code}）", retry=True)
        if resp.status_code in (401, 403):
            raise SyncError(f"HQ が拒否しました: {_detail(resp)}", retry=False)
        if resp.status_code != 200:
            raise SyncError(f"HQ の応答が不正です（{resp.status_code}: {_detail(resp)}）", retry=True)
        return resp

    def push_once(self) -> PushSummary:
        ops = self.store.pending_ops(self.batch_size)
        if not ops:
            return PushSummary(0, 0, 0, 0, 0)
        ids = [op.op_id for op in ops]
        self.worker.call(self.store.mark_sent, ids)
        body = PushRequest(ops=ops).model_dump(mode="json")
        try:
            resp = self._request("POST", "/v1/sync/push", json=body)
            parsed = PushResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            self.worker.call(self.store.record_push_error, ids, "HQ の応答を読めません")
            raise SyncError("HQ の応答を読めません", retry=True) from exc
        except SyncError as exc:
            self.worker.call(self.store.record_push_error, ids, str(exc))
            raise
        answered = {r.op_id for r in parsed.results}
        if answered != set(ids):
            # Keep what was answered; the rest stays queued and goes again.
            self.worker.call(self.store.record_push_error, sorted(set(ids) - answered),
                             "HQ の応答に含まれていません")
        self.worker.call(self.store.record_push_results,
                         [r for r in parsed.results if r.op_id in set(ids)])
        count = {s: 0 for s in ("applied", "duplicate", "rejected", "parked")}
        for r in parsed.results:
            count[r.status] += 1
            if r.status == "rejected":
                self.events.emit("op_rejected", r.op_id, r.reason)
        return PushSummary(len(ops), count["applied"], count["duplicate"],
                           count["rejected"], count["parked"])

    def pull_once(self, *, max_pages: int = 100) -> int:
        """Pull until HQ has nothing more (bounded), one transaction per page."""
        total = 0
        for _ in range(max_pages):
            resp = self._request("GET", "/v1/sync/pull",
                                 params={"cursor": self.store.pull_cursor()})
            try:
                page = PullResponse.model_validate_json(resp.content)
            except ValidationError as exc:
                raise SyncError("HQ の応答を読めません", retry=True) from exc
            total += self.worker.call(self.store.apply_pull, page)
            if not page.has_more:
                break
        return total

    def sync_once(self) -> tuple[PushSummary, int]:
        """Push everything queued, then pull. Announces online/offline and progress."""
        try:
            summaries = []
            for _ in range(1000):  # bounded: a huge backlog is finished on the next round
                s = self.push_once()
                summaries.append(s)
                if s.sent < self.batch_size:
                    break
            pulled = self.pull_once()
        except SyncError as exc:
            self._set_online(False, str(exc))
            raise
        self._set_online(True, "")
        total = PushSummary(*(sum(getattr(s, f) for s in summaries)
                              for f in ("sent", "applied", "duplicate", "rejected", "parked")))
        self.events.emit("synced", total, pulled)
        return total, pulled

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
            self._thread.join(timeout=15)
        self._http.close()

    def _run(self, interval: float) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.sync_once()
                failures = 0
                delay = interval
            except SyncError as exc:
                failures += 1
                # Back off with jitter so registers coming back after an outage do not
                # all hit HQ in the same second.
                delay = min(300.0, 2.0 ** min(failures, 8)) * random.uniform(0.5, 1.0)
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
