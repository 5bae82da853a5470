"""Ledger scenarios through push, table by table: each row an op or a job with what HQ
must answer, checked on SQLite and PostgreSQL, with every invariant of the ledger checked
from the rows after each scenario (DESIGN §5; sync notes, scenarios 8, 11 and 12)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.models import LotRow
from tests.hq.hq_helpers import assert_ledger_invariant
from tests.hq.ledger_bench import (
    CARDS,
    HANAKO,
    ICHIRO,
    KENTA,
    MISAKI,
    TARO,
    Advance,
    Allocations,
    Bench,
    CardIs,
    Check,
    Expire,
    Op,
    Push,
    Ranks,
    Return,
    Sale,
    run,
)

APPLIED = "applied"


def ok(**fields: Any) -> dict[str, Any]:
    return {"status": APPLIED, "reason": None, **fields}


def refused(reason: str) -> dict[str, Any]:
    return {"status": "rejected", "reason": reason}


SCENARIOS: dict[str, list[Any]] = {
    "earn on a Tuesday: a normal lot and a limited-time campaign lot": [
        Sale("s1", TARO, 1000, expect=ok(points_earned=30, balance=30, debt=0, lots=[
            {"kind": "limited", "points": 20, "expires_at": "2026-04-01T15:00:00Z"},
            {"kind": "normal", "points": 10, "expires_at": "2027-03-02T15:00:00Z"}])),
        Check(TARO, 30, lots=[("limited", 20, date(2026, 4, 1)), ("normal", 10, date(2027, 3, 2))]),
    ],
    "redeem soonest expiry first, each use an allocation issuer → redeemer": [
        Sale("s1", TARO, 1000),  # Tuesday: s1#0 normal 10, s1#1 limited 20 (30 days)
        Advance(1),
        Sale("s2", TARO, 2000, expect=ok(points_earned=20, balance=50)),
        Advance(1),
        Sale("s3", TARO, 500, redeem=35, register="P01", expect=ok(points_redeemed=35, points_earned=4, balance=19)),
        Allocations("s3", [("s1#1", "C001", "C200", 20), ("s1#0", "C001", "C200", 10), ("s2#0", "C001", "C200", 5)]),
        Check(TARO, 19, lots=[("normal", 15, date(2027, 3, 3)), ("normal", 4, date(2027, 3, 4))]),
    ],
    "a partial return after the points were spent is debt; later earns settle it": [
        Advance(1),
        Sale("s1", TARO, 10000, expect=ok(points_earned=100, balance=100)),
        Sale("s2", TARO, 100, redeem=100, expect=ok(points_earned=0, balance=0)),
        Return("r1", "s1", 5000, expect=ok(points_reversed=50, points_restored=0, balance=-50, debt=50)),
        Sale("s3", TARO, 3000, expect=ok(points_earned=30, balance=-20, debt=20)),
        Sale("s4", TARO, 2000, expect=ok(points_earned=20, balance=0, debt=0)),
        # Returning the sale that spent them gives the points back, to the lot they came from.
        Return("r2", "s2", 100, expect=ok(points_reversed=0, points_restored=100, balance=100, debt=0)),
        Allocations("s2", [("s1#0", "C001", "C001", 100), ("s1#0", "C001", "C001", -100)]),
        Check(TARO, 100, lots=[("normal", 100, date(2027, 3, 3))]),
    ],
    "a return before its sale is parked, then applied with the sale": [
        Advance(1),
        Sale("s1", MISAKI, 4000, redeem=1000, send=False),
        Return("r1", "s1", 2000, register="R02", expect={"status": "parked", "balance": None}),
        Push(("r1",), [{"status": "parked"}]),
        Push(("s1",), [ok(points_earned=30, balance=4030)]),
        # Re-pushed, the return gets its final answer: applied when its sale arrived.
        Push(("r1",), [{"status": "duplicate", "points_reversed": 15, "points_restored": 500, "balance": 4515}]),
        Check(MISAKI, 4515),
    ],
    "over-returns and returns of refused sales are refused": [
        Advance(1),
        Sale("s1", TARO, 1000, expect=ok(points_earned=10)),
        Return("r1", "s1", 600, expect=ok(points_reversed=6, balance=4)),
        Return("r2", "s1", 500, expect=refused("return_exceeds_sale")),
        Return("r3", "s1", 400, expect=ok(points_reversed=4, balance=0)),
        Sale("s2", TARO, 1000, redeem=400, expect=refused("offline_cap_exceeded")),
        Return("r4", "s2", 100, expect=refused("sale_not_applied")),
        Check(TARO, 0, lots=[]),
    ],
    "a merge moves lots with their expiry; the source's old sale still returns": [
        Sale("s1", TARO, 1000),
        Op("m1", "merge", ICHIRO, {"source_member_id": TARO, "target_member_id": ICHIRO}, staff=None,
           expect=refused("staff_required")),
        Op("m2", "merge", ICHIRO, {"source_member_id": TARO, "target_member_id": ICHIRO, "reason": "二重登録"},
           expect=ok(member_id=ICHIRO, balance=380)),
        Check(ICHIRO, 380, lots=[("limited", 20, date(2026, 4, 1)), ("normal", 10, date(2027, 3, 2)),
                                 ("normal", 350, None)]),
        Check(TARO, 0, status="blocked", lots=[]),
        CardIs(CARDS[TARO], ICHIRO, "active"),
        Return("r1", "s1", 1000, expect=ok(member_id=ICHIRO, points_reversed=30, balance=350)),
        Sale("s2", TARO, 1000, expect=refused("member_blocked")),
        Check(ICHIRO, 350, lots=[("normal", 350, None)]),
    ],
    "a reissued card keeps the balance with the member; cards are blocked by op": [
        Op("c1", "card_reissue", HANAKO, {"old_card_uid": CARDS[HANAKO], "new_card_uid": "04A1B2C3D4E5F7"},
           expect=ok(member_id=HANAKO, balance=1200)),
        CardIs(CARDS[HANAKO], HANAKO, "blocked"),
        CardIs("04A1B2C3D4E5F7", HANAKO, "active"),
        Op("c2", "card_reissue", TARO, {"old_card_uid": CARDS[TARO], "new_card_uid": "04a1b2c3d4e5f7"},
           expect=refused("card_in_use")),
        Op("c3", "card_block", HANAKO, {"card_uid": "04A1B2C3D4E5F7", "reason": "紛失"}, expect=ok(balance=1200)),
        CardIs("04A1B2C3D4E5F7", HANAKO, "blocked"),
        Op("c4", "card_block", HANAKO, {"card_uid": "0400000000FFFF", "reason": "紛失"}, expect=refused("unknown_card")),
        Check(HANAKO, 1200),
    ],
    "the expiry job expires each lot once, on its own date": [
        Sale("s1", TARO, 1000),  # limited 20 through 1 April, normal 10 through 2 March 2027
        Advance(30),
        Expire(date(2026, 4, 1), members=0, points=0),
        Expire(date(2026, 4, 2), members=1, points=20),
        Expire(date(2026, 4, 2), members=0, points=0),
        Check(TARO, 10, lots=[("normal", 10, date(2027, 3, 2))]),
        Advance(340),
        Expire(date(2027, 3, 3), members=1, points=10),
        Expire(date(2027, 3, 3), members=0, points=0),
        Check(TARO, 0, lots=[]),
        Check(HANAKO, 1200),  # points without a date of their own are not touched
    ],
    "the ranks job changes a rank once per date, and the rank earns more": [
        Advance(1),
        Sale("s1", TARO, 10000),
        Advance(1),
        Ranks(date(2026, 3, 5), [(TARO, "regular", "silver")]),
        Ranks(date(2026, 3, 5), []),
        Sale("s2", TARO, 1000, expect=ok(points_earned=15)),  # 10 base, +5 for silver
        Check(TARO, 115, rank="silver"),
        Return("r1", "s1", 10000, expect=ok(points_reversed=100, balance=15)),
        Advance(1),
        Ranks(date(2026, 3, 6), [(TARO, "silver", "regular")]),
    ],
    "two stores redeem the same points offline: both kept, debt within the caps, then settled": [
        Advance(1),
        Sale("a1", KENTA, 1000, redeem=80, register="R01", send=False),
        Sale("b1", KENTA, 1000, redeem=80, register="R09", send=False),
        Push(("a1",), [ok(balance=9, debt=0)]),
        Push(("b1",), [ok(balance=-62, debt=62)]),  # 71 short (≤ the cap of 300), 9 earned back
        Sale("c1", KENTA, 2000, redeem=400, register="R02", expect=refused("offline_cap_exceeded")),
        Sale("d1", KENTA, 10000, expect=ok(points_earned=100, balance=38, debt=0)),
        Check(KENTA, 38),
    ],
    "a manager's adjustment at the register": [
        Op("a1", "adjust", HANAKO, {"points": 100, "reason": "お詫び"}, expect=ok(balance=1300)),
        Op("a2", "adjust", HANAKO, {"points": -1301, "reason": "訂正"}, expect=refused("insufficient_balance")),
        Op("a3", "adjust", HANAKO, {"points": -300, "reason": "訂正"}, staff=None, expect=refused("staff_required")),
        Op("a4", "adjust", HANAKO, {"points": -300, "reason": "誤付与"}, expect=ok(balance=1000)),
        Check(HANAKO, 1000, lots=[("normal", 1000, None)]),
    ],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_ledger_scenario(bench: Bench, engine: Engine, name: str) -> None:
    run(bench, SCENARIOS[name])
    assert_ledger_invariant(engine)


def test_the_invariant_check_catches_a_ledger_out_of_step(bench: Bench, engine: Engine) -> None:
    """The check the scenarios end with is not vacuous: one point moved by hand breaks it."""
    run(bench, SCENARIOS["redeem soonest expiry first, each use an allocation issuer → redeemer"])
    assert_ledger_invariant(engine)
    with Session(engine) as session, session.begin():
        lot = session.get(LotRow, bench.lot("s2#0"))
        assert lot is not None
        lot.remaining -= 1
    with pytest.raises(AssertionError):
        assert_ledger_invariant(engine)
    with Session(engine) as session, session.begin():
        session.get_one(LotRow, bench.lot("s2#0")).remaining += 1
