"""Reader hot-plug: list the readers on a schedule and report which came and went.

`ReaderWatcher` asks an enumeration (by default every driver in a registry, so the PC/SC
readers and the simulator are found the same way) every ``interval`` seconds on a daemon
thread of its own, and reports the difference as ReaderAdded / ReaderRemoved. The readers
present when it starts are reported as added, so a settings screen builds its list from
the events alone. pcscd stopping looks like every PC/SC reader being unplugged, and its
return like them being plugged in again.

Polling, rather than PC/SC's own reader-change notification, keeps every driver on one
path; listing readers costs pcscd well under a millisecond.

The watcher and the reader the app opens (`DeviceRegistry.open_reader`) see the same
readers: by default the watcher lists the app's own registry, and each event's ``spec``
opens exactly that reader. The reader itself reports its own outages and returns
(ReaderError / ReaderReady, devices/cards.py); the watcher reports the list. `concerns`
says whether a list event is about the reader a settings spec opens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from devices.cards import ReaderAdded, ReaderListCallback, ReaderListEvent, ReaderRemoved
from devices.registry import DeviceRegistry, ReaderInfo, default_registry

log = logging.getLogger(__name__)

Enumerate = Callable[[], Sequence[ReaderInfo]]


class ReaderWatcher:
    """Reports readers appearing and disappearing; events arrive on the watcher's thread."""

    def __init__(
        self,
        enumerate: Enumerate | DeviceRegistry | None = None,
        *,
        interval: float = 1.0,
    ) -> None:
        if enumerate is None:
            enumerate = default_registry()
        if isinstance(enumerate, DeviceRegistry):
            enumerate = enumerate.readers
        self._enumerate: Enumerate = enumerate
        self.interval = interval
        self._on_event: ReaderListCallback | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._known: list[ReaderInfo] = []

    def start(self, on_event: ReaderListCallback) -> None:
        if self._thread is not None:
            raise RuntimeError("the reader watcher is already started")
        self._on_event = on_event
        self._stopping.clear()
        with self._lock:
            self._known = []
        self._thread = threading.Thread(target=self._run, name="reader-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        self._wake.set()
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("reader watcher did not stop within %.1f s", timeout)

    def check_now(self) -> None:
        """Look at the readers now rather than at the next tick (e.g. a settings screen opened)."""
        self._wake.set()

    @property
    def readers(self) -> list[ReaderInfo]:
        """The readers seen at the last look."""
        with self._lock:
            return list(self._known)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before looking, so a check_now() during the look is kept
            self._look()
            self._wake.wait(self.interval)

    def _look(self) -> None:
        try:
            now = list(dict.fromkeys(self._enumerate()))  # one entry per reader, in order
        except Exception:
            # A failed look proves nothing about the readers: keep the last list.
            log.exception("could not list card readers")
            return
        with self._lock:
            before, self._known = self._known, now
        events: list[ReaderListEvent] = [
            ReaderRemoved(info.name, info.spec) for info in before if info not in now
        ]
        events += [ReaderAdded(info.name, info.spec) for info in now if info not in before]
        for event in events:
            self._emit(event)

    def _emit(self, event: ReaderListEvent) -> None:
        if self._stopping.is_set() or self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            log.exception("reader event handler failed on %r", event)


def concerns(spec: str, event: ReaderListEvent) -> bool:
    """Whether a reader coming or going is about the reader ``spec`` (a setting) opens.

    ``"pcsc:<name>"`` is that one reader. A bare driver name (``"pcsc"``, ``"simulated"``)
    opens whichever reader of the driver is first when it looks, so every reader of that
    driver concerns it.
    """
    # A card profile after "?" says how cards are read, not which reader.
    driver, colon, target = spec.strip().partition("?")[0].partition(":")
    event_driver, _, event_target = event.spec.partition(":")
    if driver != event_driver:
        return False
    return not colon or not target or target == event_target
