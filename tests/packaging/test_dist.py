"""The store build: build.spec makes a one-folder app whose `--self-test` passes.

The build runs PyInstaller into a temporary folder (about a minute on 2 cores), then
runs the frozen app the way a counter PC would: from outside the source tree, with no
Python environment around it, on a machine without a display.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The first test waits for the build; a busy machine can take a few minutes.
pytestmark = pytest.mark.timeout(1200)

pytest.importorskip(
    "PyInstaller",
    reason="the build group is not installed: `make test` installs it "
           "(or uv sync --frozen --group build)",
)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(out / "dist"),
         "--workpath", str(out / "work"), str(REPO / "build.spec")],
        cwd=REPO, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    app = out / "dist" / "tamaru" / "tamaru"
    assert app.is_file() and os.access(app, os.X_OK)
    return app


def clean_env(home: Path) -> dict[str, str]:
    """What a counter PC has: no venv, no PYTHONPATH pointing at the sources."""
    keep = ("PATH", "LANG", "LC_ALL", "DISPLAY", "XDG_RUNTIME_DIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=str(home), TAMARU_HOME=str(home / "tamaru"), QT_QPA_PLATFORM="offscreen",
               TAMARU_SECRET_STORE="file")
    return env


def run(app: Path, *args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(app), *args], cwd=home, env=clean_env(home), capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_the_frozen_app_passes_its_self_test(frozen, tmp_path):
    done = run(frozen, "--self-test", home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    assert "(store build," in report
    checks = [line.split()[:2] for line in report.splitlines() if line.startswith("  ok ")
              or line.startswith("  FAIL")]
    assert [name for _, name in checks] == ["qt", "translations", "escpos", "database",
                                            "receipt", "pcsc", "poslink", "runtime"]
    assert all(status == "ok" for status, _ in checks), report
    assert "self-test passed" in report
    # The self-test works in a temporary folder, never in the register's data folder.
    assert not (tmp_path / "tamaru" / "register.db").exists()


def test_the_bundle_carries_the_register_and_not_hq_or_test_tools(frozen):
    internal = frozen.parent / "_internal"
    assert (internal / "sync" / "migrations" / "env.py").is_file()
    assert sorted(p.name for p in (internal / "sync" / "migrations" / "versions").glob("0*.py"))
    assert (internal / "escpos" / "capabilities.json").is_file()
    assert list((internal / "smartcard" / "scard").glob("_scard*.so"))
    assert (internal / "fontconfig" / "fonts.conf").is_file()
    assert (internal / "resources" / "programs" / "demo.toml").is_file()
    platforms = internal / "PySide6" / "Qt" / "plugins" / "platforms"
    assert {"libqoffscreen.so", "libqxcb.so"} <= {p.name for p in platforms.iterdir()}
    names = {p.name for p in internal.iterdir()}
    assert not names & {"hq", "hypothesis", "pytest", "_pytest",
                        "psycopg", "psycopg_binary", "schemathesis"}


def test_an_unprovisioned_store_build_asks_for_provisioning_not_the_demo(frozen, tmp_path):
    # The store build has no embedded HQ: with nothing configured it must want a code.
    done = run(frozen, "--ready-probe", home=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not provisioned" in done.stderr
    assert not (tmp_path / "tamaru" / "hq").exists()


def test_the_frozen_app_writes_a_diagnostics_bundle(frozen, tmp_path):
    out = tmp_path / "diag.zip"
    done = run(frozen, "--diagnostics", str(out), home=tmp_path)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as z:
        report = json.loads(z.read("report.json"))
    # Package metadata travels with the build, so support sees real versions.
    assert report["versions"]["PySide6-Essentials"] != "not installed"
    assert report["versions"]["tamaru"] != "not installed"
