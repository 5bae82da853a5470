"""POST /v1/sync/push: each op applied once, refusals dead-lettered, the queue moving on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.directory import revoke_register
from hq.models import DeadLetter, FeedEntry, LedgerEntry, OpRecord, Register
from sync.protocol import OpResult
from tests.hq.hq_helpers import (
    OTHER_STORE,
    World,
    assert_ledger_invariant,
    balance,
    publish_demo_variant,
    sale,
)


def push(
    client: TestClient, world: World, *ops: dict[str, Any], token: str | None = None
) -> list[dict[str, Any]]:
    response = client.post("/v1/sync/push", json={"ops": list(ops)}, headers=world.auth(token))
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def dead_letters(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(d.op_id, d.reason) for d in session.scalars(select(DeadLetter).order_by(DeadLetter.id))]


def test_health(client: TestClient) -> None:
    assert client.get("/v1/health").json() == {"status": "ok", "protocol": 1}


def test_sale_is_applied_with_hq_points_and_ledger_entries(
    client: TestClient, world: World, engine: Engine
) -> None:
    # 山田 花子 starts at 1200 pt. She pays ¥2,550 using 500 pt: earns on ¥2,050 → 20 pt.
    # The register quoted 99 pt by mistake; HQ's figure is the one that counts.
    op = sale(1, "M0000001", 2550, redeemed=500, earned=99)
    [result] = push(client, world, op)

    assert result["status"] == "applied"
    assert result["member_id"] == "M0000001"
    assert result["points_earned"] == 20
    assert result["balance"] == 1200 - 500 + 20
    assert result["reason"] is None
    assert balance(engine, "M0000001") == 720
    with Session(engine) as session:
        entries = session.scalars(
            select(LedgerEntry).where(LedgerEntry.op_id == op["op_id"]).order_by(LedgerEntry.id)
        ).all()
        assert [(e.kind, e.points) for e in entries] == [("redeem", -500), ("earn", 20)]
        feed = session.scalars(select(FeedEntry).where(FeedEntry.key == "M0000001")).one()
        assert feed.server_seq == result["server_seq"]
        assert result["server_seq"] == session.scalar(select(func.max(FeedEntry.server_seq)))
        record = session.get(OpRecord, op["op_id"])
        assert record is not None and record.status == "applied"
        assert record.result["balance"] == 720
        assert session.get(Register, "R01").last_device_seq == 1  # type: ignore[union-attr]
    assert_ledger_invariant(engine)


def test_duplicate_replays_the_stored_result(client: TestClient, world: World, engine: Engine) -> None:
    first_op = sale(1, "M0000002", 1000)
    [first] = push(client, world, first_op)
    # A later sale moves the balance on; the replay must still give the first answer.
    [second] = push(client, world, sale(2, "M0000002", 5000))
    assert second["balance"] == 60

    [replay] = push(client, world, first_op)
    assert replay["status"] == "duplicate"
    assert {k: v for k, v in replay.items() if k != "status"} == {
        k: v for k, v in first.items() if k != "status"
    }
    assert replay["balance"] == 10
    assert balance(engine, "M0000002") == 60
    with Session(engine) as session:
        count = session.scalar(select(func.count()).where(LedgerEntry.op_id == first_op["op_id"]))
    assert count == 1


def test_same_op_id_with_other_payload_is_refused_and_original_stands(
    client: TestClient, world: World, engine: Engine
) -> None:
    op = sale(1, "M0000002", 1000)
    [first] = push(client, world, op)
    forged = dict(op, payload=dict(op["payload"], amount_yen=900_000))
    [result] = push(client, world, forged)

    assert result == {
        **{name: None for name in OpResult.model_fields},
        "op_id": op["op_id"],
        "status": "rejected",
        "reason": "op_id_reused",
    }
    assert balance(engine, "M0000002") == first["balance"] == 10
    assert dead_letters(engine) == [(op["op_id"], "op_id_reused")]
    [replay] = push(client, world, op)
    assert replay["status"] == "duplicate" and replay["balance"] == 10


def test_unknown_member_is_dead_lettered_and_the_batch_moves_on(
    client: TestClient, world: World, engine: Engine
) -> None:
    ghost = sale(1, "NO-SUCH-MEMBER", 1000)
    after = sale(2, "M0000003", 1000)
    results = push(client, world, ghost, after)

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["reason"] == "unknown_member"
    assert results[1]["balance"] == 360
    assert dead_letters(engine) == [(ghost["op_id"], "unknown_member")]
    # A retried refusal gets the same refusal, not `duplicate` (which reads as applied),
    # and is not dead-lettered twice.
    [again] = push(client, world, ghost)
    assert again["status"] == "rejected" and again["reason"] == "unknown_member"
    assert len(dead_letters(engine)) == 1


def test_an_offline_redemption_beyond_the_balance_is_debt_within_the_cap_and_refused_beyond(
    client: TestClient, world: World, engine: Engine
) -> None:
    publish_demo_variant(engine, 2, offline_cap=30)
    # 田中 健太 has 80 pt. 111 pt is 31 short: beyond the cap of 30.
    op = sale(1, "M0000005", 1000, redeemed=111, program_version=2)
    [result] = push(client, world, op)
    assert (result["status"], result["reason"], result["member_id"]) == (
        "rejected", "offline_cap_exceeded", "M0000005")
    assert balance(engine, "M0000005") == 80
    assert dead_letters(engine) == [(op["op_id"], "offline_cap_exceeded")]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(LedgerEntry.op_id == op["op_id"])) == 0

    # 110 pt is 30 short: kept, with 30 pt of debt that its own earn (¥890 → 8 pt) starts
    # paying off at once.
    [kept] = push(client, world, sale(2, "M0000005", 1000, redeemed=110, program_version=2))
    assert (kept["status"], kept["points_earned"], kept["debt"], kept["balance"]) == ("applied", 8, 22, -22)
    # The demo program itself has no cap: any shortfall a register let through is kept.
    [uncapped] = push(client, world, sale(3, "M0000005", 5000, redeemed=500))
    assert (uncapped["status"], uncapped["debt"]) == ("applied", 22 + 500 - 45)
    assert_ledger_invariant(engine)


def test_device_seq_going_back_is_refused(client: TestClient, world: World, engine: Engine) -> None:
    push(client, world, sale(5, "M0000002", 1000))
    results = push(client, world, sale(5, "M0000002", 1000), sale(3, "M0000002", 1000))

    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "device_seq_regressed"),
        ("rejected", "device_seq_regressed"),
    ]
    assert balance(engine, "M0000002") == 10
    # Gaps are fine: the register may have voided a queued op.
    [later] = push(client, world, sale(9, "M0000002", 1000))
    assert later["status"] == "applied"
    with Session(engine) as session:
        assert session.get(Register, "R01").last_device_seq == 9  # type: ignore[union-attr]


def test_unknown_program_version_and_invalid_redemption_are_refused(
    client: TestClient, world: World, engine: Engine
) -> None:
    results = push(
        client,
        world,
        sale(1, "M0000001", 1000, program_version=7),
        sale(2, "M0000001", 100, redeemed=200),  # more points than the bill
        sale(3, "M0000001", 1000),
    )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "unknown_program_version"),
        ("rejected", "invalid_redemption"),
        ("applied", None),
    ]
    assert balance(engine, "M0000001") == 1210


def test_blocked_member_is_refused(client: TestClient, world: World, engine: Engine) -> None:
    from hq.models import Member

    with Session(engine) as session, session.begin():
        member = session.get(Member, "M0000004")
        assert member is not None
        member.status = "blocked"
    [result] = push(client, world, sale(1, "M0000004", 1000))
    assert (result["status"], result["reason"]) == ("rejected", "member_blocked")
    assert balance(engine, "M0000004") == 5000


def test_missing_malformed_unknown_and_revoked_tokens_get_401(
    client: TestClient, world: World, engine: Engine
) -> None:
    body = {"ops": [sale(1)]}
    missing = client.post("/v1/sync/push", json=body)
    assert missing.status_code == 401
    assert "missing token" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"

    malformed = client.post("/v1/sync/push", json=body, headers={"Authorization": world.token})
    assert malformed.status_code == 401 and "Bearer" in malformed.json()["detail"]

    unknown = client.post("/v1/sync/push", json=body, headers=world.auth("not-a-real-token"))
    assert unknown.status_code == 401
    assert "unknown register token" in unknown.json()["detail"]

    revoke_register(engine, "R01")
    revoked = client.post("/v1/sync/push", json=body, headers=world.auth())
    assert revoked.status_code == 401
    assert "R01 is revoked" in revoked.json()["detail"]
    assert client.get("/v1/sync/pull", headers=world.auth()).status_code == 401
    assert balance(engine, "M0000001") == 1200


def test_ops_of_another_register_or_store_get_403_and_nothing_is_applied(
    client: TestClient, world: World, engine: Engine
) -> None:
    good = sale(1, "M0000001", 1000)
    from_r02 = sale(2, "M0000001", 1000, device_id="R02")
    response = client.post("/v1/sync/push", json={"ops": [good, from_r02]}, headers=world.auth())
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert from_r02["op_id"] in detail and "'R02'" in detail and "'R01'" in detail

    other_store = sale(1, "M0000001", 1000, store_id=OTHER_STORE)
    response = client.post("/v1/sync/push", json={"ops": [other_store]}, headers=world.auth())
    assert response.status_code == 403
    assert other_store["op_id"] in response.json()["detail"]
    assert "'S002'" in response.json()["detail"]

    # R09 belongs to S002: an op claiming R09 but store S001 is not its own either.
    wrong = sale(1, "M0000001", 1000, device_id="R09")
    response = client.post(
        "/v1/sync/push", json={"ops": [wrong]}, headers=world.auth(world.token_other_store)
    )
    assert response.status_code == 403

    assert balance(engine, "M0000001") == 1200
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OpRecord)) == 0


def test_garbage_bodies_get_422(client: TestClient, world: World) -> None:
    headers = {**world.auth(), "Content-Type": "application/json"}
    bad_json = client.post("/v1/sync/push", content=b"{not json", headers=headers)
    assert bad_json.status_code == 422
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"

    empty = client.post("/v1/sync/push", json={"ops": []}, headers=world.auth())
    assert empty.status_code == 422

    op = sale(1)
    op["payload"]["amount_yen"] = 1.5  # money is never a float
    assert client.post("/v1/sync/push", json={"ops": [op]}, headers=world.auth()).status_code == 422

    extra = dict(sale(1), surprise=True)
    response = client.post("/v1/sync/push", json={"ops": [extra]}, headers=world.auth())
    assert response.status_code == 422
    assert any(e["type"] == "extra_forbidden" for e in response.json()["detail"])

    naive = dict(sale(1), local_time="2026-11-22T10:30:00")
    assert client.post("/v1/sync/push", json={"ops": [naive]}, headers=world.auth()).status_code == 422


def test_many_ops_keep_every_balance_equal_to_its_ledger(
    client: TestClient, world: World, engine: Engine
) -> None:
    members = ["M0000001", "M0000002", "M0000003", "M0000004", "M0000005"]
    ops = [
        sale(seq, members[seq % 5], 300 + 137 * seq, redeemed=(seq % 3) * (seq % 5 != 1))
        for seq in range(1, 121)
    ]
    results = push(client, world, *ops)
    assert all(r["status"] == "applied" for r in results), results
    seqs = [r["server_seq"] for r in results]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert_ledger_invariant(engine)


def test_a_twin_stored_after_the_lookup_is_answered_from_the_stored_row(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ops primary key backs up the register lock: if a twin's row appears between the
    look-up and the insert, the batch fails on the key and each op is answered from the
    stored row, one transaction each."""
    from hq.auth import authenticate
    from hq.ingest import Ingestor
    from sync.protocol import Op

    op = sale(1, "M0000002", 1000)
    [first] = push(client, world, op)
    with Session(engine) as session, session.begin():
        session.get(Register, "R01").last_device_seq = 0  # type: ignore[union-attr]

    import hq.ingest
    from hq.ingest_reads import read_first as real_reads

    blinded: list[set[str]] = []

    def reads_missing_the_twin(batch: Any, ops: Any) -> Any:
        first = real_reads(batch, ops)
        if not blinded:
            blinded.append({op.op_id for op in ops})
            first.stored = {}
        return first

    monkeypatch.setattr(hq.ingest, "read_first", reads_missing_the_twin)
    later = sale(2, "M0000002", 2000)
    results = Ingestor(engine).push(
        authenticate(engine, world.token), [Op.model_validate(op), Op.model_validate(later)]
    )
    assert blinded == [{op["op_id"], later["op_id"]}]
    assert [r.status for r in results] == ["duplicate", "applied"]
    assert (results[0].balance, results[0].server_seq) == (first["balance"], first["server_seq"])
    assert results[1].balance == 30
    assert balance(engine, "M0000002") == 30
    assert_ledger_invariant(engine)
