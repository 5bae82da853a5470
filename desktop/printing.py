"""The print queue: receipts print on their own thread, after the op is committed.

A failed print never undoes a sale: the receipt stays in the database, marked failed, and
can be printed again. Every call here returns at once; all printer I/O happens on the
queue's thread, one job at a time. What happens to a job depends on why it failed:

- the printer cannot be reached, stops answering or drops the connection (a cable, a
  power blip, a busy Wi-Fi): tried again after a short pause, a few times (`RETRY_DELAYS`,
  three tries within about ten seconds), then marked failed;
- paper out, cover open, a printer fault: nothing would print until someone fixes it, so
  the queue announces it and waits, with this job first, for `retry()` ("paper
  replaced") or `set_aside()` (print them later from the list);
- anything else (no Japanese font, no permission, a broken stored receipt): marked
  failed at once; trying again would fail the same way.

A receipt the member already has (marked printed) only ever prints again as a 再発行
copy, whether through `reprint(receipt_no)` or `print_receipt(op_id)`. On start-up the
queue lists what a crash left unprinted (`pending()`) and prints only what is recent.

Every receipt is printed with the store's own lines (`ReceiptOptions`: under the store
name, a footer line), whichever flow stored it. When the options ask for a store copy
(お店控え) of that kind of receipt (returns and adjustments, sales too if chosen), the
copy is printed right after the member's receipt, once, each time the original comes
out: never after a 再発行 copy. A copy that fails is said (`print_failed`) but leaves the
receipt's own print state alone: the member has theirs; a 再発行 serves the store.

Events (on the bus, from the queue's thread): `receipt_printed(op_id)`,
`print_failed(op_id, reason)` whenever a job ends unprinted or the queue stops for the
cashier, `print_retrying(op_id, reason, attempt)` before a pause, `print_waiting(op_id,
reason)` when the queue waits for `retry()`. Reasons are Japanese, for the cashier.
`print_status(PrintStatus)` follows every change of what the counter shows about the
printer (jobs queued, waiting, retrying, receipts left unprinted); `status()` gives the
same snapshot from memory, without touching the database.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from desktop.receipts import (
    ReceiptOptions,
    build_reprint,
    build_store_copy,
    receipt_from_dict,
    stored_receipt_no,
    with_store_lines,
)
from devices.printers import (
    REASON_BUSY,
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_NO_ANSWER,
    REASON_NOT_FOUND,
    REASON_OFFLINE,
    REASON_PAPER_OUT,
    REASON_PRINTER_FAULT,
    REASON_UNREACHABLE,
    Printer,
    PrinterError,
)
from devices.receipt import Receipt
from sync.events import EventBus
from sync.store import RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

# Pauses before the second and third tries: a printer that is back within ~10 s prints
# the receipt while the member is still at the counter.
RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0)
# Receipts left unprinted by a crash print on start-up only if this recent: an older one
# would come out long after its member left, so it waits in `pending()` for a reprint.
RESUME_WITHIN = timedelta(minutes=5)

TRANSIENT_REASONS = frozenset({REASON_UNREACHABLE, REASON_NO_ANSWER, REASON_CONNECTION_LOST,
                               REASON_OFFLINE, REASON_BUSY, REASON_NOT_FOUND})
ATTENTION_REASONS = frozenset({REASON_PAPER_OUT, REASON_COVER_OPEN, REASON_PRINTER_FAULT})
REASON_UNREADABLE = "レシートの内容を読み取れません"
REASON_UNKNOWN = "印刷できませんでした"

DEFAULT_TZ = ZoneInfo("Asia/Tokyo")

@dataclass(frozen=True)
class UnprintedReceipt:
    """A receipt the member has not been given, as the cashier's list shows it."""

    op_id: str
    receipt_no: str
    state: str  # "pending" (never tried) or "failed"
    attempts: int
    error: str | None
    queued: bool  # in the queue now (it will print without anyone asking)


