"""Card reader events and the reader interface that real and simulated readers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CardPresented:
    reader: str
    uid: str  # upper-case hex, no separators: MIFARE UID or FeliCa IDm


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class ReaderError:
    reader: str
    reason: str  # a sentence for the cashier, Japanese


CardEvent = CardPresented | CardRemoved | ReaderError
CardCallback = Callable[[CardEvent], None]


class CardReader(Protocol):
    """A reader that reports taps through a callback, called on the reader's own thread."""

    name: str

    def start(self, on_event: CardCallback) -> None: ...

    def stop(self) -> None: ...
