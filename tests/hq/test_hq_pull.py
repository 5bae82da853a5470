"""GET /v1/sync/pull: changes after a cursor, paged, each with the entity's current state."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from hq.demo import DEMO_MEMBERS
from sync.protocol import MAX_PULL_LIMIT, PullResponse
from tests.hq.hq_helpers import World, sale


def pull(client: TestClient, world: World, cursor: int, limit: int | None = None) -> PullResponse:
    params = {"cursor": cursor} if limit is None else {"cursor": cursor, "limit": limit}
    response = client.get("/v1/sync/pull", params=params, headers=world.auth())
    assert response.status_code == 200, response.text
    return PullResponse.model_validate(response.json())


def test_pull_from_zero_has_the_program_members_and_cards(client: TestClient, world: World) -> None:
    page = pull(client, world, 0)
    assert not page.has_more
    # The demo seeds the program, then each member followed by their card, then the key
    # that signs member app QR tokens.
    assert [c.kind for c in page.changes] == (
        ["program"] + ["member", "card"] * len(DEMO_MEMBERS) + ["token_key"]
    )
    assert [c.server_seq for c in page.changes] == list(range(1, 3 + 2 * len(DEMO_MEMBERS)))
    assert page.cursor == page.changes[-1].server_seq

    program = page.changes[0].program
    assert program is not None and program.version == 1 and "たまるポイント" in program.toml
    members = {c.member.member_no: c.member for c in page.changes if c.member}
    hanako = members["2900000000018"]
    assert (hanako.member_id, hanako.display_name, hanako.status, hanako.balance) == (
        "M0000001",
        "山田 花子",
        "active",
        1200,
    )
    cards = {c.card.uid: c.card for c in page.changes if c.card}
    assert cards["04A1B2C3D4E5F6"].member_id == "M0000001"
    assert cards["012E4CD3A1B2C3D4"].status == "active"
    key = page.changes[-1].token_key
    assert key is not None and key.algorithm == "Ed25519" and key.retired_at is None
    assert len(base64.urlsafe_b64decode(key.public_key + "=")) == 32


def test_cursor_paging_walks_the_feed_once(client: TestClient, world: World) -> None:
    seen: list[int] = []
    cursor = 0
    pages = 0
    while True:
        page = pull(client, world, cursor, limit=4)
        pages += 1
        assert len(page.changes) <= 4
        seen += [c.server_seq for c in page.changes]
        assert page.cursor == (page.changes[-1].server_seq if page.changes else cursor)
        cursor = page.cursor
        if not page.has_more:
            break
    total = 2 + 2 * len(DEMO_MEMBERS)
    assert seen == list(range(1, total + 1))
    assert pages == (total + 3) // 4
    # Pulling again at the end is harmless: nothing new, cursor unchanged.
    end = pull(client, world, cursor, limit=4)
    assert (end.changes, end.cursor, end.has_more) == ([], cursor, False)
    # An exact fit says has_more=False on the last full page.
    exact = pull(client, world, total - 4, limit=4)
    assert len(exact.changes) == 4 and not exact.has_more


def test_pull_after_a_sale_shows_the_new_balance(client: TestClient, world: World) -> None:
    cursor = pull(client, world, 0).cursor
    response = client.post(
        "/v1/sync/push",
        json={"ops": [sale(1, "M0000004", 3000, redeemed=1000)]},
        headers=world.auth(),
    )
    [result] = response.json()["results"]
    assert result["status"] == "applied" and result["balance"] == 4020

    page = pull(client, world, cursor)
    assert len(page.changes) == 1
    [change] = page.changes
    assert change.kind == "member" and change.member is not None
    assert change.member.member_id == "M0000004" and change.member.balance == 4020
    assert change.server_seq == result["server_seq"] == page.cursor

    # A register starting from scratch sees the member once, at the newer seq only.
    fresh = pull(client, world, 0)
    rows = [c for c in fresh.changes if c.member and c.member.member_id == "M0000004"]
    assert [(c.server_seq, c.member.balance) for c in rows if c.member] == [
        (result["server_seq"], 4020)
    ]


def test_pull_validates_its_parameters_and_needs_a_token(client: TestClient, world: World) -> None:
    assert client.get("/v1/sync/pull").status_code == 401
    for params in (
        {"limit": MAX_PULL_LIMIT + 1},
        {"limit": 0},
        {"cursor": -1},
        {"cursor": "abc"},
    ):
        response = client.get("/v1/sync/pull", params=params, headers=world.auth())
        assert response.status_code == 422, params
    page = pull(client, world, 0, limit=MAX_PULL_LIMIT)
    assert not page.has_more
