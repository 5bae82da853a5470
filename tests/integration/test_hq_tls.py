"""HTTPS to HQ: a chain's private CA trusted alone, a certificate it does not prove refused
with a message that says so, the queue kept, and the register's token in no log line."""

from __future__ import annotations

import logging

import pytest

from hq.demo import run_demo
from sync.client import SyncClient, SyncError, tls_context
from sync.store import RegisterStore
from sync.worker import StoreWorker
from tests.support.hq_process import HqProcess
from tests.support.tls import make_pki

pytestmark = pytest.mark.integration


@pytest.fixture
def tls_hq(tmp_path):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    demo = run_demo(url, device_id="R01", store_id="S001")
    pki = make_pki(tmp_path / "pki")
    with HqProcess(url, log_dir=tmp_path, tls=(pki.cert, pki.key)) as hq:
        assert hq.url.startswith("https://127.0.0.1:")
        yield hq, demo.token, pki


@pytest.fixture
def register(tmp_path):
    store = RegisterStore(tmp_path / "register.db")
    store.initialise("R01", "S001")
    worker = StoreWorker()
    clients: list[SyncClient] = []

    def client(url, token, **kw):
        c = SyncClient(store, worker, url, token, timeout=5, **kw)
        clients.append(c)
        return c

    yield store, client
    for c in clients:
        c.stop()
    worker.shutdown()
    store.close()


def test_the_private_ca_verifies_hq_and_the_token_is_never_logged(tls_hq, register, caplog):
    hq, token, pki = tls_hq
    store, client = register
    caplog.set_level(logging.DEBUG)
    c = client(hq.url, token, ca_file=pki.ca)
    pushed, pulled = c.sync_once()
    assert pulled > 0 and store.pull_cursor() > 0 and c.online is True
    assert c.create_hold(store.member_by_card(_a_card(store)).member_id, 1).status == "pending"
    assert token not in caplog.text
    assert token not in repr(c.hq)


def test_a_certificate_the_trusted_cas_do_not_prove_is_refused_plainly(tls_hq, register,
                                                                        tmp_path, caplog):
    hq, token, _pki = tls_hq
    store, client = register
    other = make_pki(tmp_path / "other", label="other")
    caplog.set_level(logging.DEBUG)
    for c in (client(hq.url, token), client(hq.url, token, ca_file=other.ca)):
        with pytest.raises(SyncError, match="証明書を確認できません") as err:
            c.sync_once()
        assert err.value.retry and c.online is False
    assert store.pull_cursor() == 0  # nothing taken from a server nobody vouched for
    assert token not in caplog.text


def test_the_tls_context_is_made_once_per_trust_store(tmp_path):
    pki = make_pki(tmp_path)
    public = tls_context("https://hq.example.co.jp")
    assert public is tls_context("https://other.example.co.jp")
    assert public.cert_store_stats()["x509_ca"] > 10  # the public bundle
    private = tls_context("https://hq.example.co.jp", pki.ca)
    assert private is tls_context("https://hq.example.co.jp", str(pki.ca))
    assert private.cert_store_stats()["x509_ca"] == 1  # that CA, and nothing else
    # Plain HTTP goes to a loopback HQ only; its context trusts nothing at all.
    assert tls_context("http://127.0.0.1:8765").cert_store_stats()["x509_ca"] == 0


def _a_card(store):
    import sqlite3

    with sqlite3.connect(store.path) as con:
        return con.execute("SELECT uid FROM cards WHERE status = 'active' LIMIT 1").fetchone()[0]
