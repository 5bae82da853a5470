"""The rank progress printed on sale receipts: HQ's rank, and what the next rank needs as
far as this register's own record and the sale being recorded tell."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from desktop.flows.counter_rank import rank_after_sale
from desktop.receipts.samples import drugstore, member
from loyalty.ranks import Purchase, Shortfall
from tests.desktop.counter_support import TOKYO

AT = datetime(2026, 11, 22, 14, 32, tzinfo=TOKYO)


def known(*purchases: Purchase):
    def look(member_id: str, since: datetime) -> list[Purchase]:
        assert member_id == "M1"
        assert since == AT - timedelta(days=365)  # the program's window
        return list(purchases)

    return look


def test_the_next_rank_needs_what_the_record_and_this_sale_do_not_reach() -> None:
    program = drugstore()
    silver = member()  # HQ says silver; gold needs 100,000 yen and 24 visits, both
    past = [Purchase(AT - timedelta(days=d), 2000) for d in range(1, 16)]  # 30,000 yen
    status = rank_after_sale(program, silver, amount_yen=3000, at=AT, tz=TOKYO,
                             purchases=known(*past))
    assert status is not None and status.rank.code == "silver"
    assert status.next_rank is not None and status.next_rank.code == "gold"
    assert status.to_next == (Shortfall("spend", 67_000), Shortfall("visits", 8))


def test_a_record_short_of_hqs_rank_prints_the_rank_name_only() -> None:
    # Nothing recorded here reaches silver: the member shops elsewhere too.
    status = rank_after_sale(drugstore(), member(), amount_yen=3000, at=AT, tz=TOKYO,
                             purchases=known(Purchase(AT - timedelta(days=3), 1000)))
    assert status is not None and status.rank.code == "silver" and status.to_next == ()


def test_returns_count_against_the_spend_and_old_sales_fall_out_of_the_window() -> None:
    program = drugstore()
    regular = replace(member(), rank="regular")
    status = rank_after_sale(program, regular, amount_yen=5000, at=AT, tz=TOKYO,
                             purchases=known(Purchase(AT - timedelta(days=2), 8000),
                                             Purchase(AT - timedelta(days=1), -3000)))
    assert status is not None and status.rank.code == "regular"
    assert status.to_next == (Shortfall("spend", 20_000),)


def test_no_ranks_no_record_or_a_failing_record_never_fail_the_receipt() -> None:
    program = drugstore()

    def broken(_member_id: str, _since: datetime) -> list[Purchase]:
        raise OSError("disk gone")

    assert rank_after_sale(None, member(), amount_yen=1, at=AT, tz=TOKYO,
                           purchases=known()) is None
    for source in (None, broken):
        status = rank_after_sale(program, member(), amount_yen=1, at=AT, tz=TOKYO,
                                 purchases=source)
        assert status is not None and status.rank.code == "silver" and status.to_next == ()
