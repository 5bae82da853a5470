"""Printer spec strings from settings, and the printer models a settings screen offers.

    simulated[?width=384]
    network:HOST[:PORT][?mode=kanji]
    file:/dev/usb/lp0[?mode=kanji]
    serial:/dev/ttyS0[?baud=9600&mode=kanji&flow=none|rtscts|xonxoff]
    usb:VID:PID[?mode=kanji&in_ep=0x82&out_ep=0x01]       e.g. usb:04b8:0202

ESC/POS printers take the options mode (raster | kanji), profile (a python-escpos model
such as TM-T88V or TM-T20II), paper (58 | 80), width (raster dots), columns (kanji
mode) and timeout (seconds). Widths come from, in order: width/columns given outright,
the paper size, the profile's media width where python-escpos records it, 80 mm.
Serial printers print raster at 960 bytes a second at 9600 baud: prefer mode=kanji there
(see devices/printer_serial.py).

For a settings screen: `PRINTER_KINDS` (what each kind names and which options it takes)
and `printer_profiles()` (the models python-escpos knows, for 58 or 80 mm paper). The
screen's form makes the spec (`desktop.flows.settings_devices.printer_spec`, with its
sentences in the screen's language) and checks it with `open_printer`, which reads a
spec without any I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from devices.escpos_out import DEFAULT_PROFILE, prepare_escpos_import
from devices.printer_serial import FLOW_CONTROLS, SerialPrinter
from devices.printer_usb import DEFAULT_IN_EP, DEFAULT_OUT_EP, UsbPrinter, usb_support_missing
from devices.printers import (
    PAPER_WIDTH_PX,
    EscposFormat,
    FilePrinter,
    NetworkPrinter,
    Printer,
    PrintMode,
    SimulatedPrinter,
)
from devices.receipt_raster import WIDTH_58MM, WIDTH_80MM

_SPEC_HELP = (
    "expected 'simulated', 'network:HOST[:PORT]', 'file:PATH', 'serial:PORT[?baud=9600]' "
    "or 'usb:VID:PID', with options such as ?mode=kanji"
)


@dataclass(frozen=True)
class PrinterProfile:
    """A printer model python-escpos knows, as a settings screen lists it."""

    name: str  # the profile option, e.g. "TM-T88V"
    vendor: str
    model: str
    width_mm: float | None  # printable width
    width_px: int | None

    @property
    def paper_mm(self) -> int | None:
        """The roll it takes: 58 or 80 mm paper (printable widths up to 58 are 58 mm rolls)."""
        if self.width_mm is None:
            return None
        if self.width_mm <= 58:
            return 58
        return 80 if self.width_mm <= 80 else None


    @property
    def label(self) -> str:
        """How a list shows it: maker, profile name and paper, e.g. "Epson TM-T88V（80 mm）"."""
        paper = f"（{self.paper_mm} mm）" if self.paper_mm else ""
        return f"{self.vendor} {self.name}{paper}".strip()

    def fits(self, paper_mm: int) -> bool:
        """Whether a receipt for that roll prints on this model (its width is unknown, or
        at least the roll's printed width)."""
        return self.width_px is None or self.width_px >= PAPER_WIDTH_PX[paper_mm]


def printer_profiles(paper_mm: int | None = None) -> list[PrinterProfile]:
    """The receipt printer models python-escpos has a profile for, by name (customer
    displays left out); with ``paper_mm`` only those a receipt for that roll prints on."""
    return [p for p in _all_profiles()
            if (p.width_px is None or p.width_px >= WIDTH_58MM)
            and (paper_mm is None or (p.paper_mm in (None, paper_mm) and p.fits(paper_mm)))]


@functools.cache
def _all_profiles() -> tuple[PrinterProfile, ...]:
    prepare_escpos_import()
    from escpos.capabilities import CAPABILITIES

    found = []
    for name, data in sorted(CAPABILITIES["profiles"].items()):
        width = data.get("media", {}).get("width", {})
        mm, px = width.get("mm"), width.get("pixels")
        found.append(
            PrinterProfile(
                name=name,
                vendor=str(data.get("vendor", "")),
                model=str(data.get("name", name)),
                width_mm=float(mm) if isinstance(mm, int | float) else None,
                width_px=px if isinstance(px, int) else None,
            )
        )
    return tuple(found)


def _int_option(
    options: Mapping[str, str], key: str, low: int, high: int, *, base: int = 10
) -> int | None:
    text = options.get(key)
    if text is None:
        return None
    try:
        value = int(text, base)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"printer option {key}={text!r}: expected a whole number {low}–{high}")
    return value


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


def escpos_format(options: Mapping[str, str]) -> EscposFormat:
    """The ESC/POS format the options describe (see the module docstring for the order)."""
    paper = options.get("paper")
    if paper is not None and paper.removesuffix("mm") not in ("58", "80"):
        raise ValueError(f"printer option paper={paper!r}: expected 58 or 80")
    return EscposFormat.choose(
        _mode_option(options),
        options.get("profile", DEFAULT_PROFILE),
        width_px=_int_option(options, "width", 160, 2048),
        columns=_int_option(options, "columns", 16, 96),
        paper_mm=int(paper.removesuffix("mm")) if paper is not None else None,
    )


