"""A wedge scanner as real X key events (Xvfb + xdotool) into the running application.

Real X events are what QTest cannot show: every key reaches an app-wide filter for the
window as well as for the widget, and the burst really types into the focused field
before its Enter arrives (see tests/ui/xwedge_driver.py for the steps)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.ui
@pytest.mark.skipif(not (shutil.which("xvfb-run") and shutil.which("xdotool")),
                    reason="needs xvfb-run and xdotool (scripts/bootstrap.sh installs them)")
def test_scanner_burst_as_real_x_keys(tmp_path):
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m",
         "tests.ui.xwedge_driver", "--home", str(tmp_path / "home")],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
        env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["second_no_valid"], report  # demo member numbers are EAN-13
    assert report["focus_before"] == "QLineEdit"
    assert report["after_person"] == "1500"  # typing by hand is left alone
    assert report["scans"] == [report["second_no"]]  # one scan, no key counted twice
    assert report["member"] == "鈴木 一郎 様"  # the scanned member is on screen
    assert report["amount"] == "1500" and report["focus_after"]  # the field is restored
    assert report["outbox"] == {}  # the scanner's Enter confirmed no sale
    typed = len("1500") + len(report["second_no"]) + 1
    # Each real key also reached the filter for the window: counted once all the same.
    assert report["keys_to_windows"] >= typed and report["keys_to_widgets"] >= typed
