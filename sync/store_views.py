"""What the counter sees of the store: member views, the refusals it shows, and the
look-ups that build the views.

Look-ups by card, member number or phone hash are plain indexed SQL on a per-thread
connection: with a million cached members they stay well under a millisecond, which an
ORM session (a few hundred microseconds of Python per query) would not.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime

from sync.models import PENDING_STATES, parse_utc_text


class StoreError(Exception):
    """A request the store refuses; the message is for the cashier."""


class StoreCorrupt(StoreError):
    """The database file was corrupt or unreadable. It was moved aside to `kept_path`
    (never deleted); the register refuses to sell until recovery has rebuilt the store."""

    def __init__(self, message: str, kept_path: str | None) -> None:
        super().__init__(message)
        self.kept_path = kept_path


@dataclass(frozen=True)
class LotView:
    """Points of one kind expiring together, as HQ last summarised them."""

    kind: str  # "normal" or "limited"
    points: int
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RankFigures:
    """HQ's figures behind the member's rank as last pulled (`sync.protocol.RankProgress`)
    and `seq`, this register's last device_seq when they were written: its ops of the
    member after it are not in them."""

    as_of: datetime
    spend_yen: int
    visits: int
    last_visit_on: date | None
    member_since: date
    seq: int


@dataclass(frozen=True)
class MemberView:
    member_id: str
    member_no: str
    display_name: str
    status: str
    hq_balance: int
    pending_delta: int  # effects of ops not yet answered by HQ
    kana: str = ""
    rank: str = ""
    birth_month: int | None = None
    phone_masked: str | None = None
    phone_hash: str | None = None
    debt: int = 0
    lots: tuple[LotView, ...] = field(default=())
    rank_figures: RankFigures | None = None  # None until an HQ that sends them is pulled

    @property
    def balance(self) -> int:
        return self.hq_balance + self.pending_delta

    @property
    def masked_no(self) -> str:
        # The last four digits are enough to confirm the member; the rest stays off
        # screens and receipts.
        return "…" + self.member_no[-4:]

    def expiring_by(self, when: datetime) -> int:
        """Points of the last pulled lot summary that expire on or before `when`."""
        return sum(lot.points for lot in self.lots
                   if lot.expires_at is not None and lot.expires_at <= when)


_PENDING_IN = ", ".join(f"'{s}'" for s in PENDING_STATES)
_MEMBER_COLUMNS = (
    "m.member_id, m.member_no, m.display_name, m.status, m.hq_balance, "
    f"(SELECT coalesce(sum(o.points_delta), 0) FROM ops o "
    f"WHERE o.member_id = m.member_id AND o.state IN ({_PENDING_IN})), "
    "m.kana, m.rank, m.birth_month, m.phone_masked, m.phone_hash, m.debt, "
    "m.rank_as_of, m.rank_spend_yen, m.rank_visits, m.rank_last_visit_on, m.member_since, "
    "m.rank_seq"
)
_BY_ID = f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.member_id = ?"
_BY_NO = f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.member_no = ? ORDER BY m.member_id"
_BY_PHONE = (f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.phone_hash = ? "
             "ORDER BY m.member_no LIMIT 20")
_CARD = "SELECT member_id, status FROM cards WHERE uid = ?"
_LOTS = ("SELECT kind, points, expires_at FROM member_lots WHERE member_id = ? "
         "ORDER BY position")

MemberRow = tuple[str, str, str, str, int, int, str, str, int | None, str | None, str | None, int,
                  str | None, int | None, int | None, str | None, str | None, int | None]


def _figures(row: MemberRow) -> RankFigures | None:
    as_of, spend, visits, last_visit, since, seq = row[12:18]
    if as_of is None or spend is None or visits is None or since is None or seq is None:
        return None
    at = parse_utc_text(as_of)
    assert at is not None
    return RankFigures(at, spend, visits, date.fromisoformat(last_visit) if last_visit else None,
                       date.fromisoformat(since), seq)


def _view(con: sqlite3.Connection, row: MemberRow) -> MemberView:
    lots = tuple(LotView(kind, points, parse_utc_text(expires))
                 for kind, points, expires in con.execute(_LOTS, (row[0],)))
    return MemberView(row[0], row[1], row[2], row[3], row[4], int(row[5]), row[6], row[7],
                      row[8], row[9], row[10], row[11], lots, _figures(row))


def member_by_id(con: sqlite3.Connection, member_id: str) -> MemberView | None:
    row = con.execute(_BY_ID, (member_id,)).fetchone()
    return _view(con, row) if row else None


def _usable(member: MemberView) -> MemberView:
    if member.status != "active":
        raise StoreError("この会員は利用停止中です")
    return member


def member_by_card(con: sqlite3.Connection, uid: str) -> MemberView:
    card = con.execute(_CARD, (uid.upper(),)).fetchone()
    if card is None:
        raise StoreError("登録されていないカードです")
    if card[1] != "active":
        raise StoreError("このカードは利用停止中です。店長にお知らせください")
    member = member_by_id(con, card[0])
    if member is None:
        raise StoreError("会員情報がまだ届いていません。同期後にもう一度お試しください")
    return _usable(member)


def member_by_number(con: sqlite3.Connection, member_no: str) -> MemberView:
    rows = con.execute(_BY_NO, (member_no.strip(),)).fetchall()
    if not rows:
        raise StoreError("この会員番号は見つかりません")
    if len(rows) > 1:
        # HQ numbers are unique; two rows mean a renumbering the next pull will settle.
        raise StoreError("会員番号が重複しています。同期後にもう一度お試しください")
    return _usable(_view(con, rows[0]))


def member_by_number_any(con: sqlite3.Connection, member_no: str) -> MemberView | None:
    """The member with this number, blocked or not; None when there is none."""
    rows = con.execute(_BY_NO, (member_no.strip(),)).fetchall()
    if len(rows) > 1:
        raise StoreError("会員番号が重複しています。同期後にもう一度お試しください")
    return _view(con, rows[0]) if rows else None


def members_by_phone_hash(con: sqlite3.Connection, phone_hash: str) -> list[MemberView]:
    """Every cached member with this phone hash (a family may share a number), blocked
    ones included so the screen can say why they cannot be chosen."""
    return [_view(con, row) for row in con.execute(_BY_PHONE, (phone_hash,)).fetchall()]


def list_cards(con: sqlite3.Connection, limit: int) -> list[tuple[str, str, str]]:
    rows = con.execute(
        "SELECT c.uid, m.display_name, c.status FROM cards c "
        "JOIN members m ON m.member_id = c.member_id ORDER BY c.uid LIMIT ?", (limit,)
    ).fetchall()
    return [(uid, name, status) for uid, name, status in rows]
