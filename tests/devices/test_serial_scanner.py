"""Serial scanners through pyserial on a pseudo-terminal: codes, line ends, unplugging."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.registry import (
    DeviceRegistry,
    default_registry,
    open_scanner,
    register_builtin_scanner_drivers,
)
from devices.scanner import (
    REASON_SCAN_GARBLED,
    REASON_SCANNER_LOST,
    REASON_SCANNER_NOT_FOUND,
    ScannerError,
    ScannerReady,
    ScanReceived,
)
from devices.serial_scanner import SerialScanner
from devices.simulated import SIMULATED_SCANNER_NAME, SimulatedScanner
from tests.support.pty_devices import PtyPort
from tests.support.vcard import CardEventRecorder

TIMEOUT = 3.0
StartScanner = Callable[..., tuple[SerialScanner, CardEventRecorder]]


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[PtyPort]:
    port = PtyPort(tmp_path)
    yield port
    port.close()


@pytest.fixture
def start_scanner() -> Iterator[StartScanner]:
    started: list[SerialScanner] = []

    def start(port: str, **options: object) -> tuple[SerialScanner, CardEventRecorder]:
        scanner = SerialScanner(port, **options)  # type: ignore[arg-type]
        events = CardEventRecorder()
        scanner.start(events)
        started.append(scanner)
        return scanner, events

    yield start
    for scanner in started:
        scanner.stop()
        assert not scanner.running
    assert not [t for t in threading.enumerate() if t.name.startswith("serial-scanner")]


def test_codes_arrive_as_scans_on_the_scanner_thread(
    pty: PtyPort, start_scanner: StartScanner
) -> None:
    scanner, events = start_scanner(str(pty.path))
    name = f"serial:{pty.path}"
    assert scanner.name == name
    assert events.wait_for(ScannerReady, TIMEOUT) == ScannerReady(name)
    pty.write(b"TMR1:S0042:R02:000123\r")
    assert events.wait_for(ScanReceived, TIMEOUT) == ScanReceived(name, "TMR1:S0042:R02:000123")
    # Two codes in one read, and one split across two.
    pty.write(b"4901234567894\r49012")
    time.sleep(0.1)
    pty.write(b"34567894\r")
    assert events.wait_for(ScanReceived, TIMEOUT).text == "4901234567894"  # type: ignore[union-attr]
    assert events.wait_for(ScanReceived, TIMEOUT).text == "4901234567894"  # type: ignore[union-attr]
    assert threading.get_ident() not in events.threads


@pytest.mark.parametrize(("terminator", "ending"), [(b"\r", b"\r\n"), (b"\n", b"\n")])
def test_line_ends_are_not_part_of_the_code(
    pty: PtyPort, start_scanner: StartScanner, terminator: bytes, ending: bytes
) -> None:
    _, events = start_scanner(str(pty.path), terminator=terminator)
    events.wait_for(ScannerReady, TIMEOUT)
    pty.write(b"ABC123" + ending + b"DEF456" + ending)
    texts = [events.wait_for(ScanReceived, TIMEOUT).text for _ in range(2)]  # type: ignore[union-attr]
    assert texts == ["ABC123", "DEF456"]


def test_undecodable_bytes_are_an_error_and_scanning_goes_on(
    pty: PtyPort, start_scanner: StartScanner
) -> None:
    _, events = start_scanner(str(pty.path))
    events.wait_for(ScannerReady, TIMEOUT)
    pty.write(b"\xff\xfe\xfd\r")
    assert events.wait_for(ScannerError, TIMEOUT).reason == REASON_SCAN_GARBLED  # type: ignore[union-attr]
    pty.write(b"OK0001\r")
    assert events.wait_for(ScanReceived, TIMEOUT).text == "OK0001"  # type: ignore[union-attr]


def test_japanese_text_in_utf8_is_kept(pty: PtyPort, start_scanner: StartScanner) -> None:
    _, events = start_scanner(str(pty.path))
    events.wait_for(ScannerReady, TIMEOUT)
    pty.write("会員 山田\r".encode())
    assert events.wait_for(ScanReceived, TIMEOUT).text == "会員 山田"  # type: ignore[union-attr]


def test_a_missing_port_is_reported_once_and_found_when_it_appears(
    tmp_path: Path, start_scanner: StartScanner
) -> None:
    path = tmp_path / "ttyLATER"
    scanner, events = start_scanner(str(path), retry_interval=0.05)
    assert events.wait_for(ScannerError, TIMEOUT) == ScannerError(
        scanner.name, REASON_SCANNER_NOT_FOUND
    )
    time.sleep(0.25)  # several retries
    assert events.since_last_wait() == [] and scanner.running
    port = PtyPort(tmp_path, "ttyLATER")
    try:
        events.wait_for(ScannerReady, TIMEOUT)
        port.write(b"LATE0001\r")
        assert events.wait_for(ScanReceived, TIMEOUT).text == "LATE0001"  # type: ignore[union-attr]
    finally:
        port.close()


def test_the_scanner_survives_being_unplugged(pty: PtyPort, start_scanner: StartScanner) -> None:
    scanner, events = start_scanner(str(pty.path), retry_interval=0.05)
    events.wait_for(ScannerReady, TIMEOUT)
    pty.write(b"BEFORE01\r")
    events.wait_for(ScanReceived, TIMEOUT)

    pty.unplug()
    assert events.wait_for(ScannerError, TIMEOUT) == ScannerError(scanner.name, REASON_SCANNER_LOST)
    time.sleep(0.2)
    assert events.since_last_wait() == []  # one error per outage, not one per retry

    pty.replug()  # a new tty behind the same by-id style name
    events.wait_for(ScannerReady, TIMEOUT)
    pty.write(b"AFTER001\r")
    assert events.wait_for(ScanReceived, TIMEOUT) == ScanReceived(scanner.name, "AFTER001")


def test_stop_is_prompt_and_the_port_is_released(pty: PtyPort, tmp_path: Path) -> None:
    first = SerialScanner(str(pty.path))
    events = CardEventRecorder()
    first.start(events)
    events.wait_for(ScannerReady, TIMEOUT)
    started = time.monotonic()
    first.stop()
    assert time.monotonic() - started < 0.5 and not first.running
    # The port is free again for the next one (it is opened exclusively).
    second = SerialScanner(str(pty.path))
    again = CardEventRecorder()
    second.start(again)
    try:
        again.wait_for(ScannerReady, TIMEOUT)
    finally:
        second.stop()


# -- the registry --------------------------------------------------------------------------


@pytest.fixture
def registry() -> DeviceRegistry:
    registry = DeviceRegistry()
    register_builtin_scanner_drivers(registry)
    return registry


def test_scanner_specs_open_serial_and_simulated_scanners(
    registry: DeviceRegistry, pty: PtyPort
) -> None:
    scanner = registry.open_scanner(f"serial:{pty.path}?baud=115200&terminator=crlf")
    assert isinstance(scanner, SerialScanner)
    assert (scanner.port, scanner.baudrate, scanner.terminator) == (str(pty.path), 115200, b"\r\n")
    plain = registry.open_scanner("serial:/dev/ttyACM0")
    assert isinstance(plain, SerialScanner) and plain.baudrate == 9600 and plain.terminator == b"\r"
    assert isinstance(registry.open_scanner("simulated"), SimulatedScanner)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "unknown scanner"),
        ("keyboard", "unknown scanner"),
        ("serial", "needs a port"),
        ("serial:", "names nothing"),
        ("serial:/dev/ttyACM0?baud=fast", "baud='fast'"),
        ("serial:/dev/ttyACM0?terminator=tab", "terminator='tab'"),
        ("serial:/dev/ttyACM0?parity=even", "unknown option parity"),
        ("serial:/dev/ttyACM0?baud=9600&baud=19200", "given twice"),
        ("serial:/dev/ttyACM0?baud", "bad options"),
        ("simulated:other", "no simulated scanner"),
    ],
)
def test_bad_scanner_specs_say_what_is_wrong(
    registry: DeviceRegistry, spec: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        registry.open_scanner(spec)


def test_enumeration_lists_the_simulated_scanner_and_serial_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from devices import serial_scanner

    monkeypatch.setattr(serial_scanner, "list_serial_ports", lambda: ["/dev/ttyACM0"])
    registry = DeviceRegistry()
    register_builtin_scanner_drivers(registry)
    infos = registry.scanners()
    assert [(i.driver, i.name) for i in infos] == [
        ("simulated", SIMULATED_SCANNER_NAME),
        ("serial", "/dev/ttyACM0"),
    ]
    assert infos[1].spec == "serial:/dev/ttyACM0"


def test_the_simulated_scanner_scans_on_its_own_thread() -> None:
    scanner = SimulatedScanner()
    with pytest.raises(RuntimeError):
        scanner.scan("TMR1")
    events = CardEventRecorder()
    scanner.start(events)
    try:
        scanner.scan("TMR1:S0042:R02:000123")
        scanner.fail(REASON_SCANNER_LOST)
        events.wait_for(ScannerError, 1.0)
        name = SIMULATED_SCANNER_NAME
        assert events.events == [
            ScannerReady(name),
            ScanReceived(name, "TMR1:S0042:R02:000123"),
            ScannerError(name, REASON_SCANNER_LOST),
        ]
        assert threading.get_ident() not in events.threads
        with pytest.raises(ValueError):
            scanner.scan("")
    finally:
        scanner.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("simulated-scanner")]


def test_the_default_registry_knows_the_builtin_scanners() -> None:
    assert {d.name for d in default_registry().scanner_drivers()} >= {"simulated", "serial"}
    assert isinstance(open_scanner("simulated"), SimulatedScanner)


def test_a_garbled_code_is_logged_by_its_length_not_its_bytes(
    pty: PtyPort, start_scanner: StartScanner, caplog: pytest.LogCaptureFixture
) -> None:
    member_no = b"2900000000018"
    with caplog.at_level("DEBUG", logger="devices.serial_scanner"):
        _, events = start_scanner(str(pty.path))
        events.wait_for(ScannerReady, TIMEOUT)
        pty.write(b"\xff" + member_no + b"\r")
        events.wait_for(ScannerError, TIMEOUT)
    assert "14 bytes that are not utf-8" in caplog.text
    assert member_no.decode() not in caplog.text
    assert member_no.hex(" ") not in caplog.text and member_no.hex() not in caplog.text
