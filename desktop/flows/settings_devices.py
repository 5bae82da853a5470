"""The devices a manager picks on the settings screen, as its forms show them and as the
spec strings the settings keep, free of Qt.

A printer is chosen by kind (LAN, USB, serial, device file, or the on-screen demo
printer), address, model profile, paper width (58 or 80 mm) and mode (text in the
printer's kanji mode, or an image); a serial scanner by port, speed and terminator. Each
form turns into the spec string `devices.printer_specs` and `devices.registry` read
(`printer_spec`, `scanner_spec`), with a sentence per mistake the manager can act on;
options the form has no field for (a timeout, a flow control) are kept as they were when
the chosen kind takes them. The reverse (`parse_printer`, `parse_scanner`) fills the
form from the saved setting.

`printer_spec` is the one place a printer spec is made from choices: it checks each field
with a sentence saying what to type, the model against the ones python-escpos knows, and
finally the whole spec with the driver's own reader (`devices.printer_specs.open_printer`,
which does no I/O), so a spec it returns is one the register can open.

Labels are Japanese sources in the "DeviceChoices" context; sentences in "core".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.settings import SettingsError
from devices.printer_specs import PRINTER_KINDS as SPEC_KINDS
from devices.printer_specs import open_printer, printer_profiles
from devices.receipt_raster import WIDTH_58MM, WIDTH_80MM

CHOICES_CONTEXT = "DeviceChoices"

PRINTER_KINDS: tuple[tuple[str, str], ...] = (
    ("network", QT_TRANSLATE_NOOP("DeviceChoices", "LAN（IP アドレス）")),
    ("usb", QT_TRANSLATE_NOOP("DeviceChoices", "USB")),
    ("serial", QT_TRANSLATE_NOOP("DeviceChoices", "シリアル（COM ポート）")),
    ("file", QT_TRANSLATE_NOOP("DeviceChoices", "デバイスファイル")),
    ("simulated", QT_TRANSLATE_NOOP("DeviceChoices", "画面に表示（デモ用）")),
)
PRINT_MODES: tuple[tuple[str, str], ...] = (
    ("kanji", QT_TRANSLATE_NOOP("DeviceChoices", "テキスト（漢字モード・速い）")),
    ("raster", QT_TRANSLATE_NOOP("DeviceChoices", "画像（どの機種でもきれい）")),
)
PAPER_WIDTHS = (80, 58)
BAUD_RATES = (9600, 19200, 38400, 57600, 115200)
SCANNER_KINDS: tuple[tuple[str, str], ...] = (
    ("", QT_TRANSLATE_NOOP("DeviceChoices", "使わない（キーボード入力型だけ）")),
    ("serial", QT_TRANSLATE_NOOP("DeviceChoices", "シリアル（USB-COM）")),
    ("simulated", QT_TRANSLATE_NOOP("DeviceChoices", "デモ用スキャナー")),
)
TERMINATORS = ("cr", "lf", "crlf")
# What each printer kind's address field asks for (placeholder text, translated).
ADDRESS_HINTS = {
    "network": QT_TRANSLATE_NOOP("DeviceChoices", "例 192.168.0.50 または 192.168.0.50:9100"),
    "usb": QT_TRANSLATE_NOOP("DeviceChoices", "ベンダー:プロダクト 例 04b8:0202"),
    "serial": QT_TRANSLATE_NOOP("DeviceChoices", "例 /dev/ttyS0 または COM1"),
    "file": QT_TRANSLATE_NOOP("DeviceChoices", "例 /dev/usb/lp0"),
    "simulated": "",
}

# The manager's mistakes, each with what to type instead ("core" context).
NETWORK_ADDRESS = QT_TRANSLATE_NOOP(
    "core", "プリンターの IP アドレスを「192.168.0.50」のように入力してください"
    "（ポートを変えるときは「192.168.0.50:9100」）")
BAD_PORT = QT_TRANSLATE_NOOP("core", "ポート番号は 1〜65535 の数字で入力してください")
USB_IDS = QT_TRANSLATE_NOOP(
    "core", "USB プリンターはベンダー ID とプロダクト ID を「04b8:0202」のように入力してください")
SERIAL_PORT = QT_TRANSLATE_NOOP("core", "シリアルポートを「/dev/ttyS0」や「COM1」のように入力してください")
FILE_PATH = QT_TRANSLATE_NOOP("core", "プリンターのデバイスファイルを「/dev/usb/lp0」のように入力してください")
UNKNOWN_KIND = QT_TRANSLATE_NOOP("core", "プリンターの接続方法を選んでください")
BAD_PAPER = QT_TRANSLATE_NOOP("core", "用紙の幅は 58 mm か 80 mm から選んでください")
BAD_MODE = QT_TRANSLATE_NOOP("core", "印刷方式は「テキスト」か「画像」から選んでください")
BAD_BAUD = QT_TRANSLATE_NOOP("core", "通信速度は一覧から選んでください")
BAD_PROFILE = QT_TRANSLATE_NOOP("core", "機種名に使えない文字が含まれています（{profile}）")
UNKNOWN_PROFILE = QT_TRANSLATE_NOOP(
    "core", "プリンターの機種 {profile} は一覧にありません。一覧から選ぶか、空にしてください")
PROFILE_TOO_NARROW = QT_TRANSLATE_NOOP(
    "core", "プリンターの機種 {profile} は {paper} mm 幅の用紙に印字できません。用紙の幅か機種を"
    "選び直してください")
SPEC_REFUSED = QT_TRANSLATE_NOOP("core", "プリンターの設定が正しくありません: {detail}")
SCANNER_PORT = QT_TRANSLATE_NOOP(
    "core", "スキャナーのシリアルポートを「/dev/ttyACM0」や「COM3」のように入力してください")
BAD_TERMINATOR = QT_TRANSLATE_NOOP("core", "スキャナーの終端文字は CR・LF・CR+LF から選んでください")

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")
_USB = re.compile(r"[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}")
_PORT_NAME = re.compile(r"[^\s?&=]{1,200}")
# A device file may hold spaces (a capture file); "?" would start the options.
_FILE_PATH = re.compile(r"/[^?\x00-\x1f\x7f]{1,255}")
_PROFILE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
# The printer spec options the form shows as fields (the others are kept as they are).
_PRINTER_FIELDS = frozenset({"mode", "paper", "profile", "baud"})
# The options each kind's driver takes (`devices.printer_specs`): another kind's options
# (a serial flow control kept after switching to LAN) are dropped, not refused.
_KIND_OPTIONS = {kind.key: kind.options for kind in SPEC_KINDS}
# The on-screen printer's width for each roll.
_SIMULATED_WIDTHS = {58: WIDTH_58MM, 80: WIDTH_80MM}


@dataclass(frozen=True)
class PrinterChoice:
    kind: str = "simulated"
    address: str = ""  # HOST[:PORT], VID:PID, a serial port or a device file
    profile: str = ""  # a python-escpos model ("" for the driver's default)
    paper: int = 80  # mm
    mode: str = "raster"  # "kanji" (text) or "raster" (an image)
    baud: int = 9600  # serial printers only
    extra: tuple[tuple[str, str], ...] = ()  # other options, kept as they were


@dataclass(frozen=True)
class ScannerChoice:
    kind: str = ""  # "" (none), "serial" or "simulated"
    port: str = ""
    baud: int = 9600
    terminator: str = "cr"


def _split(spec: str) -> tuple[str, str, list[tuple[str, str]]]:
    head, _, query = spec.strip().partition("?")
    kind, _, target = head.partition(":")
    try:
        options = parse_qsl(query, keep_blank_values=True)
    except ValueError:
        options = []
    return kind, target, options


def parse_printer(spec: str) -> PrinterChoice:
    """The form's fields for a saved printer spec (an unreadable one: the demo printer)."""
    kind, target, options = _split(spec)
    if kind not in dict(PRINTER_KINDS):
        return PrinterChoice()
    values = dict(options)
    if kind == "simulated":
        # The demo printer's roll is its width in dots (another width reads as 80 mm).
        width = values.get("width", str(WIDTH_80MM))
        return PrinterChoice(kind="simulated", paper=next(
            (mm for mm, px in _SIMULATED_WIDTHS.items() if str(px) == width), 80))
    paper = values.get("paper", "80").removesuffix("mm")
    baud = values.get("baud", "9600")
    return PrinterChoice(
        kind=kind, address=target, profile=values.get("profile", ""),
        paper=int(paper) if paper in ("58", "80") else 80,
        mode="kanji" if values.get("mode") == "kanji" else "raster",
        baud=int(baud) if baud.isdecimal() else 9600,
        extra=tuple((k, v) for k, v in options if k not in _PRINTER_FIELDS))


