"""Diagnostics bundle and logs: useful to support, free of secrets and personal data."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import zipfile

from desktop.diagnostics import write_bundle
from desktop.logs import redact, setup_logging
from desktop.settings import Settings
from tests.support.seed import seeded_store

TOKEN = "yt8PbGgvW7PqJmqLNsjAE-Miq4tLFakCXt3GTUnY-us"


def test_redact_tokens_and_phone_numbers():
    assert TOKEN not in redact(f"Authorization: Bearer {TOKEN}")
    assert TOKEN not in redact(f'{{"token": "{TOKEN}"}}')
    assert "090-1234-5678" not in redact("会員 090-1234-5678 から問い合わせ")
    assert "09012345678" not in redact("phone=09012345678")
    assert redact("R01-000123 applied, balance 1,232 pt") == "R01-000123 applied, balance 1,232 pt"


def test_logs_are_redacted_on_disk(tmp_path):
    path = setup_logging(tmp_path, console=False)
    log = logging.getLogger("tamaru.test")
    log.warning("push failed with Bearer %s for 090-1234-5678", TOKEN)
    try:
        raise RuntimeError(f"token={TOKEN}")
    except RuntimeError:
        log.exception("crash")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert "push failed" in text and "crash" in text
    assert TOKEN not in text and "090-1234-5678" not in text


def test_bundle_has_state_but_no_secrets(tmp_path):
    home = tmp_path / "home"
    settings = Settings(home, {"hq.url": "https://hq.example.co.jp", "hq.token": TOKEN})
    settings.save()
    store = seeded_store(home / "register.db")
    store.close()
    (home / "logs").mkdir()
    (home / "logs" / "tamaru.log").write_text(f"Bearer {TOKEN} 080-9876-5432\nok\n")
    out = write_bundle(settings)
    with zipfile.ZipFile(out) as z:
        report = json.loads(z.read("report.json"))
        everything = b"".join(z.read(n) for n in z.namelist()).decode()
    assert report["settings"]["hq.token"] == "***"
    assert report["settings"]["hq.url"] == "https://hq.example.co.jp"
    assert report["outbox"]["sync_state"][0] == "R01"
    assert "python" in report["versions"]
    assert TOKEN not in everything and "080-9876-5432" not in everything
    assert "山田" not in everything  # no member names


def test_cli_diagnostics(tmp_path):
    home = tmp_path / "h"
    out = tmp_path / "d.zip"
    done = subprocess.run([sys.executable, "-m", "desktop.main", "--home", str(home),
                           "--diagnostics", str(out)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert zipfile.is_zipfile(out)
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("report.json"))["outbox"] == {"database": "missing"}
