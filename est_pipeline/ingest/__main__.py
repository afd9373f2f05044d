"""Held files: list them, accept one.

    python -m est_pipeline.ingest held [--feed FEED]
    python -m est_pipeline.ingest accept FEED FILE --by NAME --note WHY

(``make held``, ``make accept FEED=... FILE=... BY=... NOTE=...``). Accepting moves the
file's rows into the raw table, records who, when and why in ``raw.file_registry`` and,
with a Dagster instance (DAGSTER_HOME), reports the raw table's new rows so that the
late-data sensor rebuilds the weeks they belong to.
"""

from __future__ import annotations

import argparse
import sys

from est_pipeline.ingest.holds import NotHeld, accept, held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m est_pipeline.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("held", help="list the held files")
    listing.add_argument("--feed", default=None, help="one landing folder only")
    acc = sub.add_parser("accept", help="accept a held file: its rows load")
    acc.add_argument("feed", help="landing folder, e.g. fault_reports")
    acc.add_argument("file", help="file name as in raw.file_registry, e.g. felanmalningar_v10.csv")
    acc.add_argument("--by", required=True, help="who accepts it")
    acc.add_argument("--note", required=True, help="why it may load as it is")
    args = parser.parse_args(argv)
    if args.command == "held":
        files = held(args.feed)
        if not files:
            print("no held files")
        for f in files:
            print(f"{f['feed']}/{f['file_name']}  held {f['loaded_at']:%Y-%m-%d %H:%M}  [{f['hold_code']}]  "
                  f"{f['rows_quarantined']} of {f['rows_in']} rows quarantined\n    {f['message']}")
        return 0
    try:
        done = accept(args.feed, args.file, args.by, args.note)
    except (NotHeld, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    weeks = ", ".join(w.isoformat() for w in done.weeks) or "none"
    print(f"accepted {done.feed}/{done.file_name}: {done.rows} rows moved into raw.{done.table}; "
          f"recorded in raw.file_registry.\nweeks to rebuild: {weeks}\n"
          "The late-data sensor rebuilds them when the Dagster daemon runs; otherwise run `make run`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
