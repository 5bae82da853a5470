"""Where the app finds its card readers: drivers register an enumerate function and an opener.

A driver ("pcsc", "simulated", …) says which readers it can see now and opens one of them.
The app names a reader with a spec string, as stored in its settings:

- ``"simulated"``: the simulated reader;
- ``"pcsc"``: the first PC/SC reader, whichever one is (or later becomes) connected;
- ``"pcsc:<reader name>"``: that PC/SC reader, e.g. ``"pcsc:Sony FeliCa Port/PaSoRi 4.0 00 00"``.

The simulator is a driver like any other and is found by the same enumeration, so the
settings screen and the start-up code have no special case for it. The registry is one
object with a lock; `default_registry()` creates the app's instance, with the built-in
drivers, on first use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devices.cards import CardReader

log = logging.getLogger(__name__)

EnumerateFunc = Callable[[], Sequence[str]]
OpenFunc = Callable[[str | None], CardReader]


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


@dataclass(frozen=True)
class ReaderInfo:
    """One reader a driver sees now, with the spec that opens exactly that reader."""

    driver: str
    name: str

    @property
    def spec(self) -> str:
        return f"{self.driver}:{self.name}"


class DeviceRegistry:
    """The card reader drivers known to the app. Safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader_drivers: dict[str, ReaderDriver] = {}

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

    def open_reader(self, spec: str) -> CardReader:
        """The reader a spec names, not yet started. Raises ValueError for a bad spec."""
        driver_name, colon, target = spec.strip().partition(":")
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
        names = list(driver.enumerate())
        if target:
            if target not in names and not driver.waits_for_reader:
                raise ValueError(
                    f"no {driver_name} card reader named {target!r}; available: {names or 'none'}"
                )
            return driver.open(target)
        if not names and not driver.waits_for_reader:
            raise ValueError(f"no {driver_name} card reader is available")
        return driver.open(None)


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


_default_lock = threading.Lock()
_default: DeviceRegistry | None = None


def default_registry() -> DeviceRegistry:
    """The app's registry, created with the built-in drivers on first use."""
    global _default
    with _default_lock:
        if _default is None:
            registry = DeviceRegistry()
            register_builtin_reader_drivers(registry)
            _default = registry
        return _default


def open_reader(spec: str) -> CardReader:
    """Open a reader from the app's registry (see the module docstring for specs)."""
    return default_registry().open_reader(spec)
