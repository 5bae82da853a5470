"""The first-run screen: typing HQ's address and a code provisions the register, and a
failure is shown on the screen with the form ready for another try."""

from __future__ import annotations

import pytest

from desktop.screens.provision import ProvisionDialog, ProvisionPanel
from desktop.secrets import read_token
from desktop.settings import Settings
from hq.audit import Actor
from hq.db import make_engine
from hq.demo import run_demo
from hq.provisioning import provision as hq_provision
from tests.support.hq_process import HqProcess
from tests.support.postgres import free_port

pytestmark = pytest.mark.ui


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch):
    monkeypatch.setenv("TAMARU_SECRET_STORE", "file")


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hq")
    db_url = f"sqlite:///{folder / 'hq.db'}"
    run_demo(db_url)
    with HqProcess(db_url, log_dir=folder) as proc:
        yield proc, db_url


def issue_code(db_url: str, device: str) -> str:
    engine = make_engine(db_url)
    try:
        return hq_provision(engine, "S001", device, "C001", actor=Actor.cli()).code
    finally:
        engine.dispose()


def test_the_dialog_provisions_and_closes(qtbot, hq, tmp_path):
    proc, db_url = hq
    home = tmp_path / "home"
    dialog = ProvisionDialog(home, device_id="R21")
    qtbot.addWidget(dialog)
    dialog.show()
    panel = dialog.panel
    qtbot.keyClicks(panel.url, proc.url)
    qtbot.keyClicks(panel.store, "S001")
    qtbot.keyClicks(panel.code, issue_code(db_url, "R21"))
    with qtbot.waitSignal(panel.provisioned, timeout=20_000) as signal:
        panel.submit.click()
        assert not panel.submit.isEnabled()  # no second click while it works
    (activation,) = signal.args
    assert activation.device_id == "R21"
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert dialog.result() == ProvisionDialog.DialogCode.Accepted
    assert dialog.activation == activation
    assert Settings.load(home).get("hq.url") == proc.url
    assert read_token(home) == activation.token
    assert panel.code.text() == ""  # a spent code is not left on screen


def test_a_failure_is_shown_and_the_form_is_ready_again(qtbot, tmp_path):
    panel = ProvisionPanel(tmp_path / "home", hq_url=f"http://127.0.0.1:{free_port()}",
                           device_id="R22")
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.code, "AAAA-BBBB-CCCC")
    with qtbot.waitSignal(panel.failed, timeout=20_000) as signal:
        qtbot.keyClick(panel.code, "\r")  # Enter in the code field submits
    message, reason = signal.args
    assert reason == "unreachable"
    assert "接続できません" in panel.message.text() == message
    assert panel.message.objectName() == "message_error"
    assert panel.submit.isEnabled() and panel.code.isEnabled()
    assert not (tmp_path / "home" / "config.toml").exists()


def test_a_wrong_code_keeps_the_address_and_selects_the_code(qtbot, hq, tmp_path):
    proc, _db_url = hq
    panel = ProvisionPanel(tmp_path / "home", hq_url=proc.url, device_id="R23")
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.code, "AAAA-BBBB-CCCC")
    with qtbot.waitSignal(panel.failed, timeout=20_000) as signal:
        panel.submit.click()
    assert signal.args[1] == "unknown_code"
    assert panel.url.text() == proc.url
    assert panel.code.selectedText() == "AAAA-BBBB-CCCC"
