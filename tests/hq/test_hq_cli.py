"""`tamaru-hq`: migrate, provision, programs, members and the idempotent demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hq.auth import AuthError, authenticate
from hq.cli import default_db_url, main
from hq.db import head_revision, make_engine
from hq.demo import DEMO_MEMBERS
from hq.models import Card, LedgerEntry, Member, ProgramVersion, Register


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def counts(url: str) -> tuple[int, int, int, int, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return tuple(  # type: ignore[return-value]
                int(session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Member, Card, LedgerEntry, ProgramVersion, Register)
            )
    finally:
        engine.dispose()


def test_demo_is_idempotent_and_rotates_the_token(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", db_url, "demo", "--json")
    assert (code, err) == (0, "")
    first = json.loads(out)
    assert {k: first[k] for k in ("device_id", "store_id", "company_id", "program_version")} == {
        "device_id": "R01",
        "store_id": "S001",
        "company_id": "C001",
        "program_version": 1,
    }
    n = len(DEMO_MEMBERS)
    assert counts(db_url) == (n, n, sum(1 for m in DEMO_MEMBERS if m.initial_points), 1, 1)

    code, out, _ = run(capsys, "--db", db_url, "demo", "--device", "R01", "--store", "S001", "--json")
    assert code == 0
    second = json.loads(out)
    assert second["token"] != first["token"]
    assert counts(db_url) == (n, n, sum(1 for m in DEMO_MEMBERS if m.initial_points), 1, 1)

    engine = make_engine(db_url)
    try:
        with pytest.raises(AuthError):
            authenticate(engine, first["token"])
        assert authenticate(engine, second["token"]).device_id == "R01"
        with Session(engine) as session:
            hanako = session.scalars(select(Member).where(Member.member_no == "2900000000018")).one()
            assert (hanako.display_name, hanako.balance) == ("山田 花子", 1200)
    finally:
        engine.dispose()


def test_migrate_provision_load_and_add_member(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", db_url, "provision", "--store", "S1", "--device", "R1")
    assert code == 2
    assert err.count("\n") == 1 and "no HQ schema" in err and "tamaru-hq migrate" in err

    code, out, _ = run(capsys, "--db", db_url, "migrate")
    assert code == 0 and head_revision() in out

    program = tmp_path / "p.toml"
    program.write_text("[program]\nversion = 3\nname = 'P'\ncompany_id = 'C9'\n[earn]\npoints = 1\nper_yen = 200\n", encoding="utf-8")
    code, out, _ = run(capsys, "--db", db_url, "load-program", str(program))
    assert code == 0 and "version 3" in out

    code, out, _ = run(
        capsys, "--db", db_url, "provision", "--store", "S1", "--device", "R1", "--token", "--json"
    )
    assert code == 0
    provisioned = json.loads(out)
    assert set(provisioned) == {"device_id", "store_id", "token"}
    engine = make_engine(db_url)
    try:
        assert authenticate(engine, provisioned["token"]).company_id == "C9"
    finally:
        engine.dispose()

    code, out, _ = run(
        capsys, "--db", db_url, "add-member", "--member-no", "2900000000103",
        "--name", "小林 陽子", "--card-uid", "04d1d2d3d4d5d6", "--points", "40",
    )  # fmt: skip
    assert code == 0 and "04D1D2D3D4D5D6" in out and "added" in out
    assert counts(db_url)[:3] == (1, 1, 1)


def test_errors_are_one_line_on_stderr_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    assert run(capsys, "--db", url, "migrate")[0] == 0

    bad = tmp_path / "bad.toml"
    bad.write_text("[program]\nversion = 1\nname = 'P'\ncompany_id = 'C1'\n", encoding="utf-8")
    for argv, message in (
        (["load-program", str(bad)], "[earn]: missing section"),
        (["load-program", str(tmp_path / "missing.toml")], "cannot read"),
        (["add-member", "--member-no", "1", "--name", "x", "--card-uid", "04AABBCCDDEEFF"], "13 digits"),
        (["provision", "--store", "S1", "--device", "R1"], "no program is loaded"),
        (["revoke", "--device", "R404"], "unknown register R404"),
    ):
        code, _, err = run(capsys, "--db", url, *argv)
        assert code == 2, argv
        assert err.startswith("tamaru-hq: error: ") and err.count("\n") == 1, err
        assert message in err

    code, _, err = run(capsys, "--db", "mysql://nobody@nowhere/x", "migrate")
    assert code == 2 and "unsupported database URL" in err


def test_serve_refuses_an_unmigrated_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve", "--port", "9")
    assert code == 2 and "no HQ schema" in err and "migrate" in err


def test_default_database_lives_under_tamaru_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TAMARU_HQ_DB", raising=False)
    monkeypatch.setenv("TAMARU_HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / "hq" / "hq.db"
    assert default_db_url() == f"sqlite:///{expected}"
    assert not expected.parent.exists()  # nothing is created until a command runs
    assert run(capsys, "migrate")[0] == 0
    assert expected.is_file()

    monkeypatch.setenv("TAMARU_HQ_DB", "sqlite:///" + str(tmp_path / "env.db"))
    assert default_db_url().endswith("env.db")
