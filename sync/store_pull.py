"""Writing HQ's pull feed into the register store (part of `RegisterStore`).

A page of changes and the new cursor are written in one transaction: members (with their
lot summaries and the figures behind their rank), cards, program versions and the public
keys that verify member app tokens. A member's balance, debt, lots and rank figures are
replaced by HQ's only while none of the member's ops is still waiting for an answer.

Skipping a member that way moves the cursor past the change all the same, so the member
is remembered as possibly behind HQ. After each pull the sync client asks which members
are behind or whose cached ledger does not add up (`members_to_resync`) and replaces
them from HQ's member look-up (`apply_member_lookup`), one member at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from loyalty.program import parse_program
from sync.models import (
    PENDING_STATES,
    Card,
    Member,
    MemberLot,
    OutboxOp,
    ProgramSnapshot,
    RecoveryState,
    SyncState,
)
from sync.protocol import MemberLookup, MemberState, PullResponse, RankProgress
from sync.store_db import ReaderPool
from sync.store_tokens import apply_token_key
from sync.store_views import StoreError


class PullMixin:
    if TYPE_CHECKING:
        _stale_members: set[str]

        def writing(self) -> AbstractContextManager[Session]: ...

        _readers: ReaderPool

    def apply_pull(self, resp: PullResponse) -> int:
        """Write a page of HQ changes and the new cursor in one transaction."""
        now = datetime.now(UTC)
        written: dict[str, bool] = {}
        with self.writing() as s:
            state = s.get(SyncState, 1)
            if state is None:
                raise StoreError("レジが登録されていません")
            for ch in resp.changes:
                if ch.member is not None:
                    written[ch.member.member_id] = self._apply_member(
                        s, ch.member, state.next_device_seq - 1)
                elif ch.card is not None:
                    uid = ch.card.uid.upper()
                    c = s.get(Card, uid)
                    if c is None:
                        s.add(Card(uid=uid, member_id=ch.card.member_id, status=ch.card.status))
                    else:
                        c.member_id, c.status = ch.card.member_id, ch.card.status
                elif ch.program is not None:
                    parse_program(ch.program.toml)  # refuse a program we could not quote with
                    if s.get(ProgramSnapshot, ch.program.version) is None:
                        s.add(ProgramSnapshot(version=ch.program.version, toml=ch.program.toml))
                elif ch.token_key is not None:
                    apply_token_key(s, ch.token_key)
            state.pull_cursor = max(state.pull_cursor, resp.cursor)
            state.last_pull_at = now
            if not resp.has_more:
                # A rebuilt store has now read HQ's whole feed: the cache is complete.
                recovery = s.get(RecoveryState, 1)
                if recovery is not None and recovery.state == "rebuilding":
                    recovery.state, recovery.finished_at = "done", now
        self._note_ledgers(written)
        return len(resp.changes)

    def _note_ledgers(self, written: dict[str, bool]) -> None:
        # After the commit: a rolled-back page must not clear a member's mark.
        for member_id, fresh in written.items():
            if fresh:
                self._stale_members.discard(member_id)
            else:
                self._stale_members.add(member_id)

    def _apply_member(self, s: Session, ms: MemberState, last_seq: int) -> bool:
        """Write one member; False when its ledger was left alone (an op is unanswered).
        `last_seq` is the last device_seq this register has used."""
        m = s.get(Member, ms.member_id)
        if m is None:
            m = Member(member_id=ms.member_id, hq_balance=ms.balance, debt=ms.debt)
            s.add(m)
            ledger = True
        else:
            # While one of this member's ops is unanswered, HQ's balance and our pending
            # effects could count the same op twice or not at all; the lots and debt are
            # the same ledger, so they wait with the balance.
            ledger = self._pending_count(s, ms.member_id) == 0
        m.member_no, m.display_name, m.status = ms.member_no, ms.display_name, ms.status
        m.kana, m.rank, m.birth_month = ms.kana, ms.rank, ms.birth_month
        m.phone_masked, m.phone_hash = ms.phone_masked, ms.phone_hash
        if not ledger:
            return False
        m.hq_balance, m.debt = ms.balance, ms.debt
        s.execute(delete(MemberLot).where(MemberLot.member_id == ms.member_id))
        s.add_all(MemberLot(member_id=ms.member_id, position=i, kind=lot.kind,
                            points=lot.points, expires_at=lot.expires_at)
                  for i, lot in enumerate(ms.lots))
        _write_rank_figures(m, ms.rank_progress, last_seq)
        return True

    def _pending_count(self, s: Session, member_id: str) -> int:
        return int(s.scalar(select(func.count()).select_from(OutboxOp).where(
            OutboxOp.member_id == member_id, OutboxOp.state.in_(PENDING_STATES))) or 0)

    # -- the per-member check and resync ---------------------------------------------

    def members_to_resync(self, also: Iterable[str] = (), *, everyone: bool = False,
                          limit: int = 50) -> dict[str, str]:
        """Members to fetch again from HQ, with why: those a pull skipped or an answer
        replayed (possibly behind HQ), and among `also` (or every member) those whose
        cached ledger does not add up — balance ≠ Σ lots − debt, a lot below zero, a
        negative debt. Members with an op still unanswered are left alone: their
        figures are in motion and the next answer or pull brings them."""
        found: dict[str, str] = {}
        with self._readers.snapshot() as con:
            candidates = set(self._stale_members)
            for member_id in sorted(candidates):
                if len(found) < limit and not _has_pending(con, member_id):
                    found[member_id] = "behind_hq"
            rows: list[tuple[str, int, int, int, int]] = []
            if everyone:
                rows = con.execute(_MIRROR_SQL.format(where="", limit=limit)).fetchall()
            else:
                keys = sorted(set(also) - set(found))
                for i in range(0, len(keys), 500):
                    chunk = keys[i:i + 500]
                    where = f"WHERE m.member_id IN ({', '.join('?' * len(chunk))})"
                    rows += con.execute(_MIRROR_SQL.format(where=where, limit=limit),
                                        chunk).fetchall()
            for member_id, balance, debt, lots, lowest in rows:
                if len(found) >= limit or member_id in found:
                    continue
                why = ("negative_debt" if debt < 0 else "lot_below_zero" if lowest < 0
                       else "balance_not_lots" if balance != lots - debt else None)
                if why is not None and not _has_pending(con, member_id):
                    found[member_id] = why
        return found

    def apply_member_lookup(self, found: MemberLookup) -> bool:
        """Write HQ's current view of one member (profile, lots, debt, cards) in one
        transaction. Returns False when the ledger was left alone because an op of the
        member is unanswered (the profile and cards are written anyway)."""
        ms = found.member
        with self.writing() as s:
            state = s.get(SyncState, 1)
            fresh = self._apply_member(s, ms, state.next_device_seq - 1 if state else 0)
            for card in found.cards:
                uid = card.uid.upper()
                c = s.get(Card, uid)
                if c is None:
                    s.add(Card(uid=uid, member_id=card.member_id, status=card.status))
                else:
                    c.member_id, c.status = card.member_id, card.status
        self._note_ledgers({ms.member_id: fresh})
        return fresh

    def forget_stale(self, member_id: str) -> None:
        """HQ does not know the member (any more): nothing to fetch for it."""
        self._stale_members.discard(member_id)


def _write_rank_figures(m: Member, figures: RankProgress | None, last_seq: int) -> None:
    """HQ's figures behind the member's rank, with the register's last device_seq: the
    member has no unanswered op (the ledger rule), so HQ had every op of the member up to
    it, and a receipt adds only the ops after it. An HQ that sends no figures (older, or
    without ranks) clears them: the receipt then falls back to this register's record."""
    if figures is None:
        m.rank_as_of = m.rank_spend_yen = m.rank_visits = None
        m.rank_last_visit_on = m.member_since = m.rank_seq = None
        return
    m.rank_as_of, m.rank_spend_yen, m.rank_visits = (figures.as_of, figures.spend_yen,
                                                     figures.visits)
    m.rank_last_visit_on, m.member_since = figures.last_visit_on, figures.member_since
    m.rank_seq = last_seq


# One row per member whose cached ledger does not add up; the sum is over the cached lot
# summary, which HQ sends with the balance it makes up.
_MIRROR_SQL = (
    "SELECT m.member_id, m.hq_balance, m.debt, coalesce(sum(l.points), 0), "
    "coalesce(min(l.points), 0) FROM members m "
    "LEFT JOIN member_lots l ON l.member_id = m.member_id {where} "
    "GROUP BY m.member_id HAVING m.debt < 0 OR coalesce(min(l.points), 0) < 0 "
    "OR m.hq_balance <> coalesce(sum(l.points), 0) - m.debt LIMIT {limit}"
)
_PENDING_IN = ", ".join(f"'{s}'" for s in PENDING_STATES)


def _has_pending(con: sqlite3.Connection, member_id: str) -> bool:
    return con.execute(f"SELECT 1 FROM ops WHERE member_id = ? AND state IN ({_PENDING_IN}) "
                       "LIMIT 1", (member_id,)).fetchone() is not None
