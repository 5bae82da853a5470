"""Fixtures for the register store: a real SQLite file in a temp folder, seeded as HQ would."""

from __future__ import annotations

import pytest

from tests.support.seed import seeded_store


@pytest.fixture
def store(tmp_path):
    s = seeded_store(tmp_path / "register.db")
    yield s
    s.close()
