"""The weekly lägesbild on the real chain: generated demo feeds → ingest → dbt → report.

The report's figures must equal the marts BI users query, for the partition rendered.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
from test_reports_support import (  # noqa: F401  (dbt_manifest_now is a fixture)
    assert_figures_match,
    chain_keys,
    dbt_manifest_now,
    figures,
    materialise,
    range_tags,
)

from est_pipeline.reports.html import external_references
from est_pipeline.settings import get_settings

FIRST_WEEK = "2021-01-04"  # 2021-W01
LAST_WEEK = "2021-05-17"  # 2021-W20
REPORT_WEEKS = ("2021-05-10", "2021-05-17")


def test_weekly_report_equals_the_real_marts(est_env: Path, dbt_manifest_now: Path) -> None:
    from est_pipeline.definitions import defs
    from est_pipeline.defs.partitions import weekly_partitions
    from est_pipeline.demo import DemoConfig, generate

    generate(est_env, DemoConfig(areas=4, weeks=20, start_week="2021-W01"))

    instance = dg.DagsterInstance.ephemeral()
    materialise(defs, instance, chain_keys(defs, None))
    materialise(defs, instance, chain_keys(defs, weekly_partitions), range_tags(FIRST_WEEK, LAST_WEEK))
    materialise(defs, instance, [dg.AssetKey("weekly_report")], range_tags(*REPORT_WEEKS))

    reports = get_settings().reports_dir / "weekly"
    assert sorted(p.name for p in reports.glob("*.html")) == [
        "lagesbild_2021-W19.html", "lagesbild_2021-W20.html"]
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        for week, label in zip(REPORT_WEEKS, ("2021-W19", "2021-W20")):
            text = (reports / f"lagesbild_{label}.html").read_text(encoding="utf-8")
            checked = assert_figures_match(con, text, {
                "weekly_situation": (
                    "select * from marts.weekly_situation where week_start = ?", [week],
                    ["area_id", "category"]),
                "weekly_area_summary": (
                    "select * from marts.weekly_area_summary where week_start = ?", [week],
                    ["area_id"]),
            })
            assert checked > 20
            totals = {f["key"]: float(f["value"]) for f in figures(text)
                      if f["mart"] == "weekly_area_summary" and f["col"] == "incidents_total"}
            mart_totals = dict(con.execute(
                "select area_id, incidents_total from marts.weekly_area_summary where week_start = ?",
                [week]).fetchall())
            assert totals == mart_totals and len(totals) == 4
            flagged = con.execute(
                "select count(*) from marts.weekly_situation where week_start = ? and is_unusually_high",
                [week]).fetchone()[0]
            shown_flags = [f for f in figures(text) if f["col"] == "exceedance_probability"]
            assert len(shown_flags) >= flagged
            assert external_references(text) == []
