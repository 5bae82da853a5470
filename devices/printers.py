"""Receipt printers: the interface the app prints through, and its implementations.

``print_receipt`` blocks until the job has reached the printer; the app calls it on its
print thread. Every failure comes out as PrinterError with a Japanese ``reason`` the
cashier can act on. ``status()`` (or `query_printer_status`, which never raises) says
what the printer reports about itself, for the settings screen.

Here: the simulator, network (raw port 9100) and file/device printers. Serial and USB
printers live in devices/printer_serial.py and devices/printer_usb.py; `open_printer`
(devices/printer_specs.py) opens any of them from the spec string kept in settings.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import stat
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from devices.escpos_out import (
    COLUMNS_58MM,
    COLUMNS_80MM,
    DEFAULT_PROFILE,
    escpos_kanji,
    escpos_raster,
    profile_columns,
    profile_width_px,
)
from devices.fonts import FontNotFoundError
from devices.printer_status import (
    REASON_BUSY,
    REASON_CONNECTION_LOST,
    REASON_COVER_OPEN,
    REASON_NO_ANSWER,
    REASON_NO_FONT,
    REASON_NO_PERMISSION,
    REASON_NOT_FOUND,
    REASON_OFFLINE,
    REASON_PAPER_OUT,
    REASON_PRINTER_FAULT,
    REASON_UNREACHABLE,
    REASON_USB_SUPPORT_MISSING,
    STATUS_OFFLINE_CAUSE,
    STATUS_PAPER,
    STATUS_PRINTER,
    STATUS_QUERY,
    PrinterError,
    PrinterStatus,
    check_status,
    reason_status,
    status_from_answers,
    status_query,
)
from devices.receipt import Receipt
from devices.receipt_raster import WIDTH_58MM, WIDTH_80MM, render_png

__all__ = [
    "REASON_BUSY",
    "REASON_CONNECTION_LOST",
    "REASON_COVER_OPEN",
    "REASON_NO_ANSWER",
    "REASON_NO_FONT",
    "REASON_NO_PERMISSION",
    "REASON_NOT_FOUND",
    "REASON_OFFLINE",
    "REASON_PAPER_OUT",
    "REASON_PRINTER_FAULT",
    "REASON_UNREACHABLE",
    "REASON_USB_SUPPORT_MISSING",
    "STATUS_QUERY",
    "EscposFormat",
    "EscposPrinter",
    "FilePrinter",
    "NetworkPrinter",
    "Printer",
    "PrinterError",
    "PrinterStatus",
    "SimulatedPrinter",
    "open_printer",
    "query_printer_status",
]

PrintMode = Literal["raster", "kanji"]

# Paper widths by the roll's nominal size: printable dots at 180 dpi, and kanji-mode
# columns of 12-dot half-width characters.
PAPER_WIDTH_PX = {58: WIDTH_58MM, 80: WIDTH_80MM}
PAPER_COLUMNS = {58: COLUMNS_58MM, 80: COLUMNS_80MM}
_MIN_WIDTH_PX = 160

# Linux lp ioctl: the IEEE 1284 status byte, where 0x20 means paper out.
_LPGETSTATUS = 0x060B
_LP_PAPER_OUT = 0x20


class Printer(Protocol):
    """Anything that prints receipts; called from the print thread, one job at a time."""

    name: str

    def print_receipt(self, receipt: Receipt) -> None: ...


def query_printer_status(printer: Printer) -> PrinterStatus:
    """What the printer reports now; never raises. Blocks (up to the printer's timeouts):
    call it off the GUI thread. Every printer here has ``status()``; one that has not is
    taken as reachable and silent."""
    status = getattr(printer, "status", None)
    if status is None:
        return PrinterStatus(printer.name, reachable=True)
    try:
        result: PrinterStatus = status()
    except PrinterError as exc:
        return PrinterStatus.unreachable(printer.name, exc)
    return result


@dataclass(frozen=True)
class EscposFormat:
    """How a receipt becomes ESC/POS bytes for one printer model."""

    mode: PrintMode = "raster"
    width_px: int = WIDTH_80MM
    profile: str = DEFAULT_PROFILE
    columns: int = COLUMNS_80MM

    def __post_init__(self) -> None:
        if self.mode not in ("raster", "kanji"):
            raise ValueError(f"print mode must be 'raster' or 'kanji', not {self.mode!r}")
        if self.mode == "raster":
            limit = profile_width_px(self.profile)
            if limit is not None and self.width_px > limit:
                raise ValueError(
                    f"width {self.width_px} px is wider than the {self.profile}'s {limit} dots"
                )
            if self.width_px < _MIN_WIDTH_PX:
                raise ValueError(f"width {self.width_px} px is too narrow for a receipt")

    @classmethod
    def choose(
        cls,
        mode: PrintMode = "raster",
        profile: str = DEFAULT_PROFILE,
        *,
        width_px: int | None = None,
        columns: int | None = None,
        paper_mm: int | None = None,
    ) -> EscposFormat:
        """The format for a printer model: widths from the paper size when given, else
        from the profile's media width where python-escpos knows it, else 80 mm."""
        if paper_mm is not None and paper_mm not in PAPER_WIDTH_PX:
            raise ValueError(f"paper={paper_mm}: expected 58 or 80 (mm)")
        if width_px is None:
            if paper_mm is not None:
                width_px = PAPER_WIDTH_PX[paper_mm]
            else:
                width_px = profile_width_px(profile) or WIDTH_80MM
        if columns is None:
            if paper_mm is not None:
                columns = PAPER_COLUMNS[paper_mm]
            else:
                # The profile's font A columns where its width is the one printed on;
                # otherwise 12 dots per half-width column.
                known = profile_columns(profile)
                full_width = profile_width_px(profile) in (None, width_px)
                columns = known if known is not None and full_width else width_px // 12
        return cls(mode, width_px, profile, max(columns, 16))

    def encode(self, receipt: Receipt) -> bytes:
        if self.mode == "kanji":
            return escpos_kanji(receipt, self.columns, self.profile)
        try:
            return escpos_raster(receipt, self.width_px, self.profile)
        except FontNotFoundError as exc:
            raise PrinterError(REASON_NO_FONT, str(exc)) from exc


class SimulatedPrinter:
    """A printer without hardware: keeps the PNG of every receipt it "prints".

    ``fail_with`` makes the following jobs fail the way real printers do, so the app's
    handling of a failed print can be exercised without a printer.
    """

    def __init__(
        self,
        width_px: int = WIDTH_80MM,
        on_printed: Callable[[bytes], None] | None = None,
        name: str = "simulated",
    ) -> None:
        self.name = name
        self.width_px = width_px
        self.on_printed = on_printed
        self.printed: list[bytes] = []
        self.last_png: bytes | None = None
        self._failure: str | None = None
        self._lock = threading.Lock()

    def fail_with(self, reason: str | None) -> None:
        """Fail every job with ``reason`` from now on; None prints again."""
        with self._lock:
            self._failure = reason

    def status(self) -> PrinterStatus:
        with self._lock:
            return reason_status(self.name, self._failure)

    def print_receipt(self, receipt: Receipt) -> None:
        with self._lock:
            if self._failure is not None:
                raise PrinterError(self._failure, "simulated failure")
            try:
                png = render_png(receipt, self.width_px)
            except FontNotFoundError as exc:
                raise PrinterError(REASON_NO_FONT, str(exc)) from exc
            self.printed.append(png)
            self.last_png = png
            callback = self.on_printed
        if callback is not None:
            callback(png)


class EscposPrinter(ABC):
    """A real printer: encodes the receipt for its model, then sends the bytes."""

    name: str

    def __init__(self, fmt: EscposFormat) -> None:
        self.format = fmt
        # Two jobs must never interleave on one device.
        self._lock = threading.Lock()

    def print_receipt(self, receipt: Receipt) -> None:
        job = self.format.encode(receipt)
        with self._lock:
            self.send(job)

    def status(self) -> PrinterStatus:
        # A status query must not land in the middle of a job's bytes.
        with self._lock:
            return self.query_status()

    @abstractmethod
    def send(self, job: bytes) -> None:
        """Deliver an encoded job; raise PrinterError on any failure."""

    @abstractmethod
    def query_status(self) -> PrinterStatus:
        """Ask the printer for its state; raise PrinterError when it cannot be reached."""


class NetworkPrinter(EscposPrinter):
    """An Ethernet/Wi-Fi printer on its raw port (9100).

    Before a job it asks the printer's real-time status (paper, cover, error); after the
    job it asks again, and that answer arriving proves every byte got through. A printer
    that never answers status queries is remembered as such and then only watched for
    a dropped connection.
    """

    def __init__(
        self,
        host: str,
        port: int = 9100,
        mode: PrintMode = "raster",
        timeout: float = 10.0,
        *,
        width_px: int = WIDTH_80MM,
        columns: int = COLUMNS_80MM,
        profile: str = DEFAULT_PROFILE,
        status: bool = True,
        status_timeout: float = 1.0,
        close_grace: float = 0.2,
    ) -> None:
        super().__init__(EscposFormat(mode, width_px, profile, columns))
        self.host = host
        self.port = port
        self.timeout = timeout
        self.name = f"network:{host}:{port}"
        self.status_timeout = min(status_timeout, timeout)
        self._answers_status: bool | None = None if status else False
        # After a job to a printer that does not answer status, how long to wait for a
        # reset showing that it dropped the connection mid-job.
        self.close_grace = close_grace

    def send(self, job: bytes) -> None:
        where = f"{self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except TimeoutError as exc:
            raise PrinterError(
                REASON_UNREACHABLE, f"{where}: no answer in {self.timeout} s"
            ) from exc
        except OSError as exc:
            raise PrinterError(REASON_UNREACHABLE, f"{where}: {exc}") from exc
        with sock:
            if self._answers_status is not False:
                status = self._query_status(sock, self.status_timeout)
                self._answers_status = status is not None
                if status is not None:
                    check_status(status, "before printing")
            try:
                sock.sendall(job)
            except TimeoutError as exc:
                raise PrinterError(REASON_NO_ANSWER, f"{where}: send timed out") from exc
            except OSError as exc:
                raise PrinterError(REASON_CONNECTION_LOST, f"{where}: {exc}") from exc
            if self._answers_status:
                status = self._query_status(sock, self.timeout)
                if status is None:
                    raise PrinterError(REASON_NO_ANSWER, f"{where}: no status after the job")
                check_status(status, "after printing")
            else:
                self._watch_close(sock, self.close_grace, where)

    def query_status(self) -> PrinterStatus:
        where = f"{self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise PrinterError(REASON_UNREACHABLE, f"{where}: {exc}") from exc
        with sock:
            answers: dict[int, int | None] = {}
            for n in (STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_PAPER):
                answers[n] = self._query_status(sock, self.status_timeout, status_query(n))
                if answers[n] is None:
                    break  # one silence is enough: it does not answer status
        return status_from_answers(self.name, answers)

    def _query_status(
        self, sock: socket.socket, wait: float, query: bytes = STATUS_QUERY
    ) -> int | None:
        """The status byte, or None when the printer does not answer within ``wait``."""
        where = f"{self.host}:{self.port}"
        try:
            sock.sendall(query)
            sock.settimeout(wait)
            answer = sock.recv(64)
            if not answer:
                raise PrinterError(
                    REASON_CONNECTION_LOST, f"{where}: printer closed the connection"
                )
            # A raster image can contain the query's bytes and draw an extra answer;
            # ours is the last one to arrive.
            sock.setblocking(False)
            try:
                while more := sock.recv(64):
                    answer += more
            except BlockingIOError:
                pass
            return answer[-1]
        except TimeoutError:
            return None
        except OSError as exc:
            raise PrinterError(REASON_CONNECTION_LOST, f"{where}: {exc}") from exc
        finally:
            sock.settimeout(self.timeout)  # the job itself is sent blocking again

    @staticmethod
    def _watch_close(sock: socket.socket, grace: float, where: str) -> None:
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(grace)
            sock.recv(64)
        except TimeoutError:
            pass  # still connected: it took everything
        except OSError as exc:
            raise PrinterError(REASON_CONNECTION_LOST, f"{where}: {exc}") from exc


class FilePrinter(EscposPrinter):
    """A printer behind a device file (/dev/usb/lp0), or a plain file to capture jobs."""

    def __init__(
        self,
        path: str,
        mode: PrintMode = "raster",
        timeout: float = 10.0,
        *,
        width_px: int = WIDTH_80MM,
        columns: int = COLUMNS_80MM,
        profile: str = DEFAULT_PROFILE,
    ) -> None:
        super().__init__(EscposFormat(mode, width_px, profile, columns))
        self.path = path
        self.timeout = timeout
        self.name = f"file:{path}"

    def send(self, job: bytes) -> None:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
        # A file created under /dev would swallow receipts while the printer is unplugged.
        if not self.path.startswith("/dev/"):
            flags |= os.O_CREAT
        try:
            fd = os.open(self.path, flags, 0o644)
        except FileNotFoundError as exc:
            raise PrinterError(REASON_NOT_FOUND, f"{self.path}: {exc}") from exc
        except PermissionError as exc:
            raise PrinterError(REASON_NO_PERMISSION, f"{self.path}: {exc}") from exc
        except OSError as exc:
            raise PrinterError(REASON_UNREACHABLE, f"{self.path}: {exc}") from exc
        is_device = False
        try:
            is_device = stat.S_ISCHR(os.fstat(fd).st_mode)
            if is_device and _lp_paper_out(fd):
                raise PrinterError(REASON_PAPER_OUT, f"{self.path}: lp status paper out")
            self._write_all(fd, job)
        except OSError as exc:
            if is_device and exc.errno == errno.ENOSPC:  # how the usblp driver says paper out
                raise PrinterError(REASON_PAPER_OUT, f"{self.path}: {exc}") from exc
            raise PrinterError(REASON_CONNECTION_LOST, f"{self.path}: {exc}") from exc
        finally:
            os.close(fd)

    def query_status(self) -> PrinterStatus:
        try:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError as exc:
            raise PrinterError(REASON_NOT_FOUND, f"{self.path}: {exc}") from exc
        except PermissionError as exc:
            raise PrinterError(REASON_NO_PERMISSION, f"{self.path}: {exc}") from exc
        except OSError as exc:
            raise PrinterError(REASON_UNREACHABLE, f"{self.path}: {exc}") from exc
        try:
            if not stat.S_ISCHR(os.fstat(fd).st_mode):
                # A capture file: always "there", never says anything.
                return PrinterStatus(self.name, reachable=True)
            if _lp_paper_out(fd):
                return PrinterStatus(
                    self.name,
                    reachable=True,
                    answered=True,
                    paper_out=True,
                    reason=REASON_PAPER_OUT,
                    detail="lp status paper out",
                )
            return PrinterStatus(self.name, reachable=True)
        finally:
            os.close(fd)

    def _write_all(self, fd: int, job: bytes) -> None:
        # Non-blocking writes with a deadline: a switched-off USB printer would otherwise
        # hang the print thread for good.
        view = memoryview(job)
        deadline = time.monotonic() + self.timeout
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PrinterError(REASON_NO_ANSWER, f"{self.path}: write timed out")
            if os.name == "posix":
                select.select([], [fd], [], remaining)
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                continue
            view = view[written:]


def _lp_paper_out(fd: int) -> bool:
    try:
        import fcntl

        raw = fcntl.ioctl(fd, _LPGETSTATUS, struct.pack("i", 0))
    except (ImportError, OSError):
        return False  # not a Linux lp device: nothing to ask
    return bool(struct.unpack("i", raw)[0] & _LP_PAPER_OUT)


def open_printer(spec: str) -> Printer:
    """The printer a spec string names (see devices/printer_specs.py); ValueError when bad."""
    from devices.printer_specs import open_printer as open_from_spec

    return open_from_spec(spec)
