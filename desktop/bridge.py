"""Core events re-emitted as Qt signals, so every handler runs on the GUI thread.

Core code (counter flow, staff session, sync client, print queue) announces events on an
`EventBus` from whatever thread it runs on; Qt queues each signal to the receiver's
thread. `on_result` does the same for one Future: a widget that started an operation
(a sign-in, a manager approval) gets its result on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from sync.events import EventBus

# Each bus event with the same name as a signal below is forwarded to it.
FORWARDED = (
    "member_shown", "counter_message", "counter_busy", "counter_reset", "sale_recorded",
    "receipt_image", "receipt_printed", "print_failed", "print_waiting", "print_retrying",
    "online_changed", "synced", "op_rejected", "cards_changed", "bootstrap_progress",
    "push_progress", "staff_changed", "sign_in_refused", "sync_halted", "op_parked",
    "op_parked_overdue", "parked_changed", "parked_resolved", "reader_added", "reader_removed",
)


class QtBridge(QObject):
    member_shown = Signal(object)
    counter_message = Signal(object, str)  # a str or a flows Message (translatable), level
    counter_busy = Signal(object)
    counter_reset = Signal()
    sale_recorded = Signal(object)
    receipt_image = Signal(bytes)
    receipt_printed = Signal(str)
    print_failed = Signal(str, str)
    print_waiting = Signal(str, str)
    print_retrying = Signal(str, str, int)
    online_changed = Signal(bool, object)  # reason: a str or a Message (translatable)
    synced = Signal(object, int)
    op_rejected = Signal(str, str)
    cards_changed = Signal(object)
    bootstrap_progress = Signal(int, bool)  # changes so far, more to come
    push_progress = Signal(int, object)  # ops sent so far, outbox counts
    staff_changed = Signal(object)  # StaffView or None
    sign_in_refused = Signal(object)  # SignInRefusal
    # The sync client stopped until someone acts (a refused or revoked register token,
    # a feed that went back): its reason.
    sync_halted = Signal(object)  # reason: a str or a Message
    # Returns HQ holds until their sale arrives (sync.client_checks.watch_parked):
    op_parked = Signal(str, str)  # op id, member id
    op_parked_overdue = Signal(str, str, object, object)  # op id, member, since, sale op id
    parked_changed = Signal(object)  # ParkedStatus: how many, and the overdue ones
    parked_resolved = Signal(str, str, object)  # op id, HQ's status, its reason (or None)
    reader_added = Signal(str, str, bool)  # reader name, its spec, whether the counter's
    reader_removed = Signal(str, str, bool)

    def __init__(self, events: EventBus) -> None:
        super().__init__()
        self.events = events
        for name in FORWARDED:
            events.subscribe(name, getattr(self, name).emit)


class _Relay(QObject):
    done = Signal(object)


_pending: set[_Relay] = set()


def on_result(future: Future[Any], callback: Callable[[Future[Any]], None]) -> None:
    """Call `callback(future)` on the GUI thread once `future` is done.

    Create this from the GUI thread: the relay lives there, and a signal emitted from the
    worker thread is queued to it.
    """
    relay = _Relay()
    _pending.add(relay)

    def deliver(f: Future[Any]) -> None:
        _pending.discard(relay)
        relay.deleteLater()
        callback(f)

    relay.done.connect(deliver)
    future.add_done_callback(relay.done.emit)
