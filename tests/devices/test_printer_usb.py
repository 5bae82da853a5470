"""USB printers: python-escpos's Usb backend driven against a fake pyusb device.

pyusb is not a dependency, so these tests put a stand-in for the ``usb`` module into
python-escpos's USB backend: python-escpos's own open/write/close code runs, and only
the device object at the very bottom (what ``usb.core.find`` returns) is fake. Without
the stand-in, the spec and the printer say what to install.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from devices.printer_status import (
    REASON_CONNECTION_LOST,
    REASON_NO_PERMISSION,
    REASON_NOT_FOUND,
    REASON_PAPER_OUT,
    REASON_USB_SUPPORT_MISSING,
    PrinterError,
)
from devices.printer_testpage import TEST_QR_PAYLOAD, test_print
from devices.printer_usb import PYUSB_HINT, UsbPrinter, usb_support_missing
from devices.printers import open_printer, query_printer_status
from tests.support.escpos_decode import decode
from tests.support.receipts import QR_PAYLOAD, sample_receipt


class FakeUSBError(OSError):
    """What pyusb raises: an OSError carrying the errno."""


class FakeLibusb1Backend:
    """pyusb's libusb-1.0 backend, as far as python-escpos looks at it (its module name)."""


FakeLibusb1Backend.__module__ = "usb.backend.libusb1"


class FakeUsbPrinter:
    """The device object pyusb would hand python-escpos: bulk endpoints, status answers."""

    def __init__(self, statuses: dict[int, int] | None = None) -> None:
        self.statuses = {1: 0x12, 2: 0x12, 4: 0x12, **(statuses or {})}
        self.written = bytearray()
        self.out_endpoints: set[int] = set()
        self.pending = bytearray()
        self.configured = False
        self.write_error: int | None = None  # errno to fail writes with
        self.vanish_after: int | None = None
        self.backend = FakeLibusb1Backend()
        self.kernel_driver_detached = False

    def is_kernel_driver_active(self, interface: int) -> bool:
        return not self.kernel_driver_detached

    def detach_kernel_driver(self, interface: int) -> None:
        # usblp holds the printer until python-escpos takes it over.
        self.kernel_driver_detached = True

    def set_configuration(self) -> None:
        self.configured = True

    def reset(self) -> None:
        pass

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        assert timeout > 0  # 0 would mean wait forever
        self.out_endpoints.add(endpoint)
        if self.write_error is not None:
            raise FakeUSBError(self.write_error, "write failed")
        if self.vanish_after is not None and len(self.written) + len(data) > self.vanish_after:
            self.written += data[: self.vanish_after - len(self.written)]
            raise FakeUSBError(errno.ENODEV, "No such device (it may have been disconnected)")
        self.written += data
        if len(data) == 3 and data[:2] == b"\x10\x04":  # a status query: answered at once
            self.pending.append(self.statuses[data[2]])
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> bytes:
        assert endpoint == 0x82
        if not self.pending:
            raise FakeUSBError(errno.ETIMEDOUT, "Operation timed out")
        data, self.pending = bytes(self.pending[:size]), self.pending[size:]
        return data


@pytest.fixture
def usb_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[tuple[int, int], Any]]:
    """Devices by (vendor, product), reachable through python-escpos's Usb backend."""
    from escpos.printer import usb as escpos_usb

    devices: dict[tuple[int, int], Any] = {}
    disposed: list[Any] = []

    def find(idVendor: int, idProduct: int) -> Any:  # noqa: N803 - pyusb's names
        return devices.get((idVendor, idProduct))

    fake_usb = SimpleNamespace(
        core=SimpleNamespace(find=find, USBError=FakeUSBError),
        util=SimpleNamespace(dispose_resources=disposed.append),
    )
    monkeypatch.setattr(escpos_usb, "usb", fake_usb, raising=False)
    monkeypatch.setattr(escpos_usb, "_DEP_USB", True)
    yield devices


EPSON = (0x04B8, 0x0202)


