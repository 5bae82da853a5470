"""Registers: one-time provisioning codes, activation, revocation and re-registration."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hq.audit import Actor
from hq.cli import main
from hq.models import OpRecord, ProvisioningCode, Register
from hq.provisioning import hash_code, normalize_code, provision, reregister, revoke_register
from tests.hq.hq_helpers import STORE, World, audit_rows, sale

ACTOR = Actor("cli", "test")


def activate(client: TestClient, device_id: str, code: str) -> Any:
    return client.post("/v1/registers/activate", json={"device_id": device_id, "code": code})


def test_cli_prints_a_code_that_activates_exactly_once(
    client: TestClient, db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "provision", "--store", STORE, "--device", "R05", "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert set(issued) == {"device_id", "store_id", "company_id", "code", "expires_at"}
    code = issued["code"]
    assert len(code) == 14 and code.count("-") == 2  # XXXX-XXXX-XXXX
    with Session(engine) as session:
        row = session.scalars(select(ProvisioningCode)).one()
        # Only the hash is kept, and the register has no token until it activates.
        assert row.code_hash == hash_code(code) and code not in row.code_hash
        assert session.get(Register, "R05").token_hash is None  # type: ignore[union-attr]
        assert row.expires_at - row.created_at == timedelta(hours=24)

    # Typed by a person: lower case, no dashes, an O for a zero.
    typed = code.replace("-", "").lower().replace("0", "o")
    first = activate(client, "R05", typed)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["device_id"], body["store_id"], body["company_id"], body["epoch"]) == (
        "R05", STORE, "C001", 1
    )  # fmt: skip
    assert body["program_version"] == 1 and len(body["token_keys"]) == 1
    assert len(body["phone_hash_key"]) == 64
    token = body["token"]
    assert client.get("/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    me = client.get("/v1/registers/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {k: v for k, v in body.items() if k != "token"}

    again = activate(client, "R05", code)
    assert again.status_code == 409
    assert "already used" in again.json()["detail"] and "new one" in again.json()["detail"]
    assert [a.action for a in audit_rows(engine, "register", "R05")] == ["provision", "activate"]


def test_bad_expired_and_foreign_codes_are_refused_with_a_reason(
    client: TestClient, engine: Engine
) -> None:
    issued = provision(engine, STORE, "R06", actor=ACTOR)
    other = provision(engine, STORE, "R07", actor=ACTOR)

    wrong_device = activate(client, "R06", other.code)
    assert wrong_device.status_code == 403
    assert "not recognised for register R06" in wrong_device.json()["detail"]
    assert activate(client, "R06", "AAAA-BBBB-CCCC").status_code == 403

    with Session(engine) as session, session.begin():
        row = session.get(ProvisioningCode, hash_code(issued.code))
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
    expired = activate(client, "R06", issued.code)
    assert expired.status_code == 403 and "expired at" in expired.json()["detail"]

    # A new code replaces the old unused one.
    newer = provision(engine, STORE, "R07", actor=ACTOR)
    assert activate(client, "R07", other.code).status_code == 403
    assert activate(client, "R07", newer.code).status_code == 200

    # Revoking a register also voids its unused code.
    pending = provision(engine, STORE, "R08", actor=ACTOR)
    revoke_register(engine, "R08", actor=ACTOR)
    assert activate(client, "R08", pending.code).status_code == 403
    assert activate(client, "R08", "").status_code == 422


def test_a_new_code_keeps_the_old_token_working_until_it_is_used(
    client: TestClient, world: World, engine: Engine
) -> None:
    issued = provision(engine, STORE, "R02", actor=ACTOR)
    assert client.get("/v1/sync/pull", headers=world.auth(world.token_r02)).status_code == 200
    new_token = activate(client, "R02", issued.code).json()["token"]
    stale = client.get("/v1/sync/pull", headers=world.auth(world.token_r02))
    assert stale.status_code == 401 and "unknown register token" in stale.json()["detail"]
    assert client.get("/v1/sync/pull", headers=world.auth(new_token)).status_code == 200


def test_admin_api_provisions_with_code_or_token_and_moves_nowhere(
    client: TestClient, world: World
) -> None:
    made = client.post(
        "/v1/admin/registers", json={"device_id": "R10", "store_id": "S003"}, headers=world.admin_auth
    )
    assert made.status_code == 201
    assert made.json()["code"] and made.json()["token"] is None
    token = activate(client, "R10", made.json()["code"]).json()["token"]
    assert client.get("/v1/registers/me", headers=world.auth(token)).json()["store_id"] == "S003"

    direct = client.post(
        "/v1/admin/registers",
        json={"device_id": "R11", "store_id": "S003", "token": True},
        headers=world.admin_auth,
    )
    assert direct.status_code == 201 and direct.json()["code"] is None
    assert client.get("/v1/sync/pull", headers=world.auth(direct.json()["token"])).status_code == 200

    moved = client.post(
        "/v1/admin/registers", json={"device_id": "R10", "store_id": "S004"}, headers=world.admin_auth
    )
    assert moved.status_code == 409 and "belongs to store S003" in moved.json()["detail"]

    listed = {r["device_id"]: r for r in client.get("/v1/admin/registers", headers=world.admin_auth).json()}
    assert listed["R10"]["active"] and listed["R01"]["epoch"] == 1
    revoked = client.post("/v1/admin/registers/R10/revoke", headers=world.admin_auth)
    assert revoked.status_code == 200 and revoked.json()["revoked"] and not revoked.json()["active"]
    assert client.get("/v1/sync/pull", headers=world.auth(token)).status_code == 401
    assert client.post("/v1/admin/registers/NOPE/revoke", headers=world.admin_auth).status_code == 404


def _push(client: TestClient, token: str, *ops: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/sync/push", json={"ops": list(ops)}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_register_restored_from_backup_reregisters_under_a_new_epoch(
    client: TestClient, world: World, engine: Engine, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    before_backup = sale(1, "M0000002", 1000)
    after_backup = [sale(seq, "M0000002", 1000) for seq in (2, 3)]
    assert [r["status"] for r in _push(client, world.token, before_backup, *after_backup)] == [
        "applied"
    ] * 3

    # Restored from a backup taken after seq 1: its next sale reuses seq 2.
    restored = sale(2, "M0000002", 5000)
    [refused] = _push(client, world.token, restored)
    assert (refused["status"], refused["reason"]) == ("rejected", "device_seq_regressed")

    assert main(["--db", db_url, "reregister", "--device", "R01", "--reason", "restored", "--json"]) == 0
    code = json.loads(capsys.readouterr().out)["code"]
    stale = client.post("/v1/sync/push", json={"ops": [restored]}, headers=world.auth())
    assert stale.status_code == 401
    body = activate(client, "R01", code).json()
    assert body["epoch"] == 2

    # The backup's outbox still holds seq 1: answered from the op table, not applied again.
    results = _push(client, body["token"], before_backup, restored, sale(3, "M0000002", 1000))
    assert [r["status"] for r in results] == ["duplicate", "applied", "applied"]
    assert results[1]["balance"] == 30 + 50
    with Session(engine) as session:
        assert session.get(OpRecord, restored["op_id"]).epoch == 2  # type: ignore[union-attr]
        assert session.get(OpRecord, before_backup["op_id"]).epoch == 1  # type: ignore[union-attr]
        assert session.get(Register, "R01").last_device_seq == 3  # type: ignore[union-attr]
    [entry] = [a for a in audit_rows(engine, "register", "R01") if a.action == "reregister"]
    assert entry.reason == "restored"
    assert (entry.before or {})["epoch"] == 1 and (entry.after or {})["epoch"] == 2
    assert (entry.before or {})["last_device_seq"] == 3 and (entry.after or {})["last_device_seq"] == 0

    token = reregister(engine, "R01", actor=ACTOR, with_token=True)
    assert isinstance(token, str)
    over_api = client.post(
        "/v1/admin/registers/R01/reregister", json={"reason": "again"}, headers=world.admin_auth
    )
    assert over_api.status_code == 200 and over_api.json()["code"]
    assert client.get("/v1/registers/me", headers=world.auth(token)).status_code == 401


def test_codes_normalize_what_people_type() -> None:
    assert normalize_code(" abcd-efgh-jk1o ") == "ABCDEFGHJK10"
    assert normalize_code("ＡＢＣＤ ｉｌｏ") == "ABCD110"
