"""Every published table is safe to sum, or says loudly that it is not (docs/bi.md).

Sums each published table of a publication and compares it with the working warehouse
(``publish_sums.problems``): the exact totals tables per group, the tables that claim to be
safe to sum overall, and for the others the warning, the flag and the tables to sum instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from publish_sums import problems
from test_publish_library import build_working_warehouse

from est_pipeline.publish import publish_warehouse
from est_pipeline.settings import get_settings


def test_a_publication_keeps_the_sum_contract(est_env: Path) -> None:
    working = get_settings().warehouse_path
    build_working_warehouse(working)
    publish_warehouse(run_id="sums", manifest_path=Path("/nonexistent"))
    published = get_settings().published_warehouse_path
    assert problems(published, working) == []
    with duckdb.connect(str(published), read_only=True) as con:
        blanked = con.execute("SELECT sum(events_total) FROM marts.weekly_situation").fetchone()[0]
        exact = con.execute("SELECT sum(events_total) FROM totals.area_week").fetchone()[0]
        by_category = con.execute(
            "SELECT sum(events_total) FROM totals.municipality_week_category").fetchone()[0]
        rows = dict(con.execute(
            "SELECT table_schema || '.' || table_name, safe_to_sum FROM meta.published_tables").fetchall())
    with duckdb.connect(str(working), read_only=True) as con:
        true_total = con.execute("SELECT sum(events_total) FROM marts.weekly_situation").fetchone()[0]
    assert blanked < true_total == exact == by_category
    assert rows["marts.weekly_situation"] is False and rows["totals.area_week"] is True
    assert rows["marts.intervention_effects"] is True  # model output: nothing blanked


def test_the_check_catches_a_table_that_claims_too_much(est_env: Path, tmp_path: Path) -> None:
    """The contract check can fail: a fine-grained table that claims to be safe to sum, and a
    totals table that is off, are both reported."""
    working = get_settings().warehouse_path
    build_working_warehouse(working)
    publish_warehouse(run_id="sums", manifest_path=Path("/nonexistent"))
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(get_settings().published_warehouse_path, tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute("UPDATE meta.published_tables SET safe_to_sum = true WHERE table_name = 'weekly_situation'")
        con.execute("UPDATE totals.area_week SET events_total = events_total + 1 "
                    "WHERE week_start = (SELECT min(week_start) FROM totals.area_week)")
    found = problems(tampered, working)
    assert any(p.startswith("marts.weekly_situation.events_total: claims safe to sum") for p in found), found
    assert any(p.startswith("totals.area_week.events_total:") for p in found), found
