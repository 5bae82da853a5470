"""Serial barcode/QR scanners: USB-COM (CDC-ACM, /dev/ttyACM*) and RS-232 (/dev/ttyS*, ttyUSB*).

A scanner in serial mode sends each code as bytes followed by a terminator (CR by
default; most models can be set to CR, LF or CR LF). `SerialScanner` reads the port on a
daemon thread of its own and reports ScanReceived for each code.

Like the card reader, it outlives its device: a port that is missing at start or
disappears (the USB cable pulled) gives one ScannerError per outage, the port is tried
again on a fixed schedule, and ScannerReady says it is back. Configure the port by a
stable name (/dev/serial/by-id/…) so a scanner plugged back into another USB socket is
found again.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Mapping

import serial
import serial.tools.list_ports

from devices.registry import DeviceRegistry, ScannerDriver
from devices.scanner import (
    REASON_SCAN_GARBLED,
    REASON_SCANNER_BUSY,
    REASON_SCANNER_LOST,
    REASON_SCANNER_NO_PERMISSION,
    REASON_SCANNER_NOT_FOUND,
    ScanCallback,
    ScanEvent,
    ScannerError,
    ScannerReady,
    ScanReceived,
)

log = logging.getLogger(__name__)

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
_READ_TIMEOUT = 0.05  # how often the thread looks at stop() while the line is idle
_MAX_CODE = 4096  # bytes without a terminator: a scanner set to another terminator


class SerialScanner:
    """One serial scanner on ``port``; events arrive on its own thread."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        terminator: bytes = b"\r",
        *,
        encoding: str = "utf-8",
        retry_interval: float = 1.0,
        name: str | None = None,
    ) -> None:
        if not terminator:
            raise ValueError("a serial scanner needs a terminator (CR, LF or CR LF)")
        self.port = port
        self.baudrate = baudrate
        self.terminator = terminator
        self.encoding = encoding
        self.retry_interval = retry_interval
        self.name = name or f"serial:{port}"
        self._on_event: ScanCallback | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._available: bool | None = None

    def start(self, on_event: ScanCallback) -> None:
        if self._thread is not None:
            raise RuntimeError(f"scanner {self.name} is already started")
        self._on_event = on_event
        self._stopping.clear()
        self._available = None
        self._thread = threading.Thread(
            target=self._run, name=f"serial-scanner-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("scanner thread %s did not stop within %.1f s", thread.name, timeout)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # -- the scanner thread --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                port = self._open()
            except OSError as exc:  # SerialException is an OSError and carries errno
                log.debug("scanner %s: %s", self.name, exc)
                self._unavailable(_open_reason(exc))
                self._stopping.wait(self.retry_interval)
                continue
            try:
                self._ready()
                self._read(port)
            except OSError as exc:
                # Unplugged: the port reads as "ready with no data" or fails with EIO.
                log.info("scanner %s lost: %s", self.name, exc)
                self._unavailable(REASON_SCANNER_LOST)
                self._stopping.wait(self.retry_interval)
            except Exception:
                log.exception("scanner %s failed; retrying", self.name)
                self._unavailable(REASON_SCANNER_LOST)
                self._stopping.wait(self.retry_interval)
            finally:
                try:
                    port.close()
                except OSError:
                    pass  # a port that vanished cannot be closed cleanly

    def _open(self) -> serial.Serial:
        # exclusive: a second program reading the same scanner would steal half the codes.
        return serial.Serial(self.port, self.baudrate, timeout=_READ_TIMEOUT, exclusive=True)

    def _read(self, port: serial.Serial) -> None:
        pending = b""
        while not self._stopping.is_set():
            chunk = port.read(max(1, port.in_waiting))
            if not chunk:
                continue
            pending += chunk
            *codes, pending = pending.split(self.terminator)
            for code in codes:
                self._code(code)
            if len(pending) > _MAX_CODE:
                log.warning("scanner %s: %d bytes without a terminator", self.name, len(pending))
                pending = b""
                self._emit(ScannerError(self.name, REASON_SCAN_GARBLED))

    def _code(self, raw: bytes) -> None:
        # A scanner set to CR LF while we split on CR leaves the LF at the next code's
        # start; stray line ends are never part of a code.
        raw = raw.strip(b"\r\n")
        if not raw:
            return
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError:
            # A code is a member's token or number: its length is enough to diagnose.
            log.info("scanner %s sent %d bytes that are not %s", self.name, len(raw),
                     self.encoding)
            self._emit(ScannerError(self.name, REASON_SCAN_GARBLED))
            return
        self._emit(ScanReceived(self.name, text))

    # -- reporting -----------------------------------------------------------------------------

    def _ready(self) -> None:
        if self._available:
            return
        self._available = True
        self._emit(ScannerReady(self.name))

    def _unavailable(self, reason: str) -> None:
        if self._available is False:
            return
        self._available = False
        self._emit(ScannerError(self.name, reason))

    def _emit(self, event: ScanEvent) -> None:
        if self._stopping.is_set():
            return
        callback = self._on_event
        if callback is None:
            return
        try:
            callback(event)
        except Exception:
            # The event holds the scanned code (a token, a member number): name it only.
            log.exception("scanner event handler failed on %s", type(event).__name__)


def _open_reason(exc: OSError) -> str:
    code = getattr(exc, "errno", None)
    if code in (errno.EACCES, errno.EPERM):
        return REASON_SCANNER_NO_PERMISSION
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
        return REASON_SCANNER_BUSY
    return REASON_SCANNER_NOT_FOUND


def list_serial_ports() -> list[str]:
    """Serial ports the system sees now (USB-COM, USB-serial adapters, built-in COM)."""
    return sorted(info.device for info in serial.tools.list_ports.comports())


def _baud_option(text: str | None) -> int:
    if text is None:
        return 9600
    if not text.isdigit() or not 300 <= int(text) <= 4_000_000:
        raise ValueError(f"scanner option baud={text!r}: expected a rate such as 9600 or 115200")
    return int(text)


def open_serial_scanner(port: str | None, options: Mapping[str, str]) -> SerialScanner:
    """The scanner a spec names: ``serial:PORT[?baud=9600&terminator=cr|lf|crlf]``."""
    if not port:
        raise ValueError("a serial scanner spec needs a port, e.g. serial:/dev/ttyACM0")
    terminator_name = options.get("terminator", "cr")
    if terminator_name not in TERMINATORS:
        raise ValueError(f"scanner option terminator={terminator_name!r}: expected cr, lf or crlf")
    return SerialScanner(port, _baud_option(options.get("baud")), TERMINATORS[terminator_name])


def register_scanner_driver(registry: DeviceRegistry) -> None:
    """Make serial scanners known to a registry as driver "serial", one entry per port."""
    registry.register_scanner_driver(
        ScannerDriver(
            name="serial",
            enumerate=list_serial_ports,
            open=open_serial_scanner,
            options=frozenset({"baud", "terminator"}),
            needs_target=True,
            description="serial (USB-COM / RS-232) barcode scanner",
        )
    )
