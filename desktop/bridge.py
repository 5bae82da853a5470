"""Core events re-emitted as Qt signals, so every handler runs on the GUI thread.

Core code (counter flow, sync client, print queue) announces events on an `EventBus`
from whatever thread it runs on; Qt queues each signal to the receiver's thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from sync.events import EventBus


class QtBridge(QObject):
    member_shown = Signal(object)
    counter_message = Signal(str, str)
    counter_reset = Signal()
    sale_recorded = Signal(object)
    receipt_image = Signal(bytes)
    receipt_printed = Signal(str)
    print_failed = Signal(str, str)
    online_changed = Signal(bool, str)
    synced = Signal(object, int)
    op_rejected = Signal(str, str)
    cards_changed = Signal(object)

    def __init__(self, events: EventBus) -> None:
        super().__init__()
        for name in ("member_shown", "counter_message", "counter_reset", "sale_recorded",
                     "receipt_image", "receipt_printed", "print_failed", "online_changed",
                     "synced", "op_rejected", "cards_changed"):
            signal = getattr(self, name)
            events.subscribe(name, signal.emit)
