"""Reports and jobs over the admin API and the CLI: settlement checked by hand on a small
scenario, campaign effect, new members, CSV, the idempotent jobs, and the simulator."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hq.cli import main
from hq.models import Member
from resources import RESOURCES
from tests.hq.hq_helpers import assert_ledger_invariant
from tests.hq.ledger_bench import (
    HANAKO,
    ICHIRO,
    KENTA,
    MISAKI,
    TARO,
    Advance,
    Bench,
    Return,
    Sale,
    run,
)

DAY = "2026-03-04"


def admin_get(bench: Bench, path: str, **params: Any) -> Any:
    response = bench.client.get(path, params=params, headers=bench.world.admin_auth)
    assert response.status_code == 200, response.text
    return response


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def partners_scenario(bench: Bench) -> None:
    """On Wednesday 4 March, between company C001 (R01) and its partner C200 (P01)."""
    run(bench, [
        Advance(1),
        Sale("t1", TARO, 5000, register="P01"),  # 50 pt issued by C200
        Sale("t2", TARO, 2000, redeem=30),  # C200's 30 pt used at C001; 19 pt issued by C001
        Sale("i1", ICHIRO, 1000, redeem=100, register="P01"),  # C001's 100 pt used at C200; 9 by C200
        # C200's 9 pt expire first, so they go first: 9 of C200's and 41 of C001's, at C001.
        Sale("i2", ICHIRO, 500, redeem=50),  # and 4 pt issued by C001
        # Half of t2 back: 15 of C200's points restored (-15 at C001), 9 of C001's taken back.
        Return("t2r", "t2", 1000, expect={"status": "applied", "points_restored": 15, "points_reversed": 9}),
    ])


def test_settlement_adds_up_by_hand(bench: Bench) -> None:
    partners_scenario(bench)
    report = admin_get(bench, "/v1/admin/reports/settlement", **{"from": DAY, "to": DAY}).json()
    assert report["companies"] == [
        {"company_id": "C001", "issued": 23, "reversed": 9, "redeemed_at_home": 41,
         "redeemed_at_partners": 100, "partners_redeemed_here": 24},
        {"company_id": "C200", "issued": 59, "reversed": 0, "redeemed_at_home": 0,
         "redeemed_at_partners": 24, "partners_redeemed_here": 100},
    ]  # fmt: skip
    # C001's points paid for 100 yen of goods at C200; C200's for 30 + 9 - 15 = 24 at C001.
    assert report["pairs"] == [{"payer": "C001", "payee": "C200", "points": 76,
                                "payer_points_redeemed_at_payee": 100,
                                "payee_points_redeemed_at_payer": 24}]  # fmt: skip
    assert (report["from"], report["to"]) == (DAY, DAY)

    as_csv = admin_get(bench, "/v1/admin/reports/settlement.csv", **{"from": DAY, "to": DAY})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["company_id", "counterparty", "figure", "points"]
    assert ["C001", "", "redeemed_at_partners", "100"] in rows
    assert rows[-1] == ["C001", "C200", "owes", "76"]
    assert len(rows) == 1 + 2 * 5 + 1

    # Another day: nothing happened; a register may not read it; a reversed period is 422.
    empty = admin_get(bench, "/v1/admin/reports/settlement", **{"from": "2026-03-05", "to": "2026-03-09"}).json()
    assert (empty["companies"], empty["pairs"]) == ([], [])
    register = bench.client.get("/v1/admin/reports/settlement", params={"from": DAY, "to": DAY},
                                headers=bench.world.auth())  # fmt: skip
    assert register.status_code == 403
    backwards = bench.client.get("/v1/admin/reports/settlement", params={"from": DAY, "to": "2026-03-01"},
                                 headers=bench.world.admin_auth)  # fmt: skip
    assert backwards.status_code == 422 and "before it starts" in backwards.json()["detail"]
    assert_ledger_invariant(bench.engine)


def test_campaign_effect_compares_participants_with_other_shoppers(bench: Bench) -> None:
    bench.clock.advance(days=-1)  # Monday
    run(bench, [
        Sale("a", TARO, 300), Sale("b", ICHIRO, 200),
        Advance(1),  # Tuesday: 20 pt for ¥1,000 or more
        Sale("c", TARO, 1000, expect={"points_earned": 30}), Sale("d", ICHIRO, 500, expect={"points_earned": 5}),
        Advance(1),
        Sale("e", HANAKO, 1200),
    ])  # fmt: skip
    params = {"campaign_id": "tuesday", "from": "2026-03-03", "to": "2026-03-03"}
    report = admin_get(bench, "/v1/admin/reports/campaign-effect", **params).json()
    assert (report["points_granted"], report["grants"], report["members_reached"]) == (20, 1, 1)
    assert report["participants"] == {"members": 1, "spend_yen": 1000, "spend_per_member_yen": 1000,
                                      "spend_before_yen": 300, "spend_before_per_member_yen": 300}  # fmt: skip
    # Comparable: bought in the window where the campaign granted points, got none of it.
    assert report["non_participants"] == {"members": 1, "spend_yen": 500, "spend_per_member_yen": 500,
                                          "spend_before_yen": 200, "spend_before_per_member_yen": 200}  # fmt: skip
    assert report["lift_per_participant_yen"] == (1000 - 300) - (500 - 200)
    rows = list(csv.reader(io.StringIO(admin_get(bench, "/v1/admin/reports/campaign-effect.csv", **params).text)))
    assert ["tuesday", "", "points_granted", "20"] in rows
    assert ["tuesday", "non_participants", "spend_before_yen", "200"] in rows


def test_campaign_effect_compares_only_shoppers_of_the_same_stores_and_ranks(bench: Bench) -> None:
    with Session(bench.engine) as session, session.begin():
        session.get(Member, KENTA).rank = "silver"  # type: ignore[union-attr]
        session.get(Member, ICHIRO).rank = "regular"  # type: ignore[union-attr]  # TARO's is unset: also regular
    bench.clock.advance(days=-1)  # Monday, the equally long period before the window
    run(bench, [
        Sale("a", TARO, 300), Sale("b", ICHIRO, 200), Sale("h", HANAKO, 400),
        Advance(1),  # Tuesday: 20 pt for ¥1,000 or more, at any store
        Sale("c", TARO, 1000, expect={"points_earned": 30}),  # the one participant, at S001
        Sale("d", ICHIRO, 500, expect={"points_earned": 5}),  # comparable: S001, regular
        Sale("m", MISAKI, 800, register="R09"),  # another store (S002)
        Sale("k", KENTA, 700),  # S001, but silver
    ])  # HANAKO shopped at S001 only before the window  # fmt: skip
    report = admin_get(bench, "/v1/admin/reports/campaign-effect", campaign_id="tuesday",
                       **{"from": "2026-03-03", "to": "2026-03-03"}).json()
    assert report["participants"] == {"members": 1, "spend_yen": 1000, "spend_per_member_yen": 1000,
                                      "spend_before_yen": 300, "spend_before_per_member_yen": 300}  # fmt: skip
    assert report["non_participants"] == {"members": 1, "spend_yen": 500, "spend_per_member_yen": 500,
                                          "spend_before_yen": 200, "spend_before_per_member_yen": 200}  # fmt: skip
    comparison = report["comparison"]
    assert (comparison["stores"], comparison["ranks"], comparison["members"]) == (["S001"], ["regular"], 1)
    assert "store" in comparison["rule"] and "rank" in comparison["rule"]
    assert report["lift_per_participant_yen"] == (1000 - 300) - (500 - 200)
    rows = list(csv.reader(io.StringIO(admin_get(
        bench, "/v1/admin/reports/campaign-effect.csv", campaign_id="tuesday",
        **{"from": "2026-03-03", "to": "2026-03-03"}).text)))  # fmt: skip
    assert ["tuesday", "comparison", "members", "1"] in rows
    assert ["tuesday", "comparison", "stores", "S001"] in rows


def test_new_members_per_store_and_staff_per_day(bench: Bench) -> None:
    def enroll(key: str, register: str, staff: str) -> None:
        bench.make(key, "enroll", str(uuid.uuid4()), {"display_name": key}, register=register, staff=staff)
        assert bench.push(key)[0]["status"] == "applied"

    enroll("a", "R01", "ST01")
    enroll("b", "R01", "ST01")
    enroll("c", "R09", "ST03")
    bench.clock.advance(days=1)
    enroll("d", "R01", "ST02")
    period = {"from": "2026-03-03", "to": "2026-03-04"}
    by_store = admin_get(bench, "/v1/admin/reports/new-members", **period).json()
    assert by_store["rows"] == [
        {"date": "2026-03-03", "store_id": "S001", "staff_id": None, "new_members": 2},
        {"date": "2026-03-03", "store_id": "S002", "staff_id": None, "new_members": 1},
        {"date": "2026-03-04", "store_id": "S001", "staff_id": None, "new_members": 1},
    ]
    assert by_store["total"] == 4
    by_staff = admin_get(bench, "/v1/admin/reports/new-members.csv", by="staff", **period).text
    assert list(csv.reader(io.StringIO(by_staff))) == [
        ["date", "store_id", "staff_id", "new_members"],
        ["2026-03-03", "S001", "ST01", "2"], ["2026-03-03", "S002", "ST03", "1"],
        ["2026-03-04", "S001", "ST02", "1"],
    ]  # fmt: skip


def test_jobs_over_the_admin_api_are_idempotent(bench: Bench) -> None:
    run(bench, [Sale("s1", TARO, 1000), Advance(31)])  # 20 limited points, valid through 1 April
    auth = bench.world.admin_auth
    first = bench.client.post("/v1/admin/jobs/expire", json={"as_of": "2026-04-03"}, headers=auth)
    assert first.status_code == 200, first.text
    assert (first.json()["members"], first.json()["points"]) == (1, 20)
    again = bench.client.post("/v1/admin/jobs/expire", json={"as_of": "2026-04-03"}, headers=auth).json()
    assert (again["members"], again["points"]) == (0, 0)
    assert bench.member(TARO).balance == 10
    future = bench.client.post("/v1/admin/jobs/expire", json={"as_of": "2026-05-01"}, headers=auth)
    assert future.status_code == 422 and "after today" in future.json()["detail"]
    assert bench.client.post("/v1/admin/jobs/ranks", json={"as_of": "2026-04-03"},
                             headers=bench.world.auth()).status_code == 403  # fmt: skip

    ranks = bench.client.post("/v1/admin/jobs/ranks", json={"as_of": "2026-04-03"}, headers=auth).json()
    assert ranks["changes"] == []  # ¥1,000 is far from silver
    assert ranks["evaluated"] == 5
    history = bench.client.get("/v1/members/2900000000025/history", headers=bench.world.auth()).json()
    assert [(e["kind"], e["points"], e["balance_after"]) for e in history["entries"]] == [
        ("expire", -20, 10), ("earn", 30, 30)]
    assert_ledger_invariant(bench.engine)


def test_cli_reports_jobs_and_simulator(db_url: str, bench: Bench, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    run(bench, [Sale("x", MISAKI, 1000)])  # Tuesday: 20 limited points, valid through 1 April
    partners_scenario(bench)
    code, out, err = cli(capsys, "--db", db_url, "settle", "--from", DAY, "--to", DAY, "--csv")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "C001,C200,owes,76"
    code, out, _ = cli(capsys, "--db", db_url, "settle", "--from", DAY, "--to", DAY)
    assert json.loads(out)["pairs"][0]["points"] == 76
    code, out, _ = cli(capsys, "--db", db_url, "new-members", "--from", DAY, "--to", DAY, "--by", "staff")
    assert code == 0 and json.loads(out)["total"] == 0
    code, out, _ = cli(capsys, "--db", db_url, "campaign-effect", "--campaign", "tuesday", "--from", DAY,
                       "--to", DAY, "--csv")  # fmt: skip
    assert code == 0 and "tuesday,,points_granted,0" in out

    # Jobs run by HQ's real clock, as of a day that has passed for the limited points.
    today = date.today().isoformat()
    code, out, _ = cli(capsys, "--db", db_url, "expire", "--as-of", today, "--json")
    assert code == 0 and (json.loads(out)["members"], json.loads(out)["points"]) == (1, 20)
    code, out, _ = cli(capsys, "--db", db_url, "expire", "--as-of", today)
    assert (code, out.strip()) == (0, f"expired 0 points of 0 members as of {today}")
    assert bench.member(MISAKI).balance == 5010
    code, out, _ = cli(capsys, "--db", db_url, "ranks", "--as-of", today)
    assert code == 0 and "members evaluated" in out
    with pytest.raises(SystemExit) as bad_date:
        main(["--db", db_url, "settle", "--from", "2026-03-04", "--to", "nope"])
    assert bad_date.value.code == 2 and "not a date" in capsys.readouterr().err

    basket = tmp_path / "basket.json"
    basket.write_text(json.dumps({"lines": [{"sku": "4901", "category": "cosmetics", "amount_yen": 3300}]}))
    member = tmp_path / "member.json"
    member.write_text(json.dumps({"balance": 500, "rank": "silver"}))
    drugstore = str(RESOURCES / "programs" / "drugstore.toml")
    code, out, _ = cli(capsys, "simulate", drugstore, str(basket), "--member", str(member),
                       "--at", "2025-04-06T12:00:00+09:00", "--json")  # a Sunday: cosmetics 3×
    assert code == 0
    quoted = json.loads(out)
    assert quoted["program"]["company_id"] == "C100" and quoted["rank"] == "silver"
    assert "cosmetics-weekend" in [b["source"] for b in quoted["breakdown"]]
    code, out, _ = cli(capsys, "simulate", drugstore, str(basket), "--at", "2025-04-05T12:00:00+09:00")
    assert code == 0 and "通常ポイント" in out
    # A published version by number, read from the database.
    code, out, _ = cli(capsys, "--db", db_url, "simulate", "2", str(basket), "--at", "2026-03-03T12:00:00+09:00",
                       "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["points_earned"] == 33 + 20
    code, _, err = cli(capsys, "simulate", drugstore, str(basket), "--at", "2025-04-05T12:00:00")
    assert code == 2 and "UTC offset" in err
    code, _, err = cli(capsys, "simulate", str(tmp_path / "missing.toml"), str(basket))
    assert code == 2 and "cannot read program" in err
