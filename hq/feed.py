"""The change feed: allocating `server_seq` and answering pulls.

Every change a register must learn about (a member's balance, profile or status, a card,
a program version, a token signing key) publishes a feed row in the same transaction as the change. A pull
returns rows after the register's cursor, each with the entity's current state; a
register that asks also gets the figures behind each member's rank (`hq.rank_figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from hq.ledger_store import load_accounts
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
from hq.programs import newest_program
from hq.rank_figures import rank_figures
from loyalty.expiry import ExpiryPolicy
from loyalty.ledger import Account, lot_summaries
from sync.protocol import (
    CardState,
    Change,
    LotSummary,
    MemberState,
    ProgramDoc,
    PullResponse,
    RankProgress,
    TokenKey,
)

FeedKind = Literal["member", "card", "program", "token_key"]

DEFAULT_PULL_LIMIT = 500
RANK_PROGRESS_ASKED = (
    "true: each member carries `rank_progress`, the figures behind their rank. Left out "
    "otherwise, so a register from before the field (which refuses fields it does not "
    "know) gets what it always got."
)


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


def publish_all(conn: Connection, entities: list[tuple[FeedKind, str]], now: datetime) -> None:
    """`publish` for many entities at once, on a Core connection (jobs, which write with one)."""
    if not entities:
        return
    feed = cast(Table, FeedEntry.__table__)
    for kind in sorted({k for k, _ in entities}):
        keys = sorted(key for k, key in entities if k == kind)
        conn.execute(delete(feed).where(feed.c.kind == kind, feed.c.key.in_(keys)))
    counter = cast(Table, SeqCounter.__table__)
    last = int(conn.execute(
        update(counter).where(counter.c.id == SEQ_COUNTER_ID)
        .values(value=counter.c.value + len(entities)).returning(counter.c.value)
    ).scalar_one())  # fmt: skip
    first = last - len(entities) + 1
    conn.execute(insert(feed), [{"server_seq": first + i, "kind": kind, "key": key, "created_at": now}
                                for i, (kind, key) in enumerate(entities)])  # fmt: skip


def member_state(member: Member, account: Account | None = None,
                 policy: ExpiryPolicy | None = None,
                 rank_progress: RankProgress | None = None) -> MemberState:
    """The member as registers cache it; with the account, its points by expiry too."""
    lots = [] if account is None else [
        LotSummary(kind=s.kind.value, points=s.points, expires_at=s.expires_at)
        for s in lot_summaries(account, policy or ExpiryPolicy())
    ]
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
        rank=member.rank,
        debt=member.debt,
        lots=lots,
        rank_progress=rank_progress,
    )


def member_states(session: Session, members: list[Member], *, rank_progress: bool = False,
                  now: datetime | None = None) -> dict[str, MemberState]:
    """Members with their lot summaries, reading every account in one go; with
    `rank_progress`, the figures behind their ranks as of `now` too, read in one go."""
    if not members:
        return {}
    conn = session.connection()
    accounts = load_accounts(conn, [m.member_id for m in members])
    program = newest_program(conn)
    policy = program.expiry if program is not None else ExpiryPolicy()
    figures = rank_figures(conn, members, program, now or utcnow()) if rank_progress else {}
    return {m.member_id: member_state(m, accounts.get(m.member_id), policy,
                                      figures.get(m.member_id)) for m in members}


def card_state(card: Card) -> CardState:
    return CardState(uid=card.uid, member_id=card.member_id, status=card.status)  # type: ignore[arg-type]


def _keys(rows: Sequence[FeedEntry], kind: str) -> list[str]:
    return [row.key for row in rows if row.kind == kind]


def pull(session: Session, cursor: int, limit: int = DEFAULT_PULL_LIMIT, *,
         rank_progress: bool = False, now: datetime | None = None) -> PullResponse:
    """Changes with `server_seq > cursor`, oldest first, at most `limit` of them; members
    with the figures behind their ranks as of `now` when `rank_progress` is asked for."""
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
    members = member_states(
        session, list(session.scalars(select(Member).where(Member.member_id.in_(_keys(rows, "member"))))),
        rank_progress=rank_progress, now=now,
    )
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
                Change(server_seq=row.server_seq, kind="member", member=members[row.key])
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
