"""What each receipt layout says, read back from the bytes a printer gets.

Kanji text mode is decoded to lines (tests/support/escpos_decode.py); raster mode to its
image, whose QR code is decoded. The facts come from desktop/receipts/samples.py: a
sale quoted by the real drugstore program (campaigns, limited-time points, ranks).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import replace
from datetime import datetime

import pytest

from desktop.receipts import (
    AdjustFacts,
    ReturnFacts,
    build_adjust_receipt,
    build_reprint,
    build_return_receipt,
    build_sale_receipt,
    receipt_from_dict,
    receipt_to_dict,
)
from desktop.receipts import samples as s
from desktop.receipts.text import store_name_rows
from devices.escpos_out import COLUMNS_58MM, escpos_kanji, escpos_raster
from devices.receipt import Receipt
from devices.receipt_raster import WIDTH_58MM, WIDTH_80MM
from loyalty.program import parse_program
from loyalty.quote import quote_sale
from loyalty.ranks import RankStatus, Require, Shortfall
from resources import RESOURCES
from tests.support.escpos_decode import Decoded, Line, decode

TZ = s.TOKYO


def kanji(receipt: Receipt, columns: int = 42) -> Decoded:
    return decode(escpos_kanji(receipt, columns))


def row(decoded: Decoded, left: str, right: str = "") -> Line:
    """The printed row that reads `left` … `right` (indentation and padding ignored)."""
    for line in decoded.styled:
        text = line.text.strip("　 ")
        if text.startswith(left) and text.endswith(right) and (
                not right or text[len(left):-len(right)].strip() == ""):
            return line
    raise AssertionError(f"no row {left!r} … {right!r} in:\n{decoded.text}")


@pytest.fixture(scope="module")
def program():
    return s.drugstore()


@pytest.fixture(scope="module")
def sale(program) -> Receipt:
    return s.sample_receipts()["sale"]


def test_sale_header_identifies_store_time_register_staff_and_transaction(sale):
    d = kanji(sale)
    assert d.styled[0] == Line("たまるドラッグ", bold=True, large=True, centered=True)
    assert d.styled[1].text == "渋谷道玄坂店"
    row(d, "2026年11月22日 14:32")
    row(d, "レジ R02", "担当 佐藤")
    row(d, "取引番号", "R02-000123")


def test_sale_says_total_points_used_earned_and_where_they_came_from(sale):
    d = kanji(sale)
    assert row(d, "お買上げ金額", "￥3,760").bold
    row(d, "ポイント利用", "-100 pt")
    assert row(d, "今回獲得ポイント", "132 pt").bold
    row(d, "通常ポイント", "33 pt")
    row(d, "シルバーランク 1.2倍", "6 pt")
    row(d, "週末 化粧品ポイント3倍", "43 pt")
    row(d, "3,000円以上のお買い物で 50 pt", "50 pt")
    # Each limited-time campaign says when its points lapse, right under it.
    lines = [line.strip("　") for line in d.lines]
    assert lines[lines.index("週末 化粧品ポイント3倍" + " " * 13 + "43 pt") + 1] \
        == "期間限定 2026/12/31まで"
    at = next(i for i, line in enumerate(lines) if line.startswith("3,000円以上"))
    assert lines[at + 1] == "期間限定 2026/12/21まで"


def test_breakdown_adds_up_to_the_points_earned(program):
    facts = s.sale_facts(program)
    assert sum(b.points for b in facts.quote.breakdown) == facts.quote.points_earned == 132


def test_sale_shows_the_balance_after_and_its_buckets_by_expiry(sale):
    d = kanji(sale)
    balance = row(d, "ポイント残高", "1,532 pt")
    assert balance.bold and balance.large
    row(d, "期間限定 2026/11/30まで", "50 pt")  # 150 held, 100 used first: soonest expiry
    row(d, "期間限定 2026/12/21まで", "50 pt")
    row(d, "期間限定 2026/12/31まで", "43 pt")
    # Rolling expiry: this sale's earn moved every normal point to one year on.
    row(d, "通常 2027/11/21まで", "1,389 pt")
    assert 50 + 50 + 43 + 1389 == 1532
    assert row(d, "11月末までに失効予定", "50 pt").bold


def test_sale_shows_rank_and_what_the_next_rank_needs(sale):
    d = kanji(sale)
    row(d, "会員ランク", "シルバー")
    row(d, "次の「ゴールド」ランクまで")
    row(d, "あと 28,000 円のお買い物")
    row(d, "あと 6 回のご来店")


def test_sale_ends_with_the_receipt_qr_the_program_footer_and_the_stores_line(sale):
    d = kanji(sale)
    assert d.qr_payloads == ["TR:R02-000123"]
    assert d.styled[-2:] == [Line("5のつく日はポイント5倍！", centered=True),
                             Line("このレシートは返品時に必要です", centered=True)]
    assert d.cuts == 1


@pytest.mark.parametrize("layout", s.LAYOUTS)
def test_no_receipt_carries_what_the_member_does_not_need(layout):
    receipt = s.sample_receipts()[layout]
    d = kanji(receipt)
    text = d.text
    assert "…0017" in text
    for personal in (s.MEMBER_NO, "290000000", "山田", "花子", "ヤマダ", "090", "5678",
                     "****", "M1", "00000000-0000"):
        assert personal not in text, f"{personal!r} printed on the {layout} receipt"
    assert all(s.MEMBER_NO not in payload for payload in d.qr_payloads)


def test_offline_sale_is_marked_provisional_and_online_is_not(sale):
    offline = kanji(s.sample_receipts()["sale-offline"])
    assert row(offline, "＊ HQ 確定前 ＊") == Line("＊ HQ 確定前 ＊", bold=True, large=True,
                                                   centered=True)
    row(offline, "ポイントは仮の値です。")
    row(offline, "HQ との通信が戻りしだい確定します。")
    row(offline, "ポイント残高", "1,545 pt")
    assert "確定前" not in kanji(sale).text


def test_base_only_sale_has_no_breakdown_buckets_or_rank():
    demo = parse_program((RESOURCES / "programs" / "demo.toml").read_text(encoding="utf-8"))
    who = replace(s.member(500), lots=(), rank="")
    q = quote_sale(demo, 1234, redeem_points=100, balance=who.balance)
    facts = replace(s.sale_facts(demo), member=who, quote=q, balance_after=411)
    d = kanji(build_sale_receipt(facts, store_name="たまる商店 渋谷店", footer="", tz=TZ,
                                 program=demo))
    assert d.styled[0].text == "たまる商店 渋谷店"  # fits one large row: not split
    row(d, "今回獲得ポイント", "11 pt")
    row(d, "ポイント残高", "411 pt")
    for absent in ("通常ポイント", "有効期限", "失効", "会員ランク", "担当"):
        assert absent not in d.text


def test_rank_from_the_program_when_no_progress_is_known(program):
    facts = s.sale_facts(program)
    d = kanji(build_sale_receipt(facts, store_name="店", footer="", tz=TZ, program=program))
    row(d, "会員ランク", "シルバー")
    assert "ランクまで" not in d.text
    no_program = kanji(build_sale_receipt(facts, store_name="店", footer="", tz=TZ))
    assert "会員ランク" not in no_program.text


def test_rank_progress_with_either_criterion_and_at_the_top(program):
    silver, gold = program.ranking.find("silver"), program.ranking.find("gold")
    either = RankStatus(silver, 90_000, 20, 1, replace(gold, require=Require.ANY),
                        (Shortfall("spend", 10_000), Shortfall("visits", 4)))
    d = kanji(build_sale_receipt(s.sale_facts(program), store_name="店", footer="", tz=TZ,
                                 rank_status=either))
    row(d, "あと 10,000 円のお買い物")
    row(d, "または あと 4 回のご来店")
    top = RankStatus(gold, 150_000, 30, 3, None, ())
    d = kanji(build_sale_receipt(s.sale_facts(program), store_name="店", footer="", tz=TZ,
                                 rank_status=top))
    row(d, "会員ランク", "ゴールド")
    assert "ランクまで" not in d.text


def test_partial_return_says_which_sale_what_came_back_and_the_points(program):
    d = kanji(s.sample_receipts()["return"])
    assert row(d, "返品（一部）").large
    row(d, "取引番号", "R02-000140")
    row(d, "元の取引番号", "R02-000123")
    row(d, "元のお買上げ日", "2026年11月22日")
    assert row(d, "返品金額", "-￥2,480").bold
    row(d, "獲得ポイントの取消", "-85 pt")
    row(d, "利用ポイントの返却", "+60 pt")
    row(d, "元の有効期限のままお戻しします")
    row(d, "ポイント残高", "1,520 pt")
    assert d.qr_payloads == ["TR:R02-000140"]
    assert "不足" not in d.text


def test_full_return_after_the_points_were_spent_shows_the_debt():
    facts = ReturnFacts(op_id="x", device_id="R01", receipt_no="R01-000009",
                        local_time=datetime(2026, 11, 25, 11, 0, tzinfo=TZ), member=s.member(0),
                        original_receipt_no="R01-000003", returned_yen=5000, sale_yen=5000,
                        points_reversed=50, points_restored=0, balance_after=-40,
                        debt_after=40)
    d = kanji(build_return_receipt(facts, store_name="店", footer="", tz=TZ, offline=True))
    assert row(d, "返品").large and "一部" not in d.text
    row(d, "＊ HQ 確定前 ＊")
    row(d, "返品金額", "-￥5,000")
    row(d, "獲得ポイントの取消", "-50 pt")
    assert "利用ポイントの返却" not in d.text
    row(d, "ポイント残高", "-40 pt")
    assert row(d, "ポイント不足分", "-40 pt").bold
    row(d, "今後獲得されるポイントから差し引きます")


def test_adjustment_says_signed_points_reason_manager_and_balance():
    d = kanji(s.sample_receipts()["adjust"])
    assert row(d, "ポイント調整").large
    assert row(d, "調整ポイント", "+200 pt").bold
    row(d, "有効期限 2027/11/24まで")
    assert "11月15日の5倍デー分が付与されていなかったため" in "".join(d.lines)
    row(d, "承認者", "店長 鈴木")
    row(d, "ポイント残高", "1,720 pt")


def test_adjustment_taking_points_shows_the_minus_and_zero_is_refused():
    facts = AdjustFacts(op_id="x", device_id="R01", receipt_no="R01-000010",
                        local_time=datetime(2026, 11, 25, 11, 0, tzinfo=TZ), member=s.member(),
                        points=-300, reason="誤付与の取消", approved_by="店長 鈴木",
                        balance_after=1200)
    d = kanji(build_adjust_receipt(facts, store_name="店", footer="", tz=TZ))
    row(d, "調整ポイント", "-300 pt")
    row(d, "理由：誤付与の取消")
    assert "有効期限" not in d.text
    with pytest.raises(ValueError):
        build_adjust_receipt(replace(facts, points=0), store_name="店", footer="", tz=TZ)


def test_reprint_restates_the_stored_receipt_under_a_prominent_mark(sale):
    stored = json.loads(json.dumps(receipt_to_dict(sale)))  # as the store keeps it
    reprint = build_reprint(stored, reprinted_at=datetime(2026, 11, 23, 10, 32, tzinfo=TZ),
                            tz=TZ)
    d = kanji(reprint)
    assert d.styled[0] == Line("＊＊ 再発行 ＊＊", bold=True, large=True, centered=True)
    assert d.styled[1] == Line("再発行 2026年11月23日 10:32", centered=True)
    assert d.styled[-1] == Line("＊＊ 再発行 ＊＊", bold=True, centered=True)
    original = kanji(sale).lines
    assert d.lines[3:3 + len(original) - 2] == original[:-2]  # the original, as issued
    row(d, "ポイント残高", "1,532 pt")
    assert d.qr_payloads == ["TR:R02-000123"]
    assert (reprint.kind, reprint.receipt_no) == ("reprint", "R02-000123")


def test_reprint_of_a_receipt_stored_by_an_earlier_version():
    old = {"header": [{"left": "たまる商店", "right": "", "bold": True, "size": "large",
                       "align": "center"}],
           "body": [{"left": "ポイント残高", "right": "411 pt", "bold": True,
                     "size": "large", "align": "left"}],
           "qr_payload": "TR:R01-000001", "footer": []}
    reprint = build_reprint(old, reprinted_at=datetime(2026, 11, 23, 9, 0, tzinfo=TZ), tz=TZ)
    assert reprint.receipt_no == "R01-000001"
    row(kanji(reprint), "ポイント残高", "411 pt")


def test_stored_dicts_from_newer_versions_still_load_and_empty_ones_do_not(sale):
    stored = receipt_to_dict(sale)
    stored["printed_by"] = "a newer register"
    stored["body"][0]["underline"] = True
    assert receipt_from_dict(stored).body[1:] == sale.body[1:]
    with pytest.raises(ValueError):
        receipt_from_dict({"no": "R01-000001"})


@pytest.mark.parametrize("layout", s.LAYOUTS)
@pytest.mark.parametrize("width", [WIDTH_80MM, WIDTH_58MM])
def test_raster_mode_carries_the_receipt_qr(layout, width):
    receipt = s.sample_receipts()[layout]
    d = decode(escpos_raster(receipt, width))
    assert len(d.images) == 1 and d.images[0].width == width
    assert d.qr_payloads == [f"TR:{receipt.receipt_no}"]


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" and not ch.isascii() else 1
               for ch in text)


@pytest.mark.parametrize("layout", s.LAYOUTS)
def test_58mm_kanji_rows_fit_the_paper_and_keep_every_value(layout):
    receipt = s.sample_receipts()[layout]
    narrow = kanji(receipt, COLUMNS_58MM)
    for line in narrow.styled:
        limit = COLUMNS_58MM // 2 if line.large else COLUMNS_58MM
        assert _columns(line.text) <= limit, f"{line.text!r} overflows 58 mm paper"
    wide_values = [line.right for line in receipt.lines() if line.right]
    joined = "\n".join(narrow.lines)
    for value in wide_values:
        assert value in joined, f"{value!r} lost on 58 mm paper"


def test_store_names_split_into_chain_and_branch_only_when_too_long():
    assert store_name_rows("たまる商店 渋谷店") == ["たまる商店 渋谷店"]
    assert store_name_rows("たまるドラッグ　渋谷道玄坂店") == ["たまるドラッグ", "渋谷道玄坂店"]
    assert store_name_rows("  ") == []
