# Two commands for a fresh machine with only Python 3.11 and make:
#   make demo   set up, then run RAFA on Game of 24 (ranks 901-1000) on the simulated LLM
#   make test   set up, then lint, type-check and run the whole test suite (what CI runs),
#               on every core (pytest-xdist; a test file stays on one worker)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The real interpreter (not a pyenv shim), so uv sees the same one every time
# and keeps the environment instead of rebuilding it.
PYTHON_EXE := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
BOOT := .bootstrap
UV := $(BOOT)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON_EXE)

.PHONY: demo test lint typecheck bench sync lock clean

$(UV):
	$(PYTHON_EXE) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

sync: $(UV)
	$(UV) sync --locked --quiet

# The lock: uv.lock (what uv installs from), and the same pins exported for
# other tools: pylock.toml (PEP 751) and requirements.lock (pip's hashed
# requirements format: pip install --require-hashes -r requirements.lock),
# both with every extra and group; and requirements.txt, the runtime pins
# alone (the package's own dependencies, hashed), for installing the library
# into an application. `make test` fails if any export does not match uv.lock.
EXPORT_ARGS := --all-extras --all-groups --no-emit-project --no-header --quiet
PYLOCK_ARGS := --format pylock.toml $(EXPORT_ARGS)
REQLOCK_ARGS := --format requirements.txt $(EXPORT_ARGS)
RUNTIME_ARGS := --format requirements.txt --no-dev --no-emit-project --no-header --quiet
lock: $(UV)
	$(UV) lock
	$(UV) export --locked $(PYLOCK_ARGS) -o pylock.toml
	$(UV) export --locked $(REQLOCK_ARGS) -o requirements.lock
	$(UV) export --locked $(RUNTIME_ARGS) -o requirements.txt

demo: sync
	$(UV) run --locked rafa run game24 --agent rafa --puzzles 901-1000 --seed 0 --out results.jsonl --force

test: sync
	$(UV) export --locked $(PYLOCK_ARGS) | diff -q - pylock.toml > /dev/null \
	  || { echo "pylock.toml is stale: run make lock"; exit 1; }
	$(UV) export --locked $(REQLOCK_ARGS) | diff -q - requirements.lock > /dev/null \
	  || { echo "requirements.lock is stale: run make lock"; exit 1; }
	$(UV) export --locked $(RUNTIME_ARGS) | diff -q - requirements.txt > /dev/null \
	  || { echo "requirements.txt is stale: run make lock"; exit 1; }
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy
	$(UV) run --locked lint-imports
	$(UV) run --locked pytest -q -n auto --dist loadfile

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .

typecheck: sync
	$(UV) run --locked mypy

# Benchmarks print a table and write JSON to benchmarks/results/ (several minutes).
bench: $(UV)
	$(UV) sync --locked --quiet --extra bench
	$(UV) run --locked --extra bench python benchmarks/planner_latency.py
	$(UV) run --locked --extra bench python benchmarks/game24_results.py
	$(UV) run --locked --extra bench python benchmarks/switching_rules.py
	$(UV) run --locked --extra bench python benchmarks/bus_throughput.py
	$(UV) run --locked --extra bench python benchmarks/cancel_latency.py
	$(UV) run --locked --extra bench python benchmarks/scale_gridworld.py
	$(UV) run --locked --extra bench python benchmarks/middleware_overhead.py
	$(UV) run --locked --extra bench python benchmarks/llm_overhead.py

clean:
	rm -rf $(BOOT) .venv build dist *.egg-info
