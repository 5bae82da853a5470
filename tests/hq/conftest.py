"""Fixtures for the HQ tests: every database test runs on SQLite and on PostgreSQL.

Migrating and seeding a database takes longer than most tests, so each is done once per
session into a template (a file for SQLite, a template database for PostgreSQL) and
every test that wants a migrated database, or the seeded world, gets a copy of it.
`db_url` alone is an empty database; asking for `engine` or `world` fills it.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hq.app import create_app
from hq.db import make_engine, migrate
from hq.directory import load_program, provision_register
from tests.hq.hq_helpers import World, assert_ledger_invariant, build_world
from tests.hq.ledger_bench import SCENARIO_PROGRAM, START, Bench, Clock

_db_numbers = itertools.count(1)


class Templates:
    """Migrated (and seeded) databases made once per session, copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[tuple[str, str], tuple[str, World | None]] = {}

    def _build(self, url: str, kind: str) -> World | None:
        migrate(url)
        if kind != "world":
            return None
        engine = make_engine(url)
        try:
            return build_world(engine)
        finally:
            engine.dispose()

    def sqlite(self, kind: str) -> tuple[Path, World | None]:
        key = ("sqlite", kind)
        if key not in self._made:
            path = self.folder / f"template-{kind}.db"
            self._made[key] = (str(path), self._build(f"sqlite:///{path}", kind))
        path, world = self._made[key]
        return Path(path), world

    def postgresql(self, cluster: object, kind: str) -> tuple[str, World | None]:
        key = ("postgresql", kind)
        if key not in self._made:
            name = f"hq_template_{kind}"
            url = cluster.url_for(name)  # type: ignore[attr-defined]
            self._made[key] = (name, self._build(url, kind))
        return self._made[key]


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("hq-templates"))


def _wanted(request: pytest.FixtureRequest) -> str | None:
    names = request.fixturenames
    return "world" if "world" in names else "migrated" if "engine" in names else None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> str:
    """A fresh database URL: empty, or a copy of the migrated (or seeded) template when the
    test also asks for `engine` (or `world`)."""
    kind = _wanted(request)
    if request.param == "sqlite":
        path = tmp_path / "hq.db"
        if kind is not None:
            source, _ = templates.sqlite(kind)
            shutil.copyfile(source, path)
        return f"sqlite:///{path}"
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"hq_test_{next(_db_numbers)}"
    if kind is None:
        return str(cluster.url_for(name))
    template, _ = templates.postgresql(cluster, kind)
    return str(cluster.url_for(name, template=template))


@pytest.fixture(autouse=True)
def _ledger_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test on a migrated database, the ledger's invariants hold (DESIGN §5)."""
    engine = request.getfixturevalue("engine") if "engine" in request.fixturenames else None
    yield
    if engine is not None:
        assert_ledger_invariant(engine)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database (empty, or seeded when the test uses `world`)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(request: pytest.FixtureRequest, db_url: str, engine: Engine, templates: Templates) -> World:
    """The demo program and members, plus three provisioned registers."""
    if db_url.startswith("sqlite"):
        _, made = templates.sqlite("world")
    else:
        _, made = templates.postgresql(request.getfixturevalue("postgres_cluster"), "world")
    assert made is not None
    return made


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(db_url)) as client:
        yield client


@pytest.fixture
def bench(db_url: str, world: World, engine: Engine) -> Iterator[Bench]:
    """The world with the scenario program (version 2), a register of a partner company
    (P01, store P100, company C200), and HQ on a clock the test moves."""
    load_program(engine, SCENARIO_PROGRAM)
    tokens = {"R01": world.token, "R02": world.token_r02, "R09": world.token_other_store,
              "P01": provision_register(engine, "P100", "P01", "C200")}  # fmt: skip
    clock = Clock(START)
    with TestClient(create_app(db_url, clock=clock, hold_sweep_interval=None)) as client:
        yield Bench(client, world, engine, clock, tokens)
