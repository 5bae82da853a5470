"""What receipts say: one layout per op kind, built from the facts of the committed op.

- `build_sale_receipt` (desktop/receipts/sale.py): a sale, earn and/or redeem;
- `build_return_receipt`, `build_adjust_receipt` (desktop/receipts/corrections.py);
- `build_reprint` (desktop/receipts/model.py): a stored receipt again, marked 再発行;
- `with_store_lines`, `build_store_copy` (desktop/receipts/model.py): what the print queue
  adds when it prints, the store's `ReceiptOptions` (desktop/receipts/options.py): lines
  under the store name, a footer line, and a copy for the store (お店控え).

The model is stored with the op (as a dict) so any receipt can be reprinted exactly.
docs/receipts.md describes each layout and what it deliberately leaves out.
"""

from __future__ import annotations

from desktop.receipts.buckets import Bucket, Holdings, holdings_after_sale
from desktop.receipts.corrections import (
    AdjustFacts,
    ReturnFacts,
    build_adjust_receipt,
    build_return_receipt,
)
from desktop.receipts.model import (
    build_reprint,
    build_store_copy,
    receipt_from_dict,
    receipt_qr,
    receipt_to_dict,
    stored_receipt_no,
    with_store_lines,
)
from desktop.receipts.options import ReceiptOptions, receipt_options
from desktop.receipts.sale import build_sale_receipt
from desktop.receipts.text import (
    PROVISIONAL_MARK,
    REPRINT_MARK,
    STORE_COPY_MARK,
    pts,
    signed_pts,
    yen,
)

__all__ = [
    "PROVISIONAL_MARK",
    "REPRINT_MARK",
    "STORE_COPY_MARK",
    "AdjustFacts",
    "Bucket",
    "Holdings",
    "ReceiptOptions",
    "ReturnFacts",
    "build_adjust_receipt",
    "build_reprint",
    "build_return_receipt",
    "build_sale_receipt",
    "build_store_copy",
    "holdings_after_sale",
    "pts",
    "receipt_from_dict",
    "receipt_options",
    "receipt_qr",
    "receipt_to_dict",
    "signed_pts",
    "stored_receipt_no",
    "with_store_lines",
    "yen",
]
