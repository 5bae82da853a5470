"""The sync client: pushes the outbox to HQ and pulls HQ's changes, on its own thread.

What an answer makes the client do:

- Transport failures, timeouts, 408, 429 and 5xx leave ops queued, to be resent
  unchanged (HQ recognises them by op_id), after a backoff (`backoff_delay`).
- 401/403 refuse the register itself (a revoked or unknown token): retrying cannot help,
  so the sync thread stops pushing and pulling, says so (`sync_halted`, and
  `online_changed` to offline), and waits until someone presses "sync now" or gives it
  new credentials (`replace_token`). A feed cursor that went back (HQ restored from a
  backup, or another HQ) stops it the same way.
- 400/422 to a push refuse what was sent: one op HQ will never accept (a malformed op,
  one an older HQ cannot read) must not stop the queue, so the batch is bisected until
  that op is alone, and it is recorded here as refused with HQ's reason (`op_rejected`,
  as a business refusal is, and likewise no longer counted in the member's balance);
  the ops around it go on. When POISON_LIMIT ops in a row are refused alone with nothing
  accepted between them, the refusal is about the register, not about ops (HQ and the
  register disagree on the protocol): those ops go back in the queue and the thread
  stops as above.
- Any other 4xx refuses the request as a whole (413 too large, 426 upgrade required, a
  proxy's 404): it is reported with its status, and not tried again for MAX_BACKOFF_S.
  A 413 first halves the batch, since a smaller request may pass.

The batch size adapts both ways (`_adapt`): it doubles after an answer within a tenth
of the request timeout, halves after one slower than half the timeout or after a
timeout or 5xx, and stays put in between, so a register back from a long outage
neither trickles nor times out, and a slow HQ is given smaller batches before it times
out. Ops go out as the outbox stored them, and HQ's answers are written back in one
plain-SQL transaction per batch, so a long backlog drains at close to HQ's own rate.

After the pull, parked ops and members whose cache may be wrong are looked at again
(`sync.client_checks`). Online redemption holds (`create_hold`, `void_hold`) are asked
for by the counter while a customer waits, so they go through a second HTTP client with
a short timeout: a slow HQ turns into the offline policy within seconds, and the sync
thread's client is never shared between threads.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import ValidationError

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.client_checks import MAX_RESYNC_PER_ROUND, ChecksMixin, ParkedStatus
from sync.events import EventBus
from sync.hq_link import (
    MAX_BACKOFF_S,
    HqAddress,
    SyncError,
    backoff_delay,
    check_hq_url,
    detail_of,
    tls_context,
    unreachable,
)
from sync.protocol import (
    DEFAULT_HOLD_TTL_S,
    MAX_PUSH_BATCH,
    HoldRequest,
    HoldState,
    OpResult,
    PullResponse,
    PushResponse,
)
from sync.store import PendingOp, RegisterStore
from sync.worker import StoreWorker

__all__ = [
    "MAX_BACKOFF_S", "MAX_RESYNC_PER_ROUND", "HoldRefused", "HqAddress", "ParkedStatus", "PushSummary",
    "SyncClient", "SyncError", "backoff_delay", "check_hq_url", "tls_context", "unreachable",
]

log = logging.getLogger(__name__)

# What the store is told (translated on screen through the "core" context). HQ's own
# `detail` is HQ's text, shown as it came.
HQ_ERROR = QT_TRANSLATE_NOOP("core", "HQ がエラーを返しました（{status}）")
REGISTER_REFUSED = QT_TRANSLATE_NOOP(
    "core", "HQ がこのレジを受け付けません（{status}: {detail}）。レジの登録（トークン）を確認してください")
TOO_LARGE = QT_TRANSLATE_NOOP("core", "送信が大きすぎます（{status}: {detail}）")
OTHER_PROTOCOL = QT_TRANSLATE_NOOP(
    "core", "HQ が別のプロトコルのバージョンを求めています。レジのソフトウェアを更新してください"
    "（{status}: {detail}）")
NOT_ACCEPTED = QT_TRANSLATE_NOOP("core", "HQ が要求を受け付けません（{status}: {detail}）")
HOLD_REFUSED_BY_HQ = QT_TRANSLATE_NOOP("core", "HQ がポイントの確保を断りました: {detail}")
BAD_ANSWER = QT_TRANSLATE_NOOP("core", "HQ の応答が不正です（{status}）")
VERSION_MISMATCH = QT_TRANSLATE_NOOP(
    "core", "HQ がこのレジの取引を続けて受け付けません。HQ とレジのバージョンを確認してください（{reason}）")

MIN_BATCH = 1
PROGRESS_EVERY_S = 0.5
# A parked op (a return whose sale HQ has not seen) is asked about again after any round
# that moved something, and at least this often; it is announced as overdue after
# PARKED_ALERT_S, when a sale that should have followed probably never will (a register
# lost, an op refused) and someone has to look.
PARKED_RECHECK_S = 300.0
PARKED_ALERT_S = 4 * 3600.0
# Batch adaptation, as fractions of the request timeout: doubling an answer under a
# tenth stays well under a half, so the two rules never chase each other.
GROW_WITHIN = 0.1
SHRINK_PAST = 0.5
POISON_LIMIT = 3
HOLD_TIMEOUT_S = 3.0  # a customer is waiting: after this, the offline policy decides
RETRYABLE_4XX = (408, 429)  # HQ (or a proxy) asks to come back later


class HoldRefused(SyncError):
    """HQ answered and refused the hold (not enough available points, a blocked member).

    `available` is what HQ said the member may still use, when it said so.
    """

    def __init__(self, message: str, *, status: int, available: int | None = None) -> None:
        super().__init__(message, retry=False, status=status)
        self.available = available


class OpsRefused(SyncError):
    """HQ refused a push for what it carried (400/422): some op in it is unacceptable."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HQ が取引を受け付けません（{status}: {detail}）", retry=True,
                         status=status)
        self.reason = f"invalid_op ({status}): {detail}"


