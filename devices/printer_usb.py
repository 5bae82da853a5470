"""USB receipt printers driven directly over libusb, through python-escpos's Usb backend.

Most USB receipt printers also appear as /dev/usb/lp0 through the kernel's usblp driver,
and ``file:/dev/usb/lp0`` needs nothing more. This backend is for printers without that
class interface (vendor-specific USB, e.g. Epson TM in "vendor class" mode) or for
machines where the printer must be chosen by vendor and product id.

python-escpos's Usb backend needs pyusb and the system's libusb-1.0 (Debian package
``libusb-1.0-0``); without pyusb, `usb_support_missing` says what to install and every
job fails with REASON_USB_SUPPORT_MISSING. The user running the app needs access to the
device (a udev rule granting the printer's vendor:product to the register's user).
"""

from __future__ import annotations

import errno
import functools
from typing import Any

from devices.escpos_out import COLUMNS_80MM, DEFAULT_PROFILE, prepare_escpos_import
from devices.printer_link import LinkPrinter
from devices.printer_status import (
    REASON_CONNECTION_LOST,
    REASON_NO_ANSWER,
    REASON_NO_PERMISSION,
    REASON_NOT_FOUND,
    REASON_USB_SUPPORT_MISSING,
    PrinterError,
)
from devices.printers import EscposFormat, PrintMode
from devices.receipt_raster import WIDTH_80MM

PYUSB_HINT = (
    "USB printers need pyusb and libusb-1.0: install the Python package pyusb "
    "(pip install pyusb) and the Debian package libusb-1.0-0, or use file:/dev/usb/lp0"
)
# Endpoints of Epson TM printers, and python-escpos's defaults.
DEFAULT_IN_EP = 0x82
DEFAULT_OUT_EP = 0x01
_READ_SIZE = 64


def usb_support_missing() -> str | None:
    """None when USB printers can be driven here; otherwise what to install."""
    prepare_escpos_import()
    from escpos.printer import usb as escpos_usb

    return None if escpos_usb.is_usable() else PYUSB_HINT


@functools.cache
def _backend_class() -> type[Any]:
    prepare_escpos_import()
    from escpos.printer import Usb

    class Backend(Usb):  # type: ignore[misc]
        def __del__(self) -> None:
            # python-escpos closes the device when the object is collected, and that
            # raises when pyusb is missing; every link here is closed explicitly instead.
            pass

    return Backend


def _usb_reason(exc: OSError) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ETIMEDOUT:
        return REASON_NO_ANSWER
    if code in (errno.EACCES, errno.EPERM):
        return REASON_NO_PERMISSION
    return REASON_CONNECTION_LOST


class UsbLink:
    """An opened python-escpos Usb backend; pyusb errors come out as PrinterError."""

    def __init__(self, backend: Any, where: str) -> None:
        self.backend = backend
        self.where = where

    def write(self, data: bytes, timeout: float) -> None:
        self.backend.timeout = max(1, int(timeout * 1000))  # milliseconds, 0 would be forever
        try:
            self.backend._raw(data)
        except OSError as exc:  # pyusb's USBError is an OSError with the errno
            raise PrinterError(_usb_reason(exc), f"{self.where}: {exc}") from exc

    def read(self, wait: float) -> bytes:
        try:
            data = self.backend.device.read(
                self.backend.in_ep, _READ_SIZE, max(1, int(wait * 1000))
            )
        except OSError as exc:
            if getattr(exc, "errno", None) == errno.ETIMEDOUT:
                return b""
            raise PrinterError(_usb_reason(exc), f"{self.where}: {exc}") from exc
        return bytes(data)

    def discard_input(self) -> None:
        for _ in range(8):
            if not self.read(0.01):
                return

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:
            pass  # a device that vanished cannot be released cleanly


class UsbPrinter(LinkPrinter):
    """A printer found on the USB bus by vendor and product id."""

    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        mode: PrintMode = "raster",
        timeout: float = 10.0,
        *,
        in_ep: int = DEFAULT_IN_EP,
        out_ep: int = DEFAULT_OUT_EP,
        width_px: int = WIDTH_80MM,
        columns: int = COLUMNS_80MM,
        profile: str = DEFAULT_PROFILE,
        status: bool = True,
        status_timeout: float = 1.0,
    ) -> None:
        super().__init__(
            EscposFormat(mode, width_px, profile, columns),
            timeout=timeout,
            status=status,
            status_timeout=status_timeout,
        )
        self.vendor_id = vendor_id
        self.product_id = product_id
        self.in_ep = in_ep
        self.out_ep = out_ep
        self.name = f"usb:{vendor_id:04x}:{product_id:04x}"

    def open_link(self) -> UsbLink:
        missing = usb_support_missing()
        if missing:
            raise PrinterError(REASON_USB_SUPPORT_MISSING, missing)
        from escpos.exceptions import DeviceNotFoundError

        backend = _backend_class()(
            self.vendor_id,
            self.product_id,
            timeout=max(1, int(self.timeout * 1000)),
            in_ep=self.in_ep,
            out_ep=self.out_ep,
            profile=self.format.profile,
        )
        try:
            backend.open()
        except DeviceNotFoundError as exc:
            raise PrinterError(REASON_NOT_FOUND, f"{self.name}: {exc}") from exc
        except OSError as exc:
            raise PrinterError(_usb_reason(exc), f"{self.name}: {exc}") from exc
        return UsbLink(backend, self.name)
