"""The composition root: builds the register from its settings and wires it together.

Qt-free, so tests can run a whole register (store, sync, staff, reader, scanner, printer,
counter flow, POS link) without a window. With no HQ configured the embedded HQ starts
with the demo data, and the register gets the demo staff (`desktop.flows.signin.DEMO_STAFF`).
The POS link (docs/pos-link.md) runs when `poslink.port` or `poslink.drop_dir` is set.

Card readers: `devices.reader` is a reader spec (devices/registry.py), optionally with the
card profile that reads a member number from each card after ``?``
(``pcsc:<name>?aid=F0544D5255000001&file=0101&length=16``); `build_register`'s
``card_profile`` gives one outright. While the register runs, a `ReaderWatcher` lists
the readers and announces on the bus `reader_added(name, spec, configured)` and
`reader_removed(name, spec, configured)`; ``configured`` is True when the reader is the
one `devices.reader` opens. Readers present at start are announced as added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.embedded_hq import EmbeddedHQ
from desktop.flows.counter import CounterFlow
from desktop.flows.identify import Identifier
from desktop.flows.messages import QT_TRANSLATE_NOOP, Message
from desktop.flows.signin import StaffSession, seed_demo_staff
from desktop.poslink import PosLink, PosLinkConfig, register_receipt_finder
from desktop.poslink.filedrop import MAX_INTERVAL_S, MIN_INTERVAL_S
from desktop.printing import PrintQueue
from desktop.receipts import receipt_options
from desktop.settings import Settings, SettingsError
from devices.card_profile import CardProfile
from devices.cards import CardReader, ReaderAdded, ReaderListEvent
from devices.hotplug import ReaderWatcher, concerns
from devices.printers import Printer, SimulatedPrinter, open_printer
from devices.registry import default_registry
from devices.scanner import BurstRules, ScanEvent, Scanner, ScannerError, ScanReceived
from sync.backup import BackupScheduler
from sync.client import SyncClient
from sync.events import EventBus
from sync.recovery import recover
from sync.staff import StaffBook
from sync.store import RecordedSale, RegisterStore, list_cards
from sync.worker import StoreWorker

log = logging.getLogger(__name__)

# What the counter is told (translated on screen through the "core" context).
POSLINK_NOT_STARTED = QT_TRANSLATE_NOOP(
    "core", "POS 連携を開始できません（ポート {port}: {error}）。設定の poslink.port を確認してください")
BACKUP_FAILED = QT_TRANSLATE_NOOP("core", "バックアップに失敗しました: {error}")


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
    staff: StaffBook
    session: StaffSession
    scanner: Scanner | None = None
    hq: EmbeddedHQ | None = None
    poslink: PosLink | None = None
    # Where a serial scanner's codes go (from its thread). The window sets it so they reach
    # the screen shown, as the wedge's do; without a window, the counter takes them.
    scan_route: Callable[[str], None] | None = None
    watcher: ReaderWatcher | None = None
    _started: bool = field(default=False)

    @property
    def demo(self) -> bool:
        """The embedded demo (`make run` with no HQ configured)."""
        return self.hq is not None

    def wedge_rules(self) -> BurstRules:
        s = self.settings
        return BurstRules(max_gap_ms=float(s.get("scanner.max_gap_ms")),
                          min_length=int(s.get("scanner.min_length")),
                          quiet_ms=max(100.0, 2.5 * float(s.get("scanner.max_gap_ms"))),
                          prefix=s.get("scanner.prefix"), suffix=s.get("scanner.suffix"))

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
        if self.watcher is not None:
            self.watcher.start(self._on_reader_list)
        if self.scanner is not None:
            self.scanner.start(self._on_scan_event)
        self.sync.start(interval=float(self.settings.get("sync.interval_seconds")))
        # A hold HQ could not answer: the sync round that follows announces the outage.
        self.events.subscribe("hq_unreachable", self._hq_unreachable)
        self.backups.start()
        self._start_poslink()
        self._started = True

    def _start_poslink(self) -> None:
        link = self.poslink
        if link is None:
            return
        try:
            link.start()
        except (OSError, RuntimeError) as exc:
            # Selling goes on without the link; the POS sees its calls refused.
            log.error("POS link not started: %s", exc)
            self.events.emit("counter_message", Message(
                POSLINK_NOT_STARTED, port=link.config.port, error=str(exc)), "error")
        # A POS sale left waiting by the last run is still at the counter.
        waiting = link.bridge.current()
        if waiting is not None:
            self.flow.pos_sale_waiting(waiting)

    def _on_scan_event(self, event: ScanEvent) -> None:
        # Serial scanners report on their own thread, through the same path as the wedge.
        if isinstance(event, ScanReceived):
            (self.scan_route or self.flow.scan)(event.text)
        elif isinstance(event, ScannerError):
            self.events.emit("counter_message", event.reason, "error")

    def _on_reader_list(self, event: ReaderListEvent) -> None:
        # From the watcher's thread; the bridge brings it to the GUI thread.
        configured = concerns(str(self.settings.get("devices.reader")), event)
        name = "reader_added" if isinstance(event, ReaderAdded) else "reader_removed"
        self.events.emit(name, event.reader, event.spec, configured)

    def _hq_unreachable(self, *_: object) -> None:
        self.sync.sync_now()

    def _after_sale(self, sale: RecordedSale) -> None:
        self.prints.print_receipt(sale.facts.op_id, sale.facts.receipt_no)
        self.sync.sync_now()

    def _after_sync(self, *_: object) -> None:
        self.events.emit("cards_changed", list_cards(self.store))

    def stop(self) -> None:
        if self._started:
            if self.watcher is not None:
                self.watcher.stop()
            self.reader.stop()
            if self.scanner is not None:
                self.scanner.stop()
            self.events.unsubscribe("hq_unreachable", self._hq_unreachable)
            self.sync.stop()
            self.backups.stop()
        if self.poslink is not None:
            # The POS hears nothing more before the counter stops taking its sales.
            self.poslink.stop()
        self.flow.close()
        self.session.close()
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


def _reader(settings: Settings, card_profile: str | None) -> CardReader:
    """The card reader `devices.reader` names, with its card profile (from the spec or
    ``card_profile``); a bad spec or profile is a SettingsError saying what is wrong."""
    spec = str(settings.get("devices.reader"))
    try:
        profile = CardProfile.parse(card_profile) if card_profile else None
        return default_registry().open_reader(spec, profile=profile)
    except ValueError as exc:
        raise SettingsError(
            f"devices.reader: カードリーダーまたはカードプロファイルの指定が正しくありません"
            f"（{exc}）") from exc


def _scanner(settings: Settings) -> Scanner | None:
    spec = settings.get("devices.scanner").strip()
    if not spec:
        return None
    try:
        return default_registry().open_scanner(spec)
    except ValueError as exc:
        raise SettingsError(f"devices.scanner: {exc}") from exc


def hq_ca_file(settings: Settings) -> Path | None:
    """The private CA HQ's certificate is checked against, if one is set (it must exist:
    a missing file would otherwise surface as every connection failing)."""
    value = str(settings.get("hq.ca_file")).strip()
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise SettingsError(f"hq.ca_file: CA 証明書のファイルがありません（{value}）")
    return path


def returns_limits(settings: Settings) -> tuple[int, int]:
    """The returns policy's thresholds (yen, days) beyond which a manager approves; a
    negative one is a typo, not a policy."""
    limits = []
    for key in ("returns.manager_over_yen", "returns.manager_after_days"):
        value = int(settings.get(key))
        if value < 0:
            raise SettingsError(f"{key}: 0 以上で指定してください（{value}）")
        limits.append(value)
    return limits[0], limits[1]


def poslink_config(settings: Settings) -> PosLinkConfig | None:
    """The POS link's settings, checked; None when the link is off."""
    port = int(settings.get("poslink.port"))
    drop_dir = str(settings.get("poslink.drop_dir")).strip()
    interval = float(settings.get("poslink.drop_interval_seconds"))
    if not 0 <= port <= 65535:
        raise SettingsError(f"poslink.port: 0〜65535 で指定してください（{port}）")
    if not MIN_INTERVAL_S <= interval <= MAX_INTERVAL_S:
        raise SettingsError(f"poslink.drop_interval_seconds: {MIN_INTERVAL_S}〜{MAX_INTERVAL_S} "
                            f"秒で指定してください（{interval}）")
    expire = int(settings.get("poslink.expire_minutes"))
    if not 1 <= expire <= 1440:
        raise SettingsError(f"poslink.expire_minutes: 1〜1440 分で指定してください（{expire}）")
    if not port and not drop_dir:
        return None
    return PosLinkConfig(port=port, drop_dir=drop_dir, drop_interval_s=interval,
                         expire_after_s=expire * 60)


