"""What the settings screen does, free of Qt: choose and test the card reader, the
printer, the serial scanner and the camera, ask the printer how it is, choose the
language and the receipt options, set up the POS link (its port, its drop folder, its
token), show where HQ is, and ask for provisioning.

The receipt options (the store name, the lines under it, a footer line, the store copy)
are saved together, each checked with a sentence saying what to correct
(desktop/receipts/options.py); they are printed from the next start.

Device checks block (a reader waits for a tap, a printer may time out), so they run on a
thread of this object's own and announce their result as events; each also returns a
Future for callers that wait. A check tests what the form shows, saved or not, so a
manager tries a device before keeping it. Settings are saved to `config.toml` at once;
device, language and POS link changes apply at the next start (the screen says so).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.receipts.options import check_footer_line, check_header_lines
from desktop.settings import SETTINGS, Settings, SettingsError
from devices.cards import CardPresented, CardReader, ReaderError
from devices.printer_status import PrinterError, PrinterStatus
from devices.printer_testpage import test_print
from devices.printers import Printer, open_printer, query_printer_status
from devices.registry import default_registry
from devices.scanner import ScannerError, ScanReceived
from sync.events import EventBus

if TYPE_CHECKING:
    from desktop.poslink import PosLink

log = logging.getLogger(__name__)

EVENTS = ("settings_read_result", "settings_print_result", "settings_printer_status",
          "settings_scan_result", "settings_choices", "settings_saved", "language_changed",
          "provision_requested", "poslink_token_changed")
LANGUAGES: tuple[tuple[str, str], ...] = (("ja", "日本語"), ("en", "English"))
DEFAULT_READ_TIMEOUT_S = 15.0
EMBEDDED_HQ = QT_TRANSLATE_NOOP("core", "このPCの組み込み HQ（デモ用）")
# The device settings the screen has fields of its own for; any other `devices.` setting
# is a driver's option, listed under 詳細設定 (see desktop/settings.py).
DEVICE_KEYS = ("devices.reader", "devices.printer", "devices.scanner", "devices.camera")

# Sentences of the checks and the saves ("core" context).
READER_WONT_OPEN = QT_TRANSLATE_NOOP("core", "カードリーダーを開けません（{spec}）")
NO_CARD_IN_TIME = QT_TRANSLATE_NOOP("core", "{seconds}秒以内にカードが読み取られませんでした")
CARD_READ = QT_TRANSLATE_NOOP("core", "読み取りました（{reader}）")
PRINTER_SPEC_BAD = QT_TRANSLATE_NOOP("core", "プリンターの設定が正しくありません（{spec}）")
TEST_PAGE_SENT = QT_TRANSLATE_NOOP("core", "テスト印字を送りました。用紙を確認してください")
CHECK_FAILED = QT_TRANSLATE_NOOP("core", "確認中にエラーが発生しました")
SCANNER_WONT_OPEN = QT_TRANSLATE_NOOP("core", "スキャナーを開けません（{spec}）")
NO_SCAN_IN_TIME = QT_TRANSLATE_NOOP("core", "{seconds}秒以内にコードが読み取られませんでした")
SCANNED = QT_TRANSLATE_NOOP("core", "読み取りました: {code}")
NO_SERIAL_SCANNER = QT_TRANSLATE_NOOP(
    "core", "シリアルスキャナーを使わない設定です。キーボード入力型のスキャナーはそのまま使えます")
DRIVER_REFUSED = QT_TRANSLATE_NOOP("core", "この設定では開けません: {detail}")
BAD_LANGUAGE = QT_TRANSLATE_NOOP("core", "表示言語は日本語か English から選んでください")
NOT_RECEIPT_OPTION = QT_TRANSLATE_NOOP("core", "レシートの設定ではありません: {key}")
STORE_NAME_MISSING = QT_TRANSLATE_NOOP("core", "店舗名を入力してください")
STORE_NAME_LONG = QT_TRANSLATE_NOOP("core", "店舗名は {max} 文字以内で入力してください")
NOT_DEVICE_OPTION = QT_TRANSLATE_NOOP("core", "機器の詳細設定ではありません: {key}")
WHOLE_NUMBER = QT_TRANSLATE_NOOP("core", "{name}は数字で入力してください")
POS_PORT_RANGE = QT_TRANSLATE_NOOP(
    "core", "POS 連携のポートは 1024〜65535 の数字で入力してください（使わないときは 0）")
POS_DIR_RELATIVE = QT_TRANSLATE_NOOP(
    "core", "受け渡しフォルダは「/」から始まるフォルダの場所で入力してください")
POS_DIR_MISSING = QT_TRANSLATE_NOOP(
    "core", "受け渡しフォルダ {path} がありません。先にフォルダを作ってください")
POS_DIR_NOT_WRITABLE = QT_TRANSLATE_NOOP(
    "core", "受け渡しフォルダ {path} に書き込めません。フォルダの権限を確認してください")
MAX_STORE_NAME = 40


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a device check, one sentence for the screen."""

    ok: bool
    message: str
    detail: str = ""  # e.g. the card uid read


