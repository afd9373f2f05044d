"""End to end on the real pipeline: demo data → ingest → dbt marts → publish.

Slow (one dbt build of every model; ~1.5-3 min on 2 shared cores), so marked ``slow``:
run with ``pytest -m slow tests/test_publish_real_pipeline.py``.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from est_pipeline.publish.rules import FLAG_COLUMN
from est_pipeline.settings import export_dbt_environment, get_settings

pytestmark = pytest.mark.slow

WEEKLY_MARTS = ("weekly_situation", "weekly_area_summary")


def test_demo_data_through_ingest_dbt_and_publish(est_env: Path) -> None:
    from est_pipeline.demo.cli import main as generate

    generate(
        ["--out", str(est_env), "--municipalities", "1", "--areas", "3", "--weeks", "8",
         "--start-week", "2021-W01", "--file-period", "quarter"]
    )
    export_dbt_environment()
    from est_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    weekly = [k for k in keys if k.path[-1] in WEEKLY_MARTS]
    assert len(weekly) == len(WEEKLY_MARTS), sorted(k.to_user_string() for k in keys)
    published_key = dg.AssetKey(["published", "warehouse"])
    # The publish asset depends on the real marts, found at definitions time.
    assert set(weekly) <= set(graph.get(published_key).parent_keys)

    instance = dg.DagsterInstance.ephemeral()

    def run(selection, tags=None):
        result = dg.materialize(
            assets=list(defs.assets or []),
            resources=defs.resources,
            instance=instance,
            selection=selection,
            tags=tags,
            raise_on_error=False,
        )
        assert result.success, [
            e.event_specific_data.error.message
            for e in result.all_events
            if e.event_type_value == "STEP_FAILURE"
        ]

    # Everything the weekly marts need (ingest, seeds, staging, intermediate, unpartitioned
    # marts), then the weekly marts as one range run, then publish.
    upstream = dg.AssetSelection.assets(*weekly).upstream() - dg.AssetSelection.assets(*weekly)
    run(upstream)
    pdef = graph.get(weekly[0]).partitions_def
    partition_keys = [
        k for k in pdef.get_partition_keys() if "2021-01-04" <= k <= "2021-02-22"
    ]
    run(
        dg.AssetSelection.assets(*weekly),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: partition_keys[0],
            ASSET_PARTITION_RANGE_END_TAG: partition_keys[-1],
        },
    )
    run(dg.AssetSelection.assets(published_key))

    settings = get_settings()
    threshold = settings.small_count_threshold
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        exact = {
            r[:3]: r[3]
            for r in con.execute(
                "SELECT area_id, week_start, category, events_total FROM marts.weekly_situation"
            ).fetchall()
        }
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        schemas = {s for (s,) in con.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        assert schemas == {"marts", "reference", "meta"}
        published = {
            r[:3]: r[3:]
            for r in con.execute(
                f"SELECT area_id, week_start, category, events_total, {FLAG_COLUMN} "
                "FROM marts.weekly_situation"
            ).fetchall()
        }
        meta = dict(
            (r[0], r[1:])
            for r in con.execute(
                "SELECT table_name, row_count, partitions_materialized, first_partition, "
                "last_partition FROM meta.published_tables WHERE table_schema = 'marts'"
            ).fetchall()
        )
        described = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'weekly_situation' AND comment IS NOT NULL"
        ).fetchone()[0]
        run_id = con.execute("SELECT run_id FROM meta.publication").fetchone()[0]

    assert exact and set(published) == set(exact)
    for key, total in exact.items():
        pub_total, flagged = published[key]
        if 1 <= total < threshold:
            assert pub_total is None and flagged
        else:
            assert pub_total == total
    assert any(1 <= t < threshold for t in exact.values())
    assert meta["weekly_situation"][1:] == (len(partition_keys), partition_keys[0], partition_keys[-1])
    assert described > 5  # dbt's column descriptions reached the published table
    assert run_id == instance.get_latest_materialization_event(published_key).run_id
