"""Drawing a receipt as a 1-bit image: what raster printers print and what previews show.

The image is laid out in printer dots (180 dpi): 512 px for 80 mm paper, 384 px for
58 mm. Text sizes are physical, so narrower paper means fewer characters per row, and
text that does not fit wraps instead of being cut off. The row layout (wrapping, where a
right-hand value goes) lives here too, so the ESC/POS text encoding lays rows out the
same way.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from devices.fonts import FontFile, Weight, find_font
from devices.receipt import Receipt, ReceiptLine

WIDTH_80MM = 512
WIDTH_58MM = 384
DPI = 180

_NORMAL_PX = 24  # the height of an ESC/POS font A row, so both print modes look alike
_LARGE_PX = 40
_MARGIN_X = 8
_MARGIN_TOP = 8
_MARGIN_BOTTOM = 16
_QR_TARGET_PX = 200  # ~28 mm at 180 dpi: easy for counter scanners and phone cameras
_QR_MIN_MODULE_PX = 3
_QR_MAX_MODULE_PX = 8
_INK_THRESHOLD = 150  # greys a bit lighter than mid-grey still print: thin strokes survive

# Kinsoku: these may not begin a row, so the character before them moves down too.
_NO_ROW_START = frozenset(
    "、。，．,.)）」』】〕〉》]｝}ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ!！?？:：;；%％"
)

_SHORT_TAIL = 4  # characters after a space that move down with it when a row breaks

# Pillow font objects wrap one FreeType face each, which is not safe to use from two
# threads at once (the print thread and a preview may render together).
_render_lock = threading.Lock()


@dataclass(frozen=True)
class Row:
    """One printed row after wrapping: text flush left, a value flush right, or centred."""

    left: str = ""
    right: str = ""
    centered: bool = False


def clean_text(text: str) -> str:
    """Text safe to print: composed (NFC) and without control characters."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def wrap_text(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split text greedily into rows for which ``fits`` holds.

    Japanese breaks between any two characters, but at a space when one is a few
    characters back; a Latin word is kept whole when the row has a space to break at. A character too wide for an empty row still gets its own
    row rather than being dropped.
    """
    rows: list[str] = []
    row = ""
    for ch in text:
        if fits(row + ch) or not row:
            row += ch
            continue
        carry = ""
        space = row.rfind(" ")
        in_word = _is_word_char(ch) and _is_word_char(row[-1])
        # A space close to the break is where a Japanese phrase splits naturally too
        # (たまる商店 / 渋谷店 rather than たまる商店 渋谷 / 店).
        near_space = not ch.isspace() and 0 < len(row) - space - 1 <= _SHORT_TAIL
        if space > 0 and (in_word or near_space) and fits(row[space + 1 :] + ch):
            row, carry = row[:space], row[space + 1 :]
        elif ch in _NO_ROW_START and len(row) > 1 and fits(row[-1] + ch):
            row, carry = row[:-1], row[-1]
        rows.append(row.rstrip())
        row = (carry + ch).lstrip() if ch != " " else carry
    if row.strip() or not rows:
        rows.append(row.rstrip())
    return rows


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


def layout_rows(
    line: ReceiptLine, width: float, measure: Callable[[str], float], gap: float
) -> list[Row]:
    """The rows one receipt line takes on paper ``width`` wide, in ``measure``'s units."""

    def wrap(text: str) -> list[str]:
        return wrap_text(text, lambda s: measure(s) <= width)

    left, right = clean_text(line.left), clean_text(line.right)
    if line.align == "center":
        text = f"{left} {right}" if left and right else left or right
        return [Row(left=chunk, centered=True) for chunk in wrap(text)]
    if not right:
        return [Row(left=chunk) for chunk in wrap(left)]
    right_width = measure(right)
    if measure(left) + gap + right_width <= width:
        return [Row(left, right)]
    lefts = wrap(left) if left else []
    if lefts and measure(lefts[-1]) + gap + right_width <= width:
        return [Row(chunk) for chunk in lefts[:-1]] + [Row(lefts[-1], right)]
    return [Row(chunk) for chunk in lefts] + [Row(right=chunk) for chunk in wrap(right)]


