"""Receipt encoding: from a confirmed sale's receipt to the bytes a printer takes.

- 80 mm Japanese raster receipt (render_image + python-escpos image()), p95, target
  ≤ 50 ms, beside the raw limit measured in the same run: Pillow drawing the same text
  lines with the same fonts into a 1-bit image of the same size with no layout, plus
  python-escpos image() of a blank image that size.
- Kanji text mode encode, p95, beside encoding the same text to cp932 in one go.
- What the two encodings cost on a 9600-baud serial line (10 bits a byte), which is
  why serial printers should use kanji mode.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from bench.common import Figure, median, percentile, timings_ms
from devices.escpos_out import (
    COLUMNS_80MM,
    DEFAULT_PROFILE,
    escpos_kanji,
    escpos_raster,
    prepare_escpos_import,
)
from devices.fonts import find_font
from devices.receipt import Receipt
from devices.receipt_raster import WIDTH_80MM, render_image
from tests.support.receipts import sample_receipt

BENCH = "receipt"
TARGET_MS = 50.0
SERIAL_BAUD = 9600


def _raw_raster(receipt: Receipt, size: tuple[int, int]) -> bytes:
    """The unavoidable work: glyphs drawn with the same fonts into a same-size 1-bit image,
    and python-escpos turning an image that size into raster commands."""
    from escpos.printer import Dummy

    regular = find_font("regular")
    bold = find_font("bold")
    fonts = {
        (weight.path, weight.index, px): ImageFont.truetype(weight.path, px, index=weight.index)
        for weight in (regular, bold)
        for px in (24, 40)
    }
    canvas = Image.new("L", size, 255)
    draw = ImageDraw.Draw(canvas)
    y = 0
    for line in receipt.lines():
        file = bold if line.bold else regular
        font = fonts[(file.path, file.index, 40 if line.size == "large" else 24)]
        draw.text((8, y), line.left + line.right, font=font, fill=0)
        y += 31
    canvas.convert("1")
    printer = Dummy(profile=DEFAULT_PROFILE)
    printer.image(Image.new("1", size, 1), center=False)
    return bytes(printer.output)


def run(quick: bool) -> list[Figure]:
    prepare_escpos_import()
    receipt = sample_receipt()
    repeat = 30 if quick else 300
    # Fonts, the QR encoder and python-escpos load once per process, not per receipt.
    raster = escpos_raster(receipt, WIDTH_80MM)
    size = render_image(receipt, WIDTH_80MM).size
    _raw_raster(receipt, size)
    kanji = escpos_kanji(receipt, COLUMNS_80MM)

    tamaru = timings_ms(lambda: escpos_raster(receipt, WIDTH_80MM), repeat)
    raw = timings_ms(lambda: _raw_raster(receipt, size), repeat)
    raster_p95 = percentile(tamaru, 95)

    text = "\n".join(f"{line.left} {line.right}" for line in receipt.lines())
    kanji_ms = timings_ms(lambda: escpos_kanji(receipt, COLUMNS_80MM), repeat * 5)
    kanji_raw = timings_ms(lambda: text.encode("cp932", errors="replace"), repeat * 5)

    serial_raster_s = len(raster) * 10 / SERIAL_BAUD
    serial_kanji_s = len(kanji) * 10 / SERIAL_BAUD
    return [
        Figure(
            BENCH,
            "confirm → 80 mm raster receipt bytes ready, p95",
            raster_p95,
            "ms",
            raw_name="draw same text 1-bit + escpos image(), p95",
            raw_value=percentile(raw, 95),
            higher_is_better=False,
            target=f"≤ {TARGET_MS:.0f} ms",
            met=raster_p95 <= TARGET_MS,
            note=(
                f"{size[0]}×{size[1]} px, {len(raster):,} bytes; median "
                f"{median(tamaru):.1f} ms over {repeat} receipts"
            ),
        ),
        Figure(
            BENCH,
            "kanji-mode receipt encode, p95",
            percentile(kanji_ms, 95),
            "ms",
            raw_name="same text to cp932, p95",
            raw_value=percentile(kanji_raw, 95),
            higher_is_better=False,
            note=f"{len(kanji):,} bytes",
        ),
        Figure(
            BENCH,
            f"raster receipt on a {SERIAL_BAUD}-baud serial printer",
            serial_raster_s,
            "s",
            raw_name="same receipt in kanji mode",
            raw_value=serial_kanji_s,
            higher_is_better=False,
            note="time on the wire at 10 bits a byte: use mode=kanji on serial printers",
        ),
    ]
