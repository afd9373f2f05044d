"""`make demo` and `make run`: materialise every asset over the whole period of the data.

`make demo` first generates the demo data (when the landing folder is empty); `make run` uses
whatever partners have delivered to the landing folder. Either way the period comes from the
data itself: after ingest and harmonisation the warehouse knows the first and last week of
data and the last complete week (``intermediate.int_data_period``), and the weekly,
period and yearly partitions follow it. Runs go through the Dagster instance in
``DAGSTER_HOME`` so that `make dev` afterwards shows their history. Partitioned assets that
allow it are backfilled as ONE run per partition definition (a range run: one dbt invocation
for three years of weeks, not 157); weekly reports are rendered for the last complete weeks
only by default, because one HTML file per week for three years is not what a newcomer needs
to see.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
from dagster._core.definitions.partitions.definition import TimeWindowPartitionsDefinition
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from est_pipeline.settings import export_dbt_environment, get_settings

REPORT_GROUP = "reports"


@dataclass(frozen=True)
class DataPeriod:
    """The weeks the data covers, as the warehouse computed it (Mondays)."""

    first_week: date
    last_week: date
    last_complete_week: date


def data_period() -> DataPeriod | None:
    """First, last and last complete week of the data, from ``intermediate.int_data_period``.

    None before anything has been ingested and harmonised.
    """
    from est_pipeline.lib.warehouse import connect

    if not get_settings().warehouse_path.exists():
        return None
    with connect(read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'intermediate' and table_name = 'int_data_period'"
        ).fetchone()[0]
        if not exists:
            return None
        row = con.execute(
            "select first_week_start, last_week_start, last_complete_week_start "
            "from intermediate.int_data_period"
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return DataPeriod(row[0], row[1], row[2] or row[1])


def _partition_keys_in(
    partitions_def: dg.PartitionsDefinition, first: date, last: date
) -> list[str]:
    """Partition keys whose window holds a week of data.

    A week belongs to the period (and ISO year) that holds its Thursday, so 2022-W52
    (Monday 2022-12-26) does not drag a nearly empty 2023 into the demo.
    """
    first_thursday, last_thursday = first + timedelta(days=3), last + timedelta(days=3)
    keys = []
    for key in partitions_def.get_partition_keys():
        if isinstance(partitions_def, TimeWindowPartitionsDefinition):
            window = partitions_def.time_window_for_partition_key(key)
            if window.start.date() <= last_thursday and window.end.date() > first_thursday:
                keys.append(key)
        else:
            keys.append(key)
    return keys


def _materialize(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: Iterable[dg.AssetKey],
    label: str,
    tags: dict[str, str] | None = None,
    partition_key: str | None = None,
) -> None:
    keys = sorted(set(keys), key=lambda k: k.to_user_string())
    if not keys:
        return
    started = time.perf_counter()
    print(f"  {label}: {len(keys)} assets ...", flush=True)
    result = dg.materialize(
        assets=list(defs.assets or []),
        resources=defs.resources,
        instance=instance,
        selection=keys,
        tags=tags,
        partition_key=partition_key,
        raise_on_error=False,
    )
    if not result.success:
        failures = [
            f"{e.step_key}: {e.event_specific_data.error.message.strip()}"  # type: ignore[union-attr]
            for e in result.all_events
            if e.event_type_value == "STEP_FAILURE"
        ]
        raise SystemExit(f"Demo run '{label}' failed:\n" + "\n".join(failures))
    print(f"    done in {time.perf_counter() - started:.1f} s", flush=True)


def _phases(defs: dg.Definitions) -> dict[str, list[dg.AssetKey]]:
    """Split the asset graph into the order the demo materialises it."""
    graph = defs.resolve_asset_graph()
    phases: dict[str, list[dg.AssetKey]] = {"before": [], "after": []}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        pdef = node.partitions_def
        if pdef is None:
            has_partitioned_ancestor = any(
                graph.get(a).partitions_def is not None for a in _all_ancestors(graph, key)
            )
            phases["after" if has_partitioned_ancestor else "before"].append(key)
        else:
            phases.setdefault(_pdef_name(pdef), []).append(key)
    return phases


def _all_ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    stack = list(graph.get(key).parent_keys)
    while stack:
        k = stack.pop()
        if k in seen or not graph.has(k):
            continue
        seen.add(k)
        stack.extend(graph.get(k).parent_keys)
    return seen


def _pdef_name(pdef: dg.PartitionsDefinition) -> str:
    from est_pipeline.defs import partitions

    for name in ("weekly_partitions", "analysis_period_partitions", "yearly_partitions"):
        if pdef == getattr(partitions, name):
            return name
    return repr(pdef)


def run(weekly_reports: int = 8, regenerate: bool = False, generate: bool = True,
        instance: dg.DagsterInstance | None = None) -> None:
    settings = get_settings()
    export_dbt_environment()
    started = time.perf_counter()

    landing_has_files = settings.landing_dir.exists() and any(
        p.is_file() for p in settings.landing_dir.rglob("*")
    )
    if generate and (regenerate or not landing_has_files):
        from est_pipeline.demo.cli import main as generate_main

        print(f"Generating demo data into {settings.data_dir} ...", flush=True)
        generate_main(["--out", str(settings.data_dir)])
    elif not landing_has_files:
        raise SystemExit(
            f"Nothing to run on: {settings.landing_dir} has no files. Drop the partners' files "
            "there (docs/onboarding.md), or run `make demo` for the demo data."
        )
    else:
        print(f"Using the data already in {settings.landing_dir}" + (" (--regenerate to redo)." if generate else "."))

    from est_pipeline.definitions import defs

    instance = instance or dg.DagsterInstance.get()
    graph = defs.resolve_asset_graph()
    phases = _phases(defs)

    print("Materialising assets:", flush=True)
    _materialize(defs, instance, phases.pop("before"), "ingest and harmonise (unpartitioned)")
    period = data_period()
    if period is None:
        raise SystemExit(
            "The data covers no week: no file in the landing folder gave a row of this "
            "deployment's municipalities. See raw.file_registry and marts.police_records_not_in_areas."
        )
    print(f"  data: weeks {_label(period.first_week)} … {_label(period.last_week)}, "
          f"last complete week {_label(period.last_complete_week)}", flush=True)
    partition_start = date.fromisoformat(settings.partition_start)
    if period.first_week < partition_start:
        print(f"  note: the data starts in {_label(period.first_week)}, before the first weekly "
              f"partition ({_label(partition_start)}); set partition_start (`make onboard` "
              "suggests it) so the earlier weeks get marts.", flush=True)
    after = phases.pop("after")
    order = ["weekly_partitions", "analysis_period_partitions", "yearly_partitions"]
    for name in order + [n for n in phases if n not in order]:
        keys = phases.get(name, [])
        if not keys:
            continue
        pdef = graph.get(keys[0]).partitions_def
        assert pdef is not None
        partition_keys = _partition_keys_in(pdef, max(period.first_week, partition_start), period.last_week)
        if not partition_keys:
            continue
        report_keys = [k for k in keys if graph.get(k).group_name == REPORT_GROUP]
        range_keys = [k for k in keys if k not in report_keys]
        _materialize(
            defs,
            instance,
            range_keys,
            f"{name} {partition_keys[0]} … {partition_keys[-1]} (one run)",
            tags={
                ASSET_PARTITION_RANGE_START_TAG: partition_keys[0],
                ASSET_PARTITION_RANGE_END_TAG: partition_keys[-1],
            },
        )
        if report_keys:
            report_partitions: Sequence[str] = partition_keys
            if name == "weekly_partitions":
                # The lägesbild follows the data's last complete week, never the calendar.
                complete = [k for k in partition_keys if date.fromisoformat(k[:10]) <= period.last_complete_week]
                report_partitions = complete[-weekly_reports:]
            if not report_partitions:
                continue
            _materialize(
                defs,
                instance,
                report_keys,
                f"reports for {name} {report_partitions[0]} … {report_partitions[-1]}",
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: report_partitions[0],
                    ASSET_PARTITION_RANGE_END_TAG: report_partitions[-1],
                },
            )
    _materialize(defs, instance, after, "publish for BI tools")
    _print_summary(time.perf_counter() - started)


def _label(week: date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def _print_summary(seconds: float) -> None:
    from est_pipeline.lib.warehouse import connect

    settings = get_settings()
    print(f"\nDone in {seconds:.0f} s.\n")
    with connect(read_only=True) as con:
        tables = con.execute(
            """
            select schema_name, table_name, estimated_size
            from duckdb_tables()
            where schema_name in ('raw', 'marts')
            order by schema_name, table_name
            """
        ).fetchall()
        print(f"Working warehouse: {settings.warehouse_path}")
        for schema, table, _ in tables:
            n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            print(f"  {schema}.{table:<40} {n:>10,} rows")
        files = con.execute(
            "select status, count(*), sum(rows_in), sum(rows_loaded), sum(rows_quarantined) "
            "from raw.file_registry group by status order by status"
        ).fetchall()
        print("\nFiles ingested (status, files, rows in, loaded, quarantined):")
        for row in files:
            print("  " + ", ".join(str(v) for v in row))
    reports = sorted(settings.reports_dir.rglob("*.html")) if settings.reports_dir.exists() else []
    print(f"\nReports: {len(reports)} HTML files under {settings.reports_dir}")
    for path in reports[-5:]:
        print(f"  {path}")
    print(f"Published warehouse for BI tools: {settings.published_warehouse_path}")
    print("Open the Dagster UI on the same data with: make dev")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weekly-reports", type=int, default=8, help="render the last N weeks")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the demo data")
    parser.add_argument("--no-generate", action="store_true",
                        help="never generate demo data: run on what partners delivered (make run)")
    args = parser.parse_args(argv)
    run(weekly_reports=args.weekly_reports, regenerate=args.regenerate, generate=not args.no_generate)


if __name__ == "__main__":
    main(sys.argv[1:])
