"""docs/pos_example.py, the integrators' example POS, run as they would run it: against a
real POS link server and a real file-drop folder, with a stand-in cashier confirming."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.poslink.broker import Change, PosBroker
from desktop.poslink.filedrop import FileDrop
from desktop.poslink.models import SaleResult
from desktop.poslink.server import PosLinkServer
from desktop.poslink.token import load_or_create_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "pos_example.py"


@pytest.fixture
def broker(tmp_path):
    b = PosBroker(tmp_path / "poslink.db")
    yield b
    b.close()


def cashier(broker: PosBroker, *, refuse: bool = False) -> None:
    """Settles each sale shortly after it reaches the counter."""

    def settle(sale_id: str) -> None:
        if refuse:
            broker.refuse("sale", sale_id, "no_member")
            return
        amount = broker.get_sale(sale_id).amount_yen
        broker.confirm_sale(sale_id, SaleResult(
            points_earned=amount // 100 - 1, points_used=100, discount_yen=100,
            amount_due_yen=amount - 100, balance_after=431, receipt_no="R01-000042",
            member_no="…0017", confirmed_at=datetime.now(UTC)))

    def on_change(change: Change) -> None:
        if change.kind == "sale" and change.state == "waiting":
            threading.Timer(0.3, settle, args=(change.id,)).start()

    broker.add_listener(on_change)


def run_example(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True,
                          text=True, timeout=60, check=False, cwd=ROOT,
                          env={"TAMARU_HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_example_over_http_prints_the_discount_and_points(broker, tmp_path):
    # No --token: the example reads <TAMARU_HOME>/poslink-token as an integrator's would.
    server = PosLinkServer(broker, load_or_create_token(tmp_path), port=0)
    server.start()
    cashier(broker)
    try:
        proc = run_example("--url", server.url, "--amount", "3280", "--sale-id", "EX-1",
                           "--line", "4901,緑茶,drink,2,3280,8", home=tmp_path)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert "discount   ￥100 (100 pt used)" in proc.stdout
    assert "amount due ￥3,180" in proc.stdout
    assert "+31 pt, balance 431 pt" in proc.stdout
    assert broker.get_sale("EX-1").state == "confirmed"
    assert broker.sale_request("EX-1").lines[0].category == "drink"


def test_example_reports_a_refusal(broker, tmp_path):
    server = PosLinkServer(broker, load_or_create_token(tmp_path), port=0)
    server.start()
    cashier(broker, refuse=True)
    try:
        proc = run_example("--url", server.url, "--amount", "500", "--json", home=tmp_path)
    finally:
        server.stop()
    assert proc.returncode == 2
    answer = json.loads(proc.stdout)
    assert answer["state"] == "refused" and answer["reason"] == "no_member"


def test_example_in_file_drop_mode(broker, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher = FileDrop(broker, folder, interval_s=0.1, settle_s=0)
    watcher.start()
    cashier(broker)
    try:
        proc = run_example("--file-drop", str(folder), "--amount", "1200", "--sale-id", "FD-1",
                           home=tmp_path)
    finally:
        watcher.stop()
    assert proc.returncode == 0, proc.stderr
    assert "receipt R01-000042" in proc.stdout and "amount due ￥1,100" in proc.stdout
    assert (folder / "FD-1.result.json").exists()
