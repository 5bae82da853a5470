"""Who may call what: admin tokens, register tokens, and a clear reason for every refusal."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.admin_tokens import revoke_admin_token
from hq.audit import Actor
from hq.auth import hash_token
from hq.cli import main
from hq.models import AdminToken
from tests.hq.hq_helpers import World, audit_rows, sale

ADMIN_GETS = ["/v1/admin/registers", "/v1/admin/programs", "/v1/admin/keys", "/v1/admin/audit"]


def test_cli_creates_lists_and_revokes_admin_tokens(
    client: TestClient, db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "admin-token", "create", "--name", "yamada"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("tqa_") and len(token) > 40
    with Session(engine) as session:
        row = session.get(AdminToken, "yamada")
        assert row is not None and row.token_hash == hash_token(token) and row.role == "admin"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/admin/registers", headers=headers).status_code == 200

    assert main(["--db", db_url, "admin-token", "create", "--name", "yamada"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--db", db_url, "admin-token", "list"]) == 0
    assert "yamada\tadmin\tactive" in capsys.readouterr().out

    assert main(["--db", db_url, "admin-token", "revoke", "--name", "yamada"]) == 0
    capsys.readouterr()
    refused = client.get("/v1/admin/registers", headers=headers)
    assert refused.status_code == 401 and refused.json()["detail"] == "admin token 'yamada' is revoked"
    assert [a.action for a in audit_rows(engine, "admin_token", "yamada")] == [
        "create_admin_token",
        "revoke_admin_token",
    ]


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_admin_routes_refuse_everyone_but_admins(client: TestClient, world: World, path: str) -> None:
    missing = client.get(path)
    assert missing.status_code == 401 and "missing token" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"

    malformed = client.get(path, headers={"Authorization": "Token abc"})
    assert malformed.status_code == 401 and "expected Bearer" in malformed.json()["detail"]

    unknown = client.get(path, headers=world.auth("tqa_not-a-token"))
    assert unknown.status_code == 401 and "unknown admin token" in unknown.json()["detail"]

    register = client.get(path, headers=world.auth())
    assert register.status_code == 403
    assert register.json()["detail"] == "register R01 cannot use the admin API: send an admin token"

    app_role = client.get(path, headers=world.auth(world.app))
    assert app_role.status_code == 403
    assert "has role 'app'" in app_role.json()["detail"]

    assert client.get(path, headers=world.admin_auth).status_code == 200


def test_admin_tokens_cannot_act_as_registers(client: TestClient, world: World) -> None:
    push = client.post("/v1/sync/push", json={"ops": [sale(1)]}, headers=world.admin_auth)
    assert push.status_code == 403
    assert "admin token 'hq-ops' cannot act as a register" in push.json()["detail"]
    assert client.get("/v1/sync/pull", headers=world.admin_auth).status_code == 403
    hold = {"hold_id": str(uuid.uuid4()), "member_id": "M0000001", "points": 100}
    assert client.post("/v1/holds", json=hold, headers=world.admin_auth).status_code == 403
    assert client.get("/v1/registers/me", headers=world.admin_auth).status_code == 403


def test_member_routes_take_registers_and_admins_but_not_app_tokens(
    client: TestClient, world: World
) -> None:
    for headers in (world.auth(), world.admin_auth):
        assert client.get("/v1/members/2900000000018", headers=headers).status_code == 200
        history = client.get("/v1/members/2900000000018/history", headers=headers)
        assert history.status_code == 200
    app = client.get("/v1/members/2900000000018", headers=world.auth(world.app))
    assert app.status_code == 403 and "has role 'app'" in app.json()["detail"]
    assert client.get("/v1/members/2900000000018").status_code == 401

    # Issuing QR tokens is for admins and the member app's back end, never a register.
    register = client.post("/v1/members/2900000000018/app-token", headers=world.auth())
    assert register.status_code == 403 and "cannot use the admin API" in register.json()["detail"]


def test_a_revoked_admin_token_is_refused_everywhere(
    client: TestClient, world: World, engine: Engine
) -> None:
    revoke_admin_token(engine, "hq-ops", actor=Actor("cli", "test"))
    for method, path in (("GET", "/v1/admin/keys"), ("GET", "/v1/members/2900000000018")):
        response = client.request(method, path, headers=world.admin_auth)
        assert response.status_code == 401 and "revoked" in response.json()["detail"]
