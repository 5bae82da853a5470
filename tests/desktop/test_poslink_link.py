"""The POS link as the composition root starts it: reconcile before serving, the token,
the HTTP API and the file drop together, and a rotated token applying at once."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from desktop.poslink import PosBroker, PosCounterBridge, PosLink, PosLinkConfig
from desktop.poslink.counter_adapter import register_receipt_finder
from desktop.poslink.models import PosSaleRequest
from desktop.receipts import build_sale_receipt, receipt_to_dict
from loyalty.quote import quote_sale
from sync.events import EventBus
from tests.support.seed import CARD_UID, NOW, TOKYO, seeded_store

ROOT = Path(__file__).resolve().parents[2]
SALE = {"sale_id": "L-1", "amount_yen": 2000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_sale_committed_before_a_crash_reads_confirmed_on_the_first_call(tmp_path):
    home = tmp_path / "home"
    store = seeded_store(home / "register.db")
    # Before the "crash": the sale reached the counter and the register committed it,
    # stamped, but the broker never recorded the confirmation.
    broker = PosBroker.open(home)
    bridge = PosCounterBridge(broker, EventBus())
    broker.submit_sale(PosSaleRequest.model_validate(SALE))
    member = store.member_by_card(CARD_UID)
    quote = quote_sale(store.program(), 2000, balance=member.balance)
    store.record_sale(member.member_id, quote, staff_id=None, local_time=NOW,
                      build_receipt=bridge.receipt_builder(
                          lambda f: receipt_to_dict(build_sale_receipt(
                              f, store_name="本店", footer="", tz=TOKYO))))
    bridge.close()
    broker.close()

    drop = tmp_path / "drop"
    link = PosLink(home, EventBus(), PosLinkConfig(port=free_port(), drop_dir=str(drop),
                                                   drop_interval_s=0.1),
                   register_receipt_finder(store.path))
    link.start()
    try:
        auth = {"Authorization": f"Bearer {link.token}"}
        with httpx.Client(base_url=link.url, headers=auth, timeout=10) as c:
            retry = c.post("/v1/pos/sales", json=SALE)
            assert retry.status_code == 200 and retry.json()["state"] == "confirmed"
            assert retry.json()["result"]["receipt_no"] == "R01-000001"
            assert retry.json()["result"]["points_earned"] == 20
            # The same sale dropped as a file by the old register gets the same answer.
            drop.mkdir(exist_ok=True)
            (drop / "l1.json").write_text(json.dumps(SALE))
            deadline = time.monotonic() + 10
            while not (drop / "l1.result.json").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            dropped = json.loads((drop / "l1.result.json").read_text(encoding="utf-8"))
            assert dropped["result"]["receipt_no"] == "R01-000001"
            # Re-issued in the settings screen: the old token stops at once.
            old = link.token
            new = link.rotate_token()
            assert new != old and (home / "poslink-token").read_text().strip() == new
            assert c.get("/v1/pos/health").status_code == 401
            assert c.get("/v1/pos/health",
                         headers={"Authorization": f"Bearer {new}"}).status_code == 200
        assert store.outbox_counts() == {"queued": 1}
    finally:
        link.stop()
        store.close()


def test_off_by_default(tmp_path):
    link = PosLink(tmp_path, EventBus(), PosLinkConfig(), lambda ref: None)
    link.start()
    try:
        assert link.url is None and link.drop is None
        assert len(link.token) >= 32  # made anyway, so the settings screen can show it
    finally:
        link.stop()


def test_openapi_document_from_the_command_line():
    proc = subprocess.run([sys.executable, "-m", "desktop.poslink"], cwd=ROOT, text=True,
                          capture_output=True, timeout=60, check=True)
    doc = json.loads(proc.stdout)
    assert doc["info"]["title"] == "Tamaru POS link"
    assert "/v1/pos/sales/{sale_id}/cancel" in doc["paths"]
    assert "/v1/pos/returns/{return_id}/cancel" in doc["paths"]
    assert proc.stderr == ""
    # The committed copy is byte for byte what the command prints (regenerate it with
    # `python -m desktop.poslink > docs/pos-link.openapi.json`).
    assert (ROOT / "docs" / "pos-link.openapi.json").read_text(encoding="utf-8") == proc.stdout
