# The README's two commands are `make demo` and `make test`; every other target serves them.
# Each target sets up what it needs (venv, packages, Kafka jars, PostgreSQL) and is idempotent.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SYSTEM_PACKAGES := postgresql prometheus chromium chromium-driver openssl

.PHONY: demo test lint typecheck unit integration bench setup system-packages kafka-jars schemas lock clean

demo: setup
	$(BIN)/flexmit demo

test: setup lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

# Not part of `make test`: measures the worker, the receiver and their baselines (BENCHMARKS.md).
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

setup: $(STAMP) system-packages kafka-jars

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

system-packages:
	scripts/ensure-system-packages $(SYSTEM_PACKAGES)

kafka-jars: $(STAMP)
	$(BIN)/python -m consumer.devstack.kafka fetch >/dev/null

schemas: $(STAMP)
	$(BIN)/flexmit schemas

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^flexmit' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .cache .mypy_cache .ruff_cache .pytest_cache
