"""POS link: a POS register beside the counter hands its sales to Tamaru and gets back the
member's points and discount (local HTTP API on 127.0.0.1, or a file-drop folder).

Qt-free. `broker` keeps the requests and their answers; `server` and `filedrop` are the
two ways in; `counter_adapter` is the narrow interface to the counter flow; `link` starts
them together. See docs/pos-link.md.
"""

from desktop.poslink.broker import Change, PosBroker, confirmation_ref, read_stamp, return_ref
from desktop.poslink.counter_adapter import (
    PosCounterBridge,
    PosLinkedStore,
    PosReturn,
    PosSale,
    register_receipt_finder,
)
from desktop.poslink.link import PosLink, PosLinkConfig
from desktop.poslink.models import PosError, PosReturnRequest, PosSaleRequest

__all__ = [
    "Change", "PosBroker", "PosCounterBridge", "PosError", "PosLink", "PosLinkConfig",
    "PosLinkedStore", "PosReturn", "PosReturnRequest", "PosSale", "PosSaleRequest",
    "confirmation_ref", "read_stamp", "register_receipt_finder", "return_ref",
]
