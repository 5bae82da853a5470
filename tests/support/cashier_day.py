"""What the cashier's-day test (tests/integration/test_cashier_day.py) needs beside the
window: the counter's clock it can move on, the receipt roll of a file printer read back
receipt by receipt, the keypad and the manager approval dialog worked as a person would,
and HQ's own records read straight from its database (holds, applied ops, the ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import Engine, func, select

from desktop.screens.approval import ManagerApprovalDialog
from desktop.screens.keypad import NumericKeypad
from hq.db import make_engine
from hq.models import Hold, LedgerEntry, OpRecord, PurchaseRow
from tests.support.escpos_decode import Decoded, UnknownCommand, decode

LEFT = Qt.MouseButton.LeftButton
WAIT_MS = 15_000


class SteeredClock:
    """A clock for the counter flow: the real time until the test sets one, as the wall
    clock of a store would read while an hour goes by."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self, tz: ZoneInfo) -> datetime:
        return datetime.now(tz) if self.at is None else self.at.astimezone(tz)


def offline_hour(now: datetime) -> datetime:
    """Where an hour of sales starts: now, unless that hour would run into tomorrow (the
    day report covers one business day), then early enough to end before midnight."""
    if (now + timedelta(minutes=70)).date() == now.date():
        return now
    return now - timedelta(minutes=70)


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def key_in(qtbot, keypad: NumericKeypad, digits: str) -> None:
    """Type digits on the on-screen keypad (into the field it serves that had the focus)."""
    for key in digits:
        qtbot.mouseClick(keypad.buttons[key], LEFT)


class ReceiptRoll:
    """The capture file of a `file:` printer: every job appended, one receipt a cut."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_to = 0

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _whole(self) -> Decoded | None:
        data = self.path.read_bytes()[self.read_to:] if self._size() > self.read_to else b""
        if not data:
            return None
        try:
            printed = decode(data)
        except (UnknownCommand, ValueError):
            return None  # a job still being written ends mid-command
        return printed if printed.cuts >= 1 else None

    def next_receipt(self, qtbot, timeout: int = WAIT_MS) -> Decoded:
        """The next receipt printed after the last one read (waits for its cut)."""
        found: list[Decoded] = []

        def printed() -> bool:
            got = self._whole()
            if got is None:
                return False
            found.append(got)
            return True

        qtbot.waitUntil(printed, timeout=timeout)
        assert found[-1].cuts == 1, f"more than one receipt came at once: {found[-1].lines}"
        self.read_to = self._size()
        return found[-1]


def line_with(printed: Decoded, *parts: str) -> str:
    """The receipt's line holding every part, or a failure listing what it says."""
    for line in printed.lines:
        if all(p in line for p in parts):
            return line
    raise AssertionError(f"no line with {parts} on the receipt:\n" + "\n".join(printed.lines))


def answer_approval(code: str, pin: str, seen: list[ManagerApprovalDialog], *,
                    timeout_ms: int = WAIT_MS) -> None:
    """Fill in the manager approval dialog as soon as it shows (it runs its own event
    loop, so the answer is scheduled before the key that opens it). A dialog still open
    after `timeout_ms` is cancelled, so a refused approval fails the test, not hangs it."""
    poll_ms = 20
    tries = [timeout_ms // poll_ms]

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ManagerApprovalDialog):
            tries[0] -= 1
            if tries[0] > 0:
                QTimer.singleShot(poll_ms, fill)
            return
        seen.append(dialog)
        QTest.keyClicks(dialog.code, code)
        dialog.pin.setFocus()
        QTest.keyClicks(dialog.pin, pin)
        ok: QPushButton = dialog.ok
        QTest.mouseClick(ok, LEFT)
        QTimer.singleShot(timeout_ms, lambda: dialog.isVisible() and dialog.reject())

    QTimer.singleShot(0, fill)


# -- HQ's own records --------------------------------------------------------------------


@contextmanager
def hq_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@dataclass(frozen=True)
class HqHold:
    member_id: str
    points: int
    status: str
    created_at: datetime
    closed_at: datetime | None
    op_id: str | None


def hq_hold(db_url: str, hold_id: str) -> HqHold | None:
    with hq_engine(db_url) as engine, engine.connect() as c:
        row = c.execute(select(Hold).where(Hold.hold_id == hold_id)).first()
    if row is None:
        return None
    return HqHold(row.member_id, row.points, row.status, row.created_at, row.closed_at,
                  row.op_id)


@dataclass(frozen=True)
class HqOp:
    op_id: str
    kind: str
    status: str
    received_at: datetime
    result: dict


def hq_ops(db_url: str, device_id: str) -> list[HqOp]:
    """The register's ops as HQ recorded them, in the register's order."""
    with hq_engine(db_url) as engine, engine.connect() as c:
        rows = c.execute(select(OpRecord.op_id, OpRecord.kind, OpRecord.status,
                                OpRecord.received_at, OpRecord.result)
                         .where(OpRecord.device_id == device_id)
                         .order_by(OpRecord.device_seq)).all()
    return [HqOp(r.op_id, r.kind, r.status, r.received_at, r.result or {}) for r in rows]


@dataclass(frozen=True)
class LedgerDay:
    """A store's day straight from HQ's ledger and purchase rows (not its summary)."""

    earned: int  # Σ earn entries
    redeemed: int  # −Σ redeem entries
    reversed: int  # −Σ reverse_earn entries
    restored: int  # Σ restore_redeem entries
    sales: int
    sales_yen: int
    members: int
    returns: int
    returns_yen: int
    enrolments: int


def ledger_day(db_url: str, store_id: str, start: datetime, end: datetime) -> LedgerDay:
    with hq_engine(db_url) as engine, engine.connect() as c:
        in_day = (OpRecord.store_id == store_id, OpRecord.local_time >= start,
                  OpRecord.local_time < end, OpRecord.status == "applied")
        by_kind = dict(c.execute(
            select(LedgerEntry.kind, func.sum(LedgerEntry.points))
            .join(OpRecord, OpRecord.op_id == LedgerEntry.op_id)
            .where(*in_day).group_by(LedgerEntry.kind)).all())
        purchases = c.execute(
            select(PurchaseRow.kind, func.count(), func.sum(PurchaseRow.amount_yen),
                   func.count(PurchaseRow.member_id.distinct()))
            .join(OpRecord, OpRecord.op_id == PurchaseRow.op_id)
            .where(*in_day).group_by(PurchaseRow.kind)).all()
        enrolments = c.scalar(select(func.count()).select_from(OpRecord)
                              .where(*in_day, OpRecord.kind == "enroll"))
    rows = {kind: (int(n), int(yen or 0), int(members)) for kind, n, yen, members in purchases}
    sales, sales_yen, members = rows.get("sale", (0, 0, 0))
    returns, returns_yen, _ = rows.get("return", (0, 0, 0))
    points = {kind: int(total or 0) for kind, total in by_kind.items()}
    return LedgerDay(points.get("earn", 0), -points.get("redeem", 0),
                     -points.get("reverse_earn", 0), points.get("restore_redeem", 0),
                     sales, sales_yen, members, returns, abs(returns_yen),
                     int(enrolments or 0))


def wait_for(qtbot, condition: Callable[[], bool], timeout: int = WAIT_MS) -> None:
    qtbot.waitUntil(condition, timeout=timeout)