def _fail(template: str, **values: object) -> SettingsError:
    return SettingsError(Message(template, **values))


def _address(choice: PrinterChoice) -> str:
    address = choice.address.strip()
    if choice.kind == "simulated":
        return ""
    if choice.kind == "network":
        host, colon, port = address.rpartition(":") if ":" in address else (address, "", "")
        if not host or not _HOST.fullmatch(host):
            raise _fail(NETWORK_ADDRESS)
        if colon and not (port.isdecimal() and 1 <= int(port) <= 65535):
            raise _fail(BAD_PORT)
        return address
    if choice.kind == "usb":
        if not _USB.fullmatch(address):
            raise _fail(USB_IDS)
        return address.lower()
    if choice.kind == "serial":
        if not _PORT_NAME.fullmatch(address):
            raise _fail(SERIAL_PORT)
        return address
    if choice.kind == "file":
        if not _FILE_PATH.fullmatch(address):
            raise _fail(FILE_PATH)
        return address
    raise _fail(UNKNOWN_KIND)


def printer_spec(choice: PrinterChoice) -> str:
    """The spec string for the form; SettingsError (a `Message`) says what to correct."""
    address = _address(choice)
    if choice.paper not in PAPER_WIDTHS:
        raise _fail(BAD_PAPER)
    if choice.kind == "simulated":
        # The on-screen printer takes only its width, the roll chosen in dots (80 mm is
        # its default), so a demo shows 58 mm receipts as that roll prints them.
        if choice.paper == 80:
            return _checked("simulated")
        return _checked(f"simulated?width={_SIMULATED_WIDTHS[choice.paper]}")
    if choice.mode not in dict(PRINT_MODES):
        raise _fail(BAD_MODE)
    profile = choice.profile.strip()
    if profile:
        _check_profile(profile, choice.paper)
    options: list[tuple[str, str]] = [("mode", choice.mode), ("paper", str(choice.paper))]
    if profile:
        options.append(("profile", profile))
    if choice.kind == "serial":
        if choice.baud not in BAUD_RATES:
            raise _fail(BAD_BAUD)
        options.append(("baud", str(choice.baud)))
    # A paper width given in dots or columns would override the paper chosen here.
    takes = _KIND_OPTIONS.get(choice.kind, frozenset())
    options += [(k, v) for k, v in choice.extra
                if k in takes and k not in ("width", "columns") and k not in _PRINTER_FIELDS]
    return _checked(f"{choice.kind}:{address}?{urlencode(options)}")


