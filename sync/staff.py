"""Staff who sign in at the register: PINs hashed with argon2id, lockout, audit.

After `max_failures` wrong PINs in a row a staff member is locked for `lockout`; the
lock ends by itself after that time or when a manager resets it. Every sign-in,
sign-out, failure, lock and unlock is written to the audit log in the same transaction
as the change it records.

A PIN is four to eight digits: no hash makes that safe against someone who has copied
the database and can try every PIN offline. The memory-hard hash makes each try costly
and keeps PINs off the disk; the lockout is what stops guessing at the counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync import audit
from sync.models import STAFF_ROLES, Staff
from sync.store import RegisterStore
from sync.store_views import StoreError

MIN_PIN, MAX_PIN = 4, 8
WRONG_PIN = "スタッフ番号または暗証番号が違います"
PIN_SHAPE = QT_TRANSLATE_NOOP("core", "暗証番号は{low}〜{high}桁の数字にしてください")
NO_SUCH_STAFF = QT_TRANSLATE_NOOP("core", "スタッフ {staff_id} は登録されていません")
LOCKED = QT_TRANSLATE_NOOP(
    "core", "暗証番号を続けて間違えたためロックされています。{minutes}分後に解除されます"
    "（店長が解除することもできます）")


class StaffError(StoreError):
    """A sign-in or staff change that was refused; the message is for the cashier."""


@dataclass(frozen=True)
class StaffView:
    staff_id: str
    display_name: str
    role: str
    active: bool
    failed_attempts: int
    locked_until: datetime | None

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def _view(row: Staff) -> StaffView:
    return StaffView(row.staff_id, row.display_name, row.role, row.active,
                     row.failed_attempts, row.locked_until)


def _check_pin(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and MIN_PIN <= len(pin) <= MAX_PIN):
        raise StaffError(Message(PIN_SHAPE, low=MIN_PIN, high=MAX_PIN))


class StaffBook:
    """Staff of one register store. Writes go through the store's writer (store thread)."""

    def __init__(self, store: RegisterStore, *, max_failures: int = 5,
                 lockout: timedelta = timedelta(minutes=15),
                 hasher: PasswordHasher | None = None) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.store = store
        self.max_failures = max_failures
        self.lockout = lockout
        # argon2-cffi's defaults are RFC 9106's low-memory argon2id profile (64 MiB).
        self.hasher = hasher or PasswordHasher()

    def create(self, staff_id: str, display_name: str, role: str, pin: str, *,
               by: str | None = None, now: datetime | None = None) -> StaffView:
        if role not in STAFF_ROLES:
            raise StaffError(f"役割は {' / '.join(STAFF_ROLES)} のどれかです")
        _check_pin(pin)
        now = now or datetime.now(UTC)
        pin_hash = self.hasher.hash(pin)  # slow on purpose: outside the write lock
        with self.store.writing() as s:
            if s.get(Staff, staff_id) is not None:
                raise StaffError(f"スタッフ {staff_id} はすでに登録されています")
            row = Staff(staff_id=staff_id, display_name=display_name, role=role,
                        pin_hash=pin_hash, failed_attempts=0, locked_until=None, active=True,
                        created_at=now, updated_at=now)
            s.add(row)
            audit.append_audit(s, audit.STAFF_CREATED, at=now, staff_id=by,
                               detail={"staff_id": staff_id, "role": role})
            return _view(row)

    def get(self, staff_id: str) -> StaffView | None:
        with self.store.reading() as s:
            row = s.get(Staff, staff_id)
            return _view(row) if row else None

    def sign_in(self, staff_id: str, pin: str, *, now: datetime | None = None) -> StaffView:
        """The staff member, signed in; StaffError (after recording why) otherwise."""
        now = now or datetime.now(UTC)
        with self.store.reading() as s:
            found = s.get(Staff, staff_id)
            stored_hash = found.pin_hash if found else None
        # The slow hash runs before the write transaction, so it never holds the lock.
        pin_ok = stored_hash is not None and self._verify(stored_hash, pin)
        refusal: str | None = None
        with self.store.writing() as s:
            row = s.get(Staff, staff_id)
            if row is None or not row.active:
                audit.append_audit(s, audit.SIGN_IN_FAILED, at=now, staff_id=staff_id,
                                   detail={"reason": "unknown_staff"})
                refusal = WRONG_PIN
            elif row.locked_until is not None and row.locked_until > now:
                audit.append_audit(s, audit.SIGN_IN_FAILED, at=now, staff_id=staff_id,
                                   detail={"reason": "locked"})
                refusal = self._locked_message(row.locked_until, now)
            else:
                if row.locked_until is not None:
                    # The lock has run out: a fresh set of attempts.
                    row.locked_until, row.failed_attempts = None, 0
                if pin_ok and row.pin_hash == stored_hash:
                    row.failed_attempts, row.updated_at = 0, now
                    if self.hasher.check_needs_rehash(row.pin_hash):
                        # Stronger parameters since this PIN was set: upgrade it now.
                        row.pin_hash = self.hasher.hash(pin)
                    audit.append_audit(s, audit.SIGN_IN, at=now, staff_id=staff_id)
                    return _view(row)
                row.failed_attempts += 1
                row.updated_at = now
                audit.append_audit(s, audit.SIGN_IN_FAILED, at=now, staff_id=staff_id,
                                   detail={"reason": "wrong_pin",
                                           "failed_attempts": row.failed_attempts})
                refusal = WRONG_PIN
                if row.failed_attempts >= self.max_failures:
                    row.locked_until = now + self.lockout
                    audit.append_audit(s, audit.STAFF_LOCKED, at=now, staff_id=staff_id,
                                       detail={"until": row.locked_until.isoformat()})
                    refusal = self._locked_message(row.locked_until, now)
        # Raised after the commit, so the failure and the counter are kept.
        raise StaffError(refusal)

    def sign_out(self, staff_id: str, *, now: datetime | None = None) -> None:
        with self.store.writing() as s:
            audit.append_audit(s, audit.SIGN_OUT, at=now or datetime.now(UTC),
                               staff_id=staff_id)

    def unlock(self, staff_id: str, *, manager_id: str, manager_pin: str,
               now: datetime | None = None) -> StaffView:
        """A manager's reset of a locked staff member (the manager's PIN is checked)."""
        now = now or datetime.now(UTC)
        manager = self.sign_in(manager_id, manager_pin, now=now)
        if not manager.is_manager:
            raise StaffError("ロック解除は店長のみ行えます")
        with self.store.writing() as s:
            row = s.get(Staff, staff_id)
            if row is None:
                raise StaffError(Message(NO_SUCH_STAFF, staff_id=staff_id))
            row.failed_attempts, row.locked_until, row.updated_at = 0, None, now
            audit.append_audit(s, audit.STAFF_UNLOCKED, at=now, staff_id=manager_id,
                               detail={"staff_id": staff_id})
            return _view(row)

    def change_pin(self, staff_id: str, old_pin: str, new_pin: str, *,
                   now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        _check_pin(new_pin)
        self.sign_in(staff_id, old_pin, now=now)
        pin_hash = self.hasher.hash(new_pin)
        with self.store.writing() as s:
            row = s.get(Staff, staff_id)
            assert row is not None  # sign_in found it
            row.pin_hash, row.updated_at = pin_hash, now
            audit.append_audit(s, audit.STAFF_PIN_CHANGED, at=now, staff_id=staff_id)

    def _verify(self, pin_hash: str, pin: str) -> bool:
        try:
            return bool(self.hasher.verify(pin_hash, pin))
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _locked_message(until: datetime, now: datetime) -> str:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        return Message(LOCKED, minutes=minutes)
