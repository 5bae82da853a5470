"""`tamaru --diagnostics`: a zip that support can read, with no secrets and no personal data.

It holds versions, the settings (token masked), the outbox state, the devices (card readers,
serial scanners, printer ports, and what the configured printer and scanner report), and
the recent logs (already redacted when written, redacted again here). Devices are named
by their port, reader name or address: no card, code or member ever appears.
"""

from __future__ import annotations

import json
import platform
import sqlite3
import zipfile
from collections.abc import Callable
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


def _listed(what: Callable[[], Any]) -> Any:
    """What a device query found, or why it found nothing (a broken driver, a missing
    library): the bundle is written whatever the devices do."""
    try:
        return what()
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"


def printer_report(spec: str) -> dict[str, Any]:
    """The configured printer and what it says about itself (bounded by its timeout)."""
    from devices.printers import open_printer, query_printer_status

    try:
        printer = open_printer(spec)
    except ValueError as exc:
        return {"spec": spec, "error": f"設定が正しくありません: {exc}"}
    status = query_printer_status(printer)
    return {"spec": spec, "name": printer.name, "reachable": status.reachable,
            "answers_status": status.answered, "ready": status.ready,
            "message": status.message, "paper_out": status.paper_out,
            "paper_near_end": status.paper_near_end, "cover_open": status.cover_open,
            "detail": status.detail}


def printer_ports() -> list[str]:
    """Printer device files the kernel made (USB printers through usblp, parallel ports)."""
    found = {str(path) for pattern in ("/dev/usb/lp*", "/dev/lp*")
             for path in Path("/").glob(pattern.lstrip("/"))}
    return sorted(found)


def devices(settings: Settings | None = None) -> dict[str, Any]:
    from devices.registry import default_registry

    registry = default_registry()
    out: dict[str, Any] = {
        "readers": _listed(lambda: [r.spec for r in registry.readers()]),
        "scanners": _listed(lambda: [s.spec for s in registry.scanners()]),
        "printer_ports": _listed(printer_ports),
    }
    if settings is not None:
        out["configured"] = {"reader": settings.get("devices.reader"),
                             "scanner": settings.get("devices.scanner"),
                             "printer": settings.get("devices.printer")}
        out["printer"] = _listed(lambda: printer_report(str(settings.get("devices.printer"))))
    return out


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
        "devices": devices(settings),
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.json", json.dumps(report, ensure_ascii=False, indent=2))
        logs = home / "logs"
        if logs.exists():
            for path in sorted(logs.glob("tamaru.log*"))[:3]:
                z.writestr(f"logs/{path.name}",
                           redact(path.read_text(encoding="utf-8", errors="replace")))
    return out
