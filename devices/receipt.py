"""The receipt as a structured model, independent of how it is printed or shown.

Renderers (raster image, ESC/POS kanji text, PNG preview) all take this model, so every
output says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class ReceiptLine:
    """One line: text on the left, optionally a value flush right (an amount, points)."""

    left: str
    right: str = ""
    bold: bool = False
    size: Literal["normal", "large"] = "normal"
    align: Literal["left", "center"] = "left"


@dataclass(frozen=True)
class Receipt:
    """What a receipt says, top to bottom: header, body lines, QR code, footer."""

    header: tuple[ReceiptLine, ...]
    body: tuple[ReceiptLine, ...]
    qr_payload: str | None = None
    footer: tuple[ReceiptLine, ...] = field(default_factory=tuple)
    # What the renderers ignore but a print queue and a reprint need: which layout made
    # it ("sale", "return", "adjust", "reprint"), its transaction number, and when it was
    # issued (ISO 8601 with offset). Empty in models stored before they existed.
    kind: str = ""
    receipt_no: str = ""
    issued_at: str = ""

    def lines(self) -> tuple[ReceiptLine, ...]:
        return self.header + self.body + self.footer
