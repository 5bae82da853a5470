"""Named events that core code announces and the GUI (or a test) listens to.

Callbacks run on whichever thread announced the event; `desktop/bridge.py` turns them
into Qt signals so GUI handlers run on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[..., None]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, name: str, listener: Listener) -> None:
        with self._lock:
            self._listeners[name].append(listener)

    def unsubscribe(self, name: str, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners[name]:
                self._listeners[name].remove(listener)

    def emit(self, name: str, *args: Any) -> None:
        with self._lock:
            listeners = list(self._listeners[name])
        for listener in listeners:
            try:
                listener(*args)
            except Exception:
                # One broken listener must not stop a sale or a sync.
                log.exception("listener for %s failed", name)
