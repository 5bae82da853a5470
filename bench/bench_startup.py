"""Start-up and memory of the register app, beside a bare PySide6 window in the same run.

- Start-up: from spawning `tamaru --ready-probe` to the counter screen shown and painted
  (the app prints the moment with its memory, then quits). The app starts as at a
  store: a provisioned register (token in its secret file) pointing at a running HQ, its
  database opened through the start-up check, the simulated reader and printer. Beside
  it: a bare PySide6 process that opens a main window with one label, measured the same
  way, alternating with the app so both see the same machine. Target ≤ 1.5×. Start-ups
  are process-cold but disk-warm (the file cache is not dropped: other work on the
  machine would suffer) and start from compiled bytecode, as an installed app does; the
  first run of each kind is a warm-up and not counted.
- Memory: the app's resident set at the ready moment with 10,000 to 1,000,000 members in
  its cache, beside the same app with an empty register (and the bare window's).
- Member look-up by card as the cache grows (bench_store's figure, at each size).

The member caches are built the way bench_store builds its million (`fill_members`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_store import fill_members, lookup_figures, new_store
from bench.common import Figure
from desktop.secrets import save_token
from desktop.settings import Settings
from hq.demo import run_demo
from tests.support.hq_process import HqProcess

BENCH = "startup"
READY = "TAMARU_READY"
TARGET = 1.5
PROBE_TIMEOUT_S = 120.0

BARE_WINDOW = r"""
import importlib, sys, time
from pathlib import Path
for name in sys.argv[1:]:
    importlib.import_module(name)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("Tamaru"))
window.resize(1180, 760)
window.show()

def ready():
    window.grab()
    status = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
    rss, peak = (int(status[k].split()[0]) for k in ("VmRSS", "VmHWM"))
    print(f"TAMARU_READY {time.time_ns()} rss_kb={rss} peak_kb={peak}", flush=True)
    app.quit()

QTimer.singleShot(0, ready)
sys.exit(app.exec())
"""


PYCACHE = Path(tempfile.gettempdir()) / "tamaru-bench-pycache"


def _env(home: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", TAMARU_SECRET_STORE="file", PYTHONUNBUFFERED="1")
    # An installed app starts from compiled bytecode (the store build carries it); a
    # machine set never to write bytecode would compile every module on every start.
    # The cache goes to a folder of its own, not into the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if home is not None:
        env["TAMARU_HOME"] = str(home)
    return env


def probe(cmd: list[str], home: Path | None) -> tuple[float, int, int]:
    """(ms from spawn to ready, resident KiB, peak resident KiB) of one start."""
    start_ns = time.time_ns()
    done = subprocess.run(cmd, env=_env(home), capture_output=True, text=True,
                          timeout=PROBE_TIMEOUT_S, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(READY)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"start-up probe failed ({done.returncode}): {cmd}\n"
                           f"{done.stdout[-1500:]}\n{done.stderr[-3000:]}")
    _mark, ready_ns, rss, peak = line.split()
    return ((int(ready_ns) - start_ns) / 1e6, int(rss.split("=")[1]), int(peak.split("=")[1]))


def app_cmd(home: Path) -> list[str]:
    return [sys.executable, "-m", "desktop.main", "--home", str(home), "--ready-probe"]


def bare_cmd(libraries: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, "-c", BARE_WINDOW, *libraries]


LIBRARIES_OF_THE_APP = r"""
import sys
before = set(sys.modules)
import desktop.app, desktop.window, desktop.provisioning
project = {"desktop", "devices", "loyalty", "sync", "resources", "PySide6", "shiboken6",
           "shibokensupport", "signature_bootstrap", "cython_runtime"}
stdlib = set(sys.stdlib_module_names)
tops = {n.split(".")[0] for n in set(sys.modules) - before}
print(" ".join(sorted(t for t in tops - project - stdlib if not t.startswith("_"))))
"""


def app_libraries() -> tuple[str, ...]:
    """The third-party packages the app's start-up imports (SQLAlchemy, pydantic, httpx…)."""
    done = subprocess.run([sys.executable, "-c", LIBRARIES_OF_THE_APP], env=_env(None),
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=True)
    return tuple(done.stdout.split())


def make_home(folder: Path, name: str, url: str, token: str, members: int) -> Path:
    """A provisioned register: config.toml with HQ's address, the token in its file, and a
    database with `members` cached members (demo register R01 of store S001)."""
    home = folder / name
    Settings(home, {"hq.url": url, "register.device_id": "R01", "register.store_id": "S001",
                    "register.store_name": "たまる商店 渋谷店",
                    "sync.interval_seconds": 3600}).save()
    os.environ.setdefault("TAMARU_SECRET_STORE", "file")
    save_token(home, token)
    db = home / "register.db"
    new_store(db).close()
    if members:
        fill_members(db, members, queued_ops=0)
    return home


