"""The print queue: receipts print on their own thread, after the sale is committed.

A failed print never undoes a sale; the receipt stays in the database, marked failed,
and can be printed again.
"""

from __future__ import annotations

import logging
import queue
import threading

from desktop.receipts import receipt_from_dict
from devices.printers import Printer, PrinterError
from sync.events import EventBus
from sync.store import RegisterStore
from sync.worker import StoreWorker

log = logging.getLogger(__name__)


class PrintQueue:
    def __init__(self, printer: Printer, store: RegisterStore, worker: StoreWorker,
                 events: EventBus) -> None:
        self.printer = printer
        self.store = store
        self.worker = worker
        self.events = events
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tamaru-print", daemon=True)
        self._thread.start()

    def print_receipt(self, op_id: str) -> None:
        self._jobs.put(op_id)

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            op_id = self._jobs.get()
            if op_id is None:
                return
            model = self.store.receipt(op_id)
            if model is None:
                log.error("no receipt for op %s", op_id)
                continue
            try:
                self.printer.print_receipt(receipt_from_dict(model))
            except PrinterError as exc:
                self.worker.call(self.store.set_print_state, op_id, "failed", exc.reason)
                self.events.emit("print_failed", op_id, exc.reason)
                continue
            except Exception:
                log.exception("printer crashed on %s", op_id)
                self.worker.call(self.store.set_print_state, op_id, "failed", "印刷できませんでした")
                self.events.emit("print_failed", op_id, "印刷できませんでした")
                continue
            self.worker.call(self.store.set_print_state, op_id, "printed")
            self.events.emit("receipt_printed", op_id)
