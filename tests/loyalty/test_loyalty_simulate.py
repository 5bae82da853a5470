"""The simulator HQ staff use to try a program: a readable table, JSON, and clear errors."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from loyalty.simulate import SimulateError, simulate
from resources import RESOURCES
from tests.loyalty.helpers import jst

DRUG = (RESOURCES / "programs" / "drugstore.toml").read_text(encoding="utf-8")
MARKET = (RESOURCES / "programs" / "supermarket.toml").read_text(encoding="utf-8")
BASKET = json.dumps({"lines": [
    {"sku": "4901", "name": "化粧水", "category": "cosmetics", "amount_yen": 1100},
    {"sku": "4902", "name": "お茶", "category": "food", "unit_price_yen": 1080, "quantity": 2,
     "tax_rate": 8},
    {"sku": "T1", "name": "たばこ", "category": "tobacco", "amount_yen": 600},
], "redeem_points": 200})
MEMBER = json.dumps({"balance": 500, "rank": "gold", "birth_month": 4, "first_purchase": True,
                     "enrolled_on": "2025-04-01",
                     "lots": [{"kind": "limited", "points": 100,
                               "expires_at": "2025-04-30T00:00:00+09:00"},
                              {"kind": "normal", "points": 400}]})


def test_a_drugstore_sale_on_a_5x_day():
    table, data = simulate(DRUG, BASKET, MEMBER, jst(2025, 4, 5), "S001")
    assert data["amount_yen"] == 3860 and data["redeem_points"] == 200
    by_source = {b["source"]: b["points"] for b in data["breakdown"]}
    assert by_source == {"base": 28, "rank": 14, "day-5": 112, "signup": 100, "spend-3000": 50}
    assert data["points_earned"] == 304 and data["net_change"] == 104
    assert [s["campaign_id"] for s in data["skipped"]] == ["cosmetics-weekend", "birthday"]
    assert data["grants"][1] == {"kind": "limited", "points": 50, "source": "spend-3000",
                                 "expires_at": "2025-05-05T00:00:00+09:00",
                                 "valid_until": "2025-05-04"}
    assert data["redeem_limit"]["reason"] == "balance"
    json.dumps(data)  # JSON-able as it is
    for label in ("獲得ポイント内訳", "5のつく日 ポイント5倍", "112 pt", "付与対象外",
                  "対象外のキャンペーン", "併用不可", "ご利用可能", "有効期限", "2025-05-04 まで"):
        assert label in table


def test_a_supermarket_sale_without_a_member():
    basket = json.dumps([{"sku": "R1", "category": "rice", "amount_yen": 4980, "tax_rate": 8},
                         {"sku": "B1", "category": "garbage_bag", "amount_yen": 500}])
    table, data = simulate(MARKET, basket, None, jst(2025, 10, 14), "S002")  # a Tuesday
    assert {b["source"]: b["points"] for b in data["breakdown"]} == {
        "base": 24, "tuesday": 24, "rice": 432}
    assert data["grants"][1]["kind"] == "limited"
    assert "会員        指定なし" in table


@pytest.mark.parametrize(("program", "basket", "member", "at", "message"), [
    ("[program", BASKET, None, jst(2025, 4, 5), "program: not valid TOML"),
    (DRUG, "{", None, jst(2025, 4, 5), "basket: not valid JSON"),
    (DRUG, "[]", None, jst(2025, 4, 5), "basket.lines: must be a non-empty list"),
    (DRUG, '[{"sku": "A"}]', None, jst(2025, 4, 5), "basket.lines[0]: give amount_yen"),
    (DRUG, '[{"sku": "A", "amount_yen": "100"}]', None, jst(2025, 4, 5),
     "basket.lines[0].amount_yen: must be an integer"),
    (DRUG, '[{"sku": "A", "amount_yen": 100, "colour": 1}]', None, jst(2025, 4, 5),
     "basket.lines[0].colour: unknown field"),
    (DRUG, BASKET, '{"birth_month": 13}', jst(2025, 4, 5), "member.birth_month: must be 1–12"),
    (DRUG, BASKET, '{"enrolled_on": "yesterday"}', jst(2025, 4, 5), "member.enrolled_on"),
    (DRUG, BASKET, '{"lots": [{"points": 5, "expires_at": "2025-05-01"}]}', jst(2025, 4, 5),
     "member.lots[0].expires_at: needs a UTC offset"),
    (DRUG, BASKET, '{"balance": 100}', jst(2025, 4, 5), "quote: ポイント残高（100 pt）"),
    (DRUG, BASKET, None, datetime(2025, 4, 5, 12), "at: needs a date-time with a UTC offset"),
])
def test_bad_input_is_named(program, basket, member, at, message):
    with pytest.raises(SimulateError) as err:
        simulate(program, basket, member, at, None)
    assert message in str(err.value)


def test_the_documented_example_is_what_the_simulator_prints():
    import re
    doc = (RESOURCES.parent / "docs" / "program.md").read_text(encoding="utf-8")
    basket, member = re.findall(r"```json\n(.*?)```", doc, re.S)
    table, _ = simulate(DRUG, basket, member, jst(2025, 4, 5), "S001")
    example = re.search(r"```\n(獲得ポイント内訳.*?)```", doc, re.S)
    assert example is not None
    for line in example.group(1).splitlines():
        assert line in table.splitlines()