Sample = tuple[float, int, int]


def measure(homes: dict[int, Path], repeat: int, libraries: tuple[str, ...]
            ) -> tuple[dict[int, list[Sample]], list[Sample], list[Sample]]:
    """Alternate bare and app starts so a busy moment slows both alike."""
    probe(bare_cmd(), None)
    probe(bare_cmd(libraries), None)
    for home in homes.values():
        probe(app_cmd(home), home)  # warm-up: the file cache, Python's bytecode cache
    apps: dict[int, list[Sample]] = {n: [] for n in homes}
    bare: list[Sample] = []
    with_libraries: list[Sample] = []
    for _ in range(repeat):
        bare.append(probe(bare_cmd(), None))
        with_libraries.append(probe(bare_cmd(libraries), None))
        for n, home in homes.items():
            apps[n].append(probe(app_cmd(home), home))
    return apps, bare, with_libraries


def run(quick: bool) -> list[Figure]:
    sizes = [10_000] if quick else [10_000, 100_000, 1_000_000]
    repeat = 1 if quick else 7
    folder = Path(tempfile.mkdtemp(prefix="tamaru-bench-startup-"))
    previous = os.environ.get("TAMARU_SECRET_STORE")
    try:
        hq_db = f"sqlite:///{folder / 'hq.db'}"
        token = run_demo(hq_db).token
        with HqProcess(hq_db, log_dir=folder) as hq:
            homes = {0: make_home(folder, "empty", hq.url, token, 0)}
            built: dict[int, float] = {}
            lookups: dict[int, Figure] = {}
            for n in sizes:
                start = time.perf_counter()
                homes[n] = make_home(folder, f"m{n}", hq.url, token, n)
                built[n] = time.perf_counter() - start
                # Before any start: the app's first pull rewrites the demo members, whose
                # ids the generated cache shares.
                lookups[n] = lookup_figures(homes[n] / "register.db", n,
                                            2000 if quick else 20_000)[0]
            libraries = app_libraries()
            apps, bare, with_libraries = measure(homes, repeat, libraries)
    finally:
        if previous is None:
            os.environ.pop("TAMARU_SECRET_STORE", None)
        subprocess.run(["rm", "-rf", str(folder)], check=False)

    def ms(samples: list[Sample]) -> float:
        return statistics.median(s[0] for s in samples)

    def mb(samples: list[Sample]) -> float:
        return statistics.median(s[1] for s in samples) / 1024

    bare_ms, bare_mb = ms(bare), mb(bare)
    floor_ms = ms(with_libraries)
    empty_ms, empty_mb = ms(apps[0]), mb(apps[0])
    note = (f"median of {repeat} starts after a warm-up; bare window median {bare_ms:.0f} ms; "
            "includes opening the database (quick_check) and the first layout and paint")
    figures = [
        Figure(BENCH, "start-up to the ready counter screen, empty register", empty_ms, "ms",
               raw_name="bare PySide6 window, same run", raw_value=bare_ms,
               higher_is_better=False, target=f"≤ {TARGET}×",
               met=empty_ms <= TARGET * bare_ms, note=note),
        Figure(BENCH, "start-up to the ready counter screen, empty register, against its "
                      "libraries", empty_ms, "ms",
               raw_name="bare window importing the same third-party packages",
               raw_value=floor_ms, higher_is_better=False,
               note="what Tamaru's own code adds over importing its libraries "
                    f"({', '.join(libraries)})"),
        Figure(BENCH, "memory at the ready counter screen, empty register", empty_mb, "MB",
               raw_name="bare PySide6 window, RSS", raw_value=bare_mb, higher_is_better=False,
               note="resident set (VmRSS) at the ready moment"),
    ]
    for n in sizes:
        start_ms, rss = ms(apps[n]), mb(apps[n])
        figures.append(Figure(
            BENCH, "start-up to the ready counter screen", start_ms, "ms",
            raw_name="bare PySide6 window, same run", raw_value=bare_ms,
            higher_is_better=False, target=f"≤ {TARGET}×", met=start_ms <= TARGET * bare_ms,
            note=f"cache file built in {built[n]:.0f} s; {note}", size=n, size_unit="members"))
        figures.append(Figure(
            BENCH, "memory at the ready counter screen", rss, "MB",
            raw_name="same app, empty register", raw_value=empty_mb, higher_is_better=False,
            target="≤ 1.2×", met=rss <= 1.2 * empty_mb,
            note="members stay on disk: the cache is SQLite, read a page at a time",
            size=n, size_unit="members"))
        look = lookups[n]
        figures.append(Figure(
            BENCH, "member look-up by card id, p99", look.value, look.unit,
            raw_name=look.raw_name, raw_value=look.raw_value, higher_is_better=False,
            target=look.target, met=look.met, note=look.note, size=n, size_unit="members"))
    return figures
