"""The composition root: builds the register from its settings and wires it together.

Qt-free, so tests can run a whole register (store, sync, reader, printer, counter flow)
without a window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.counter import CounterFlow
from desktop.embedded_hq import EmbeddedHQ
from desktop.printing import PrintQueue
from desktop.settings import Settings, SettingsError
from devices.cards import CardReader
from devices.printers import Printer, SimulatedPrinter, open_printer
from devices.registry import default_registry
from sync.backup import BackupScheduler
from sync.client import SyncClient
from sync.events import EventBus
from sync.recovery import recover
from sync.store import RecordedSale, RegisterStore, list_cards
from sync.worker import StoreWorker

log = logging.getLogger(__name__)


@dataclass
class Register:
    settings: Settings
    events: EventBus
    store: RegisterStore
    worker: StoreWorker
    sync: SyncClient
    reader: CardReader
    printer: Printer
    prints: PrintQueue
    flow: CounterFlow
    backups: BackupScheduler
    hq: EmbeddedHQ | None = None
    _started: bool = field(default=False)

    def start(self) -> None:
        self.events.subscribe("sale_recorded", self._after_sale)
        self.events.subscribe("synced", self._after_sync)
        refusal = self.store.refusal()
        if refusal is not None:
            # The damaged file is kept aside; re-queue what it still held, then let a
            # full pull rebuild the cache. Selling resumes when the pull is complete.
            self.events.emit("counter_message", str(refusal), "error")
            self.worker.call(recover, self.store)
        self.reader.start(self.flow.on_card_event)
        self.sync.start(interval=float(self.settings.get("sync.interval_seconds")))
        self.backups.start()
        self._started = True

    def _after_sale(self, sale: RecordedSale) -> None:
        self.prints.print_receipt(sale.facts.op_id)
        self.sync.sync_now()

    def _after_sync(self, *_: object) -> None:
        self.events.emit("cards_changed", list_cards(self.store))

    def stop(self) -> None:
        if self._started:
            self.reader.stop()
            self.sync.stop()
            self.backups.stop()
        self.prints.stop()
        self.worker.shutdown()
        self.store.close()
        if self.hq is not None:
            self.hq.stop()


def timezone(settings: Settings) -> ZoneInfo:
    name = settings.get("locale.timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"locale.timezone: 不明なタイムゾーンです（{name}）") from exc


def build_register(settings: Settings, *, events: EventBus | None = None) -> Register:
    """Build a register; with no HQ configured, start the embedded HQ with demo data."""
    events = events or EventBus()
    tz = timezone(settings)
    device_id = settings.get("register.device_id")
    store_id = settings.get("register.store_id")
    hq: EmbeddedHQ | None = None
    url, token = settings.get("hq.url"), settings.get("hq.token")
    if not url:
        hq = EmbeddedHQ(settings.home)
        token = hq.prepare_demo(device_id, store_id).token
        url = hq.start()
    elif not token:
        raise SettingsError("hq.token: HQ の URL を設定した場合はトークンも必要です")
    try:
        store = RegisterStore.open_checked(settings.home / "register.db")
        store.initialise(device_id, store_id)
        backups = BackupScheduler(
            store.path, settings.home / "backups",
            interval_s=float(settings.get("backup.interval_seconds")),
            keep=int(settings.get("backup.keep")),
            on_result=lambda path, error: error and events.emit(
                "counter_message", f"バックアップに失敗しました: {error}", "error"),
        )
        worker = StoreWorker()
        sync = SyncClient(store, worker, url, token, events=events)
        reader = default_registry().open_reader(settings.get("devices.reader"))
        printer = open_printer(settings.get("devices.printer"))
        if isinstance(printer, SimulatedPrinter):
            # The simulated printer's paper is shown on screen.
            printer.on_printed = lambda png: events.emit("receipt_image", png)
        prints = PrintQueue(printer, store, worker, events)
        flow = CounterFlow(store, worker, events, tz=tz,
                           store_name=settings.get("register.store_name"))
    except Exception:
        if hq is not None:
            hq.stop()
        raise
    return Register(settings, events, store, worker, sync, reader, printer, prints, flow,
                    backups, hq)
