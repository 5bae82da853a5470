"""The sync client: pushes the outbox to HQ and pulls HQ's changes, on its own thread.

Transport failures and 5xx answers leave ops queued, to be resent unchanged (HQ
recognises them by op_id). A refusal of the whole request (401/403) stops pushing until
someone fixes the register's credentials, because retrying cannot help. The batch size
adapts: it grows while HQ answers quickly and halves after a timeout or 5xx, so a
register coming back from a long outage neither trickles nor times out. Ops go out as
the outbox stored them, and HQ's answers are written back in one plain-SQL transaction
per batch, so a long backlog drains at close to HQ's own ingest rate.

After the pull, two checks. Parked ops (returns HQ holds until their sale arrives) are
asked about again by pushing them once more, and those parked too long are announced so
the screen can show them (`watch_parked`). Members whose cached ledger may be behind HQ
or does not add up are fetched again, one by one, from HQ's member look-up
(`resync_members`).

Online redemption holds (`create_hold`, `void_hold`) are asked for by the counter while
a customer waits, so they go through a second HTTP client with a short timeout: a slow
HQ turns into the offline policy within seconds, and the sync thread's client is never
shared between threads.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    MemberLookup,
    OpResult,
    PullResponse,
    PushResponse,
)
from sync.store import ParkedOp, RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

MIN_BATCH = 1
PROGRESS_EVERY_S = 0.5
# A parked op (a return whose sale HQ has not seen) is asked about again after any round
# that moved something, and at least this often; it is announced as overdue after
# PARKED_ALERT_S, when a sale that should have followed probably never will (a register
# lost, an op refused) and someone has to look.
PARKED_RECHECK_S = 300.0
PARKED_ALERT_S = 4 * 3600.0
MAX_RESYNC_PER_ROUND = 50
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


@dataclass(frozen=True)
class ParkedStatus:
    """Ops HQ holds back for now, and those held longer than the client's alert time."""

    count: int
    overdue: tuple[ParkedOp, ...]


@dataclass(frozen=True)
class HqAddress:
    """Where HQ is and how this register proves itself: what every other client of the
    same HQ (member look-ups, the phone key) is made with. `repr` leaves the token out."""

    url: str
    token: str = field(repr=False)
    ca_file: Path | None = None


