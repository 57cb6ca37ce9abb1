# madoguchi — one entry point for every developer task. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
# uv from PATH, else as a module of the system Python (installed there by `make uv` when missing)
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
VENV := .venv
PY := $(VENV)/bin/python
BENCH_OUT ?= bench-results

.PHONY: help
help: ## List the tasks
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: uv
uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

$(PY): pyproject.toml uv.lock | uv
	$(UV) sync --frozen --python python3
	@touch $(PY)

.PHONY: venv
venv: $(PY) ## Create .venv and install madoguchi with its locked dependencies

.PHONY: demo
demo: venv ## Run the demo center on embedded defaults (SQLite, in-process bus)
	$(VENV)/bin/madoguchi demo

.PHONY: peers
peers: ## Install the system test peers (sipp, baresip, chromium, TTS…) when missing (root only)
	@bash scripts/install-test-peers.sh

.PHONY: lint
lint: venv ## ruff check and format check
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

.PHONY: typecheck
typecheck: venv ## mypy --strict
	$(VENV)/bin/mypy

.PHONY: pytest
pytest: venv ## The whole pytest suite
	$(VENV)/bin/pytest -q

.PHONY: test
test: peers venv lint typecheck pytest ## Everything CI runs: peers, ruff, mypy --strict, pytest

.PHONY: fmt
fmt: venv ## Format and autofix
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

.PHONY: bench
bench: venv ## Run every benchmark, JSON into $(BENCH_OUT)/
	@mkdir -p $(BENCH_OUT)
	@for b in $$($(VENV)/bin/madoguchi bench --help | awk '/^│ [a-z]/ {print $$2}'); do \
	  echo "== bench $$b"; $(VENV)/bin/madoguchi bench $$b --json $(BENCH_OUT)/$$b.json || exit 1; done

.PHONY: bench-routing bench-sip bench-sim bench-wfm bench-flows bench-web bench-dialer
bench-routing bench-sip bench-sim bench-wfm bench-flows bench-web bench-dialer: venv ## One benchmark (e.g. make bench-sip)
	@mkdir -p $(BENCH_OUT)
	$(VENV)/bin/madoguchi bench $(@:bench-%=%) --json $(BENCH_OUT)/$(@:bench-%=%).json

.PHONY: clean
clean: ## Remove caches (keeps .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis $(BENCH_OUT)
