"""Every benchmark still runs (quick sizes), and the report says what `make bench` promises:
the machine, each figure beside its raw limit with the ratio, the targets, and growth
tables. Speed itself is judged by `make bench`, not here."""

from __future__ import annotations

import importlib
import json

import pytest

from bench import __main__ as bench_main
from bench.__main__ import discover, report
from bench.common import Figure, percentile


@pytest.mark.parametrize("name", discover())
def test_benchmark_runs_quick(name):
    figures = importlib.import_module(f"bench.{name}").run(quick=True)
    assert figures and all(isinstance(f, Figure) for f in figures)
    for f in figures:
        assert f.value > 0, f
        if f.raw_name is not None:
            assert f.raw_value and f.raw_value > 0, f
        if f.target is not None:
            assert f.met is not None, f
        if f.size is not None:
            assert f.size > 0 and f.size_unit, f
    series: dict[str, list[int]] = {}
    for f in figures:
        if f.size is not None:
            series.setdefault(f.name, []).append(f.size)
    for sizes in series.values():
        assert len(sizes) == len(set(sizes)), "one figure per size"


def test_percentile_nearest_rank():
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50
    assert percentile(samples, 95) == 95
    assert percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0


def _results(figures: list[Figure], commit: str = "abc1234") -> dict:
    import dataclasses

    return {"seconds": 12.0, "ran_at": "2026-11-22T10:00:00+00:00", "commit": commit,
            "machine": MACHINE, "figures": [dataclasses.asdict(f) for f in figures]}


MACHINE = {"cpu": "Test CPU × 2", "memory": "8 GiB", "disk": "ext4 on /dev/vda",
           "python": "Python 3.11"}


def test_report_has_targets_ratios_and_growth_tables():
    drain = [Figure("sync", "queue drained", v, "ops/s", raw_name="HQ ingest", raw_value=1000.0,
                    target="≥ 0.5×", met=v >= 500, size=n, size_unit="queued ops")
             for n, v in ((1_000, 800.0), (10_000, 600.0), (100_000, 400.0))]
    start = Figure("startup", "start-up", 900.0, "ms", raw_name="bare PySide6",
                   raw_value=150.0, higher_is_better=False, target="≤ 1.5×", met=False,
                   note="median of 7")
    text = report({"bench_startup": _results([start]),
                   "bench_sync": _results(drain, commit="0ld0ld0")}, "abc1234", MACHINE)
    assert "- CPU: Test CPU × 2" in text and "- Disk: ext4 on /dev/vda" in text
    # The targets table: the headline of a growth series is its largest size.
    assert "| bench_sync | queue drained (100,000 queued ops) | 400 ops/s | 1,000 | 0.40× " \
           "| ≥ 0.5× | **no** |" in text
    assert "| bench_startup | start-up | 900 ms | 150 | 6.00× | ≤ 1.5× | **no** |" in text
    assert "0 of 2 targets met." in text
    assert "Growth — queue drained (ops/s):" in text
    assert "| 10,000 | 600 ops/s | 1,000 | 0.60× | 0.75× |" in text
    assert "measured at commit 0ld0ld0" in text  # a section from an earlier run says so
    assert "- start-up: median of 7" in text


def test_a_partial_run_keeps_the_other_benchmarks(tmp_path, monkeypatch):
    import sys
    import types

    for name, value in (("bench_fake_a", 10.0), ("bench_fake_b", 20.0)):
        module = types.ModuleType(f"bench.{name}")
        module.run = lambda quick, name=name, value=value: [  # type: ignore[attr-defined]
            Figure(name, "rate", value, "ops/s", raw_name="raw", raw_value=40.0)]
        monkeypatch.setitem(sys.modules, f"bench.{name}", module)
    monkeypatch.setattr(bench_main, "discover", lambda: ["bench_fake_a", "bench_fake_b"])
    out = tmp_path / "benchmarks.md"
    assert bench_main.main(["--out", str(out), "bench_fake_a"]) == 0
    assert bench_main.main(["--out", str(out), "bench_fake_b"]) == 0
    stored = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["results"]
    assert list(stored) == ["bench_fake_a", "bench_fake_b"]
    text = out.read_text(encoding="utf-8")
    assert "| rate | 10.00 ops/s | raw | 40.00 | 0.25× |" in text
    assert "| rate | 20.00 ops/s | raw | 40.00 | 0.50× |" in text
    with pytest.raises(SystemExit):
        bench_main.main(["--out", str(out), "bench_nothing"])
