"""First-run provisioning against a real HQ server process: a good code gives a token
that syncs, and every way it can go wrong says so in words an installer can act on."""

from __future__ import annotations

import http.server
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from desktop.provisioning import (
    ProvisioningError,
    activate,
    needs_provisioning,
    provision,
    save_activation,
)
from desktop.secrets import load_token, read_token, token_path
from desktop.settings import Settings
from hq.audit import Actor
from hq.db import make_engine
from hq.demo import run_demo
from hq.provisioning import provision as hq_provision
from tests.support.hq_process import REPO_ROOT, HqProcess
from tests.support.postgres import free_port


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    # The machine's own keyring, if any, is not the test's to fill.
    monkeypatch.setenv("TAMARU_SECRET_STORE", "file")


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hq")
    db_url = f"sqlite:///{folder / 'hq.db'}"
    run_demo(db_url)
    with HqProcess(db_url, log_dir=folder) as proc:
        yield proc, db_url


def issue_code_cli(db_url: str, device: str, store: str = "S001") -> str:
    """What the operator at HQ does: `tamaru-hq provision` prints the code."""
    done = subprocess.run(
        [sys.executable, "-m", "hq.cli", "--db", db_url, "provision", "--store", store,
         "--device", device], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        check=True)
    return done.stdout.split()[0]


def issue_code(db_url: str, device: str, store: str = "S001") -> str:
    """The same, in this process (a subprocess per code would double the test's time)."""
    engine = make_engine(db_url)
    try:
        return hq_provision(engine, store, device, "C001", actor=Actor.cli()).code
    finally:
        engine.dispose()


def test_a_good_code_provisions_the_register(hq, tmp_path):
    proc, db_url = hq
    code = issue_code_cli(db_url, "R11")
    home = tmp_path / "home"
    # Typed the way installers type: lower case, spaces instead of dashes.
    activation = provision(home, proc.url, " R11 ", code.lower().replace("-", " "),
                           store_id="S001")
    assert (activation.device_id, activation.store_id, activation.company_id) == \
        ("R11", "S001", "C001")
    assert activation.token not in repr(activation)
    settings = Settings.load(home)
    assert settings.get("hq.url") == proc.url
    assert (settings.get("register.device_id"), settings.get("register.store_id")) == \
        ("R11", "S001")
    config = (home / "config.toml").read_text(encoding="utf-8")
    assert activation.token not in config
    assert read_token(home) == activation.token == load_token(home)
    assert oct(token_path(home).stat().st_mode & 0o777) == "0o600"
    assert not needs_provisioning(settings, frozen=True)
    # The token is the register's: HQ knows who it is.
    me = httpx.get(f"{proc.url}/v1/registers/me",
                   headers={"Authorization": f"Bearer {activation.token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["device_id"] == "R11"


def test_a_used_code_is_refused(hq, tmp_path):
    proc, db_url = hq
    code = issue_code(db_url, "R12")
    activate(proc.url, "R12", code)
    with pytest.raises(ProvisioningError, match="使用済み") as err:
        activate(proc.url, "R12", code)
    assert err.value.reason == "used_code"


def test_an_unknown_code_or_another_registers_code_is_refused(hq, tmp_path):
    proc, db_url = hq
    with pytest.raises(ProvisioningError, match="コードが正しくない") as err:
        activate(proc.url, "R13", "AAAA-BBBB-CCCC")
    assert err.value.reason == "unknown_code"
    code = issue_code(db_url, "R14")
    with pytest.raises(ProvisioningError) as err:
        activate(proc.url, "R13", code)
    assert err.value.reason == "unknown_code"
    activate(proc.url, "R14", code)  # the refusal did not spend it


def test_an_expired_code_is_refused(hq, tmp_path):
    proc, db_url = hq
    code = issue_code(db_url, "R15")
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as con:
        past = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
        con.execute("UPDATE provisioning_codes SET expires_at = ? WHERE device_id = 'R15'",
                    (past.isoformat(sep=" "),))
    with pytest.raises(ProvisioningError, match="有効期限") as err:
        activate(proc.url, "R15", code)
    assert err.value.reason == "expired_code"


def test_the_wrong_store_is_caught(hq, tmp_path):
    proc, db_url = hq
    code = issue_code(db_url, "R16", store="S002")
    home = tmp_path / "home"
    with pytest.raises(ProvisioningError, match="店舗 S002") as err:
        provision(home, proc.url, "R16", code, store_id="S001")
    assert err.value.reason == "store_mismatch"
    assert not (home / "config.toml").exists() and read_token(home) is None


def test_an_unreachable_hq(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProvisioningError, match="接続できません") as err:
        activate(url, "R01", "AAAA-BBBB-CCCC", timeout=5)
    assert err.value.reason == "unreachable"


@pytest.mark.parametrize("url", ["http://hq.example.co.jp", "ftp://hq.example.co.jp",
                                 "http://192.0.2.10:8765", "https://"])
def test_plain_http_to_another_machine_is_refused(url):
    with pytest.raises(ProvisioningError, match="https://") as err:
        activate(url, "R01", "AAAA-BBBB-CCCC")
    assert err.value.reason == "url"


def test_an_address_without_scheme_means_https():
    with pytest.raises(ProvisioningError) as err:
        # Nothing listens on port 9 of this machine: https was tried, not refused.
        activate("localhost:9", "R01", "AAAA-BBBB-CCCC", timeout=5)
    assert err.value.reason in ("unreachable", "tls")


@pytest.mark.parametrize("bad", ["", "R 01", "レジ1", "x" * 65])
def test_a_bad_device_id_is_refused_before_any_request(bad):
    with pytest.raises(ProvisioningError) as err:
        activate("https://hq.example.co.jp", bad, "AAAA-BBBB-CCCC")
    assert err.value.reason == "input"


class JunkHandler(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, str, bytes]] = {}

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, kind, body = self.answers[self.server.mode]  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


JunkHandler.answers = {
    "html": (200, "text/html", b"<html><body>Welcome to nginx!</body></html>"),
    "json": (200, "application/json", b'{"ok": true}'),
    "other": (200, "application/json",
              b'{"device_id": "R99", "store_id": "S1", "company_id": "C", "epoch": 1, '
              b'"phone_hash_key": "k", "token": "t"}'),
    "error": (502, "text/html", b"<html>Bad Gateway</html>"),
    "missing": (404, "application/json", b'{"detail": "Not Found"}'),
}


@pytest.fixture
def junk_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JunkHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("mode", "reason", "words"), [
    ("html", "answer", "応答を読めません"),
    ("json", "answer", "応答を読めません"),
    ("other", "answer", "別のレジ"),
    ("error", "server", "エラーが発生しました"),
    ("missing", "answer", "見つかりません"),
])
def test_a_garbage_answer_is_explained(junk_server, tmp_path, mode, reason, words):
    junk_server.mode = mode
    url = f"http://127.0.0.1:{junk_server.server_address[1]}"
    home = tmp_path / "home"
    with pytest.raises(ProvisioningError, match=words) as err:
        provision(home, url, "R01", "AAAA-BBBB-CCCC")
    assert err.value.reason == reason
    assert read_token(home) is None and not (home / "config.toml").exists()


