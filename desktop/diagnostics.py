"""`tamaru --diagnostics`: a zip that support can read, with no secrets and no personal data.

It holds versions, the settings (token masked), the outbox state, the device list, and the
recent logs (already redacted when written, redacted again here).
"""

from __future__ import annotations

import json
import platform
import sqlite3
import zipfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from desktop.logs import redact
from desktop.settings import SETTINGS, Settings

SECRET_KEYS = {"hq.token"}
PACKAGES = ("tamaru", "PySide6-Essentials", "SQLAlchemy", "pyscard", "python-escpos",
            "httpx", "pydantic")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def settings_without_secrets(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in SETTINGS:
        value = settings.get(s.key)
        out[s.key] = ("***" if value else "") if s.key in SECRET_KEYS else value
    return out


def outbox_state(db: Path) -> dict[str, Any]:
    """Counts only: op ids and states, never who the member was."""
    if not db.exists():
        return {"database": "missing"}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error as exc:
        return {"database": f"unreadable: {exc}"}
    try:
        states = dict(con.execute("SELECT state, count(*) FROM ops GROUP BY state").fetchall())
        oldest = con.execute("SELECT min(created_at) FROM ops WHERE state IN "
                             "('queued','sent')").fetchone()[0]
        last_errors = [row[0] for row in con.execute(
            "SELECT DISTINCT last_error FROM ops WHERE last_error IS NOT NULL "
            "ORDER BY rowid DESC LIMIT 5")]
        sync = con.execute("SELECT device_id, store_id, next_device_seq, pull_cursor, "
                           "last_push_at, last_pull_at FROM sync_state").fetchone()
        return {"states": states, "oldest_waiting": oldest, "recent_errors": last_errors,
                "sync_state": list(sync) if sync else None,
                "size_bytes": db.stat().st_size}
    except sqlite3.Error as exc:
        return {"database": f"unreadable: {exc}"}
    finally:
        con.close()


def devices() -> dict[str, Any]:
    from devices.registry import default_registry

    try:
        return {"readers": [r.spec for r in default_registry().readers()]}
    except Exception as exc:  # a broken driver must not stop the bundle
        return {"readers": f"error: {exc}"}


def write_bundle(settings: Settings, out: Path | None = None) -> Path:
    home = settings.home
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out or home / f"tamaru-diagnostics-{stamp}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "created_at": datetime.now(UTC).isoformat(),
        "versions": versions(),
        "settings": settings_without_secrets(settings),
        "outbox": outbox_state(home / "register.db"),
        "devices": devices(),
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.json", json.dumps(report, ensure_ascii=False, indent=2))
        logs = home / "logs"
        if logs.exists():
            for path in sorted(logs.glob("tamaru.log*"))[:3]:
                z.writestr(f"logs/{path.name}",
                           redact(path.read_text(encoding="utf-8", errors="replace")))
    return out
