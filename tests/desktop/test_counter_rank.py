"""The rank progress printed on sale receipts: HQ's rank, and what the next rank needs from
HQ's figures and what this register sold since, or, from an HQ without figures, as far as
this register's own record and the sale being recorded tell."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from desktop.flows.counter_rank import local_purchases, rank_after_sale
from desktop.receipts.samples import drugstore, member
from loyalty.quote import quote_sale
from loyalty.ranks import Purchase, Shortfall
from sync.protocol import OpResult
from sync.store import RankFigures
from tests.desktop.counter_support import TOKYO
from tests.support.seed import NOW, seeded_store

AT = datetime(2026, 11, 22, 14, 32, tzinfo=TOKYO)


def known(*purchases: Purchase):
    def look(member_id: str, since: datetime, *, after_seq: int | None = None) -> list[Purchase]:
        assert member_id == "M1"
        assert since == AT - timedelta(days=365)  # the program's window
        assert after_seq is None  # no figures from HQ: the whole record
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

    def broken(_member_id: str, _since: datetime, *, after_seq: int | None = None) -> list[Purchase]:
        raise OSError("disk gone")

    assert rank_after_sale(None, member(), amount_yen=1, at=AT, tz=TOKYO,
                           purchases=known()) is None
    for source in (None, broken):
        status = rank_after_sale(program, member(), amount_yen=1, at=AT, tz=TOKYO,
                                 purchases=source)
        assert status is not None and status.rank.code == "silver" and status.to_next == ()


# -- from HQ's figures -------------------------------------------------------------------

FIGURES = RankFigures(as_of=AT - timedelta(days=2), spend_yen=60_000, visits=20,
                      last_visit_on=date(2026, 11, 20), member_since=date(2019, 6, 1), seq=41)


def since_hq(*purchases: Purchase, seq: int = 41):
    """This register's purchases HQ's figures do not hold: asked for after their seq."""
    def look(member_id: str, since: datetime, *, after_seq: int | None = None) -> list[Purchase]:
        assert (member_id, since, after_seq) == ("M1", AT - timedelta(days=365), seq)
        return list(purchases)

    return look


def test_hqs_figures_count_with_what_this_register_sold_since_and_this_sale() -> None:
    silver = replace(member(), rank_figures=FIGURES)
    yesterday = AT - timedelta(days=1)
    status = rank_after_sale(drugstore(), silver, amount_yen=3000, at=AT, tz=TOKYO,
                             purchases=since_hq(Purchase(yesterday, 5000),
                                                Purchase(yesterday + timedelta(hours=1), -1000)))
    assert status is not None and status.rank.code == "silver"
    # Gold needs ¥100,000 and 24 visits: 60,000 + 4,000 + 3,000; 20 + yesterday + today.
    assert (status.spend_yen, status.visits, status.years) == (67_000, 22, 7)
    assert status.to_next == (Shortfall("spend", 33_000), Shortfall("visits", 2))


def test_a_day_hq_counted_already_is_not_a_new_visit() -> None:
    counted_today = replace(FIGURES, last_visit_on=AT.date())
    status = rank_after_sale(drugstore(), replace(member(), rank_figures=counted_today),
                             amount_yen=3000, at=AT, tz=TOKYO, purchases=since_hq())
    assert status is not None and status.visits == 20


def test_figures_older_than_the_whole_window_count_for_nothing() -> None:
    old = replace(FIGURES, as_of=AT - timedelta(days=400))
    status = rank_after_sale(drugstore(), replace(member(), rank_figures=old),
                             amount_yen=3000, at=AT, tz=TOKYO, purchases=since_hq())
    assert status is not None and (status.spend_yen, status.visits) == (3000, 1)
    assert status.to_next == (Shortfall("spend", 97_000), Shortfall("visits", 23))


def test_figures_that_meet_the_next_rank_already_need_nothing_more() -> None:
    rich = replace(FIGURES, spend_yen=120_000, visits=30)
    status = rank_after_sale(drugstore(), replace(member(), rank_figures=rich),
                             amount_yen=3000, at=AT, tz=TOKYO, purchases=since_hq())
    # HQ promotes at its next evaluation; until then the receipt names silver only.
    assert status is not None and status.rank.code == "silver" and status.to_next == ()


def test_the_register_adds_its_later_or_unanswered_sales_never_refused_ones(tmp_path) -> None:
    store = seeded_store(tmp_path / "register.db")
    try:
        def sell(amount: int) -> str:
            q = quote_sale(store.program(), amount)
            return store.record_sale("M1", q, staff_id=None, local_time=NOW,
                                     build_receipt=lambda f: {}).facts.op_id

        applied, refused, _queued, later = sell(1000), sell(2000), sell(3000), sell(4000)
        store.record_push_results([
            OpResult(op_id=applied, status="applied", balance=510),
            OpResult(op_id=refused, status="rejected", reason="invalid_basket"),
            OpResult(op_id=later, status="applied", balance=550)])
        look = local_purchases(store)
        since = NOW - timedelta(days=1)
        assert sorted(p.amount_yen for p in look("M1", since)) == [1000, 3000, 4000]
        # After the figures' seq, and unanswered whatever its seq (an op queued again after
        # a re-registration): neither is in HQ's figures.
        assert sorted(p.amount_yen for p in look("M1", since, after_seq=3)) == [3000, 4000]
        assert look("M1", NOW + timedelta(seconds=1)) == []
    finally:
        store.close()
