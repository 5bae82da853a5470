"""What the settings screen does, free of Qt: test the card reader and the printer, ask the
printer how it is, choose the language and the receipt options, show where HQ is, and
ask for provisioning.

Device checks block (a reader waits for a tap, a printer may time out), so they run on a
thread of this object's own and announce their result as events; each also returns a
Future for callers that wait. Settings are saved to `config.toml` at once; the language
and device changes apply at the next start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from desktop.settings import SETTINGS, Settings, SettingsError
from devices.cards import CardEvent, CardPresented, CardReader, ReaderError
from devices.printer_status import PrinterError, PrinterStatus
from devices.printer_testpage import test_print
from devices.printers import Printer, open_printer, query_printer_status
from devices.registry import default_registry
from sync.events import EventBus

log = logging.getLogger(__name__)

EVENTS = ("settings_read_result", "settings_print_result", "settings_printer_status",
          "settings_saved", "language_changed", "provision_requested")
LANGUAGES: tuple[tuple[str, str], ...] = (("ja", "日本語"), ("en", "English"))
DEFAULT_READ_TIMEOUT_S = 15.0
EMBEDDED_HQ = "このPCの組み込み HQ（デモ用）"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a device check, one sentence for the screen."""

    ok: bool
    message: str
    detail: str = ""  # e.g. the card uid read


@dataclass(frozen=True)
class OptionView:
    key: str
    value: str | int
    description: str


def receipt_option_keys() -> tuple[str, ...]:
    """The settings a manager may change from the receipt options: what is printed."""
    return ("register.store_name",) + tuple(s.key for s in SETTINGS
                                            if s.key.startswith("receipt."))


class SettingsOps:
    def __init__(
        self,
        settings: Settings,
        events: EventBus,
        *,
        open_reader: Callable[[str], CardReader] | None = None,
        make_printer: Callable[[str], Printer] = open_printer,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    ) -> None:
        self.settings = settings
        self.events = events
        # The running register may pass its own reader and printer here, so a check
        # does not open the device a second time.
        self.open_reader = open_reader or (lambda spec: default_registry().open_reader(spec))
        self.make_printer = make_printer
        self.read_timeout_s = read_timeout_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamaru-settings")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- what the screen shows ----------------------------------------------------------

    def hq_address(self) -> str:
        """Where HQ is, for display; the token is never shown."""
        return self.settings.get("hq.url") or EMBEDDED_HQ

    def device_specs(self) -> dict[str, str]:
        return {"reader": self.settings.get("devices.reader"),
                "printer": self.settings.get("devices.printer")}

    def language(self) -> str:
        return str(self.settings.get("locale.language"))

    def receipt_options(self) -> list[OptionView]:
        by_key = {s.key: s for s in SETTINGS}
        return [OptionView(k, self.settings.get(k), by_key[k].description)
                for k in receipt_option_keys()]

    # -- device checks ------------------------------------------------------------------

    def test_read(self, timeout_s: float | None = None) -> Future[CheckResult]:
        """Open the configured reader and wait (bounded) for a card."""
        return self._check("settings_read_result", self._read,
                           timeout_s if timeout_s is not None else self.read_timeout_s)

    def _read(self, timeout_s: float) -> CheckResult:
        spec = self.settings.get("devices.reader")
        try:
            reader = self.open_reader(spec)
        except (ValueError, OSError) as exc:
            return CheckResult(False, f"カードリーダーを開けません（{spec}）", str(exc))
        got: list[CardEvent] = []
        done = threading.Event()

        def on_event(event: CardEvent) -> None:
            if isinstance(event, CardPresented | ReaderError):
                got.append(event)
                done.set()

        reader.start(on_event)
        try:
            done.wait(timeout_s)
        finally:
            reader.stop()
        if not got:
            return CheckResult(False, f"{int(timeout_s)}秒以内にカードが読み取られませんでした")
        event = got[0]
        if isinstance(event, CardPresented):
            return CheckResult(True, f"読み取りました（{reader.name}）", event.uid)
        assert isinstance(event, ReaderError)
        return CheckResult(False, event.reason)

    def test_print(self) -> Future[CheckResult]:
        """Print the test page on the configured printer."""
        return self._check("settings_print_result", self._print)

    def _print(self) -> CheckResult:
        spec = self.settings.get("devices.printer")
        try:
            test_print(self.make_printer(spec))
        except PrinterError as exc:
            return CheckResult(False, exc.reason, exc.detail)
        except ValueError as exc:
            return CheckResult(False, f"プリンターの設定が正しくありません（{spec}）", str(exc))
        return CheckResult(True, "テスト印字を送りました。用紙を確認してください")

    def printer_status(self) -> Future[PrinterStatus]:
        def announce(f: Future[PrinterStatus]) -> None:
            if f.exception() is None:
                self.events.emit("settings_printer_status", f.result())

        future = self._pool.submit(self._status)
        future.add_done_callback(announce)
        return future

    def _status(self) -> PrinterStatus:
        spec = self.settings.get("devices.printer")
        try:
            printer = self.make_printer(spec)
        except PrinterError as exc:
            return PrinterStatus.unreachable(spec, exc)
        except ValueError as exc:
            return PrinterStatus(spec, reachable=False, reason="プリンターの設定が正しくありません",
                                 detail=str(exc))
        return query_printer_status(printer)

    def _check(self, event: str, fn: Callable[..., CheckResult],
               *args: object) -> Future[CheckResult]:
        def run() -> CheckResult:
            try:
                return fn(*args)
            except Exception as exc:  # a driver's surprise must not kill the settings screen
                log.exception("device check failed")
                return CheckResult(False, "確認中にエラーが発生しました", str(exc))

        future = self._pool.submit(run)
        future.add_done_callback(lambda f: self.events.emit(event, f.result()))
        return future

    # -- settings -----------------------------------------------------------------------

    def set_language(self, code: str) -> None:
        if code not in dict(LANGUAGES):
            raise SettingsError(f"表示言語は {' / '.join(c for c, _ in LANGUAGES)} から選んでください")
        self._save("locale.language", code)
        self.events.emit("language_changed", code)

    def set_receipt_option(self, key: str, value: str | int) -> None:
        if key not in receipt_option_keys():
            raise SettingsError(f"レシートの設定ではありません: {key}")
        if isinstance(value, str):
            value = value.strip()
            if key == "register.store_name" and not value:
                raise SettingsError("店舗名を入力してください")
        self._save(key, value)

    def _save(self, key: str, value: str | int) -> None:
        # Written over what config.toml holds, not over the running settings: those may
        # carry values given for this run only (the token from the secret store, a
        # --reader on the command line) that must not end up in the file.
        on_disk = Settings.load(self.settings.home)
        on_disk.set(key, value)
        on_disk.save()
        self.settings.set(key, value)
        self.events.emit("settings_saved", key, value)

    def request_provision(self) -> None:
        """Ask the shell to open provisioning (HQ address and activation code)."""
        self.events.emit("provision_requested")
