"""Suite-wide test setup: offscreen Qt, private temp folders, no stray home directory."""

from __future__ import annotations

import os
import tempfile

# Set before anything imports Qt or escpos.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", tempfile.mkdtemp(prefix="escpos-caps-"))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _tamaru_home(tmp_path, monkeypatch):
    """Every test gets its own TAMARU_HOME so nothing touches the real data folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("TAMARU_HOME", str(home))
    return home


# One PostgreSQL cluster and one pcscd for the whole session, whichever folder asks first.
pytest_plugins = ["tests.support.postgres", "tests.support.pcscd_fixtures"]
