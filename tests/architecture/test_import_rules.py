"""The layout's import rules (DESIGN §1) are enforced: the contracts hold on the tree,
and a deliberate bad import in a copy of the tree breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("loyalty", "devices", "sync", "hq", "desktop", "resources")
LINT = Path(sys.executable).with_name("lint-imports")


def run_lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def tree(tmp_path):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_contracts_hold(tree):
    result = run_lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "bad_import", "contract"), [
    ("loyalty/bad.py", "import sqlalchemy", "loyalty is the pure domain"),
    ("loyalty/bad.py", "import sync.store", "loyalty is the pure domain"),
    ("devices/bad.py", "import PySide6", "devices imports no project package"),
    ("sync/bad.py", "import devices.cards", "sync imports only loyalty"),
    ("hq/bad.py", "import sync.store", "hq imports only loyalty and sync.protocol"),
    ("desktop/bad.py", "import hq.app", "desktop never imports hq"),
])
def test_a_bad_import_breaks_its_contract(tree, module, bad_import, contract):
    (tree / module).write_text(f'"""A deliberate violation."""\n{bad_import}\n')
    result = run_lint(tree)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]
    assert any(contract in line for line in broken) or contract in result.stdout, result.stdout


def test_every_sync_module_but_protocol_is_forbidden_to_hq():
    """hq may import sync.protocol only; the contract lists the rest, so keep it complete."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [hq_rule] = [c for c in config["tool"]["importlinter"]["contracts"]
                 if c["name"].startswith("hq imports")]
    forbidden = set(hq_rule["forbidden_modules"])
    modules = {f"sync.{p.stem}" for p in (ROOT / "sync").glob("*.py") if p.stem != "__init__"}
    modules |= {f"sync.{p.name}" for p in (ROOT / "sync").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert modules - {"sync.protocol"} <= forbidden
