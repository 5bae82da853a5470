"""Online redemption holds: reserve, post with the sale, void, time out."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.holds import sweep
from hq.models import Hold, utcnow
from tests.hq.hq_helpers import (
    World,
    assert_ledger_invariant,
    balance,
    publish_demo_variant,
    sale,
)

KENTA = "M0000005"  # 80 pt
MISAKI = "M0000004"  # 5,000 pt


def hold(client: TestClient, world: World, member_id: str, points: int, *, token: str | None = None,
         hold_id: str | None = None, ttl: int | None = None) -> Any:  # fmt: skip
    body: dict[str, Any] = {"hold_id": hold_id or str(uuid.uuid4()), "member_id": member_id, "points": points}
    if ttl is not None:
        body["ttl"] = ttl
    return client.post("/v1/holds", json=body, headers=world.auth(token))


def push(client: TestClient, world: World, *ops: dict[str, Any], token: str | None = None) -> list[dict[str, Any]]:
    response = client.post("/v1/sync/push", json={"ops": list(ops)}, headers=world.auth(token))
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def age(engine: Engine, hold_id: str, seconds: int) -> None:
    """Move a hold's expiry into the past, as if its time ran out."""
    with Session(engine) as session, session.begin():
        row = session.get(Hold, hold_id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=seconds)


def test_a_hold_reserves_points_and_posts_with_its_sale(client: TestClient, world: World, engine: Engine) -> None:
    made = hold(client, world, MISAKI, 3000, ttl=60)
    assert made.status_code == 201, made.text
    h = made.json()
    assert (h["status"], h["points"], h["balance"], h["available"]) == ("pending", 3000, 5000, 2000)
    ttl = datetime.fromisoformat(h["expires_at"]) - datetime.fromisoformat(h["created_at"])
    assert ttl == timedelta(seconds=60)

    # Another store cannot take the held points online, nor offline beyond the program's
    # offline cap (version 2 allows a shortfall of 50 pt).
    refused = hold(client, world, MISAKI, 2001, token=world.token_other_store)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "insufficient points: balance 5000, held 3000, available 2000, requested 2001"
    publish_demo_variant(engine, 2, offline_cap=50)
    [other] = push(client, world, sale(1, MISAKI, 5000, redeemed=2100, device_id="R09", store_id="S002",
                                       program_version=2), token=world.token_other_store)  # fmt: skip
    assert (other["status"], other["reason"]) == ("rejected", "offline_cap_exceeded")

    [posted] = push(client, world, sale(1, MISAKI, 4000, redeemed=3000, hold_id=h["hold_id"]))
    assert posted["status"] == "applied" and posted["balance"] == 5000 - 3000 + 10
    state = client.get(f"/v1/holds/{h['hold_id']}", headers=world.auth()).json()
    assert (state["status"], state["op_id"], state["available"]) == ("posted", posted["op_id"], 2010)
    voided = client.post(f"/v1/holds/{h['hold_id']}/void", headers=world.auth())
    assert voided.status_code == 409 and "was posted by sale" in voided.json()["detail"]
    assert_ledger_invariant(engine)


