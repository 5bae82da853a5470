"""Member ops through push: enrolment at the counter (offline-made ids, hashed phone,
idempotent by op id, a card already bound refused), and what the pull feed carries."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hq.models import AuditEntry, Member
from loyalty.scan import member_no_is_valid
from tests.hq.hq_helpers import assert_ledger_invariant
from tests.hq.ledger_bench import HANAKO, TARO, Bench

SAKURA = {"display_name": " 伊藤 さくら ", "kana": "イトウ サクラ", "birth_month": 3,
          "phone": "090-1234-5678", "card_uid": "04:de:ad:be:ef:00:01"}  # fmt: skip


def test_a_member_enrolled_offline_is_created_once_and_can_buy_in_the_same_push(bench: Bench) -> None:
    member_id = str(uuid.uuid4())
    bench.make("e1", "enroll", member_id, SAKURA, staff="ST07")
    bench.make("s1", "sale", member_id, {"amount_yen": 1000, "points_earned": 30, "points_redeemed": 0,
                                         "receipt_no": "R01-s1"})  # fmt: skip
    enrolled, sold = bench.push("e1", "s1")
    assert (enrolled["status"], enrolled["member_id"], enrolled["balance"]) == ("applied", member_id, 0)
    assert member_no_is_valid(enrolled["member_no"])
    assert (sold["status"], sold["points_earned"], sold["balance"]) == ("applied", 30, 30)

    [again] = bench.push("e1")
    assert (again["status"], again["member_no"]) == ("duplicate", enrolled["member_no"])
    row = bench.member(member_id)
    assert (row.display_name, row.kana, row.birth_month, row.phone_masked) == ("伊藤 さくら", "イトウ サクラ", 3, "090-****-5678")
    assert (row.enrolled_store_id, row.enrolled_staff_id, row.enrolled_device_id) == ("S001", "ST07", "R01")
    assert row.balance == 30 and len(row.phone_hash or "") == 64
    assert bench.card("04DEADBEEF0001") == (member_id, "active")

    # Refusals: the card is taken, the id is taken, a bad check digit, a bad phone.
    bench.make("e2", "enroll", str(uuid.uuid4()), {**SAKURA, "card_uid": "04DEADBEEF0001"})
    bench.make("e3", "enroll", member_id, {**SAKURA, "card_uid": None})
    bench.make("e4", "enroll", str(uuid.uuid4()), {**SAKURA, "card_uid": None, "member_no": "2900000000011"})
    bench.make("e5", "enroll", str(uuid.uuid4()), {**SAKURA, "card_uid": None, "phone": "12345"})
    bench.make("e6", "enroll", str(uuid.uuid4()), {**SAKURA, "card_uid": None, "member_no": "2900000000018"})
    results = bench.push("e2", "e3", "e4", "e5", "e6")
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "card_in_use"), ("rejected", "member_exists"), ("rejected", "invalid_member"),
        ("rejected", "invalid_phone"), ("rejected", "member_no_taken"),
    ]  # fmt: skip

    with Session(bench.engine) as session:
        # The plain number is nowhere: not in members, audit, the ops kept, dead letters.
        for table in ("members", "audit", "ops", "dead_letters"):
            dump = "\n".join(str(r) for r in session.execute(text(f"SELECT * FROM {table}")).all())
            assert "12345678" not in dump and "1234-5678" not in dump, table
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "enroll",
                                                         AuditEntry.actor == "R01/ST07")).one()
        assert audit.after and audit.after["member_id"] == member_id
        assert session.scalar(select(Member.member_no).where(Member.member_id == member_id)) == enrolled["member_no"]
    assert_ledger_invariant(bench.engine)


def test_the_pull_feed_carries_rank_debt_and_lots_by_expiry(bench: Bench) -> None:
    cursor = bench.client.get("/v1/sync/pull", params={"cursor": 0, "limit": 1000},
                              headers={"Authorization": f"Bearer {bench.tokens['R01']}"}).json()["cursor"]  # fmt: skip
    bench.make("s1", "sale", TARO, {"amount_yen": 1000, "points_earned": 30, "points_redeemed": 0,
                                    "receipt_no": "R01-s1"})  # fmt: skip
    bench.make("s2", "sale", HANAKO, {"amount_yen": 100, "points_earned": 0, "points_redeemed": 100,
                                      "receipt_no": "R01-s2"})  # fmt: skip
    bench.push("s1", "s2")
    page = bench.client.get("/v1/sync/pull", params={"cursor": cursor},
                            headers={"Authorization": f"Bearer {bench.tokens['R02']}"}).json()  # fmt: skip
    members = {c["member"]["member_id"]: c["member"] for c in page["changes"] if c["kind"] == "member"}
    assert members[TARO]["lots"] == [
        {"kind": "limited", "points": 20, "expires_at": "2026-04-01T15:00:00Z"},
        {"kind": "normal", "points": 10, "expires_at": "2027-03-02T15:00:00Z"},
    ]
    assert (members[TARO]["balance"], members[TARO]["debt"], members[TARO]["rank"]) == (30, 0, "")
    assert members[HANAKO]["lots"] == [{"kind": "normal", "points": 1100, "expires_at": None}]


def test_an_admin_adjustment_pays_debt_first_and_never_takes_points_into_debt(bench: Bench) -> None:
    # 田中 健太 (80 pt) redeems 200 pt offline at a register: 120 pt of debt.
    bench.make("s1", "sale", "M0000005", {"amount_yen": 200, "points_earned": 0, "points_redeemed": 200,
                                          "receipt_no": "R01-s1"})  # fmt: skip
    [sold] = bench.push("s1")
    assert (sold["balance"], sold["debt"]) == (-120, 120)
    url = "/v1/admin/members/2900000000056/adjust"
    taken = bench.client.post(url, json={"points": -1, "reason": "訂正"}, headers=bench.world.admin_auth)
    assert taken.status_code == 409 and "below zero" in taken.json()["detail"]
    given = bench.client.post(url, json={"points": 150, "reason": "お詫び"}, headers=bench.world.admin_auth)
    assert given.status_code == 200, given.text
    member = given.json()["member"]
    assert (member["balance"], member["debt"], given.json()["available"]) == (30, 0, 30)
    assert member["lots"][0]["points"] == 30
