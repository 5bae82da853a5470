"""The two ESC/POS encodings of a receipt: a raster image, or Japanese kanji text mode.

Raster works on any ESC/POS printer that prints images and looks exactly like the
on-screen preview, but a receipt is some 40–60 KB (about a minute on a 9600-baud serial
line). Kanji text mode sends under 1 KB and prints with the printer's own fonts, but needs
a model with Japanese fonts (the Japanese Epson TM models and compatibles). python-escpos
sends CJK text as GB18030, so kanji mode is encoded here by hand as Shift_JIS (cp932).
Both encodings are pure functions of the receipt: the same receipt gives the same bytes.
"""

from __future__ import annotations

import functools
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from devices.receipt import Receipt, ReceiptLine
from devices.receipt_raster import WIDTH_80MM, layout_rows, render_raster

ESC = b"\x1b"
FS = b"\x1c"
GS = b"\x1d"
LF = b"\n"

DEFAULT_PROFILE = "TM-T88V"
COLUMNS_80MM = 42  # font A, 12 dots per half-width column, 512 dots
COLUMNS_58MM = 32

_SIZE_NORMAL = 0x00
_SIZE_LARGE = 0x11  # double width and double height; ESC ! would not enlarge kanji
_QR_MODULE_DOTS = 6
_CUT_FEED = 3  # lines fed after the last row, then GS V 66 feeds on to the cutter

# Under ESC R 8 (Japan) the printer shows 0x5C as ¥ and 0x7E as ‾, so a backslash or a
# tilde must go as its full-width form; ¥ itself is not in cp932. The other entries are
# characters that JIS fonts show but cp932 spells with a different code point.
_CP932_SUBSTITUTES = str.maketrans(
    {
        "¥": "￥",
        "\\": "＼",
        "~": "～",
        "〜": "～",
        "−": "－",
        "—": "―",
        "¢": "￠",
        "£": "￡",
        "¬": "￢",
    }
)


def prepare_escpos_import() -> None:
    """Call before importing anything from escpos."""
    # python-escpos writes a capabilities pickle into a fresh temporary folder on every
    # import unless told where to keep it.
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
        folder = Path(tempfile.gettempdir()) / "tamaru-escpos"
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)


def profile_width_px(profile: str) -> int | None:
    """The printable width of a python-escpos printer profile, None when it is unknown.

    Raises ValueError for a profile name python-escpos does not have.
    """
    pixels = _profile_data(profile).get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def profile_columns(profile: str) -> int | None:
    """Font A columns of a python-escpos printer profile, None when it is unknown."""
    columns = _profile_data(profile).get("fonts", {}).get("0", {}).get("columns")
    return columns if isinstance(columns, int) else None


def _profile_data(profile: str) -> dict[str, Any]:
    """A python-escpos printer profile's capabilities; ValueError for an unknown name."""
    prepare_escpos_import()
    from escpos.capabilities import CAPABILITIES

    try:
        data: dict[str, Any] = CAPABILITIES["profiles"][profile]
    except KeyError:
        raise ValueError(
            f"unknown printer profile {profile!r} (python-escpos names such as TM-T88V, TM-T20II)"
        ) from None
    return data


# python-escpos's image(): rows per GS v 0 block (taller images go as several blocks).
RASTER_FRAGMENT_ROWS = 960


def escpos_raster(
    receipt: Receipt, width_px: int = WIDTH_80MM, profile: str = DEFAULT_PROFILE
) -> bytes:
    """ESC @, the receipt image as GS v 0 raster blocks, feed and cut.

    The same bytes python-escpos's ``image()`` makes of the rendered receipt (tested), made
    from the drawing's own bits: its generic path converts the image four times over
    (RGBA, RGB, L, inverted 1), which costs more than drawing the receipt.
    """
    limit = profile_width_px(profile)
    if limit is not None and width_px > limit:
        raise ValueError(f"width_px={width_px} is wider than the {profile}'s {limit} dots")
    row_bytes, rows, bits = render_raster(receipt, width_px)
    start, end = _frame(profile)
    out = bytearray(start)
    for top in range(0, rows, RASTER_FRAGMENT_ROWS):
        height = min(RASTER_FRAGMENT_ROWS, rows - top)
        out += GS + b"v0\x00" + row_bytes.to_bytes(2, "little") + height.to_bytes(2, "little")
        out += bits[top * row_bytes:(top + height) * row_bytes]
    out += end
    return bytes(out)


