"""Receipt printers: the interface the app prints through, and its implementations.

``print_receipt`` blocks until the job has reached the printer; the app calls it on its
print thread. Every failure comes out as PrinterError with a Japanese ``reason`` the
cashier can act on. A printer is chosen by a spec string from the register's settings:

    simulated[?width=384]
    network:HOST[:PORT][?mode=kanji]
    file:/dev/usb/lp0[?mode=kanji]

with the options mode (raster | kanji), width (raster dots), columns (kanji mode),
profile (python-escpos profile) and timeout (seconds). Each scheme is one entry in
``_OPENERS``; a new connection type (USB, serial) is a subclass of ``EscposPrinter``
that implements ``send`` plus one opener.
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from devices.escpos_out import (
    COLUMNS_80MM,
    DEFAULT_PROFILE,
    escpos_kanji,
    escpos_raster,
    profile_width_px,
)
from devices.fonts import FontNotFoundError
from devices.receipt import Receipt
from devices.receipt_raster import WIDTH_80MM, render_png

REASON_UNREACHABLE = "プリンターに接続できません"
REASON_NOT_FOUND = "プリンターが見つかりません"
REASON_NO_PERMISSION = "プリンターを使う権限がありません"
REASON_NO_ANSWER = "プリンターが応答しません"
REASON_CONNECTION_LOST = "印刷中にプリンターとの接続が切れました"
REASON_PAPER_OUT = "用紙切れです"
REASON_COVER_OPEN = "プリンターのカバーが開いています"
REASON_PRINTER_FAULT = "プリンターでエラーが発生しました"
REASON_NO_FONT = "レシート用の日本語フォントがありません"

PrintMode = Literal["raster", "kanji"]

# DLE EOT 2: real-time "offline cause" status. Its answer has bits 1 and 4 set and
# bits 0 and 7 clear; bit 2 is cover open, bit 5 paper end, bit 6 an error.
STATUS_QUERY = b"\x10\x04\x02"
_STATUS_FIXED_MASK, _STATUS_FIXED_BITS = 0x93, 0x12
_STATUS_COVER_OPEN, _STATUS_PAPER_END, _STATUS_ERROR = 0x04, 0x20, 0x40

# Linux lp ioctl: the IEEE 1284 status byte, where 0x20 means paper out.
_LPGETSTATUS = 0x060B
_LP_PAPER_OUT = 0x20


class PrinterError(Exception):
    """A receipt could not be printed. ``reason`` is for the cashier, ``detail`` for logs."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Printer(Protocol):
    """Anything that prints receipts; called from the print thread, one job at a time."""

    name: str

    def print_receipt(self, receipt: Receipt) -> None: ...


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

    def encode(self, receipt: Receipt) -> bytes:
        if self.mode == "kanji":
            return escpos_kanji(receipt, self.columns)
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

    @abstractmethod
    def send(self, job: bytes) -> None:
        """Deliver an encoded job; raise PrinterError on any failure."""


def _check_status(status: int, during: str) -> None:
    if status & _STATUS_FIXED_MASK != _STATUS_FIXED_BITS:
        return  # not an answer in the documented shape: no conclusion from it
    if status & _STATUS_PAPER_END:
        raise PrinterError(REASON_PAPER_OUT, f"paper end reported {during}")
    if status & _STATUS_COVER_OPEN:
        raise PrinterError(REASON_COVER_OPEN, f"cover open reported {during}")
    if status & _STATUS_ERROR:
        raise PrinterError(REASON_PRINTER_FAULT, f"error reported {during}")


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
                    _check_status(status, "before printing")
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
                _check_status(status, "after printing")
            else:
                self._watch_close(sock, self.close_grace, where)

    def _query_status(self, sock: socket.socket, wait: float) -> int | None:
        """The status byte, or None when the printer does not answer within ``wait``."""
        where = f"{self.host}:{self.port}"
        try:
            sock.sendall(STATUS_QUERY)
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


