"""Programs uploaded through the admin API; QR signing keys, their rotation and app tokens."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.cli import main
from hq.demo import DEMO_PROGRAM_PATH
from hq.models import TokenSigningKey
from loyalty.tokens import verify_token
from sync.protocol import PullResponse
from tests.hq.hq_helpers import World, audit_rows

DEMO_TOML = DEMO_PROGRAM_PATH.read_text(encoding="utf-8")
V2 = DEMO_TOML.replace("version = 1", "version = 2")


def upload(client: TestClient, world: World, body: bytes | str, content_type: str = "application/toml"):  # type: ignore[no-untyped-def]
    return client.post("/v1/admin/programs", content=body,
                       headers={**world.admin_auth, "Content-Type": content_type})  # fmt: skip


def pull(client: TestClient, world: World, cursor: int) -> PullResponse:
    return PullResponse.model_validate(
        client.get("/v1/sync/pull", params={"cursor": cursor}, headers=world.auth()).json()
    )


def test_programs_are_uploaded_validated_listed_and_published(
    client: TestClient, world: World, engine: Engine
) -> None:
    cursor = pull(client, world, 0).cursor
    made = upload(client, world, V2)
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("version", "company_id")} == {"version": 2, "company_id": "C001"}
    assert upload(client, world, V2, "text/plain").status_code == 200  # the same text again

    changed = upload(client, world, V2.replace("per_yen = 100", "per_yen = 200"))
    assert changed.status_code == 409 and "already published" in changed.json()["detail"]
    bad = upload(client, world, DEMO_TOML.replace("per_yen = 100", "per_yen = 0").replace("version = 1", "version = 3"))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("earn.per_yen: must be at least 1")
    assert upload(client, world, "[program\n").status_code == 422
    not_text = upload(client, world, b"\xff\xfe\x00")
    assert not_text.status_code == 422 and "UTF-8" in not_text.json()["detail"]

    listed = client.get("/v1/admin/programs", headers=world.admin_auth).json()
    assert [p["version"] for p in listed] == [1, 2]
    one = client.get("/v1/admin/programs/2", headers=world.admin_auth).json()
    assert one["toml"] == V2
    assert client.get("/v1/admin/programs/9", headers=world.admin_auth).status_code == 404

    page = pull(client, world, cursor)
    assert [(c.kind, c.program.version if c.program else None) for c in page.changes] == [("program", 2)]
    [entry] = audit_rows(engine, "program", "2")
    assert (entry.action, entry.actor_kind, entry.actor) == ("publish_program", "admin", "hq-ops")


def test_rotation_publishes_the_new_key_and_retires_the_old(
    client: TestClient, world: World, engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    start = pull(client, world, 0)
    [first] = [c.token_key for c in start.changes if c.token_key]
    assert main(["--db", db_url, "keys", "rotate"]) == 0
    new_id, new_public, state = capsys.readouterr().out.split()
    assert state == "signing" and new_id != first.key_id and len(new_id) <= 16

    page = pull(client, world, start.cursor)
    keys = {c.token_key.key_id: c.token_key for c in page.changes if c.token_key}
    assert set(keys) == {first.key_id, new_id}
    assert keys[first.key_id].retired_at is not None and keys[new_id].retired_at is None
    assert keys[new_id].public_key == new_public

    rotated = client.post("/v1/admin/keys/rotate", headers=world.admin_auth)
    assert rotated.status_code == 201
    listed = client.get("/v1/admin/keys", headers=world.admin_auth).json()
    assert [k["retired_at"] is None for k in listed] == [False, False, True]
    assert all("private" not in k for k in listed)
    assert [a.action for a in audit_rows(engine, "token_key", rotated.json()["key_id"])] == ["rotate_token_key"]


def test_app_tokens_verify_with_the_published_key(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post("/v1/members/2900000000018/app-token", headers=world.auth(world.app))
    assert response.status_code == 200, response.text
    body = response.json()
    [key] = [c.token_key for c in pull(client, world, 0).changes if c.token_key]
    assert body["key_id"] == key.key_id
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key.public_key + "="))
    issued = datetime.fromisoformat(body["expires_at"]) - timedelta(seconds=60)
    claims = verify_token(body["token"], {key.key_id: public}, issued)
    assert (claims.member_no, claims.expires_at) == ("2900000000018", datetime.fromisoformat(body["expires_at"]))

    assert client.post("/v1/members/2999999999999/app-token", headers=world.admin_auth).status_code == 404
    client.post("/v1/admin/members/merge", headers=world.admin_auth,
                json={"source_member_no": "2900000000025", "target_member_no": "2900000000018", "reason": "x"})  # fmt: skip
    merged = client.post("/v1/members/2900000000025/app-token", headers=world.admin_auth)
    assert merged.status_code == 409 and "merged into" in merged.json()["detail"]

    with Session(engine) as session, session.begin():
        for row in session.query(TokenSigningKey):
            row.retired_at = row.created_at
    no_key = client.post("/v1/members/2900000000018/app-token", headers=world.admin_auth)
    assert no_key.status_code == 503 and "tamaru-hq keys rotate" in no_key.json()["detail"]
