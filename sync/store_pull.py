"""Writing HQ's pull feed into the register store (part of `RegisterStore`).

A page of changes and the new cursor are written in one transaction: members (with their
lot summaries), cards, program versions and the public keys that verify member app
tokens. A member's balance, debt and lots are replaced by HQ's only while none of the
member's ops is still waiting for an answer.
"""

from __future__ import annotations

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
from sync.protocol import MemberState, PullResponse
from sync.store_tokens import apply_token_key
from sync.store_views import StoreError


class PullMixin:
    if TYPE_CHECKING:

        def writing(self) -> AbstractContextManager[Session]: ...

    def apply_pull(self, resp: PullResponse) -> int:
        """Write a page of HQ changes and the new cursor in one transaction."""
        now = datetime.now(UTC)
        with self.writing() as s:
            state = s.get(SyncState, 1)
            if state is None:
                raise StoreError("レジが登録されていません")
            for ch in resp.changes:
                if ch.member is not None:
                    self._apply_member(s, ch.member)
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
        return len(resp.changes)

    def _apply_member(self, s: Session, ms: MemberState) -> None:
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
        if ledger:
            m.hq_balance, m.debt = ms.balance, ms.debt
            s.execute(delete(MemberLot).where(MemberLot.member_id == ms.member_id))
            s.add_all(MemberLot(member_id=ms.member_id, position=i, kind=lot.kind,
                                points=lot.points, expires_at=lot.expires_at)
                      for i, lot in enumerate(ms.lots))

    def _pending_count(self, s: Session, member_id: str) -> int:
        return int(s.scalar(select(func.count()).select_from(OutboxOp).where(
            OutboxOp.member_id == member_id, OutboxOp.state.in_(PENDING_STATES))) or 0)
