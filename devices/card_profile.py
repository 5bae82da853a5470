"""Reading a member number from a file on the card: the card profile and its APDUs.

Some chains issue cards with the member number written in a file (ISO 7816-4: an
application selected by AID, an elementary file selected by its two-byte id, read with
READ BINARY). A `CardProfile` says where that file is and how its bytes spell the number;
`read_member_no` runs the commands through any ``transmit`` function, so the same code
serves the PC/SC reader and the unit tests.

Outcomes, as the counter needs them:

- the file is there and holds a number → that number;
- the card has no such application or file, or refuses the read → None: a plain card
  (a customer's own IC card registered by uid), not an error;
- the card stops answering in the middle → `CardGone`, which the reader reports as
  "pulled mid-read".

A profile is stored in settings as a query string, e.g.
``aid=F0544D5255000001&file=0101&length=16&encoding=ascii`` (`CardProfile.parse`, `spec`).
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

Encoding = Literal["ascii", "bcd", "hex"]
_ENCODINGS: tuple[Encoding, ...] = ("ascii", "bcd", "hex")

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
SW_OK = 0x9000
# Short APDUs carry at most 256 bytes, but several readers cap a response at 255 with
# its status word; reading in chunks of this size works everywhere.
_CHUNK = 0xF0
_MAX_OFFSET = 0x7FFF  # READ BINARY P1 bit 8 must stay clear for a plain offset
_MAX_LENGTH = 1024

Transmit = Callable[[bytes], bytes]
"""Send one command APDU, return the response APDU (data then SW1 SW2)."""


class CardGone(Exception):
    """The card stopped answering in the middle of the read (taken off the reader)."""


def _hex_bytes(value: bytes | str | None, what: str) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    cleaned = value.replace(" ", "").replace(":", "")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError(f"card profile {what}={value!r}: expected hex digits") from None


@dataclass(frozen=True)
class CardProfile:
    """Where a card keeps its member number. ``aid`` and ``file_id`` accept hex strings.

    ``aid`` selects the application (SELECT by DF name), ``file_id`` the elementary file in
    it (SELECT by file id); either may be left out when the card needs only the other.
    ``cla`` is 0x00 for ISO 7816-4 cards; readers that map storage cards (FeliCa,
    MIFARE) onto pseudo-APDUs take 0xFF.
    """

    aid: bytes | None = None
    file_id: bytes | None = None
    length: int = 16
    offset: int = 0
    encoding: Encoding = "ascii"
    cla: int = 0x00

    def __post_init__(self) -> None:
        aid = _hex_bytes(self.aid, "aid")  # type: ignore[arg-type]
        file_id = _hex_bytes(self.file_id, "file")  # type: ignore[arg-type]
        object.__setattr__(self, "aid", aid)
        object.__setattr__(self, "file_id", file_id)
        if aid is None and file_id is None:
            raise ValueError("a card profile needs an aid, a file id, or both")
        if aid is not None and not 5 <= len(aid) <= 16:
            raise ValueError(f"card profile aid is {len(aid)} bytes; an AID has 5 to 16")
        if file_id is not None and len(file_id) != 2:
            raise ValueError(f"card profile file id is {len(file_id)} bytes; it has 2")
        if not 1 <= self.length <= _MAX_LENGTH:
            raise ValueError(f"card profile length={self.length}: expected 1–{_MAX_LENGTH}")
        if not 0 <= self.offset or self.offset + self.length - 1 > _MAX_OFFSET:
            raise ValueError(f"card profile offset={self.offset} is outside the file range")
        if self.encoding not in _ENCODINGS:
            raise ValueError(
                f"card profile encoding={self.encoding!r}: expected {', '.join(_ENCODINGS)}"
            )
        if not 0 <= self.cla <= 0xFF:
            raise ValueError(f"card profile cla={self.cla}: expected one byte")

    @classmethod
    def parse(cls, text: str) -> CardProfile | None:
        """The profile a settings string names; None for an empty string (no profile)."""
        text = text.strip()
        if not text:
            return None
        try:
            options = parse_qs(text, keep_blank_values=True, strict_parsing=True)
        except ValueError as exc:
            raise ValueError(f"bad card profile {text!r}: {exc}") from exc
        allowed = {"aid", "file", "length", "offset", "encoding", "cla"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise ValueError(
                f"unknown option {', '.join(unknown)} in card profile {text!r} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        values = {key: found[-1] for key, found in options.items()}

        def number(key: str, default: int, base: int = 10) -> int:
            raw = values.get(key)
            if raw is None:
                return default
            try:
                return int(raw, base)
            except ValueError:
                raise ValueError(f"card profile {key}={raw!r} is not a number") from None

        encoding = values.get("encoding", "ascii")
        if encoding not in _ENCODINGS:
            raise ValueError(
                f"card profile encoding={encoding!r}: expected {', '.join(_ENCODINGS)}"
            )
        return cls(
            aid=_hex_bytes(values.get("aid"), "aid"),
            file_id=_hex_bytes(values.get("file"), "file"),
            length=number("length", 16),
            offset=number("offset", 0),
            encoding=encoding,  # type: ignore[arg-type]
            cla=number("cla", 0, 16),
        )

    @property
    def spec(self) -> str:
        """The settings string `parse` turns back into this profile."""
        parts = []
        if self.aid is not None:
            parts.append(f"aid={self.aid.hex().upper()}")
        if self.file_id is not None:
            parts.append(f"file={self.file_id.hex().upper()}")
        parts.append(f"length={self.length}")
        if self.offset:
            parts.append(f"offset={self.offset}")
        parts.append(f"encoding={self.encoding}")
        if self.cla:
            parts.append(f"cla={self.cla:02X}")
        return "&".join(parts)

    # -- the commands -----------------------------------------------------------------------

    def select_aid(self) -> bytes:
        assert self.aid is not None
        # P2 00 asks for the FCI; cards that answer nothing still say 90 00.
        return bytes((self.cla, INS_SELECT, 0x04, 0x00, len(self.aid))) + self.aid + b"\x00"

    def select_file(self) -> bytes:
        assert self.file_id is not None
        # P1 00: any file under the current DF by id; P2 0C: no response data wanted.
        return bytes((self.cla, INS_SELECT, 0x00, 0x0C, 2)) + self.file_id

    def read_binary(self, offset: int, size: int) -> bytes:
        return bytes((self.cla, INS_READ_BINARY, offset >> 8, offset & 0xFF, size & 0xFF))


def _split(response: bytes) -> tuple[bytes, int]:
    if len(response) < 2:
        # No status word: the card fell silent mid-command. The vpcd driver, and some
        # real readers, report a vanished card this way rather than as an error.
        raise CardGone("no status word in the answer")
    return response[:-2], int.from_bytes(response[-2:], "big")


def _selected(sw: int) -> bool:
    # 61 xx: selected, with xx bytes of FCI waiting (T=0); the FCI is not needed.
    return sw == SW_OK or sw >> 8 == 0x61


def read_file(profile: CardProfile, transmit: Transmit) -> bytes | None:
    """The profile's bytes from the card; None when the card has no such file."""
    if profile.aid is not None:
        _, sw = _split(transmit(profile.select_aid()))
        if not _selected(sw):
            log.info("card has no application %s (SW %04X)", profile.aid.hex().upper(), sw)
            return None
    if profile.file_id is not None:
        _, sw = _split(transmit(profile.select_file()))
        if not _selected(sw):
            log.info("card has no file %s (SW %04X)", profile.file_id.hex().upper(), sw)
            return None
    data = bytearray()
    while len(data) < profile.length:
        offset = profile.offset + len(data)
        size = min(_CHUNK, profile.length - len(data))
        chunk, sw = _split(transmit(profile.read_binary(offset, size)))
        rest_of_file = False
        if sw >> 8 == 0x6C and sw & 0xFF:
            # Wrong length: the card says how many bytes it has left from here.
            chunk, sw = _split(transmit(profile.read_binary(offset, sw & 0xFF)))
            rest_of_file = True
        if sw == 0x6282:  # the file ended before the bytes asked for
            data += chunk
            break
        if sw != SW_OK:
            log.info("read binary at %d refused (SW %04X)", offset, sw)
            return bytes(data) if data else None
        data += chunk
        if rest_of_file or len(chunk) < size:
            break
    return bytes(data[: profile.length])


