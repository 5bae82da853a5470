# Tamaru: `make run` starts the app on its embedded default; `make test` runs the suite.
# Both install what they need first (scripts/bootstrap.sh).

VENV := .venv/bin
PYTEST_ARGS ?=

.PHONY: run test lint bench chaos bootstrap-run bootstrap-test screenshot clean

bootstrap-run:
	@scripts/bootstrap.sh run

bootstrap-test:
	@scripts/bootstrap.sh test

# Without a display (a server, CI) the window opens on a virtual X server.
run: bootstrap-run
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(VENV)/tamaru; \
	else echo "no display: running under Xvfb"; xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/tamaru; fi

lint:
	$(VENV)/ruff check .
	$(VENV)/mypy loyalty
	$(VENV)/lint-imports

test: bootstrap-test lint
	$(VENV)/pytest $(PYTEST_ARGS)

# A long seeded chaos run of the sync engine: make chaos SEEDS="1 2 3" OPS=500
SEEDS ?= 1 2 3 4 5 6 7 8
OPS ?= 400
chaos: bootstrap-test
	TAMARU_CHAOS_SEEDS="$(SEEDS)" TAMARU_CHAOS_OPS=$(OPS) $(VENV)/pytest -s tests/reliability/test_chaos.py

# Every benchmark in bench/, written to docs/benchmarks.md.
bench: bootstrap-test
	$(VENV)/python -m bench

# The counter screen after a simulated tap and sale, for docs/screenshots/.
screenshot: bootstrap-test
	xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/python -m tests.support.screenshot docs/screenshots/counter.png

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
