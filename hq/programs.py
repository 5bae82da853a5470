"""Published program versions, parsed once each: a published version never changes."""

from __future__ import annotations

import threading
from typing import cast

from sqlalchemy import Connection, Table, select

from hq.models import ProgramVersion
from loyalty.expiry import ExpiryPolicy
from loyalty.program import Program, parse_program

UNKNOWN_ISSUER = "unknown"  # no program published yet: nobody to say who funds the points
_programs = cast(Table, ProgramVersion.__table__)


class Programs:
    """A cache of parsed versions; thread-safe, so one can serve every request."""

    def __init__(self) -> None:
        self._parsed: dict[int, Program] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection, version: int) -> Program | None:
        with self._lock:
            cached = self._parsed.get(version)
        if cached is not None:
            return cached
        toml = conn.execute(select(_programs.c.toml).where(_programs.c.version == version)).scalar_one_or_none()
        if toml is None:
            return None
        program = parse_program(toml)
        with self._lock:
            self._parsed[version] = program
        return program

    def newest(self, conn: Connection) -> Program | None:
        version = conn.execute(select(_programs.c.version).order_by(_programs.c.version.desc()).limit(1)).scalar()
        return None if version is None else self.get(conn, int(version))


def newest_program(conn: Connection) -> Program | None:
    """The newest published program, parsed now (a process may serve several databases)."""
    return Programs().newest(conn)


def issuer_and_policy(conn: Connection) -> tuple[str, ExpiryPolicy]:
    """Who funds points HQ grants itself (the newest program's company), and their expiry."""
    program = newest_program(conn)
    if program is None:
        return UNKNOWN_ISSUER, ExpiryPolicy()
    return program.company_id, program.expiry
