"""Card reader events and the reader interface that real and simulated readers share.

Two kinds of news come from the card side: what happens on one reader (a card presented
or removed, an error, the reader ready again), reported by the reader itself, and which
readers exist (ReaderAdded / ReaderRemoved), reported by the reader watcher in
devices/hotplug.py. Both arrive on device threads through plain callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CardPresented:
    reader: str
    uid: str  # upper-case hex, no separators: MIFARE UID or FeliCa IDm
    # The member number written on the card, when the reader has a card profile and the
    # card holds its file; None for cards without one (they are looked up by uid).
    member_no: str | None = None


@dataclass(frozen=True)
class CardRemoved:
    reader: str


@dataclass(frozen=True)
class ReaderError:
    reader: str
    reason: str  # a sentence for the cashier, Japanese


@dataclass(frozen=True)
class ReaderReady:
    """The reader is connected and waiting for cards: when it starts, and after it came back.

    Lets the counter clear a "reader not found" message without waiting for the next tap.
    """

    reader: str


@dataclass(frozen=True)
class ReaderAdded:
    """A reader appeared (plugged in, or pcscd came up); ``spec`` opens it from settings."""

    reader: str
    spec: str = ""


@dataclass(frozen=True)
class ReaderRemoved:
    """A reader went away (unplugged, or pcscd stopped)."""

    reader: str
    spec: str = ""


CardEvent = CardPresented | CardRemoved | ReaderError | ReaderReady
CardCallback = Callable[[CardEvent], None]
ReaderListEvent = ReaderAdded | ReaderRemoved
ReaderListCallback = Callable[[ReaderListEvent], None]

# What the cashier reads in a ReaderError. Shared by every reader so the counter can tell
# the cases apart when it needs to (e.g. to keep the "touch again" prompt on screen).
REASON_READER_NOT_FOUND = "カードリーダーが見つかりません"
REASON_CARD_PULLED = "カードの読み取り中に離されました。もう一度タッチしてください"
REASON_CARD_UNREADABLE = "このカードは読み取れません"
REASON_READER_BUSY = "カードリーダーが他のアプリで使用中です"


class CardReader(Protocol):
    """A reader that reports taps through a callback, called on the reader's own thread."""

    name: str

    def start(self, on_event: CardCallback) -> None: ...

    def stop(self) -> None: ...
