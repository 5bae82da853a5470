"""Every benchmark still runs (quick sizes). Speed is judged by `make bench`, not here."""

from __future__ import annotations

import importlib

import pytest

from bench.__main__ import discover
from bench.common import Figure, percentile


@pytest.mark.parametrize("name", discover())
def test_benchmark_runs_quick(name):
    figures = importlib.import_module(f"bench.{name}").run(quick=True)
    assert figures and all(isinstance(f, Figure) for f in figures)
    for f in figures:
        assert f.value > 0, f
        if f.raw_name is not None:
            assert f.raw_value and f.raw_value > 0, f


def test_percentile_nearest_rank():
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50
    assert percentile(samples, 95) == 95
    assert percentile(samples, 100) == 100
    assert percentile([7.0], 99) == 7.0
