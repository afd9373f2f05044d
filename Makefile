# est_pipeline: every command a newcomer needs. `make demo` then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Nothing may wait on the network: no telemetry, no usage stats.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME := $(CURDIR)/dagster_home
export MPLBACKEND := Agg
# The estimation's matrices are small and many: two BLAS threads fighting over two busy cores
# made one QR step 30x slower (measured 0.49 s vs 0.015 s). Override for big one-off fits.
OPENBLAS_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS

.PHONY: install manifest demo dev test bench bench-weekly bench-estimation bench-generate simulate clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Parse the dbt project so dagster-dbt finds target/manifest.json (not built outside `dagster dev`).
manifest: install
	$(BIN)/python -m est_pipeline.defs.dbt.project

## Generate the demo data, materialise every asset over the whole demo period, print a summary.
demo: manifest
	$(BIN)/python -m est_pipeline.run_demo

## The Dagster UI on the same data and instance as `make demo`.
dev: manifest
	$(BIN)/dagster dev -w workspace.yaml

## The whole test suite (slow benchmarks excluded; see `make bench` and `make simulate`).
test: manifest
	$(BIN)/python -m pytest

## Benchmarks: they print figures; none of them is a timed test.
bench: bench-generate bench-weekly bench-estimation

bench-generate: install
	$(BIN)/python benchmarks/generate_data.py --municipalities 20 --areas 20 --years 5

bench-weekly: manifest
	$(BIN)/python benchmarks/weekly_mart.py

bench-estimation: install
	$(BIN)/python benchmarks/estimation_scale.py

## The simulation study of the estimators and the headline: 17 designs and their placebo twins,
## 800 replications each (about 2 h on 2 shared cores; niced so it yields to interactive work).
simulate: install
	nice -n 10 $(BIN)/python benchmarks/simulation_study.py --reps 800 --workers 2

clean:
	rm -rf data dbt_project/target dbt_project/logs