def _check_profile(profile: str, paper: int) -> None:
    if not _PROFILE.fullmatch(profile):
        raise _fail(BAD_PROFILE, profile=profile)
    try:
        known = {p.name: p for p in printer_profiles()}
    except Exception:  # python-escpos without its data: the driver's check below decides
        return
    found = known.get(profile)
    if found is None:
        raise _fail(UNKNOWN_PROFILE, profile=profile)
    if not found.fits(paper):
        raise _fail(PROFILE_TOO_NARROW, profile=profile, paper=paper)


def _checked(spec: str) -> str:
    """`spec` once the driver reads it (no I/O: a printer is reached only to print or to
    be asked its status). What the driver refuses it says in English, after our sentence."""
    try:
        open_printer(spec)
    except ValueError as exc:
        raise _fail(SPEC_REFUSED, detail=str(exc)) from exc
    return spec


def parse_scanner(spec: str) -> ScannerChoice:
    kind, target, options = _split(spec)
    if kind not in ("serial", "simulated"):
        return ScannerChoice()
    values = dict(options)
    baud = values.get("baud", "9600")
    terminator = values.get("terminator", "cr")
    return ScannerChoice(kind, target, int(baud) if baud.isdecimal() else 9600,
                         terminator if terminator in TERMINATORS else "cr")


def scanner_spec(choice: ScannerChoice) -> str:
    """The spec string for the form ("" for no serial scanner)."""
    if choice.kind == "":
        return ""
    if choice.kind == "simulated":
        return "simulated"
    if choice.kind != "serial":
        raise _fail(SCANNER_PORT)
    port = choice.port.strip()
    if not _PORT_NAME.fullmatch(port):
        raise _fail(SCANNER_PORT)
    if choice.baud not in BAUD_RATES:
        raise _fail(BAD_BAUD)
    if choice.terminator not in TERMINATORS:
        raise _fail(BAD_TERMINATOR)
    return f"serial:{port}?" + urlencode([("baud", str(choice.baud)),
                                         ("terminator", choice.terminator)])


def reader_spec(chosen: str, saved: str) -> str:
    """The reader spec for a reader picked from the list, keeping the card profile
    options (after "?") the saved setting gives the same reader."""
    head, mark, query = saved.partition("?")
    if mark and head.strip() == chosen.strip():
        return f"{chosen.strip()}?{query}"
    return chosen.strip()
