"""The embedded HQ: a local HQ server on SQLite, started as a subprocess on 127.0.0.1.

This is the out-of-the-box setup for trying Tamaru on one PC. The register talks to it
over HTTP exactly as it would to a chain's HQ; the desktop never imports `hq`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


class EmbeddedHQError(RuntimeError):
    pass


@dataclass(frozen=True)
class Provisioned:
    device_id: str
    store_id: str
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedHQ:
    def __init__(self, home: Path) -> None:
        self.dir = home / "hq"
        self.db_url = f"sqlite:///{self.dir / 'hq.db'}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def _cli(self, *args: str) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "hq.cli", "--db", self.db_url, *args],
            capture_output=True, timeout=120, check=False,
        )
        if done.returncode != 0:
            raise EmbeddedHQError(
                f"組み込み HQ の準備に失敗しました: {done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode()

    def prepare_demo(self, device_id: str, store_id: str) -> Provisioned:
        """Create the demo program, members and this register's token (idempotent)."""
        out = json.loads(self._cli("demo", "--device", device_id, "--store", store_id, "--json"))
        return Provisioned(out["device_id"], out["store_id"], out["token"])

    def start(self, *, ready_timeout: float = 30.0) -> str:
        port = _free_port()
        log = open(self.dir / "hq.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hq.cli", "--db", self.db_url, "serve",
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmbeddedHQError(f"組み込み HQ が起動しませんでした（{self.dir / 'hq.log'}）")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise EmbeddedHQError("組み込み HQ の起動がタイムアウトしました")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
