"""HQ as a real server process, for tests that need real HTTP, threads and crashes.

Starts `python -m hq.cli --db URL serve` on a free 127.0.0.1 port, waits (bounded) until
`/v1/health` answers, and stops it with SIGTERM, or SIGKILL to simulate a crash. The
database must already be migrated. The server's output goes to `log_path`, quoted in
errors so a failed start explains itself.

    with HqProcess(db_url, log_dir=tmp_path) as hq:
        httpx.get(f"{hq.url}/v1/health")
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0


class HqProcess:
    def __init__(
        self, db_url: str, *, log_dir: Path, port: int | None = None, workers: int = 1,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """`tls`: (certificate, key) to serve HTTPS with; `ca_file` then verifies it."""
        self.db_url = db_url
        self.workers = workers
        self.tls = tls
        self.log_path = log_dir / "hq-server.log"
        self._fixed_port = port
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> HqProcess:
        # A picked port can be taken before the server binds it; try another then.
        for _attempt in range(3):
            self.port = self._fixed_port or free_port()
            self._spawn()
            if self._wait_healthy():
                return self
            assert self.proc is not None
            if self.proc.poll() is None or "address already in use" not in self.log_text().lower():
                break
        self.kill()
        raise RuntimeError(f"HQ did not become healthy on {self.url}; log:\n{self.log_text()}")

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "hq.cli", "--db", self.db_url,
                    "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--log-level", "warning", "--workers", str(self.workers),
                    *(["--ssl-certfile", str(self.tls[0]), "--ssl-keyfile", str(self.tls[1])]
                      if self.tls else []),
                ],  # fmt: skip
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_healthy(self) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        # Only whether it answers: the tests check the certificate themselves.
        with httpx.Client(timeout=1.0, verify=False) as client:  # noqa: S501
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.get(f"{self.url}/v1/health").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        return False

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> int | None:
        """Graceful stop (SIGTERM); falls back to SIGKILL. Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def kill(self) -> int | None:
        """SIGKILL: the process gets no chance to finish what it was doing."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(10)

    def __enter__(self) -> HqProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