@lru_cache(maxsize=16)
def _font(weight: Weight, size: int) -> tuple[ImageFont.FreeTypeFont, bool]:
    file: FontFile = find_font(weight)
    # Japanese and Latin text need no complex shaping, and wrapping measures every row as
    # it grows: the basic layout measures some five times faster than raqm.
    font = ImageFont.truetype(
        file.path, size=size, index=file.index, layout_engine=ImageFont.Layout.BASIC
    )
    return font, weight == "bold" and not file.is_bold


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules for a payload, quiet zone included (error correction level M)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


@dataclass(frozen=True)
class _Text:
    x: int
    baseline: int
    text: str
    anchor: str
    font: ImageFont.FreeTypeFont
    fake_bold: bool


@dataclass(frozen=True)
class _Qr:
    x: int
    y: int
    matrix: list[list[bool]]
    module: int


def _layout(receipt: Receipt, width_px: int) -> tuple[list[_Text | _Qr], int]:
    avail = width_px - 2 * _MARGIN_X
    items: list[_Text | _Qr] = []
    y = _MARGIN_TOP

    def add_lines(lines: tuple[ReceiptLine, ...]) -> None:
        nonlocal y
        for line in lines:
            size = _LARGE_PX if line.size == "large" else _NORMAL_PX
            font, fake_bold = _font("bold" if line.bold else "regular", size)
            fake_bold = fake_bold and line.bold
            pitch = round(size * 1.3)
            for row in layout_rows(line, avail, font.getlength, gap=size):
                # CJK glyphs sit in an em box whose bottom is 0.12 em below the baseline.
                baseline = y + round(size * 0.15) + round(size * 0.88)
                if row.centered:
                    x = _MARGIN_X + round((avail - font.getlength(row.left)) / 2)
                    items.append(_Text(x, baseline, row.left, "ls", font, fake_bold))
                else:
                    if row.left:
                        items.append(_Text(_MARGIN_X, baseline, row.left, "ls", font, fake_bold))
                    if row.right:
                        items.append(
                            _Text(width_px - _MARGIN_X, baseline, row.right, "rs", font, fake_bold)
                        )
                y += pitch

    add_lines(receipt.header)
    add_lines(receipt.body)
    if receipt.qr_payload:
        matrix = qr_matrix(receipt.qr_payload)
        n = len(matrix)
        module = max(_QR_MIN_MODULE_PX, min(_QR_MAX_MODULE_PX, _QR_TARGET_PX // n))
        module = max(1, min(module, width_px // n))
        side = n * module
        items.append(_Qr((width_px - side) // 2, y, matrix, module))
        y += side
    add_lines(receipt.footer)
    return items, y + _MARGIN_BOTTOM


def render_image(receipt: Receipt, width_px: int = WIDTH_80MM) -> Image.Image:
    """The receipt as a mode "1" image, black on white, ``width_px`` dots wide."""
    if width_px < 160:
        raise ValueError(f"width_px={width_px} is too narrow for a receipt (58 mm paper is 384)")
    with _render_lock:
        items, height = _layout(receipt, width_px)
        canvas = Image.new("L", (width_px, height), 255)
        draw = ImageDraw.Draw(canvas)
        for item in items:
            if isinstance(item, _Qr):
                for r, row in enumerate(item.matrix):
                    for c, dark in enumerate(row):
                        if dark:
                            x0, y0 = item.x + c * item.module, item.y + r * item.module
                            draw.rectangle(
                                (x0, y0, x0 + item.module - 1, y0 + item.module - 1), fill=0
                            )
            else:
                draw.text(
                    (item.x, item.baseline),
                    item.text,
                    font=item.font,
                    fill=0,
                    anchor=item.anchor,
                    stroke_width=1 if item.fake_bold else 0,
                    stroke_fill=0,
                )
    ink = canvas.point(lambda v: 255 if v > _INK_THRESHOLD else 0)
    return ink.convert("1", dither=Image.Dither.NONE)


def render_png(receipt: Receipt, width_px: int = WIDTH_80MM) -> bytes:
    """The receipt as PNG bytes (a preview, or what the simulated printer keeps)."""
    buffer = io.BytesIO()
    render_image(receipt, width_px).save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()
