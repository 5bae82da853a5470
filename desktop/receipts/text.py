"""The wording every receipt layout shares: amounts, points, dates, the header, the
provisional mark. Kept in one place so a sale, a return and a reprint say things alike."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, tzinfo

from devices.receipt import ReceiptLine

PROVISIONAL_MARK = "＊ HQ 確定前 ＊"
PROVISIONAL_NOTE = ("ポイントは仮の値です。", "HQ との通信が戻りしだい確定します。")
REPRINT_MARK = "＊＊ 再発行 ＊＊"
STORE_COPY_MARK = "＊ お店控え ＊"  # one large row on 58 mm paper in kanji mode (16 columns)
INDENT = "　"  # a full-width space: the same width in kanji mode and on the raster image
# Half-width columns in one double-size row of kanji mode on 80 mm paper, the narrowest
# large row of the common printers (the 80 mm raster image fits about 24).
_LARGE_ROW_COLUMNS = 21


def yen(amount: int) -> str:
    # cp932 has no ¥ (U+00A5): the full-width yen sign prints on every Japanese model.
    return f"-￥{-amount:,}" if amount < 0 else f"￥{amount:,}"


def pts(points: int) -> str:
    return f"{points:,} pt"


def signed_pts(points: int) -> str:
    """A change of points: always with its sign, so a deduction cannot be misread."""
    return f"+{points:,} pt" if points >= 0 else f"-{-points:,} pt"


def when_text(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y年%m月%d日 %H:%M")


def expiry_text(expires_at: datetime | None, tz: tzinfo) -> str:
    """"2026/12/31まで": the last day the points can be used, not the instant they lapse
    (which is the following midnight and would read one day late)."""
    if expires_at is None:
        return "期限なし"
    # The same rule as loyalty.dates.last_valid_day, for any tzinfo (a ZoneInfo here).
    last_day = (expires_at.astimezone(tz) - timedelta(microseconds=1)).date()
    return last_day.strftime("%Y/%m/%dまで")


def header_lines(store_name: str, at: datetime, tz: tzinfo, device_id: str, receipt_no: str,
                 staff_name: str | None) -> tuple[ReceiptLine, ...]:
    lines = [ReceiptLine(part, bold=True, size="large", align="center")
             for part in store_name_rows(store_name)]
    lines += [
        ReceiptLine(when_text(at, tz)),
        ReceiptLine(f"レジ {device_id}", f"担当 {staff_name}" if staff_name else ""),
        ReceiptLine("取引番号", receipt_no),
    ]
    return tuple(lines)


def columns(text: str) -> int:
    """Half-width columns `text` takes: two for wide (kanji, kana) characters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def store_name_rows(name: str) -> list[str]:
    """The store name as printed: one row when it fits a large row, else chain and branch
    on rows of their own. Wrapping would break it where the row ends, mid-word
    (たまるドラッグ 渋谷道玄坂 / 店)."""
    name = name.strip()
    if not name:
        return []
    if columns(name) <= _LARGE_ROW_COLUMNS:
        return [name]
    return [part for part in re.split(r"[ 　]+", name, maxsplit=1) if part]


def title_line(title: str) -> ReceiptLine:
    return ReceiptLine(title, bold=True, size="large", align="center")


def provisional_mark() -> list[ReceiptLine]:
    return [ReceiptLine(PROVISIONAL_MARK, bold=True, size="large", align="center")]


def provisional_note() -> list[ReceiptLine]:
    return [ReceiptLine(""), *(ReceiptLine(sentence) for sentence in PROVISIONAL_NOTE)]


def debt_lines(debt: int) -> list[ReceiptLine]:
    """Points owed (a return after the points were spent, an offline double spend)."""
    if debt <= 0:
        return []
    return [
        ReceiptLine("ポイント不足分", f"-{pts(debt)}", bold=True),
        ReceiptLine(f"{INDENT}今後獲得されるポイントから差し引きます"),
    ]


def footer_lines(footer: str) -> tuple[ReceiptLine, ...]:
    return (ReceiptLine(footer, align="center"),) if footer else ()
