"""HQ as a real uvicorn process: real HTTP, requests racing on threads, and kill -9."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from hq.models import LedgerEntry, OpRecord
from sync.protocol import PullResponse
from tests.hq.hq_helpers import World, assert_ledger_invariant, balance, sale
from tests.support.hq_process import HqProcess


@pytest.fixture
def hq(db_url: str, world: World, tmp_path: Path) -> Iterator[HqProcess]:
    with HqProcess(db_url, log_dir=tmp_path) as process:
        yield process


def test_push_and_pull_over_real_http(hq: HqProcess, world: World, engine: Engine) -> None:
    with httpx.Client(base_url=hq.url, headers=world.auth(), timeout=10) as client:
        assert client.get("/v1/health").json() == {"status": "ok", "protocol": 1}
        op = sale(1, "M0000001", 10_800, redeemed=800)
        response = client.post("/v1/sync/push", json={"ops": [op]})
        assert response.status_code == 200
        [result] = response.json()["results"]
        assert (result["status"], result["points_earned"], result["balance"]) == ("applied", 100, 500)

        page = PullResponse.model_validate(client.get("/v1/sync/pull", params={"cursor": 0}).json())
        hanako = [c.member for c in page.changes if c.member and c.member.member_id == "M0000001"]
        assert [m.balance for m in hanako] == [500]
        assert page.cursor == result["server_seq"]

        anonymous = httpx.post(f"{hq.url}/v1/sync/push", json={"ops": [op]}, timeout=10)
        assert anonymous.status_code == 401
    assert balance(engine, "M0000001") == 500


def _send_at_once(
    client: httpx.Client,
    op: dict[str, Any],
    barrier: threading.Barrier,
    answers: list[dict[str, Any]],
    errors: list[BaseException],
) -> None:
    try:
        barrier.wait(5)  # both requests leave together, so they race inside HQ
        response = client.post("/v1/sync/push", json={"ops": [op]})
        response.raise_for_status()
        answers.append(response.json()["results"][0])
    except BaseException as exc:  # reported on the test's thread
        errors.append(exc)


def test_the_same_op_pushed_twice_at_once_is_applied_once(
    hq: HqProcess, world: World, engine: Engine
) -> None:
    rounds = 12
    clients = [httpx.Client(base_url=hq.url, headers=world.auth(), timeout=30) for _ in range(2)]
    try:
        for seq in range(1, rounds + 1):
            op = sale(seq, "M0000002", 1000 + seq)
            barrier = threading.Barrier(2)
            answers: list[dict[str, Any]] = []
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=_send_at_once, args=(c, op, barrier, answers, errors))
                for c in clients
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
            assert sorted(a["status"] for a in answers) == ["applied", "duplicate"], answers
            first, second = answers
            assert first["balance"] == second["balance"] == 10 * seq
            assert first["server_seq"] == second["server_seq"]
    finally:
        for c in clients:
            c.close()

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OpRecord)) == rounds
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == rounds + 4
    assert balance(engine, "M0000002") == 10 * rounds
    assert_ledger_invariant(engine)


def test_a_retry_after_hq_is_killed_gets_the_original_result(
    hq: HqProcess, world: World, engine: Engine
) -> None:
    op = sale(1, "M0000003", 2000)
    with httpx.Client(headers=world.auth(), timeout=10) as client:
        [first] = client.post(f"{hq.url}/v1/sync/push", json={"ops": [op]}).json()["results"]
        assert first["status"] == "applied"
        assert hq.kill() == -9
        with pytest.raises(httpx.TransportError):
            client.get(f"{hq.url}/v1/health")
        hq.start()
        [retry] = client.post(f"{hq.url}/v1/sync/push", json={"ops": [op]}).json()["results"]
    assert retry["status"] == "duplicate"
    assert (retry["balance"], retry["server_seq"]) == (first["balance"], first["server_seq"])
    assert balance(engine, "M0000003") == 370
    assert_ledger_invariant(engine)


def _hold_at_once(
    client: httpx.Client,
    barrier: threading.Barrier,
    answers: list[httpx.Response],
    errors: list[BaseException],
) -> None:
    try:
        barrier.wait(5)
        body = {"hold_id": str(uuid.uuid4()), "member_id": "M0000005", "points": 60}
        answers.append(client.post("/v1/holds", json=body))
    except BaseException as exc:  # reported on the test's thread
        errors.append(exc)


def test_two_stores_holding_the_same_points_at_once_get_one_hold(
    hq: HqProcess, world: World, engine: Engine
) -> None:
    """田中 健太 has 80 pt; two stores ask to hold 60 of them at the same moment."""
    clients = [
        httpx.Client(base_url=hq.url, headers=world.auth(token), timeout=30)
        for token in (world.token, world.token_other_store)
    ]
    try:
        for _round in range(6):
            barrier = threading.Barrier(2)
            answers: list[httpx.Response] = []
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=_hold_at_once, args=(c, barrier, answers, errors))
                for c in clients
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            [won] = [a.json() for a in answers if a.status_code == 201]
            [lost] = [a.json() for a in answers if a.status_code == 409]
            assert won["available"] == 20 and "available 20, requested 60" in lost["detail"]
            # Only the store that won may void it (the customer changed their mind).
            voided = [c.post(f"/v1/holds/{won['hold_id']}/void") for c in clients]
            assert sorted(v.status_code for v in voided) == [200, 403]
    finally:
        for c in clients:
            c.close()
    assert balance(engine, "M0000005") == 80