def decode_member_no(data: bytes, encoding: Encoding) -> str | None:
    """The member number the bytes spell, or None when they spell none.

    Files are usually longer than the number they hold: ASCII is padded with NUL, space or
    FF bytes, BCD with F nibbles, and the padding is not part of the number.
    """
    if encoding == "hex":
        text = data.hex().upper()
        return text if text.strip("F0") else None
    if encoding == "bcd":
        digits = []
        for byte in data:
            for nibble in (byte >> 4, byte & 0x0F):
                if nibble == 0x0F:
                    return "".join(digits) or None
                if nibble > 9:
                    return None
                digits.append(str(nibble))
        return "".join(digits) or None
    text = data.strip(b"\x00\xff ").decode("ascii", errors="replace")
    printable = set(string.ascii_letters + string.digits + string.punctuation)
    if not text or not set(text) <= printable:
        return None
    return text


def read_member_no(profile: CardProfile, transmit: Transmit) -> str | None:
    """The member number on the card, None when it has none; raises CardGone mid-read."""
    data = read_file(profile, transmit)
    if data is None:
        return None
    number = decode_member_no(data, profile.encoding)
    if number is None:
        # The file's bytes may still be personal (a number in another format, a name):
        # say what they are like, not what they are.
        log.info("card file holds no %s member number (%d bytes, %d of them padding)",
                 profile.encoding, len(data), sum(b in (0x00, 0xFF, 0x20) for b in data))
    return number
