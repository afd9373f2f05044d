"""``python -m est_pipeline.demo``: generate the demo data set from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from est_pipeline.demo.config import FILE_PERIODS, DemoConfig
from est_pipeline.demo.generator import generate
from est_pipeline.settings import get_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = DemoConfig()
    p = argparse.ArgumentParser(
        prog="python -m est_pipeline.demo",
        description="Generate fictional EST partner feeds (landing/) and their ground truth "
                    "(ground_truth/), deterministically from a seed.")
    p.add_argument("--out", type=Path, default=None,
                   help="data folder to write into (default: EST_DATA_DIR, i.e. ./data)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--municipalities", type=int, default=d.municipalities)
    p.add_argument("--areas", type=int, default=d.areas, help="residential areas per municipality")
    p.add_argument("--start-week", default=d.start_week, help="first ISO week, e.g. 2020-W01")
    p.add_argument("--weeks", type=int, default=d.weeks)
    p.add_argument("--event-rate", type=float, default=d.event_rate,
                   help="multiplies every category's base rate")
    p.add_argument("--file-period", choices=FILE_PERIODS, default=d.file_period,
                   help="how partners cut their event files")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = DemoConfig(seed=args.seed, municipalities=args.municipalities, areas=args.areas,
                            start_week=args.start_week, weeks=args.weeks, event_rate=args.event_rate,
                            file_period=args.file_period)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_dir = args.out if args.out is not None else get_settings().data_dir
    summary = generate(out_dir, config)
    print(summary.format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
