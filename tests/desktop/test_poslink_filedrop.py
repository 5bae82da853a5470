"""The file-drop folder for older registers: JSON and CSV in, results written atomically
beside them, malformed files rejected, and the same sale dropped twice settled once."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

import pytest

from desktop.poslink.broker import PosBroker
from desktop.poslink.filedrop import FileDrop, write_atomic
from desktop.poslink.models import SaleResult

SALE = {"sale_id": "D-1", "amount_yen": 1200,
        "lines": [{"sku": "1", "name": "弁当", "category": "food", "amount_yen": 1200,
                   "tax_rate": 8}]}


def result(receipt_no: str = "R01-000001") -> SaleResult:
    return SaleResult(points_earned=12, points_used=0, discount_yen=0, amount_due_yen=1200,
                      balance_after=512, receipt_no=receipt_no, member_no="…0017",
                      confirmed_at=datetime(2026, 11, 22, 1, 30, tzinfo=UTC))


@pytest.fixture
def drop(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    folder = tmp_path / "drop"
    folder.mkdir()
    yield broker, folder, FileDrop(broker, folder, interval_s=0.1, settle_s=0)
    broker.close()


def put(folder, name: str, body) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    (folder / name).write_bytes(data)


def outcomes(watcher) -> dict[str, str]:
    return {p.path.name: p.outcome for p in watcher.poll_once()}


def test_json_waits_at_the_counter_then_the_result_is_written_beside_it(drop):
    broker, folder, watcher = drop
    put(folder, "sale-1.json", SALE)
    assert outcomes(watcher) == {"sale-1.json": "waiting"}
    assert (folder / "sale-1.json").exists()  # kept until settled: a restart loses nothing
    assert not (folder / "sale-1.result.json").exists()
    assert outcomes(watcher) == {"sale-1.json": "waiting"}  # polled again: still one sale
    broker.confirm_sale("D-1", result())
    assert outcomes(watcher) == {"sale-1.json": "settled"}
    answer = json.loads((folder / "sale-1.result.json").read_text(encoding="utf-8"))
    assert answer["state"] == "confirmed" and answer["result"]["receipt_no"] == "R01-000001"
    assert (folder / "processed" / "sale-1.json").exists()
    assert not (folder / "sale-1.json").exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left
    assert outcomes(watcher) == {}


def test_csv_lines_in_shift_jis_with_a_header(drop):
    broker, folder, watcher = drop
    text = ("sale_id,sku,name,category,quantity,amount_yen,tax_rate\r\n"
            "C-7,4901,おにぎり,food,2,300,8\r\n"
            "C-7,4902,たばこ,tobacco,1,600,10\r\n")
    put(folder, "c7.csv", text.encode("cp932"))
    assert outcomes(watcher) == {"c7.csv": "waiting"}
    request = broker.sale_request("C-7")
    assert request.amount_yen == 900 and request.tax_basis == "included"
    assert [(ln.name, ln.category, ln.quantity) for ln in request.lines] == [
        ("おにぎり", "food", 2), ("たばこ", "tobacco", 1)]
    broker.refuse("sale", "C-7", "no_member")
    assert outcomes(watcher) == {"c7.csv": "settled"}
    answer = json.loads((folder / "c7.result.json").read_text(encoding="utf-8"))
    assert answer["state"] == "refused" and answer["reason"] == "no_member"


def test_csv_without_header_in_utf8(drop):
    broker, folder, watcher = drop
    put(folder, "c8.csv", "C-8,1,パン,food,1,250,8\n".encode())
    assert outcomes(watcher) == {"c8.csv": "waiting"}
    assert broker.get_sale("C-8").amount_yen == 250


@pytest.mark.parametrize(("name", "data", "field"), [
    ("bad.json", b'{"sale_id": "B-1", "amount_yen": ', "body"),
    ("bad.json", json.dumps({**SALE, "amount_yen": "1200"}).encode(), "amount_yen"),
    ("bad.json", json.dumps({**SALE, "amount_yen": 999}).encode(), "lines"),
    ("bad.csv", b"B-2,1,x,food,1,100\n", "row 1"),
    ("bad.csv", b"B-3,1,x,food,one,100,8\n", "row 1.quantity"),
    ("bad.csv", b"B-4,1,x,food,1,100,8\nB-5,2,y,food,1,100,8\n", "sale_id"),
    ("bad.csv", b"B-6,1,x,food,1,-100,8\n", "row 1.amount_yen"),
    ("bad.csv", b"B-7,1,x,food,1,100,8\nB-7,2,y,food,1,100,800\n", "lines.1.tax_rate"),
])
def test_malformed_files_get_an_error_file_and_are_moved_aside(drop, name, data, field):
    broker, folder, watcher = drop
    put(folder, name, data)
    assert outcomes(watcher) == {name: "rejected"}
    error = json.loads((folder / name.replace(name.rsplit(".", 1)[1], "error.json"))
                       .read_text(encoding="utf-8"))
    assert error["error"] == "invalid_file" and error["field"] == field
    assert error["detail"]["ja"] and error["detail"]["en"] and error["file"] == name
    assert (folder / "rejected" / name).exists() and not (folder / name).exists()
    assert broker.waiting() is None


def test_the_same_sale_dropped_twice_gets_the_same_result_never_a_second_sale(drop):
    broker, folder, watcher = drop
    put(folder, "first.json", SALE)
    watcher.poll_once()
    broker.confirm_sale("D-1", result())
    watcher.poll_once()
    put(folder, "again.json", SALE)  # the old register did not see the result and resent
    assert outcomes(watcher) == {"again.json": "settled"}
    first = json.loads((folder / "first.result.json").read_text(encoding="utf-8"))
    again = json.loads((folder / "again.result.json").read_text(encoding="utf-8"))
    assert first == again and again["result"]["receipt_no"] == "R01-000001"
    # The same file name dropped again is kept beside the first in processed/.
    put(folder, "first.json", SALE)
    assert outcomes(watcher) == {"first.json": "settled"}
    assert len(list((folder / "processed").glob("first*.json"))) == 2
    # The same sale id with another body is refused, the first answer stands.
    put(folder, "other.json", {**SALE, "amount_yen": 5, "lines": None})
    assert outcomes(watcher) == {"other.json": "rejected"}
    error = json.loads((folder / "other.error.json").read_text(encoding="utf-8"))
    assert error["error"] == "sale_id_reused"
    assert broker.get_sale("D-1").result.receipt_no == "R01-000001"


def test_files_wait_their_turn_while_another_sale_is_at_the_counter(drop):
    broker, folder, watcher = drop
    put(folder, "a.json", SALE)
    os.utime(folder / "a.json", (time.time() - 5, time.time() - 5))  # dropped first
    put(folder, "b.json", {**SALE, "sale_id": "D-2"})
    assert outcomes(watcher) == {"a.json": "waiting", "b.json": "busy"}
    broker.cancel_sale("D-1")
    assert outcomes(watcher) == {"a.json": "settled", "b.json": "waiting"}
    assert json.loads((folder / "a.result.json").read_text())["state"] == "cancelled"


def test_a_file_still_being_written_is_left_alone(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    try:
        folder = tmp_path / "drop"
        folder.mkdir()
        watcher = FileDrop(broker, folder, settle_s=30)
        put(folder, "young.json", SALE)
        assert outcomes(watcher) == {}
        assert broker.waiting() is None
    finally:
        broker.close()


def test_the_watcher_thread_picks_files_up(drop):
    broker, folder, watcher = drop
    watcher.start()
    try:
        put(folder, "t.json", SALE)
        deadline = time.monotonic() + 5
        while broker.waiting() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert broker.waiting() == ("sale", "D-1")
        broker.confirm_sale("D-1", result())
        while not (folder / "t.result.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (folder / "t.result.json").exists()
    finally:
        watcher.stop()


def test_interval_is_bounded(tmp_path):
    broker = PosBroker(tmp_path / "poslink.db")
    try:
        assert FileDrop(broker, tmp_path, interval_s=0).interval_s == 0.1
        assert FileDrop(broker, tmp_path, interval_s=3600).interval_s == 10.0
    finally:
        broker.close()


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "x.result.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.result.json"]
