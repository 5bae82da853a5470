"""Virtual cards on the real PC/SC stack (pcscd, the vpcd driver) tapped into the app's own
register: `desktop.app.build_register` with the reader spec ``pcsc:<name>`` (and a card
profile after ``?``), its counter flow, its store holding the members and cards HQ's pull
feed brought. HQ is unreachable, as when a store's line is down.

An unknown card and a blocked card each get their own sentence and nothing is posted; a
card whose UID is not registered is found by the member number in its file; the reader
watcher announces the reader, and a pcscd outage is said and then cleared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.app import Register, build_register
from desktop.flows.counter import CounterState
from desktop.flows.messages import CARD_BLOCKED, UNKNOWN_CARD
from desktop.flows.signin import seed_demo_staff
from desktop.settings import Settings
from devices.card_profile import CardProfile
from devices.cards import REASON_READER_NOT_FOUND
from sync.events import EventBus
from tests.desktop.counter_support import HANAKO_CARD, HANAKO_LOST_CARD, HANAKO_NO, filled_store
from tests.support.pcscd import Pcscd, wait_reader_empty
from tests.support.vcard import CardFile, VirtualCard

pytestmark = pytest.mark.integration

TIMEOUT = 10.0
AID = bytes.fromhex("F0544D5255000001")
PROFILE = CardProfile(aid=AID, file_id=b"\x01\x01", length=16, encoding="ascii")
NAMES = ("member_shown", "counter_message", "sale_recorded", "reader_added", "reader_removed")


class Bus:
    """Every event of interest on the register's bus, in order; waits are bounded."""

    def __init__(self, bus: EventBus) -> None:
        self.seen: list[tuple[str, tuple]] = []
        self._cond = threading.Condition()
        for name in NAMES:
            bus.subscribe(name, lambda *args, n=name: self._add(n, args))

    def _add(self, name: str, args: tuple) -> None:
        with self._cond:
            self.seen.append((name, args))
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.seen)

    def wait(self, name: str, after: int = 0,
             where: Callable[..., bool] = lambda *_: True) -> tuple:
        def found() -> tuple | None:
            return next((a for n, a in self.seen[after:] if n == name and where(*a)), None)

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, TIMEOUT), \
                f"no {name}; saw {self.seen[after:]}"
            result = found()
            assert result is not None
            return result

    def names(self, after: int = 0) -> list[str]:
        with self._cond:
            return [n for n, _ in self.seen[after:]]


@pytest.fixture
def counter(live_pcscd: Pcscd, tmp_path: Path) -> Iterator[Callable[..., tuple[Register, Bus]]]:
    """Start the app's register on the test reader; the spec's options may follow."""
    made: list[Register] = []

    def start(options: str = "") -> tuple[Register, Bus]:
        home = tmp_path / f"home{len(made)}"
        home.mkdir()
        filled_store(home / "register.db").close()
        settings = Settings(home, {
            "hq.url": "http://127.0.0.1:9", "hq.token": "test-token",
            "register.device_id": "R01", "register.store_id": "S001",
            "devices.reader": f"pcsc:{live_pcscd.reader_name}{options}",
            "devices.printer": "simulated", "sync.interval_seconds": 3600,
        })
        events = EventBus()
        bus = Bus(events)
        register = build_register(settings, events=events, reader_watch_interval=0.2)
        made.append(register)
        register.worker.call(seed_demo_staff, register.staff)
        register.session.sign_in("2001", "0000").result(TIMEOUT)
        register.start()
        return register, bus

    yield start
    for register in made:
        register.stop()
    wait_reader_empty(live_pcscd.reader_name)


def lift(card: VirtualCard, reader_name: str) -> None:
    card.remove()
    wait_reader_empty(reader_name)


def test_unknown_and_blocked_cards_are_told_apart_and_nothing_is_posted(
    counter, virtual_card, live_pcscd: Pcscd
) -> None:
    register, bus = counter()
    bus.wait("reader_added", where=lambda name, spec, configured: configured)

    unknown = virtual_card("04DEADBEEF0001")
    mark = bus.mark()
    unknown.insert()
    text, level = bus.wait("counter_message", mark)
    assert (text, level) == (UNKNOWN_CARD, "error")
    register.flow.confirm("1000")  # nobody on screen: confirming records nothing
    lift(unknown, live_pcscd.reader_name)

    lost = virtual_card(HANAKO_LOST_CARD)  # 山田 花子's card, reported lost
    mark = bus.mark()
    lost.insert()
    text, level = bus.wait("counter_message", mark)
    assert (text, level) == (CARD_BLOCKED, "error")
    assert CARD_BLOCKED != UNKNOWN_CARD
    register.flow.confirm("1000")
    lift(lost, live_pcscd.reader_name)

    assert "member_shown" not in bus.names() and "sale_recorded" not in bus.names()
    assert register.flow.state is CounterState.IDLE and register.flow.member is None
    assert register.store.outbox_counts() == {}


def test_a_card_known_by_the_number_in_its_file_is_its_member_and_sells(
    counter, virtual_card, live_pcscd: Pcscd
) -> None:
    register, bus = counter(f"?{PROFILE.spec}")
    member_file = CardFile(HANAKO_NO.encode("ascii").ljust(16, b"\x00"), aid=AID,
                           file_id=b"\x01\x01")
    # A card HQ has not linked to anyone by UID, carrying 山田 花子's number.
    card = virtual_card("04F00D00000001", file=member_file)
    card.insert()
    (member,) = bus.wait("member_shown")
    assert member.display_name == "山田 花子"
    register.flow.confirm("1000")
    (sale,) = bus.wait("sale_recorded")
    assert sale.facts.member.member_id == member.member_id
    assert register.store.outbox_counts() == {"queued": 1}
    lift(card, live_pcscd.reader_name)

    # The same number on a lost card of hers is refused: the card, not the number, decides.
    lost = virtual_card(HANAKO_LOST_CARD, file=member_file)
    mark = bus.mark()
    lost.insert()
    assert bus.wait("counter_message", mark) == (CARD_BLOCKED, "error")
    lift(lost, live_pcscd.reader_name)
    assert register.store.outbox_counts() == {"queued": 1}


def test_a_pcscd_outage_is_said_and_cleared_and_the_reader_reads_again(
    counter, virtual_card, live_pcscd: Pcscd
) -> None:
    register, bus = counter()
    bus.wait("reader_added", where=lambda name, spec, configured: configured)
    mark = bus.mark()
    live_pcscd.stop()
    assert bus.wait("counter_message", mark) == (REASON_READER_NOT_FOUND, "error")
    name, spec, configured = bus.wait("reader_removed", mark)
    assert (name, spec, configured) == (live_pcscd.reader_name,
                                        f"pcsc:{live_pcscd.reader_name}", True)
    mark = bus.mark()
    live_pcscd.start()
    bus.wait("reader_added", mark, where=lambda name, spec, configured: configured)
    text, level = bus.wait("counter_message", mark)
    assert level == "info" and "カードリーダーが使えるようになりました" in text
    card = virtual_card(HANAKO_CARD)
    card.insert()
    (member,) = bus.wait("member_shown", mark)
    assert member.display_name == "山田 花子"
    lift(card, live_pcscd.reader_name)
