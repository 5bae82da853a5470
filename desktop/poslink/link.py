"""The POS link put together: broker, start-up reconcile, token, HTTP server, file drop,
the expiry of requests left waiting, and the bridge to the counter — started and stopped
as one piece by the composition root.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.poslink.broker import DEFAULT_EXPIRE_S, PosBroker
from desktop.poslink.counter_adapter import PosCounterBridge
from desktop.poslink.filedrop import FileDrop
from desktop.poslink.token import load_or_create_token, rotate_token
from sync.events import EventBus

if TYPE_CHECKING:
    from desktop.poslink.server import PosLinkServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PosLinkConfig:
    """The settings the link needs (see docs/pos-link.md for the keys to declare)."""

    port: int = 0  # 0: no HTTP API
    drop_dir: str = ""  # empty: no file drop
    drop_interval_s: float = 1.0
    expire_after_s: float = DEFAULT_EXPIRE_S  # a request left waiting longer is refused

    @property
    def sweep_interval_s(self) -> float:
        """How often waiting requests are checked for expiry: a small part of the wait."""
        return min(5.0, max(0.2, self.expire_after_s / 20))


class PosLink:
    def __init__(self, home: Path, events: EventBus, config: PosLinkConfig,
                 find_receipt: Callable[[str], dict[str, Any] | None]) -> None:
        self.home = home
        self.config = config
        self.broker = PosBroker.open(home, expire_after_s=config.expire_after_s)
        # Before anything can answer the POS: a sale committed just before a crash must
        # read "confirmed", never "waiting", or the POS would ring it up again. Only then
        # may what waited through the restart for too long expire.
        self.broker.reconcile(find_receipt)
        self.broker.expire_overdue()
        self.bridge = PosCounterBridge(self.broker, events)
        self._token = load_or_create_token(home)
        self.server: PosLinkServer | None = None
        self.drop: FileDrop | None = None
        self._sweeping = threading.Event()
        self._sweeper: threading.Thread | None = None

    @property
    def token(self) -> str:
        """Shown in the settings screen, for the POS integrator."""
        return self._token

    def rotate_token(self) -> str:
        self._token = rotate_token(self.home)
        return self._token

    @property
    def url(self) -> str | None:
        return self.server.url if self.server is not None else None

    def start(self) -> None:
        """Start the HTTP API and the file drop. When one cannot start (the port is taken)
        the other still runs, and the first problem is raised (OSError, RuntimeError)."""
        problems: list[Exception] = []
        if self._sweeper is None:
            self._sweeping.clear()
            self._sweeper = threading.Thread(target=self._sweep, name="tamaru-poslink-expiry",
                                             daemon=True)
            self._sweeper.start()
        if self.config.port and self.server is None:
            # Imported here: the web framework costs the counter's start-up a quarter of a
            # second, and a register with only the file drop never needs it.
            from desktop.poslink.server import PosLinkServer

            server = PosLinkServer(self.broker, lambda: self._token, port=self.config.port)
            try:
                server.start()
            except (OSError, RuntimeError) as exc:
                problems.append(exc)
            else:
                self.server = server
        if self.config.drop_dir and self.drop is None:
            self.drop = FileDrop(self.broker, Path(self.config.drop_dir),
                                 interval_s=self.config.drop_interval_s)
            self.drop.start()
        if problems:
            raise problems[0]

    def _sweep(self) -> None:
        # Expiry must not wait for the POS's next call: the counter screen and a parked
        # long-poll learn of it within a sweep.
        while not self._sweeping.wait(self.config.sweep_interval_s):
            try:
                self.broker.expire_overdue()
            except Exception:
                log.exception("POS link expiry check failed")

    def stop(self) -> None:
        self._sweeping.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=10)
            self._sweeper = None
        if self.drop is not None:
            self.drop.stop()
            self.drop = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.bridge.close()
        self.broker.close()
