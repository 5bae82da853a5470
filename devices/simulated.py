"""Simulated devices for demos, development without hardware, and tests.

`SimulatedReader` is a card reader whose taps come from code (a developer menu, a test)
instead of a card; `SimulatedScanner` is a scanner whose scans come from code. Each reports
through the same callback as its real counterpart, and on a thread of its own, so the app's
threading is exercised exactly as with real hardware. They are registered as the
"simulated" card reader and scanner drivers.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from devices.card_profile import CardProfile
from devices.cards import (
    CardCallback,
    CardEvent,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.registry import DeviceRegistry, ReaderDriver, ScannerDriver
from devices.scanner import ScanCallback, ScanEvent, ScannerError, ScannerReady, ScanReceived

log = logging.getLogger(__name__)

SIMULATED_READER_NAME = "シミュレーター"
SIMULATED_SCANNER_NAME = "シミュレーター"

_Event = TypeVar("_Event")


class _Delivery(Generic[_Event]):
    """Events handed to a callback in order, on a thread of their own."""

    def __init__(self, on_event: Callable[[_Event], None], thread_name: str) -> None:
        self._queue: queue.SimpleQueue[_Event | None] = queue.SimpleQueue()
        self._on_event = on_event
        self.thread = threading.Thread(target=self._deliver, name=thread_name, daemon=True)

    def put(self, event: _Event) -> None:
        self._queue.put(event)

    def close(self) -> None:
        # Events already queued are still delivered, as a real device's would be.
        self._queue.put(None)

    def _deliver(self) -> None:
        while (event := self._queue.get()) is not None:
            try:
                self._on_event(event)
            except Exception:
                # Events hold card UIDs, member numbers and scanned codes: kind only.
                log.exception("device event handler failed on %s", type(event).__name__)


_UID = re.compile(r"[0-9A-F]+")


class SimulatedReader:
    """A card reader driven by `tap`, `remove` and `fail`; events arrive on its own thread.

    It follows the PC/SC reader's rules: ReaderReady on start, a tap while a card is on the
    reader first reports that card removed, and a member number is reported only by a
    reader opened with a card profile.
    """

    def __init__(
        self, name: str = SIMULATED_READER_NAME, profile: CardProfile | None = None
    ) -> None:
        self.name = name
        self.profile = profile
        self._lock = threading.Lock()
        self._delivery: _Delivery[CardEvent] | None = None
        self._card_present = False

    # -- CardReader ------------------------------------------------------------------------

    def start(self, on_event: CardCallback) -> None:
        with self._lock:
            if self._delivery is not None:
                raise RuntimeError(f"card reader {self.name} is already started")
            self._card_present = False
            self._delivery = _Delivery(on_event, f"simulated-reader-{self.name}")
            self._delivery.put(ReaderReady(self.name))
            self._delivery.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._lock:
            delivery, self._delivery = self._delivery, None
            if delivery is None:
                return
            delivery.close()
        if delivery.thread is not threading.current_thread():
            delivery.thread.join(timeout)

    # -- what the simulator's user does ----------------------------------------------------

    def tap(self, uid: str, member_no: str | None = None) -> None:
        """Put a card with this UID (hex, separators allowed) on the reader.

        ``member_no`` is what the card's member file holds; it is reported when the reader
        has a card profile, as a real reader would read it.
        """
        normalized = re.sub(r"[\s:-]", "", uid).upper()
        if not normalized or len(normalized) % 2 or not _UID.fullmatch(normalized):
            raise ValueError(f"a card UID is an even number of hex digits, not {uid!r}")
        with self._lock:
            delivery = self._require_started()
            if self._card_present:
                delivery.put(CardRemoved(self.name))
            self._card_present = True
            read = member_no if self.profile is not None else None
            delivery.put(CardPresented(self.name, normalized, read))

    def remove(self) -> None:
        """Take the card off the reader; nothing happens when there is none."""
        with self._lock:
            delivery = self._require_started()
            if self._card_present:
                self._card_present = False
                delivery.put(CardRemoved(self.name))

    def fail(self, reason: str) -> None:
        """Report a reader error, as a real reader would for a bad read or a lost reader."""
        with self._lock:
            self._require_started().put(ReaderError(self.name, reason))

    def _require_started(self) -> _Delivery[CardEvent]:
        if self._delivery is None:
            raise RuntimeError(f"card reader {self.name} is not started")
        return self._delivery


class SimulatedScanner:
    """A scanner driven by `scan` and `fail`; events arrive on its own thread."""

    def __init__(self, name: str = SIMULATED_SCANNER_NAME) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._delivery: _Delivery[ScanEvent] | None = None

    def start(self, on_event: ScanCallback) -> None:
        with self._lock:
            if self._delivery is not None:
                raise RuntimeError(f"scanner {self.name} is already started")
            self._delivery = _Delivery(on_event, f"simulated-scanner-{self.name}")
            self._delivery.put(ScannerReady(self.name))
            self._delivery.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._lock:
            delivery, self._delivery = self._delivery, None
            if delivery is None:
                return
            delivery.close()
        if delivery.thread is not threading.current_thread():
            delivery.thread.join(timeout)

    def scan(self, text: str) -> None:
        """Scan a code holding ``text`` (a member QR, a barcode)."""
        if not text:
            raise ValueError("a scanned code holds at least one character")
        with self._lock:
            self._require_started().put(ScanReceived(self.name, text))

    def fail(self, reason: str) -> None:
        """Report a scanner error, as a real scanner would when unplugged."""
        with self._lock:
            self._require_started().put(ScannerError(self.name, reason))

    def _require_started(self) -> _Delivery[ScanEvent]:
        if self._delivery is None:
            raise RuntimeError(f"scanner {self.name} is not started")
        return self._delivery


def register_reader_driver(registry: DeviceRegistry) -> None:
    """Make the simulated reader known to a registry as driver "simulated" (always one)."""
    registry.register_reader_driver(
        ReaderDriver(
            name="simulated",
            enumerate=lambda: [SIMULATED_READER_NAME],
            open=lambda name: SimulatedReader(name or SIMULATED_READER_NAME),
            open_with_profile=lambda name, profile: SimulatedReader(
                name or SIMULATED_READER_NAME, profile
            ),
            description="simulated card reader",
        )
    )


def _open_scanner(name: str | None, options: Mapping[str, str]) -> SimulatedScanner:
    if name not in (None, SIMULATED_SCANNER_NAME):
        raise ValueError(f"no simulated scanner named {name!r}")
    return SimulatedScanner()


def register_scanner_driver(registry: DeviceRegistry) -> None:
    """Make the simulated scanner known to a registry as driver "simulated" (always one)."""
    registry.register_scanner_driver(
        ScannerDriver(
            name="simulated",
            enumerate=lambda: [SIMULATED_SCANNER_NAME],
            open=_open_scanner,
            description="simulated scanner",
        )
    )
