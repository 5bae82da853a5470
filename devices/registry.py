"""Where the app finds its card readers and scanners: drivers register enumerate and open.

A driver ("pcsc", "simulated", …) says which readers it can see now and opens one of them.
The app names a reader with a spec string, as stored in its settings:

- ``"simulated"``: the simulated reader;
- ``"pcsc"``: the first PC/SC reader, whichever one is (or later becomes) connected;
- ``"pcsc:<reader name>"``: that PC/SC reader, e.g. ``"pcsc:Sony FeliCa Port/PaSoRi 4.0 00 00"``.

A reader may be given a `CardProfile` (a member number file on the card) when it is
opened, or in the spec after ``?`` (the profile's own settings string, `CardProfile.spec`):

- ``"pcsc:<reader name>?aid=F0544D5255000001&file=0101&length=16&encoding=ascii"``;
- ``"pcsc?file=0101&length=8&encoding=bcd"``: the first reader, with that profile.

Drivers that cannot read card files refuse one.

Scanners (serial barcode/QR scanners, the simulated scanner) are found the same way, with
options after ``?``:

- ``"simulated"``: the simulated scanner;
- ``"serial:/dev/ttyACM0?baud=9600&terminator=cr"``: a USB-COM or RS-232 scanner.

Keyboard-wedge scanners are not devices here: they type into the app, and the burst
classifier in devices/scanner.py tells their input from the cashier's.

The simulator is a driver like any other and is found by the same enumeration, so the
settings screen and the start-up code have no special case for it. The registry is one
object with a lock; `default_registry()` creates the app's instance, with the built-in
drivers, on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from devices.card_profile import CardProfile
from devices.cards import CardReader
from devices.scanner import Scanner

log = logging.getLogger(__name__)

EnumerateFunc = Callable[[], Sequence[str]]
OpenFunc = Callable[[str | None], CardReader]
OpenWithProfileFunc = Callable[[str | None, CardProfile], CardReader]
OpenScannerFunc = Callable[[str | None, Mapping[str, str]], Scanner]


@dataclass(frozen=True)
class ReaderDriver:
    """How to list and open one kind of card reader."""

    name: str
    enumerate: EnumerateFunc  # names of the readers this driver sees now
    open: OpenFunc  # a reader by name, or the driver's default reader for None
    # True when a reader may be opened before it is connected (it then reports itself
    # missing until it appears), as for hot-plugged USB readers.
    waits_for_reader: bool = False
    description: str = ""
    # Opens a reader that also reads the member number file a profile describes; None
    # for drivers that cannot talk to the card beyond its uid.
    open_with_profile: OpenWithProfileFunc | None = None


@dataclass(frozen=True)
class ReaderInfo:
    """One reader a driver sees now, with the spec that opens exactly that reader."""

    driver: str
    name: str

    @property
    def spec(self) -> str:
        return f"{self.driver}:{self.name}"


@dataclass(frozen=True)
class ScannerDriver:
    """How to list and open one kind of scanner."""

    name: str
    enumerate: EnumerateFunc  # ports or names of the scanners this driver sees now
    open: OpenScannerFunc  # a scanner by port/name (None: the driver's default) and options
    options: frozenset[str] = frozenset()  # the spec options it understands
    needs_target: bool = False  # True when the spec must name a port
    description: str = ""


@dataclass(frozen=True)
class ScannerInfo:
    """One scanner a driver sees now, with the spec that opens it."""

    driver: str
    name: str

    @property
    def spec(self) -> str:
        return f"{self.driver}:{self.name}"


class DeviceRegistry:
    """The card reader and scanner drivers known to the app. Safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader_drivers: dict[str, ReaderDriver] = {}
        self._scanner_drivers: dict[str, ScannerDriver] = {}

    def register_reader_driver(self, driver: ReaderDriver, *, replace: bool = False) -> None:
        if not driver.name or ":" in driver.name:
            raise ValueError(
                f"a card reader driver name must be non-empty without ':': {driver.name!r}"
            )
        with self._lock:
            if driver.name in self._reader_drivers and not replace:
                raise ValueError(f"card reader driver {driver.name!r} is already registered")
            self._reader_drivers[driver.name] = driver

    def reader_drivers(self) -> list[ReaderDriver]:
        with self._lock:
            return list(self._reader_drivers.values())

    def readers(self) -> list[ReaderInfo]:
        """Every reader every driver sees now; a driver that fails to enumerate is skipped."""
        found: list[ReaderInfo] = []
        # Enumeration can talk to a daemon: never under the lock.
        for driver in self.reader_drivers():
            try:
                names = list(driver.enumerate())
            except Exception:
                log.exception("card reader driver %s could not enumerate", driver.name)
                continue
            found.extend(ReaderInfo(driver.name, name) for name in names)
        return found

    def open_reader(self, spec: str, *, profile: CardProfile | None = None) -> CardReader:
        """The reader a spec names, not yet started. Raises ValueError for a bad spec.

        With ``profile`` (or a profile in the spec after ``?``) the reader also reads the
        member number file from each card.
        """
        spec, in_spec = split_reader_spec(spec)
        if in_spec is not None:
            if profile is not None:
                raise ValueError(f"card reader {spec!r}: a card profile is given twice")
            profile = in_spec
        driver_name, colon, target = spec.partition(":")
        with self._lock:
            driver = self._reader_drivers.get(driver_name)
            known = sorted(self._reader_drivers)
        if driver is None:
            forms = ", ".join(f"'{name}' or '{name}:<reader name>'" for name in known)
            raise ValueError(
                f"unknown card reader {spec!r}: expected {forms or 'no drivers registered'}"
            )
        if colon and not target:
            raise ValueError(f"card reader spec {spec!r} names no reader after ':'")
        if profile is not None and driver.open_with_profile is None:
            raise ValueError(f"{driver_name} card readers cannot read a card profile's file")
        names = list(driver.enumerate())
        if target:
            if target not in names and not driver.waits_for_reader:
                raise ValueError(
                    f"no {driver_name} card reader named {target!r}; available: {names or 'none'}"
                )
        elif not names and not driver.waits_for_reader:
            raise ValueError(f"no {driver_name} card reader is available")
        name = target or None
        if profile is not None and driver.open_with_profile is not None:
            return driver.open_with_profile(name, profile)
        return driver.open(name)

    # -- scanners ----------------------------------------------------------------------------

    def register_scanner_driver(self, driver: ScannerDriver, *, replace: bool = False) -> None:
        if not driver.name or ":" in driver.name or "?" in driver.name:
            raise ValueError(
                f"a scanner driver name must be non-empty without ':' or '?': {driver.name!r}"
            )
        with self._lock:
            if driver.name in self._scanner_drivers and not replace:
                raise ValueError(f"scanner driver {driver.name!r} is already registered")
            self._scanner_drivers[driver.name] = driver

    def scanner_drivers(self) -> list[ScannerDriver]:
        with self._lock:
            return list(self._scanner_drivers.values())

    def scanners(self) -> list[ScannerInfo]:
        """Every scanner every driver sees now; a driver that fails to enumerate is skipped."""
        found: list[ScannerInfo] = []
        for driver in self.scanner_drivers():
            try:
                names = list(driver.enumerate())
            except Exception:
                log.exception("scanner driver %s could not enumerate", driver.name)
                continue
            found.extend(ScannerInfo(driver.name, name) for name in names)
        return found

    def open_scanner(self, spec: str) -> Scanner:
        """The scanner a spec names, not yet started. Raises ValueError for a bad spec."""
        head, _, query = spec.strip().partition("?")
        driver_name, colon, target = head.partition(":")
        with self._lock:
            driver = self._scanner_drivers.get(driver_name)
            known = sorted(self._scanner_drivers)
        if driver is None:
            raise ValueError(
                f"unknown scanner {spec!r}: expected one of {', '.join(known) or 'none'}"
                " (e.g. 'simulated' or 'serial:/dev/ttyACM0?baud=9600')"
            )
        if colon and not target:
            raise ValueError(f"scanner spec {spec!r} names nothing after ':'")
        if driver.needs_target and not target:
            raise ValueError(f"scanner spec {spec!r} needs a port, e.g. {driver_name}:/dev/ttyACM0")
        try:
            parsed = parse_qs(query, keep_blank_values=True, strict_parsing=True) if query else {}
        except ValueError as exc:
            raise ValueError(f"bad options in scanner {spec!r}: {exc}") from exc
        unknown = sorted(set(parsed) - driver.options)
        if unknown:
            allowed = ", ".join(sorted(driver.options)) or "none"
            raise ValueError(
                f"unknown option {', '.join(unknown)} in scanner {spec!r} (allowed: {allowed})"
            )
        repeated = sorted(key for key, values in parsed.items() if len(values) > 1)
        if repeated:
            raise ValueError(f"option {', '.join(repeated)} given twice in scanner {spec!r}")
        return driver.open(target or None, {key: values[0] for key, values in parsed.items()})


