"""Fixtures of the sync scenarios: an HQ process on a fresh PostgreSQL database, and
registers (store, store thread, sync client) that have pulled from it once."""

from __future__ import annotations

import pytest

from tests.reliability.harness import Register, new_hq_db, register_token
from tests.support.hq_process import HqProcess
from tests.support.postgres import free_port


@pytest.fixture
def hq(postgres_cluster, tmp_path, request):
    db_url = new_hq_db(postgres_cluster, request.node.name[:20].lower().replace("[", "_"))
    proc = HqProcess(db_url, log_dir=tmp_path, port=free_port()).start()
    yield proc, db_url
    proc.kill()


@pytest.fixture
def make_register(hq, tmp_path):
    proc, db_url = hq
    made: list[Register] = []

    def make(device_id="R01", transport=None, path=None, *, store_id="S001",
             client_options=None):
        token = register_token(db_url, device_id, store_id)
        reg = Register(path or tmp_path / f"{device_id}.db", device_id, proc.url, token,
                       transport=transport, store_id=store_id,
                       client_options=client_options or {})
        reg.client.sync_once()  # program, members, cards
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.close()


def pytest_terminal_summary(terminalreporter):
    """The chaos runs' reconciliations, shown in CI's output without `-s`."""
    from tests.reliability.harness import CHAOS_SUMMARIES

    if CHAOS_SUMMARIES:
        terminalreporter.section("sync reconciliation")
        for line in CHAOS_SUMMARIES:
            terminalreporter.write_line(line)
