"""The device registry: enumeration, reader specs, and the simulated reader found through it."""

from __future__ import annotations

import threading
import time

import pytest

from devices.card_profile import CardProfile
from devices.cards import (
    REASON_CARD_UNREADABLE,
    CardPresented,
    CardReader,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.pcsc import PcscReader
from devices.registry import (
    DeviceRegistry,
    ReaderDriver,
    ReaderInfo,
    default_registry,
    open_reader,
    register_builtin_reader_drivers,
)
from devices.simulated import SIMULATED_READER_NAME, SimulatedReader
from tests.support.pcscd import Pcscd
from tests.support.vcard import CardEventRecorder, VirtualCard


@pytest.fixture
def registry() -> DeviceRegistry:
    registry = DeviceRegistry()
    register_builtin_reader_drivers(registry)
    return registry


def test_simulated_reader_taps_through_the_callback_on_its_own_thread(
    registry: DeviceRegistry,
) -> None:
    reader = registry.open_reader("simulated")
    assert isinstance(reader, SimulatedReader)
    assert reader.name == SIMULATED_READER_NAME
    events = CardEventRecorder()
    reader.start(events)
    try:
        assert events.wait_for(ReaderReady, 1.0) == ReaderReady(SIMULATED_READER_NAME)
        reader.tap("04:a1:b2:c3")
        assert events.wait_for(CardPresented, 1.0) == CardPresented(
            SIMULATED_READER_NAME, "04A1B2C3"
        )
        reader.remove()
        assert events.wait_for(CardRemoved, 1.0) == CardRemoved(SIMULATED_READER_NAME)
        assert threading.get_ident() not in events.threads
        assert len(set(events.threads)) == 1
    finally:
        reader.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("simulated-reader")]


