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

.PHONY: install manifest demo onboard run dev test test-portability bench bench-weekly bench-estimation bench-generate bench-ingest bench-scale simulate clean held accept

# pip's output goes to .venv/install.log; the terminal gets a progress line (scripts/install.sh).
$(STAMP): pyproject.toml scripts/install.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) $(SHELL) scripts/install.sh
	@touch $(STAMP)

install: $(STAMP)

## Parse the dbt project so dagster-dbt finds target/manifest.json (not built outside `dagster dev`).
manifest: install
	@$(BIN)/python -m est_pipeline.defs.dbt.project

## Generate the demo data, run every job over the whole demo period, print a summary.
## One line per phase on the terminal; the full Dagster and dbt log goes to data/logs/.
demo: manifest
	@$(BIN)/python -m est_pipeline.run_demo

## Check a municipality's reference files in $EST_DATA_DIR/landing before the first run (docs/onboarding.md).
## Options after ARGS=, e.g. make onboard ARGS="--write-templates mallar --write-settings".
onboard: install
	$(BIN)/python -m est_pipeline.onboarding check $(ARGS)

## Materialise every asset over the period of the data partners delivered (never generates).
run: manifest
	@$(BIN)/python -m est_pipeline.run_demo --no-generate

## Files held back by the ingest (docs/feeds/README.md): list them; accept one so that its rows load.
## make accept FEED=fault_reports FILE=felanmalningar_v10.csv BY="Anna Andersson" NOTE="checked with the partner"
held: install
	$(BIN)/python -m est_pipeline.ingest held

accept: install
	$(BIN)/python -m est_pipeline.ingest accept "$(FEED)" "$(FILE)" --by "$(BY)" --note "$(NOTE)"

## The Dagster UI on the same data and instance as `make demo`.
dev: manifest
	$(BIN)/dagster dev -w workspace.yaml

## The whole test suite (slow benchmarks excluded; see `make bench` and `make simulate`).
test: manifest
	$(BIN)/python -m pytest

## Compile the dbt project for Trino (dbt-trino, no server needed) and fail on DuckDB-only SQL
## (docs/scale.md, "Portable SQL"). Installs the optional `portability` dependencies.
test-portability: install
	$(BIN)/python -m pip install --quiet -e '.[portability]'
	$(BIN)/python -m pytest -m slow -q tests/test_dbt_portability.py

## Benchmarks: they print figures; none of them is a timed test.
bench: bench-generate bench-ingest bench-weekly bench-estimation

bench-generate: install
	$(BIN)/python benchmarks/generate_data.py --municipalities 20 --areas 20 --years 5

## Ingest per feed at 1, 5 and 20 municipalities beside a bare DuckDB floor (ARGS="--municipalities 60" for more).
bench-ingest: install
	nice -n 10 $(BIN)/python benchmarks/ingest_scale.py $(ARGS)

bench-weekly: manifest
	$(BIN)/python benchmarks/weekly_mart.py

bench-estimation: install
	$(BIN)/python benchmarks/estimation_scale.py

## The whole backfill and one incremental week at 1, 5, 20, 60 municipalities, beside a bare
## DuckDB floor and a pandas peer. ARGS="--municipalities 290" for the whole country.
bench-scale: manifest
	$(BIN)/python benchmarks/scale.py $(ARGS)

## The simulation study of the estimators and the headline: 19 designs and their placebo twins,
## 800 replications each (about 2,5 h on 2 shared cores; niced so it yields to interactive work).
simulate: install
	nice -n 10 $(BIN)/python benchmarks/simulation_study.py --reps 800 --workers 2

clean:
	rm -rf data dbt_project/target dbt_project/logs
