"""Serial devices on pseudo-terminals, so scanners and printers are tested through pyserial.

`PtyPort` is one pty pair: the code under test opens ``port.path`` with pyserial as it
would /dev/ttyUSB0, and the test plays the device on the master side. ``path`` is a
symlink (like /dev/serial/by-id/…), so `unplug` can make the port vanish and `replug`
bring a new pty back under the same name, as a USB-serial device pulled and plugged in.

The test keeps a slave descriptor of its own open: without one, the master reads EIO
whenever the code under test has the port closed (between print jobs).

`FakeSerialPrinter` is an ESC/POS printer on such a port: it keeps every byte it is sent,
answers real-time status queries (DLE EOT n) from ``statuses``, and can vanish mid-job.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from pathlib import Path

from tests.support.escpos_decode import Incomplete, iter_commands

STATUS_OK = 0x12  # every DLE EOT answer with nothing to report


class PtyPort:
    """A pseudo-terminal whose slave side is reached through the symlink ``path``."""

    def __init__(self, folder: Path, name: str = "ttyTEST0") -> None:
        self.path = Path(folder) / name
        self.master = -1
        self._slave = -1
        self.device = ""
        self._lock = threading.Lock()
        self.replug()

    def replug(self) -> None:
        """A fresh pty behind ``path`` (a device plugged in again)."""
        with self._lock:
            self._close_fds()
            master, slave = os.openpty()
            # Raw from the start: no echo of what the device sends, no CR → LF mapping.
            tty.setraw(slave)
            self.master, self._slave = master, slave
            self.device = os.ttyname(slave)
            self.path.unlink(missing_ok=True)
            self.path.symlink_to(self.device)

    def unplug(self) -> None:
        """The device goes away: reads and writes on the open port fail, opening it fails."""
        with self._lock:
            self._close_fds()
            self.path.unlink(missing_ok=True)

    @property
    def plugged(self) -> bool:
        with self._lock:
            return self.master >= 0

    def write(self, data: bytes) -> None:
        """Send bytes to whoever has the port open, as the device."""
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def read(self, timeout: float) -> bytes:
        """Bytes sent to the device within ``timeout`` (b"" for none)."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        return os.read(self.master, 65536)

    def close(self) -> None:
        self.unplug()

    def _close_fds(self) -> None:
        for fd in (self.master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = -1


class FakeSerialPrinter:
    """An ESC/POS printer on a pty. ``received`` holds every byte it got, in order.

    ``statuses`` maps n to the answer to DLE EOT n (change it between jobs to put paper
    out, or open the cover); ``answers=False`` makes it a printer that never answers.
    ``vanish_after`` unplugs it once it has that many bytes, as a printer switched off
    or a cable pulled mid-job.
    """

    def __init__(
        self,
        folder: Path,
        *,
        statuses: dict[int, int] | None = None,
        answers: bool = True,
        vanish_after: int | None = None,
    ) -> None:
        self.port = PtyPort(folder, "ttyPRINTER")
        self.path = str(self.port.path)
        self.statuses = {1: STATUS_OK, 2: STATUS_OK, 4: STATUS_OK, **(statuses or {})}
        self.answers = answers
        self.vanish_after = vanish_after
        self.received = bytearray()
        self.status_queries: list[int] = []
        self._taken = 0
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-serial-printer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        parsed = 0
        while not self._stopping.is_set() and self.port.plugged:
            try:
                chunk = self.port.read(0.05)
            except OSError:
                return
            if not chunk:
                continue
            with self._condition:
                self.received += chunk
                data = bytes(self.received)
                self._condition.notify_all()
            try:
                for command in iter_commands(data, parsed):
                    parsed = command.end
                    if command.name == "DLE EOT":
                        n = command.params[0]
                        with self._condition:
                            self.status_queries.append(n)
                        if self.answers:
                            self.port.write(bytes((self.statuses.get(n, STATUS_OK),)))
            except Incomplete:
                pass  # the rest of the command is still on its way
            if self.vanish_after is not None and len(data) >= self.vanish_after:
                self.port.unplug()
                return

    def wait_for_bytes(self, count: int, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"printer got {len(self.received)} bytes, not {count}")
                self._condition.wait(remaining)
            return bytes(self.received)

    def take(self, quiet: float = 0.0) -> bytes:
        """The bytes received since the last take (one job's, when taken between jobs).

        With ``quiet``, first wait until nothing has arrived for that long: a job to a
        printer that answers no status is still in the pty's buffer when the send returns.
        """
        with self._condition:
            while quiet:
                size = len(self.received)
                self._condition.wait(quiet)
                if len(self.received) == size:
                    break
            data = bytes(self.received[self._taken :])
            self._taken = len(self.received)
        return data

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2.0)
        self.port.close()