# ----- specs ---------------------------------------------------------------------------

_SPEC_HELP = "expected 'simulated', 'network:HOST[:PORT][?mode=kanji]' or 'file:PATH[?mode=kanji]'"


def _int_option(options: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    text = options.get(key)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"printer option {key}={text!r}: expected a whole number {low}–{high}")
    return int(text)


def _timeout_option(options: Mapping[str, str]) -> float:
    text = options.get("timeout", "10")
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600:
        raise ValueError(f"printer option timeout={text!r}: expected seconds, e.g. 10")
    return value


def _mode_option(options: Mapping[str, str]) -> PrintMode:
    mode = options.get("mode", "raster")
    if mode == "raster":
        return "raster"
    if mode == "kanji":
        return "kanji"
    raise ValueError(f"printer option mode={mode!r}: expected 'raster' or 'kanji'")


def _escpos_options(options: Mapping[str, str]) -> tuple[int, int, str]:
    """width_px, columns, profile."""
    return (
        _int_option(options, "width", WIDTH_80MM, 160, 2048),
        _int_option(options, "columns", COLUMNS_80MM, 16, 96),
        options.get("profile", DEFAULT_PROFILE),
    )


def _open_simulated(target: str, options: Mapping[str, str]) -> Printer:
    if target:
        raise ValueError(f"'simulated' takes no address, got {target!r}")
    return SimulatedPrinter(_int_option(options, "width", WIDTH_80MM, 160, 2048))


def _open_network(target: str, options: Mapping[str, str]) -> Printer:
    address = urlsplit("//" + target.removeprefix("//"))
    try:
        port = 9100 if address.port is None else address.port
    except ValueError as exc:
        raise ValueError(f"bad port in printer address {target!r}") from exc
    if not address.hostname or address.path or address.username or port == 0:
        raise ValueError(f"bad printer address {target!r}: expected HOST or HOST:PORT")
    width_px, columns, profile = _escpos_options(options)
    return NetworkPrinter(
        address.hostname,
        port,
        _mode_option(options),
        _timeout_option(options),
        width_px=width_px,
        columns=columns,
        profile=profile,
    )


def _open_file(target: str, options: Mapping[str, str]) -> Printer:
    if not target:
        raise ValueError("'file:' needs a path, e.g. file:/dev/usb/lp0")
    width_px, columns, profile = _escpos_options(options)
    return FilePrinter(
        target,
        _mode_option(options),
        _timeout_option(options),
        width_px=width_px,
        columns=columns,
        profile=profile,
    )


_Opener = Callable[[str, Mapping[str, str]], Printer]
_OPENERS: Mapping[str, tuple[_Opener, frozenset[str]]] = {
    "simulated": (_open_simulated, frozenset({"width"})),
    "network": (_open_network, frozenset({"mode", "width", "columns", "profile", "timeout"})),
    "file": (_open_file, frozenset({"mode", "width", "columns", "profile", "timeout"})),
}


def open_printer(spec: str) -> Printer:
    """The printer a spec string names; ValueError, saying what is wrong, for a bad spec."""
    head, _, query = spec.strip().partition("?")
    scheme, _, target = head.partition(":")
    if scheme not in _OPENERS:
        raise ValueError(f"unknown printer {spec!r}: {_SPEC_HELP}")
    opener, allowed = _OPENERS[scheme]
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=True) if query else {}
    except ValueError as exc:
        raise ValueError(f"bad options in printer {spec!r}: {exc}") from exc
    unknown = sorted(set(parsed) - allowed)
    if unknown:
        raise ValueError(
            f"unknown option {', '.join(unknown)} in printer {spec!r} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    repeated = sorted(key for key, values in parsed.items() if len(values) > 1)
    if repeated:
        raise ValueError(f"option {', '.join(repeated)} given twice in printer {spec!r}")
    return opener(target, {key: values[0] for key, values in parsed.items()})
