"""Drawing a receipt as a 1-bit image: what raster printers print and what previews show.

The image is laid out in printer dots (180 dpi): 512 px for 80 mm paper, 384 px for
58 mm. Text sizes are physical, so narrower paper means fewer characters per row, and
text that does not fit wraps instead of being cut off. The row layout (wrapping, where a
right-hand value goes) lives here too, so the ESC/POS text encoding lays rows out the
same way.

A receipt is drawn while the member waits (the counter's target is 50 ms from confirm to
the printer's bytes), so the drawing avoids repeated work: text widths and the glyph
masks of text runs are cached (labels such as お買上げ金額 recur on every receipt), the
QR code is encoded by zxing-cpp (qrcode, some 30 times slower, when it is missing) and
scaled as one image, and `render_raster` hands out the printer's bits (1 = ink) straight
from the drawing, without the conversions a generic image path makes.
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
    if fits(text):
        return [text]  # most rows: one measurement rather than one per character
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


class _Measure:
    """A font's text widths, remembered: wrapping measures the same prefixes again and
    again, and receipts repeat their labels. Used under the render lock."""

    _LIMIT = 4096

    def __init__(self, font: ImageFont.FreeTypeFont) -> None:
        self.font = font
        self.known: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        width = self.known.get(text)
        if width is None:
            if len(self.known) >= self._LIMIT:
                self.known.clear()
            width = self.known[text] = self.font.getlength(text)
        return width


@lru_cache(maxsize=16)
def _measure(font: ImageFont.FreeTypeFont) -> _Measure:
    return _Measure(font)


@lru_cache(maxsize=1024)
def _run_mask(font: ImageFont.FreeTypeFont, text: str, anchor: str,
              stroke: int) -> tuple[Image.Image, int, int]:
    """A text run's ink as an "L" mask (255 = ink) and where its top left sits relative to
    the anchor point: drawn once, pasted on every receipt that prints the same run."""
    left, top, right, bottom = font.getbbox(text, anchor=anchor, stroke_width=stroke)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor=anchor,
                              stroke_width=stroke, stroke_fill=255)
    return mask, left, top


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules for a payload, quiet zone included (error correction level M)."""
    image = _qr_image(payload)
    n = image.width
    data = image.tobytes()
    return [[data[r * n + c] == 0 for c in range(n)] for r in range(n)]


@lru_cache(maxsize=64)
def _qr_image(payload: str) -> Image.Image:
    """One pixel per module, black on white, with the 4-module quiet zone."""
    try:
        import zxingcpp
    except ImportError:
        zxingcpp = None
    if zxingcpp is not None:
        code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        pixels = memoryview(code.to_image(scale=1, add_quiet_zones=True))
        height, width = pixels.shape[:2]
        return Image.frombytes("L", (width, height), bytes(pixels))
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    rows = code.get_matrix()
    image = Image.new("L", (len(rows), len(rows)), 255)
    image.putdata([0 if cell else 255 for row in rows for cell in row])
    return image


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
    image: Image.Image  # one pixel per module
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
            measure = _measure(font)
            for row in layout_rows(line, avail, measure, gap=size):
                # CJK glyphs sit in an em box whose bottom is 0.12 em below the baseline.
                baseline = y + round(size * 0.15) + round(size * 0.88)
                if row.centered:
                    x = _MARGIN_X + round((avail - measure(row.left)) / 2)
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
        modules = _qr_image(receipt.qr_payload)
        n = modules.width
        module = max(_QR_MIN_MODULE_PX, min(_QR_MAX_MODULE_PX, _QR_TARGET_PX // n))
        module = max(1, min(module, width_px // n))
        side = n * module
        items.append(_Qr((width_px - side) // 2, y, modules, module))
        y += side
    add_lines(receipt.footer)
    return items, y + _MARGIN_BOTTOM


def _draw(receipt: Receipt, width_px: int) -> Image.Image:
    """The receipt in grey ("L", black on white), before the ink threshold."""
    if width_px < 160:
        raise ValueError(f"width_px={width_px} is too narrow for a receipt (58 mm paper is 384)")
    with _render_lock:
        items, height = _layout(receipt, width_px)
        canvas = Image.new("L", (width_px, height), 255)
        for item in items:
            if isinstance(item, _Qr):
                side = item.image.width * item.module
                scaled = item.image.resize((side, side), Image.Resampling.NEAREST)
                canvas.paste(scaled, (item.x, item.y))
            else:
                mask, left, top = _run_mask(item.font, item.text, item.anchor,
                                            1 if item.fake_bold else 0)
                canvas.paste(0, (item.x + left, item.baseline + top), mask)
    return canvas


# Greys a bit lighter than mid-grey still print: thin strokes survive.
_PAPER_LUT = [255 if v > _INK_THRESHOLD else 0 for v in range(256)]
_INK_LUT = [0 if v > _INK_THRESHOLD else 255 for v in range(256)]


def render_image(receipt: Receipt, width_px: int = WIDTH_80MM) -> Image.Image:
    """The receipt as a mode "1" image, black on white, ``width_px`` dots wide."""
    return _draw(receipt, width_px).point(_PAPER_LUT, "1")


def render_raster(receipt: Receipt, width_px: int = WIDTH_80MM) -> tuple[int, int, bytes]:
    """The receipt as printer raster data: (bytes per row, rows, bits with 1 = ink, each
    row padded to whole bytes), what ESC/POS GS v 0 sends."""
    ink = _draw(receipt, width_px).point(_INK_LUT, "1")
    return (width_px + 7) // 8, ink.height, ink.tobytes()


def render_png(receipt: Receipt, width_px: int = WIDTH_80MM) -> bytes:
    """The receipt as PNG bytes (a preview, or what the simulated printer keeps)."""
    buffer = io.BytesIO()
    render_image(receipt, width_px).save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()
