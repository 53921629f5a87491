# cxresearch — the two commands are `make report` and `make test`; both set up .venv first.
# Nothing is installed or registered outside .venv (the Jupyter kernel is the venv's own
# Python, found by papermill through ipykernel in the same environment).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cxresearch-installed
JOBS   ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup report test lint typecheck pytest lab bench demo clean distclean

setup: $(STAMP)

# Reinstall only when the dependency list changes: a second `make report` or `make test`
# finds the stamp newer than pyproject.toml and does nothing here.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/cxresearch report --jobs $(JOBS)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/charts.py --encoders
	$(BIN)/python benchmarks/bench_qual.py
	$(BIN)/python benchmarks/bench_readers.py
	$(BIN)/python benchmarks/bench_raking.py

demo: $(STAMP)
	$(BIN)/cxresearch demo --output data/demo/responses.csv

clean:
	rm -rf reports/* .pytest_cache .mypy_cache .ruff_cache
	@touch reports/.gitkeep

distclean: clean
	rm -rf $(VENV) *.egg-info
