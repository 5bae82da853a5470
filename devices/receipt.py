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

    def lines(self) -> tuple[ReceiptLine, ...]:
        return self.header + self.body + self.footer
