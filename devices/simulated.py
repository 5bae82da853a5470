"""Simulated devices for demos, development without hardware, and tests.

`SimulatedReader` is a card reader whose taps come from code (a developer menu, a test)
instead of a card. It reports through the same callback as a PC/SC reader, and on a thread
of its own, so the app's threading is exercised exactly as with real hardware. It is
registered as the "simulated" card reader driver.
"""

from __future__ import annotations

import logging
import queue
import re
import threading

from devices.cards import (
    CardCallback,
    CardEvent,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.registry import DeviceRegistry, ReaderDriver

log = logging.getLogger(__name__)

SIMULATED_READER_NAME = "シミュレーター"

_UID = re.compile(r"[0-9A-F]+")


class SimulatedReader:
    """A card reader driven by `tap`, `remove` and `fail`; events arrive on its own thread.

    It follows the PC/SC reader's rules: ReaderReady on start, and a tap while a card is on
    the reader first reports that card removed.
    """

    def __init__(self, name: str = SIMULATED_READER_NAME) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[CardEvent | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._card_present = False

    # -- CardReader ------------------------------------------------------------------------

    def start(self, on_event: CardCallback) -> None:
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"card reader {self.name} is already started")
            self._queue = queue.SimpleQueue()
            self._card_present = False
            self._thread = threading.Thread(
                target=self._deliver,
                args=(self._queue, on_event),
                name=f"simulated-reader-{self.name}",
                daemon=True,
            )
            self._queue.put(ReaderReady(self.name))
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            # Events already queued are still delivered, as a real reader's would be.
            self._queue.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout)

    # -- what the simulator's user does ----------------------------------------------------

    def tap(self, uid: str) -> None:
        """Put a card with this UID (hex, separators allowed) on the reader."""
        normalized = re.sub(r"[\s:-]", "", uid).upper()
        if not normalized or len(normalized) % 2 or not _UID.fullmatch(normalized):
            raise ValueError(f"a card UID is an even number of hex digits, not {uid!r}")
        with self._lock:
            self._require_started()
            if self._card_present:
                self._queue.put(CardRemoved(self.name))
            self._card_present = True
            self._queue.put(CardPresented(self.name, normalized))

    def remove(self) -> None:
        """Take the card off the reader; nothing happens when there is none."""
        with self._lock:
            self._require_started()
            if self._card_present:
                self._card_present = False
                self._queue.put(CardRemoved(self.name))

    def fail(self, reason: str) -> None:
        """Report a reader error, as a real reader would for a bad read or a lost reader."""
        with self._lock:
            self._require_started()
            self._queue.put(ReaderError(self.name, reason))

    def _require_started(self) -> None:
        if self._thread is None:
            raise RuntimeError(f"card reader {self.name} is not started")

    # -- the reader thread -----------------------------------------------------------------

    @staticmethod
    def _deliver(events: queue.SimpleQueue[CardEvent | None], on_event: CardCallback) -> None:
        while (event := events.get()) is not None:
            try:
                on_event(event)
            except Exception:
                log.exception("card event handler failed on %r", event)


def register_reader_driver(registry: DeviceRegistry) -> None:
    """Make the simulated reader known to a registry as driver "simulated" (always one)."""
    registry.register_reader_driver(
        ReaderDriver(
            name="simulated",
            enumerate=lambda: [SIMULATED_READER_NAME],
            open=lambda name: SimulatedReader(name or SIMULATED_READER_NAME),
            description="simulated card reader",
        )
    )
