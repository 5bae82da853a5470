"""Fixtures for the card reader tests: started readers (pcscd and virtual cards come from
tests/support/pcscd_fixtures.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.pcsc import PcscReader
from tests.support.vcard import CardEventRecorder


@pytest.fixture
def start_reader() -> Iterator[Callable[..., tuple[PcscReader, CardEventRecorder]]]:
    """Start PcscReaders with a recorder; each is stopped afterwards and must leave no thread."""
    started: list[PcscReader] = []

    def start(
        reader_name: str | None = None, **options: Any
    ) -> tuple[PcscReader, CardEventRecorder]:
        reader = PcscReader(reader_name, **options)
        recorder = CardEventRecorder()
        reader.start(recorder)
        started.append(reader)
        return reader, recorder

    yield start
    for reader in started:
        reader.stop()
        assert not reader.running
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("pcsc-reader")]
    assert not leftover, f"reader threads still running: {leftover}"
