"""Reader hot-plug: the watcher's diffing, and readers coming and going on a real pcscd."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from devices.cards import (
    REASON_READER_NOT_FOUND,
    CardPresented,
    CardRemoved,
    ReaderAdded,
    ReaderError,
    ReaderReady,
    ReaderRemoved,
)
from devices.hotplug import ReaderWatcher, concerns
from devices.pcsc import PcscReader
from devices.registry import (
    DeviceRegistry,
    ReaderDriver,
    ReaderInfo,
    register_builtin_reader_drivers,
)
from devices.simulated import SIMULATED_READER_NAME
from tests.support.pcscd import Pcscd
from tests.support.vcard import CardEventRecorder, VirtualCard

EVENT_TIMEOUT = 3.0
StartWatcher = Callable[..., tuple[ReaderWatcher, CardEventRecorder]]


@pytest.fixture
def start_watcher() -> Iterator[StartWatcher]:
    started: list[ReaderWatcher] = []

    def start(*args: object, **kwargs: object) -> tuple[ReaderWatcher, CardEventRecorder]:
        watcher = ReaderWatcher(*args, **kwargs)  # type: ignore[arg-type]
        events = CardEventRecorder()
        watcher.start(events)
        started.append(watcher)
        return watcher, events

    yield start
    for watcher in started:
        watcher.stop()
        assert not watcher.running
    assert not [t for t in threading.enumerate() if t.name == "reader-watcher"]


class FakeBus:
    """Readers a test plugs and unplugs by hand."""

    def __init__(self, *names: str) -> None:
        self.names = list(names)
        self.fail = False
        self.looks = 0

    def __call__(self) -> list[ReaderInfo]:
        self.looks += 1
        if self.fail:
            raise OSError("bus error")
        return [ReaderInfo("fake", name) for name in self.names]


def test_readers_present_at_start_are_reported_added(start_watcher: StartWatcher) -> None:
    watcher, events = start_watcher(FakeBus("A", "B"), interval=30)
    assert events.wait_for(ReaderAdded) == ReaderAdded("A", "fake:A")
    assert events.wait_for(ReaderAdded) == ReaderAdded("B", "fake:B")
    assert watcher.readers == [ReaderInfo("fake", "A"), ReaderInfo("fake", "B")]
    assert threading.get_ident() not in events.threads


def test_changes_are_reported_as_added_and_removed(start_watcher: StartWatcher) -> None:
    bus = FakeBus("A")
    watcher, events = start_watcher(bus, interval=30)
    events.wait_for(ReaderAdded)
    bus.names = ["B", "C"]
    watcher.check_now()  # the interval is long: only an explicit look can see it in time
    assert events.wait_for(ReaderRemoved, 1.0) == ReaderRemoved("A", "fake:A")
    assert [events.wait_for(ReaderAdded, 1.0) for _ in range(2)] == [
        ReaderAdded("B", "fake:B"),
        ReaderAdded("C", "fake:C"),
    ]
    looks = bus.looks
    watcher.check_now()
    deadline = time.monotonic() + 1.0
    while bus.looks == looks and time.monotonic() < deadline:
        time.sleep(0.005)
    assert bus.looks > looks and events.since_last_wait() == []  # nothing changed: no news


def test_the_schedule_notices_changes_on_its_own(start_watcher: StartWatcher) -> None:
    bus = FakeBus()
    _, events = start_watcher(bus, interval=0.05)
    bus.names = ["USB Reader 00 00"]
    assert events.wait_for(ReaderAdded, 1.0).reader == "USB Reader 00 00"  # type: ignore[union-attr]
    bus.names = []
    assert events.wait_for(ReaderRemoved, 1.0).reader == "USB Reader 00 00"  # type: ignore[union-attr]


def test_a_failed_look_is_not_taken_for_readers_unplugged(start_watcher: StartWatcher) -> None:
    bus = FakeBus("A")
    watcher, events = start_watcher(bus, interval=0.02)
    events.wait_for(ReaderAdded)
    bus.fail = True
    looks = bus.looks
    deadline = time.monotonic() + 1.0
    while bus.looks < looks + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events.since_last_wait() == [] and watcher.running
    bus.fail, bus.names = False, ["A", "B"]
    assert events.wait_for(ReaderAdded, 1.0) == ReaderAdded("B", "fake:B")
    assert not any(isinstance(event, ReaderRemoved) for event in events.events)


def test_a_failing_handler_does_not_stop_the_watcher() -> None:
    bus = FakeBus("A")
    events = CardEventRecorder()

    def handler(event: object) -> None:
        events(event)  # type: ignore[arg-type]
        raise RuntimeError("handler bug")

    watcher = ReaderWatcher(bus, interval=0.02)
    watcher.start(handler)
    try:
        events.wait_for(ReaderAdded, 1.0)
        bus.names = []
        events.wait_for(ReaderRemoved, 1.0)
        assert watcher.running
    finally:
        watcher.stop()


def test_stop_is_prompt() -> None:
    watcher = ReaderWatcher(FakeBus("A"), interval=60)
    watcher.start(CardEventRecorder())
    time.sleep(0.05)
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 0.5 and not watcher.running


# -- on a real pcscd ---------------------------------------------------------------------


@pytest.fixture
def registry() -> DeviceRegistry:
    registry = DeviceRegistry()
    register_builtin_reader_drivers(registry)
    return registry


def test_pcscd_stopping_unplugs_its_readers_and_the_reader_survives(
    pcscd: Pcscd, registry: DeviceRegistry, start_watcher: StartWatcher, start_reader: Callable
) -> None:
    pcscd.ensure_running()
    watcher, events = start_watcher(registry, interval=0.05)
    added = [events.wait_for(ReaderAdded, EVENT_TIMEOUT) for _ in range(3)]
    assert [event.reader for event in added] == [  # type: ignore[union-attr]
        SIMULATED_READER_NAME,
        pcscd.reader_name,
        pcscd.second_reader_name,
    ]
    reader, reader_events = start_reader(pcscd.reader_name, retry_interval=0.1)
    reader_events.wait_for(ReaderReady, EVENT_TIMEOUT)

    pcscd.stop()
    try:
        removed = {events.wait_for(ReaderRemoved, EVENT_TIMEOUT) for _ in range(2)}
        assert removed == {
            ReaderRemoved(pcscd.reader_name, f"pcsc:{pcscd.reader_name}"),
            ReaderRemoved(pcscd.second_reader_name, f"pcsc:{pcscd.second_reader_name}"),
        }
        assert reader_events.wait_for(ReaderError, EVENT_TIMEOUT) == ReaderError(
            pcscd.reader_name, REASON_READER_NOT_FOUND
        )
        assert watcher.readers == [ReaderInfo("simulated", SIMULATED_READER_NAME)]
    finally:
        pcscd.start()

    again = {events.wait_for(ReaderAdded, EVENT_TIMEOUT).reader for _ in range(2)}  # type: ignore[union-attr]
    assert again == {pcscd.reader_name, pcscd.second_reader_name}
    reader_events.wait_for(ReaderReady, EVENT_TIMEOUT)
    with VirtualCard("5EED0001", port=pcscd.port):
        assert reader_events.wait_for(CardPresented, EVENT_TIMEOUT).uid == "5EED0001"  # type: ignore[union-attr]
    reader_events.wait_for(CardRemoved, EVENT_TIMEOUT)
    assert reader.running


def test_a_reader_swapped_for_another_is_removed_then_added_and_reads_cards(
    pcscd: Pcscd, registry: DeviceRegistry, start_watcher: StartWatcher, start_reader: Callable
) -> None:
    pcscd.ensure_running()
    _, events = start_watcher(registry, interval=0.05)
    for _ in range(3):
        events.wait_for(ReaderAdded, EVENT_TIMEOUT)
    old_reader, old_events = start_reader(pcscd.reader_name, retry_interval=0.1)
    old_events.wait_for(ReaderReady, EVENT_TIMEOUT)

    # The counter's reader is unplugged and another model plugged in.
    new_slots = pcscd.replace_reader("Tamaru Spare PCD")
    try:
        pcscd.restart()
        gone = events.wait_for(
            ReaderRemoved, EVENT_TIMEOUT, predicate=lambda e: e.reader == pcscd.reader_name
        )
        assert gone == ReaderRemoved(pcscd.reader_name, f"pcsc:{pcscd.reader_name}")
        added = events.wait_for(
            ReaderAdded, EVENT_TIMEOUT, predicate=lambda e: e.reader == new_slots[0]
        )
        assert added == ReaderAdded(new_slots[0], f"pcsc:{new_slots[0]}")
        # The reader configured by name waits for its own reader to come back.
        assert old_events.wait_for(ReaderError, EVENT_TIMEOUT) == ReaderError(
            pcscd.reader_name, REASON_READER_NOT_FOUND
        )

        # Open the new reader by the spec the event carries, as a settings screen would.
        reader = registry.open_reader(added.spec)  # type: ignore[union-attr]
        assert isinstance(reader, PcscReader)
        new_events = CardEventRecorder()
        reader.start(new_events)
        try:
            new_events.wait_for(ReaderReady, EVENT_TIMEOUT)
            with VirtualCard("0D0E0A0D", port=pcscd.port):
                presented = new_events.wait_for(CardPresented, EVENT_TIMEOUT)
            assert presented == CardPresented(new_slots[0], "0D0E0A0D")
            new_events.wait_for(CardRemoved, EVENT_TIMEOUT)
        finally:
            reader.stop()
    finally:
        pcscd.replace_reader(None)
        pcscd.restart()
    back = events.wait_for(
        ReaderAdded, EVENT_TIMEOUT, predicate=lambda e: e.reader == pcscd.reader_name
    )
    assert back.spec == f"pcsc:{pcscd.reader_name}"  # type: ignore[union-attr]
    assert old_events.wait_for(ReaderReady, EVENT_TIMEOUT) == ReaderReady(pcscd.reader_name)
    assert old_reader.running


# -- the watcher and the reader the app opens -------------------------------------------


def test_concerns_matches_a_settings_spec_to_reader_events() -> None:
    plugged = ReaderAdded("Sony PaSoRi 00 00", "pcsc:Sony PaSoRi 00 00")
    assert concerns("pcsc", plugged)  # the first PC/SC reader, whichever it is
    assert concerns("pcsc:Sony PaSoRi 00 00", plugged)
    assert concerns(" pcsc:Sony PaSoRi 00 00 ", ReaderRemoved(plugged.reader, plugged.spec))
    assert not concerns("pcsc:ACS ACR1252 00 00", plugged)
    assert not concerns("simulated", plugged)
    simulator = ReaderAdded(SIMULATED_READER_NAME, f"simulated:{SIMULATED_READER_NAME}")
    assert concerns("simulated", simulator) and not concerns("pcsc", simulator)
    # A card profile in the spec says how cards are read, not which reader.
    assert concerns("pcsc:Sony PaSoRi 00 00?file=0101&length=8", plugged)
    assert concerns("pcsc?aid=F0544D5255000001", plugged)
    assert not concerns("pcsc:ACS ACR1252 00 00?file=0101", plugged)


def test_by_default_the_watcher_lists_the_registry_the_app_opens_readers_from(
    monkeypatch: pytest.MonkeyPatch, start_watcher: StartWatcher
) -> None:
    import devices.registry
    from devices.simulated import SimulatedReader

    bus = FakeBus("Counter Reader")
    registry = DeviceRegistry()
    registry.register_reader_driver(ReaderDriver(
        name="fake", enumerate=lambda: [info.name for info in bus()],
        open=lambda name: SimulatedReader(name or "Counter Reader")))
    monkeypatch.setattr(devices.registry, "_default", registry)
    watcher, events = start_watcher(interval=30)  # no enumeration given: the app's registry
    added = events.wait_for(ReaderAdded, 1.0)
    assert added == ReaderAdded("Counter Reader", "fake:Counter Reader")
    reader = devices.registry.open_reader(added.spec)  # type: ignore[union-attr]
    assert reader.name == "Counter Reader"
    bus.names = []
    watcher.check_now()
    assert events.wait_for(ReaderRemoved, 1.0) == ReaderRemoved("Counter Reader", added.spec)  # type: ignore[union-attr]


def test_the_apps_reader_and_the_watcher_tell_the_same_story_when_pcscd_goes(
    pcscd: Pcscd, start_watcher: StartWatcher
) -> None:
    import devices.registry

    pcscd.ensure_running()
    # As the app does with the "pcsc" setting: the registry opens the first PC/SC reader.
    reader = devices.registry.open_reader("pcsc")
    assert isinstance(reader, PcscReader)
    reader_events = CardEventRecorder()
    reader.start(reader_events)
    try:
        _, events = start_watcher(interval=0.05)  # the app's registry
        ready = reader_events.wait_for(ReaderReady, EVENT_TIMEOUT)
        added = events.wait_for(
            ReaderAdded, EVENT_TIMEOUT, predicate=lambda e: e.reader == ready.reader)  # type: ignore[union-attr]
        assert concerns("pcsc", added) and concerns(added.spec, added)  # type: ignore[arg-type,union-attr]

        pcscd.stop()
        try:
            gone = events.wait_for(
                ReaderRemoved, EVENT_TIMEOUT, predicate=lambda e: e.reader == ready.reader)  # type: ignore[union-attr]
            assert gone.spec == added.spec  # type: ignore[union-attr]
            assert reader_events.wait_for(ReaderError, EVENT_TIMEOUT) == ReaderError(
                ready.reader, REASON_READER_NOT_FOUND)  # type: ignore[union-attr]
        finally:
            pcscd.start()
        back = events.wait_for(
            ReaderAdded, EVENT_TIMEOUT, predicate=lambda e: e.reader == ready.reader)  # type: ignore[union-attr]
        assert back == added
        assert reader_events.wait_for(ReaderReady, EVENT_TIMEOUT) == ready
    finally:
        reader.stop()
