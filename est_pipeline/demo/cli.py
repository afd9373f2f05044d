"""``python -m est_pipeline.demo``: generate the demo data set from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from est_pipeline.demo.config import FILE_PERIODS, DemoConfig
from est_pipeline.demo.generator import PROFILES, generate
from est_pipeline.demo.police_only import PoliceOnlyConfig
from est_pipeline.settings import get_settings

#: Options that only the default profile uses (the police-only profile refuses them).
_DEFAULT_ONLY = ("municipalities", "start_week", "weeks", "event_rate", "file_period")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = DemoConfig()
    p = argparse.ArgumentParser(
        prog="python -m est_pipeline.demo",
        description="Generate fictional EST partner feeds (landing/) and their ground truth "
                    "(ground_truth/), deterministically from a seed.")
    p.add_argument("--profile", choices=sorted(PROFILES), default="default",
                   help="default: a municipality with every partner feed; police_only: only the "
                        "police's DeSO extract, area boundaries (GeoPackage) and DeSO links, with "
                        "the interventions register in later/ (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None,
                   help="data folder to write into (default: EST_DATA_DIR, i.e. ./data)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--areas", type=int, default=None,
                   help=f"residential areas per municipality (default {d.areas}; police_only: "
                        f"10-14, default {PoliceOnlyConfig().areas})")
    p.add_argument("--municipalities", type=int, default=None, help=f"default {d.municipalities}")
    p.add_argument("--start-week", default=None, help=f"first ISO week, e.g. {d.start_week}")
    p.add_argument("--weeks", type=int, default=None, help=f"default {d.weeks}")
    p.add_argument("--event-rate", type=float, default=None,
                   help="multiplies every category's base rate (default 1.0)")
    p.add_argument("--file-period", choices=FILE_PERIODS, default=None,
                   help=f"how partners cut their event files (default {d.file_period})")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> DemoConfig | PoliceOnlyConfig:
    if args.profile == "police_only":
        given = [f"--{name.replace('_', '-')}" for name in _DEFAULT_ONLY if getattr(args, name) is not None]
        if given:
            raise ValueError(f"{', '.join(given)}: not used by the police_only profile "
                             "(it takes --seed and --areas)")
        kwargs = {"seed": args.seed}
        if args.areas is not None:
            kwargs["areas"] = args.areas
        return PoliceOnlyConfig(**kwargs)
    values = {name: getattr(args, name) for name in ("areas", *_DEFAULT_ONLY) if getattr(args, name) is not None}
    return DemoConfig(seed=args.seed, **values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = build_config(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_dir = args.out if args.out is not None else get_settings().data_dir
    summary = generate(out_dir, config)
    print(summary.format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
