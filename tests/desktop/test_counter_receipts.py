"""What the counter's receipts say, read back from the printer's bytes: a sale confirmed
on the counter flow goes through the print queue to a kanji-mode printer (a capture
file), and the ESC/POS decoder reads what the member is handed. Offline sales carry the
provisional mark; every receipt names the staff signed in and the program's rank, footer
and campaign names."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from desktop.printing import PrintQueue
from desktop.receipts import PROVISIONAL_MARK, REPRINT_MARK
from devices.printers import FilePrinter
from resources import RESOURCES
from sync.protocol import Change, MemberState, ProgramDoc, PullResponse, RankProgress
from tests.desktop.counter_support import (
    HANAKO_CARD,
    JIRO_CARD,
    NOW,
    TOKYO,
    FakeHolds,
    members,
)
from tests.desktop.test_counter import make_flow
from tests.support.escpos_decode import Decoded, decode


class Till:
    """The counter flow, and its receipts printed as the register does after a sale."""

    def __init__(self, tmp_path: Path, *, online: bool | None, holds: FakeHolds) -> None:
        self.online = online
        self.flow, self.rec, self.store, self.worker = make_flow(
            tmp_path, holds=holds, online=lambda: self.online)
        self.paper = tmp_path / "printer.bin"
        self.prints = PrintQueue(FilePrinter(str(self.paper), mode="kanji"), self.store,
                                 self.worker, self.flow.events, tz=TOKYO)
        # As desktop.app.Register does: the receipt prints after the commit.
        self.flow.events.subscribe("sale_recorded", lambda sale: self.prints.print_receipt(
            sale.facts.op_id, sale.facts.receipt_no))
        self.printed: list[str] = []
        self.flow.events.subscribe("receipt_printed", self.printed.append)

    def sell(self, amount: str, redeem: str = "", card: str = HANAKO_CARD) -> str:
        mark = self.rec.mark()
        self.flow.card_presented(card)
        self.rec.wait("member_shown", after=mark)
        self.flow.confirm(amount, redeem)
        (sale,) = self.rec.wait("sale_recorded", after=mark)
        return sale.facts.op_id

    def receipt(self, count: int = 1) -> Decoded:
        deadline = time.monotonic() + 10
        while len(self.printed) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.printed) >= count, "the receipt did not print"
        jobs = self.paper.read_bytes()
        return decode(jobs)

    def close(self) -> None:
        self.prints.stop()
        self.flow.close()
        self.worker.shutdown()
        self.store.close()


@pytest.fixture
def till(tmp_path):
    made: list[Till] = []

    def make(*, online: bool | None = True, holds: FakeHolds | None = None) -> Till:
        t = Till(tmp_path / f"till{len(made)}", online=online, holds=holds or FakeHolds())
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def test_online_sale_names_staff_rank_campaigns_and_footer_without_provisional_mark(till):
    t = till(online=True)
    t.sell("2000")
    paper = t.receipt()
    text = paper.text
    assert "担当 レジ 田村" in text
    assert "会員ランク" in text and "常連" in text  # the program names the member's rank
    assert "火曜市 ポイント2倍" in text  # a Tuesday: the campaign is named
    assert "火曜市はポイント2倍" in text  # the program's footer
    assert PROVISIONAL_MARK not in text and "仮の値" not in text
    assert paper.qr_payloads == ["TR:R01-000001"]


def test_offline_sale_is_marked_provisional_with_the_staff_name(till):
    t = till(online=False)
    t.sell("1000", "100")
    text = t.receipt().text
    assert PROVISIONAL_MARK in text
    assert "ポイントは仮の値です。" in text and "HQ との通信が戻りしだい確定します。" in text
    assert "担当 レジ 田村" in text
    assert "ポイント利用" in text and "-100 pt" in text


def test_hold_timeout_falls_back_offline_and_the_receipt_says_provisional(till):
    holds = FakeHolds()
    holds.mode = "timeout"
    t = till(online=True, holds=holds)
    t.sell("1000", "100")
    text = t.receipt().text
    assert PROVISIONAL_MARK in text
    assert holds.created and holds.voided  # the hold asked for was let go


def test_reprint_of_the_last_receipt_is_a_marked_copy(till):
    t = till(online=True)
    t.sell("500")
    first = t.receipt()
    assert REPRINT_MARK not in first.text
    assert t.prints.status().last_receipt == "R01-000001"
    assert t.prints.reprint_last()
    both = t.receipt(count=2)
    assert both.cuts == 2
    copy = both.text[len(first.text):]
    assert REPRINT_MARK in copy and "担当 レジ 田村" in copy
    assert t.store.print_state(t.flow.last_sale.facts.op_id)[0] == "printed"
    assert "2026年11月10日 10:30" in copy  # the sale's time, as issued


def test_the_receipt_says_what_the_next_rank_needs_counting_this_sale(till):
    t = till(online=True)
    t.sell("2000", card=JIRO_CARD)  # 鈴木 次郎: HQ gives him the first rank, 会員
    first = t.receipt().text
    assert "会員ランク 会員" in " ".join(first.split())
    assert "次の「常連」ランクまで" in first
    # 常連 needs 30,000 yen or 12 visits in 90 days ("any"): either is said, this sale counted.
    assert "あと 28,000 円のお買い物" in first and "または あと 11 回のご来店" in first
    t.sell("3000", card=JIRO_CARD)  # the same day: more spend, not another visit
    second = t.receipt(count=2).text[len(first):]
    assert "あと 25,000 円のお買い物" in second and "または あと 11 回のご来店" in second


def test_a_member_at_the_top_rank_gets_its_name_and_no_next_rank(till):
    t = till(online=True)
    t.sell("2000")  # 山田 花子 is 常連, the program's highest rank
    text = t.receipt().text
    assert "常連" in text and "次の「" not in text and "あと " not in text


# -- what the next rank needs, from HQ's figures -----------------------------------------


def hq_sends(t: Till, member: MemberState, progress: RankProgress,
             program: str | None = None) -> None:
    """A pull page with the member as an HQ that sends rank figures does (and a program)."""
    changes = [Change(server_seq=31, kind="member",
                      member=member.model_copy(update={"rank_progress": progress}))]
    if program is not None:
        changes.insert(0, Change(server_seq=30, kind="program",
                                 program=ProgramDoc(version=2, toml=program)))
    t.store.apply_pull(PullResponse(cursor=31, has_more=False, changes=changes))


def test_a_member_who_shops_elsewhere_is_told_the_shortfall_hq_counts(till):
    t = till(online=True)
    # 鈴木 次郎 shops at other stores too: HQ counted ¥20,000 and 8 visits in the last 90
    # days, yesterday being the last; this register has none of it.
    jiro = members()[2]
    hq_sends(t, jiro, RankProgress(as_of=NOW - timedelta(hours=20), spend_yen=20_000, visits=8,
                                   last_visit_on=date(2026, 11, 9), member_since=date(2024, 5, 1)))
    t.sell("2000", card=JIRO_CARD)
    first = t.receipt().text
    assert "会員ランク 会員" in " ".join(first.split())
    assert "次の「常連」ランクまで" in first
    # ¥30,000 or 12 visits: HQ's figures, today's visit and this sale counted.
    assert "あと 8,000 円のお買い物" in first and "または あと 3 回のご来店" in first
    # Again the same day: the first sale (not yet in HQ's figures) counts, today once.
    t.sell("3000", card=JIRO_CARD)
    second = t.receipt(count=2).text[len(first):]
    assert "あと 5,000 円のお買い物" in second and "または あと 3 回のご来店" in second


def test_a_next_rank_that_needs_years_of_membership_says_how_many_are_missing(till):
    t = till(online=True)
    toml = (RESOURCES / "programs" / "supermarket.toml").read_text(encoding="utf-8")
    with_gold = toml.replace("version = 1", "version = 2") + (
        '\n[[ranks]]\ncode = "gold"\nname = "ゴールド"\nmultiplier = "1.5"\n'
        "min_spend_yen = 40000\nmin_years = 3\n")
    # 山田 花子 (常連) enrolled in February last year: one full year on 10 November 2026.
    hq_sends(t, members()[0], RankProgress(as_of=NOW - timedelta(days=2), spend_yen=35_000,
                                           visits=15, last_visit_on=date(2026, 11, 8),
                                           member_since=date(2025, 2, 1)), program=with_gold)
    t.sell("2000")
    text = t.receipt().text
    assert "次の「ゴールド」ランクまで" in text
    assert "あと 3,000 円のお買い物" in text and "あと 2 年のご継続" in text
    assert "または" not in text  # gold needs both