@dataclass(frozen=True)
class OptionView:
    key: str
    value: str | int | float
    description: str  # Japanese source in the "Settings" context


@dataclass(frozen=True)
class ReceiptView:
    """The receipt options as the settings screen's form shows them."""

    store_name: str
    header_lines: str  # one line of the receipt per line of text
    footer_line: str
    store_copy: bool  # returns and adjustments
    store_copy_sales: bool


@dataclass(frozen=True)
class DeviceChoices:
    """What the device forms offer, as found on this PC now (on the ops' thread)."""

    readers: tuple[str, ...] = ()  # reader specs: "simulated", "pcsc", "pcsc:<name>"…
    serial_ports: tuple[str, ...] = ()  # ports a serial scanner may be on
    profiles: tuple[tuple[str, str], ...] = ()  # (profile, "vendor model")


@dataclass(frozen=True)
class PosLinkView:
    """The POS link as the settings screen shows it: the token masked, never whole."""

    port: int
    drop_dir: str
    running: bool  # the link runs in this session (its settings were set at start)
    url: str | None
    token_hint: str  # the token's last characters, for telling two installs apart
    has_token: bool = field(default=False)


def receipt_option_keys() -> tuple[str, ...]:
    """The settings a manager may change from the receipt options: what is printed."""
    return ("register.store_name",) + tuple(s.key for s in SETTINGS
                                            if s.key.startswith("receipt."))


def device_option_keys() -> tuple[str, ...]:
    """Driver options (`devices.<device>_<option>`): the screen lists them generically."""
    return tuple(s.key for s in SETTINGS
                 if s.key.startswith("devices.") and s.key not in DEVICE_KEYS)




def _checked_receipt_value(key: str, value: str | bool) -> str | bool:
    """A receipt option as it is saved, or SettingsError saying what to correct. The lines
    are kept as checked: trimmed, one per line, blank ones dropped."""
    # A wrong type is the caller's mistake (the form gives text and ticks), not the manager's.
    if key in ("receipt.store_copy", "receipt.store_copy_sales"):
        if not isinstance(value, bool):
            raise TypeError(f"{key} is yes or no, not {value!r}")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{key} is text, not {value!r}")
    if key == "receipt.header_lines":
        return "\n".join(check_header_lines(value))
    if key == "receipt.footer_line":
        return check_footer_line(value)
    value = value.strip()
    if key == "register.store_name" and not value:
        raise SettingsError(Message(STORE_NAME_MISSING))
    if key == "register.store_name" and len(value) > MAX_STORE_NAME:
        raise SettingsError(Message(STORE_NAME_LONG, max=MAX_STORE_NAME))
    return value


class _Device(Protocol):
    def start(self, on_event: Callable[[Any], None]) -> None: ...

    def stop(self) -> None: ...


def first_event(device: _Device, kinds: tuple[type, ...], timeout_s: float) -> Any | None:
    """Start a reader or scanner, wait (bounded) for the first event of `kinds`, stop it;
    the event, or None when none came in time."""
    got: list[Any] = []
    done = threading.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, kinds) and not got:
            got.append(event)
            done.set()

    device.start(on_event)
    try:
        done.wait(timeout_s)
    finally:
        device.stop()
    return got[0] if got else None


