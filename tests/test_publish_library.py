"""The publish library on a real working warehouse built with SQL (no Dagster).

What BI tools may see (marts, reference tables, meta), what they must never see (raw,
quarantine, exact small counts), comments from dbt, and the swap: a failed publish leaves
the published file byte-identical, a killed one leaves only a temp file that the next
publish removes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from pathlib import Path

import duckdb
import pytest

from est_pipeline.publish import PublishError, publish_warehouse
from est_pipeline.publish.rules import FLAG_COLUMN
from est_pipeline.settings import get_settings


def build_working_warehouse(path: Path, version: int = 1) -> None:
    """A working warehouse as the pipeline leaves it: raw, quarantine, seeds, marts.

    ``version`` scales every event count so that two states are told apart by totals.
    """
    con = duckdb.connect(str(path))
    try:
        for schema in ("raw", "marts", "seeds", "staging"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(
            """
            CREATE OR REPLACE TABLE raw.areas AS SELECT * FROM (VALUES
              ('NV01', 'Norrvik centrum', '9001', 'Norrvik kommun', 'POLYGON((0 0,1 0,1 1,0 0))'),
              ('NV02', 'Söderby', '9001', 'Norrvik kommun', 'POLYGON((0 0,1 0,1 1,0 0))'))
              t(area_id, area_name, municipality_code, municipality_name, geometry_wkt)
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE raw.places AS SELECT * FROM (VALUES
              ('NV01-P01', 'NV01', 'Torget', 'public', 'square', 'POINT(0 0)'))
              t(place_id, area_id, place_name, place_type, place_kind, geometry_wkt)
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE raw.area_population AS SELECT * FROM (VALUES
              ('NV01', 2021, 3200), ('NV02', 2021, 1800)) t(omrades_id, ar, folkmangd)
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE raw.police_local_incidents AS
            SELECT 'H-1' AS handelsenummer, 'Trapphus vid 19701231-1234' AS plats
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE raw.quarantine AS
            SELECT 'checklist' AS feed, 'x.csv' AS file_name, 3 AS row_number, '{}' AS raw_record
            """
        )
        con.execute(
            """
            CREATE OR REPLACE TABLE seeds.categories AS SELECT * FROM (VALUES
              ('fire', 'Brand', 'property', true), ('graffiti', 'Klotter', 'property', true))
              t(category, category_sv, outcome_group, situational)
            """
        )
        # Weekly mart: 2 areas x 4 weeks x 2 categories; counts 0..5 so that every side
        # of the rule occurs (0 stays, 1-2 blanked, >= 3 published).
        con.execute(
            f"""
            CREATE OR REPLACE TABLE marts.weekly_situation AS
            SELECT a.area_id, DATE '2021-01-04' + (7 * w)::INTEGER AS week_start, c.category,
                   ((w + i + ci) % 6)::INTEGER * {version} AS events_police,
                   ((w * 2 + ci) % 4)::INTEGER AS events_housing,
                   (((w + i + ci) % 6) * {version} + (w * 2 + ci) % 4)::BIGINT AS events_total,
                   1.5::DOUBLE AS baseline_mean,
                   ((((w + i + ci) % 6) * {version} + (w * 2 + ci) % 4) - 1.5)::DOUBLE AS change,
                   (((w + i + ci) % 6) * {version} * 1000.0 / 3200)::DOUBLE AS rate_per_1000,
                   2::INTEGER AS rating_max
            FROM (SELECT area_id, row_number() OVER (ORDER BY area_id) AS i FROM raw.areas) a,
                 range(4) r(w),
                 (SELECT category, row_number() OVER (ORDER BY category) AS ci
                  FROM seeds.categories) c
            """
        )
        con.execute(
            "COMMENT ON TABLE marts.weekly_situation IS 'Lägesbild: area x ISO week x category.'"
        )
        con.execute(
            "COMMENT ON COLUMN marts.weekly_situation.events_police IS 'Events reported by the police.'"
        )
        # A yearly mart with survey results: NV02's group is below the minimum size.
        con.execute(
            """
            CREATE OR REPLACE TABLE marts.yearly_followup AS SELECT * FROM (VALUES
              ('NV01', 2021, 40::BIGINT, 25::BIGINT, 3.1::DOUBLE, 2.4::DOUBLE),
              ('NV02', 2021, 7::BIGINT, 4::BIGINT, 2.2::DOUBLE, 3.0::DOUBLE))
              t(area_id, year, events_total, survey_n, survey_safe_day, survey_worry_crime)
            """
        )
        # Model output: exempt from the rule (its small integers are not counts of people).
        con.execute(
            """
            CREATE OR REPLACE TABLE marts.intervention_effects AS SELECT * FROM (VALUES
              ('lighting_improvement', 'property', 0.82::DOUBLE, 2::INTEGER))
              t(intervention_type, outcome_group, irr, n_treated_areas)
            """
        )
        # A view in marts is published as a table (BI readers have no staging schema).
        con.execute(
            """
            CREATE OR REPLACE VIEW marts.weekly_area_summary AS
            SELECT area_id, week_start, sum(events_total)::BIGINT AS events_total
            FROM marts.weekly_situation GROUP BY ALL
            """
        )
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def working(est_env: Path) -> Path:
    path = get_settings().warehouse_path
    build_working_warehouse(path)
    return path


def test_publishes_marts_and_reference_only(working: Path) -> None:
    result = publish_warehouse(run_id="run-1", manifest_path=Path("/nonexistent"))
    published = get_settings().published_warehouse_path
    assert result.path == published

    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = set(
            con.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            ).fetchall()
        )
        tables = {t for (t,) in tables}
        assert tables == {
            "marts.weekly_situation",
            "marts.weekly_area_summary",
            "marts.yearly_followup",
            "marts.intervention_effects",
            "totals.area_week",
            "totals.municipality_week_category",
            "reference.areas",
            "reference.places",
            "reference.area_population",
            "reference.categories",
            "meta.publication",
            "meta.published_tables",
            "meta.scope",
        }
        # The view became a table.
        kinds = dict(
            con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'marts'"
            ).fetchall()
        )
        assert set(kinds.values()) == {"BASE TABLE"}
        # Reference tables carry no geometry and no column outside the whitelist.
        area_cols = [
            c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema='reference' AND table_name='areas' ORDER BY ordinal_position"
            ).fetchall()
        ]
        assert area_cols == ["area_id", "area_name", "municipality_code", "municipality_name"]
        # Nothing from raw or quarantine, in any table: the personal number in raw free
        # text appears nowhere in the file.
        dump = con.execute(
            "SELECT string_agg(t::VARCHAR, '') FROM "
            "(SELECT * FROM reference.places) t"
        ).fetchone()[0]
        assert "19701231" not in dump
        population = con.execute(
            "SELECT area_id, year, population FROM reference.area_population ORDER BY 1"
        ).fetchall()
        assert population == [("NV01", 2021, 3200), ("NV02", 2021, 1800)]
    finally:
        con.close()
    assert b"19701231-1234" not in published.read_bytes()
    # Written in a storage format that DuckDB 1.x clients (ODBC, Power BI) can read.
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{published}' AS p (READ_ONLY)")
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'p'").fetchone()[0]
    assert tags["storage_version"].startswith("v1.0.0"), tags
    # No temp file, no WAL: what readers open is a single checkpointed file.
    leftovers = sorted(p.name for p in published.parent.iterdir() if p.name != published.name)
    assert leftovers == [f".{published.name}.lock"]


def test_small_count_rule_in_published_exact_in_working(working: Path) -> None:
    publish_warehouse(run_id="run-1", manifest_path=Path("/nonexistent"))
    threshold = get_settings().small_count_threshold
    key = "area_id, week_start, category"
    with duckdb.connect(str(working), read_only=True) as wcon:
        exact = {
            r[:3]: r[3:]
            for r in wcon.execute(
                f"SELECT {key}, events_police, events_housing, events_total, change, "
                f"rate_per_1000, baseline_mean, rating_max FROM marts.weekly_situation"
            ).fetchall()
        }
    pub_path = get_settings().published_warehouse_path
    with duckdb.connect(str(pub_path), read_only=True) as pcon:
        published = {
            r[:3]: r[3:]
            for r in pcon.execute(
                f"SELECT {key}, events_police, events_housing, events_total, change, "
                f"rate_per_1000, baseline_mean, rating_max, {FLAG_COLUMN} "
                f"FROM marts.weekly_situation"
            ).fetchall()
        }
        effects = pcon.execute(
            "SELECT irr, n_treated_areas FROM marts.intervention_effects"
        ).fetchall()
        survey = dict(
            (r[0], r[1:])
            for r in pcon.execute(
                f"SELECT area_id, survey_n, survey_safe_day, survey_worry_crime, events_total, "
                f"{FLAG_COLUMN} FROM marts.yearly_followup"
            ).fetchall()
        )
        summary_small = pcon.execute(
            f"SELECT count(*) FROM marts.weekly_area_summary "
            f"WHERE events_total BETWEEN 1 AND {threshold - 1}"
        ).fetchone()[0]

    assert set(published) == set(exact)
    seen_small = seen_zero = seen_big = 0
    for k, (police, housing, total, change, rate, baseline, rating) in exact.items():
        p = published[k]
        counts = (police, housing, total)
        any_small = any(1 <= c < threshold for c in counts)
        for exact_count, pub_count in zip(counts, p[:3], strict=True):
            if 1 <= exact_count < threshold:
                assert pub_count is None
                seen_small += 1
            else:
                assert pub_count == exact_count  # zero stays zero, big stays exact
                seen_zero += exact_count == 0
                seen_big += exact_count >= threshold
        # Derived figures go with the counts: NULL when any count in the row was blanked.
        assert p[3:6] == ((None, None, None) if any_small else (change, rate, baseline))
        assert p[6] == rating  # not a count, not derived: untouched
        assert p[7] is any_small
    assert seen_small and seen_zero and seen_big
    # The exact values are still in the working warehouse (checked above by reading them).
    assert any(1 <= c < threshold for v in exact.values() for c in v[:3])
    # Model output is exempt; survey results of the small group are blanked.
    assert effects == [(0.82, 2)]
    assert survey["NV01"] == (25, 3.1, 2.4, 40, False)
    assert survey["NV02"] == (4, None, None, 7, True)
    assert summary_small == 0


def test_publication_metadata_and_dbt_comments(working: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.est_pipeline.weekly_situation": {
                        "resource_type": "model",
                        "name": "weekly_situation",
                        "schema": "marts",
                        "description": "Weekly situation picture per area and category.",
                        "columns": {
                            "events_total": {"description": "Events, deduplicated across partners"},
                            "category": {"description": "EST category."},
                        },
                    },
                    "model.est_pipeline.stg_x": {
                        "resource_type": "model",
                        "name": "stg_x",
                        "schema": "staging",
                        "description": "not published",
                        "columns": {},
                    },
                }
            }
        ),
        encoding="utf-8",
    )
    from est_pipeline.publish import SourceInfo

    result = publish_warehouse(
        run_id="run-42",
        manifest_path=manifest,
        sources=[
            SourceInfo(
                table="weekly_situation",
                asset_key="marts/weekly_situation",
                run_id="run-41",
                partition="2021-01-25",
                partitions_materialized=4,
                first_partition="2021-01-04",
                last_partition="2021-01-25",
            )
        ],
    )
    pub = get_settings().published_warehouse_path
    with duckdb.connect(str(pub), read_only=True) as con:
        pub_row = con.execute(
            "SELECT run_id, source_warehouse, tables, total_rows, first_week_start::VARCHAR, "
            "last_week_start::VARCHAR, partitions, small_count_threshold, published_at "
            "FROM meta.publication"
        ).fetchall()
        assert len(pub_row) == 1
        run_id, source, n_tables, total, first, last, partitions, threshold, at = pub_row[0]
        assert (run_id, source, first, last, threshold) == (
            "run-42", str(working), "2021-01-04", "2021-01-25", 3
        )
        assert n_tables == len(result.row_counts) == 10  # 4 marts, 2 totals, 4 reference
        assert total == sum(result.row_counts.values())
        assert partitions == "weekly_situation: 2021-01-04 .. 2021-01-25 (4)"
        assert at is not None
        per_table = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT table_schema || '.' || table_name, row_count, suppressed_rows, "
                "source_run_id, last_partition FROM meta.published_tables"
            ).fetchall()
        }
        assert per_table["marts.weekly_situation"][0] == 16
        assert per_table["marts.weekly_situation"][1] > 0
        assert per_table["marts.weekly_situation"][2:] == ("run-41", "2021-01-25")
        assert per_table["reference.areas"] == (2, 0, None, None)
        # Every count matches the table itself.
        for name, (rows, *_rest) in per_table.items():
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == rows

        table_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'weekly_situation'"
        ).fetchone()[0]
        # It says loudly that it is not safe to sum, and where to sum instead, before dbt's text.
        assert table_comment.startswith("NOT SAFE TO SUM: counts above 0 and below 3 are published as NULL")
        assert "sum totals.area_week, totals.municipality_week_category" in table_comment
        assert table_comment.endswith("Weekly situation picture per area and category.")
        col_comments = dict(
            con.execute(
                "SELECT column_name, comment FROM duckdb_columns() "
                "WHERE schema_name = 'marts' AND table_name = 'weekly_situation'"
            ).fetchall()
        )
        # dbt's text, then the rule; a comment already in the working warehouse survives.
        assert col_comments["events_total"].startswith("Events, deduplicated across partners. ")
        assert "above 0 and below 3 are published as NULL" in col_comments["events_total"]
        assert col_comments["events_police"].startswith("Events reported by the police.")
        assert col_comments["category"] == "EST category."
        assert "blanked" in col_comments[FLAG_COLUMN]
        assert "sum totals.area_week" in col_comments[FLAG_COLUMN]
        assert con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'reference' "
            "AND table_name = 'areas'"
        ).fetchone()[0]


def test_failed_publish_leaves_published_file_untouched(working: Path) -> None:
    publish_warehouse(run_id="good", manifest_path=Path("/nonexistent"))
    published = get_settings().published_warehouse_path
    before = _sha(published)
    # A mart that fails while it is copied (after other marts were already copied).
    with duckdb.connect(str(working)) as con:
        con.execute(
            "CREATE VIEW marts.zz_broken AS SELECT error('mart build exploded') AS events_total"
        )
    with pytest.raises(PublishError, match=r"marts\.zz_broken.*mart build exploded"):
        publish_warehouse(run_id="bad", manifest_path=Path("/nonexistent"))
    assert _sha(published) == before
    assert sorted(p.name for p in published.parent.iterdir()) == sorted(
        [published.name, f".{published.name}.lock"]
    )
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM meta.publication").fetchone()[0] == "good"


def test_missing_working_warehouse_is_a_clear_error(est_env: Path) -> None:
    with pytest.raises(PublishError, match=r"warehouse\.duckdb: the working warehouse does not exist"):
        publish_warehouse()
    assert not get_settings().published_warehouse_path.exists()


def test_flag_column_clash_names_the_table(working: Path) -> None:
    with duckdb.connect(str(working)) as con:
        con.execute(
            f"CREATE TABLE marts.clash AS SELECT 1::INTEGER AS events, true AS {FLAG_COLUMN}"
        )
    with pytest.raises(ValueError, match=rf"marts\.clash already has a column named '{FLAG_COLUMN}'"):
        publish_warehouse(manifest_path=Path("/nonexistent"))


def _publish_and_hang(data_dir: str, ready: multiprocessing.Event) -> None:
    """Child: publish, but stop dead after the first table is copied."""
    os.environ["EST_DATA_DIR"] = data_dir
    os.environ["EST_WAREHOUSE_PATH"] = str(Path(data_dir) / "warehouse.duckdb")
    os.environ["EST_PUBLISHED_WAREHOUSE_PATH"] = str(Path(data_dir) / "published" / "warehouse.duckdb")

    def after_table(_name: str) -> None:
        ready.set()
        time.sleep(120)

    publish_warehouse(run_id="killed", manifest_path=Path("/nonexistent"), after_table=after_table)


def test_killed_publish_keeps_old_state_and_next_publish_cleans_up(working: Path) -> None:
    publish_warehouse(run_id="before-kill", manifest_path=Path("/nonexistent"))
    published = get_settings().published_warehouse_path
    before = _sha(published)

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=_publish_and_hang, args=(str(working.parent), ready))
    child.start()
    try:
        assert ready.wait(60), "the child publish never copied a table"
        temps = list(published.parent.glob(f".{published.name}.*.tmp*"))
        assert temps, "a publish in progress builds a temp file next to the published one"
    finally:
        child.kill()  # SIGKILL: no cleanup handlers run
        child.join(30)
    assert _sha(published) == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM meta.publication").fetchone()[0] == "before-kill"

    build_working_warehouse(working, version=2)
    publish_warehouse(run_id="after-kill", manifest_path=Path("/nonexistent"))
    assert not list(published.parent.glob(f".{published.name}.*.tmp*"))
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT run_id FROM meta.publication").fetchone()[0] == "after-kill"


def test_manifest_being_written_is_skipped_but_explicit_bad_one_named(
    working: Path, tmp_path: Path
) -> None:
    from est_pipeline.publish import comments

    project = tmp_path / "dbt_project"
    (project / "target" / "run-1").mkdir(parents=True)
    good = {
        "nodes": {
            "model.x.weekly_situation": {
                "resource_type": "model",
                "name": "weekly_situation",
                "schema": "marts",
                "description": "From the parsed manifest.",
                "columns": {},
            }
        }
    }
    (project / "target" / "manifest.json").write_text(json.dumps(good)[:-10])  # truncated
    (project / "target" / "run-1" / "manifest.json").write_text(json.dumps(good))
    found = comments.find_manifests(project)
    assert found[0] == project / "target" / "manifest.json"
    path, docs = comments.docs_from_first_readable(found)
    assert path == project / "target" / "run-1" / "manifest.json"
    assert docs["weekly_situation"].description == "From the parsed manifest."

    with pytest.raises(ValueError, match=r"target/manifest\.json: cannot read the dbt manifest"):
        publish_warehouse(manifest_path=project / "target" / "manifest.json")
    assert not get_settings().published_warehouse_path.exists()