@dataclass(frozen=True)
class _Writing:
    """A batch's answers being written by the store thread."""

    future: Future[set[str]]
    results: list[OpResult]


class TimedOut(SyncError):
    """HQ did not answer within the timeout: the batch may be too large for it now."""


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


class SyncClient(ChecksMixin):
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
        parked_recheck_s: float = PARKED_RECHECK_S,
        parked_alert_s: float = PARKED_ALERT_S,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events or EventBus()
        self.batch_size = max(MIN_BATCH, min(batch_size, MAX_PUSH_BATCH))
        self.timeout = timeout
        self.rng = rng or random.Random()
        # A private CA (a chain's own HQ certificate) is trusted in addition to nothing
        # else: verification is never switched off.
        verify = tls_context(base_url, ca_file)
        self._hq = HqAddress(check_hq_url(base_url), token, ca_file)
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
        # Why the thread stopped syncing (a refusal retrying cannot fix), or None.
        self.halted: str | None = None
        self.last_sync_at: float | None = None
        self.last_wait_s = 0.0  # the thread's last wait between rounds
        self.parked_recheck_s = parked_recheck_s
        self.parked_alert_s = parked_alert_s
        self.clock = clock or (lambda: datetime.now(UTC))
        self.parked = ParkedStatus(0, ())
        self._parked_checked = float("-inf")
        self._parked_seen: set[str] = set()
        self._parked_alerted: set[str] = set()
        self._answered: set[str] = set()  # members whose cache this round's answers wrote
        self._checked_all = False
        self._refused_streak: list[str] = []  # ops refused alone since HQ last took one
        # Ops HQ refused as `device_seq_regressed` are offered again once per client (a
        # restart) and after new credentials: re-registration is what lets HQ take them.
        self._offer_regressed = True

    @property
    def hq(self) -> HqAddress:
        return self._hq

    def replace_token(self, token: str) -> None:
        """New credentials (the register provisioned again): used from the next request,
        and a thread stopped by a refused token tries again at once."""
        self._hq = HqAddress(self._hq.url, token, self._hq.ca_file)
        for client in (self._http, self._counter_http):
            client.headers["Authorization"] = f"Bearer {token}"
        self._offer_regressed = True
        self.sync_now()

    # -- one round ------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise TimedOut("HQ の応答がタイムアウトしました", retry=True) from exc
        except httpx.HTTPError as exc:
            # The exception text can carry the URL but never our headers; keep it short.
            raise SyncError(unreachable(exc), retry=True) from exc
        status = resp.status_code
        if status == 200:
            return resp
        if status >= 500 or status in RETRYABLE_4XX:
            raise SyncError(Message(HQ_ERROR, status=status), retry=True, status=status)
        if status in (401, 403):
            raise SyncError(Message(REGISTER_REFUSED, status=status, detail=detail_of(resp)),
                            retry=False, status=status)
        if status in (400, 422) and path == "/v1/sync/push":
            raise OpsRefused(status, detail_of(resp))
        what = {413: TOO_LARGE, 426: OTHER_PROTOCOL}.get(status, NOT_ACCEPTED)
        raise SyncError(Message(what, status=status, detail=detail_of(resp)), retry=True,
                        wait_s=MAX_BACKOFF_S, status=status)

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
            raise SyncError(unreachable(exc), retry=True) from exc
        if resp.status_code >= 500:
            raise SyncError(Message(HQ_ERROR, status=resp.status_code), retry=True)
        if resp.status_code in (401, 403, 404, 409, 422):
            detail = detail_of(resp)
            found = _AVAILABLE.search(detail)
            raise HoldRefused(Message(HOLD_REFUSED_BY_HQ, detail=detail),
                              status=resp.status_code,
                              available=int(found.group(1)) if found else None)
        if resp.status_code not in (200, 201):
            raise SyncError(Message(BAD_ANSWER, status=resp.status_code), retry=True)
        try:
            return HoldState.model_validate_json(resp.content)
        except ValidationError as exc:
            raise SyncError("HQ の応答を読めません", retry=True) from exc

    # -- pushing ----------------------------------------------------------------------

    def push_once(self) -> PushSummary:
        """Push the oldest batch of the outbox; an op HQ refuses alone is set aside."""
        summary, writing, _ = self._push_batch(0, None)
        self._finish(writing)
        return summary

    def _push_batch(self, after_seq: int, writing: _Writing | None
                    ) -> tuple[PushSummary, _Writing | None, int]:
        """Post the oldest batch after `after_seq` and have its answers written.

        The answers are written by the store thread while this thread goes on to the next
        batch (`writing` is the previous batch's write, finished here before anything
        else is written): on a long backlog the register's own work then overlaps HQ's.
        The ops are not marked as sent first: that was a commit per batch for a state
        nothing reads, and an op waiting for its answer is pending either way. Returns
        the summary, the write still running, and the device_seq to take the next batch
        after (0 when the outbox is up to date again).
        """
        while True:
            batch = self.store.pending_batch(self.batch_size, after_seq=after_seq)
            if not batch:
                return PushSummary(), writing, after_seq
            ids = [op.op_id for op in batch]
            started = time.monotonic()
            try:
                results = self._post_ops([op.body for op in batch], ids)
            except OpsRefused as exc:
                self._finish(writing)
                try:
                    return self._isolate(batch, exc), None, 0
                except SyncError as stopped:
                    # Whatever the bisection did not get answered goes back in the queue.
                    self.worker.call(self.store.record_push_error, ids, str(stopped))
                    raise
            except SyncError as exc:
                if exc.status == 413 and len(batch) > 1:
                    # Too large as a request: a smaller one may pass, so no waiting
                    # (bounded: the batch halves each time, and one op refused so raises).
                    self.batch_size = max(MIN_BATCH, len(batch) // 2)
                    continue
                self._finish(writing)
                raise
            self._adapt(len(batch), time.monotonic() - started)
            self._finish(writing)
            summary, writing = self._take_answers(ids, results, wait=False)
            return summary, writing, batch[-1].device_seq

    def _adapt(self, sent: int, seconds: float) -> None:
        """The batch-size rule (module docstring): ×2 when fast, ÷2 when slow."""
        if seconds < GROW_WITHIN * self.timeout:
            if sent >= self.batch_size:  # a short tail of the queue says nothing
                self.batch_size = min(MAX_PUSH_BATCH, self.batch_size * 2)
        elif seconds > SHRINK_PAST * self.timeout:
            self.batch_size = max(MIN_BATCH, self.batch_size // 2)

    def _isolate(self, batch: list[PendingOp], refused: OpsRefused) -> PushSummary:
        """Bisect a refused batch until the op HQ will not take is alone; in order, so
        the ops before it are answered before it is set aside."""
        if len(batch) == 1:
            return self._refuse_locally(batch[0], refused)
        mid = len(batch) // 2
        total = PushSummary()
        for half in (batch[:mid], batch[mid:]):
            ids = [op.op_id for op in half]
            try:
                results = self._post_ops([op.body for op in half], ids)
            except OpsRefused as exc:
                total = total + self._isolate(half, exc)
                continue
            total = total + self._take_answers(ids, results)[0]
        return total

    def _refuse_locally(self, op: PendingOp, refused: OpsRefused) -> PushSummary:
        self._refused_streak.append(op.op_id)
        if len(self._refused_streak) >= POISON_LIMIT:
            # Every op refused, whichever it is: HQ and this register disagree about the
            # protocol itself. The ops are not at fault; they wait for the fix.
            streak, self._refused_streak = self._refused_streak, []
            self.worker.call(self.store.requeue_refused, streak, str(refused))
            raise SyncError(Message(VERSION_MISMATCH, reason=refused.reason), retry=False,
                            status=refused.status)
        log.warning("op %s refused by HQ alone: %s", op.op_id, refused.reason)
        result = OpResult(op_id=op.op_id, status="rejected", reason=refused.reason,
                          member_id=op.member_id)
        self._answered |= self.worker.call(self.store.record_push_results, [result])
        self.events.emit("op_rejected", op.op_id, refused.reason)
        return PushSummary(sent=1, rejected=1)

    def _post_ops(self, bodies: list[str], ids: list[str]) -> list[OpResult]:
        """POST stored op bodies as one batch; HQ's answers to these ops, in its order.

        The bodies go out exactly as the outbox stored them: parsing them back into
        models and dumping them again would cost the register more than HQ spends
        deciding the batch, and could only change bytes, not the ops.
        """
        content = ('{"ops":[' + ",".join(bodies) + "]}").encode("utf-8")
        try:
            resp = self._request("POST", "/v1/sync/push", content=content,
                                 headers={"Content-Type": "application/json"})
            parsed = PushResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            self.worker.call(self.store.record_push_error, ids, "HQ の応答を読めません")
            raise SyncError("HQ の応答を読めません（同期の応答の形が違います）",
                            retry=True) from exc
        except OpsRefused:
            raise  # bisected by the caller: no op of the batch is known to be at fault yet
        except SyncError as exc:
            self.worker.call(self.store.record_push_error, ids, str(exc))
            if isinstance(exc, TimedOut) or (exc.status or 0) >= 500:
                self.batch_size = max(MIN_BATCH, self.batch_size // 2)
            raise
        sent = set(ids)
        return [r for r in parsed.results if r.op_id in sent]

    def _take_answers(self, ids: list[str], results: list[OpResult], *, wait: bool = True
                      ) -> tuple[PushSummary, _Writing | None]:
        """Check HQ's answers to a batch and have them written; with `wait`, written
        before this returns, otherwise the write is returned to be finished later."""
        if not results:
            # A 200 that answers none of the ops: nothing to record, and pushing the same
            # batch straight away would spin. They stay queued for the next round.
            self.worker.call(self.store.record_push_error, ids, "HQ の応答に結果がありません")
            raise SyncError("HQ の応答に送った取引の結果がありません", retry=True)
        missing = set(ids) - {r.op_id for r in results}
        if missing:
            # Keep what was answered; the rest stays queued and goes again.
            self.worker.call(self.store.record_push_error, sorted(missing),
                             "HQ の応答に含まれていません")
        self._refused_streak = []
        writing = _Writing(self.worker.submit(self.store.record_push_results, results), results)
        count = {s: 0 for s in ("applied", "duplicate", "rejected", "parked")}
        for r in results:
            count[r.status] += 1
        summary = PushSummary(len(ids), count["applied"], count["duplicate"],
                              count["rejected"], count["parked"])
        if wait:
            self._finish(writing)
            return summary, None
        return summary, writing

    def _finish(self, writing: _Writing | None) -> None:
        """Wait for a batch's answers to be written, then announce what needs announcing
        (after the write, so a listener reading the store sees the answer)."""
        if writing is None:
            return
        self._answered |= writing.future.result()
        for r in writing.results:
            if r.status == "rejected":
                self.events.emit("op_rejected", r.op_id, r.reason)
            elif r.status == "parked" and r.op_id not in self._parked_seen:
                self._parked_seen.add(r.op_id)
                self.events.emit("op_parked", r.op_id, r.member_id)

    def push_all(self, *, max_rounds: int = 1000) -> PushSummary:
        """Push until the queue is empty (bounded; a huge backlog continues next round).

        Each batch is taken after the last one sent, whose answers may still be being
        written; an op HQ left unanswered goes again next round."""
        total = PushSummary()
        last_progress = 0.0
        after_seq = 0
        writing: _Writing | None = None
        try:
            for _ in range(max_rounds):
                s, writing, after_seq = self._push_batch(after_seq, writing)
                total = total + s
                if s.sent == 0:
                    break
                # Counting the outbox reads every row's state: a few times a second is
                # enough for a progress bar, and a long backlog is drained faster.
                now = time.monotonic()
                if now - last_progress >= PROGRESS_EVERY_S:
                    last_progress = now
                    self.events.emit("push_progress", total.sent, self.store.outbox_counts())
        finally:
            self._finish(writing)
        return total

    # -- pulling ----------------------------------------------------------------------

    def pull_once(self, *, max_pages: int = 1000) -> int:
        """Pull until HQ has nothing more (bounded), one transaction per page."""
        total = 0
        first_run = self.store.pull_cursor() == 0
        for _ in range(max_pages):
            # Asking for the rank figures: an HQ from before them ignores the question.
            resp = self._request("GET", "/v1/sync/pull",
                                 params={"cursor": self.store.pull_cursor(),
                                         "rank_progress": "true"})
            try:
                page = PullResponse.model_validate_json(resp.content)
            except ValidationError as exc:
                raise SyncError("HQ の応答を読めません（更新の応答の形が違います）",
                                retry=True) from exc
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
        """Push everything queued, then pull, then look again at parked ops and at members
        whose cache may be wrong. Announces online/offline and progress."""
        self._rounds += 1
        try:
            if self._offer_regressed:
                again = self.worker.call(self.store.requeue_regressed)
                self._offer_regressed = False
                if again:
                    log.info("%d ops refused as device_seq_regressed offered again", again)
            pushed = self.push_all()
            pulled = self.pull_once()
            self.watch_parked(moved=pushed.applied > 0 or pulled > 0)
            self.resync_members()
        except SyncError as exc:
            self.failures += 1
            # The sentence itself (a Message keeps its template for the screen's language).
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            self._set_online(False, reason)
            if not exc.retry and self.halted is None:
                self.halted = reason
                log.error("sync stopped until someone acts: %s", exc)
                self.events.emit("sync_halted", reason)
            raise
        self.failures = 0
        self.halted = None
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
        """Run a round now; a thread stopped by a refusal tries once more."""
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
            delay: float | None
            try:
                self.sync_once()
                delay = interval
            except SyncError as exc:
                if not exc.retry:
                    delay = None  # until sync_now() or replace_token()
                    log.warning("sync stopped (%s); waiting for someone to act", exc)
                else:
                    delay = max(backoff_delay(self.failures, self.rng), exc.wait_s)
                    log.warning("sync failed (%s); next try in %.0f s", exc, delay)
            except Exception:
                log.exception("sync round crashed")
                delay = interval
            self.last_wait_s = float("inf") if delay is None else delay
            self._wake.wait(delay)
            self._wake.clear()
