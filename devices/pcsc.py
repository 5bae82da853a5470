"""PC/SC contactless card readers (Sony PaSoRi, ACS ACR122U/ACR1252U, …) through pcscd.

`PcscReader` watches one reader on a daemon thread of its own and reports taps through the
CardReader callback: the card's UID (MIFARE) or IDm (FeliCa), read with the PC/SC "get data"
command ``FF CA 00 00 00``. It uses pyscard's low-level ``smartcard.scard`` API rather than
``CardMonitor``: one thread, one context, calls that can be cancelled, so ``stop()`` is
prompt and nothing keeps running behind it.

With a `CardProfile` the reader also reads the member number from a file on the card
(SELECT, READ BINARY) while the card is connected, and reports it in CardPresented.

The reader survives pcscd being absent at start, stopping, or restarting, and the reader
being unplugged: it reports a ReaderError, retries on a fixed schedule, and reports
ReaderReady once it is watching a reader again.

Event rules the counter can rely on:

- ReaderReady when the reader starts watching (at start and after every outage).
- CardPresented for each card put on the reader, CardRemoved when that card leaves.
  A card already on the reader when watching starts is reported as presented.
- A card that could not be read, or was pulled while its member file was being read,
  gets a ReaderError instead of CardPresented, and no
  CardRemoved when it leaves, so the error stays on screen until the next tap.
- ReaderError(REASON_READER_NOT_FOUND) once per outage (preceded by CardRemoved if a card
  was on the reader).
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from smartcard import scard

from devices.card_profile import CardGone, CardProfile, read_member_no
from devices.cards import (
    REASON_CARD_PULLED,
    REASON_CARD_UNREADABLE,
    REASON_READER_BUSY,
    REASON_READER_NOT_FOUND,
    CardCallback,
    CardEvent,
    CardPresented,
    CardRemoved,
    ReaderError,
    ReaderReady,
)
from devices.registry import DeviceRegistry, ReaderDriver

log = logging.getLogger(__name__)

GET_DATA_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]

# pyscard hands back PC/SC result codes as plain ints; masking makes the comparison hold
# whether a platform returns them signed or unsigned.
_MASK = 0xFFFFFFFF


def _code(name: str) -> int:
    return int(getattr(scard, name)) & _MASK


_S_SUCCESS = 0
_E_CANCELLED = _code("SCARD_E_CANCELLED")
_E_TIMEOUT = _code("SCARD_E_TIMEOUT")
_E_UNKNOWN_READER = _code("SCARD_E_UNKNOWN_READER")
_E_READER_UNAVAILABLE = _code("SCARD_E_READER_UNAVAILABLE")
_E_NO_READERS_AVAILABLE = _code("SCARD_E_NO_READERS_AVAILABLE")
_E_NO_SMARTCARD = _code("SCARD_E_NO_SMARTCARD")
_E_SHARING_VIOLATION = _code("SCARD_E_SHARING_VIOLATION")
_E_NOT_TRANSACTED = _code("SCARD_E_NOT_TRANSACTED")
_W_REMOVED_CARD = _code("SCARD_W_REMOVED_CARD")
_W_RESET_CARD = _code("SCARD_W_RESET_CARD")
_W_UNPOWERED_CARD = _code("SCARD_W_UNPOWERED_CARD")
_W_UNRESPONSIVE_CARD = _code("SCARD_W_UNRESPONSIVE_CARD")

# The daemon is gone or our connection to it broke: the context must be thrown away and
# established again once pcscd is back.
_SERVICE_LOST = {
    _code("SCARD_E_NO_SERVICE"),
    _code("SCARD_E_SERVICE_STOPPED"),
    _code("SCARD_F_COMM_ERROR"),
    _code("SCARD_E_INVALID_HANDLE"),
    _code("SCARD_F_INTERNAL_ERROR"),
}
# The reader itself went away (unplugged, or its driver failed).
_READER_LOST = {_E_UNKNOWN_READER, _E_READER_UNAVAILABLE, _E_NO_READERS_AVAILABLE}
# The card left while we were talking to it.
_CARD_GONE = {_E_NO_SMARTCARD, _W_REMOVED_CARD, _W_RESET_CARD, _E_NOT_TRANSACTED}
# Right after a removal, a new card can briefly look unpowered to the reader; connecting
# again a moment later works.
_CONNECT_RETRY = {_W_UNPOWERED_CARD, _W_UNRESPONSIVE_CARD}
_CONNECT_ATTEMPTS = 3
_CONNECT_RETRY_DELAY = 0.15

_STATE_UNAWARE = int(scard.SCARD_STATE_UNAWARE)
_STATE_CHANGED = int(scard.SCARD_STATE_CHANGED)
_STATE_UNKNOWN = int(scard.SCARD_STATE_UNKNOWN)
_STATE_UNAVAILABLE = int(scard.SCARD_STATE_UNAVAILABLE)
_STATE_PRESENT = int(scard.SCARD_STATE_PRESENT)
_STATE_MUTE = int(scard.SCARD_STATE_MUTE)


class _ServiceLost(Exception):
    """pcscd stopped answering on this context."""


class _Stopped(Exception):
    """stop() was called while the worker was busy."""


class _TransmitFailed(Exception):
    """The reader reported an error other than the card leaving."""


class _CannotConnect(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # for the cashier


def _describe(hresult: int) -> str:
    try:
        return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & _MASK:08X})"
    except Exception:  # the message table is a nicety; never let it hide the code
        return f"0x{hresult & _MASK:08X}"


def list_pcsc_readers() -> list[str]:
    """Names of the PC/SC readers pcscd knows now; [] when there are none or no pcscd."""
    try:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except Exception:
        log.exception("could not ask pcscd for readers")
        return []
    if hresult & _MASK != _S_SUCCESS:
        return []
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult & _MASK != _S_SUCCESS:
            return []
        return [str(name) for name in readers]
    except Exception:
        log.exception("could not ask pcscd for readers")
        return []
    finally:
        scard.SCardReleaseContext(context)


class PcscReader:
    """One PC/SC reader: the one named, or, with no name, the first reader pcscd lists.

    With no name the reader follows whichever reader is first at the moment it looks, so
    a replaced USB reader is picked up without a configuration change.
    """

    UNRESOLVED_NAME = "PC/SC"

    def __init__(
        self,
        reader_name: str | None = None,
        *,
        profile: CardProfile | None = None,
        retry_interval: float = 1.0,
        poll_timeout: float = 1.0,
    ) -> None:
        self.reader_name = reader_name
        self.profile = profile
        # The reader the events name; follows the reader actually watched when none was named.
        self.name = reader_name or self.UNRESOLVED_NAME
        self.retry_interval = retry_interval
        self._poll_timeout_ms = int(poll_timeout * 1000)
        self._on_event: CardCallback | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # Guards _context so stop() can cancel a blocking call without racing its release.
        self._context_lock = threading.Lock()
        self._context: int | None = None
        # None until the first outcome, then whether a reader is being watched; lets the
        # "not found" error be reported once per outage rather than every retry.
        self._available: bool | None = None
        self._ready_reader: str | None = None
        self._card_reported = False

    # -- CardReader ------------------------------------------------------------------------

    def start(self, on_event: CardCallback) -> None:
        if self._thread is not None:
            raise RuntimeError(f"card reader {self.name} is already started")
        self._on_event = on_event
        self._stopping.clear()
        self._available = None
        self._ready_reader = None
        self._card_reported = False
        self._thread = threading.Thread(
            target=self._run, name=f"pcsc-reader-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop watching and wait for the reader thread to end (bounded by ``timeout``)."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        if thread is threading.current_thread():
            # Called from an event handler: the thread ends when the handler returns.
            self._thread = None
            return
        # A cancel only interrupts a call already waiting in pcscd; the thread may be just
        # about to make one, so keep cancelling until it has noticed the stop.
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            self._cancel_blocking_call()
            thread.join(min(0.05, max(deadline - time.monotonic(), 0)))
        if thread.is_alive():
            log.warning("card reader thread %s did not stop within %.1f s", thread.name, timeout)
            return
        self._thread = None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # -- the reader thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                context = self._establish()
                if context is None:
                    self._reader_lost()
                    self._stopping.wait(self.retry_interval)
                    continue
                try:
                    self._serve(context)
                finally:
                    self._release()
            except _Stopped:
                return
            except _ServiceLost:
                log.info("pcscd went away; retrying every %.1f s", self.retry_interval)
                self._reader_lost()
                self._stopping.wait(self.retry_interval)
            except Exception:
                # A bug or an unexpected pyscard failure must not leave the counter without a
                # reader: report it like an outage and start over.
                log.exception("card reader %s failed; retrying", self.name)
                self._reader_lost()
                self._stopping.wait(self.retry_interval)

    def _establish(self) -> int | None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult & _MASK != _S_SUCCESS:
            log.debug("no PC/SC context: %s", _describe(hresult))
            return None
        with self._context_lock:
            self._context = context
        if self._stopping.is_set():
            # stop() may have looked for a context to cancel just before we stored it.
            self._release()
            raise _Stopped
        return int(context)

    def _release(self) -> None:
        with self._context_lock:
            context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def _cancel_blocking_call(self) -> None:
        with self._context_lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    def _serve(self, context: int) -> None:
        """Watch readers on one context until stop() or pcscd goes away."""
        while not self._stopping.is_set():
            reader = self._pick_reader(context)
            if reader is None:
                self._reader_lost()
                if self._stopping.wait(self.retry_interval):
                    return
                continue
            self._watch(context, reader)

    def _pick_reader(self, context: int) -> str | None:
        hresult, readers = scard.SCardListReaders(context, [])
        code = hresult & _MASK
        if code in _SERVICE_LOST:
            raise _ServiceLost
        if code != _S_SUCCESS:
            return None
        names = [str(name) for name in readers]
        if self.reader_name is None:
            return names[0] if names else None
        return self.reader_name if self.reader_name in names else None

    def _watch(self, context: int, reader: str) -> None:
        """Report cards on one reader until it disappears, pcscd goes away, or stop()."""
        self.name = reader
        known_state = _STATE_UNAWARE
        # pcscd counts card insertions and removals in the top 16 bits of the event state;
        # a change of count while a card is present means it is another card (a swap
        # between two polls), which the present/empty bits alone would hide.
        handled_count: int | None = None
        reported_count: int | None = None
        ready_reported = False
        while not self._stopping.is_set():
            hresult, states = scard.SCardGetStatusChange(
                context, self._poll_timeout_ms, [(reader, known_state)]
            )
            code = hresult & _MASK
            if code == _E_TIMEOUT:
                continue
            if code == _E_CANCELLED:
                return
            if code in _SERVICE_LOST:
                raise _ServiceLost
            if code in _READER_LOST:
                return
            if code != _S_SUCCESS:
                log.warning("status of %s: %s", reader, _describe(hresult))
                raise _ServiceLost
            event_state = int(states[0][1])
            if event_state & (_STATE_UNKNOWN | _STATE_UNAVAILABLE):
                return
            if not ready_reported:
                ready_reported = True
                self._reader_ready(reader)
            known_state = event_state & ~_STATE_CHANGED
            count = event_state >> 16
            present = bool(event_state & _STATE_PRESENT)
            if self._card_reported and (not present or count != reported_count):
                self._card_reported = False
                self._emit(CardRemoved(reader))
            if present and count != handled_count:
                handled_count = count
                if event_state & _STATE_MUTE:
                    self._emit(ReaderError(reader, REASON_CARD_UNREADABLE))
                    continue
                result = self._read_card(context, reader)
                if isinstance(result, CardPresented):
                    self._card_reported = True
                    reported_count = count
                self._emit(result)

    def _read_card(self, context: int, reader: str) -> CardEvent:
        """CardPresented with the uid (and member number), or the ReaderError to show."""
        try:
            hcard, protocol = self._connect(context, reader)
        except _CannotConnect as failure:
            return ReaderError(reader, failure.reason)
        transmit = functools.partial(self._transmit, hcard, protocol)
        try:
            answer = transmit(bytes(GET_DATA_UID))
            if len(answer) < 2:
                # No status word at all: the card fell silent in the middle of the command.
                # The vpcd driver reports a vanished card this way rather than as an error.
                raise CardGone("no answer to get data")
            if len(answer) < 3 or answer[-2:] != b"\x90\x00":
                # Only the status word: the data bytes may be the card's UID.
                log.info("get data on %s answered SW %s (%d bytes)", reader,
                         answer[-2:].hex().upper(), len(answer))
                return ReaderError(reader, REASON_CARD_UNREADABLE)
            uid = answer[:-2].hex().upper()
            member_no = read_member_no(self.profile, transmit) if self.profile else None
            return CardPresented(reader, uid, member_no)
        except CardGone as gone:
            log.info("card left %s mid-read: %s", reader, gone)
            return ReaderError(reader, REASON_CARD_PULLED)
        except _TransmitFailed:
            return ReaderError(reader, REASON_CARD_UNREADABLE)
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)

    @staticmethod
    def _transmit(hcard: int, protocol: int, apdu: bytes) -> bytes:
        hresult, response = scard.SCardTransmit(hcard, protocol, list(apdu))
        code = hresult & _MASK
        if code in _SERVICE_LOST:
            raise _ServiceLost
        if code in _CARD_GONE:
            raise CardGone(_describe(hresult))
        if code != _S_SUCCESS:
            log.info("transmit %s: %s", apdu[:4].hex(" ").upper(), _describe(hresult))
            raise _TransmitFailed
        return bytes(response)

    def _connect(self, context: int, reader: str) -> tuple[int, int]:
        """Connect to the card on the reader: (card handle, protocol)."""
        code = _S_SUCCESS
        for attempt in range(_CONNECT_ATTEMPTS):
            hresult, hcard, protocol = scard.SCardConnect(
                context,
                reader,
                scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            )
            code = hresult & _MASK
            if code == _S_SUCCESS:
                return int(hcard), int(protocol)
            if code in _SERVICE_LOST:
                raise _ServiceLost
            if code not in _CONNECT_RETRY or attempt == _CONNECT_ATTEMPTS - 1:
                break
            if self._stopping.wait(_CONNECT_RETRY_DELAY):
                raise _Stopped
        log.info("connect to card on %s: %s", reader, _describe(code))
        if code in _CARD_GONE:
            raise _CannotConnect(REASON_CARD_PULLED)
        if code == _E_SHARING_VIOLATION:
            raise _CannotConnect(REASON_READER_BUSY)
        raise _CannotConnect(REASON_CARD_UNREADABLE)

    # -- reporting -------------------------------------------------------------------------

    def _reader_ready(self, reader: str) -> None:
        # A reader that blinks out and back between two looks is not news to the cashier.
        if self._available and self._ready_reader == reader:
            return
        self._available = True
        self._ready_reader = reader
        self._emit(ReaderReady(reader))

    def _reader_lost(self) -> None:
        if self._card_reported:
            self._card_reported = False
            self._emit(CardRemoved(self.name))
        if self._available is False:
            return
        self._available = False
        self._emit(ReaderError(self.name, REASON_READER_NOT_FOUND))

    def _emit(self, event: CardEvent) -> None:
        if self._stopping.is_set():
            return
        callback = self._on_event
        if callback is None:
            return
        try:
            callback(event)
        except Exception:
            # The reader must outlive a faulty handler; the handler's owner sees the log.
            # A CardPresented holds the card's UID and member number: name the kind only.
            log.exception("card event handler failed on %s", type(event).__name__)


def register_reader_driver(registry: DeviceRegistry) -> None:
    """Make PC/SC readers known to a registry as driver "pcsc", one entry per reader."""
    registry.register_reader_driver(
        ReaderDriver(
            name="pcsc",
            enumerate=list_pcsc_readers,
            open=PcscReader,
            open_with_profile=lambda name, profile: PcscReader(name, profile=profile),
            # A configured reader may be unplugged or pcscd down when the app opens it;
            # the reader reports that and picks the reader up when it appears.
            waits_for_reader=True,
            description="PC/SC card reader (pcscd)",
        )
    )
