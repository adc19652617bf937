# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench

$(BIN)/snek: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(BIN)/snek

setup: $(BIN)/snek

demo: setup
	$(BIN)/snek demo

test: setup
	$(BIN)/pip install -q torch==2.13.0  # the CPU build (from local disk here), first, so no extra pulls a CUDA build
	$(BIN)/pip install -q -e ".[test,ray,rl,rl-test]"  # Ray backend and RL libraries are tested for real
	$(BIN)/ruff check arena bots viewer tests benchmarks
	$(BIN)/python -m arena.warmup  # compile the kernels once, not in every test subprocess
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check arena bots viewer tests benchmarks

bench: setup
	$(BIN)/python benchmarks/engine.py
