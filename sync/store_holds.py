"""Redemption holds as the register keeps them (part of `RegisterStore`).

Online, a redemption first takes a hold at HQ; the register remembers it so the sale can
post it, a cancelled sale can void it, and a forgotten one expires. A hold only moves
out of `pending`: posted, voided and expired are final.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.models import PENDING_STATES, Hold
from sync.store_views import StoreError

if TYPE_CHECKING:
    from sync.store_db import ReaderPool


@dataclass(frozen=True)
class HoldView:
    hold_id: str
    member_id: str
    points: int
    state: str
    expires_at: datetime
    created_at: datetime
    op_id: str | None = None


def _view(h: Hold) -> HoldView:
    return HoldView(h.hold_id, h.member_id, h.points, h.state, h.expires_at, h.created_at,
                    h.op_id)


_PENDING_IN = ", ".join(f"'{state}'" for state in PENDING_STATES)
_STATE_NAMES = {"posted": QT_TRANSLATE_NOOP("core", "確定済み"),
                "voided": QT_TRANSLATE_NOOP("core", "取消済み"),
                "expired": QT_TRANSLATE_NOOP("core", "期限切れ")}
HOLD_NOT_FOUND = QT_TRANSLATE_NOOP("core", "ポイントの取り置きが見つかりません")
HOLD_ALREADY = QT_TRANSLATE_NOOP("core", "このポイントの取り置きは{state}です")
HOLD_EXPIRED = QT_TRANSLATE_NOOP("core", "ポイントの取り置きの期限が切れています")


class HoldsMixin:
    if TYPE_CHECKING:
        _readers: ReaderPool

        def writing(self) -> AbstractContextManager[Session]: ...

        def reading(self) -> AbstractContextManager[Session]: ...

    def add_hold(self, hold_id: str, member_id: str, points: int, *, expires_at: datetime,
                 now: datetime | None = None) -> HoldView:
        """Remember a hold HQ granted. Adding the same hold again changes nothing."""
        if points <= 0:
            raise ValueError("a hold is for a positive number of points")
        now = now or datetime.now(UTC)
        with self.writing() as s:
            existing = s.get(Hold, hold_id)
            if existing is not None:
                return _view(existing)
            h = Hold(hold_id=hold_id, member_id=member_id, points=points, state="pending",
                     expires_at=expires_at, created_at=now, updated_at=now)
            s.add(h)
            s.flush()
            return _view(h)

    def hold(self, hold_id: str) -> HoldView | None:
        with self.reading() as s:
            h = s.get(Hold, hold_id)
            return _view(h) if h else None

    def holds_of(self, member_id: str, *, state: str | None = None) -> list[HoldView]:
        with self.reading() as s:
            query = select(Hold).where(Hold.member_id == member_id)
            if state is not None:
                query = query.where(Hold.state == state)
            return [_view(h) for h in s.scalars(query.order_by(Hold.created_at))]

    def pending_hold_points(self, member_id: str) -> int:
        with self._readers.snapshot() as con:
            row = con.execute("SELECT coalesce(sum(points), 0) FROM holds "
                              "WHERE member_id = ? AND state = 'pending'", (member_id,)).fetchone()
        return int(row[0])

    def pending_redemptions(self, member_id: str) -> int:
        """Points this register's unanswered sales redeemed for the member: what the last
        HQ balance does not yet know about, for the offline allowance."""
        with self._readers.snapshot() as con:
            row = con.execute(
                "SELECT coalesce(sum(json_extract(body, '$.payload.points_redeemed')), 0) "
                f"FROM ops WHERE member_id = ? AND kind = 'sale' AND state IN ({_PENDING_IN})",
                (member_id,)).fetchone()
        return int(row[0])

    def offline_redemptions(self, member_id: str) -> int:
        """Of `pending_redemptions`, the points redeemed without a hold at HQ (the offline
        policy's): what counts against the program's per-member offline cap."""
        with self._readers.snapshot() as con:
            row = con.execute(
                "SELECT coalesce(sum(json_extract(body, '$.payload.points_redeemed')), 0) "
                f"FROM ops WHERE member_id = ? AND kind = 'sale' AND state IN ({_PENDING_IN}) "
                "AND json_extract(body, '$.payload.hold_id') IS NULL",
                (member_id,)).fetchone()
        return int(row[0])

    def _finish_hold(self, hold_id: str, state: str, now: datetime | None,
                     op_id: str | None = None) -> HoldView:
        now = now or datetime.now(UTC)
        with self.writing() as s:
            h = s.get(Hold, hold_id)
            if h is None:
                raise StoreError(HOLD_NOT_FOUND)
            if h.state == state and h.op_id == op_id:
                return _view(h)  # the same answer again, e.g. a retried call
            if h.state != "pending":
                raise StoreError(Message(HOLD_ALREADY, state=_STATE_NAMES.get(h.state, h.state)))
            expired = state == "posted" and h.expires_at <= now
            if expired:
                # Kept as expired (the commit below), then refused: HQ has let it go too.
                h.state, h.updated_at = "expired", now
            else:
                h.state, h.updated_at, h.op_id = state, now, op_id
            view = _view(h)
        if expired:
            raise StoreError(HOLD_EXPIRED)
        return view

    def post_hold(self, hold_id: str, op_id: str, *, now: datetime | None = None) -> HoldView:
        """The sale that used the hold was recorded."""
        return self._finish_hold(hold_id, "posted", now, op_id)

    def void_hold(self, hold_id: str, *, now: datetime | None = None) -> HoldView:
        return self._finish_hold(hold_id, "voided", now)

    def expire_holds(self, now: datetime | None = None) -> int:
        """Mark every pending hold past its expiry as expired; returns how many."""
        now = now or datetime.now(UTC)
        with self.writing() as s:
            result = s.execute(update(Hold).where(Hold.state == "pending",
                                                  Hold.expires_at <= now)
                               .values(state="expired", updated_at=now))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
