"""Benchmarks: each measures Tamaru beside the raw limit measured in the same run.

Every `bench/bench_*.py` module has `run(quick: bool) -> list[Figure]`. `python -m bench`
runs them all and writes `docs/benchmarks.md`; `quick` shrinks the sizes so the test
suite can check that every benchmark still runs.
"""
