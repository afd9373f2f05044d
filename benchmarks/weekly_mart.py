"""Benchmark: the weekly lägesbild on the demo data and on a data set ten times larger.

    .venv/bin/python benchmarks/weekly_mart.py            # demo size and 10x (areas x 10)
    .venv/bin/python benchmarks/weekly_mart.py --scales 1 # demo size only

For each size it generates the data (est_pipeline.demo), ingests it (Dagster, in-process),
then measures, each in a fresh process so peak memory is that step's alone:

- ``one week, weekly job``: what the Monday schedule runs: refresh staging/intermediate
  and the full-history marts, then one weekly partition (two dbt invocations);
- ``one week, marts only``: re-running one weekly partition of the incremental marts
  (one dbt invocation), e.g. a manual re-run;
- ``backfill all weeks``: the weekly job for every week of the data as ONE run (one dbt
  invocation for the weekly marts, whatever the number of weeks).

Peak memory is the larger of the Dagster process's and its dbt subprocess's maximum
resident set size. Figures are printed, never asserted (performance is not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_AREAS = 14  # est_pipeline.demo default
DEMO_WEEKS = 157
FIRST_WEEK = "2019-12-30"  # ISO 2020-W01, the demo's first week


def _week_after(first: str, weeks: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(first) + timedelta(weeks=weeks - 1)).isoformat()


def _defs():
    import dagster as dg

    from est_pipeline.defs.dbt.definitions import build_defs as dbt_defs
    from est_pipeline.defs.ingest.definitions import build_defs as ingest_defs

    return dg.Definitions.merge(ingest_defs(), dbt_defs(), dg.Definitions(executor=dg.in_process_executor))


def _weekly_keys(defs, weekly_only: bool) -> list:
    """The dbt assets the weekly marts need (other concerns' marts are not measured here)."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    marts = ["weekly_situation", "weekly_area_summary", "weekly_unlocated_events", "area_week_outcomes",
             "area_week_interventions", "unmapped_source_types"]
    keys = [k for k in dg.AssetSelection.assets(*marts).upstream().resolve(graph)
            if graph.get(k).is_materializable and k.path[0] != "raw"]
    if weekly_only:
        keys = [k for k in keys if graph.get(k).partitions_def is not None]
    return keys


def run_step(step: str, first: str, last: str) -> dict[str, float]:
    """One measured step, in this (fresh) process."""
    import dagster as dg

    from est_pipeline.defs.dbt.project import prepare_manifest
    from est_pipeline.defs.dbt.schedules import WEEKLY_JOB_NAME, partition_range_tags
    from est_pipeline.settings import export_dbt_environment

    export_dbt_environment()
    prepare_manifest()
    defs = _defs()
    instance = dg.DagsterInstance.ephemeral()
    start = time.perf_counter()
    if step == "ingest":
        result = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
    else:
        result = defs.resolve_job_def(WEEKLY_JOB_NAME).execute_in_process(
            instance=instance,
            tags=partition_range_tags(first, last),
            asset_selection=_weekly_keys(defs, weekly_only=step == "marts_only"),
        )
    seconds = time.perf_counter() - start
    if not result.success:
        raise SystemExit(f"{step} failed")
    kib = 1024  # ru_maxrss is KiB on Linux
    return {
        "seconds": seconds,
        "peak_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                       resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / kib,
    }


def measure(step: str, data_dir: Path, first: str, last: str) -> dict[str, float]:
    env = {**os.environ, "EST_DATA_DIR": str(data_dir), "EST_WAREHOUSE_PATH": str(data_dir / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DAGSTER_HOME": str(data_dir / "dagster_home")}
    (data_dir / "dagster_home").mkdir(exist_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, "--first", first, "--last", last],
        env=env, capture_output=True, text=True, cwd=REPO,
    )
    if out.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(scale: int, root: Path) -> None:
    areas = DEMO_AREAS * scale
    data_dir = root / f"x{scale}"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "est_pipeline.demo", "--out", str(data_dir), "--areas", str(areas),
                    "--weeks", str(DEMO_WEEKS)], check=True, capture_output=True, cwd=REPO)
    generated = time.perf_counter() - t0
    last = _week_after(FIRST_WEEK, DEMO_WEEKS)
    one = _week_after(FIRST_WEEK, DEMO_WEEKS // 2)
    ingest = measure("ingest", data_dir, FIRST_WEEK, last)
    # The backfill first, so the one-week steps run on a built warehouse as they would on a Monday.
    backfill = measure("weekly_job", data_dir, FIRST_WEEK, last)
    week_job = measure("weekly_job", data_dir, one, one)
    week_marts = measure("marts_only", data_dir, one, one)
    import duckdb

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        events = con.execute("select count(*) from intermediate.int_events__harmonised").fetchone()[0]
        rows = con.execute("select count(*) from marts.weekly_situation").fetchone()[0]
    print(f"\n== {'demo' if scale == 1 else f'{scale}x demo'}: {areas} areas x {DEMO_WEEKS} weeks, "
          f"{events:,} events, weekly_situation {rows:,} rows (generated in {generated:.1f} s)")
    print(f"{'step':<34}{'seconds':>10}{'peak MB':>10}")
    for name, m in [("ingest (all files)", ingest), ("one week, weekly job", week_job),
                    ("one week, marts only", week_marts), (f"backfill all {DEMO_WEEKS} weeks, one run", backfill)]:
        print(f"{name:<34}{m['seconds']:>10.1f}{m['peak_mb']:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10], help="data size multiples of the demo")
    parser.add_argument("--keep", type=Path, help="keep the generated data under this folder")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--first", help=argparse.SUPPRESS)
    parser.add_argument("--last", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.first, args.last)))
        return
    from est_pipeline.defs.dbt.project import prepare_manifest

    prepare_manifest(force=True)  # the measured steps then reuse it
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for scale in args.scales:
            bench(scale, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="est_bench_") as tmp:
            for scale in args.scales:
                bench(scale, Path(tmp))


if __name__ == "__main__":
    main()