@dataclass(frozen=True)
class PrintStatus:
    """What the counter shows about printing, as of one moment."""

    queued: int = 0  # jobs waiting or printing
    waiting: str | None = None  # why the queue waits for `retry()` (paper, cover, fault)
    retrying: str | None = None  # the reason a job is being tried again
    attempt: int = 0  # of the job being retried
    unprinted: tuple[str, ...] = ()  # receipt numbers left unprinted, oldest first
    unprinted_count: int = 0  # may exceed the numbers known
    last_error: str | None = None  # why the latest job ended unprinted
    last_receipt: str | None = None  # receipt number of the latest receipt asked for

    @property
    def trouble(self) -> bool:
        return bool(self.waiting or self.retrying or self.unprinted_count)


@dataclass(frozen=True)
class _Job:
    op_id: str
    reprint_at: datetime | None = None  # set: print a 再発行 copy made at this time
    again: bool = False  # asked for again by the cashier (`reprint_last`)
    store_copy: bool = False  # the store's copy (お店控え), after the member's receipt

    @property
    def receipt(self) -> bool:
        """A job for the member's receipt itself (which may still print as a 再発行 copy
        if they already have it), not one asked for as a copy."""
        return self.reprint_at is None and not self.store_copy


class PrintQueue:
    def __init__(self, printer: Printer, store: RegisterStore, worker: StoreWorker,
                 events: EventBus, *, tz: tzinfo = DEFAULT_TZ,
                 retry_delays: Sequence[float] = RETRY_DELAYS,
                 resume_within: timedelta = RESUME_WITHIN,
                 clock: Callable[[], datetime] | None = None,
                 options: ReceiptOptions | None = None) -> None:
        self.printer = printer
        self.store = store
        self.worker = worker
        self.events = events
        self.tz = tz
        self.retry_delays = tuple(retry_delays)
        self.resume_within = resume_within
        self.clock = clock or (lambda: datetime.now(tz))
        self.options = options or ReceiptOptions()
        self._cond = threading.Condition()
        self._jobs: deque[_Job] = deque()  # the head stays in while it prints or waits
        self._waiting: str | None = None  # why the queue waits for retry()
        self._nudged = False
        self._busy = False  # the head job is printing (or pausing between its tries)
        self._stopping = False
        # What the counter shows, kept in memory: receipt numbers by op id as they become
        # known, receipts left unprinted (op id → number, "" until known), the latest op
        # asked for and the state of the job being retried.
        self._numbers: dict[str, str] = {}
        self._unprinted: dict[str, str] = {}
        self._last_op: str | None = None
        self._retrying: tuple[str, int] | None = None
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="tamaru-print", daemon=True)
        self._thread.start()

    # -- the API (any thread, never blocks on the printer) -----------------------------

    def print_receipt(self, op_id: str, receipt_no: str | None = None) -> None:
        """Print a committed op's receipt (again, if it failed before)."""
        with self._cond:
            self._last_op = op_id
            if receipt_no:
                self._numbers[op_id] = receipt_no
        self._enqueue(_Job(op_id))

    def reprint_last(self) -> bool:
        """The latest receipt again: the original if it never came out, else a 再発行
        copy. False when nothing was printed since the start."""
        with self._cond:
            op_id = self._last_op
        if op_id is None:
            return False
        self._enqueue(_Job(op_id, again=True))
        return True

    def print_unprinted(self) -> int:
        """Queue every receipt left unprinted (failed, set aside, left by a crash)."""
        with self._cond:
            op_ids = list(self._unprinted)
        for op_id in op_ids:
            self._enqueue(_Job(op_id))
        return len(op_ids)

    def status(self) -> PrintStatus:
        """What the counter shows, from memory (any thread, never blocks on I/O)."""
        with self._cond:
            return self._snapshot()

    def reprint(self, receipt_no: str) -> str | None:
        """Print a 再発行 copy of any stored receipt; the op id, or None for an unknown
        number."""
        found = self.store.receipt_by_no(receipt_no.strip().upper())
        if found is None:
            return None
        op_id = found[0]
        self._enqueue(_Job(op_id, reprint_at=self.clock()))
        return op_id

    def retry(self) -> None:
        """The cashier fixed the printer (paper, cover): go on, starting with the job that
        stopped; also cuts short a pause between tries."""
        with self._cond:
            self._waiting = None
            self._nudged = True
            self._cond.notify_all()
        self._changed()

    def set_aside(self) -> list[str]:
        """Drop every queued job (they stay listed in `pending()` to print later) and stop
        waiting; returns their op ids. A job printing right now is not interrupted."""
        with self._cond:
            keep = 1 if self._busy else 0
            jobs = list(self._jobs)[keep:]
            for _ in jobs:
                self._jobs.pop()
            dropped = [job.op_id for job in jobs]
            for job in jobs:
                if job.receipt and not job.again:  # a copy is simply not printed
                    self._unprinted.setdefault(job.op_id, self._numbers.get(job.op_id, ""))
            self._waiting = None
            self._cond.notify_all()
        self._changed()
        return dropped

    @property
    def waiting(self) -> str | None:
        """Why the queue waits for `retry()`, or None."""
        with self._cond:
            return self._waiting

    def pending(self, limit: int = 50) -> list[UnprintedReceipt]:
        """Receipts not printed yet (never tried, or failed), oldest first."""
        with self._cond:
            queued = {job.op_id for job in self._jobs if job.receipt}
        out: list[UnprintedReceipt] = []
        for op_id in self.store.unprinted_receipts(limit):
            state = self.store.print_state(op_id)
            model = self.store.receipt(op_id) or {}
            if state is None:
                continue
            out.append(UnprintedReceipt(op_id, stored_receipt_no(model), state[0], state[1],
                                        state[2], op_id in queued))
        return out

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=timeout)

    # -- the queue's thread ------------------------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        with self._cond:
            if job.receipt and any(j.op_id == job.op_id and j.receipt for j in self._jobs):
                return  # already on its way: a double click must not print it twice
            self._jobs.append(job)
            self._cond.notify_all()
        self._changed()

    def _snapshot(self) -> PrintStatus:
        queued = {job.op_id for job in self._jobs}
        left = [(op_id, self._numbers.get(op_id) or number)
                for op_id, number in self._unprinted.items() if op_id not in queued]
        retrying = self._retrying
        return PrintStatus(
            queued=len(self._jobs), waiting=self._waiting,
            retrying=retrying[0] if retrying else None,
            attempt=retrying[1] if retrying else 0,
            unprinted=tuple(number for _, number in left if number),
            unprinted_count=len(left), last_error=self._last_error,
            last_receipt=self._numbers.get(self._last_op or "") or None)

    def _changed(self) -> None:
        with self._cond:
            status = self._snapshot()
        self.events.emit("print_status", status)

    def _run(self) -> None:
        try:
            self._resume()
        except Exception:
            log.exception("could not list the receipts left unprinted")
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or (
                    bool(self._jobs) and self._waiting is None))
                if self._stopping:
                    return
                job = self._jobs[0]
                self._busy = True
            try:
                done = self._print(job)
            finally:
                with self._cond:
                    self._busy = False
                    self._retrying = None
                    if done and self._jobs and self._jobs[0] is job:
                        self._jobs.popleft()
                self._changed()

    def _resume(self) -> None:
        """Queue what a crash left unprinted, if it is recent enough to still matter."""
        now = self.clock()
        for op_id in self.store.unprinted_receipts():
            state = self.store.print_state(op_id)
            model = self.store.receipt(op_id) or {}
            issued = _parse_time(model.get("issued_at"))
            with self._cond:
                self._numbers.setdefault(op_id, stored_receipt_no(model))
            if state is not None and state[0] == "pending" and issued is not None \
                    and now - issued <= self.resume_within:
                self._enqueue(_Job(op_id))
            elif state is not None:
                with self._cond:
                    self._unprinted.setdefault(op_id, self._numbers[op_id])
        self._changed()

    def _print(self, job: _Job) -> bool:
        """One job, with its retries. False: it stays at the head (the queue waits for
        `retry()`, or is stopping)."""
        try:
            receipt, copy = self._load(job)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("receipt of %s unreadable: %s", job.op_id, exc)
            self._failed(job, REASON_UNREADABLE, copy=False)
            return True
        attempt = 0
        while True:
            attempt += 1
            try:
                self.printer.print_receipt(receipt)
            except PrinterError as exc:
                reason = exc.reason
                log.warning("print of %s failed (try %d): %s", job.op_id, attempt, exc)
                if reason in ATTENTION_REASONS:
                    self._mark(job, "failed", reason, copy=copy)
                    # Waiting before announcing it: a retry() answering the event must
                    # find the queue waiting, or it would be lost.
                    with self._cond:
                        self._waiting = reason
                        self._retrying = None
                        self._last_error = reason
                    self.events.emit("print_failed", job.op_id, reason)
                    self.events.emit("print_waiting", job.op_id, reason)
                    self._changed()
                    return False
                if reason in TRANSIENT_REASONS and attempt <= len(self.retry_delays):
                    with self._cond:
                        self._retrying = (reason, attempt)
                    self.events.emit("print_retrying", job.op_id, reason, attempt)
                    self._changed()
                    if self._pause(self.retry_delays[attempt - 1]):
                        return False
                    continue
                self._failed(job, reason, copy=copy)
                return True
            except Exception:
                log.exception("printer crashed on %s", job.op_id)
                self._failed(job, REASON_UNKNOWN, copy=copy)
                return True
            self._mark(job, "printed", copy=copy)
            with self._cond:
                self._unprinted.pop(job.op_id, None)
                self._last_error = None
                if not copy and self.options.wants_store_copy(receipt.kind) \
                        and self._jobs and self._jobs[0] is job:
                    # Next, before any other receipt: the two come out together.
                    self._jobs.insert(1, _Job(job.op_id, store_copy=True))
            self.events.emit("receipt_printed", job.op_id)
            return True

    def _load(self, job: _Job) -> tuple[Receipt, bool]:
        """The receipt to print, and whether it is a copy (再発行 or お店控え)."""
        model = self.store.receipt(job.op_id)
        if model is None:
            raise KeyError(f"no receipt stored for op {job.op_id}")
        with self._cond:
            self._numbers.setdefault(job.op_id, stored_receipt_no(model))
        if job.store_copy:
            return build_store_copy(model, options=self.options), True
        if job.reprint_at is not None:
            return build_reprint(model, reprinted_at=job.reprint_at, tz=self.tz,
                                 options=self.options), True
        state = self.store.print_state(job.op_id)
        if state is not None and state[0] == "printed":
            # The member has the original: a second one must say it is a copy.
            return build_reprint(model, reprinted_at=self.clock(), tz=self.tz,
                                 options=self.options), True
        return with_store_lines(receipt_from_dict(model), self.options), False

    def _pause(self, seconds: float) -> bool:
        """Wait between tries; True when the queue is stopping. `retry()` cuts it short."""
        with self._cond:
            self._nudged = False
            self._cond.wait_for(lambda: self._stopping or self._nudged, timeout=seconds)
            return self._stopping

    def _failed(self, job: _Job, reason: str, *, copy: bool) -> None:
        self._mark(job, "failed", reason, copy=copy)
        with self._cond:
            self._last_error = reason
            if not copy:
                self._unprinted.setdefault(job.op_id, self._numbers.get(job.op_id, ""))
        self.events.emit("print_failed", job.op_id, reason)

    def _mark(self, job: _Job, state: str, error: str | None = None, *,
              copy: bool = False) -> None:
        try:
            if copy:
                # A copy that fails does not make a receipt the member already has
                # "unprinted"; one that succeeds gives them one if they had none.
                current = self.store.print_state(job.op_id)
                if current is not None and current[0] == "printed":
                    return
                if state == "failed":
                    return
            self.worker.call(self.store.set_print_state, job.op_id, state, error)
        except Exception:
            # The store thread is gone (shutting down) or the write failed: the receipt
            # stays as it was, which errs towards printing it again.
            log.exception("could not record print state %s of %s", state, job.op_id)


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
