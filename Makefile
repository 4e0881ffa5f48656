# Two commands: `make run` and `make test`. Each sets up .venv itself (idempotent: a stamp file
# is rebuilt only when pyproject.toml changes) and then does its job.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Install-time artefacts of the knowledge index (ONNX export of the model, vectors of the
# shipped documents): rebuilt when the install, the documents or the chunking change.
PREBUILD_STAMP := $(VENV)/.prebuild-stamp
PREBUILD_INPUTS := $(wildcard knowledge/docs/*.md knowledge/docs/*/*.md) knowledge/chunking.py knowledge/minilm.py \
	$(wildcard */intents.yaml) bot/nlu/head.py $(wildcard predictions/*.py)

.PHONY: run test setup lint format bench clean

run: setup
	$(BIN)/python run_bot.py $(ARGS)

# The suite runs on every core (pytest-xdist), one test file per worker at a time: a file's
# module fixtures (a seeded store, a walked calendar) are built once, not once per worker.
# `make test PYTEST_ARGS="tests/unit -x"` adds arguments; `PYTEST_XDIST=` (empty) or
# `PYTEST_ARGS="-n 0"` runs in one process (for pdb, or to read output in order).
PYTEST_XDIST ?= -n auto --dist loadfile

test: setup
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

setup: $(STAMP) $(PREBUILD_STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "subbot needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PY=python3.11")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "Installing subbot and its dependencies into $(VENV) (first run takes a few minutes)..."
	@# torch first, pinned to the CPU build: left to the resolver it would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --disable-pip-version-check -q "torch==2.13.0"
	$(BIN)/python -m pip install --disable-pip-version-check -q -e ".[dev]"
	@touch $(STAMP)

$(PREBUILD_STAMP): $(STAMP) $(PREBUILD_INPUTS)
	@# Export MiniLM to ONNX and embed the shipped documents once, so the bot starts fast.
	$(BIN)/python -m knowledge.prebuild
	@# The same for the intent router: its examples' vectors and its fitted head.
	$(BIN)/python -m bot.nlu.prebuild
	@# The demo's churn model, trained on the synthetic population.
	$(BIN)/python -m predictions.service
	@touch $(PREBUILD_STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark at the small size `make test` runs; `make bench FULL=1` at full size (minutes).
bench: setup
	$(BIN)/python bench/run.py $(if $(FULL),--full,)

clean:
	rm -rf $(VENV) data/*.db data/*.db-* data/chroma .pytest_cache