def test_a_database_of_another_register_stops_provisioning_before_the_code_is_spent(
        hq, tmp_path):
    from sync.store import RegisterStore

    proc, db_url = hq
    home = tmp_path / "home"
    store = RegisterStore(home / "register.db")
    store.initialise("R01", "S001")
    store.close()
    code = issue_code(db_url, "R17")
    with pytest.raises(ProvisioningError, match="レジ R01") as err:
        provision(home, proc.url, "R17", code)
    assert err.value.reason == "local_database"
    activate(proc.url, "R17", code)  # still unused


def test_save_activation_replaces_an_old_config_token(hq, tmp_path):
    proc, db_url = hq
    home = tmp_path / "home"
    Settings(home, {"hq.url": "https://old.example.co.jp", "hq.token": "old-token"}).save()
    activation = activate(proc.url, "R18", issue_code(db_url, "R18"))
    save_activation(home, activation)
    settings = Settings.load(home)
    assert settings.get("hq.token") == "" and settings.get("hq.url") == proc.url
    assert load_token(home) == activation.token


def test_who_needs_provisioning(tmp_path):
    home = tmp_path / "home"
    empty = Settings(home)
    assert needs_provisioning(empty, frozen=True)  # the store build has no embedded HQ
    assert not needs_provisioning(empty, frozen=False)  # a development install: the demo
    configured = Settings(home, {"hq.url": "https://hq.example.co.jp"})
    assert needs_provisioning(configured, frozen=False)  # an address but no token


def test_headless_provisioning_from_the_command_line(hq, tmp_path):
    proc, db_url = hq
    home = tmp_path / "home"
    env = {"PATH": "/usr/bin:/bin", "TAMARU_SECRET_STORE": "file", "HOME": str(tmp_path)}

    def tamaru(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop.main", "--home", str(home),
                               "--provision", "--hq-url", proc.url, *args], cwd=REPO_ROOT,
                              env=env, capture_output=True, text=True, timeout=60, check=False)

    refused = tamaru("--device", "R19", "--code", "AAAA-BBBB-CCCC")
    assert refused.returncode == 4 and "コードが正しくない" in refused.stderr
    done = tamaru("--device", "R19", "--store", "S001", "--code", issue_code(db_url, "R19"))
    assert done.returncode == 0, done.stderr
    assert "registered: device R19, store S001" in done.stdout
    assert Settings.load(home).get("register.device_id") == "R19"
    assert read_token(home) is not None
