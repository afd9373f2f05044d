"""Benchmark: ingest at scale, feed by feed, beside a bare DuckDB floor.

    .venv/bin/python benchmarks/ingest_scale.py                       # 1, 5 and 20 municipalities
    .venv/bin/python benchmarks/ingest_scale.py --municipalities 60   # or 290 (national), on request

For each scale it generates the data with the project's own generator
(``est_pipeline.demo``, ``--areas 20 --years 5`` as in ``benchmarks/generate_data.py``),
then, feed by feed and each in a fresh process (so peak memory is that feed's alone):

- ``ingest``: the real loader (``est_pipeline.ingest.loader.ingest_folder``) with the
  feed's great-expectations suite, registry, archive, quarantine and masking, into a
  fresh working warehouse;
- ``floor``: a bare DuckDB script that reads the same files into a table with no
  validation at all: ``read_csv`` / ``read_json`` over every file of the feed, XLSX read
  with python-calamine into Arrow.

It prints wall seconds, CPU seconds (every thread of the process) and peak resident set
size per feed, and the ratio of ingest CPU to floor CPU. Process start-up and imports are
reported separately (``startup``), so the per-feed figures are the work itself. Figures
are printed, never asserted (performance is not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: The landing folders measured, in the order the pipeline ingests them.
FOLDERS = ("reference", "police_deso", "police_local", "police_events", "fault_reports",
           "field_observations", "property_incidents", "checklist", "interventions", "safety_survey")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker_ingest(folder: str) -> dict[str, float]:
    started_cpu, started = _cpu(), time.perf_counter()
    from data_checks.runner import SuiteRunner
    from est_pipeline.ingest.loader import ingest_folder

    runner = SuiteRunner()
    startup_cpu, startup_wall = _cpu() - started_cpu, time.perf_counter() - started
    cpu0, t0 = _cpu(), time.perf_counter()
    result = ingest_folder(folder, runner)
    return {
        "wall": time.perf_counter() - t0, "cpu": _cpu() - cpu0, "rss_mb": _rss_mb(),
        "startup_cpu": startup_cpu, "startup_wall": startup_wall,
        "files": len(result.files), "rows_in": result.rows_in, "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
    }


def _xlsx_arrow(path: Path):
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    width = max((len(r) for r in rows), default=0)
    columns = list(zip(*[list(r) + [""] * (width - len(r)) for r in rows[1:]])) if len(rows) > 1 else []
    return pa.table({f"c{i}": pa.array([None if v == "" else str(v) for v in col], pa.string())
                     for i, col in enumerate(columns)})


def _csv_arrow(path: Path, delimiter: str):
    import pyarrow.csv as pacsv

    data = path.read_bytes()
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return pacsv.read_csv(
        path, read_options=pacsv.ReadOptions(encoding=encoding, autogenerate_column_names=True, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda row: "skip",
                                         newlines_in_values=True))


def worker_floor(folder: str) -> dict[str, float]:
    """Read every file of the feed into one DuckDB table: Arrow readers, no validation."""
    started_cpu, started = _cpu(), time.perf_counter()
    import duckdb
    import pyarrow as pa

    from est_pipeline.ingest.feeds import feeds_in_folder
    from est_pipeline.settings import get_settings

    startup_cpu, startup_wall = _cpu() - started_cpu, time.perf_counter() - started
    cpu0, t0 = _cpu(), time.perf_counter()
    landing = get_settings().landing_dir / folder
    files = sorted(p for p in landing.rglob("*") if p.is_file())
    feed = feeds_in_folder(folder)[0]
    con = duckdb.connect(str(Path(tempfile.mkdtemp(prefix="floor_")) / "floor.duckdb"))
    tables = []
    for p in files:
        suffix = p.suffix.lower()
        if suffix == ".csv":
            tables.append(_csv_arrow(p, feed.delimiter if folder != "reference" else ";"))
        elif suffix == ".xlsx":
            tables.append(_xlsx_arrow(p))
        elif suffix in (".json", ".geojson"):
            tables.append(con.sql(f"SELECT * FROM read_json('{p}')").to_arrow_table())
    rows = 0
    groups = [tables] if folder != "reference" else [[t] for t in tables]
    for i, group in enumerate(groups):
        group = [t.rename_columns([f"c{j}" for j in range(t.num_columns)]) for t in group]
        group = [t.cast(pa.schema([(n, pa.string()) for n in t.column_names])) if folder not in ("police_events", "reference") else t
                 for t in group]
        arrow = pa.concat_tables(group, promote_options="permissive")
        con.register("batch", arrow)
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM batch")
        con.unregister("batch")
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
    con.close()
    return {"wall": time.perf_counter() - t0, "cpu": _cpu() - cpu0, "rss_mb": _rss_mb(),
            "startup_cpu": startup_cpu, "startup_wall": startup_wall, "files": len(files), "rows_in": rows}


def _run_worker(kind: str, folder: str, data_dir: Path) -> dict[str, float]:
    env = {**os.environ, "EST_DATA_DIR": str(data_dir), "EST_WAREHOUSE_PATH": str(data_dir / "warehouse.duckdb"),
           "GX_ANALYTICS_ENABLED": "false"}
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--folder", folder], env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} {folder} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(municipalities: int, areas: int, years: int, keep: Path | None) -> list[dict]:
    from est_pipeline.demo import DemoConfig, generate

    root = keep or Path(tempfile.mkdtemp(prefix=f"est_ingest_{municipalities}_"))
    data_dir = root / "data"
    weeks = round(years * 52.18)
    t0 = time.perf_counter()
    if not (data_dir / "landing").exists():
        generate(data_dir, DemoConfig(seed=42, municipalities=municipalities, areas=areas,
                                      start_week="2020-W01", weeks=weeks))
    print(f"\n== {municipalities} municipalities x {areas} areas x {weeks} weeks "
          f"(generated in {time.perf_counter() - t0:.0f} s)", flush=True)
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal", "archive"):
        p = data_dir / stale
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    lines = []
    header = (f"{'feed':<19}{'files':>7}{'rows':>11}  {'ingest wall':>11}{'cpu':>8}{'rss MB':>8}"
              f"  {'floor wall':>10}{'cpu':>7}{'rss MB':>8}  {'cpu ratio':>9}")
    print(header)
    print("-" * len(header))
    total = {"wall": 0.0, "cpu": 0.0, "fwall": 0.0, "fcpu": 0.0, "rss": 0.0, "frss": 0.0,
             "files": 0, "rows": 0, "startup": 0.0}
    for folder in FOLDERS:
        if not (data_dir / "landing" / folder).exists():
            continue
        ing = _run_worker("ingest", folder, data_dir)
        flo = _run_worker("floor", folder, data_dir)
        ratio = ing["cpu"] / flo["cpu"] if flo["cpu"] > 0 else float("nan")
        print(f"{folder:<19}{int(ing['files']):>7}{int(ing['rows_in']):>11,}  {ing['wall']:>10.1f}s"
              f"{ing['cpu']:>7.1f}s{ing['rss_mb']:>8.0f}  {flo['wall']:>9.1f}s{flo['cpu']:>6.1f}s"
              f"{flo['rss_mb']:>8.0f}  {ratio:>8.1f}x", flush=True)
        lines.append({"folder": folder, "ingest": ing, "floor": flo})
        total["wall"] += ing["wall"]
        total["cpu"] += ing["cpu"]
        total["fwall"] += flo["wall"]
        total["fcpu"] += flo["cpu"]
        total["rss"] = max(total["rss"], ing["rss_mb"])
        total["frss"] = max(total["frss"], flo["rss_mb"])
        total["files"] += int(ing["files"])
        total["rows"] += int(ing["rows_in"])
        total["startup"] = max(total["startup"], ing["startup_cpu"])
    print("-" * len(header))
    print(f"{'all feeds':<19}{total['files']:>7}{total['rows']:>11,}  {total['wall']:>10.1f}s"
          f"{total['cpu']:>7.1f}s{total['rss']:>8.0f}  {total['fwall']:>9.1f}s{total['fcpu']:>6.1f}s"
          f"{total['frss']:>8.0f}  {total['cpu'] / total['fcpu']:>8.1f}x")
    print(f"(start-up of each ingest process, imports and suite set-up: {total['startup']:.1f} s CPU, not included)")
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--municipalities", type=int, nargs="+", default=[1, 5, 20])
    p.add_argument("--areas", type=int, default=20, help="areas per municipality")
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--keep", type=Path, default=None,
                   help="generate into (or reuse) this folder and keep it (one scale only)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    p.add_argument("--worker", choices=("ingest", "floor"), help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        fn = worker_ingest if args.worker == "ingest" else worker_floor
        print(json.dumps(fn(args.folder)))
        return
    results = {}
    for n in args.municipalities:
        results[n] = bench(n, args.areas, args.years, args.keep if len(args.municipalities) == 1 else None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
