"""The store's own receipt options: lines under the store name, a footer line, and which
receipts also print a copy for the store (お店控え).

They are the store's, not the transaction's, so they are added when a receipt is printed
(`desktop.receipts.model.with_store_lines`, `build_store_copy`), on every layout alike,
by the print queue (desktop/printing.py); the stored receipt keeps what the transaction
said. The settings (`receipt.*`, desktop/settings.py) are checked here, once, with a
sentence for the manager per mistake: the settings screen checks them before saving, and
`receipt_options(settings)` checks them again when the register starts (a hand-edited
config.toml).

Every line must print on one row of the narrowest roll (58 mm) in both print modes: a
wrapped address breaks mid-word, and a store may change printers without looking at its
settings again. Kanji mode gives 32 half-width columns; the raster image's proportional
font takes about 15 full-width characters and fewer wide Latin letters, so the line is
measured as that image draws it. A character kanji mode (Shift_JIS) cannot send would
print as "?", so it is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.settings import Settings, SettingsError
from devices.escpos_out import COLUMNS_58MM, to_cp932
from devices.fonts import FontNotFoundError
from devices.receipt import Receipt, ReceiptLine
from devices.receipt_raster import WIDTH_58MM, render_image

MAX_HEADER_LINES = 4
ABOUT_FULL_WIDTH = 15  # what the sentences say fits: the raster row, in kanji characters
# The layouts a store copy is printed for, by the stored receipt's `kind`.
CORRECTION_KINDS = frozenset({"return", "adjust"})
SALE_KINDS = frozenset({"sale"})
T = TypeVar("T")

HEADER_TOO_MANY = QT_TRANSLATE_NOOP(
    "core", "店舗名の下の行は {max} 行までにしてください（今 {count} 行）")
LINE_TOO_LONG = QT_TRANSLATE_NOOP(
    "core", "{what}「{line}」は 58 mm 幅のレシートの1行に入りません。全角でおよそ {full} 文字"
    "までにしてください")
LINE_UNPRINTABLE = QT_TRANSLATE_NOOP(
    "core", "{what}の「{char}」はレシートに印字できません。別の文字にしてください")
HEADER_LINE = QT_TRANSLATE_NOOP("core", "店舗名の下の行")
FOOTER_LINE = QT_TRANSLATE_NOOP("core", "レシート下部の一行")


@dataclass(frozen=True)
class ReceiptOptions:
    """What the store adds to every receipt it prints; the defaults add nothing."""

    header_lines: tuple[str, ...] = ()  # under the store name: address, phone, hours
    footer_line: str = ""  # after the program's footer message
    store_copy_kinds: frozenset[str] = field(default_factory=frozenset)

    def wants_store_copy(self, kind: str) -> bool:
        return kind in self.store_copy_kinds


def fits_one_row(line: str) -> bool:
    """Whether `line` prints on one row of 58 mm paper in kanji mode and in raster mode."""
    # Kanji mode prints a two-byte character full width, a one-byte one half width.
    if len(to_cp932(line)) > COLUMNS_58MM:
        return False
    try:
        return _raster_height(line) == _raster_height("あ")
    except FontNotFoundError:
        return True  # no receipt font here: this register can only print in kanji mode


def _raster_height(line: str) -> int:
    lone = Receipt(header=(ReceiptLine(line, align="center"),), body=())
    return render_image(lone, WIDTH_58MM).height


def _check_line(line: str, what: str) -> None:
    for char in line:
        if char != "?" and to_cp932(char) == b"?":
            raise SettingsError(Message(LINE_UNPRINTABLE, what=Message(what), char=char))
    if not fits_one_row(line):
        raise SettingsError(Message(LINE_TOO_LONG, what=Message(what), line=line,
                                    full=ABOUT_FULL_WIDTH))


def _clean(text: str) -> str:
    # NFC as the printer gets it; tabs and other controls would move the print head.
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()


def check_header_lines(text: str) -> tuple[str, ...]:
    """The lines under the store name, one per line of `text` (blank ones dropped), or
    SettingsError saying what to correct."""
    lines = tuple(line for line in (_clean(raw) for raw in text.splitlines()) if line)
    if len(lines) > MAX_HEADER_LINES:
        raise SettingsError(Message(HEADER_TOO_MANY, max=MAX_HEADER_LINES, count=len(lines)))
    for line in lines:
        _check_line(line, HEADER_LINE)
    return lines


def check_footer_line(text: str) -> str:
    """The footer line (one line), or SettingsError saying what to correct."""
    line = " ".join(_clean(raw) for raw in text.splitlines() if raw.strip())
    if line:
        _check_line(line, FOOTER_LINE)
    return line


def store_copy_kinds(corrections: bool, sales: bool) -> frozenset[str]:
    return (CORRECTION_KINDS if corrections else frozenset()) | (SALE_KINDS if sales
                                                                 else frozenset())


def receipt_options(settings: Settings) -> ReceiptOptions:
    """The receipt options the settings hold, checked; SettingsError names the setting
    (the register refuses to start on a bad config.toml, as for its other settings)."""
    return ReceiptOptions(
        _checked(settings, "receipt.header_lines", check_header_lines),
        _checked(settings, "receipt.footer_line", check_footer_line),
        store_copy_kinds(bool(settings.get("receipt.store_copy")),
                         bool(settings.get("receipt.store_copy_sales"))))


def _checked(settings: Settings, key: str, check: Callable[[str], T]) -> T:
    try:
        return check(str(settings.get(key)))
    except SettingsError as exc:
        raise SettingsError(f"{key}: {exc.args[0]}") from exc
