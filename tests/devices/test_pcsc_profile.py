"""Member numbers read from a file on the card, through a real pcscd and the vpcd card."""

from __future__ import annotations

from collections.abc import Callable

from devices.card_profile import CardProfile
from devices.cards import (
    REASON_CARD_PULLED,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.pcsc import PcscReader
from devices.registry import DeviceRegistry, register_builtin_reader_drivers
from tests.support.pcscd import Pcscd, wait_reader_empty
from tests.support.vcard import CardEventRecorder, CardFile, VirtualCard

MakeCard = Callable[..., VirtualCard]
StartReader = Callable[..., tuple[PcscReader, CardEventRecorder]]

EVENT_TIMEOUT = 3.0
AID = bytes.fromhex("F0544D5255000001")
PROFILE = CardProfile(aid=AID, file_id=b"\x01\x01", length=16, encoding="ascii")
MEMBER_FILE = CardFile(b"0012345678".ljust(16, b"\x00"), aid=AID, file_id=b"\x01\x01")


def _presented_or_error(events: CardEventRecorder) -> CardPresented | ReaderError:
    event = events.wait_for((CardPresented, ReaderError), EVENT_TIMEOUT)
    assert isinstance(event, CardPresented | ReaderError)
    return event


def test_the_member_number_comes_with_the_uid(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader(profile=PROFILE)
    events.wait_for(ReaderReady)
    card = virtual_card("04A1B2C3D4E5F6", file=MEMBER_FILE)
    card.insert()
    presented = _presented_or_error(events)
    assert presented == CardPresented(live_pcscd.reader_name, "04A1B2C3D4E5F6", "0012345678")
    assert card.apdus == [
        bytes.fromhex("FFCA000000"),
        PROFILE.select_aid(),
        PROFILE.select_file(),
        PROFILE.read_binary(0, 16),
    ]
    card.remove()
    assert events.wait_for(CardRemoved, EVENT_TIMEOUT) == CardRemoved(live_pcscd.reader_name)


def test_a_card_without_the_file_is_presented_without_a_number(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader(profile=PROFILE)
    events.wait_for(ReaderReady)
    plain = virtual_card("AABBCCDD")  # a customer's own card, registered by uid
    plain.insert()
    assert _presented_or_error(events) == CardPresented(live_pcscd.reader_name, "AABBCCDD", None)
    assert plain.apdus[1] == PROFILE.select_aid()
    plain.remove()
    events.wait_for(CardRemoved, EVENT_TIMEOUT)

    # The application is there, but not the file.
    other = CardFile(b"x" * 16, aid=AID, file_id=b"\x02\x02")
    wrong_file = virtual_card("11223344", file=other)
    wrong_file.insert()
    assert _presented_or_error(events) == CardPresented(live_pcscd.reader_name, "11223344", None)


def test_a_card_pulled_during_read_binary_is_an_error_and_the_next_tap_reads(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader(profile=PROFILE)
    events.wait_for(ReaderReady)
    card = virtual_card("0A0B0C0D", file=MEMBER_FILE)
    card.pull_on_command(b"\x00\xb0")
    card.insert()
    assert _presented_or_error(events) == ReaderError(live_pcscd.reader_name, REASON_CARD_PULLED)
    assert card.wait_pulled(1.0)

    wait_reader_empty(live_pcscd.reader_name)
    card.insert()
    assert _presented_or_error(events) == CardPresented(
        live_pcscd.reader_name, "0A0B0C0D", "0012345678"
    )
    assert not any(isinstance(event, CardRemoved) for event in events.events)


def test_without_a_profile_only_the_uid_is_asked(
    virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    card = virtual_card("CAFEBABE", file=MEMBER_FILE)
    card.insert()
    presented = _presented_or_error(events)
    assert isinstance(presented, CardPresented) and presented.member_no is None
    assert card.apdus == [bytes.fromhex("FFCA000000")]


def test_the_registry_opens_readers_with_a_profile(
    live_pcscd: Pcscd, virtual_card: MakeCard
) -> None:
    registry = DeviceRegistry()
    register_builtin_reader_drivers(registry)
    bcd = CardProfile(file_id=b"\x00\x10", length=6, encoding="bcd")
    reader = registry.open_reader(f"pcsc:{live_pcscd.second_reader_name}", profile=bcd)
    assert isinstance(reader, PcscReader) and reader.profile == bcd
    events = CardEventRecorder()
    reader.start(events)
    try:
        events.wait_for(ReaderReady, EVENT_TIMEOUT)
        card_file = CardFile(bytes.fromhex("0000123456789FFF"), file_id=b"\x00\x10")
        virtual_card("01020304", file=card_file, port=live_pcscd.second_port).insert()
        presented = events.wait_for(CardPresented, EVENT_TIMEOUT)
        assert presented == CardPresented(live_pcscd.second_reader_name, "01020304", "000012345678")
    finally:
        reader.stop()
