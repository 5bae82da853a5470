"""Finding member QR codes in camera frames (the frames themselves come from desktop/).

`decode_qr_frame` looks for QR codes only: asking zxing-cpp for one format is some ten
times faster than for all of them, and a member's app shows nothing else. It takes a PIL
image, or any grey (H×W) or BGR (H×W×3) array that exposes the buffer protocol (a numpy
array, a ``memoryview`` cast to that shape), and also works on rotated, scaled and noisy
frames.
"""

from __future__ import annotations

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
