"""The change feed: allocating `server_seq` and answering pulls.

Every change a register must learn about (a member's balance, profile or status, a card,
a program version, a token signing key) publishes a feed row in the same transaction as the change. A pull
returns rows after the register's cursor, each with the entity's current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from hq.models import (
    SEQ_COUNTER_ID,
    Card,
    FeedEntry,
    Member,
    ProgramVersion,
    SeqCounter,
    TokenSigningKey,
    utcnow,
)
from sync.protocol import CardState, Change, MemberState, ProgramDoc, PullResponse, TokenKey

FeedKind = Literal["member", "card", "program", "token_key"]

DEFAULT_PULL_LIMIT = 500


def allocate_seqs(session: Session, count: int) -> int:
    """Take the next `count` values of `server_seq`; returns the last one.

    The UPDATE locks the counter row until this transaction ends, so a later seq can never
    commit before an earlier one: that is what makes `server_seq > cursor` a safe pull.
    Callers publish as late as they can in their transaction to hold the lock briefly.
    """
    counter = cast(Table, SeqCounter.__table__)
    stmt = (
        update(counter)
        .where(counter.c.id == SEQ_COUNTER_ID)
        .values(value=counter.c.value + count)
        .returning(counter.c.value)
    )
    return int(session.execute(stmt).scalar_one())


def allocate_seq(session: Session) -> int:
    """Take the next `server_seq` (see `allocate_seqs`)."""
    return allocate_seqs(session, 1)


def publish(session: Session, kind: FeedKind, key: str, now: datetime | None = None) -> int:
    """Record that entity (`kind`, `key`) changed; returns its new `server_seq`."""
    # The entity's older row would only repeat the current state a pull sends anyway.
    session.execute(delete(FeedEntry).where(FeedEntry.kind == kind, FeedEntry.key == key))
    seq = allocate_seq(session)
    session.add(FeedEntry(server_seq=seq, kind=kind, key=key, created_at=now or utcnow()))
    session.flush()
    return seq


def member_state(member: Member) -> MemberState:
    return MemberState(
        member_id=member.member_id,
        member_no=member.member_no,
        display_name=member.display_name,
        status=member.status,  # type: ignore[arg-type]  # checked by the table constraint
        balance=member.balance,
        kana=member.kana,
        birth_month=member.birth_month,
        phone_masked=member.phone_masked,
        phone_hash=member.phone_hash,
        merged_into=member.merged_into,
    )


def card_state(card: Card) -> CardState:
    return CardState(uid=card.uid, member_id=card.member_id, status=card.status)  # type: ignore[arg-type]


def _keys(rows: Sequence[FeedEntry], kind: str) -> list[str]:
    return [row.key for row in rows if row.kind == kind]


def pull(session: Session, cursor: int, limit: int = DEFAULT_PULL_LIMIT) -> PullResponse:
    """Changes with `server_seq > cursor`, oldest first, at most `limit` of them."""
    rows = list(
        session.scalars(
            select(FeedEntry)
            .where(FeedEntry.server_seq > cursor)
            .order_by(FeedEntry.server_seq)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    # States are read after the feed rows, so they are never older than the row that
    # names them; a newer state is harmless because the register keeps the latest.
    members = {
        m.member_id: m
        for m in session.scalars(select(Member).where(Member.member_id.in_(_keys(rows, "member"))))
    }
    cards = {c.uid: c for c in session.scalars(select(Card).where(Card.uid.in_(_keys(rows, "card"))))}
    versions = [int(k) for k in _keys(rows, "program")]
    programs = {
        p.version: p
        for p in session.scalars(select(ProgramVersion).where(ProgramVersion.version.in_(versions)))
    }
    keys = {
        k.key_id: k
        for k in session.scalars(
            select(TokenSigningKey).where(TokenSigningKey.key_id.in_(_keys(rows, "token_key")))
        )
    }
    changes: list[Change] = []
    for row in rows:
        if row.kind == "member":
            changes.append(
                Change(server_seq=row.server_seq, kind="member", member=member_state(members[row.key]))
            )
        elif row.kind == "card":
            changes.append(
                Change(server_seq=row.server_seq, kind="card", card=card_state(cards[row.key]))
            )
        elif row.kind == "token_key":
            key = keys[row.key]
            changes.append(
                Change(
                    server_seq=row.server_seq,
                    kind="token_key",
                    token_key=TokenKey(
                        key_id=key.key_id,
                        public_key=key.public_key,
                        created_at=key.created_at,
                        retired_at=key.retired_at,
                    ),
                )
            )
        else:
            program = programs[int(row.key)]
            changes.append(
                Change(
                    server_seq=row.server_seq,
                    kind="program",
                    program=ProgramDoc(version=program.version, toml=program.toml),
                )
            )
    return PullResponse(
        cursor=rows[-1].server_seq if rows else cursor, has_more=has_more, changes=changes
    )
