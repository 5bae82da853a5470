"""The member directory over the API: enrol, profile, cards, merge, adjust, history, audit."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from hq.models import Card, FeedEntry, LedgerEntry, Member
from tests.hq.hq_helpers import World, assert_ledger_invariant, audit_rows, balance, sale

HANAKO = "2900000000018"  # M0000001, 1,200 pt, card 04A1B2C3D4E5F6
TARO = "2900000000025"  # M0000002, 0 pt, card 04112233445566


def enroll_body(**extra: Any) -> dict[str, Any]:
    return {"request_id": str(uuid.uuid4()), "display_name": "伊藤 さくら", "kana": "イトウ サクラ",
            "birth_month": 4, "phone": "090-1234-5678", **extra}  # fmt: skip


def feed_keys(engine: Engine, after: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(FeedEntry).where(FeedEntry.server_seq > after).order_by(FeedEntry.server_seq))
        return [(r.kind, r.key) for r in rows]


def last_seq(engine: Engine) -> int:
    with Session(engine) as session:
        return max((r.server_seq for r in session.scalars(select(FeedEntry))), default=0)


def test_a_register_enrols_at_the_counter_once_per_request_id(
    client: TestClient, world: World, engine: Engine
) -> None:
    seq = last_seq(engine)
    body = enroll_body(card_uid="04:de:ad:be:ef:00:01", staff_id="ST07")
    made = client.post("/v1/members", json=body, headers=world.auth())
    assert made.status_code == 201, made.text
    member = made.json()["member"]
    assert member["member_no"].startswith("29") and len(member["member_no"]) == 13
    assert (member["display_name"], member["kana"], member["birth_month"]) == ("伊藤 さくら", "イトウ サクラ", 4)
    assert member["phone_masked"] == "090-****-5678" and len(member["phone_hash"]) == 64
    assert made.json()["cards"] == [{"uid": "04DEADBEEF0001", "member_id": member["member_id"], "status": "active"}]
    assert (made.json()["held"], made.json()["available"]) == (0, 0)

    retry = client.post("/v1/members", json=body, headers=world.auth())
    assert retry.status_code == 200 and retry.json() == made.json()
    reused = client.post("/v1/members", json={**body, "display_name": "別人"}, headers=world.auth())
    assert reused.status_code == 409 and "already used" in reused.json()["detail"]

    with Session(engine) as session:
        row = session.scalars(select(Member).where(Member.member_no == member["member_no"])).one()
        assert (row.enrolled_store_id, row.enrolled_staff_id, row.enrolled_device_id) == ("S001", "ST07", "R01")
        # The plain number is nowhere in the database.
        dump = "\n".join(str(r) for r in session.execute(text("SELECT * FROM members")).all())
        dump += "\n".join(str(r) for r in session.execute(text("SELECT * FROM audit")).all())
        assert "12345678" not in dump and "5678" in dump
    assert feed_keys(engine, seq) == [("member", member["member_id"]), ("card", "04DEADBEEF0001")]
    [entry] = audit_rows(engine, "member", member["member_no"])
    assert (entry.action, entry.actor_kind, entry.actor) == ("enroll", "register", "R01/ST07")
    assert entry.after and entry.after["phone_masked"] == "090-****-5678"

    # The same number, typed differently, finds the member.
    found = client.get("/v1/admin/members", params={"phone": "+81 90 1234 5678"}, headers=world.admin_auth)
    assert [m["member"]["member_no"] for m in found.json()] == [member["member_no"]]


def test_enrolment_refusals(client: TestClient, world: World) -> None:
    taken_card = client.post("/v1/members", json=enroll_body(card_uid="04A1B2C3D4E5F6"), headers=world.auth())
    assert taken_card.status_code == 409 and "already belongs to member M0000001" in taken_card.json()["detail"]
    taken_no = client.post("/v1/members", json=enroll_body(member_no=HANAKO), headers=world.admin_auth)
    assert taken_no.status_code == 409
    bad_phone = client.post("/v1/members", json=enroll_body(phone="12345"), headers=world.auth())
    assert bad_phone.status_code == 422 and "10 or 11 digits" in bad_phone.json()["detail"]
    blank = client.post("/v1/members", json=enroll_body(display_name="   "), headers=world.auth())
    assert blank.status_code == 422 and "must not be blank" in blank.json()["detail"]
    other_store = client.post("/v1/members", json=enroll_body(store_id="S002"), headers=world.auth())
    assert other_store.status_code == 422 and "its own store" in other_store.json()["detail"]
    by_admin = client.post("/v1/members", json=enroll_body(store_id="S002", member_no="2900000000905"),
                           headers=world.admin_auth)  # fmt: skip
    assert by_admin.status_code == 201 and by_admin.json()["member"]["member_no"] == "2900000000905"


def test_profile_update_is_audited_and_published(client: TestClient, world: World, engine: Engine) -> None:
    seq = last_seq(engine)
    response = client.patch(f"/v1/admin/members/{HANAKO}",
                            json={"kana": "ヤマダ ハナコ", "phone": "03-1234-5678", "reason": "窓口で申告"},
                            headers=world.admin_auth)  # fmt: skip
    assert response.status_code == 200, response.text
    member = response.json()["member"]
    assert (member["kana"], member["phone_masked"], member["display_name"]) == ("ヤマダ ハナコ", "03-****-5678", "山田 花子")
    assert feed_keys(engine, seq) == [("member", "M0000001")]
    [entry] = audit_rows(engine, "member", HANAKO)[-1:]
    assert (entry.action, entry.actor, entry.reason) == ("update_profile", "hq-ops", "窓口で申告")
    assert entry.before == {"kana": "", "phone_masked": None}
    assert entry.after == {"kana": "ヤマダ ハナコ", "phone_masked": "03-****-5678"}

    cleared = client.patch(f"/v1/admin/members/{HANAKO}", json={"phone": None}, headers=world.admin_auth)
    assert cleared.json()["member"]["phone_hash"] is None
    assert client.patch(f"/v1/admin/members/{HANAKO}", json={}, headers=world.admin_auth).status_code == 422
    assert client.patch("/v1/admin/members/2999999999999", json={"kana": "x"}, headers=world.admin_auth).status_code == 404


def test_block_and_reissue_keep_the_balance_with_the_member(
    client: TestClient, world: World, engine: Engine
) -> None:
    seq = last_seq(engine)
    blocked = client.post("/v1/admin/cards/04112233445566/block", json={"reason": "紛失"}, headers=world.admin_auth)
    assert blocked.status_code == 200
    assert blocked.json()["cards"] == [{"uid": "04112233445566", "member_id": "M0000002", "status": "blocked"}]
    assert feed_keys(engine, seq) == [("card", "04112233445566")]
    # Blocking again changes nothing and audits nothing.
    client.post("/v1/admin/cards/04112233445566/block", json={}, headers=world.admin_auth)
    assert len(audit_rows(engine, "card", "04112233445566")) == 1

    reissued = client.post("/v1/admin/cards/04A1B2C3D4E5F6/reissue",
                           json={"new_card_uid": "04a1b2c3d4e5f7", "reason": "破損"}, headers=world.admin_auth)  # fmt: skip
    assert reissued.status_code == 200, reissued.text
    assert {c["uid"]: c["status"] for c in reissued.json()["cards"]} == {
        "04A1B2C3D4E5F6": "blocked", "04A1B2C3D4E5F7": "active",
    }  # fmt: skip
    assert reissued.json()["member"]["balance"] == 1200
    taken = client.post("/v1/admin/cards/04C0FFEE123456/reissue", json={"new_card_uid": "04A1B2C3D4E5F7"},
                        headers=world.admin_auth)  # fmt: skip
    assert taken.status_code == 409
    assert client.post("/v1/admin/cards/0400000000FFFF/block", json={}, headers=world.admin_auth).status_code == 404
    assert client.post("/v1/admin/cards/zz/block", json={}, headers=world.admin_auth).status_code == 422
    # Registers learn about both cards by pull, the blocked one included.
    pulled = client.get("/v1/sync/pull", params={"cursor": seq}, headers=world.auth()).json()
    assert {c["card"]["uid"]: c["card"]["status"] for c in pulled["changes"] if c["card"]} == {
        "04112233445566": "blocked", "04A1B2C3D4E5F6": "blocked", "04A1B2C3D4E5F7": "active",
    }  # fmt: skip


def test_merge_moves_balance_and_cards_with_ledger_entries(
    client: TestClient, world: World, engine: Engine
) -> None:
    body = {"source_member_no": "2900000000032", "target_member_no": HANAKO, "reason": "二重登録"}
    merged = client.post("/v1/admin/members/merge", json=body, headers=world.admin_auth)
    assert merged.status_code == 200, merged.text
    out = merged.json()
    assert (out["moved_points"], out["moved_cards"]) == (350, ["04C0FFEE123456"])
    assert (out["source"]["status"], out["source"]["balance"], out["source"]["merged_into"]) == ("blocked", 0, "M0000001")
    assert out["target"]["balance"] == 1550
    with Session(engine) as session:
        card = session.get(Card, "04C0FFEE123456")
        assert card is not None and card.member_id == "M0000001"
        kinds = session.execute(select(LedgerEntry.member_id, LedgerEntry.kind, LedgerEntry.points)
                                .where(LedgerEntry.kind.in_(["merge_in", "merge_out"]))).all()  # fmt: skip
        assert sorted(kinds) == [("M0000001", "merge_in", 350), ("M0000003", "merge_out", -350)]
    assert_ledger_invariant(engine)
    [entry] = audit_rows(engine, "member", "2900000000032")[-1:]
    assert (entry.action, entry.reason, entry.before) == ("merge", "二重登録", {"source_balance": 350, "target_balance": 1200})

    again = client.post("/v1/admin/members/merge", json=body, headers=world.admin_auth)
    assert again.status_code == 200 and again.json()["moved_points"] == 0
    assert balance(engine, "M0000001") == 1550
    # The merged member takes no sales, no adjustments and is not a merge target.
    [refused] = client.post("/v1/sync/push", json={"ops": [sale(1, "M0000003", 1000)]}, headers=world.auth()).json()["results"]
    assert refused["reason"] == "member_blocked"
    adjust = client.post("/v1/admin/members/2900000000032/adjust", json={"points": 5, "reason": "x"}, headers=world.admin_auth)
    assert adjust.status_code == 409 and "merged into member M0000001" in adjust.json()["detail"]
    into_merged = {"source_member_no": TARO, "target_member_no": "2900000000032", "reason": "x"}
    assert client.post("/v1/admin/members/merge", json=into_merged, headers=world.admin_auth).status_code == 409
    itself = {"source_member_no": TARO, "target_member_no": TARO, "reason": "x"}
    assert client.post("/v1/admin/members/merge", json=itself, headers=world.admin_auth).status_code == 422


def test_adjust_needs_a_reason_and_never_goes_below_zero(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = "/v1/admin/members/2900000000056/adjust"  # 田中 健太, 80 pt
    assert client.post(url, json={"points": 20}, headers=world.admin_auth).status_code == 422
    assert client.post(url, json={"points": 20, "reason": "  "}, headers=world.admin_auth).status_code == 422
    assert client.post(url, json={"points": 0, "reason": "x"}, headers=world.admin_auth).status_code == 422
    negative = client.post(url, json={"points": -81, "reason": "誤付与"}, headers=world.admin_auth)
    assert negative.status_code == 409 and "below zero" in negative.json()["detail"]

    request_id = str(uuid.uuid4())
    body = {"points": -30, "reason": "誤付与の取消", "request_id": request_id}
    first = client.post(url, json=body, headers=world.admin_auth)
    assert first.status_code == 200 and first.json()["member"]["balance"] == 50
    assert client.post(url, json=body, headers=world.admin_auth).json() == first.json()
    assert balance(engine, "M0000005") == 50
    with Session(engine) as session:
        entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "adjust", LedgerEntry.points == -30)).one()
        assert entry.note == "誤付与の取消" and entry.op_id is None
    [audit] = audit_rows(engine, "member", "2900000000056")[-1:]
    assert (audit.before, audit.after) == ({"balance": 80}, {"balance": 50, "points": -30})
    assert_ledger_invariant(engine)


def test_history_pages_newest_first_with_the_balance_after_each_entry(
    client: TestClient, world: World
) -> None:
    ops = [sale(seq, "M0000002", 1000 * seq) for seq in range(1, 6)]  # earns 10, 20, … 50
    client.post("/v1/sync/push", json={"ops": ops}, headers=world.auth())
    client.post(f"/v1/admin/members/{TARO}/adjust", json={"points": -15, "reason": "訂正"}, headers=world.admin_auth)

    seen: list[tuple[str, int, int]] = []
    before = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4} if before is None else {"limit": 4, "before": before}
        page = client.get(f"/v1/members/{TARO}/history", params=params, headers=world.auth()).json()
        pages += 1
        seen += [(e["kind"], e["points"], e["balance_after"]) for e in page["entries"]]
        before = page["next_before"]
        if before is None:
            break
    assert pages == 2
    assert seen == [("adjust", -15, 135), ("earn", 50, 150), ("earn", 40, 100), ("earn", 30, 60),
                    ("earn", 20, 30), ("earn", 10, 10)]  # fmt: skip
    assert client.get("/v1/members/2999999999999/history", headers=world.auth()).status_code == 404
    assert client.get(f"/v1/members/{TARO}/history", params={"limit": 0}, headers=world.auth()).status_code == 422


def test_lookup_shows_cards_and_what_holds_reserve(client: TestClient, world: World) -> None:
    hold = {"hold_id": str(uuid.uuid4()), "member_id": "M0000004", "points": 700}
    assert client.post("/v1/holds", json=hold, headers=world.auth()).status_code == 201
    found = client.get("/v1/members/2900000000049", headers=world.auth()).json()
    assert (found["member"]["balance"], found["held"], found["available"]) == (5000, 700, 4300)
    assert [c["uid"] for c in found["cards"]] == ["0455AA66BB77CC"]
    assert client.get("/v1/members/123", headers=world.auth()).status_code == 422
    missing = client.get("/v1/members/2999999999999", headers=world.auth())
    assert missing.status_code == 404 and missing.json()["detail"] == "unknown member number 2999999999999"
