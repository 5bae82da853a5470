"""PcscReader against a real pcscd with vpcd virtual cards: taps, bad reads, and outages."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable

import pytest

from devices.cards import (
    REASON_CARD_PULLED,
    REASON_CARD_UNREADABLE,
    REASON_READER_NOT_FOUND,
    CardEvent,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.pcsc import PcscReader, list_pcsc_readers
from tests.support.pcscd import Pcscd, unavailable_reason, wait_reader_empty
from tests.support.vcard import CardEventRecorder, VirtualCard

MakeCard = Callable[..., VirtualCard]
StartReader = Callable[..., tuple[PcscReader, CardEventRecorder]]

# pcscd polls the vpcd slot every 400 ms; a tap or a removal shows within about one poll.
EVENT_TIMEOUT = 3.0


def test_list_pcsc_readers_names_both_test_slots(live_pcscd: Pcscd) -> None:
    assert list_pcsc_readers() == [live_pcscd.reader_name, live_pcscd.second_reader_name]


def test_tap_reports_the_uid_then_removal(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    reader, events = start_reader()
    ready = events.wait_for(ReaderReady)
    assert ready == ReaderReady(live_pcscd.reader_name)
    assert reader.name == live_pcscd.reader_name

    card = virtual_card("04A1B2C3D4E5F6")
    card.insert()
    presented = events.wait_for(CardPresented, EVENT_TIMEOUT)
    assert presented == CardPresented(live_pcscd.reader_name, "04A1B2C3D4E5F6")
    assert card.apdus == [bytes.fromhex("FFCA000000")]

    card.remove()
    assert events.wait_for(CardRemoved, EVENT_TIMEOUT) == CardRemoved(live_pcscd.reader_name)
    assert events.events == [ready, presented, CardRemoved(live_pcscd.reader_name)]


def test_events_arrive_on_the_reader_thread(
    virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    virtual_card("0102030405060708").insert()
    events.wait_for(CardPresented, EVENT_TIMEOUT)
    assert threading.get_ident() not in events.threads
    assert len(set(events.threads)) == 1


def test_a_card_already_on_the_reader_is_reported_at_start(
    virtual_card: MakeCard, start_reader: StartReader
) -> None:
    card = virtual_card("AABBCCDD")
    card.insert()
    assert card.wait_powered(EVENT_TIMEOUT)
    _, events = start_reader()
    events.wait_for(ReaderReady)
    assert events.wait_for(CardPresented, EVENT_TIMEOUT).uid == "AABBCCDD"  # type: ignore[union-attr]


def test_unreadable_card_is_an_error_and_the_next_card_reads(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    bad = virtual_card("11223344", unreadable=True)
    bad.insert()
    error = events.wait_for((CardPresented, ReaderError), EVENT_TIMEOUT)
    assert error == ReaderError(live_pcscd.reader_name, REASON_CARD_UNREADABLE)
    bad.remove()

    good = virtual_card("55667788")
    _insert_after_removal_settled(good, live_pcscd.reader_name)
    assert events.wait_for(CardPresented, EVENT_TIMEOUT).uid == "55667788"  # type: ignore[union-attr]
    # No CardRemoved for a card that was never presented: the error stays on screen.
    assert not any(isinstance(event, CardRemoved) for event in events.events)


def test_card_pulled_mid_read_is_an_error_and_a_new_tap_works(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    card = virtual_card("0A0B0C0D")
    card.pull_on_next_apdu()
    card.insert()
    error = events.wait_for((CardPresented, ReaderError), EVENT_TIMEOUT)
    assert error == ReaderError(live_pcscd.reader_name, REASON_CARD_PULLED)
    assert card.wait_pulled(1.0)
    assert not card.inserted

    _insert_after_removal_settled(card, live_pcscd.reader_name)
    assert events.wait_for(CardPresented, EVENT_TIMEOUT) == CardPresented(
        live_pcscd.reader_name, "0A0B0C0D"
    )
    assert not any(isinstance(event, CardRemoved) for event in events.events)


def test_two_cards_in_quick_succession_are_both_reported_in_order(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    first, second = virtual_card("01010101"), virtual_card("02020202")

    first.insert()
    events.wait_for(CardPresented, EVENT_TIMEOUT)
    first.remove()
    events.wait_for(CardRemoved, EVENT_TIMEOUT)
    # The next customer's card goes down as soon as the reader saw the first one leave.
    second.insert()
    events.wait_for(CardPresented, EVENT_TIMEOUT)
    second.remove()
    events.wait_for(CardRemoved, EVENT_TIMEOUT)

    name = live_pcscd.reader_name
    assert events.events[1:] == [
        CardPresented(name, "01010101"),
        CardRemoved(name),
        CardPresented(name, "02020202"),
        CardRemoved(name),
    ]


def test_a_named_reader_watches_only_its_slot(
    live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader(live_pcscd.second_reader_name)
    assert events.wait_for(ReaderReady) == ReaderReady(live_pcscd.second_reader_name)
    other_slot = virtual_card("99999999")
    other_slot.insert()
    assert other_slot.wait_powered(EVENT_TIMEOUT)  # pcscd saw it on the first slot
    virtual_card("12345678", port=live_pcscd.second_port).insert()
    presented = events.wait_for(CardPresented, EVENT_TIMEOUT)
    assert presented == CardPresented(live_pcscd.second_reader_name, "12345678")
    assert other_slot.apdus == []
    assert [e for e in events.events if isinstance(e, CardPresented)] == [presented]


def test_a_failing_handler_does_not_stop_the_reader(
    virtual_card: MakeCard, live_pcscd: Pcscd
) -> None:
    events = CardEventRecorder()

    def handler(event: CardEvent) -> None:
        events(event)
        if isinstance(event, CardPresented):
            raise RuntimeError("handler bug")

    reader = PcscReader()
    reader.start(handler)
    try:
        events.wait_for(ReaderReady)
        card = virtual_card("CAFE0001")
        card.insert()
        events.wait_for(CardPresented, EVENT_TIMEOUT)
        card.remove()
        events.wait_for(CardRemoved, EVENT_TIMEOUT)
        assert reader.running
    finally:
        reader.stop()


def test_a_handler_may_stop_the_reader(virtual_card: MakeCard, live_pcscd: Pcscd) -> None:
    events = CardEventRecorder()
    reader = PcscReader()

    def handler(event: CardEvent) -> None:
        events(event)
        if isinstance(event, CardPresented):
            reader.stop()

    reader.start(handler)
    try:
        events.wait_for(ReaderReady)
        virtual_card("5707").insert()
        events.wait_for(CardPresented, EVENT_TIMEOUT)
        deadline = time.monotonic() + 2.0
        while any(t.name.startswith("pcsc-reader") for t in threading.enumerate()):
            assert time.monotonic() < deadline, "the reader thread did not end"
            time.sleep(0.01)
    finally:
        reader.stop()


def test_missing_prerequisites_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in (unavailable_reason() or "")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert "pcscd is not installed" in (unavailable_reason() or "")


def test_stop_is_prompt_and_leaves_no_thread(live_pcscd: Pcscd) -> None:
    # poll_timeout long on purpose: stop() must cancel the blocking wait, not outwait it.
    reader = PcscReader(poll_timeout=30.0)
    events = CardEventRecorder()
    reader.start(events)
    events.wait_for(ReaderReady)
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 0.5
    assert not reader.running


def test_without_pcscd_nothing_crashes_and_the_reader_comes_back(
    pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    pcscd.stop()
    try:
        assert list_pcsc_readers() == []
        reader, events = start_reader(retry_interval=0.2)
        error = events.wait_for(ReaderError, EVENT_TIMEOUT)
        assert error == ReaderError(PcscReader.UNRESOLVED_NAME, REASON_READER_NOT_FOUND)
        # Several retries go by without repeating the error or killing the thread.
        time.sleep(0.7)
        assert reader.running
        assert events.since_last_wait() == []

        # stop() is prompt while the reader is waiting to retry, too.
        probe = PcscReader(retry_interval=30.0)
        probe.start(CardEventRecorder())
        started = time.monotonic()
        probe.stop()
        assert time.monotonic() - started < 0.5
        assert not probe.running
    finally:
        pcscd.start()

    assert events.wait_for(ReaderReady, EVENT_TIMEOUT) == ReaderReady(pcscd.reader_name)
    card = virtual_card("FEEDBEEF")
    card.insert()
    assert events.wait_for(CardPresented, EVENT_TIMEOUT).uid == "FEEDBEEF"  # type: ignore[union-attr]


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_reader_recovers_after_pcscd_restarts(
    kill: bool, live_pcscd: Pcscd, virtual_card: MakeCard, start_reader: StartReader
) -> None:
    _, events = start_reader()
    events.wait_for(ReaderReady)
    card = virtual_card("0123456789ABCD")
    card.insert()
    events.wait_for(CardPresented, EVENT_TIMEOUT)

    live_pcscd.restart(kill=kill)
    name = live_pcscd.reader_name
    # The card was on the reader: it is reported gone before the reader is.
    assert events.wait_for(CardRemoved, EVENT_TIMEOUT) == CardRemoved(name)
    assert events.wait_for(ReaderError, EVENT_TIMEOUT) == ReaderError(name, REASON_READER_NOT_FOUND)
    events.wait_for(ReaderReady, EVENT_TIMEOUT)

    # The old daemon's death closed the card's connection; tap it again.
    card.remove()
    card.insert()
    assert events.wait_for(CardPresented, EVENT_TIMEOUT) == CardPresented(name, "0123456789ABCD")


def _insert_after_removal_settled(card: VirtualCard, reader_name: str) -> None:
    """Put a card down once pcscd has seen the previous one leave (see wait_reader_empty)."""
    wait_reader_empty(reader_name)
    card.insert()
