"""Session fixtures for a real pcscd and virtual cards, shared by every test folder.

Registered as a pytest plugin in tests/conftest.py, so tests/devices and
tests/integration use the same daemon instead of stopping each other's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.pcscd import (
    Pcscd,
    PcscdUnavailable,
    acquire_pcscd,
    release_pcscd,
    wait_reader_empty,
)
from tests.support.vcard import ATR_MIFARE_1K, CardFile, VirtualCard


@pytest.fixture(scope="session")
def pcscd() -> Iterator[Pcscd]:
    """The test pcscd (readers "Tamaru Test PCD 00 00" on port 40000 and "… 00 01" on 40001)."""
    try:
        daemon = acquire_pcscd()
    except PcscdUnavailable as exc:
        pytest.skip(f"no test pcscd: {exc}")
    try:
        yield daemon
    finally:
        release_pcscd(daemon)


@pytest.fixture
def live_pcscd(pcscd: Pcscd) -> Pcscd:
    """The test pcscd, started again if an earlier test left it stopped."""
    pcscd.ensure_running()
    return pcscd


@pytest.fixture
def virtual_card(live_pcscd: Pcscd) -> Iterator[Callable[..., VirtualCard]]:
    """Make virtual cards for the first test reader; all are taken off the reader afterwards."""
    made: list[VirtualCard] = []

    def make(
        uid: str = "04A1B2C3D4E5F6",
        *,
        unreadable: bool = False,
        atr: bytes = ATR_MIFARE_1K,
        port: int | None = None,
        file: CardFile | None = None,
    ) -> VirtualCard:
        card = VirtualCard(
            uid, port=port or live_pcscd.port, atr=atr, unreadable=unreadable, file=file
        )
        made.append(card)
        return card

    yield make
    for card in made:
        card.remove()
    # The next test must find the slots empty, not a card pcscd has yet to see leave.
    if made and live_pcscd.running:
        wait_reader_empty(live_pcscd.reader_name)
        wait_reader_empty(live_pcscd.second_reader_name)
