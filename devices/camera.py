"""Finding member QR codes in camera frames (the frames themselves come from desktop/).

`decode_qr_frame` looks for QR codes only: asking zxing-cpp for one format is some ten
times faster than for all of them, and a member's app shows nothing else. It takes a PIL
image, or any grey (H×W) or BGR (H×W×3) array that exposes the buffer protocol (a numpy
array, a ``memoryview`` cast to that shape), and also works on rotated, scaled and noisy
frames.

A code held up to a camera is read in frame after frame; `RepeatFilter` turns those reads
into one scan per presentation, as a handheld scanner gives one per trigger pull.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

_INSTALL_HINT = "camera scanning needs zxing-cpp (pip install zxing-cpp)"


def decode_qr_frame(image: Image.Image | Any) -> list[str]:
    """The texts of the QR codes in the frame, each once, in the order found; [] for none."""
    try:
        import zxingcpp
    except ImportError as exc:
        raise RuntimeError(_INSTALL_HINT) from exc
    from PIL import Image

    if isinstance(image, Image.Image) and image.mode not in ("L", "RGB"):
        # zxing-cpp reads 8-bit grey or RGB; a 1-bit or paletted frame is converted once.
        image = image.convert("L")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    texts: list[str] = []
    for barcode in found:
        if barcode.valid and barcode.text not in texts:
            texts.append(barcode.text)
    return texts


class RepeatFilter:
    """Lets each code through once while it stays in front of the camera. Not thread-safe.

    `fresh` passes a text the first time it is seen, and again only after it has been out
    of sight for longer than ``window`` seconds: every sighting restarts that code's
    window, so a phone held still for a minute is one scan, and a code shown again after
    a pause is a new one. The window must be longer than the longest gap between two
    decodes of a code in view (a blurred or dropped frame), and shorter than the time a
    cashier waits before showing the same code again on purpose.
    """

    def __init__(self, window: float = 2.0) -> None:
        if window <= 0:
            raise ValueError("the repeat window must be positive")
        self.window = window
        self._last_seen: dict[str, float] = {}

    def fresh(self, texts: Iterable[str], now: float) -> list[str]:
        """The texts among ``texts`` that count as new scans at time ``now`` (seconds)."""
        # Codes out of sight for a whole window are forgotten, so the table stays small.
        self._last_seen = {
            text: seen for text, seen in self._last_seen.items() if now - seen <= self.window
        }
        new: list[str] = []
        for text in texts:
            if text not in self._last_seen and text not in new:
                new.append(text)
            self._last_seen[text] = now
        return new

    def forget(self) -> None:
        """Treat every code as unseen (the camera was restarted, the screen changed)."""
        self._last_seen.clear()