def test_simulated_reader_follows_the_real_readers_rules() -> None:
    reader = SimulatedReader()
    with pytest.raises(RuntimeError):
        reader.tap("0102")
    events = CardEventRecorder()
    reader.start(events)
    try:
        reader.remove()  # no card: nothing to report
        reader.tap("0102")
        reader.tap("0304")  # a new card while one is on the reader: the first one left
        reader.fail(REASON_CARD_UNREADABLE)
        events.wait_for(ReaderError, 1.0)
        name = SIMULATED_READER_NAME
        assert events.events == [
            ReaderReady(name),
            CardPresented(name, "0102"),
            CardRemoved(name),
            CardPresented(name, "0304"),
            ReaderError(name, REASON_CARD_UNREADABLE),
        ]
        with pytest.raises(ValueError):
            reader.tap("not hex")
        with pytest.raises(ValueError):
            reader.tap("123")
    finally:
        reader.stop()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "unknown card reader ''"),
        ("nfc", "unknown card reader 'nfc'"),
        ("felica:PaSoRi", "unknown card reader 'felica:PaSoRi'"),
        ("pcsc:", "names no reader after ':'"),
        ("simulated:other", "no simulated card reader named 'other'"),
    ],
)
def test_a_bad_spec_is_a_clear_value_error(
    registry: DeviceRegistry, spec: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        registry.open_reader(spec)


def test_the_unknown_spec_message_lists_the_forms_that_work(registry: DeviceRegistry) -> None:
    with pytest.raises(ValueError) as caught:
        registry.open_reader("usb")
    assert "'pcsc' or 'pcsc:<reader name>'" in str(caught.value)
    assert "'simulated'" in str(caught.value)


def test_pcsc_specs_open_pcsc_readers_even_before_the_reader_is_there(
    registry: DeviceRegistry,
) -> None:
    first = registry.open_reader("pcsc")
    assert isinstance(first, PcscReader) and first.reader_name is None
    named = registry.open_reader("pcsc:Sony FeliCa Port/PaSoRi 4.0 00 00")
    assert isinstance(named, PcscReader)
    assert named.reader_name == "Sony FeliCa Port/PaSoRi 4.0 00 00"
    assert named.name == "Sony FeliCa Port/PaSoRi 4.0 00 00"


def test_enumeration_lists_the_simulator_and_every_pcsc_reader(
    registry: DeviceRegistry, live_pcscd: Pcscd
) -> None:
    assert registry.readers() == [
        ReaderInfo("simulated", SIMULATED_READER_NAME),
        ReaderInfo("pcsc", live_pcscd.reader_name),
        ReaderInfo("pcsc", live_pcscd.second_reader_name),
    ]
    assert ReaderInfo("pcsc", live_pcscd.reader_name).spec == f"pcsc:{live_pcscd.reader_name}"


def test_enumeration_without_pcscd_still_lists_the_simulator(
    registry: DeviceRegistry, pcscd: Pcscd
) -> None:
    pcscd.stop()
    try:
        assert registry.readers() == [ReaderInfo("simulated", SIMULATED_READER_NAME)]
    finally:
        pcscd.start()


def test_a_reader_opened_by_its_enumerated_spec_reads_cards(
    registry: DeviceRegistry, live_pcscd: Pcscd
) -> None:
    info = next(i for i in registry.readers() if i.name == live_pcscd.second_reader_name)
    reader = registry.open_reader(info.spec)
    events = CardEventRecorder()
    reader.start(events)
    try:
        events.wait_for(ReaderReady, 3.0)
        with VirtualCard("C0FFEE00", port=live_pcscd.second_port):
            presented = events.wait_for(CardPresented, 3.0)
        assert presented == CardPresented(live_pcscd.second_reader_name, "C0FFEE00")
        events.wait_for(CardRemoved, 3.0)
    finally:
        reader.stop()


def test_drivers_register_themselves_once(registry: DeviceRegistry) -> None:
    opened: list[str | None] = []

    def open_fake(name: str | None) -> CardReader:
        opened.append(name)
        return SimulatedReader(name or "fake")

    driver = ReaderDriver(name="fake", enumerate=lambda: ["A", "B"], open=open_fake)
    registry.register_reader_driver(driver)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_reader_driver(driver)
    with pytest.raises(ValueError, match="without ':'"):
        registry.register_reader_driver(ReaderDriver("x:y", lambda: [], open_fake))

    assert registry.open_reader("fake").name == "fake"
    assert registry.open_reader("fake:B").name == "B"
    assert opened == [None, "B"]
    assert [d.name for d in registry.reader_drivers()] == ["simulated", "pcsc", "fake"]


def test_a_driver_that_fails_to_enumerate_does_not_hide_the_others(
    registry: DeviceRegistry,
) -> None:
    def broken() -> list[str]:
        raise OSError("bus error")

    registry.register_reader_driver(
        ReaderDriver("broken", broken, lambda name: SimulatedReader(name or "broken"))
    )
    assert ReaderInfo("simulated", SIMULATED_READER_NAME) in registry.readers()


def test_the_default_registry_is_made_once_with_the_builtin_drivers() -> None:
    seen: list[DeviceRegistry] = []
    threads = [threading.Thread(target=lambda: seen.append(default_registry())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(registry is seen[0] for registry in seen)
    assert {d.name for d in seen[0].reader_drivers()} >= {"simulated", "pcsc"}
    assert isinstance(open_reader("simulated"), SimulatedReader)


def test_a_profile_reaches_the_simulated_reader_and_its_member_numbers(
    registry: DeviceRegistry,
) -> None:
    profile = CardProfile(file_id=b"\x01\x01")
    reader = registry.open_reader("simulated", profile=profile)
    assert isinstance(reader, SimulatedReader) and reader.profile == profile
    events = CardEventRecorder()
    reader.start(events)
    try:
        reader.tap("0102", member_no="0012345678")
        assert events.wait_for(CardPresented, 1.0) == CardPresented(
            SIMULATED_READER_NAME, "0102", "0012345678"
        )
    finally:
        reader.stop()

    # Without a profile, a reader does not read the card's file, whatever the card holds.
    plain = registry.open_reader("simulated")
    plain_events = CardEventRecorder()
    plain.start(plain_events)
    try:
        plain.tap("0102", member_no="0012345678")  # type: ignore[attr-defined]
        assert plain_events.wait_for(CardPresented, 1.0).member_no is None  # type: ignore[union-attr]
    finally:
        plain.stop()


def test_drivers_that_cannot_read_card_files_refuse_a_profile(registry: DeviceRegistry) -> None:
    registry.register_reader_driver(
        ReaderDriver("uidonly", lambda: ["R"], lambda name: SimulatedReader(name or "R"))
    )
    with pytest.raises(ValueError, match="cannot read a card profile"):
        registry.open_reader("uidonly", profile=CardProfile(file_id=b"\x01\x01"))
    assert registry.open_reader("uidonly").name == "R"


def test_a_profile_in_the_spec_opens_a_reader_that_reads_the_card_file(
    registry: DeviceRegistry,
) -> None:
    profile = CardProfile(aid=bytes.fromhex("F0544D5255000001"), file_id=b"\x01\x01", length=16)
    reader = registry.open_reader(f"simulated?{profile.spec}")
    assert isinstance(reader, SimulatedReader) and reader.profile == profile
    events = CardEventRecorder()
    reader.start(events)
    try:
        reader.tap("0102", member_no="0012345678")
        assert events.wait_for(CardPresented, 1.0) == CardPresented(
            SIMULATED_READER_NAME, "0102", "0012345678"
        )
    finally:
        reader.stop()
    pcsc = registry.open_reader("pcsc:Some Reader 00 00?file=0101&length=8&encoding=bcd")
    assert isinstance(pcsc, PcscReader) and pcsc.reader_name == "Some Reader 00 00"
    assert pcsc.profile == CardProfile(file_id=b"\x01\x01", length=8, encoding="bcd")


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("simulated?", "nothing after '?'"),
        ("simulated?aid=XYZ", "expected hex digits"),
        ("simulated?file=0101&colour=red", "unknown option colour"),
        ("simulated?length=16", "needs an aid, a file id, or both"),
    ],
)
def test_a_bad_profile_in_the_spec_says_what_is_wrong(
    registry: DeviceRegistry, spec: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        registry.open_reader(spec)


def test_a_profile_given_twice_is_refused(registry: DeviceRegistry) -> None:
    with pytest.raises(ValueError, match="given twice"):
        registry.open_reader("simulated?file=0101", profile=CardProfile(file_id=b"\x01\x02"))


def test_a_failing_handler_is_logged_without_the_cards_uid_or_number(caplog) -> None:
    reader = SimulatedReader()

    def broken(_event: object) -> None:
        raise RuntimeError("handler bug")

    with caplog.at_level("DEBUG"):
        reader.start(broken)
        try:
            reader.tap("04A1B2C3D4E5F6", member_no="2900000000018")
            for _ in range(100):
                if "handler failed" in caplog.text:
                    break
                time.sleep(0.02)
        finally:
            reader.stop()
    assert "device event handler failed on CardPresented" in caplog.text
    assert "04A1B2C3D4E5F6" not in caplog.text and "2900000000018" not in caplog.text