def check_hq_url(url: str) -> str:
    """Plain HTTP only to a loopback HQ: a register token must not cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url.rstrip("/")
    raise ValueError(f"HQ の URL は https:// で指定してください（{url}）")


def tls_context(url: str, ca_file: Path | str | None = None) -> ssl.SSLContext:
    """The verifying TLS context for HQ at `url`, made once per trust store and shared by
    every client: loading a CA bundle costs about a tenth of a second, which each new
    `httpx.Client` paid again at start-up.

    With `ca_file` (a chain's private CA) only that CA is trusted; otherwise the public
    bundle. A plain-HTTP HQ (loopback only, `check_hq_url`) gets a context that trusts
    nothing, so a redirect to HTTPS fails closed instead of loading a bundle for nothing.
    """
    if urlsplit(url).scheme == "http":
        return _trusting_nothing()
    return _verifying(str(ca_file) if ca_file else None)


@functools.cache
def _verifying(ca_file: str | None) -> ssl.SSLContext:
    if ca_file is not None:
        return ssl.create_default_context(cafile=ca_file)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@functools.cache
def _trusting_nothing() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no CA to trust


def unreachable(exc: BaseException) -> str:
    """What to tell the store when HQ could not be reached: a certificate HQ's address
    does not prove is said as such (someone must fix the CA setting or HQ's certificate),
    anything else names only the exception's type (its text may carry the URL)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ("HQ の証明書を確認できません。HQ のアドレスと、本部独自の証明書なら"
                    "設定の hq.ca_file を確認してください")
        cause = cause.__cause__ or cause.__context__
    return f"HQ に接続できません（{type(exc).__name__}）"


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
        parked_recheck_s: float = PARKED_RECHECK_S,
        parked_alert_s: float = PARKED_ALERT_S,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.events = events or EventBus()
        self.batch_size = max(MIN_BATCH, min(batch_size, MAX_PUSH_BATCH))
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
        self.last_sync_at: float | None = None
        self.parked_recheck_s = parked_recheck_s
        self.parked_alert_s = parked_alert_s
        self.clock = clock or (lambda: datetime.now(UTC))
        self.parked = ParkedStatus(0, ())
        self._parked_checked = float("-inf")
        self._parked_seen: set[str] = set()
        self._parked_alerted: set[str] = set()
        self._answered: set[str] = set()  # members whose cache this round's answers wrote
        self._checked_all = False

    @property
    def hq(self) -> HqAddress:
        return self._hq

    # -- one round ------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise SyncError("HQ の応答がタイムアウトしました", retry=True) from exc
        except httpx.HTTPError as exc:
            # The exception text can carry the URL but never our headers; keep it short.
            raise SyncError(unreachable(exc), retry=True) from exc
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
            raise SyncError(unreachable(exc), retry=True) from exc
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
        batch = self.store.pending_batch(self.batch_size)
        if not batch:
            return PushSummary()
        ids = [op.op_id for op in batch]
        self.worker.call(self.store.mark_sent, ids)
        started = time.monotonic()
        results = self._post_ops([op.body for op in batch], ids)
        if time.monotonic() - started < FAST_ROUND_S:
            self.batch_size = min(MAX_PUSH_BATCH, self.batch_size * 2)
        return self._take_answers(ids, results)

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
            raise SyncError("HQ の応答を読めません", retry=True) from exc
        except SyncError as exc:
            self.worker.call(self.store.record_push_error, ids, str(exc))
            if exc.retry:
                self.batch_size = max(MIN_BATCH, self.batch_size // 2)
            raise
        sent = set(ids)
        return [r for r in parsed.results if r.op_id in sent]

    def _take_answers(self, ids: list[str], results: list[OpResult]) -> PushSummary:
        missing = set(ids) - {r.op_id for r in results}
        if missing:
            # Keep what was answered; the rest stays queued and goes again.
            self.worker.call(self.store.record_push_error, sorted(missing),
                             "HQ の応答に含まれていません")
        self._answered |= self.worker.call(self.store.record_push_results, results)
        count = {s: 0 for s in ("applied", "duplicate", "rejected", "parked")}
        for r in results:
            count[r.status] += 1
            if r.status == "rejected":
                self.events.emit("op_rejected", r.op_id, r.reason)
            elif r.status == "parked" and r.op_id not in self._parked_seen:
                self._parked_seen.add(r.op_id)
                self.events.emit("op_parked", r.op_id, r.member_id)
        return PushSummary(len(ids), count["applied"], count["duplicate"],
                           count["rejected"], count["parked"])

    def push_all(self, *, max_rounds: int = 1000) -> PushSummary:
        """Push until the queue is empty (bounded; a huge backlog continues next round)."""
        total = PushSummary()
        last_progress = 0.0
        for _ in range(max_rounds):
            s = self.push_once()
            total = total + s
            if s.sent == 0 or not self.store.pending_batch(1):
                break
            # Counting the outbox reads every row's state: a few times a second is
            # enough for a progress bar, and a long backlog is drained faster.
            now = time.monotonic()
            if now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
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
        """Push everything queued, then pull, then look again at parked ops and at members
        whose cache may be wrong. Announces online/offline and progress."""
        self._rounds += 1
        try:
            pushed = self.push_all()
            pulled = self.pull_once()
            self.watch_parked(moved=pushed.applied > 0 or pulled > 0)
            self.resync_members()
        except SyncError as exc:
            self.failures += 1
            self._set_online(False, str(exc))
            raise
        self.failures = 0
        self.last_sync_at = time.time()
        self._set_online(True, "")
        self.events.emit("synced", pushed, pulled)
        return pushed, pulled

    # -- parked ops -------------------------------------------------------------------

    def watch_parked(self, *, moved: bool = False, force: bool = False) -> ParkedStatus:
        """Ask HQ again about parked ops, and report the ones that wait too long.

        A parked op is asked about by pushing it again (HQ decides it then if its sale
        has arrived, and otherwise answers `parked` again), after a round that changed
        something — our ops applied, or the feed moved, which is how another register's
        sale shows — or every `parked_recheck_s` regardless. One still parked after
        `parked_alert_s` is announced once as `op_parked_overdue`; `parked_changed`
        carries the count and the overdue ones whenever they change, for the screen.
        """
        parked = self.store.parked_ops(MAX_PUSH_BATCH)
        now = time.monotonic()
        due = force or moved or now - self._parked_checked >= self.parked_recheck_s
        if parked and due:
            self._parked_checked = now
            ids = [op.op_id for op in parked]
            results = self._post_ops([op.body for op in parked], ids)
            self._answered |= self.worker.call(self.store.record_push_results, results)
            for r in results:
                if r.status != "parked":
                    self._parked_seen.discard(r.op_id)
                    self._parked_alerted.discard(r.op_id)
                    self.events.emit("parked_resolved", r.op_id, r.status, r.reason)
                    if r.status == "rejected":
                        self.events.emit("op_rejected", r.op_id, r.reason)
            parked = self.store.parked_ops(MAX_PUSH_BATCH)
        wall = self.clock()
        overdue = tuple(op for op in parked
                        if (wall - op.parked_since).total_seconds() >= self.parked_alert_s)
        for op in overdue:
            if op.op_id not in self._parked_alerted:
                self._parked_alerted.add(op.op_id)
                self.events.emit("op_parked_overdue", op.op_id, op.member_id, op.parked_since,
                                 op.sale_op_id)
        status = ParkedStatus(len(parked), overdue)
        if (status.count, [o.op_id for o in overdue]) != (
                self.parked.count, [o.op_id for o in self.parked.overdue]):
            self.events.emit("parked_changed", status)
        self.parked = status
        return status

    # -- members whose cache does not add up ------------------------------------------

    def resync_members(self, *, limit: int = MAX_RESYNC_PER_ROUND) -> dict[str, str]:
        """Fetch again from HQ the members whose cached ledger may be wrong.

        Checked: the members this round's answers touched, the ones a pull had to skip
        or an answer replayed, and on the first round every cached member (what a
        restart forgot). Each is replaced from `GET /v1/members/{member_no}`, HQ's own
        view now, announced as `member_resynced`. Returns {member_id: why}.
        """
        touched, self._answered = self._answered, set()
        suspects = self.worker.call(self.store.members_to_resync, touched,
                                    everyone=not self._checked_all, limit=limit)
        self._checked_all = True
        done: dict[str, str] = {}
        for member_id, why in suspects.items():
            member = self.store.member(member_id)
            if member is None:
                continue
            resp = self._request_member(member.member_no)
            if resp is None:
                self.worker.call(self.store.forget_stale, member_id)
                continue
            if self.worker.call(self.store.apply_member_lookup, resp):
                done[member_id] = why
                log.info("member %s fetched again from HQ (%s)", member_id, why)
                self.events.emit("member_resynced", member_id, why)
        return done

    def _request_member(self, member_no: str) -> MemberLookup | None:
        try:
            resp = self._http.get(f"/v1/members/{member_no}")
        except httpx.HTTPError as exc:
            raise SyncError(unreachable(exc), retry=True) from exc
        if resp.status_code == 404:
            return None  # renumbered or merged away: the feed brings what replaced it
        if resp.status_code != 200:
            raise SyncError(f"HQ の応答が不正です（{resp.status_code}: {_detail(resp)}）",
                            retry=resp.status_code not in (401, 403))
        try:
            return MemberLookup.model_validate_json(resp.content)
        except ValidationError as exc:
            raise SyncError("HQ の応答を読めません", retry=True) from exc

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
