"""A push's caller, proved in the push's own transaction; its answers, shaped without
models; and what a small push costs the database.

A register token seen valid is remembered (`hq.auth.RegisterTokens`), so a push takes no
transaction of its own to look it up: the register row the push locks anyway must
still hold the token, unrevoked, for the same store and epoch, or nothing is applied
and the token is looked up again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, event, text, update

from hq.answers import answer, push_body, replay
from hq.auth import authenticate, hash_token
from hq.directory import revoke_register
from hq.ingest import Ingestor, StaleRegister
from hq.models import Register
from hq.provisioning import provision_register
from sync.protocol import Op, OpResult, PushResponse
from tests.hq.hq_helpers import STORE, World, balance, sale


def _push(client: TestClient, token: str, *ops: dict[str, Any]) -> Any:
    return client.post("/v1/sync/push", json={"ops": list(ops)}, headers={"Authorization": f"Bearer {token}"})


def test_a_remembered_token_revoked_since_gets_401_and_nothing_is_applied(
    client: TestClient, world: World, engine: Engine
) -> None:
    assert _push(client, world.token, sale(1, "M0000001", 1000)).status_code == 200
    revoke_register(engine, "R01")
    refused = _push(client, world.token, sale(2, "M0000001", 5000))
    assert refused.status_code == 401
    assert "R01 is revoked" in refused.json()["detail"]
    assert balance(engine, "M0000001") == 1200 + 10


def test_a_remembered_token_of_a_moved_register_is_looked_up_again(
    client: TestClient, world: World, engine: Engine
) -> None:
    assert _push(client, world.token, sale(1, "M0000001", 1000)).status_code == 200
    with engine.begin() as conn:
        conn.execute(update(Register).where(Register.device_id == "R01").values(store_id="S777"))
    # Ops of the old store are no longer this register's; of the new one, they are.
    assert _push(client, world.token, sale(2, "M0000001", 1000)).status_code == 403
    moved = _push(client, world.token, sale(2, "M0000001", 1000, store_id="S777"))
    assert moved.status_code == 200 and moved.json()["results"][0]["status"] == "applied"


def test_a_push_names_the_token_it_proves(world: World, engine: Engine) -> None:
    who = authenticate(engine, world.token)
    op = Op.model_validate(sale(1, "M0000001", 1000))
    with pytest.raises(StaleRegister):
        Ingestor(engine).answers(who, [op], token_hash=hash_token(world.token_r02))
    with pytest.raises(StaleRegister):
        Ingestor(engine).answers(who, [op], token_hash=hash_token(world.token) + "x")
    assert balance(engine, "M0000001") == 1200
    [result] = Ingestor(engine).answers(who, [op], token_hash=hash_token(world.token))
    assert result["status"] == "applied"


def test_a_new_token_for_the_register_refuses_the_old_one(client: TestClient, world: World, engine: Engine) -> None:
    token = provision_register(engine, STORE, "R05", "C001")
    assert _push(client, token, sale(1, "M0000001", 1000, device_id="R05")).status_code == 200
    newer = provision_register(engine, STORE, "R05", "C001")
    assert _push(client, token, sale(2, "M0000001", 1000, device_id="R05")).status_code == 401
    assert _push(client, newer, sale(2, "M0000001", 1000, device_id="R05")).status_code == 200


AT = datetime(2026, 4, 1, 3, 4, 5, 600700, tzinfo=UTC)
RESULTS: list[dict[str, Any]] = [
    {"op_id": str(uuid.uuid4()), "status": "applied", "member_id": "M1", "balance": 120, "debt": 0,
     "points_earned": 20, "points_redeemed": 0, "server_seq": 7,
     "breakdown": [{"source": "base", "name": "通常ポイント", "points": 10, "limited": False, "expires_at": None},
                   {"source": "camp", "name": "春", "points": 10, "limited": True, "expires_at": AT}],
     "lots": [{"kind": "normal", "points": 110, "expires_at": None},
              {"kind": "limited", "points": 10, "expires_at": AT + timedelta(days=1)}]},
    {"op_id": str(uuid.uuid4()), "status": "rejected", "reason": "unknown_member", "member_id": None},
    {"op_id": str(uuid.uuid4()), "status": "parked"},
    {"op_id": str(uuid.uuid4()), "status": "applied", "member_id": "M1", "balance": -5, "debt": 5,
     "points_reversed": 3, "points_restored": 0, "lots": []},
]  # fmt: skip


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: r["status"])
def test_answers_have_the_shape_pydantic_gives_them(result: dict[str, Any]) -> None:
    expected = OpResult.model_validate(result).model_dump(mode="json")
    shaped = answer(result)
    assert shaped == expected and list(shaped) == list(expected)
    assert answer(shaped) == expected  # a stored answer, read back
    again = replay(shaped)
    assert again["status"] == {"applied": "duplicate"}.get(result["status"], result["status"])
    body = push_body([shaped, again])
    assert TypeAdapter(PushResponse).validate_json(body).results[0] == OpResult.model_validate(result)


def test_a_small_push_on_postgresql_reads_in_one_pipeline_and_writes_in_another(
    db_url: str, client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No statement of a batch of sales goes through SQLAlchemy: the reads and the writes
    each travel in one pipeline (`hq.ingest_reads`, `hq.bulk.Writes`)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the pipelines are PostgreSQL's")
    assert _push(client, world.token, sale(1, "M0000001", 1000)).status_code == 200  # token remembered
    statements: list[str] = []
    app_engine = client.app.state.engine  # type: ignore[attr-defined]
    event.listen(app_engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    pipelines: list[int] = []
    import psycopg

    real = psycopg.Connection.pipeline

    def counted(self: psycopg.Connection[Any]) -> Any:
        pipelines.append(1)
        return real(self)

    monkeypatch.setattr(psycopg.Connection, "pipeline", counted)
    ops = [sale(2 + k, f"M000000{1 + k % 3}", 1000 + k) for k in range(5)]
    response = _push(client, world.token, *ops)
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 5
    assert statements == [] and len(pipelines) == 2


def test_a_push_on_a_connection_the_database_dropped_is_applied_on_a_new_one(
    db_url: str, client: TestClient, world: World, engine: Engine
) -> None:
    """HQ pings a pooled connection only after it sat idle: one lost while busy fails the
    push's first attempt, which is made again on a new connection."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server's connections")
    assert _push(client, world.token, sale(1, "M0000001", 1000)).status_code == 200
    with engine.begin() as conn:
        dropped = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database()")).scalar_one()  # fmt: skip
    assert dropped >= 1
    again = _push(client, world.token, sale(2, "M0000001", 1000))
    assert again.status_code == 200 and again.json()["results"][0]["status"] == "applied"
    assert balance(engine, "M0000001") == 1200 + 20