def build_register(settings: Settings, *, events: EventBus | None = None,
                   card_profile: str | None = None, watch_readers: bool = True,
                   reader_watch_interval: float = 1.0) -> Register:
    """Build a register; with no HQ configured, start the embedded HQ with demo data.

    ``card_profile``: a card profile string (`devices.card_profile.CardProfile.parse`)
    for the reader, when the reader spec carries none. ``watch_readers``: announce readers
    plugged in and out (`reader_added` / `reader_removed`), looking every
    ``reader_watch_interval`` seconds.
    """
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
    worker: StoreWorker | None = None
    poslink: PosLink | None = None
    try:
        store = RegisterStore.open_checked(settings.home / "register.db")
        store.initialise(device_id, store_id)
        def backed_up(_path: object, error: Exception | None) -> None:
            if error is not None:
                events.emit("counter_message", Message(BACKUP_FAILED, error=str(error)), "error")

        backups = BackupScheduler(
            store.path, settings.home / "backups",
            interval_s=float(settings.get("backup.interval_seconds")),
            keep=int(settings.get("backup.keep")), on_result=backed_up)
        worker = StoreWorker()
        sync = SyncClient(store, worker, url, token, events=events, ca_file=hq_ca_file(settings),
                          hold_timeout=float(settings.get("redeem.hold_timeout_seconds")))
        staff = StaffBook(store, max_failures=int(settings.get("staff.max_failures")),
                          lockout=timedelta(minutes=int(settings.get("staff.lockout_minutes"))))
        if hq is not None:
            worker.call(seed_demo_staff, staff)
        session = StaffSession(store, worker, events, staff)
        reader = _reader(settings, card_profile)
        scanner = _scanner(settings)
        try:
            printer = open_printer(settings.get("devices.printer"))
        except ValueError as exc:
            raise SettingsError(
                f"devices.printer: プリンターの指定が正しくありません（{exc}）") from exc
        if isinstance(printer, SimulatedPrinter):
            # The simulated printer's paper is shown on screen.
            printer.on_printed = lambda png: events.emit("receipt_image", png)
        # Reprints say when they were made in the register's own time zone.
        prints = PrintQueue(printer, store, worker, events, tz=tz,
                            options=receipt_options(settings))
        identifier = Identifier(store, skew_seconds=int(settings.get("tokens.skew_seconds")))
        returns_limits(settings)  # the returns screen's policy, refused here when wrong
        link_config = poslink_config(settings)
        if link_config is not None:
            # Opened (and reconciled with the register's receipts) before the flow, so a
            # sale committed just before a crash already reads "confirmed" to the POS.
            poslink = PosLink(settings.home, events, link_config,
                              register_receipt_finder(store.path))
        flow = CounterFlow(store, worker, events, tz=tz,
                           store_name=settings.get("register.store_name"),
                           session=session, identifier=identifier, holds=sync,
                           online=lambda: sync.online,
                           hold_ttl=int(settings.get("redeem.hold_ttl_seconds")),
                           pos=poslink.bridge if poslink is not None else None)
    except Exception:
        if poslink is not None:
            poslink.stop()
        if worker is not None:
            worker.shutdown()
        if hq is not None:
            hq.stop()
        raise
    return Register(settings=settings, events=events, store=store, worker=worker, sync=sync,
                    reader=reader, printer=printer, prints=prints, flow=flow,
                    backups=backups, staff=staff, session=session, scanner=scanner, hq=hq,
                    poslink=poslink,
                    watcher=ReaderWatcher(interval=reader_watch_interval)
                    if watch_readers else None)
