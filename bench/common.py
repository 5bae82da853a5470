"""What a benchmark reports: a figure, the raw limit beside it, and their ratio."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure. With `raw_value`, the ratio says how close Tamaru is to the limit.

    Fields are positional up to `raw_name` in existing benchmarks; new ones go at the end.

    `higher_is_better` decides the direction of the ratio: for throughput the ratio is
    value / raw, for latency raw / value is not used — a latency is reported as value /
    raw (how many times the raw cost) and its target is a ceiling.
    """

    bench: str
    name: str
    value: float
    unit: str
    raw_name: str | None = None
    raw_value: float | None = None
    higher_is_better: bool = True
    target: str | None = None  # e.g. "≥ 0.5×" or "≤ 16 ms"
    met: bool | None = None  # whether the target is met, decided by the benchmark
    note: str = ""
    # How much data the figure was measured on, for figures that grow with it (members in
    # the cache, ops in the queue). Figures of one name with sizes form a growth table.
    size: int | None = None
    size_unit: str = ""  # what `size` counts: "members", "queued ops"

    @property
    def ratio(self) -> float | None:
        if self.raw_value in (None, 0) or self.value == 0:
            return None
        return self.value / self.raw_value  # type: ignore[operator]


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0–100) by nearest rank; samples need not be sorted."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def rate(count: int, fn: Callable[[], object]) -> float:
    """Run fn once and return count / seconds."""
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def timings_ms(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median(samples: list[float]) -> float:
    return statistics.median(samples)
