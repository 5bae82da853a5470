"""What the screens beyond the counter need, built from the running register.

`build_services(register)` makes the return, enrolment, look-up, report and settings
flows over the register's own store, store thread, event bus, staff, printer and HQ
connection, and puts a `CardRouter` in front of the card reader so a tap reaches the
screen that is shown. The shell (`desktop.window`) calls it once, before the register
starts, and closes the services when the window closes. Qt-free.

The phone-number key the look-up and enrolment flows hash phone numbers with is HQ's
(`GET /v1/registers/me`); it is fetched on a thread of its own and kept in memory only.
Until it arrives (or while HQ cannot be reached) a search by phone number explains that
it needs HQ, and an enrolment is recorded without the phone's local hash.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from desktop.app import returns_limits
from desktop.flows.enrol import EnrolFlow
from desktop.flows.lookup import LookupFlow
from desktop.flows.reports import ReportsFlow
from desktop.flows.returns import ReturnFlow
from desktop.flows.settings_ops import SettingsOps
from desktop.hq_lookup import HqLookup
from devices.cards import CardCallback, CardEvent, CardReader
from devices.printers import Printer, open_printer
from devices.registry import default_registry
from sync.client import HqAddress, check_hq_url, tls_context
from sync.events import EventBus
from sync.protocol import RegisterInfo
from sync.staff import StaffView

if TYPE_CHECKING:
    from desktop.app import Register

log = logging.getLogger(__name__)

PHONE_KEY_TIMEOUT_S = 5.0


class CardRouter:
    """The register's card reader, with its events sent where the shell says.

    By default events go to the callback the register started the reader with (the
    counter flow). `route_to(callback)` sends them to another flow while its screen is
    shown; `borrow()` lends the reader to a device check (the settings screen's test
    read) without stopping it, so the check gets the next tap and the counter keeps its
    reader. Everything else (`tap` on the simulated reader, `name`) is the reader's own.
    """

    def __init__(self, reader: CardReader) -> None:
        self.reader = reader
        self._lock = threading.Lock()
        self._default: CardCallback | None = None
        self._target: CardCallback | None = None
        self._borrowed: CardCallback | None = None

    def __getattr__(self, name: str) -> Any:
        # Only called for what this class does not define: the reader's own attributes.
        return getattr(self.reader, name)

    def start(self, on_event: CardCallback) -> None:
        with self._lock:
            self._default = on_event
        self.reader.start(self._dispatch)

    def stop(self) -> None:
        self.reader.stop()

    def route_to(self, target: CardCallback | None) -> None:
        """Send events to `target` from now on; None sends them to the counter again."""
        with self._lock:
            self._target = target

    def borrow(self) -> CardReader:
        """A reader for a one-off check: it gets every event from its start to its stop."""
        return _Borrowed(self)

    def _lend(self, callback: CardCallback | None) -> None:
        with self._lock:
            self._borrowed = callback

    def _dispatch(self, event: CardEvent) -> None:
        with self._lock:
            callback = self._borrowed or self._target or self._default
        if callback is not None:
            callback(event)


class _Borrowed:
    def __init__(self, router: CardRouter) -> None:
        self._router = router

    @property
    def name(self) -> str:
        return str(getattr(self._router.reader, "name", "カードリーダー"))

    def start(self, on_event: CardCallback) -> None:
        self._router._lend(on_event)

    def stop(self) -> None:
        self._router._lend(None)


def fetch_phone_key(hq: HqAddress, *, timeout: float = PHONE_KEY_TIMEOUT_S) -> str | None:
    """HQ's phone-hash key for this register, or None when HQ does not give it now."""
    try:
        resp = httpx.get(f"{check_hq_url(hq.url)}/v1/registers/me", timeout=timeout,
                         headers={"Authorization": f"Bearer {hq.token}"},
                         verify=tls_context(hq.url, hq.ca_file))
    except (httpx.HTTPError, ValueError) as exc:
        log.info("phone key not fetched: %s", type(exc).__name__)
        return None
    if resp.status_code != 200:
        log.info("phone key not fetched: HQ answered %s", resp.status_code)
        return None
    try:
        return RegisterInfo.model_validate_json(resp.content).phone_hash_key
    except ValidationError:
        log.warning("phone key not fetched: HQ's answer does not parse")
        return None