def split_reader_spec(spec: str) -> tuple[str, CardProfile | None]:
    """A reader spec without its options, and the card profile they describe (None without).

    Raises ValueError, saying which option is wrong, for a profile that cannot be read.
    """
    head, mark, query = spec.strip().partition("?")
    if not mark:
        return head, None
    if not query.strip():
        raise ValueError(f"card reader spec {spec!r} has nothing after '?'")
    return head, CardProfile.parse(query)


def register_builtin_reader_drivers(registry: DeviceRegistry) -> None:
    """Register the readers that ship with the app: the simulator and PC/SC."""
    from devices import simulated

    simulated.register_reader_driver(registry)
    try:
        from devices import pcsc
    except ImportError:
        # A machine without the PC/SC library can still run the app with the simulator.
        log.warning(
            "PC/SC card readers unavailable (pyscard or libpcsclite missing)", exc_info=True
        )
    else:
        pcsc.register_reader_driver(registry)


def register_builtin_scanner_drivers(registry: DeviceRegistry) -> None:
    """Register the scanners that ship with the app: the simulator and serial scanners."""
    from devices import serial_scanner, simulated

    simulated.register_scanner_driver(registry)
    serial_scanner.register_scanner_driver(registry)


_default_lock = threading.Lock()
_default: DeviceRegistry | None = None


def default_registry() -> DeviceRegistry:
    """The app's registry, created with the built-in drivers on first use."""
    global _default
    with _default_lock:
        if _default is None:
            registry = DeviceRegistry()
            register_builtin_reader_drivers(registry)
            register_builtin_scanner_drivers(registry)
            _default = registry
        return _default


def open_reader(spec: str, *, profile: CardProfile | None = None) -> CardReader:
    """Open a reader from the app's registry (see the module docstring for specs)."""
    return default_registry().open_reader(spec, profile=profile)


def open_scanner(spec: str) -> Scanner:
    """Open a scanner from the app's registry (see the module docstring for specs)."""
    return default_registry().open_scanner(spec)
