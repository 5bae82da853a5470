"""The store's receipt options: lines under the store name, a footer line, the store copy
(お店控え), on every layout, read back from what a printer gets in kanji mode (its rows)
and in raster mode (its image and QR code); the settings that hold them, yes/no ones
included, and every refusal of a bad line in Japanese."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from desktop.flows.enrol import build_enrol_receipt
from desktop.receipts import (
    STORE_COPY_MARK,
    ReceiptOptions,
    build_reprint,
    build_store_copy,
    receipt_from_dict,
    receipt_options,
    receipt_to_dict,
    with_store_lines,
)
from desktop.receipts import samples as s
from desktop.receipts.options import (
    CORRECTION_KINDS,
    SALE_KINDS,
    check_footer_line,
    check_header_lines,
    store_copy_kinds,
)
from desktop.settings import Settings, SettingsError
from devices.escpos_out import COLUMNS_58MM, escpos_kanji, escpos_raster
from devices.receipt import Receipt
from devices.receipt_raster import WIDTH_58MM, WIDTH_80MM, render_image
from sync.ops_core import OpFacts
from sync.protocol import EnrollPayload
from tests.support.escpos_decode import Decoded, Line, decode

ADDRESS, PHONE = s.STORE_OPTIONS.header_lines
FOOTER_LINE = s.STORE_OPTIONS.footer_line
STORED = s.stored_samples()


def kanji(receipt: Receipt, columns: int = 42) -> Decoded:
    return decode(escpos_kanji(receipt, columns))


def enrol_slip() -> Receipt:
    facts = OpFacts(op_id="00000000-0000-4000-8000-000000000150", kind="enroll",
                    device_id="R02", store_id="S001", device_seq=150, receipt_no="R02-000150",
                    local_time=s.SALE_AT, staff_id="S1", approved_by=None,
                    member=s.member(0, lots=()), points_delta=0,
                    payload=EnrollPayload(display_name="山田 花子", card_uid="04A1B2C3D4E5F6"))
    return receipt_from_dict(build_enrol_receipt(facts, store_name=s.STORE_NAME, tz=s.TOKYO,
                                                 staff_name=s.STAFF))


def every_stored_layout() -> dict[str, Receipt]:
    return {**STORED, "enroll": enrol_slip()}


# -- the store's lines, on every layout ---------------------------------------------------


@pytest.mark.parametrize("layout", sorted(every_stored_layout()))
def test_every_layout_prints_the_stores_lines_under_its_name_and_its_footer_line(layout):
    printed = with_store_lines(every_stored_layout()[layout], s.STORE_OPTIONS)
    d = kanji(printed)
    # たまるドラッグ / 渋谷道玄坂店 (large), then the address and phone, then the date.
    assert [line.text for line in d.styled[:2]] == ["たまるドラッグ", "渋谷道玄坂店"]
    assert d.styled[2:4] == [Line(ADDRESS, centered=True), Line(PHONE, centered=True)]
    assert d.styled[4].text.startswith("2026年11月")
    assert d.styled[-1] == Line(FOOTER_LINE, centered=True)
    # Everything the transaction said is still there, in the same order.
    plain = kanji(every_stored_layout()[layout]).lines
    assert [line for line in d.lines if line not in (ADDRESS, PHONE, FOOTER_LINE)] == plain


@pytest.mark.parametrize("layout", sorted(every_stored_layout()))
@pytest.mark.parametrize("width", [WIDTH_80MM, WIDTH_58MM])
def test_raster_mode_prints_the_same_receipt_with_the_stores_lines(layout, width):
    stored = every_stored_layout()[layout]
    printed = with_store_lines(stored, s.STORE_OPTIONS)
    d = decode(escpos_raster(printed, width))
    (image,) = d.images
    assert image.tobytes() == render_image(printed, width).convert("1").tobytes()
    # The lines take room: the image is taller than the stored receipt's by three rows.
    assert image.height > render_image(stored, width).height
    assert d.qr_payloads == ([f"TR:{stored.receipt_no}"] if stored.qr_payload else [])


def test_store_lines_as_long_as_allowed_print_on_one_row_of_58mm_paper_in_both_modes():
    widest = ReceiptOptions(header_lines=("東京都渋谷区道玄坂二丁目１０番", "営業時間 10:00～21:00 年中無休",
                                          "0" * 28),
                            footer_line="このレシートは返品時に必要です")
    for line in (*widest.header_lines, widest.footer_line):
        assert check_header_lines(line) == (line,)
    printed = with_store_lines(STORED["return"], widest)
    d = kanji(printed, COLUMNS_58MM)
    for line in (*widest.header_lines, widest.footer_line):
        assert line in d.lines  # one row each: nothing wrapped mid-word
    # In raster mode each takes one row too: one more line, one more row's height.
    one_more = with_store_lines(STORED["return"], replace(widest, footer_line=""))
    rows = render_image(printed, WIDTH_58MM).height - render_image(one_more, WIDTH_58MM).height
    lone = with_store_lines(STORED["return"], ReceiptOptions(header_lines=widest.header_lines,
                                                             footer_line="あ"))
    assert rows == render_image(lone, WIDTH_58MM).height - render_image(one_more,
                                                                        WIDTH_58MM).height


def test_without_options_a_receipt_prints_as_stored():
    assert with_store_lines(STORED["sale"], ReceiptOptions()) is STORED["sale"]
    # A store name left empty (no large rows): the lines head the receipt.
    adjust = STORED["adjust"]
    nameless = replace(adjust, header=tuple(line for line in adjust.header
                                            if line.size != "large"))
    d = kanji(with_store_lines(nameless, ReceiptOptions(header_lines=(PHONE,))))
    assert d.styled[0] == Line(PHONE, centered=True)
    assert d.styled[1].text.startswith("2026年11月")


def test_a_reprint_carries_the_stores_lines_inside_its_marks():
    reprint = build_reprint(receipt_to_dict(STORED["sale"]), tz=s.TOKYO,
                            reprinted_at=s.SALE_AT + timedelta(days=1), options=s.STORE_OPTIONS)
    d = kanji(reprint)
    assert d.styled[0] == Line("＊＊ 再発行 ＊＊", bold=True, large=True, centered=True)
    names = [i for i, line in enumerate(d.styled) if line.text == "渋谷道玄坂店"]
    assert [line.text for line in d.styled[names[0] + 1:names[0] + 3]] == [ADDRESS, PHONE]
    assert [line.text for line in d.styled[-3:]] == [FOOTER_LINE, "内容はお取引時点のものです",
                                                     "＊＊ 再発行 ＊＊"]
    assert d.qr_payloads == ["TR:R02-000123"]


# -- the store copy (お店控え) ---------------------------------------------------------------


@pytest.mark.parametrize("layout", ["return", "adjust", "sale"])
def test_the_store_copy_is_the_receipt_marked_at_both_ends(layout):
    stored = STORED[layout]
    copy = build_store_copy(receipt_to_dict(stored), options=s.STORE_OPTIONS)
    d = kanji(copy)
    assert d.styled[0] == Line(STORE_COPY_MARK, bold=True, large=True, centered=True)
    assert d.styled[-1] == Line(STORE_COPY_MARK, bold=True, centered=True)
    member = kanji(with_store_lines(stored, s.STORE_OPTIONS)).lines
    assert d.lines[1:-1] == ["", *member]  # the member's receipt, whole, between the marks
    assert d.qr_payloads == [f"TR:{stored.receipt_no}"]
    assert copy.receipt_no == stored.receipt_no
    narrow = kanji(copy, COLUMNS_58MM)  # the mark is one large row on 58 mm paper too
    assert narrow.styled[0] == Line(STORE_COPY_MARK, bold=True, large=True, centered=True)
    raster = decode(escpos_raster(copy, WIDTH_58MM))
    assert raster.images[0].tobytes() == render_image(copy, WIDTH_58MM).convert("1").tobytes()
    assert raster.qr_payloads == [f"TR:{stored.receipt_no}"]


def test_which_receipts_get_a_store_copy():
    assert store_copy_kinds(False, False) == frozenset()
    assert store_copy_kinds(True, False) == CORRECTION_KINDS == {"return", "adjust"}
    assert store_copy_kinds(True, True) == {"return", "adjust", "sale"}
    assert store_copy_kinds(False, True) == SALE_KINDS
    options = ReceiptOptions(store_copy_kinds=CORRECTION_KINDS)
    assert options.wants_store_copy("return") and options.wants_store_copy("adjust")
    assert not options.wants_store_copy("sale") and not options.wants_store_copy("enroll")


# -- checking the lines ---------------------------------------------------------------------


def test_header_lines_are_trimmed_and_blank_ones_dropped():
    assert check_header_lines(f"  {ADDRESS}\n\n\t{PHONE}  \r\n") == (ADDRESS, PHONE)
    assert check_header_lines("") == ()
    assert check_footer_line("  ありがとうございました \n") == "ありがとうございました"


@pytest.mark.parametrize(
    ("check", "text", "says"),
    [
        (check_header_lines, "1\n2\n3\n4\n5", "店舗名の下の行は 4 行までにしてください（今 5 行）"),
        (check_header_lines, "東京都渋谷区道玄坂二丁目１０番７",
         "店舗名の下の行「東京都渋谷区道玄坂二丁目１０番７」は 58 mm 幅のレシートの1行に入りません。"
         "全角でおよそ 15 文字までにしてください"),
        (check_header_lines, "0" * 33, "1行に入りません"),  # kanji mode: 32 columns
        (check_header_lines, "W" * 20, "1行に入りません"),  # raster: wide Latin letters
        (check_header_lines, "営業時間 10:00〜21:00 ☀", "店舗名の下の行の「☀」はレシートに印字できません"),
        (check_footer_line, "またのご来店を心よりお待ちしております", "レシート下部の一行「またのご来店"),
        (check_footer_line, "ありがとう🙏", "レシート下部の一行の「🙏」はレシートに印字できません"),
    ],
)
def test_a_bad_line_is_refused_saying_what_to_correct(check, text, says):
    with pytest.raises(SettingsError) as caught:
        check(text)
    assert says in caught.value.args[0]


def test_receipt_options_from_settings(tmp_path):
    settings = Settings(tmp_path, {"receipt.header_lines": f"{ADDRESS}\n{PHONE}",
                                   "receipt.footer_line": FOOTER_LINE,
                                   "receipt.store_copy": True})
    assert receipt_options(settings) == ReceiptOptions((ADDRESS, PHONE), FOOTER_LINE,
                                                       CORRECTION_KINDS)
    assert receipt_options(Settings(tmp_path)) == ReceiptOptions()
    settings.set("receipt.header_lines", "1\n2\n3\n4\n5")  # a hand-edited config.toml
    with pytest.raises(SettingsError, match=r"^receipt\.header_lines: 店舗名の下の行は 4 行まで"):
        receipt_options(settings)


# -- settings: yes/no values and multi-line text --------------------------------------------


def test_yes_no_settings_are_saved_and_read_back_as_toml_booleans(tmp_path):
    settings = Settings(tmp_path)
    assert settings.get("receipt.store_copy") is False
    settings.set("receipt.store_copy", True)
    settings.set("receipt.store_copy_sales", False)
    settings.set("receipt.header_lines", f'{ADDRESS}\n"本店"\\\t{PHONE}')
    settings.save()
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert "store_copy = true" in text and "store_copy_sales = false" in text
    assert "\\n" in text and "\n\"本店\"" not in text  # the newline escaped, not raw
    again = Settings.load(tmp_path)
    assert again.get("receipt.store_copy") is True
    assert again.get("receipt.store_copy_sales") is False
    assert again.get("receipt.header_lines") == f'{ADDRESS}\n"本店"\\\t{PHONE}'


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("receipt.store_copy", 1, "receipt.store_copy: true か false で指定してください（1）"),
        ("receipt.store_copy", "yes", "true か false で指定してください（'yes'）"),
        ("backup.keep", True, "backup.keep: int で指定してください（True）"),
        ("poslink.drop_interval_seconds", False, "float で指定してください"),
    ],
)
def test_a_yes_no_setting_takes_only_a_boolean_and_a_number_never_one(tmp_path, key, value,
                                                                       says):
    with pytest.raises(SettingsError) as caught:
        Settings(tmp_path).set(key, value)
    assert says in str(caught.value)


def test_a_yes_no_setting_written_as_text_in_config_toml_is_refused(tmp_path):
    (tmp_path / "config.toml").write_text('[receipt]\nstore_copy = "true"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="true か false"):
        Settings.load(tmp_path)
