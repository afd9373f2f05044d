"""How fast the demo generator writes data, at a chosen scale.

    .venv/bin/python benchmarks/generate_data.py --municipalities 20 --areas 20 --years 5

prints seconds, rows written, rows per second, files and megabytes, per feed and in total,
and an extrapolation to national scale (290 municipalities x ~21 areas x 5 years), which
is linear in municipalities because each municipality is generated and written on its own.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from est_pipeline.demo import DemoConfig, generate

NATIONAL = {"municipalities": 290, "areas": 21, "years": 5}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--municipalities", type=int, default=20)
    p.add_argument("--areas", type=int, default=20, help="areas per municipality")
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--event-rate", type=float, default=1.0)
    p.add_argument("--file-period", default="month")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=None, help="keep the data here (default: a temp dir, removed)")
    args = p.parse_args()

    weeks = round(args.years * 52.18)
    config = DemoConfig(seed=args.seed, municipalities=args.municipalities, areas=args.areas,
                        start_week="2020-W01", weeks=weeks, event_rate=args.event_rate,
                        file_period=args.file_period)
    out = args.out or Path(tempfile.mkdtemp(prefix="est_bench_"))
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = generate(out, config)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        rows = sum(summary.rows_per_feed.values())
        print(f"scale: {args.municipalities} municipalities x {args.areas} areas x {weeks} weeks "
              f"(event rate {args.event_rate})")
        for feed, n in summary.rows_per_feed.items():
            files = sum(1 for f in summary.files if f.feed == feed)
            print(f"  {feed:<20} {files:>6} files {n:>11,} rows")
        print(f"true events        {summary.true_events:,}")
        print(f"rows written       {rows:,} in {len(summary.files):,} files, {size / 1e6:,.1f} MB "
              f"(landing + ground truth)")
        print(f"seconds            {seconds:,.1f} wall, {cpu:,.1f} CPU (one process; wall includes "
              f"waiting for a shared machine and the disk)")
        print(f"rows per second    {rows / seconds:,.0f}")
        print(f"area-weeks/second  {args.municipalities * args.areas * weeks / seconds:,.0f}")
        factor = (NATIONAL["municipalities"] * NATIONAL["areas"] * NATIONAL["years"]) / \
            (args.municipalities * args.areas * args.years)
        print(f"national scale (290 x 21 areas x 5 years) extrapolated: ~{seconds * factor / 60:,.0f} min wall, "
              f"~{cpu * factor / 60:,.0f} min CPU (x{factor:.1f}, linear in area-weeks)")
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
