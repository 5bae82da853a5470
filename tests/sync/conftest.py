"""Fixtures for the register store: a real SQLite file in a temp folder, seeded as HQ would."""

from __future__ import annotations

import pytest

from tests.support.seed import seeded_store


@pytest.fixture
def store(tmp_path):
    s = seeded_store(tmp_path / "register.db")
    yield s
    s.close()


@pytest.fixture(scope="module")
def sqlite_hq(tmp_path_factory):
    """A real HQ process on SQLite, shared by a module's tests (each uses its own
    registers and members' figures only as HQ reports them)."""
    from hq.demo import run_demo
    from tests.support.hq_process import HqProcess

    folder = tmp_path_factory.mktemp("hq")
    db_url = f"sqlite:///{folder / 'hq.db'}"
    run_demo(db_url, device_id="R01", store_id="S001")
    proc = HqProcess(db_url, log_dir=folder).start()
    yield proc, db_url
    proc.kill()


@pytest.fixture
def make_reg(sqlite_hq, tmp_path):
    """Registers against the module's HQ, each with its own device id, closed after."""
    from tests.sync.client_support import Reg, new_token, next_device

    proc, db_url = sqlite_hq
    made = []

    def make(*, transport=None, sync=True, device_id=None, **options):
        device = device_id or next_device()
        reg = Reg(tmp_path / f"{device}.db", device, proc.url, new_token(db_url, device),
                  transport=transport, options=options)
        made.append(reg)
        if sync:
            reg.client.sync_once()
        return reg

    yield make
    for reg in made:
        reg.close()
