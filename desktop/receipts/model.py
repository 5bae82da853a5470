"""The stored form of a receipt, its QR payload, and what the print queue makes of it:
the receipt with the store's lines, the reprint (再発行) and the store copy (お店控え).

A receipt is stored with its op as a dict, so it can be printed again exactly as it was
issued, whatever happens to the printer, the program or the member afterwards. The
store's own lines (address, phone, a footer line: `ReceiptOptions`) are not part of it:
they are added to every layout when it is printed (`with_store_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from datetime import datetime, tzinfo
from typing import Any

from desktop.receipts.options import ReceiptOptions
from desktop.receipts.text import REPRINT_MARK, STORE_COPY_MARK, when_text
from devices.receipt import Receipt, ReceiptLine

_RECEIPT_FIELDS = frozenset(f.name for f in fields(Receipt))
_LINE_FIELDS = frozenset(f.name for f in fields(ReceiptLine))
_LINE_KEYS = ("header", "body", "footer")
NO_OPTIONS = ReceiptOptions()


def receipt_qr(receipt_no: str) -> str:
    # Upper case, digits and ":-" only: QR alphanumeric mode keeps the code small, and
    # the scan parser repairs what a keyboard layout or IME changes (":" differs between
    # US and JIS layouts; an IME may turn characters full width).
    return f"TR:{receipt_no}".upper()


def receipt_to_dict(receipt: Receipt) -> dict[str, Any]:
    return asdict(receipt)


def receipt_from_dict(data: Mapping[str, Any]) -> Receipt:
    """The receipt a stored dict describes. Keys this version does not know (written by a
    newer one) are ignored, so an old register can still reprint; a dict with no lines
    at all is not a receipt and raises ValueError."""

    def lines(key: str) -> tuple[ReceiptLine, ...]:
        return tuple(ReceiptLine(**{k: v for k, v in line.items() if k in _LINE_FIELDS})
                     for line in data.get(key) or ())

    if not data.get("header") and not data.get("body"):
        raise ValueError("the stored receipt has no lines")
    extra = {k: v for k, v in data.items() if k in _RECEIPT_FIELDS and k not in _LINE_KEYS}
    return Receipt(header=lines("header"), body=lines("body"), footer=lines("footer"), **extra)


def stored_receipt_no(data: Mapping[str, Any]) -> str:
    """The transaction number of a stored receipt, also for models stored before the
    number was a field of its own (it is then read back from the QR payload)."""
    number = data.get("receipt_no")
    if number:
        return str(number)
    payload = str(data.get("qr_payload") or "")
    return payload.removeprefix("TR:") if payload.startswith("TR:") else ""


def with_store_lines(receipt: Receipt, options: ReceiptOptions) -> Receipt:
    """`receipt` as the store prints it: its lines under the store name, its footer line
    after the program's footer.

    The store name is the leading large rows of every layout's header (text.header_lines;
    none when the name is empty), so the lines go right after them, above the date.
    """
    if not options.header_lines and not options.footer_line:
        return receipt
    name_rows = 0
    while name_rows < len(receipt.header) and receipt.header[name_rows].size == "large":
        name_rows += 1
    header = (*receipt.header[:name_rows],
              *(ReceiptLine(line, align="center") for line in options.header_lines),
              *receipt.header[name_rows:])
    footer = receipt.footer
    if options.footer_line:
        footer = (*footer, ReceiptLine(options.footer_line, align="center"))
    return replace(receipt, header=header, footer=footer)


def build_reprint(stored: Mapping[str, Any], *, reprinted_at: datetime, tz: tzinfo,
                  options: ReceiptOptions = NO_OPTIONS) -> Receipt:
    """A copy of a stored receipt, marked 再発行 at the top and the bottom with the time
    it was reprinted. Everything else is as issued, points and marks included: a reprint
    restates that moment, not today's balance. The store's lines are today's (`options`),
    as on every receipt the store prints."""
    original = with_store_lines(receipt_from_dict(stored), options)
    banner = ReceiptLine(REPRINT_MARK, bold=True, size="large", align="center")
    header = (
        banner,
        ReceiptLine(f"再発行 {when_text(reprinted_at, tz)}", align="center"),
        ReceiptLine(""),
        *original.header,
    )
    footer = (
        *original.footer,
        ReceiptLine("内容はお取引時点のものです", align="center"),
        ReceiptLine(REPRINT_MARK, bold=True, align="center"),
    )
    return Receipt(header=header, body=original.body, qr_payload=original.qr_payload,
                   footer=footer, kind="reprint", receipt_no=stored_receipt_no(stored),
                   issued_at=reprinted_at.isoformat())


def build_store_copy(stored: Mapping[str, Any], *,
                     options: ReceiptOptions = NO_OPTIONS) -> Receipt:
    """The store's copy of a receipt (お店控え), printed right after the member's: the same
    receipt, marked at the top and at the bottom so neither half of it can pass for the
    member's receipt (a return's copy handed over instead of the receipt, say)."""
    original = with_store_lines(receipt_from_dict(stored), options)
    header = (ReceiptLine(STORE_COPY_MARK, bold=True, size="large", align="center"),
              ReceiptLine(""), *original.header)
    footer = (*original.footer, ReceiptLine(STORE_COPY_MARK, bold=True, align="center"))
    return replace(original, header=header, footer=footer, kind="store_copy",
                   receipt_no=stored_receipt_no(stored))
