"""A virtual contactless card for the vpcd reader driver, so tests can tap cards on a real pcscd.

The vpcd driver (package ``vsmartcard-vpcd``) listens on a TCP port per reader slot; a card
is a TCP client of that port. While the socket is connected the card lies on the reader;
closing it takes the card away. Every message in either direction is a 2-byte big-endian
length and then the payload. A 1-byte payload from the driver is a control (0 power off,
1 power on, 2 reset, 4 "send your ATR", which is also the driver's presence poll); a longer
one is a command APDU that the card answers with a response APDU.

This card answers the PC/SC "get data" command ``FF CA 00 00 00`` with its UID (or with
``6A 81`` when it plays an unreadable card) and ``6D 00`` to anything else. Given a
`CardFile` it also holds a member number file: SELECT by AID and by file id, and READ
BINARY, answered as ISO 7816-4 cards do (``6A 82`` for what it does not have). It can be
told to vanish while a command is in flight, the way a customer pulls a card away too
early: at the next command, or at the first command of a given kind.

Usage::

    card = VirtualCard(uid="04A1B2C3D4E5F6", port=pcscd.port)
    card.insert()
    ...                     # the reader reports CardPresented(uid="04A1B2C3D4E5F6")
    card.remove()

or as a context manager (``with VirtualCard(...) as card:`` inserts, and removes on exit).
`CardEventRecorder` is a device callback (card readers, the reader watcher, scanners) that
tests wait on with bounded timeouts.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from devices.cards import CardEvent, ReaderListEvent
from devices.scanner import ScanEvent

DEFAULT_PORT = 40000

# ATRs that PC/SC part 3 readers synthesise for contactless cards: MIFARE Classic 1K and
# FeliCa. The reader software only looks at the ATR to decide the card is there.
ATR_MIFARE_1K = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")
ATR_FELICA = bytes.fromhex("3B 8F 80 01 80 4F 0C A0 00 00 03 06 11 00 3B 00 00 00 00 42")

GET_DATA_UID = bytes.fromhex("FFCA000000")
SW_OK = b"\x90\x00"
SW_FUNCTION_NOT_SUPPORTED = b"\x6a\x81"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_NO_CURRENT_EF = b"\x69\x86"
SW_WRONG_OFFSET = b"\x6b\x00"
SW_END_OF_FILE = b"\x62\x82"

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0


@dataclass(frozen=True)
class CardFile:
    """A file on the card: in the application ``aid`` (None: no application to select),
    with id ``file_id`` (None: the application's only file, read once it is selected)."""

    data: bytes
    aid: bytes | None = None
    file_id: bytes | None = None


_CTRL_OFF = 0
_CTRL_ON = 1
_CTRL_RESET = 2
_CTRL_ATR = 4


class VirtualCard:
    """One card that can be put on and taken off a vpcd reader slot, any number of times.

    ``apdus`` records every command APDU the card received, for assertions.
    """

    def __init__(
        self,
        uid: str = "04A1B2C3D4E5F6",
        *,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        atr: bytes = ATR_MIFARE_1K,
        unreadable: bool = False,
        file: CardFile | None = None,
    ) -> None:
        self.uid = uid.upper()
        self._uid_bytes = bytes.fromhex(uid)
        self.port = port
        self.host = host
        self.atr = atr
        self.unreadable = unreadable
        self.file = file
        self.apdus: list[bytes] = []
        # (command, time.perf_counter() as its answer was sent), for latency checks.
        self.answered: list[tuple[bytes, float]] = []
        self._app_selected = False
        self._file_selected = False
        self._pull_on_prefix: bytes | None = None
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._pull_on_next_apdu = False
        self._pulled = threading.Event()
        self._powered = threading.Event()

    # -- what a test does with the card -------------------------------------------------

    def insert(self, timeout: float = 2.0) -> None:
        """Put the card on the reader (connect to the driver's port)."""
        with self._lock:
            if self._sock is not None:
                raise RuntimeError("the card is already on the reader")
            self._pulled.clear()
            self._powered.clear()
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
            # A blocking socket with no timeout: the loop ends when remove() shuts it down.
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"vcard-{self.uid}", daemon=True
            )
            self._thread.start()

    def remove(self) -> None:
        """Take the card off the reader. Safe to call when it is not on the reader."""
        with self._lock:
            sock, thread = self._sock, self._thread
            self._sock = None
            self._thread = None
        if sock is not None:
            _close(sock)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
            if thread.is_alive():
                raise RuntimeError(f"virtual card {self.uid} did not stop")

    def pull_on_next_apdu(self) -> None:
        """Vanish when the next command arrives, without answering it (a card pulled mid-read)."""
        with self._lock:
            self._pull_on_next_apdu = True

    def pull_on_command(self, prefix: bytes) -> None:
        """Vanish when a command starting with ``prefix`` arrives (e.g. READ BINARY ``00 B0``)."""
        with self._lock:
            self._pull_on_prefix = prefix

    @property
    def inserted(self) -> bool:
        with self._lock:
            return self._sock is not None

    def wait_pulled(self, timeout: float = 5.0) -> bool:
        """Wait until the card vanished because of ``pull_on_next_apdu``."""
        return self._pulled.wait(timeout)

    def answer_time(self, command: bytes, timeout: float = 2.0) -> float:
        """When (time.perf_counter) the answer to ``command`` was sent; waits for it to be
        noted, as the reader may report the card before this card's thread runs again."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for sent, at in self.answered:
                    if sent == command:
                        return at
            if time.monotonic() > deadline:
                raise AssertionError(f"the card never answered {command.hex(' ')}")
            time.sleep(0.001)

    def wait_powered(self, timeout: float = 5.0) -> bool:
        """Wait until the driver powered the card up after an insert."""
        return self._powered.wait(timeout)

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    # -- the card's side of the protocol -------------------------------------------------

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _recv_message(sock)
                if message is None:
                    return
                try:
                    reply = self._answer(message)
                except _Pull:
                    self._vanish(sock)
                    return
                if reply is not None:
                    sending_at = time.perf_counter()
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
                    if len(message) > 1:
                        with self._lock:
                            self.answered.append((message, sending_at))
        except OSError:
            # remove() shut the socket down under us, or the driver went away (pcscd stopped).
            return
        finally:
            self._forget(sock)

    def _answer(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            control = message[0]
            if control == _CTRL_ATR:
                return self.atr
            if control in (_CTRL_ON, _CTRL_RESET):
                self._app_selected = self._file_selected = False
                self._powered.set()
            # Power on/off and reset get no answer in the vpcd protocol.
            return None
        with self._lock:
            self.apdus.append(message)
            if self._pull_on_next_apdu:
                self._pull_on_next_apdu = False
                raise _Pull
            if self._pull_on_prefix is not None and message.startswith(self._pull_on_prefix):
                self._pull_on_prefix = None
                raise _Pull
        if message == GET_DATA_UID:
            if self.unreadable:
                return SW_FUNCTION_NOT_SUPPORTED
            return self._uid_bytes + SW_OK
        if len(message) >= 4 and message[1] == INS_SELECT:
            return self._select(message)
        if len(message) == 5 and message[1] == INS_READ_BINARY:
            return self._read_binary(message)
        return SW_INS_NOT_SUPPORTED

    def _select(self, apdu: bytes) -> bytes:
        p1 = apdu[2]
        body = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        file = self.file
        if p1 == 0x04:  # by DF name (AID)
            found = file is not None and file.aid is not None and body == file.aid
            self._app_selected = found
            self._file_selected = found and file is not None and file.file_id is None
            return SW_OK if found else SW_FILE_NOT_FOUND
        if p1 in (0x00, 0x02):  # by file id
            in_app = file is not None and (file.aid is None or self._app_selected)
            found = in_app and file is not None and body == file.file_id
            self._file_selected = found
            return SW_OK if found else SW_FILE_NOT_FOUND
        return SW_FILE_NOT_FOUND

    def _read_binary(self, apdu: bytes) -> bytes:
        if self.file is None or not self._file_selected:
            return SW_NO_CURRENT_EF
        offset = (apdu[2] << 8) | apdu[3]
        wanted = apdu[4] or 256
        data = self.file.data
        if offset > len(data):
            return SW_WRONG_OFFSET
        chunk = data[offset : offset + wanted]
        return chunk + (SW_OK if len(chunk) == wanted else SW_END_OF_FILE)

    def _vanish(self, sock: socket.socket) -> None:
        _close(sock)
        self._pulled.set()

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            if self._sock is sock:
                # The card left on its own (pulled, or the driver closed it): a later
                # insert() must open a new connection.
                self._sock = None
                self._thread = None
        _close(sock)


class _Pull(Exception):
    """The card leaves instead of answering."""


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        # The driver writes the length and the body in two sends; without QUICKACK each
        # message would wait for the delayed-ACK timer (~40 ms). Linux clears the flag
        # after use, so it is set before every recv.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_message(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    if length == 0:
        return b""
    return _recv_exact(sock, length)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


DeviceEvent = CardEvent | ReaderListEvent | ScanEvent


class CardEventRecorder:
    """A device callback that keeps every event and the thread it arrived on.

    Tests wait on it with bounded timeouts instead of sleeping::

        recorder = CardEventRecorder()
        reader.start(recorder)
        event = recorder.wait_for(CardPresented, timeout=3)
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self.events: list[DeviceEvent] = []
        self.threads: list[int] = []
        self.times: list[float] = []
        self._cursor = 0

    def __call__(self, event: DeviceEvent) -> None:
        with self._condition:
            self.events.append(event)
            self.threads.append(threading.get_ident())
            self.times.append(time.monotonic())
            self._condition.notify_all()

    def wait_for(
        self,
        kind: type[DeviceEvent] | tuple[type[DeviceEvent], ...],
        timeout: float = 5.0,
        predicate: Callable[[DeviceEvent], bool] | None = None,
    ) -> DeviceEvent:
        """The next matching event after the previous wait's, skipping others; fails on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for index in range(self._cursor, len(self.events)):
                    event = self.events[index]
                    if isinstance(event, kind) and (predicate is None or predicate(event)):
                        self._cursor = index + 1
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no {kind} within {timeout} s; events so far: {self.events}"
                    )
                self._condition.wait(remaining)

    def since_last_wait(self) -> list[DeviceEvent]:
        """Events after the one the last wait_for returned (to check nothing else came)."""
        with self._condition:
            return list(self.events[self._cursor :])

    def time_of(self, event: DeviceEvent) -> float:
        """When (time.monotonic) this exact event object arrived."""
        with self._condition:
            for index, seen in enumerate(self.events):
                if seen is event:
                    return self.times[index]
        raise KeyError(event)
