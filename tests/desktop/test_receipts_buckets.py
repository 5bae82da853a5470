"""The balance buckets a sale receipt prints: the sale played forward over HQ's lot summary
the way the ledger will play it, or nothing when that cannot be known exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from desktop.receipts import build_sale_receipt, holdings_after_sale
from desktop.receipts import samples as s
from desktop.receipts.buckets import Bucket, month_end
from devices.escpos_out import escpos_kanji
from loyalty.program import parse_program
from loyalty.quote import Grant, Quote, quote_sale
from sync.store_views import LotView
from tests.support.escpos_decode import decode

TZ = s.TOKYO
AT = datetime(2026, 11, 22, 14, 0, tzinfo=TZ)
NOV_END = datetime(2026, 12, 1, tzinfo=TZ)
DEC_END = datetime(2027, 1, 1, tzinfo=TZ)
NEXT_YEAR = datetime(2027, 11, 1, tzinfo=TZ)


def q(earned: tuple[Grant, ...] = (), redeem: int = 0, rolling: datetime | None = None) -> Quote:
    total = sum(g.points for g in earned)
    return Quote(amount_yen=1000, redeem_points=redeem, earn_base_yen=1000,
                 points_earned=total, program_version=1, grants=earned,
                 rolling_expires_at=rolling)


def who(*lots: LotView, debt: int = 0, pending: int = 0):
    held = sum(lot.points for lot in lots) - debt
    return replace(s.member(), lots=lots, hq_balance=held - pending, pending_delta=pending,
                   debt=debt)


def after(member, quote, **kw):
    return holdings_after_sale(member, quote, at=AT,
                               balance_after=member.balance + quote.net_change, **kw)


def test_redemption_uses_soonest_expiry_first_limited_before_normal_on_the_same_day():
    m = who(LotView("normal", 100, NOV_END), LotView("limited", 30, NOV_END),
            LotView("normal", 500, NEXT_YEAR), LotView("normal", 40, None))
    held = after(m, q(redeem=50))
    assert held is not None and held.debt == 0
    assert held.buckets == (Bucket("normal", 80, NOV_END), Bucket("normal", 500, NEXT_YEAR),
                            Bucket("normal", 40, None))
    assert held.expiring_by(month_end(AT, TZ)) == 80


def test_new_grants_join_their_buckets_and_limited_ones_keep_their_own_expiry():
    m = who(LotView("limited", 30, DEC_END), LotView("normal", 500, NEXT_YEAR))
    grants = (Grant("normal", 12, NEXT_YEAR, "sale"), Grant("limited", 20, DEC_END, "day-5"))
    held = after(m, q(grants))
    assert held is not None
    assert held.buckets == (Bucket("limited", 50, DEC_END), Bucket("normal", 512, NEXT_YEAR))


def test_rolling_expiry_moves_every_normal_point_to_one_date_but_not_limited_ones():
    later = datetime(2027, 11, 23, tzinfo=TZ)
    m = who(LotView("limited", 30, DEC_END), LotView("normal", 500, NEXT_YEAR))
    held = after(m, q((Grant("normal", 12, None, "sale"),), rolling=later))
    assert held is not None
    assert held.buckets == (Bucket("limited", 30, DEC_END), Bucket("normal", 512, later))


def test_debt_is_paid_from_the_new_points_first():
    m = who(debt=30)
    held = after(m, q((Grant("normal", 50, NEXT_YEAR, "sale"),)))
    assert held is not None
    assert (held.buckets, held.debt) == ((Bucket("normal", 20, NEXT_YEAR),), 0)
    small = after(m, q((Grant("normal", 10, NEXT_YEAR, "sale"),)))
    assert small is not None and (small.buckets, small.debt) == ((), 20)


def test_unknown_when_ops_are_unanswered_or_the_summary_does_not_add_up():
    pending = who(LotView("normal", 500, NEXT_YEAR), pending=-100)
    assert after(pending, q(redeem=10)) is None
    # A lot past its expiry that HQ has not expired yet is in the balance, not spendable.
    stale = who(LotView("limited", 30, datetime(2026, 11, 1, tzinfo=TZ)),
                LotView("normal", 500, NEXT_YEAR))
    assert after(stale, q(redeem=10)) is None


def test_month_end_is_the_next_months_first_midnight():
    assert month_end(AT, TZ) == NOV_END
    assert month_end(datetime(2026, 12, 31, 23, 59, tzinfo=TZ), TZ) == DEC_END


def test_fixed_term_program_dates_the_new_points_when_the_quote_did_not():
    program = parse_program("""
[program]
version = 1
name = "固定期限"
company_id = "C1"
[earn]
points = 1
per_yen = 100
[redeem]
unit = 1
minimum = 1
[expiry]
policy = "fixed"
months = 24
end_of_month = true
""")
    m = who(LotView("normal", 500, DEC_END))
    quote = quote_sale(program, 3000, balance=m.balance)  # no time: grants are undated
    assert quote.grants[0].expires_at is None
    facts = replace(s.sale_facts(program), member=m, quote=quote, balance_after=530)
    d = decode(escpos_kanji(build_sale_receipt(facts, store_name="店", footer="", tz=TZ,
                                               program=program)))
    lines = [line.strip("　") for line in d.lines]
    assert any(line.startswith("通常 2026/12/31まで") and line.endswith("500 pt")
               for line in lines)
    # 24 months on from November 2026, to the month end.
    assert any(line.startswith("通常 2028/11/30まで") and line.endswith("30 pt")
               for line in lines)
    assert not any("失効予定" in line for line in lines)
