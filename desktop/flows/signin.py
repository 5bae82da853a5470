"""Who is at the register: sign-in, sign-out, shift change and manager approval, Qt-free.

`StaffSession` holds the signed-in staff member. Every op the register records carries
their `staff_id`. A shift starts at sign-in and ends at sign-out or when another staff
member signs in at the same register (a shift change); both ends go to the audit log
next to the sign-in rows `StaffBook` writes. `approve` checks a manager's code and PIN
for a flow that needs one (the widget is `desktop.screens.approval`).

PIN checks are slow on purpose (argon2id) and write the audit log, so every operation
runs on the store thread and returns a Future; results are also announced as events:
`staff_changed(StaffView | None)` and `sign_in_refused(SignInRefusal)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop.flows.messages import (
    ENTER_CODE_AND_PIN,
    NOT_A_MANAGER,
    SIGN_IN_FAILED,
    Message,
)
from sync.events import EventBus
from sync.staff import StaffBook, StaffError, StaffView
from sync.store import RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

# Audit kinds this flow adds beside StaffBook's sign_in / sign_out rows.
SHIFT_START = "shift_start"
SHIFT_END = "shift_end"
MANAGER_APPROVAL = "manager_approval"


@dataclass(frozen=True)
class SignInRefusal:
    """Why a sign-in failed, for the screen; `locked_until` is set while locked out."""

    staff_id: str
    message: str
    locked_until: datetime | None = None

    def remaining_seconds(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(0, int((self.locked_until - now).total_seconds() + 0.999))


@dataclass(frozen=True)
class Approval:
    """A manager said yes to `action`, at `at`."""

    manager_id: str
    manager_name: str
    action: str
    at: datetime


class ApprovalRefused(Exception):
    """The code and PIN given are not a manager's; the message is for the screen."""


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    pin: str
    display_name: str
    role: str


# The embedded demo's staff (`make run`); the sign-in screen shows them only in demo mode.
DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("1001", "1234", "店長 佐々木", "manager"),
    DemoStaff("2001", "0000", "レジ 田村", "cashier"),
)


def seed_demo_staff(book: StaffBook) -> int:
    """Create the demo staff that do not exist yet (store thread); returns how many."""
    made = 0
    for staff in DEMO_STAFF:
        if book.get(staff.staff_id) is None:
            book.create(staff.staff_id, staff.display_name, staff.role, staff.pin)
            made += 1
    return made


class StaffSession:
    """The staff member signed in at this register, if any. Safe to call from any thread."""

    def __init__(self, store: RegisterStore, worker: StoreWorker, events: EventBus,
                 book: StaffBook, *, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.worker = worker
        self.events = events
        self.book = book
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._current: StaffView | None = None

    @property
    def current(self) -> StaffView | None:
        with self._lock:
            return self._current

    @property
    def staff_id(self) -> str | None:
        current = self.current
        return current.staff_id if current else None

    # -- operations (each returns a Future; results are also announced) ----------------

    def sign_in(self, staff_id: str, pin: str) -> Future[StaffView]:
        """Sign in; a different staff member signing in over someone is a shift change."""
        return self.worker.submit(self._sign_in, staff_id.strip(), pin.strip())

    def sign_out(self) -> Future[None]:
        return self.worker.submit(self._sign_out, "sign_out")

    def approve(self, manager_id: str, pin: str, *, action: str,
                detail: Mapping[str, Any] | None = None) -> Future[Approval]:
        """Check a manager's code and PIN for `action`; ApprovalRefused otherwise."""
        return self.worker.submit(self._approve, manager_id.strip(), pin.strip(), action,
                                  dict(detail or {}))

    def unlock(self, staff_id: str, manager_id: str, manager_pin: str) -> Future[StaffView]:
        """A manager ends another staff member's lockout (their PIN is checked)."""
        return self.worker.submit(self.book.unlock, staff_id.strip(),
                                  manager_id=manager_id.strip(),
                                  manager_pin=manager_pin.strip(), now=self.clock())

    def close(self) -> None:
        """The application is closing: end the shift of whoever is signed in (blocking)."""
        if self.current is not None:
            try:
                self.worker.call(self._sign_out, "app_closed")
            except Exception:
                log.exception("could not record the end of the shift")

    # -- store thread ---------------------------------------------------------------------

    def _sign_in(self, staff_id: str, pin: str) -> StaffView:
        if not staff_id or not pin:
            refusal = SignInRefusal(staff_id, Message(ENTER_CODE_AND_PIN))
            self.events.emit("sign_in_refused", refusal)
            raise StaffError(refusal.message)
        now = self.clock()
        try:
            staff = self.book.sign_in(staff_id, pin, now=now)
        except StaffError as exc:
            found = self.book.get(staff_id)
            locked = found.locked_until if found and found.locked_until and \
                found.locked_until > now else None
            self.events.emit("sign_in_refused", SignInRefusal(staff_id, str(exc), locked))
            raise
        except Exception as exc:
            log.exception("sign-in failed")
            self.events.emit("sign_in_refused", SignInRefusal(staff_id, Message(SIGN_IN_FAILED)))
            raise StaffError(Message(SIGN_IN_FAILED)) from exc
        previous = self.current
        if previous is not None and previous.staff_id != staff.staff_id:
            self._end_shift(previous, now, reason="shift_change", next_staff=staff.staff_id)
        if previous is None or previous.staff_id != staff.staff_id:
            self.store.audit(SHIFT_START, staff_id=staff.staff_id, at=now,
                             detail={"role": staff.role,
                                     "after": previous.staff_id if previous else None})
        with self._lock:
            self._current = staff
        self.events.emit("staff_changed", staff)
        return staff

    def _sign_out(self, reason: str) -> None:
        previous = self.current
        if previous is None:
            return
        self._end_shift(previous, self.clock(), reason=reason)
        with self._lock:
            self._current = None
        self.events.emit("staff_changed", None)

    def _end_shift(self, staff: StaffView, now: datetime, *, reason: str,
                   next_staff: str | None = None) -> None:
        self.store.audit(SHIFT_END, staff_id=staff.staff_id, at=now,
                         detail={"reason": reason, "next": next_staff})
        self.book.sign_out(staff.staff_id, now=now)

    def _approve(self, manager_id: str, pin: str, action: str,
                 detail: dict[str, Any]) -> Approval:
        if not manager_id or not pin:
            raise ApprovalRefused(Message(ENTER_CODE_AND_PIN))
        now = self.clock()
        try:
            manager = self.book.sign_in(manager_id, pin, now=now)
        except StaffError as exc:
            raise ApprovalRefused(str(exc)) from exc
        if not manager.is_manager:
            raise ApprovalRefused(Message(NOT_A_MANAGER))
        self.store.audit(MANAGER_APPROVAL, staff_id=manager.staff_id, at=now,
                         detail={"action": action, "for": self.staff_id, **detail})
        return Approval(manager.staff_id, manager.display_name, action, now)
