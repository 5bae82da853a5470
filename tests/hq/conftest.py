"""Fixtures for the HQ tests: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hq.app import create_app
from hq.db import make_engine, migrate
from tests.hq.hq_helpers import World, build_world

_db_numbers = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL (not migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.db'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return str(cluster.url_for(f"hq_test_{next(_db_numbers)}"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    """The demo program and members, plus three provisioned registers."""
    return build_world(engine)


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(db_url)) as client:
        yield client
