"""Receipts drawn as images: Japanese text, layout, wrapping, the QR code, fonts.

The sample receipt lives in tests/support/receipts.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from devices import fonts, receipt_raster
from devices.fonts import FontNotFoundError, find_font
from devices.receipt import Receipt, ReceiptLine
from devices.receipt_raster import layout_rows, render_image, render_png, wrap_text
from tests.support.escpos_decode import read_qr_codes
from tests.support.receipts import LONG_NOTICE, QR_PAYLOAD, sample_receipt


def _ink_columns(image: Image.Image) -> tuple[int, int]:
    """The leftmost and rightmost columns with any black dot."""
    inverted = image.convert("L").point(lambda v: 255 - v)
    box = inverted.getbbox()
    assert box is not None
    return box[0], box[2] - 1


@pytest.mark.parametrize("width", [512, 384])
def test_png_has_the_paper_width_and_a_readable_qr(width: int) -> None:
    png = render_png(sample_receipt(), width)
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.width == width
    assert image.mode == "1"
    assert read_qr_codes(image) == [QR_PAYLOAD]
    left, right = _ink_columns(image)
    assert left >= 4 and right <= width - 5  # margins on both sides


def test_sample_png_for_eyes(tmp_path: Path) -> None:
    """The PNG a person looks at (a preview, the simulated printer's paper) is the image
    the printer gets, dot for dot, at the printer's resolution."""
    path = tmp_path / "receipt_sample.png"
    path.write_bytes(render_png(sample_receipt()))
    seen = Image.open(path)
    printed = render_image(sample_receipt())
    assert seen.mode == "1" and seen.size == printed.size
    assert seen.tobytes() == printed.tobytes()
    # PNG stores dots per metre: 180 dpi comes back as 180.0098.
    assert seen.info["dpi"] == pytest.approx((receipt_raster.DPI, receipt_raster.DPI), abs=0.05)
    assert read_qr_codes(seen) == [QR_PAYLOAD]


def test_rendering_is_deterministic() -> None:
    assert render_png(sample_receipt()) == render_png(sample_receipt())


def test_large_lines_are_taller_than_normal_ones() -> None:
    normal = render_image(Receipt(header=(ReceiptLine("合計"),), body=()))
    large = render_image(Receipt(header=(ReceiptLine("合計", size="large"),), body=()))
    assert large.height > normal.height


def test_right_column_is_flush_right_and_centre_is_centred() -> None:
    right = render_image(Receipt(header=(ReceiptLine("", "1,246 pt"),), body=()))
    _, right_edge = _ink_columns(right)
    assert right.width - 12 <= right_edge < right.width - 4
    centred = render_image(Receipt(header=(ReceiptLine("渋谷店", align="center"),), body=()))
    left, right_ink = _ink_columns(centred)
    assert abs((left + right_ink) / 2 - centred.width / 2) < 6


@pytest.mark.parametrize("width", [512, 384])
def test_text_wider_than_the_paper_wraps_and_stays_on_the_paper(width: int) -> None:
    one_row = render_image(Receipt(header=(ReceiptLine("短い"),), body=()), width)
    words = "Tamaru " * 30
    receipt = Receipt(
        header=(ReceiptLine(LONG_NOTICE), ReceiptLine("W" * 80), ReceiptLine(words)),
        body=(ReceiptLine(LONG_NOTICE, "￥99,999,999", size="large"),),
    )
    image = render_image(receipt, width)
    assert image.height > 8 * one_row.height
    left, right = _ink_columns(image)
    assert left >= 4 and right <= width - 5


def test_wrapping_keeps_every_character_and_respects_the_width() -> None:
    font_width = 20.0  # every character 20 wide in this test's measure

    def measure(text: str) -> float:
        return font_width * len(text)

    rows = layout_rows(ReceiptLine(LONG_NOTICE, "1,246 pt"), 200, measure, gap=20)
    assert all(measure(row.left) + measure(row.right) <= 200 for row in rows)
    assert "".join(row.left for row in rows) == LONG_NOTICE
    assert rows[-1].right == "1,246 pt"
    # Kinsoku: no row starts with a closing mark.
    assert not any(row.left.startswith(("。", "、")) for row in rows)


def test_latin_words_are_not_split_when_a_space_allows() -> None:
    rows = wrap_text("Thank you for shopping", lambda s: len(s) <= 10)
    assert rows == ["Thank you", "for", "shopping"]
    assert wrap_text("X" * 25, lambda s: len(s) <= 10) == ["X" * 10, "X" * 10, "X" * 5]


def test_japanese_breaks_at_a_nearby_space() -> None:
    assert wrap_text("たまる商店 渋谷店", lambda s: len(s) <= 8) == ["たまる商店", "渋谷店"]
    assert wrap_text("あいうえおかきくけこさし", lambda s: len(s) <= 8) == [
        "あいうえおかきく",
        "けこさし",
    ]


def test_characters_the_font_lacks_or_control_bytes_do_not_break_rendering() -> None:
    receipt = Receipt(
        header=(ReceiptLine("😀 𠮷野家 한국어 \x1b@\x00\ttab", "é\u0301"),),
        body=(ReceiptLine("", ""),),
        qr_payload="A",
    )
    image = render_image(receipt, 384)
    assert image.width == 384
    assert read_qr_codes(image) == ["A"]


def test_too_narrow_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="too narrow"):
        render_image(sample_receipt(), 100)


def test_font_env_overrides_and_picks_a_face() -> None:
    regular = find_font()
    assert Path(regular.path).is_file()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(fonts.FONT_ENV, f"{regular.path}#1")
        assert find_font() == fonts.FontFile(regular.path, 1)


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fonts.FONT_ENV, "/nowhere/font.ttc")
    with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
        find_font()
    monkeypatch.delenv(fonts.FONT_ENV)
    monkeypatch.setattr(fonts, "_DEBIAN_FONTS", {"regular": (("/nowhere/a.ttc", 0),), "bold": ()})
    receipt_raster._font.cache_clear()
    try:
        with pytest.raises(FontNotFoundError, match="fonts-noto-cjk"):
            render_image(sample_receipt())
    finally:
        receipt_raster._font.cache_clear()