def test_hold_retries_refusals_and_ownership(client: TestClient, world: World) -> None:
    hold_id = str(uuid.uuid4())
    first = hold(client, world, MISAKI, 100, hold_id=hold_id)
    again = hold(client, world, MISAKI, 100, hold_id=hold_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    reused = hold(client, world, MISAKI, 200, hold_id=hold_id)
    assert reused.status_code == 409 and "already used for another hold" in reused.json()["detail"]

    # A register of the same store may void it; one of another store may not even read it.
    elsewhere = client.post(f"/v1/holds/{hold_id}/void", headers=world.auth(world.token_other_store))
    assert elsewhere.status_code == 403 and "belongs to store S001" in elsewhere.json()["detail"]
    voided = client.post(f"/v1/holds/{hold_id}/void", headers=world.auth(world.token_r02))
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert voided.json()["available"] == 5000
    assert client.post(f"/v1/holds/{hold_id}/void", headers=world.auth()).json()["status"] == "voided"

    assert hold(client, world, "NOBODY", 10).status_code == 404
    assert hold(client, world, KENTA, 81).status_code == 409
    assert hold(client, world, KENTA, 0).status_code == 422
    assert hold(client, world, KENTA, 10, ttl=5).status_code == 422
    assert hold(client, world, KENTA, 10, ttl=901).status_code == 422
    assert client.post(f"/v1/holds/{uuid.uuid4()}/void", headers=world.auth()).status_code == 404
    assert client.post("/v1/holds/not-a-uuid/void", headers=world.auth()).status_code == 422


def test_holds_time_out_on_access_and_by_the_sweep(client: TestClient, world: World, engine: Engine) -> None:
    a = hold(client, world, MISAKI, 1000).json()["hold_id"]
    b = hold(client, world, MISAKI, 2000).json()["hold_id"]
    c = hold(client, world, KENTA, 80).json()["hold_id"]
    age(engine, a, 1)
    # An expired hold reserves nothing even before anything records it as expired.
    assert client.get("/v1/members/2900000000049", headers=world.auth()).json()["available"] == 3000
    assert client.get(f"/v1/holds/{a}", headers=world.auth()).json()["status"] == "expired"
    age(engine, b, 1)
    age(engine, c, 1)
    assert sweep(engine) == 2
    assert sweep(engine) == 0
    with Session(engine) as session:
        assert {h.hold_id: h.status for h in session.query(Hold)} == {a: "expired", b: "expired", c: "expired"}
    # Voiding an expired hold is harmless.
    assert client.post(f"/v1/holds/{c}/void", headers=world.auth()).json()["status"] == "expired"
    swept = client.post("/v1/admin/holds/sweep", headers=world.admin_auth)
    assert swept.status_code == 200 and swept.json() == {"expired": 0}


def test_a_sale_whose_hold_lapsed_applies_only_if_the_balance_allows(
    client: TestClient, world: World, engine: Engine
) -> None:
    voided = hold(client, world, KENTA, 50).json()["hold_id"]
    client.post(f"/v1/holds/{voided}/void", headers=world.auth())
    expired = hold(client, world, KENTA, 80).json()["hold_id"]
    age(engine, expired, 1)
    # Points another store holds in the meantime are not available to the late sale.
    other = hold(client, world, KENTA, 60, token=world.token_other_store).json()["hold_id"]

    publish_demo_variant(engine, 2, offline_cap=20)
    results = push(
        client, world,
        # 80 - 60 held = 20 available: a shortfall of 30, beyond the cap of version 2.
        sale(1, KENTA, 1000, redeemed=50, hold_id=voided, program_version=2),
        sale(2, KENTA, 1000, redeemed=20, hold_id=expired),
    )  # fmt: skip
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "offline_cap_exceeded"),
        ("applied", None),
    ]
    assert results[1]["balance"] == 80 - 20 + 9
    with Session(engine) as session:
        assert session.get(Hold, voided).status == "voided"  # type: ignore[union-attr]
        assert session.get(Hold, expired).status == "expired"  # type: ignore[union-attr]
        assert session.get(Hold, other).status == "pending"  # type: ignore[union-attr]
    # A hold names one member: another member's sale cannot post it.
    misaki_hold = hold(client, world, MISAKI, 500).json()["hold_id"]
    [applied] = push(client, world, sale(3, "M0000002", 1000, hold_id=misaki_hold))
    assert applied["status"] == "applied"
    assert client.get(f"/v1/holds/{misaki_hold}", headers=world.auth()).json()["status"] == "pending"
    assert balance(engine, KENTA) == 69
    assert_ledger_invariant(engine)


def test_adjust_and_merge_respect_pending_holds(client: TestClient, world: World) -> None:
    hold(client, world, KENTA, 70)
    cut = client.post("/v1/admin/members/2900000000056/adjust", json={"points": -20, "reason": "訂正"},
                      headers=world.admin_auth)  # fmt: skip
    assert cut.status_code == 409 and "below the 70 points pending holds reserve" in cut.json()["detail"]
    merge = {"source_member_no": "2900000000056", "target_member_no": "2900000000018", "reason": "x"}
    refused = client.post("/v1/admin/members/merge", json=merge, headers=world.admin_auth)
    assert refused.status_code == 409 and "pending holds" in refused.json()["detail"]
