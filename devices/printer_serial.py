"""Serial receipt printers (RS-232, or USB-serial adapters) through pyserial.

Serial is slow: at 9600 baud with 8N1 framing a byte costs 10 bits, so 960 bytes a
second. A typical receipt (header, member, totals, QR code, notice) is 0.7 KB in kanji
mode, under a second on the wire, but 57 KB as an 80 mm raster image: about a minute
(5 s at 115200 baud). Use ``mode=kanji`` on serial printers that have Japanese fonts,
or raise the printer's baud rate (set on the printer and in the spec). The job's write
deadline grows with its transfer time, so a raster job still completes.

Flow control is whatever the printer is set to: none (the default here), RTS/CTS, or
XON/XOFF. Linux cannot follow DTR/DSR, the default of some Epson models; set those to
RTS/CTS or XON/XOFF, or rely on the status answer after each job.
"""

from __future__ import annotations

import errno
import logging

import serial

from devices.escpos_out import COLUMNS_80MM, DEFAULT_PROFILE
from devices.printer_link import LinkPrinter
from devices.printer_status import (
    REASON_BUSY,
    REASON_CONNECTION_LOST,
    REASON_NO_ANSWER,
    REASON_NO_PERMISSION,
    REASON_NOT_FOUND,
    REASON_UNREACHABLE,
    PrinterError,
)
from devices.printers import EscposFormat, PrintMode
from devices.receipt_raster import WIDTH_80MM

log = logging.getLogger(__name__)

FLOW_CONTROLS = ("none", "rtscts", "xonxoff")
BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit


class SerialLink:
    """An open serial port; errors come out as PrinterError."""

    def __init__(self, port: serial.Serial, where: str) -> None:
        self.port = port
        self.where = where

    def write(self, data: bytes, timeout: float) -> None:
        try:
            self.port.write_timeout = timeout
            self.port.write(data)
        except serial.SerialTimeoutException as exc:
            # Flow control held the line: the printer is busy, off, or out of paper.
            raise PrinterError(REASON_NO_ANSWER, f"{self.where}: write timed out") from exc
        except OSError as exc:  # SerialException is an OSError
            raise PrinterError(REASON_CONNECTION_LOST, f"{self.where}: {exc}") from exc

    def read(self, wait: float) -> bytes:
        try:
            self.port.timeout = wait
            first = self.port.read(1)
            if not first:
                return b""
            self.port.timeout = 0
            return first + self.port.read(max(self.port.in_waiting, 1))
        except OSError as exc:
            raise PrinterError(REASON_CONNECTION_LOST, f"{self.where}: {exc}") from exc

    def discard_input(self) -> None:
        try:
            self.port.reset_input_buffer()
        except OSError as exc:
            raise PrinterError(REASON_CONNECTION_LOST, f"{self.where}: {exc}") from exc

    def close(self) -> None:
        try:
            self.port.close()
        except OSError:
            pass  # a port that vanished cannot be closed cleanly


class SerialPrinter(LinkPrinter):
    """A printer on a serial port, e.g. /dev/ttyS0 or /dev/serial/by-id/usb-…"""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        mode: PrintMode = "raster",
        timeout: float = 10.0,
        *,
        flow: str = "none",
        width_px: int = WIDTH_80MM,
        columns: int = COLUMNS_80MM,
        profile: str = DEFAULT_PROFILE,
        status: bool = True,
        status_timeout: float = 1.0,
    ) -> None:
        if flow not in FLOW_CONTROLS:
            raise ValueError(f"flow={flow!r}: expected one of {', '.join(FLOW_CONTROLS)}")
        super().__init__(
            EscposFormat(mode, width_px, profile, columns),
            timeout=timeout,
            status=status,
            status_timeout=status_timeout,
        )
        self.port = port
        self.baudrate = baudrate
        self.flow = flow
        self.name = f"serial:{port}"
        if mode == "raster" and baudrate < 38400:
            log.warning(
                "raster printing at %d baud takes tens of seconds per receipt; "
                "use mode=kanji or a higher baud rate on %s",
                baudrate,
                port,
            )

    def transfer_seconds(self, size: int) -> float:
        return size * BITS_PER_BYTE / self.baudrate

    def open_link(self) -> SerialLink:
        try:
            port = serial.Serial(
                self.port,
                self.baudrate,
                timeout=self.status_timeout,
                write_timeout=self.timeout,
                rtscts=self.flow == "rtscts",
                xonxoff=self.flow == "xonxoff",
                # Two programs writing one printer would interleave their receipts.
                exclusive=True,
            )
        except OSError as exc:
            raise PrinterError(_open_reason(exc), f"{self.port}: {exc}") from exc
        except ValueError as exc:  # a setting the port refuses, e.g. the baud rate
            raise PrinterError(REASON_UNREACHABLE, f"{self.port}: {exc}") from exc
        return SerialLink(port, self.port)


def _open_reason(exc: OSError) -> str:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return REASON_NOT_FOUND
    if code in (errno.EACCES, errno.EPERM):
        return REASON_NO_PERMISSION
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK):
        return REASON_BUSY
    return REASON_UNREACHABLE
