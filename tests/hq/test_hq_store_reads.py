"""The store summary and the sale look-up by receipt number, on SQLite and PostgreSQL.

The summary's figures are worked out by hand from the scenario program (¥100 = 1 pt,
rounded down; 20 limited-time points for ¥1,000 or more on Tuesdays; START is a Tuesday).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.hq.ledger_bench import HANAKO, JST, START, TARO, Bench

DAY = {"from": "2026-03-03T00:00:00+09:00", "to": "2026-03-04T00:00:00+09:00"}
LINES = [{"sku": "A1", "name": "お茶", "category": "food", "quantity": 2, "amount_yen": 600},
         {"sku": "B2", "name": "タオル", "category": "goods", "quantity": 1, "amount_yen": 1400}]


def _auth(bench: Bench, register: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bench.tokens[register]}"}


def _sale(bench: Bench, key: str, member: str, yen: int, *, register: str = "R01",
          redeem: int = 0, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"amount_yen": yen, "points_earned": 0, "points_redeemed": redeem,
                               "receipt_no": f"{register}-{len(bench.ops) + 1:06d}"}
    if lines:
        payload["lines"] = lines
    return bench.make(key, "sale", member, payload, register=register)


def _return(bench: Bench, key: str, sale_op_id: str, member: str, yen: int, *,
            register: str = "R01", lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"sale_op_id": sale_op_id, "returned_yen": yen,
                               "receipt_no": f"{register}-{len(bench.ops) + 1:06d}"}
    if lines:
        payload["lines"] = lines
    return bench.make(key, "return", member, payload, register=register)


def _summary(bench: Bench, store: str = "S001", *, token: str = "R01",
             params: dict[str, str] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token.startswith("tqa_") else _auth(bench, token)
    return bench.client.get(f"/v1/stores/{store}/summary", params=params or DAY, headers=headers)


def _day(bench: Bench) -> None:
    """A day at store S001 on both registers, plus what must not count."""
    _sale(bench, "s1", HANAKO, 5000, redeem=100)  # 49 + 20 limited; 100 used
    _sale(bench, "s2", TARO, 2000, register="R02")  # 20 + 20
    assert [r["status"] for r in bench.push("s1")] == ["applied"]
    assert [r["status"] for r in bench.push("s2")] == ["applied"]
    # R02 takes back ¥1,000 of R01's sale: 9 of the 49 and 4 of the 20 reversed, 20 restored.
    _return(bench, "r1", bench.ops["s1"]["op_id"], HANAKO, 1000, register="R02")
    bench.make("e1", "enroll", "NEW-1", {"display_name": "新規 会員"}, register="R02", staff="ST02")
    assert [r["status"] for r in bench.push("r1", "e1")] == ["applied", "applied"]
    bench.make("a1", "adjust", TARO, {"points": 50, "reason": "お詫び"})
    _sale(bench, "x1", "NOBODY", 3000)  # refused: unknown member
    _return(bench, "p1", str(uuid.uuid4()), HANAKO, 300)  # its sale has not arrived: parked
    assert [r["status"] for r in bench.push("a1", "x1", "p1")] == ["applied", "rejected", "parked"]
    _sale(bench, "o1", HANAKO, 9000, register="R09")  # another store
    bench.push("o1")
    bench.clock.at = datetime(2026, 3, 4, 0, 0, tzinfo=JST)  # the next day, at midnight
    _sale(bench, "n1", TARO, 1000)
    bench.push("n1")


def test_the_summary_adds_up_every_register_of_the_store(bench: Bench) -> None:
    _day(bench)
    response = _summary(bench, token="R02")
    assert response.status_code == 200, response.text
    s = response.json()
    assert s["store_id"] == "S001"
    assert datetime.fromisoformat(s["start"]) == datetime(2026, 3, 3, tzinfo=JST)
    assert datetime.fromisoformat(s["as_of"]) == bench.clock()
    assert s["registers"] == [{"device_id": "R01", "ops": 4}, {"device_id": "R02", "ops": 3}]
    figures = {k: s[k] for k in ("sales", "sales_yen", "members", "points_issued",
                                 "points_redeemed", "returns", "returns_yen", "points_reversed",
                                 "points_restored", "adjustments", "points_adjusted",
                                 "enrolments", "parked", "rejected")}
    assert figures == {"sales": 2, "sales_yen": 7000, "members": 2, "points_issued": 109,
                       "points_redeemed": 100, "returns": 2, "returns_yen": 1300,
                       "points_reversed": 13, "points_restored": 20, "adjustments": 1,
                       "points_adjusted": 50, "enrolments": 1, "parked": 1, "rejected": 1}
    assert s["enrolments_by_staff"] == [{"staff_id": "ST02", "enrolments": 1}]
    assert s["campaigns"] == [
        {"source": "base", "name": "通常ポイント", "points": 69},
        {"source": "tuesday", "name": "火曜 期間限定ボーナス", "points": 40},
    ]
    assert len(s["hours"]) == 24
    assert s["hours"][10] == {"hour": 10, "issued": 109, "redeemed": 100}
    assert sum(h["issued"] for h in s["hours"]) == 109


def test_the_window_is_half_open_by_the_registers_clocks(bench: Bench) -> None:
    _day(bench)
    # The sale made at midnight belongs to the next day only.
    nxt = _summary(bench, params={"from": "2026-03-04T00:00:00+09:00",
                                  "to": "2026-03-05T00:00:00+09:00"}).json()
    assert (nxt["sales"], nxt["sales_yen"], nxt["registers"]) == (1, 1000, [{"device_id": "R01", "ops": 1}])
    # The same instants in UTC choose the same ops; hours follow the offset given.
    utc = _summary(bench, params={"from": "2026-03-02T15:00:00Z", "to": "2026-03-03T15:00:00Z"}).json()
    assert (utc["sales"], utc["sales_yen"]) == (2, 7000)
    assert utc["hours"][1]["issued"] == 109  # 10:00 JST is 01:00 UTC
    empty = _summary(bench, params={"from": "2026-03-01T00:00:00+09:00",
                                    "to": "2026-03-02T00:00:00+09:00"}).json()
    assert (empty["sales"], empty["registers"], empty["campaigns"]) == (0, [], [])


def test_only_the_registers_own_store_and_admins_may_read_a_summary(bench: Bench) -> None:
    _day(bench)
    other = _summary(bench, token="R09")
    assert other.status_code == 403
    assert "S002" in other.json()["detail"] and "own store" in other.json()["detail"]
    own = _summary(bench, "S002", token="R09").json()
    assert (own["sales"], own["sales_yen"]) == (1, 9000)
    admin = _summary(bench, token=bench.world.admin)
    assert admin.status_code == 200 and admin.json()["sales"] == 2
    app = _summary(bench, token=bench.world.app)
    assert app.status_code == 403 and "role" in app.json()["detail"]
    missing = _summary(bench, "S404", token=bench.world.admin)
    assert missing.status_code == 404 and "S404" in missing.json()["detail"]
    assert bench.client.get("/v1/stores/S001/summary", params=DAY).status_code == 401


def test_bad_windows_are_refused_with_a_reason(bench: Bench) -> None:
    for params, says in (
        ({"from": "2026-03-03T00:00:00", "to": "2026-03-04T00:00:00+09:00"}, "timezone"),
        ({"from": "2026-03-04T00:00:00+09:00", "to": "2026-03-03T00:00:00+09:00"}, "must be after"),
        ({"from": "2026-03-03T00:00:00+09:00", "to": "2026-03-03T00:00:00+09:00"}, "must be after"),
        ({"from": "2020-01-01T00:00:00+09:00", "to": "2026-03-03T00:00:00+09:00"}, "at most"),
        ({"from": "yesterday", "to": "2026-03-03T00:00:00+09:00"}, "datetime"),
        ({"to": "2026-03-03T00:00:00+09:00"}, "from"),
    ):
        response = _summary(bench, params=params)
        assert response.status_code == 422, (params, response.text)
        assert says in response.text, (params, response.text)


def _lookup(bench: Bench, receipt_no: str, token: str = "R02") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token.startswith("tqa_") else _auth(bench, token)
    return bench.client.get(f"/v1/sales/by-receipt/{receipt_no}", headers=headers)


def test_a_sale_is_found_by_receipt_at_another_register_of_its_store(bench: Bench) -> None:
    _day(bench)
    s1 = bench.ops["s1"]
    response = _lookup(bench, s1["payload"]["receipt_no"])
    assert response.status_code == 200, response.text
    sale = response.json()
    assert {k: sale[k] for k in ("op_id", "receipt_no", "store_id", "device_id", "staff_id",
                                 "member_id", "member_no", "member_display_name",
                                 "member_status", "program_version", "amount_yen",
                                 "earn_base_yen", "points_earned", "points_redeemed",
                                 "returned_yen", "remaining_yen", "lines")} == {
        "op_id": s1["op_id"], "receipt_no": s1["payload"]["receipt_no"], "store_id": "S001",
        "device_id": "R01", "staff_id": "ST01", "member_id": HANAKO,
        "member_no": "2900000000018", "member_display_name": "山田 ＊＊",
        "member_status": "active", "program_version": 2, "amount_yen": 5000,
        "earn_base_yen": 4900, "points_earned": 69, "points_redeemed": 100,
        "returned_yen": 1000, "remaining_yen": 4000, "lines": None}
    assert datetime.fromisoformat(sale["local_time"]) == START
    [ret] = sale["returns"]
    assert (ret["op_id"], ret["device_id"], ret["returned_yen"], ret["points_reversed"],
            ret["points_restored"]) == (bench.ops["r1"]["op_id"], "R02", 1000, 13, 20)


def test_the_lookup_stands_in_for_the_registers_record_of_a_basket(bench: Bench) -> None:
    _sale(bench, "s1", TARO, 2000, lines=LINES)
    bench.push("s1")
    _return(bench, "r1", bench.ops["s1"]["op_id"], TARO, 600, lines=LINES[:1])
    bench.push("r1")
    sale = _lookup(bench, bench.ops["s1"]["payload"]["receipt_no"]).json()
    assert [ln["sku"] for ln in sale["lines"]] == ["A1", "B2"]
    assert [ln["sku"] for ln in sale["returned_lines"]] == ["A1"]
    assert (sale["returned_yen"], sale["remaining_yen"]) == (600, 1400)
    # A return built from the answer alone, at the other register, is applied.
    _return(bench, "r2", sale["op_id"], sale["member_id"], sale["remaining_yen"], register="R02",
            lines=[ln for ln in sale["lines"] if ln["sku"] == "B2"])
    [result] = bench.push("r2")
    assert result["status"] == "applied", result
    # Whatever the sale earned is back out: 20 points taken back in all.
    assert result["points_reversed"] + sale["returns"][0]["points_reversed"] == 40
    again = _lookup(bench, sale["receipt_no"]).json()
    assert (again["returned_yen"], again["remaining_yen"], len(again["returns"])) == (2000, 0, 2)


def test_another_stores_sale_is_not_found_and_says_nothing_of_it(bench: Bench) -> None:
    _day(bench)
    receipt = bench.ops["o1"]["payload"]["receipt_no"]  # R09's, at S002
    response = _lookup(bench, receipt, token="R01")
    assert response.status_code == 404
    assert "S001" in response.json()["detail"] and "S002" not in response.json()["detail"]
    assert _lookup(bench, receipt, token="R09").status_code == 200
    unknown = _lookup(bench, "R01-999999")
    assert unknown.status_code == 404 and "R01-999999" in unknown.json()["detail"]


def test_a_refused_sale_is_answered_409_and_admins_use_their_own_routes(bench: Bench) -> None:
    _day(bench)
    refused = _lookup(bench, bench.ops["x1"]["payload"]["receipt_no"])
    assert refused.status_code == 409
    assert "unknown_member" in refused.json()["detail"]
    admin = _lookup(bench, bench.ops["s1"]["payload"]["receipt_no"], token=bench.world.admin)
    assert admin.status_code == 403
    assert bench.client.get("/v1/sales/by-receipt/" + "9" * 65, headers=_auth(bench, "R01")).status_code == 422


def test_a_reused_receipt_number_finds_the_newest_sale(bench: Bench) -> None:
    first = _sale(bench, "s1", HANAKO, 1000)
    bench.push("s1")
    bench.clock.advance(hours=1)
    second = _sale(bench, "s2", TARO, 3000)
    second["payload"]["receipt_no"] = first["payload"]["receipt_no"]  # a restored register's
    bench.push("s2")
    sale = _lookup(bench, first["payload"]["receipt_no"]).json()
    assert (sale["op_id"], sale["amount_yen"]) == (second["op_id"], 3000)
    assert timedelta(0) < datetime.fromisoformat(sale["local_time"]) - START
