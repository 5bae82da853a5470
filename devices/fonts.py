"""Finding the Japanese font that receipts are drawn with.

Receipts are rasterised with Noto Sans CJK JP (Debian package fonts-noto-cjk). The
environment variable TAMARU_FONT points at another font file for stores whose machines
lay fonts out differently; ``path#index`` picks a face inside a .ttc collection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FONT_ENV = "TAMARU_FONT"
FONT_PACKAGE = "fonts-noto-cjk"

Weight = Literal["regular", "bold"]

# Face index 0 of the Noto CJK collections is the Japanese variant (JP glyph shapes for
# the characters that Chinese and Japanese share, e.g. 直 and 骨).
_DEBIAN_FONTS: dict[Weight, tuple[tuple[str, int], ...]] = {
    "regular": (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
        ("/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf", 0),
        ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 0),
        ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 0),
    ),
    "bold": (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 0),
        ("/usr/share/fonts/opentype/noto/NotoSansCJKjp-Bold.otf", 0),
        ("/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc", 0),
        ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 0),
    ),
}


class FontNotFoundError(RuntimeError):
    """No usable Japanese font: receipts cannot be drawn."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0
    # False when a bold face was asked for but only the regular one exists: the renderer
    # then thickens strokes itself.
    is_bold: bool = False


def _from_env(value: str) -> FontFile:
    path, sep, index = value.rpartition("#")
    if not sep or not index.isdigit():
        path, index = value, "0"
    if not Path(path).is_file():
        raise FontNotFoundError(
            f"{FONT_ENV}={value!r} does not name a font file. Point it at a Japanese "
            f"font (.ttc/.otf/.ttf), or unset it and install the Debian package {FONT_PACKAGE}."
        )
    return FontFile(path, int(index), is_bold=False)


def find_font(weight: Weight = "regular") -> FontFile:
    """The font file to draw receipts with; TAMARU_FONT wins over the Debian locations.

    Raises FontNotFoundError naming the package to install when nothing is found.
    """
    override = os.environ.get(FONT_ENV, "").strip()
    if override:
        return _from_env(override)
    for path, index in _DEBIAN_FONTS[weight]:
        if Path(path).is_file():
            return FontFile(path, index, is_bold=weight == "bold")
    if weight == "bold":
        return find_font("regular")
    tried = ", ".join(path for path, _ in _DEBIAN_FONTS["regular"])
    raise FontNotFoundError(
        f"No Japanese font found for receipts: install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE}) or set {FONT_ENV} to a font file. Tried: {tried}"
    )