@pytest.mark.parametrize("mode", ["kanji", "raster"])
def test_a_receipt_goes_through_python_escpos_to_the_device(
    usb_bus: dict[tuple[int, int], Any], mode: str
) -> None:
    device = usb_bus[EPSON] = FakeUsbPrinter()
    printer = open_printer(f"usb:04b8:0202?mode={mode}")
    assert isinstance(printer, UsbPrinter) and printer.name == "usb:04b8:0202"
    printer.print_receipt(sample_receipt())
    assert device.configured and device.kernel_driver_detached
    assert device.out_endpoints == {0x01}
    result = decode(bytes(device.written))
    assert result.qr_payloads == [QR_PAYLOAD]
    assert result.status_queries == 2 and result.cuts == 1
    if mode == "kanji":
        assert "山田 花子 様" in result.lines


def test_paper_out_is_reported_and_nothing_printed(usb_bus: dict[tuple[int, int], Any]) -> None:
    device = usb_bus[EPSON] = FakeUsbPrinter(statuses={2: 0x32})
    with pytest.raises(PrinterError) as caught:
        UsbPrinter(*EPSON, mode="kanji").print_receipt(sample_receipt())
    assert caught.value.reason == REASON_PAPER_OUT
    assert bytes(device.written) == b"\x10\x04\x02"


def test_an_unplugged_printer_is_not_found(usb_bus: dict[tuple[int, int], Any]) -> None:
    with pytest.raises(PrinterError) as caught:
        UsbPrinter(*EPSON).print_receipt(sample_receipt())
    assert caught.value.reason == REASON_NOT_FOUND
    assert query_printer_status(UsbPrinter(*EPSON)).reason == REASON_NOT_FOUND


def test_unplugged_mid_job(usb_bus: dict[tuple[int, int], Any]) -> None:
    device = usb_bus[EPSON] = FakeUsbPrinter()
    device.vanish_after = 5000
    with pytest.raises(PrinterError) as caught:
        UsbPrinter(*EPSON, mode="raster").print_receipt(sample_receipt())
    assert caught.value.reason == REASON_CONNECTION_LOST
    assert len(device.written) == 5000


def test_no_permission_on_the_device(usb_bus: dict[tuple[int, int], Any]) -> None:
    device = usb_bus[EPSON] = FakeUsbPrinter()
    device.write_error = errno.EACCES
    with pytest.raises(PrinterError) as caught:
        UsbPrinter(*EPSON, mode="kanji").print_receipt(sample_receipt())
    assert caught.value.reason == REASON_NO_PERMISSION


def test_status_and_test_page(usb_bus: dict[tuple[int, int], Any]) -> None:
    device = usb_bus[EPSON] = FakeUsbPrinter()
    printer = open_printer("usb:0x04b8:0x0202?mode=kanji&in_ep=0x82&out_ep=0x01")
    status = query_printer_status(printer)
    assert status.ready and status.answered
    test_print(printer)
    result = decode(bytes(device.written))
    assert "テスト印字" in result.lines and result.qr_payloads == [TEST_QR_PAYLOAD]


def test_without_pyusb_the_spec_and_the_printer_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from escpos.printer import usb as escpos_usb

    monkeypatch.setattr(escpos_usb, "_DEP_USB", False)
    assert usb_support_missing() == PYUSB_HINT
    with pytest.raises(ValueError, match="pip install pyusb"):
        open_printer("usb:04b8:0202")
    with pytest.raises(PrinterError) as caught:
        UsbPrinter(*EPSON, mode="kanji").print_receipt(sample_receipt())
    assert caught.value.reason == REASON_USB_SUPPORT_MISSING
    assert "pyusb" in caught.value.detail


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("usb:", "needs vendor and product"),
        ("usb:04b8", "needs vendor and product"),
        ("usb:zzzz:0202", "bad USB vendor id"),
        ("usb:04b8:10000", "bad USB product id"),
        ("usb:04b8:0202?in_ep=0x01", "in_ep"),
        ("usb:04b8:0202?baud=9600", "unknown option baud"),
    ],
)
def test_bad_usb_specs(usb_bus: dict[tuple[int, int], Any], spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_printer(spec)
