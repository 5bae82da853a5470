"""Printers on a two-way byte link (serial, USB): the job and the status handshake around it.

A `LinkPrinter` opens its link for each job, so a printer unplugged between receipts is
found again without a restart. Around the job it asks the real-time offline cause
(DLE EOT 2):

- before: paper out, cover open or an error stop the job before a byte of it is sent;
- after: the answer arriving proves the printer took in the whole job (the link is
  first in, first out), and reports paper that ran out during it.

A printer that never answers is remembered as one that does not, and is then sent jobs
without asking. A printer that has answered and falls silent is off or offline, and its
jobs fail rather than vanish into a dead line.
"""

from __future__ import annotations

import re
import time
from abc import abstractmethod
from typing import Protocol

from devices.printer_status import (
    REASON_NO_ANSWER,
    REASON_OFFLINE,
    STATUS_OFFLINE_CAUSE,
    STATUS_PAPER,
    STATUS_PRINTER,
    STATUS_QUERY,
    PrinterError,
    PrinterStatus,
    check_status,
    status_from_answers,
    status_query,
)
from devices.printers import EscposFormat, EscposPrinter

# Real-time status queries hidden in a job's raster data: printers that process real-time
# commands everywhere answer each one, and those answers come before ours.
_REALTIME_STATUS = re.compile(rb"\x10\x04[\x01-\x04]")
_TRAILING_QUIET = 0.2  # after an answer, how long more answers may still be on their way


class Link(Protocol):
    """An open connection to a printer. Methods raise PrinterError with the reason."""

    def write(self, data: bytes, timeout: float) -> None: ...

    def read(self, wait: float) -> bytes:
        """Whatever arrives within ``wait`` seconds (b"" for nothing)."""
        ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class LinkPrinter(EscposPrinter):
    """An ESC/POS printer reached through a `Link` that subclasses open."""

    def __init__(
        self, fmt: EscposFormat, *, timeout: float, status: bool, status_timeout: float
    ) -> None:
        super().__init__(fmt)
        self.timeout = timeout
        self.status_timeout = min(status_timeout, timeout)
        self._answers_status: bool | None = None if status else False

    @abstractmethod
    def open_link(self) -> Link:
        """Open the connection; raise PrinterError when the printer cannot be reached."""

    def transfer_seconds(self, size: int) -> float:
        """How long ``size`` bytes take on the wire (0 when the link is fast)."""
        return 0.0

    def send(self, job: bytes) -> None:
        link = self.open_link()
        try:
            link.discard_input()  # answers left over from an earlier, broken job
            if self._answers_status is not False:
                status = self._ask(link, STATUS_QUERY, self.status_timeout)
                if status is None:
                    if self._answers_status:
                        raise PrinterError(REASON_OFFLINE, f"{self.name}: no status answer")
                    self._answers_status = False
                else:
                    self._answers_status = True
                    check_status(status, "before printing")
            link.write(job, self.transfer_seconds(len(job)) + self.timeout)
            if self._answers_status:
                status = self._ask_after(link, job)
                if status is None:
                    raise PrinterError(REASON_NO_ANSWER, f"{self.name}: no status after the job")
                check_status(status, "after printing")
        finally:
            link.close()

    def query_status(self) -> PrinterStatus:
        link = self.open_link()
        try:
            link.discard_input()
            answers: dict[int, int | None] = {}
            for n in (STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_PAPER):
                answers[n] = self._ask(link, status_query(n), self.status_timeout)
                if answers[n] is None:
                    break  # one silence is enough: it does not answer status
        finally:
            link.close()
        status = status_from_answers(self.name, answers)
        if not status.answered and self._answers_status:
            # It used to answer: silence now means it is off or offline.
            return PrinterStatus(self.name, reachable=True, offline=True, reason=REASON_OFFLINE)
        return status

    @staticmethod
    def _ask(link: Link, query: bytes, wait: float) -> int | None:
        link.write(query, wait + 1.0)
        answer = link.read(wait)
        return answer[-1] if answer else None

    def _ask_after(self, link: Link, job: bytes) -> int | None:
        expected = len(_REALTIME_STATUS.findall(job)) + 1
        link.write(STATUS_QUERY, self.timeout)
        # The job may still be on the wire when write returns (a serial port's buffer).
        answers = link.read(self.transfer_seconds(len(job)) + self.timeout)
        deadline = time.monotonic() + _TRAILING_QUIET
        while answers and len(answers) < expected and time.monotonic() < deadline:
            more = link.read(max(deadline - time.monotonic(), 0.0))
            if more:
                answers += more
                deadline = time.monotonic() + _TRAILING_QUIET
        return answers[-1] if answers else None
