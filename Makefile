# Tamaru: `make run` starts the app on its embedded default; `make test` runs the suite.
# Both install what they need first (scripts/bootstrap.sh).

VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: run test test-dist lint bench dist chaos bootstrap-run bootstrap-test bootstrap-build \
	screenshot clean

bootstrap-run:
	@scripts/bootstrap.sh run

bootstrap-test:
	@scripts/bootstrap.sh test

bootstrap-build:
	@scripts/bootstrap.sh build

# Without a display (a server, CI) the window opens on a virtual X server.
run: bootstrap-run
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(VENV)/tamaru; \
	else echo "no display: running under Xvfb"; xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/tamaru; fi

lint:
	$(VENV)/ruff check .
	$(VENV)/mypy loyalty
	$(VENV)/lint-imports

# The suite includes tests/packaging/: it builds the store package with PyInstaller into a
# temporary folder and runs the frozen app's --self-test (about a minute on 2 cores).
test: bootstrap-test lint
	$(VENV)/pytest $(PYTEST_ARGS)

# Only the store build's test.
test-dist: bootstrap-test
	$(VENV)/pytest -v tests/packaging

# The store build: dist/tamaru/ (one folder, PyInstaller), checked with its own
# --self-test, then packed as dist/tamaru-<version>-linux-<arch>.tar.gz for the counters
# (docs/operations.md).
dist: bootstrap-build
	$(VENV)/pyinstaller --noconfirm --clean build.spec
	dist/tamaru/tamaru --self-test
	scripts/dist/package.sh

# A long seeded chaos run of the sync engine: make chaos SEEDS="1 2 3" OPS=500
SEEDS ?= 1 2 3 4 5 6 7 8
OPS ?= 400
chaos: bootstrap-test
	TAMARU_CHAOS_SEEDS="$(SEEDS)" TAMARU_CHAOS_OPS=$(OPS) $(VENV)/pytest -s tests/reliability/test_chaos.py

# Every benchmark in bench/, written to docs/benchmarks.md: about 40 minutes on 2 cores, 22 of
# them bench_sync's drain and fleet, 8 bench_card's taps. `make bench BENCH="bench_sync bench_startup"` re-measures
# some and keeps the others' figures; `BENCH_ARGS=--quick` is a smoke run that writes nothing.
BENCH ?=
BENCH_ARGS ?=
bench: bootstrap-test
	$(VENV)/python -m bench $(BENCH_ARGS) $(BENCH)

# Every screen, in a real window on a virtual X server, into docs/screenshots/.
screenshot: bootstrap-test
	xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/python -m tests.support.screenshot docs/screenshots

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache build dist

# Qt translations: collect the screen texts (Japanese, the source language) from desktop/,
# and the sentences sync/ and loyalty/ mark for the screen, into
# resources/translations/tamaru_en.ts (existing translations are kept, texts gone from
# the code are dropped, new ones come in unfinished), then compile the tamaru_en.qm the
# app loads for English.
.PHONY: translations
translations:
	$(VENV)/pyside6-lupdate -no-obsolete -extensions py -source-language ja -target-language en -locations relative desktop sync loyalty -ts resources/translations/tamaru_en.ts
	$(VENV)/pyside6-lrelease resources/translations/tamaru_en.ts -qm resources/translations/tamaru_en.qm