class SettingsOps:
    def __init__(
        self,
        settings: Settings,
        events: EventBus,
        *,
        open_reader: Callable[[str], CardReader] | None = None,
        make_printer: Callable[[str], Printer] = open_printer,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        poslink: PosLink | None = None,
    ) -> None:
        self.settings = settings
        self.events = events
        # The running register may pass its own reader and printer here, so a check
        # does not open the device a second time.
        self.open_reader = open_reader or (lambda spec: default_registry().open_reader(spec))
        self.make_printer = make_printer
        self.read_timeout_s = read_timeout_s
        self.poslink = poslink  # the running link, if any: its token rotates live
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-settings")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- what the screen shows ----------------------------------------------------------

    def hq_address(self) -> str:
        """Where HQ is, for display (a `Message` for the embedded one); the token is never
        shown."""
        return self.settings.get("hq.url") or Message(EMBEDDED_HQ)

    def device_specs(self) -> dict[str, str]:
        return {"reader": self.settings.get("devices.reader"),
                "printer": self.settings.get("devices.printer"),
                "scanner": self.settings.get("devices.scanner"),
                "camera": self.settings.get("devices.camera")}

    def device_options(self) -> list[OptionView]:
        by_key = {s.key: s for s in SETTINGS}
        return [OptionView(k, self.settings.get(k), by_key[k].description)
                for k in device_option_keys()]

    def choices(self) -> Future[DeviceChoices]:
        """The readers, serial ports and printer models this PC offers, found on the ops'
        thread (PC/SC and python-escpos take a moment); announced as `settings_choices`."""
        def find() -> DeviceChoices:
            registry = default_registry()
            readers: list[str] = []
            for info in registry.readers():
                if info.driver == "simulated":
                    readers.append("simulated")
                else:
                    if info.driver not in readers:
                        readers.append(info.driver)  # whichever reader is connected
                    readers.append(info.spec)
            if "pcsc" not in readers:
                readers.append("pcsc")  # the first reader connected later
            ports = tuple(s.name for s in registry.scanners() if s.driver == "serial")
            try:
                from devices.printer_specs import printer_profiles

                profiles = tuple((p.name, f"{p.vendor} {p.model}".strip())
                                 for p in printer_profiles())
            except Exception:  # python-escpos missing its data: type the model instead
                log.warning("printer models not listed", exc_info=True)
                profiles = ()
            return DeviceChoices(tuple(dict.fromkeys(readers)), ports, profiles)

        future = self._pool.submit(find)
        future.add_done_callback(
            lambda f: self.events.emit("settings_choices", f.result())
            if f.exception() is None else log.warning("device choices", exc_info=f.exception()))
        return future

    def language(self) -> str:
        return str(self.settings.get("locale.language"))

    def receipt_view(self) -> ReceiptView:
        get = self.settings.get
        return ReceiptView(str(get("register.store_name")), str(get("receipt.header_lines")),
                           str(get("receipt.footer_line")), bool(get("receipt.store_copy")),
                           bool(get("receipt.store_copy_sales")))

    # -- device checks ------------------------------------------------------------------

    def test_read(self, timeout_s: float | None = None,
                  spec: str | None = None) -> Future[CheckResult]:
        """Open a reader (the form's `spec`, else the saved one) and wait for a card."""
        return self._check("settings_read_result", self._read,
                           timeout_s if timeout_s is not None else self.read_timeout_s,
                           spec if spec is not None else self.settings.get("devices.reader"))

    def _read(self, timeout_s: float, spec: str) -> CheckResult:
        try:
            reader = self.open_reader(spec)
        except (ValueError, OSError) as exc:
            return CheckResult(False, Message(READER_WONT_OPEN, spec=spec), str(exc))
        event = first_event(reader, (CardPresented, ReaderError), timeout_s)
        if event is None:
            return CheckResult(False, Message(NO_CARD_IN_TIME, seconds=int(timeout_s)))
        if isinstance(event, CardPresented):
            return CheckResult(True, Message(CARD_READ, reader=reader.name), event.uid)
        assert isinstance(event, ReaderError)
        return CheckResult(False, event.reason)

    def test_print(self, spec: str | None = None) -> Future[CheckResult]:
        """Print the test page on a printer (the form's `spec`, else the saved one)."""
        return self._check("settings_print_result", self._print,
                           spec if spec is not None else self.settings.get("devices.printer"))

    def _print(self, spec: str) -> CheckResult:
        try:
            test_print(self.make_printer(spec))
        except PrinterError as exc:
            return CheckResult(False, exc.reason, exc.detail)
        except ValueError as exc:
            return CheckResult(False, Message(PRINTER_SPEC_BAD, spec=spec), str(exc))
        return CheckResult(True, Message(TEST_PAGE_SENT))

    def printer_status(self, spec: str | None = None) -> Future[PrinterStatus]:
        spec = spec if spec is not None else self.settings.get("devices.printer")

        def announce(f: Future[PrinterStatus]) -> None:
            if f.exception() is None:
                self.events.emit("settings_printer_status", f.result())

        future = self._pool.submit(self._status, spec)
        future.add_done_callback(announce)
        return future

    def _status(self, spec: str) -> PrinterStatus:
        try:
            printer = self.make_printer(spec)
        except PrinterError as exc:
            return PrinterStatus.unreachable(spec, exc)
        except ValueError as exc:
            return PrinterStatus(spec, reachable=False, reason="プリンターの設定が正しくありません",
                                 detail=str(exc))
        return query_printer_status(printer)

    def test_scan(self, spec: str, timeout_s: float | None = None) -> Future[CheckResult]:
        """Open a serial scanner the form names (not the running one: its codes reach the
        screen shown, as a wedge scanner's do) and wait for a code."""
        return self._check("settings_scan_result", self._scan, spec,
                           timeout_s if timeout_s is not None else self.read_timeout_s)

    def _scan(self, spec: str, timeout_s: float) -> CheckResult:
        if not spec.strip():
            return CheckResult(False, Message(NO_SERIAL_SCANNER))
        try:
            scanner = default_registry().open_scanner(spec)
        except (ValueError, OSError) as exc:
            return CheckResult(False, Message(SCANNER_WONT_OPEN, spec=spec), str(exc))
        event = first_event(scanner, (ScanReceived, ScannerError), timeout_s)
        if event is None:
            return CheckResult(False, Message(NO_SCAN_IN_TIME, seconds=int(timeout_s)))
        if isinstance(event, ScanReceived):
            return CheckResult(True, Message(SCANNED, code=event.text), event.text)
        assert isinstance(event, ScannerError)
        return CheckResult(False, event.reason)

    def _check(self, event: str, fn: Callable[..., CheckResult],
               *args: object) -> Future[CheckResult]:
        def run() -> CheckResult:
            try:
                return fn(*args)
            except Exception as exc:  # a driver's surprise must not kill the settings screen
                log.exception("device check failed")
                return CheckResult(False, Message(CHECK_FAILED), str(exc))

        future = self._pool.submit(run)
        future.add_done_callback(lambda f: self.events.emit(event, f.result()))
        return future

    # -- settings -----------------------------------------------------------------------

    def set_language(self, code: str) -> None:
        if code not in dict(LANGUAGES):
            raise SettingsError(Message(BAD_LANGUAGE))
        self._save({"locale.language": code})
        self.events.emit("language_changed", code)

    def set_receipt_option(self, key: str, value: str | bool) -> None:
        """One receipt option, checked as `save_receipt` checks it."""
        if key not in receipt_option_keys():
            raise SettingsError(Message(NOT_RECEIPT_OPTION, key=key))
        self._save({key: _checked_receipt_value(key, value)})

    def save_receipt(self, form: ReceiptView) -> list[str]:
        """Keep the receipt form, every field checked first (nothing is saved while one is
        wrong); returns the keys changed. Printed from the next start."""
        wanted = {key: _checked_receipt_value(key, value) for key, value in (
            ("register.store_name", form.store_name),
            ("receipt.header_lines", form.header_lines),
            ("receipt.footer_line", form.footer_line),
            ("receipt.store_copy", form.store_copy),
            ("receipt.store_copy_sales", form.store_copy_sales))}
        changed = [k for k, v in wanted.items() if self.settings.get(k) != v]
        if changed:
            self._save({k: wanted[k] for k in changed})
        return changed

    def check_printer(self, spec: str) -> None:
        """SettingsError when the printer driver cannot read `spec` (what to correct)."""
        try:
            open_printer(spec)
        except ValueError as exc:
            raise SettingsError(Message(DRIVER_REFUSED, detail=str(exc))) from exc

    def check_scanner(self, spec: str) -> None:
        if not spec.strip():
            return
        try:
            default_registry().open_scanner(spec)
        except ValueError as exc:
            raise SettingsError(Message(DRIVER_REFUSED, detail=str(exc))) from exc

    def save_devices(self, reader: str, printer: str, scanner: str, camera: str) -> list[str]:
        """Keep the four device choices (already specs, see `settings_devices`) after the
        drivers' own checks; they apply at the next start. Returns the keys changed."""
        self.check_printer(printer)
        self.check_scanner(scanner)
        wanted = {"devices.reader": reader.strip(), "devices.printer": printer.strip(),
                  "devices.scanner": scanner.strip(), "devices.camera": camera.strip()}
        changed = [k for k, v in wanted.items() if self.settings.get(k) != v]
        if changed:
            self._save({k: wanted[k] for k in changed})
        return changed

    def set_device_option(self, key: str, text: str) -> None:
        """A driver option (`device_option_keys`), typed as the setting declares it."""
        by_key = {s.key: s for s in SETTINGS}
        setting = by_key.get(key)
        if setting is None or key not in device_option_keys():
            raise SettingsError(Message(NOT_DEVICE_OPTION, key=key))
        value: str | int | float = text.strip()
        if setting.type in (int, float):
            try:
                value = setting.type(text.strip())
            except ValueError:
                raise SettingsError(Message(WHOLE_NUMBER, name=key)) from None
        self._save({key: value})

    # -- the POS link ---------------------------------------------------------------------

    def poslink_view(self) -> PosLinkView:
        token = self.poslink_token()
        link = self.poslink
        return PosLinkView(int(self.settings.get("poslink.port")),
                           str(self.settings.get("poslink.drop_dir")), link is not None,
                           link.url if link is not None else None,
                           token[-4:] if token else "", bool(token))

    def poslink_token(self) -> str:
        """The install token, whole (to copy for the POS integrator; never shown)."""
        if self.poslink is not None:
            return self.poslink.token
        from desktop.poslink.token import TOKEN_FILE

        path = self.settings.home / TOKEN_FILE
        try:
            return path.read_text(encoding="ascii").strip()
        except OSError:
            return ""

    def rotate_poslink_token(self) -> str:
        """A new token (再発行): the old one stops working at once; announced (masked)."""
        if self.poslink is not None:
            token = self.poslink.rotate_token()
        else:
            from desktop.poslink.token import rotate_token

            token = rotate_token(self.settings.home)
        self.events.emit("poslink_token_changed", token[-4:])
        return token

    def save_poslink(self, port_text: str, drop_dir: str) -> None:
        """The link's HTTP port (0: off) and drop folder ("": off), checked; they apply at
        the next start."""
        text = port_text.strip() or "0"
        if not text.isdecimal():
            raise SettingsError(Message(POS_PORT_RANGE))
        port = int(text)
        if port != 0 and not 1024 <= port <= 65535:
            raise SettingsError(Message(POS_PORT_RANGE))
        folder = drop_dir.strip()
        if folder:
            path = Path(folder)
            if not path.is_absolute():
                raise SettingsError(Message(POS_DIR_RELATIVE))
            if not path.is_dir():
                raise SettingsError(Message(POS_DIR_MISSING, path=folder))
            if not os.access(path, os.W_OK):
                raise SettingsError(Message(POS_DIR_NOT_WRITABLE, path=folder))
        self._save({"poslink.port": port, "poslink.drop_dir": folder})

    def _save(self, values: dict[str, Any]) -> None:
        # Written over what config.toml holds, not over the running settings: those may
        # carry values given for this run only (the token from the secret store, a
        # --reader on the command line) that must not end up in the file.
        on_disk = Settings.load(self.settings.home)
        for key, value in values.items():
            on_disk.set(key, value)
        on_disk.save()
        for key, value in values.items():
            self.settings.set(key, value)
            self.events.emit("settings_saved", key, value)

    def request_provision(self) -> None:
        """Ask the shell to open provisioning (HQ address and activation code)."""
        self.events.emit("provision_requested")