def _open_simulated(target: str, options: Mapping[str, str]) -> Printer:
    if target:
        raise ValueError(f"'simulated' takes no address, got {target!r}")
    return SimulatedPrinter(_int_option(options, "width", 160, 2048) or WIDTH_80MM)


def _open_network(target: str, options: Mapping[str, str]) -> Printer:
    address = urlsplit("//" + target.removeprefix("//"))
    try:
        port = 9100 if address.port is None else address.port
    except ValueError as exc:
        raise ValueError(f"bad port in printer address {target!r}") from exc
    if not address.hostname or address.path or address.username or port == 0:
        raise ValueError(f"bad printer address {target!r}: expected HOST or HOST:PORT")
    fmt = escpos_format(options)
    return NetworkPrinter(
        address.hostname,
        port,
        fmt.mode,
        _timeout_option(options),
        width_px=fmt.width_px,
        columns=fmt.columns,
        profile=fmt.profile,
    )


def _open_file(target: str, options: Mapping[str, str]) -> Printer:
    if not target:
        raise ValueError("'file:' needs a path, e.g. file:/dev/usb/lp0")
    fmt = escpos_format(options)
    return FilePrinter(
        target,
        fmt.mode,
        _timeout_option(options),
        width_px=fmt.width_px,
        columns=fmt.columns,
        profile=fmt.profile,
    )


def _open_serial(target: str, options: Mapping[str, str]) -> Printer:
    if not target:
        raise ValueError("'serial:' needs a port, e.g. serial:/dev/ttyS0?baud=9600")
    flow = options.get("flow", "none")
    if flow not in FLOW_CONTROLS:
        raise ValueError(f"printer option flow={flow!r}: expected {', '.join(FLOW_CONTROLS)}")
    fmt = escpos_format(options)
    return SerialPrinter(
        target,
        _int_option(options, "baud", 300, 4_000_000) or 9600,
        fmt.mode,
        _timeout_option(options),
        flow=flow,
        width_px=fmt.width_px,
        columns=fmt.columns,
        profile=fmt.profile,
    )


def _usb_id(text: str, what: str, spec: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        value = -1
    if not 0 < value <= 0xFFFF:
        raise ValueError(f"bad USB {what} {text!r} in printer {spec!r}: expected 4 hex digits")
    return value


def _open_usb(target: str, options: Mapping[str, str]) -> Printer:
    vendor, colon, product = target.partition(":")
    if not colon or not vendor or not product:
        raise ValueError(f"'usb:' needs vendor and product ids, e.g. usb:04b8:0202, not {target!r}")
    vendor_id = _usb_id(vendor, "vendor id", target)
    product_id = _usb_id(product, "product id", target)
    fmt = escpos_format(options)
    missing = usb_support_missing()
    if missing:
        raise ValueError(missing)
    return UsbPrinter(
        vendor_id,
        product_id,
        fmt.mode,
        _timeout_option(options),
        in_ep=_int_option(options, "in_ep", 0x81, 0x8F, base=16) or DEFAULT_IN_EP,
        out_ep=_int_option(options, "out_ep", 0x01, 0x0F, base=16) or DEFAULT_OUT_EP,
        width_px=fmt.width_px,
        columns=fmt.columns,
        profile=fmt.profile,
    )


_ESCPOS_OPTIONS = frozenset({"mode", "width", "columns", "profile", "paper", "timeout"})
_Opener = Callable[[str, Mapping[str, str]], Printer]
_OPENERS: Mapping[str, tuple[_Opener, frozenset[str]]] = {
    "simulated": (_open_simulated, frozenset({"width"})),
    "network": (_open_network, _ESCPOS_OPTIONS),
    "file": (_open_file, _ESCPOS_OPTIONS),
    "serial": (_open_serial, _ESCPOS_OPTIONS | {"baud", "flow"}),
    "usb": (_open_usb, _ESCPOS_OPTIONS | {"in_ep", "out_ep"}),
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


# -- choices for a settings screen ---------------------------------------------------------

Target = Literal["", "host", "path", "port", "usb"]


@dataclass(frozen=True)
class PrinterKind:
    """One way of reaching a printer, as a settings screen offers it."""

    key: str  # the spec's scheme: "network", "usb", …
    target: Target  # what the spec names after "kind:": nothing, HOST[:PORT], a path, …
    example: str  # a spec of this kind, to show as a hint
    options: frozenset[str]  # the options after "?" this kind takes


PRINTER_KINDS: tuple[PrinterKind, ...] = (
    PrinterKind("network", "host", "network:192.168.0.50", _OPENERS["network"][1]),
    PrinterKind("usb", "usb", "usb:04b8:0202", _OPENERS["usb"][1]),
    PrinterKind("file", "path", "file:/dev/usb/lp0", _OPENERS["file"][1]),
    PrinterKind("serial", "port", "serial:/dev/ttyS0?baud=9600&mode=kanji",
                _OPENERS["serial"][1]),
    PrinterKind("simulated", "", "simulated", _OPENERS["simulated"][1]),
)
