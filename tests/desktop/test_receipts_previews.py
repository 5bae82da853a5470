"""The receipt previews committed in docs/screenshots/ are what the layouts draw now.

A layout change that forgets the previews fails here, saying how to redraw them:
``.venv/bin/python -m desktop.receipts.samples docs/screenshots`` (then look at them).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from desktop.receipts.samples import LAYOUTS, PREVIEW_WIDTHS, previews
from tests.support.escpos_decode import read_qr_codes

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REGENERATE = ".venv/bin/python -m desktop.receipts.samples docs/screenshots"
DRAWN = previews()


def test_every_layout_has_a_preview_on_both_papers() -> None:
    expected = {f"receipt-{name}{suffix}.png" for name in LAYOUTS for suffix in PREVIEW_WIDTHS}
    assert set(DRAWN) == expected
    committed = {path.name for path in SCREENSHOTS.glob("receipt-*.png")}
    assert committed == expected, f"previews missing or left over; run {REGENERATE}"


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_the_committed_preview_is_what_the_layout_draws(name: str) -> None:
    committed = Image.open(SCREENSHOTS / name)
    drawn = Image.open(io.BytesIO(DRAWN[name]))
    width = PREVIEW_WIDTHS["-58mm" if name.endswith("-58mm.png") else ""]
    assert drawn.width == width
    assert committed.size == drawn.size, f"{name} is stale; run {REGENERATE}"
    changed = ImageChops.difference(committed.convert("L"), drawn.convert("L")).getbbox()
    assert changed is None, f"{name} differs in {changed}; run {REGENERATE}"
    number = read_qr_codes(committed)
    assert len(number) == 1 and number[0].startswith("TR:R02-")
