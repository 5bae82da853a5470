"""A real pcscd for tests, with two vpcd virtual reader slots that virtual cards connect to.

The daemon runs in the foreground as a child of the test process, with its own reader
configuration (``pcscd --foreground -c DIR``) declaring one vpcd reader::

    FRIENDLYNAME "Tamaru Test PCD"   → readers "Tamaru Test PCD 00 00" (TCP 40000)
    CHANNELID    0x9C40                      and "Tamaru Test PCD 00 01" (TCP 40001)

so the readers' names and ports do not depend on the machine's /etc/reader.conf.d.

`Pcscd.replace_reader` declares the vpcd reader under another name from the daemon's next
start: to a PC/SC client, one reader was unplugged and another model plugged in. pcscd
1.9 does not rescan reader.conf.d at run time (SIGUSR1 only rescans USB), so a stop and
start is how a test plugs readers. Only one vpcd reader at a time: the driver keeps its
connections by slot number, so two vpcd readers in one daemon share (and lose) cards.

Only one pcscd can run on a machine (it owns /run/pcscd). Starting this one therefore
stops any pcscd already running, including the system's: the suites that use it run as
root on a dedicated test machine (CI, a developer's container), never on a workstation
whose card readers are in use. On a systemd machine, stop ``pcscd.socket`` first or
socket activation starts the system daemon again.

Several test folders may need the daemon in one pytest run; `shared_pcscd()` hands out one
daemon per process, started on first use and stopped when its last user is done::

    # tests/integration/conftest.py
    @pytest.fixture(scope="session")
    def pcscd() -> Iterator[Pcscd]:
        try:
            daemon = acquire_pcscd()
        except PcscdUnavailable as exc:
            pytest.skip(str(exc))
        try:
            yield daemon
        finally:
            release_pcscd(daemon)

Stop every pyscard monitor and reader before `Pcscd.stop()`, or their threads print
tracebacks as the daemon disappears (Tamaru's own PcscReader survives it by design).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

RUN_DIR = Path("/run/pcscd")
COMM_SOCKET = RUN_DIR / "pcscd.comm"
PID_FILE = RUN_DIR / "pcscd.pid"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")

FRIENDLY_NAME = "Tamaru Test PCD"
PORT = 0x9C40  # 40000; the driver opens a second slot on PORT + 1
READER_NAME = f"{FRIENDLY_NAME} 00 00"
SECOND_READER_NAME = f"{FRIENDLY_NAME} 00 01"

START_TIMEOUT = 5.0
# How long a stopped daemon's vpcd port may stay held (Linux keeps TIME_WAIT for 60 s).
PORT_HELD_TIMEOUT = 70.0
PORT_HELD = "Address already in use"
STOP_TIMEOUT = 5.0


class PcscdUnavailable(Exception):
    """pcscd cannot be run here; the message says what is missing."""


def find_pcscd() -> str | None:
    """Path of the pcscd binary (it lives in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("pcscd")
    if found:
        return found
    for candidate in ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable_reason() -> str | None:
    """Why a test pcscd cannot run on this machine, or None when it can."""
    if find_pcscd() is None:
        return "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd libpcsclite-dev)"
    if not VPCD_DRIVER.exists():
        return f"the vpcd reader driver is missing ({VPCD_DRIVER}; apt-get install vsmartcard-vpcd)"
    if os.geteuid() != 0:
        return "the pcscd tests must run as root (pcscd needs /run/pcscd and replaces the system daemon)"
    return None


class Pcscd:
    """One pcscd child process with the test reader configuration under ``base_dir``."""

    def __init__(
        self, base_dir: Path, *, friendly_name: str = FRIENDLY_NAME, port: int = PORT
    ) -> None:
        self.base_dir = Path(base_dir)
        self.friendly_name = friendly_name
        self.port = port
        self.second_port = port + 1
        self.reader_name = f"{friendly_name} 00 00"
        self.second_reader_name = f"{friendly_name} 00 01"
        self.config_dir = self.base_dir / "reader.conf.d"
        self.log_path = self.base_dir / "pcscd.log"
        self.replacement_name: str | None = None  # see replace_reader
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self.running and self._process else None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the daemon (stopping any other pcscd first) and wait until it is ready."""
        reason = unavailable_reason()
        if reason:
            raise PcscdUnavailable(reason)
        with self._lock:
            if self.running:
                return
            stop_other_pcscd()
            self._write_config()
            RUN_DIR.mkdir(parents=True, exist_ok=True)
            # A daemon that was killed leaves its socket and pid file behind, and the next
            # one refuses to start over them. No pcscd runs now, so they are stale.
            for stale in (COMM_SOCKET, PID_FILE):
                stale.unlink(missing_ok=True)
            binary = find_pcscd()
            assert binary is not None
            # The vpcd driver binds its port without SO_REUSEADDR: for a while after a
            # daemon stopped, the port can still be held (TIME_WAIT) and the reader fails
            # to open. Start again until the port is free, for as long as TCP holds it.
            port_deadline = time.monotonic() + PORT_HELD_TIMEOUT
            while True:
                started_at = self.log_path.stat().st_size if self.log_path.exists() else 0
                with self.log_path.open("ab") as log:
                    self._process = subprocess.Popen(
                        [binary, "--foreground", "--debug", "--apdu", "-c", str(self.config_dir)],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                try:
                    self._wait_ready(timeout)
                    return
                except RuntimeError:
                    if (PORT_HELD not in self._log_since(started_at)
                            or time.monotonic() > port_deadline):
                        raise
                self.stop(kill=True)
                for stale in (COMM_SOCKET, PID_FILE):
                    stale.unlink(missing_ok=True)
                time.sleep(1.0)

    def stop(self, timeout: float = STOP_TIMEOUT, *, kill: bool = False) -> None:
        """Stop the daemon (SIGTERM, or SIGKILL with ``kill``) and wait until it is gone."""
        with self._lock:
            process, self._process = self._process, None
            if process is None or process.poll() is not None:
                return
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def restart(self, *, kill: bool = False) -> None:
        with self._lock:
            self.stop(kill=kill)
            self.start()

    def ensure_running(self) -> None:
        """Start the daemon again if a test left it stopped."""
        if not self.running:
            self.start()

    def replace_reader(self, friendly_name: str | None) -> list[str]:
        """From the next start, name the reader ``friendly_name`` (None: back to the usual
        one); returns the names of its two slots then. Same ports."""
        with self._lock:
            self.replacement_name = friendly_name
        name = friendly_name or self.friendly_name
        return [f"{name} 00 00", f"{name} 00 01"]

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        name = self.replacement_name or self.friendly_name
        (self.config_dir / "vpcd").write_text(_reader_conf(name, self.port))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self._process
        assert process is not None
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"pcscd exited with status {process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            if COMM_SOCKET.exists() and all(
                port_listening(port) for port in (self.port, self.second_port)
            ):
                return
            time.sleep(0.01)
        self.stop(kill=True)
        raise RuntimeError(f"pcscd was not ready within {timeout:.1f} s:\n{self.log_tail()}")


def _reader_conf(friendly_name: str, port: int) -> str:
    return (
        f'FRIENDLYNAME "{friendly_name}"\n'
        f"DEVICENAME   /dev/null:0x{port:04X}\n"
        f"LIBPATH      {VPCD_DRIVER}\n"
        f"CHANNELID    0x{port:04X}\n"
    )


def port_listening(port: int) -> bool:
    """Whether something listens on a local TCP port, without connecting to it.

    Connecting to a vpcd port would put a card on the reader, so the kernel's socket table
    is read instead.
    """
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[1].endswith(wanted) and fields[3] == "0A":
                return True
    return False


def running_pcscd_pids() -> list[int]:
    """pids of the live pcscd processes on this machine (zombies count as gone)."""
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "pcscd":
                continue
            # The state follows the parenthesised command name, which has no ")" here.
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def stop_other_pcscd(timeout: float = STOP_TIMEOUT) -> None:
    """Stop every pcscd on the machine and wait until they are gone (see module docstring)."""
    pids = running_pcscd_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        time.sleep(0.02)
        pids = [pid for pid in pids if pid in running_pcscd_pids()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        time.sleep(0.02)
        pids = [pid for pid in pids if pid in running_pcscd_pids()]
    if pids:
        raise RuntimeError(f"could not stop the running pcscd (pids {pids})")


# One daemon per test process, shared by every folder's fixture (see module docstring).
_shared_lock = threading.Lock()
_shared: Pcscd | None = None
_shared_users = 0
_machine_lock: int | None = None

# Two test runs on one machine (two checkouts, a benchmark beside the suite) would stop
# each other's daemon: a machine-wide lock makes the second wait for the first.
MACHINE_LOCK = Path("/run/lock/tamaru-test-pcscd.lock")
MACHINE_LOCK_WAIT = 1800.0


def _take_machine_lock() -> int:
    import fcntl

    MACHINE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(MACHINE_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + MACHINE_LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise PcscdUnavailable(
                    f"another test run has held the test pcscd for {MACHINE_LOCK_WAIT:.0f} s "
                    f"({MACHINE_LOCK})") from None
            time.sleep(0.5)


def acquire_pcscd() -> Pcscd:
    """The process's test pcscd, started if this is its first user. Pair with release."""
    global _shared, _shared_users, _machine_lock
    with _shared_lock:
        if _shared is None:
            reason = unavailable_reason()
            if reason:
                raise PcscdUnavailable(reason)
            _machine_lock = _take_machine_lock()
            daemon = Pcscd(Path(tempfile.mkdtemp(prefix="tamaru-pcscd-")))
            try:
                daemon.start()
            except BaseException:
                os.close(_machine_lock)
                _machine_lock = None
                raise
            _shared = daemon
        _shared.ensure_running()
        _shared_users += 1
        return _shared


def release_pcscd(daemon: Pcscd) -> None:
    """Give back a daemon from `acquire_pcscd`; the last user stops it."""
    global _shared, _shared_users, _machine_lock
    with _shared_lock:
        if daemon is not _shared:
            raise ValueError("this pcscd was not acquired with acquire_pcscd()")
        _shared_users -= 1
        if _shared_users > 0:
            return
        _shared = None
    try:
        daemon.stop()
        shutil.rmtree(daemon.base_dir, ignore_errors=True)
    finally:
        if _machine_lock is not None:
            os.close(_machine_lock)
            _machine_lock = None


@contextlib.contextmanager
def shared_pcscd() -> Iterator[Pcscd]:
    """`acquire_pcscd` and `release_pcscd` as a context manager."""
    daemon = acquire_pcscd()
    try:
        yield daemon
    finally:
        release_pcscd(daemon)


def wait_reader_empty(reader_name: str, timeout: float = 3.0) -> None:
    """Wait until pcscd has polled the reader and found no card on it.

    A card put on a vpcd slot within one poll (~400 ms) of the previous card leaving can be
    taken for the same card still lying there; a test that re-taps right after a failed
    read waits for this first, as a cashier's customer lifts the card before tapping again.
    """
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise RuntimeError(f"no PC/SC context: {scard.SCardGetErrorMessage(hresult)}")
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            hresult, states = scard.SCardGetStatusChange(
                context, max(remaining_ms, 0), [(reader_name, state)]
            )
            if hresult == scard.SCARD_E_TIMEOUT or remaining_ms <= 0:
                raise AssertionError(f"{reader_name} still holds a card after {timeout} s")
            if hresult != scard.SCARD_S_SUCCESS:
                raise RuntimeError(
                    f"status of {reader_name}: {scard.SCardGetErrorMessage(hresult)}"
                )
            state = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if state & scard.SCARD_STATE_EMPTY:
                return
    finally:
        scard.SCardReleaseContext(context)
