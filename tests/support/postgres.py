"""A throwaway PostgreSQL 15 cluster for tests, from the Debian `postgresql-15` package.

The cluster lives in a temporary folder, listens on a free 127.0.0.1 port with its unix
socket in that folder, and is stopped with `pg_ctl stop -m immediate` at the end.
`initdb` refuses to run as root, so as root every server command runs as the `postgres`
system user. Durability settings are off: a test cluster is never recovered.

Use from a conftest::

    from tests.support.postgres import postgres_cluster  # noqa: F401  (session fixture)

    def test_x(postgres_cluster):
        url = postgres_cluster.url_for("test_x")   # a fresh, empty database
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path(os.environ.get("TAMARU_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"
_DBNAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed where expected."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One running cluster. `url_for(name)` makes a fresh database and returns its URL."""

    def __init__(self) -> None:
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).is_file():
                raise PostgresUnavailable(
                    f"{PG_BIN / tool} not found: install PostgreSQL 15 server binaries "
                    "(apt-get install postgresql-15) or point TAMARU_PG_BIN at their folder"
                )
        self.root = Path(tempfile.mkdtemp(prefix="tamaru-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._as_root = os.geteuid() == 0
        self._lock = threading.Lock()
        self._running = False
        if self._as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no server log)"

    def start(self) -> None:
        done = self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        # The port is free when picked but may be taken before the server binds it.
        for _attempt in range(3):
            self.port = free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            done = self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                "-w", "-t", "30", "-o", options, "start",
            )  # fmt: skip
            if done.returncode == 0:
                self._running = True
                return
            if "already in use" not in self._log_tail():
                break
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr.strip()}\n{self._log_tail()}")

    def stop(self) -> None:
        if self._running:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def admin_url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def url_for(self, dbname: str, *, template: str | None = None) -> str:
        """Create a fresh database `dbname` (dropping any old one) and return its URL: empty,
        or a copy of database `template` (which must have no open connections)."""
        for name in (dbname, template):
            if name is not None and not _DBNAME_RE.fullmatch(name):
                raise ValueError(f"database name {name!r}: use lower-case letters, digits, _")
        with (
            self._lock,
            psycopg.connect(
                host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
            ) as conn,
        ):
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            if template is None:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            else:
                # Copying a template is much faster than migrating and seeding again.
                conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
        return self.admin_url(dbname)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the whole test session, started on first use."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