@dataclass
class Services:
    """The flows of the screens beyond the counter, and what they share."""

    events: EventBus
    returns: ReturnFlow
    enrol: EnrolFlow
    lookup: LookupFlow
    reports: ReportsFlow
    settings: SettingsOps
    staff: Callable[[], StaffView | None]  # who is signed in now
    export_dir: Path
    cards: CardRouter | None = None
    hq_lookup: HqLookup | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)
    # Reads a screen asks for (a sale to void), off the GUI thread; made on first use.
    _background: ThreadPoolExecutor | None = None

    def set_staff(self, staff: StaffView | None) -> None:
        """The signed-in staff member changed: ops are recorded in their name."""
        self.returns.staff = staff
        self.enrol.staff = staff
        self.lookup.staff = staff

    def set_phone_key(self, key: str) -> None:
        self.enrol.phone_key = key
        self.lookup.phone_key = bytes.fromhex(key)

    def void_sale(self, receipt_no: str) -> Future[bool]:
        """Undo a finished sale: look it up on the returns flow with all of it chosen (a
        void is a full return; the returns policy decides whether a manager approves).
        The returns screen shows the flow's events; True once the full return is chosen."""
        if self._background is None:
            self._background = ThreadPoolExecutor(max_workers=1,
                                                  thread_name_prefix="tamaru-screens")
            self._closers.append(lambda: self._shutdown_background())

        def look_up() -> bool:
            self.returns.search(receipt_no)
            sale = self.returns.sale
            if sale is None or sale.receipt_no != receipt_no:
                return False  # the flow said why (already returned, refused by HQ)
            return self.returns.choose_all() is not None

        return self._background.submit(look_up)

    def _shutdown_background(self) -> None:
        if self._background is not None:
            self._background.shutdown(wait=True, cancel_futures=True)
            self._background = None

    def route_cards(self, target: CardCallback | None) -> None:
        if self.cards is not None:
            self.cards.route_to(target)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:
                log.exception("closing a screen service failed")
        self._closers.clear()


def build_services(register: Register) -> Services:
    """The screens' flows for this register. Call before `register.start()`: the card
    router takes the reader's place so the register starts it through the router."""
    s = register.settings
    tz = register.flow.tz
    store_name = s.get("register.store_name")
    print_receipt = register.prints.print_receipt
    sync = register.sync

    def online() -> bool:
        return sync.online is not False

    cards: CardRouter | None = None
    if isinstance(register.reader, CardRouter):
        cards = register.reader
    elif getattr(register, "_started", False):
        log.warning("the register was started before the screens: taps stay at the counter")
    else:
        cards = CardRouter(register.reader)
        register.reader = cards  # the register starts it; taps now follow the screen shown

    # The sync client's HQ: the configured one, or the embedded demo HQ made at start.
    hq = register.sync.hq
    hq_lookup = HqLookup(hq.url, hq.token, ca_file=hq.ca_file) if hq.url and hq.token else None
    current = register.session.current
    over_yen, after_days = returns_limits(s)  # checked when the register was built
    services = Services(
        events=register.events,
        returns=ReturnFlow(register.store, register.worker, register.events,
                           staff_book=register.staff, print_receipt=print_receipt, tz=tz,
                           store_name=store_name, staff=current, online=online,
                           manager_over_yen=over_yen, manager_after_days=after_days,
                           pos=register.poslink.bridge if register.poslink is not None else None,
                           hq=hq_lookup),
        enrol=EnrolFlow(register.store, register.worker, register.events, tz=tz,
                        store_name=store_name, print_receipt=print_receipt, staff=current),
        lookup=LookupFlow(register.store, register.worker, register.events, tz=tz,
                          store_name=store_name, print_receipt=print_receipt, hq=hq_lookup,
                          online=online, staff=current, reprint=register.prints.reprint),
        reports=ReportsFlow(register.store, tz=tz, events=register.events, hq=hq_lookup,
                            online=online),
        settings=SettingsOps(
            s, register.events, open_reader=_reader_for_checks(register, cards),
            make_printer=_printer_for_checks(register), poslink=register.poslink),
        staff=lambda: register.session.current,
        export_dir=s.home / "exports",
        cards=cards,
        hq_lookup=hq_lookup,
    )
    services._closers += [services.returns.close, services.lookup.close, services.reports.close,
                          services.settings.close]
    if hq_lookup is not None:
        services._closers.append(hq_lookup.close)
        _fetch_phone_key_later(services, hq, register.events)
    return services


def _reader_for_checks(register: Register,
                       cards: CardRouter | None) -> Callable[[str], CardReader]:
    """The settings screen's test read: the running reader, lent without stopping it,
    when the form names it; otherwise the reader the form names, opened for the check."""
    running = str(register.settings.get("devices.reader")).strip()

    def open_reader(spec: str) -> CardReader:
        if cards is not None and spec.strip() == running:
            return cards.borrow()
        return default_registry().open_reader(spec)

    return open_reader


def _printer_for_checks(register: Register) -> Callable[[str], Printer]:
    """The settings screen's test print: the running printer when the form names it (so
    it is not opened twice), otherwise the printer the form names."""
    running = str(register.settings.get("devices.printer")).strip()

    def make_printer(spec: str) -> Printer:
        return register.printer if spec.strip() == running else open_printer(spec)

    return make_printer


def _fetch_phone_key_later(services: Services, hq: HqAddress, events: EventBus) -> None:
    """Ask HQ for the phone key now, and again after each sync until it is known."""
    lock = threading.Lock()
    state = {"known": False, "asking": False}

    def ask(*_: object) -> None:
        with lock:
            if state["known"] or state["asking"]:
                return
            state["asking"] = True
        try:
            key = fetch_phone_key(hq)
        finally:
            with lock:
                state["asking"] = False
        if key:
            with lock:
                state["known"] = True
            services.set_phone_key(key)
            events.unsubscribe("synced", ask_later)

    def ask_later(*_: object) -> None:
        threading.Thread(target=ask, name="tamaru-phone-key", daemon=True).start()

    events.subscribe("synced", ask_later)
    services._closers.append(lambda: events.unsubscribe("synced", ask_later))
    ask_later()
