"""Receipts as ESC/POS bytes, read back with the test decoder: kanji text mode and raster."""

from __future__ import annotations

import pytest

from devices.escpos_out import escpos_kanji, escpos_raster, to_cp932
from devices.receipt import Receipt, ReceiptLine
from devices.receipt_raster import render_image
from tests.support.escpos_decode import decode
from tests.support.receipts import LONG_NOTICE, QR_PAYLOAD, sample_receipt


def _row(lines: list[str], starts: str) -> str:
    return next(line for line in lines if line.startswith(starts))


def test_kanji_mode_reads_back_as_the_receipt() -> None:
    data = escpos_kanji(sample_receipt())
    assert data.startswith(b"\x1b@\x1bR\x08")
    assert "たまる商店".encode("gb18030") not in data  # what python-escpos's text() would send
    result = decode(data)
    lines = result.lines
    assert "山田 花子 様" in lines
    assert "たまる商店 渋谷店" in lines
    assert _row(lines, "会員番号").endswith("※※※※1234")
    assert _row(lines, "ポイント残高").endswith("1,246 pt")
    assert _row(lines, "獲得ポイント").endswith("12 pt")
    assert _row(lines, "合計").endswith("￥1,234")
    assert result.qr_payloads == [QR_PAYLOAD]
    assert result.cuts == 1
    assert result.images == []
    assert result.unprinted == ""


def test_kanji_mode_pads_columns_by_display_width() -> None:
    lines = decode(escpos_kanji(sample_receipt(), columns=42)).styled
    total = next(line for line in lines if line.text.startswith("合計"))
    assert total.large and total.bold
    assert len(to_cp932(total.text)) == 21  # double width: half the columns
    balance = next(line for line in lines if line.text.startswith("ポイント残高"))
    assert balance.bold and not balance.large
    assert len(to_cp932(balance.text)) == 42
    header = lines[0]
    assert header.text == "たまる商店 渋谷店" and header.centered and header.large


@pytest.mark.parametrize("columns", [42, 32])
def test_kanji_mode_wraps_long_text_within_the_columns(columns: int) -> None:
    receipt = Receipt(
        header=(ReceiptLine(LONG_NOTICE),),
        body=(ReceiptLine("お支払い合計（税込）" * 3, "￥12,345,678", size="large"),),
    )
    styled = decode(escpos_kanji(receipt, columns)).styled
    for line in styled:
        limit = columns // 2 if line.large else columns
        assert len(to_cp932(line.text)) <= limit, line
    normal = "".join(line.text for line in styled if not line.large)
    assert normal == LONG_NOTICE
    assert styled[-1].text.endswith("￥12,345,678")


def test_yen_backslash_and_tilde_print_as_written() -> None:
    receipt = Receipt(header=(ReceiptLine("¥500 C:\\tmp 10~20"),), body=())
    data = escpos_kanji(receipt)
    # Under ESC R 8 the single bytes 5C and 7E would print as ¥ and ‾.
    assert b"\\" not in data and b"~" not in data
    assert decode(data).lines[0] == "￥500 C:＼tmp 10～20"


def test_characters_outside_cp932_become_question_marks() -> None:
    receipt = Receipt(
        header=(ReceiptLine("😀𠮷野家 한 é\u0301 髙橋 ①", "\x1b@\x1dV\x00"),),
        body=(),
    )
    result = decode(escpos_kanji(receipt))
    # é has no cp932 code; 髙 and ① are in the Microsoft extensions cp932 adds.
    assert result.lines[0].startswith("??野家 ? ?? 髙橋 ①")
    assert result.lines[0].endswith(" @ V ")
    assert result.cuts == 1  # the control bytes in the text did not become a command


def test_raster_reads_back_as_one_image_with_the_qr_and_a_cut() -> None:
    receipt = sample_receipt()
    result = decode(escpos_raster(receipt))
    assert len(result.images) == 1
    assert result.qr_payloads == [QR_PAYLOAD]
    assert result.cuts == 1
    assert result.lines == []
    assert result.images[0].tobytes() == render_image(receipt).tobytes()


def test_tall_raster_sent_in_fragments_reads_back_whole() -> None:
    receipt = Receipt(
        header=tuple(ReceiptLine(f"明細 {n}", f"￥{n * 100:,}") for n in range(40)),
        body=(),
        qr_payload=QR_PAYLOAD,
    )
    image = render_image(receipt, 384)
    assert image.height > 960  # python-escpos splits at 960 rows
    data = escpos_raster(receipt, 384)
    assert data.count(b"\x1dv0") >= 2
    result = decode(data)
    assert len(result.images) == 1
    assert result.images[0].size == (384, image.height)
    assert result.qr_payloads == [QR_PAYLOAD]


def test_printing_is_byte_for_byte_deterministic() -> None:
    assert escpos_kanji(sample_receipt()) == escpos_kanji(sample_receipt())
    assert escpos_raster(sample_receipt()) == escpos_raster(sample_receipt())


def test_raster_wider_than_the_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="wider"):
        escpos_raster(sample_receipt(), 576, profile="TM-T88V")
    with pytest.raises(ValueError, match="unknown printer profile"):
        escpos_raster(sample_receipt(), profile="TM-NOPE")


@pytest.mark.parametrize(
    ("width", "profile", "rows"),
    [(512, "TM-T88V", 8), (384, "TM-T88V", 8), (512, "TM-T20II", 60), (384, "default", 60),
     (200, "TM-T88V", 3)],
)
def test_raster_bytes_are_what_python_escpos_makes_of_the_same_image(
    width: int, profile: str, rows: int
) -> None:
    """escpos_raster skips python-escpos's image conversions; its bytes must stay theirs
    (initialise, GS v 0 blocks of at most 960 rows, the profile's feed and cut)."""
    from escpos.printer import Dummy

    receipt = Receipt(
        header=(ReceiptLine("たまる商店", size="large", align="center"),),
        body=tuple(ReceiptLine(f"行 {n} 化粧水", f"￥{n * 111:,}", bold=n % 2 == 0)
                   for n in range(rows)),
        qr_payload=QR_PAYLOAD,
    )
    reference = Dummy(profile=profile)
    reference.hw("INIT")
    reference.image(render_image(receipt, width), center=False)
    reference.cut()
    ours = escpos_raster(receipt, width, profile)
    assert ours == bytes(reference.output)
    assert decode(ours).qr_payloads == [QR_PAYLOAD]
