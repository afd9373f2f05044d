"""The ``published/warehouse`` asset: what BI tools read (docs/bi.md)."""


from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg
from dagster import AssetExecutionContext

from est_pipeline.defs.publish.marts import mart_table_name
from est_pipeline.publish import SourceInfo, publish_for_municipalities

PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])
GROUP = "publish"
#: The pool of steps that open the working warehouse. No limit is set in dagster.yaml
#: (runs are serialised by the queue and the in-process executor; see the note there on
#: why a limit of 1 is not used), but the label lets one be switched on.
WAREHOUSE_POOL = "warehouse"


def build_published_warehouse_asset(mart_specs: Sequence[dg.AssetSpec]) -> dg.AssetsDefinition:
    tables = {spec.key: mart_table_name(spec.key, spec.metadata) for spec in mart_specs}

    @dg.asset(
        key=PUBLISHED_KEY,
        group_name=GROUP,
        deps=list(tables),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            "The read-only warehouses for BI tools: every table in schema marts plus the "
            "reference tables, with the small-count rule applied, one file per municipality "
            "holding only its rows (published/<kommunkod>/warehouse.duckdb) and the "
            "all-municipality file where configured, each swapped in atomically so readers "
            "never see a half-written state or a lock error (docs/bi.md)."
        ),
    )
    def published_warehouse(context: AssetExecutionContext) -> dg.MaterializeResult:
        sources = [_source_info(context.instance, key, table) for key, table in tables.items()]
        results = publish_for_municipalities(run_id=context.run_id, sources=sources)
        if not results:
            raise dg.Failure("nothing published: the working warehouse has no areas with a municipality code")
        # The all-municipality file where it is published, else the first municipality's:
        # the figures below describe that file; every file is listed under "files".
        result = results.get("*") or next(iter(results.values()))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "files": dg.MetadataValue.json({code: str(r.path) for code, r in results.items()}),
                "municipalities": len([c for c in results if c != "*"]),
                "tables": len(result.row_counts),
                "rows": sum(result.row_counts.values()),
                "rows_with_suppressed_values": sum(result.suppressed_rows.values()),
                "first_week_start": str(result.first_week_start or ""),
                "last_week_start": str(result.last_week_start or ""),
                "row_counts": dg.MetadataValue.json(result.row_counts),
                "withheld_tables": dg.MetadataValue.json(
                    {code: sorted(r.withheld) for code, r in results.items() if r.withheld}),
                "seconds": round(sum(r.seconds for r in results.values()), 2),
            }
        )

    return published_warehouse


def _source_info(instance: dg.DagsterInstance, key: dg.AssetKey, table: str) -> SourceInfo:
    """Which run and partitions last wrote a mart, for the ``meta`` tables BI users query."""
    event = instance.get_latest_materialization_event(key)
    if event is None:
        return SourceInfo(table=table, asset_key=key.to_user_string())
    materialization = event.asset_materialization
    partitions = sorted(instance.get_materialized_partitions(key))
    return SourceInfo(
        table=table,
        asset_key=key.to_user_string(),
        run_id=event.run_id,
        partition=materialization.partition if materialization else None,
        materialized_at=datetime.fromtimestamp(event.timestamp, tz=UTC),
        partitions_materialized=len(partitions) or None,
        first_partition=partitions[0] if partitions else None,
        last_partition=partitions[-1] if partitions else None,
    )
