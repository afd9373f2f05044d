"""The report assets in Dagster, materialised in-process: one file and one materialisation
(with its summary, path and chart) per partition, also when a range runs as one run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from test_reports_support import add_fake_period_and_yearly_marts, build_fake_warehouse

from est_pipeline.defs.reports.assets import period_report, weekly_report, yearly_report
from est_pipeline.defs.reports.definitions import build_defs
from est_pipeline.settings import get_settings


def _materialise(asset: dg.AssetsDefinition, first: str, last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [asset],
        instance=dg.DagsterInstance.ephemeral(),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
    )


def test_definitions_declare_the_three_partitioned_report_assets() -> None:
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    assert keys == {"weekly_report", "period_report", "yearly_report"}
    for key in keys:
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == "reports"
        assert node.partitions_def is not None
    yearly_deps = graph.get(dg.AssetKey("yearly_report")).parent_keys
    assert dg.AssetKey(["marts", "intervention_effects"]) in yearly_deps
    assert dg.AssetKey(["weekly_situation"]) in graph.get(dg.AssetKey("weekly_report")).parent_keys


def test_weekly_range_renders_each_week_with_its_own_metadata(est_env: Path) -> None:
    build_fake_warehouse(get_settings().warehouse_path, date(2021, 2, 15))
    result = _materialise(weekly_report, "2021-02-01", "2021-02-15")
    assert result.success
    events = result.asset_materializations_for_node("weekly_report")
    by_partition = {e.partition: e.metadata for e in events}
    assert set(by_partition) == {"2021-02-01", "2021-02-08", "2021-02-15"}
    for key, label in (("2021-02-01", "2021-W05"), ("2021-02-08", "2021-W06"), ("2021-02-15", "2021-W07")):
        path = est_env / "reports" / "weekly" / f"lagesbild_{label}.html"
        assert path.exists()
        metadata = by_partition[key]
        assert metadata["path"].value == str(path)
        assert f"({label}," in metadata["summary"].value
        assert metadata["chart"].value.startswith("![Lägesbild](data:image/png;base64,")


def test_period_and_yearly_assets_write_their_reports(est_env: Path) -> None:
    warehouse = get_settings().warehouse_path
    build_fake_warehouse(warehouse, date(2021, 2, 15), weeks=3)
    add_fake_period_and_yearly_marts(warehouse)
    assert _materialise(period_report, "2021-01-01", "2021-04-01").success
    assert (est_env / "reports" / "period" / "prioritering_2021-Q1.html").exists()
    assert (est_env / "reports" / "period" / "prioritering_2021-Q2.html").exists()
    result = _materialise(yearly_report, "2021-01-01", "2021-01-01")
    assert result.success
    (event,) = result.asset_materializations_for_node("yearly_report")
    assert event.partition == "2021-01-01"
    assert "Årlig uppföljning 2021" in event.metadata["summary"].value
    assert (est_env / "reports" / "yearly" / "uppfoljning_2021.html").exists()