@functools.lru_cache(maxsize=8)
def _frame(profile: str) -> tuple[bytes, bytes]:
    """What python-escpos sends before a receipt (initialise) and after it (feed, cut) for
    a printer profile: its cut command depends on what the model supports."""
    prepare_escpos_import()
    from escpos.printer import Dummy

    printer = Dummy(profile=profile)
    printer.hw("INIT")
    start = bytes(printer.output)
    printer.clear()
    printer.cut()
    return start, bytes(printer.output)


def to_cp932(text: str) -> bytes:
    """Shift_JIS bytes for kanji mode; characters cp932 lacks become "?"."""
    text = unicodedata.normalize("NFC", text).translate(_CP932_SUBSTITUTES)
    return text.encode("cp932", errors="replace")


def _columns_of(text: str) -> int:
    # In kanji mode a two-byte character prints full width and a one-byte one half
    # width, so the byte count is the column count.
    return len(to_cp932(text))


def _qr_function(fn: int, params: bytes) -> bytes:
    body = bytes((49, fn)) + params  # cn 49: QR code
    return GS + b"(k" + len(body).to_bytes(2, "little") + body


def _native_qr(payload: str) -> bytes:
    data = payload.encode("utf-8")
    return b"".join(
        (
            _qr_function(65, bytes((50, 0))),  # model 2
            _qr_function(67, bytes((_QR_MODULE_DOTS,))),
            _qr_function(69, bytes((49,))),  # error correction level M
            _qr_function(80, b"0" + data),  # store in the symbol area
            _qr_function(81, b"0"),  # print the stored symbol
        )
    )


class _KanjiWriter:
    """Emits rows, sending a mode command only when the mode changes."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.out = bytearray()
        self.align = 0
        self.size = _SIZE_NORMAL
        self.bold = False

    def set_align(self, align: int) -> None:
        if align != self.align:
            self.out += ESC + b"a" + bytes((align,))
            self.align = align

    def set_style(self, size: int, bold: bool) -> None:
        if size != self.size:
            self.out += GS + b"!" + bytes((size,))
            self.size = size
        if bold != self.bold:
            self.out += ESC + b"E" + bytes((int(bold),))
            self.bold = bold

    def line(self, line: ReceiptLine) -> None:
        large = line.size == "large"
        # Double-width characters take two columns each.
        width = self.columns // 2 if large else self.columns
        self.set_style(_SIZE_LARGE if large else _SIZE_NORMAL, line.bold)
        for row in layout_rows(line, width, _columns_of, gap=1):
            if row.centered:
                self.set_align(1)
                self.out += to_cp932(row.left) + LF
                continue
            self.set_align(0)
            pad = width - _columns_of(row.left) - _columns_of(row.right) if row.right else 0
            self.out += to_cp932(row.left) + b" " * max(pad, 0) + to_cp932(row.right) + LF


def escpos_kanji(
    receipt: Receipt, columns: int = COLUMNS_80MM, profile: str = DEFAULT_PROFILE
) -> bytes:
    """The receipt as text in Japanese kanji mode (Shift_JIS), with a native QR code; the
    cut is the one the printer profile says the model has."""
    if columns < 16:
        raise ValueError(f"columns={columns} is too narrow for a receipt (58 mm paper is 32)")
    writer = _KanjiWriter(columns)
    out = writer.out
    out += ESC + b"@"  # forget whatever the previous job left set
    out += ESC + b"R\x08"  # Japan character set
    out += ESC + b"t\x01"  # katakana code page, for the one-byte half-width kana of cp932
    out += FS + b"C\x01"  # kanji code system Shift_JIS
    out += FS + b"&"
    for line in receipt.header + receipt.body:
        writer.line(line)
    if receipt.qr_payload:
        writer.set_style(_SIZE_NORMAL, False)
        out += FS + b"."  # QR data are bytes, not Shift_JIS text
        writer.set_align(1)
        out += _native_qr(receipt.qr_payload) + LF
        writer.set_align(0)
        out += FS + b"&"
    for line in receipt.footer:
        writer.line(line)
    writer.set_style(_SIZE_NORMAL, False)
    writer.set_align(0)
    out += FS + b"."
    out += ESC + b"d" + bytes((_CUT_FEED,))
    out += _cut(profile)
    return bytes(out)


@functools.lru_cache(maxsize=64)
def _cut(profile: str) -> bytes:
    """Feed to the cutter and cut: partial where the model can (the receipt stays hanging
    until torn off), full where it can only do that, nothing for a model without a cutter."""
    features = _profile_data(profile).get("features", {})
    if features.get("paperPartCut", True):
        return GS + b"V" + bytes((66, 0))
    if features.get("paperFullCut", False):
        return GS + b"V" + bytes((65, 0))
    return b""
