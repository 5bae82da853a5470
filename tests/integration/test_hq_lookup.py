"""The register's HQ look-up client against a real HQ process: the store summary over both
registers of a store, a sale of the other register found by receipt number, and every
refusal or outage as an HqLookupError that says, in Japanese, what happened."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from desktop.hq_lookup import NO_SALE, SALE_REFUSED, HqLookup, HqLookupError
from hq.db import make_engine
from hq.demo import run_demo
from hq.directory import provision_register
from tests.support.hq_process import HqProcess

pytestmark = pytest.mark.integration

JST = timezone(timedelta(hours=9))
NOON = datetime.now(JST).replace(hour=12, minute=0, second=0, microsecond=0)
HANAKO = "M0000001"  # hq.demo: 山田 花子, 1,200 pt


@pytest.fixture
def hq(tmp_path):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    demo = run_demo(url, device_id="R01", store_id="S001")
    engine = make_engine(url)
    try:
        tokens = {"R01": demo.token, "R02": provision_register(engine, "S001", "R02", "C001"),
                  "R09": provision_register(engine, "S002", "R09", "C001")}
    finally:
        engine.dispose()
    with HqProcess(url, log_dir=tmp_path) as proc:
        yield proc, tokens


def _push(url: str, token: str, *ops: dict) -> list[dict]:
    response = httpx.post(f"{url}/v1/sync/push", json={"ops": list(ops)},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _op(kind: str, device: str, seq: int, member: str, payload: dict, *,
        store: str = "S001") -> dict:
    return {"op_id": str(uuid.uuid4()), "kind": kind, "device_id": device, "device_seq": seq,
            "store_id": store, "staff_id": "ST01", "local_time": NOON.isoformat(),
            "program_version": 1, "member_id": member, "payload": payload}


def _sale(device: str, seq: int, yen: int, *, member: str = HANAKO, redeem: int = 0,
          store: str = "S001") -> dict:
    return _op("sale", device, seq, member, {"amount_yen": yen, "points_earned": yen // 100,
                                             "points_redeemed": redeem,
                                             "receipt_no": f"{device}-{seq:06d}"}, store=store)


@pytest.fixture
def lookups(hq):
    proc, tokens = hq
    made = {name: HqLookup(proc.url, token, timeout=5) for name, token in tokens.items()}
    yield made
    for lookup in made.values():
        lookup.close()


def test_the_store_summary_and_a_sale_of_the_other_register(hq, lookups) -> None:
    proc, tokens = hq
    s1 = _sale("R01", 1, 3000, redeem=200)
    assert _push(proc.url, tokens["R01"], s1)[0]["status"] == "applied"
    assert _push(proc.url, tokens["R02"], _sale("R02", 1, 1500))[0]["status"] == "applied"
    assert _push(proc.url, tokens["R09"], _sale("R09", 1, 8000, store="S002"))[0]["status"] == "applied"

    # R02 finds R01's sale by its receipt as a cashier types it, and returns part of it.
    sale = lookups["R02"].sale_by_receipt("r01-1")
    assert (sale.op_id, sale.device_id, sale.member_id, sale.member_display_name) == \
        (s1["op_id"], "R01", HANAKO, "山田 ＊＊")
    assert (sale.amount_yen, sale.earn_base_yen, sale.points_earned, sale.points_redeemed,
            sale.remaining_yen) == (3000, 2800, 28, 200, 3000)
    ret = _op("return", "R02", 2, sale.member_id,
              {"sale_op_id": sale.op_id, "returned_yen": 1500, "receipt_no": "R02-000002"})
    [result] = _push(proc.url, tokens["R02"], ret)
    assert (result["status"], result["points_reversed"], result["points_restored"]) == ("applied", 14, 100)
    assert lookups["R02"].sale_by_receipt("R01-000001").remaining_yen == 1500

    day = NOON.replace(hour=0)
    summary = lookups["R01"].store_summary("S001", day, day + timedelta(days=1))
    assert [r.device_id for r in summary.registers] == ["R01", "R02"]
    assert (summary.sales, summary.sales_yen, summary.members, summary.points_issued,
            summary.points_redeemed) == (2, 4500, 1, 43, 200)
    assert (summary.returns, summary.returns_yen, summary.points_reversed,
            summary.points_restored) == (1, 1500, 14, 100)
    assert summary.hours[12].issued == 43
    assert [(c.source, c.points) for c in summary.campaigns] == [("base", 43)]


def test_refusals_and_outages_say_what_happened(hq, lookups) -> None:
    proc, tokens = hq
    _push(proc.url, tokens["R09"], _sale("R09", 1, 8000, store="S002"))
    _push(proc.url, tokens["R01"], _sale("R01", 1, 1000, member="NOBODY"))
    day = NOON.replace(hour=0)

    def refused(call) -> HqLookupError:
        with pytest.raises(HqLookupError) as info:
            call()
        return info.value

    other_store = refused(lambda: lookups["R01"].sale_by_receipt("R09-000001"))
    assert (str(other_store), other_store.offline) == (NO_SALE, False)
    rejected = refused(lambda: lookups["R01"].sale_by_receipt("R01-000001"))
    assert (str(rejected), rejected.offline) == (SALE_REFUSED, False)
    foreign = refused(lambda: lookups["R01"].store_summary("S002", day, day + timedelta(days=1)))
    assert foreign.offline is False and "拒否" in str(foreign)
    naive = refused(lambda: lookups["R01"].store_summary("S001", day.replace(tzinfo=None),
                                                         day + timedelta(days=1)))
    assert naive.offline is False and "期間" in str(naive)
    backwards = refused(lambda: lookups["R01"].store_summary("S001", day, day))
    assert backwards.offline is False and "期間" in str(backwards)

    proc.kill()
    down = refused(lambda: lookups["R01"].sale_by_receipt("R01-000001"))
    assert down.offline is True and "本部" in str(down)
    down = refused(lambda: lookups["R01"].store_summary("S001", day, day + timedelta(days=1)))
    assert down.offline is True
