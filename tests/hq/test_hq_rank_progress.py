"""The figures behind a member's rank in the pull feed and the member look-up: counted as
the ranks job counts them (the newest program's window and time zone, sales less returns,
every register and store, purchases of merged members), only for a register that asks,
and read for a whole page of members without a statement per member."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.jobs import evaluate_ranks
from hq.models import AuditEntry, Member
from loyalty.dates import local_date
from sync.protocol import MemberLookup, PullResponse
from tests.hq.ledger_bench import (
    HANAKO,
    ICHIRO,
    JST,
    START,
    TARO,
    Advance,
    Bench,
    Op,
    Return,
    Sale,
    run,
)

TARO_NO = "2900000000025"


def pull(bench: Bench, cursor: int = 0, *, asked: bool = True, limit: int = 1000) -> dict[str, Any]:
    params: dict[str, Any] = {"cursor": cursor, "limit": limit}
    if asked:
        params["rank_progress"] = "true"
    response = bench.client.get("/v1/sync/pull", params=params,
                                headers={"Authorization": f"Bearer {bench.tokens['R01']}"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def members_of(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["member"]["member_id"]: c["member"] for c in page["changes"] if c["kind"] == "member"}


def enrolled_on(bench: Bench, member_id: str) -> date:
    return local_date(bench.member(member_id).created_at, JST)


def shop(bench: Bench) -> None:
    """佐藤 太郎 shops at two stores; a return; 鈴木 一郎, who shopped too, is merged into
    him; and a year later his first sale has left the 365-day window."""
    run(bench, [
        Sale("s0", TARO, 5000),  # START: out of the window at the end
        Advance(days=200),
        Sale("s1", TARO, 8000, register="R09"),  # another store
        Sale("s2", TARO, 3000),  # the same day: one visit
        Advance(days=1),
        Return("r1", "s1", 2000, register="R09"),  # a return is no visit
        Sale("s3", ICHIRO, 1500, register="R02"),
        Op("m1", "merge", TARO, {"source_member_id": ICHIRO, "target_member_id": TARO,
                                 "reason": "二重登録"}),
        Advance(days=170),
    ])  # fmt: skip


def test_the_feed_carries_the_figures_the_ranks_job_counts(bench: Bench) -> None:
    shop(bench)
    now = bench.clock()
    assert now - START == timedelta(days=371)
    members = members_of(pull(bench))
    visited = (START + timedelta(days=201)).date()
    figures = dict(members[TARO]["rank_progress"])
    assert datetime.fromisoformat(figures.pop("as_of")) == now
    assert figures == {
        "spend_yen": 8000 + 3000 - 2000 + 1500,
        "visits": 2,
        "last_visit_on": visited.isoformat(),
        "member_since": enrolled_on(bench, TARO).isoformat(),
    }
    parsed = PullResponse.model_validate(pull(bench))
    [taro] = [c.member for c in parsed.changes if c.member and c.member.member_id == TARO]
    assert taro.rank_progress is not None and taro.rank_progress.visits == 2
    # Merged away: its purchases are counted for 佐藤 太郎, it gets none of its own.
    assert "rank_progress" not in members[ICHIRO]
    assert members[HANAKO]["rank_progress"]["spend_yen"] == 0
    assert members[HANAKO]["rank_progress"]["last_visit_on"] is None

    # The ranks job, as of the same day, counts the same and promotes him (≥ ¥10,000).
    ranked = evaluate_ranks(bench.engine, now.date(), actor=Actor("cli", "test"), now=now)
    assert [(c.member_id, c.after) for c in ranked.changes] == [(TARO, "silver")]
    with Session(bench.engine) as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "rank_change")).one()
    assert audit.after is not None
    assert (audit.after["spend_yen"], audit.after["visits"]) == (10_500, 2)
    after = members_of(pull(bench, 0))[TARO]
    assert after["rank"] == "silver" and after["rank_progress"]["spend_yen"] == 10_500


def test_the_figures_go_only_to_a_register_that_asks(bench: Bench) -> None:
    shop(bench)
    # A register from before the field refuses fields it does not know: it gets none.
    for member in members_of(pull(bench, asked=False)).values():
        assert "rank_progress" not in member
    auth = {"Authorization": f"Bearer {bench.tokens['R01']}"}
    plain = bench.client.get(f"/v1/members/{TARO_NO}", headers=auth).json()
    assert "rank_progress" not in plain["member"]
    asked = bench.client.get(f"/v1/members/{TARO_NO}", params={"rank_progress": "true"}, headers=auth)
    found = MemberLookup.model_validate(asked.json())
    assert found.member.rank_progress is not None
    assert (found.member.rank_progress.spend_yen, found.member.rank_progress.visits) == (10_500, 2)


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_a_page_of_many_members_reads_their_figures_without_a_statement_per_member(bench: Bench) -> None:
    extra = [f"N{i:07d}" for i in range(60)]
    with Session(bench.engine) as session, session.begin():
        session.execute(insert(Member), [{"member_id": m, "member_no": f"39{i:011d}", "display_name": f"会員 {i}",
                                          "created_at": START - timedelta(days=800)}
                                         for i, m in enumerate(extra)])  # fmt: skip
    cursor = pull(bench)["cursor"]

    def sell_to(who: list[str], tag: str) -> None:
        for n, member in enumerate(who):
            bench.make(f"{tag}{n}", "sale", member, {"amount_yen": 1000 + n, "points_earned": 0,
                                                    "points_redeemed": 0, "receipt_no": f"R01-{tag}{n}"})
        bench.push(*(f"{tag}{n}" for n in range(len(who))))
        bench.clock.advance(minutes=1)  # HQ counts what it recorded before its clock

    pull(bench, cursor)  # the register's token is looked up and remembered
    sell_to(extra[:2], "a")
    with statements() as few:
        page = pull(bench, cursor)
    assert len(members_of(page)) == 2
    cursor = page["cursor"]
    bench.clock.advance(days=1)
    sell_to(extra, "b")
    with statements() as many:
        page = pull(bench, cursor)
    figures = members_of(page)
    assert len(figures) == 60
    assert figures[extra[1]]["rank_progress"]["spend_yen"] == 1001 + 1001  # two days
    assert figures[extra[1]]["rank_progress"]["visits"] == 2
    assert figures[extra[5]]["rank_progress"]["spend_yen"] == 1005
    assert len(many) == len(few), many
