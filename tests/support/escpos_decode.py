"""A decoder for the ESC/POS that Tamaru sends, so tests can read what a receipt says.

It understands exactly the commands Tamaru emits: text (one-byte, and Shift_JIS in kanji
mode), the mode commands around it, native QR codes (GS ( k), raster images (GS v 0),
feeds, cuts and real-time status queries. Anything else raises UnknownCommand, so a test
notices when the output changes shape. Raster images are turned back into PIL images and
searched for QR codes with zxing-cpp.

    result = decode(escpos_kanji(receipt))
    assert "山田 花子 様" in result.lines
    assert result.qr_payloads == [receipt.qr_payload]

``iter_commands`` splits a byte stream without interpreting it; a fake printer uses it
to find status queries in a stream that is still arriving (it raises Incomplete at a
command cut short).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import zxingcpp
from PIL import Image

ESC, FS, GS, DLE, EOT, LF = 0x1B, 0x1C, 0x1D, 0x10, 0x04, 0x0A

# Commands with a fixed number of parameter bytes, keyed by their first two bytes.
_FIXED = {
    b"\x1b@": 0,  # ESC @ initialise
    b"\x1bR": 1,  # ESC R international character set
    b"\x1bt": 1,  # ESC t code page
    b"\x1ba": 1,  # ESC a justification
    b"\x1bE": 1,  # ESC E emphasis
    b"\x1bd": 1,  # ESC d print and feed n lines
    b"\x1cC": 1,  # FS C kanji code system
    b"\x1c&": 0,  # FS & kanji mode on
    b"\x1c.": 0,  # FS . kanji mode off
    b"\x1d!": 1,  # GS ! character size
    b"\x10\x04": 1,  # DLE EOT real-time status
}


class UnknownCommand(ValueError):
    """Bytes that Tamaru is not expected to send."""


class Incomplete(ValueError):
    """The data ends inside a command."""


@dataclass(frozen=True)
class Command:
    name: str  # "text", "LF", or the command's first bytes spelled out, e.g. "GS v 0"
    start: int
    end: int
    params: bytes = b""  # parameter bytes, or the text / image / QR body


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise Incomplete(f"command cut short: need {end} bytes, have {len(data)}")


def _spell(prefix: bytes) -> str:
    names = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE", EOT: "EOT"}
    return " ".join(names.get(b, chr(b)) for b in prefix)


def next_command(data: bytes, pos: int) -> Command:
    """The command starting at ``pos``."""
    b = data[pos]
    if b == LF:
        return Command("LF", pos, pos + 1)
    if b >= 0x20 and b != 0x7F:
        end = pos
        while end < len(data) and data[end] >= 0x20 and data[end] != 0x7F:
            end += 1
        return Command("text", pos, end, data[pos:end])
    _need(data, pos + 2)
    prefix = data[pos : pos + 2]
    if prefix in _FIXED:
        end = pos + 2 + _FIXED[prefix]
        _need(data, end)
        return Command(_spell(prefix), pos, end, data[pos + 2 : end])
    if prefix == b"\x1dV":  # GS V cut: function A has m, function B has m and n
        _need(data, pos + 3)
        end = pos + (4 if data[pos + 2] in (65, 66) else 3)
        _need(data, end)
        if data[pos + 2] not in (0, 1, 48, 49, 65, 66):
            raise UnknownCommand(f"GS V with m={data[pos + 2]} at {pos}")
        return Command("GS V", pos, end, data[pos + 2 : end])
    if prefix == b"\x1dv":  # GS v 0 m xL xH yL yH d1...dk
        _need(data, pos + 8)
        if data[pos + 2] != 0x30:
            raise UnknownCommand(f"GS v {data[pos + 2]:#x} at {pos}")
        width_bytes = int.from_bytes(data[pos + 4 : pos + 6], "little")
        height = int.from_bytes(data[pos + 6 : pos + 8], "little")
        end = pos + 8 + width_bytes * height
        _need(data, end)
        return Command("GS v 0", pos, end, data[pos + 3 : end])
    if prefix == b"\x1d(":  # GS ( fn pL pH body
        _need(data, pos + 5)
        if data[pos + 2] != ord("k"):
            raise UnknownCommand(f"GS ( {chr(data[pos + 2])!r} at {pos}")
        end = pos + 5 + int.from_bytes(data[pos + 3 : pos + 5], "little")
        _need(data, end)
        return Command("GS ( k", pos, end, data[pos + 5 : end])
    raise UnknownCommand(f"unexpected bytes {data[pos : pos + 4].hex(' ')} at {pos}")


def iter_commands(data: bytes, pos: int = 0) -> Iterator[Command]:
    while pos < len(data):
        command = next_command(data, pos)
        yield command
        pos = command.end


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool = False
    large: bool = False
    centered: bool = False


@dataclass
class Decoded:
    styled: list[Line] = field(default_factory=list)
    qr_payloads: list[str] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    cuts: int = 0
    status_queries: int = 0
    unprinted: str = ""  # text left in the buffer with no LF, feed or cut after it

    @property
    def lines(self) -> list[str]:
        return [line.text for line in self.styled]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _State:
    def __init__(self) -> None:
        self.reset()
        self.pending_qr: str | None = None
        self.shift_jis = False  # ESC @ does not reset the kanji code system

    def reset(self) -> None:
        self.kanji = False
        self.japan = False
        self.bold = False
        self.large = False
        self.centered = False


def _text(raw: bytes, state: _State, at: int) -> str:
    if not state.kanji:
        if any(b >= 0x80 for b in raw):
            raise UnknownCommand(f"non-ASCII text outside kanji mode at {at}: {raw.hex(' ')}")
        text = raw.decode("ascii")
    elif not state.shift_jis:
        raise UnknownCommand(f"kanji text at {at} before FS C 1 selected Shift_JIS")
    else:
        text = raw.decode("cp932")
    # ESC R 8 puts the yen sign and the overline where ASCII has \ and ~.
    return text.translate(str.maketrans("\\~", "¥‾")) if state.japan else text


def _qr(body: bytes, state: _State, result: Decoded, at: int) -> None:
    if len(body) < 3 or body[0] != 49:
        raise UnknownCommand(f"GS ( k for something other than a QR code at {at}")
    fn = body[1]
    if fn == 80 and body[2] == 48:
        state.pending_qr = body[3:].decode("utf-8")
    elif fn == 81 and body[2] == 48:
        if state.pending_qr is None:
            raise UnknownCommand(f"QR print with no stored data at {at}")
        result.qr_payloads.append(state.pending_qr)
    elif fn not in (65, 67, 69):  # model, module size, error correction
        raise UnknownCommand(f"GS ( k function {fn} at {at}")


def _raster(params: bytes) -> Image.Image:
    width_bytes = int.from_bytes(params[1:3], "little")
    height = int.from_bytes(params[3:5], "little")
    # Raster bits are 1 for a black dot; mode "1" stores 1 for white, hence "1;I".
    return Image.frombytes("1", (width_bytes * 8, height), params[5:], "raw", "1;I")


def _stack(top: Image.Image, bottom: Image.Image) -> Image.Image:
    joined = Image.new("1", (top.width, top.height + bottom.height), 1)
    joined.paste(top, (0, 0))
    joined.paste(bottom, (0, top.height))
    return joined


def read_qr_codes(image: Image.Image) -> list[str]:
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(image.convert("L"), formats=qr_only)
    return [barcode.text for barcode in found]


def decode(data: bytes) -> Decoded:
    """Interpret a whole print job; raises UnknownCommand or Incomplete on bad input."""
    result = Decoded()
    state = _State()
    buffer: list[str] = []
    style = Line("")
    previous = ""

    def flush(force: bool) -> None:
        if buffer or force:
            result.styled.append(Line("".join(buffer), style.bold, style.large, style.centered))
            buffer.clear()

    for command in iter_commands(data):
        name, params = command.name, command.params
        if name == "text":
            if not buffer:
                style = Line("", state.bold, state.large, state.centered)
            buffer.append(_text(params, state, command.start))
        elif name == "LF":
            if not buffer:
                style = Line("", state.bold, state.large, state.centered)
            flush(force=True)
        elif name == "ESC @":
            flush(force=False)
            state.reset()
        elif name == "ESC R":
            state.japan = params[0] == 8
        elif name == "ESC a":
            state.centered = params[0] in (1, 49)
        elif name == "ESC E":
            state.bold = bool(params[0] & 1)
        elif name == "GS !":
            state.large = params[0] != 0
        elif name == "FS &":
            state.kanji = True
        elif name == "FS .":
            state.kanji = False
        elif name == "FS C":
            if params[0] not in (1, 49):
                raise UnknownCommand(f"FS C {params[0]}: only Shift_JIS is decoded")
            state.shift_jis = True
        elif name in ("ESC d", "GS V"):
            flush(force=False)
            result.cuts += name == "GS V"
        elif name == "DLE EOT":
            result.status_queries += 1
        elif name == "GS v 0":
            flush(force=False)
            image = _raster(params)
            # python-escpos sends a tall image as several blocks, one under the other.
            if previous == "GS v 0" and result.images[-1].width == image.width:
                result.images[-1] = _stack(result.images[-1], image)
            else:
                result.images.append(image)
        elif name == "GS ( k":
            _qr(params, state, result, command.start)
        # ESC t (the code page) only matters for one-byte kana, which cp932 decodes.
        previous = name
    result.unprinted = "".join(buffer)
    for image in result.images:
        result.qr_payloads.extend(read_qr_codes(image))
    return result
