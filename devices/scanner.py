"""Barcode/QR scanners: their events, the scanner interface, and the keyboard-wedge classifier.

Serial scanners (devices/serial_scanner.py) and the simulated scanner report through the
`Scanner` callback, on a thread of their own, like card readers.

Keyboard-wedge scanners pretend to be a keyboard: a scan arrives as keystrokes typed into
whichever field has focus, followed by Enter. `BurstClassifier` is the pure part of telling
such a burst from the cashier typing; the Qt event filter in desktop/ feeds it every key
with the event's timestamp and acts on its verdict at Enter. The rules:

- keys at most ``max_gap_ms`` apart form a run (scanners send a key every few ms;
  people, even fast typists rolling keys, do not keep that up for six keys);
- a run is a scan when Enter follows within ``max_gap_ms``, the code has at least
  ``min_length`` characters, and the run began after ``quiet_ms`` without keys. The
  last rule keeps the tail of a scan that stalled mid-way (a USB hiccup) from passing
  as a whole, shorter code; the cashier scans again instead;
- with a ``prefix`` configured on the scanner, the run must start with it, the gaps
  may be as long as ``prefix_max_gap_ms`` (the prefix, not speed, identifies the
  scanner) and any non-empty code counts; with a ``suffix``, the run must end with it.
  Prefix and suffix are stripped from the text.

By Enter the burst has been typed into the focused field; `Scan.typed` says how many
characters of it to take back out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ScanReceived:
    source: str  # the scanner's name, e.g. "serial:/dev/ttyACM0"
    text: str


@dataclass(frozen=True)
class ScannerError:
    source: str
    reason: str  # a sentence for the cashier, Japanese


@dataclass(frozen=True)
class ScannerReady:
    """The scanner is connected: at start, and after it came back from an outage."""

    source: str


ScanEvent = ScanReceived | ScannerError | ScannerReady
ScanCallback = Callable[[ScanEvent], None]

REASON_SCANNER_NOT_FOUND = "スキャナーが見つかりません"
REASON_SCANNER_LOST = "スキャナーとの接続が切れました"
REASON_SCANNER_BUSY = "スキャナーが他のアプリで使用中です"
REASON_SCANNER_NO_PERMISSION = "スキャナーを使う権限がありません"
REASON_SCAN_GARBLED = "読み取ったコードを文字にできませんでした。もう一度読み取ってください"


class Scanner(Protocol):
    """A scanner that reports scans through a callback, called on the scanner's own thread."""

    name: str

    def start(self, on_event: ScanCallback) -> None: ...

    def stop(self) -> None: ...


# -- keyboard wedge ------------------------------------------------------------------------


@dataclass(frozen=True)
class BurstRules:
    """How a keyboard-wedge scanner is told from a person (see the module docstring)."""

    max_gap_ms: float = 40.0
    min_length: int = 6
    quiet_ms: float = 100.0
    prefix: str = ""
    suffix: str = ""
    prefix_max_gap_ms: float = 150.0

    def __post_init__(self) -> None:
        if self.max_gap_ms <= 0 or self.prefix_max_gap_ms <= 0:
            raise ValueError("gaps between scanner keys must be positive")
        if self.quiet_ms < self.max_gap_ms:
            raise ValueError("quiet_ms must be at least max_gap_ms")
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")


@dataclass(frozen=True)
class Scan:
    """A recognised scan: the code, and how many characters it typed into the field."""

    text: str
    typed: int


class BurstClassifier:
    """Feed it every key (`key`, `other_key`) and Enter (`enter`); not thread-safe.

    Timestamps are milliseconds from any clock that only moves forward, such as
    ``QKeyEvent.timestamp()``. A timestamp going backwards (the clock wrapped) starts over.
    Modifier keys alone (Shift for upper-case letters) must not be fed: scanners press
    them too.
    """

    def __init__(self, rules: BurstRules | None = None) -> None:
        self.rules = rules or BurstRules()
        self._run: list[str] = []
        self._last_key: float | None = None
        self._clean = True  # the current run began after a quiet spell
        self._prefixed = False  # the current run started with the prefix

    def reset(self) -> None:
        """Forget everything typed so far (focus moved, a dialog opened, …)."""
        self._run = []
        self._last_key = None
        self._clean = True
        self._prefixed = False

    def key(self, char: str, t_ms: float) -> None:
        """A key that typed ``char`` into the focused field."""
        if len(char) != 1:
            # Input-method commits and dead-key sequences are a person at the keyboard.
            self.other_key(t_ms)
            return
        rules = self.rules
        gap = None if self._last_key is None else t_ms - self._last_key
        allowed = rules.prefix_max_gap_ms if self._prefixed else rules.max_gap_ms
        if gap is None or gap < 0 or gap > allowed:
            self._run = []
            self._prefixed = False
            self._clean = gap is None or gap >= rules.quiet_ms
        self._run.append(char)
        self._last_key = t_ms
        if rules.prefix and not self._prefixed and "".join(self._run).endswith(rules.prefix):
            # The prefix marks where the scan begins. Keys before it in the same run are
            # the cashier's, and a scan typed hard on their heels is suspect.
            started_run = len(self._run) == len(rules.prefix)
            self._run = list(rules.prefix)
            self._prefixed = True
            self._clean = self._clean and started_run

    def other_key(self, t_ms: float) -> None:
        """A key that typed nothing (Backspace, an arrow, Tab): a person is editing."""
        self._run = []
        self._prefixed = False
        self._last_key = t_ms
        self._clean = False

    def enter(self, t_ms: float) -> Scan | None:
        """Enter was pressed: the scan it ends, or None when the cashier pressed it."""
        run, last, clean, prefixed = self._run, self._last_key, self._clean, self._prefixed
        # Whatever the verdict, the next key starts afresh: scanners may send codes back
        # to back, a person starts typing the next thing.
        self.reset()
        if not run or last is None or not clean:
            return None
        rules = self.rules
        gap = t_ms - last
        if gap < 0 or gap > (rules.prefix_max_gap_ms if prefixed else rules.max_gap_ms):
            return None
        text = "".join(run)
        if rules.prefix:
            if not prefixed:
                return None
            text = text[len(rules.prefix) :]
        if rules.suffix:
            if not text.endswith(rules.suffix):
                return None
            text = text[: -len(rules.suffix)]
        if not text or (not rules.prefix and len(text) < rules.min_length):
            return None
        return Scan(text, typed=len(run))
