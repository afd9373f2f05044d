"""A municipality whose only feed is the police's DeSO-coded crime extract, through the real
chain and the real runner: ingest → dbt marts → estimation → reports → publish.

The data is the demo's police-only profile: a national file and two county re-exports that
overlap by ``Id`` (some repeats corrected), rows of other municipalities, blank DeSO codes,
blank Kommun with Län, codes from every part of the code list and codes on no list; areas as
a GeoPackage, DeSO links with a split DeSO, a partial one and unlinked ones, population per
DeSO. No interventions at first; the register arrives later.

The expected figures come from ``police_only_expected``, which reads the landing files with
plain csv/pandas and nothing of the pipeline.
"""

from __future__ import annotations

import io
import re
import math
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from police_only_expected import compute
from test_dbt_support import dbt_manifest  # noqa: F401  (session fixture)

from est_pipeline.settings import DBT_PROJECT_DIR, get_settings

pytestmark = pytest.mark.usefixtures("dbt_manifest")

#: The pipeline places a row without a DeSO code by its Kommun before it looks at the code;
#: the independent reading looks at the code first. Either way the row reaches no area.
NO_DESO_FATES = {"unknown_municipality", "other_municipality", "unknown_code", "not_tracked", "no_deso_code"}
FATE_NAMES = {"no_deso": "no_deso_code"}


def _read(sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).df()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):
    from est_pipeline.demo import PoliceOnlyConfig, generate
    from est_pipeline.run_demo import run

    data_dir = tmp_path_factory.mktemp("police_only") / "data"
    mp = pytest.MonkeyPatch()
    mp.setenv("EST_DATA_DIR", str(data_dir))
    mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
    mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
    try:
        generate(data_dir, PoliceOnlyConfig(areas=10, crimes_per_week=12.0))
        instance = dg.DagsterInstance.ephemeral()
        terminal = io.StringIO()
        run(weekly_reports=2, generate=False, instance=instance, stream=terminal)
        expected = compute(data_dir / "landing", DBT_PROJECT_DIR / "seeds" / "police_crime_codes.csv",
                           data_period="registrations")
        yield {"data_dir": data_dir, "instance": instance, "expected": expected, "run": run,
               "terminal": terminal.getvalue()}
    finally:
        mp.undo()


def test_every_area_week_category_equals_the_independent_count(chain) -> None:
    expected = chain["expected"].counts.copy()
    assert expected["crimes"].sum() > 300, "a data set worth comparing"
    mart = _read("select area_id, week_start, category, police_crimes, police_crimes_from_deso, events_total, "
                 "incidents_total from marts.weekly_situation")
    assert (mart["events_total"] == 0).all(), "no partner feed: no partner events"
    assert (mart["police_crimes"] == mart["police_crimes_from_deso"]).all()
    assert (mart["incidents_total"] == mart["police_crimes"]).all()
    mart["week_start"] = pd.to_datetime(mart["week_start"]).dt.date
    merged = mart.merge(expected, on=["area_id", "week_start", "category"], how="left")
    assert not merged[merged["crimes"].isna() & (merged["police_crimes"] > 0)].shape[0], \
        "the mart counts crimes the independent reading does not"
    merged["crimes"] = merged["crimes"].fillna(0.0)
    diff = merged[(merged["crimes"] - merged["police_crimes"]).abs() > 1e-3]
    assert diff.empty, diff.head(10)
    # Every expected cell is in the mart's grid (nothing counted outside it).
    keys = set(zip(mart["area_id"], mart["week_start"], mart["category"]))
    assert all(k in keys for k in zip(expected["area_id"], expected["week_start"], expected["category"]))
    # The summary, the estimation panel and the yearly follow-up carry the same series.
    summary = _read("select sum(police_crimes) from marts.weekly_area_summary").iloc[0, 0]
    panel = _read("select sum(events) from marts.area_week_outcomes where outcome_group = 'police_crimes'").iloc[0, 0]
    assert summary == pytest.approx(expected["crimes"].sum(), abs=0.05)
    assert panel == pytest.approx(expected["crimes"].sum(), abs=0.05)


def test_the_runner_prints_one_line_per_phase_and_logs_the_rest(chain) -> None:
    """`make run`: a line per phase with its duration and job, the summary, and Dagster's and
    dbt's own output in the log file it names (not on the terminal)."""
    terminal = chain["terminal"]
    phases = [line for line in terminal.splitlines() if line.startswith("  ✓ ")]
    for job in ("ingest_job", "harmonise_job", "weekly_situation_job", "period_prioritisation_job",
                "yearly_followup_job", "publish_warehouse_job"):
        assert any(line.endswith(f"[{job}]") for line in phases), (job, phases)
    assert all(re.search(r"\d s|\d min", line) for line in phases)
    assert "DEBUG" not in terminal and "Running with dbt" not in terminal
    log = Path(re.search(r"The full Dagster and dbt log: (\S+)", terminal).group(1))
    text = log.read_text(encoding="utf-8")
    assert "DEBUG" in text and "Running with dbt" in text
    # Every report is named, and the runs carry their job names and the trigger tag.
    for path in get_settings().reports_dir.rglob("*.html"):
        assert path.name in terminal
    runs = chain["instance"].get_runs()
    assert {r.job_name for r in runs} >= {"ingest_job", "weekly_situation_job", "yearly_followup_job"}
    assert "__ephemeral_asset_job__" not in {r.job_name for r in runs}
    assert all(r.tags.get("est/trigger") == "make_run" for r in runs)


def test_every_delivered_row_is_accounted_for_exactly_once(chain) -> None:
    rows = chain["expected"].rows
    registry = _read("select sum(rows_in), sum(rows_loaded), sum(rows_quarantined), sum(rows_repeated) "
                     "from raw.file_registry where feed = 'police_deso'").iloc[0].tolist()
    assert registry[0] == len(rows) and registry[1] + registry[2] == registry[0]
    assert registry[2] == (rows["fate"] == "quarantined").sum() == 0
    assert registry[3] == (rows["fate"] == "repeat_superseded").sum() > 0, "re-exports overlap by Id"

    fates = _read("select _file_name as file_name, _row_number as row_number, fate, crime_count "
                  "from intermediate.int_police_deso_crimes")
    assert len(fates) == len(rows) and not fates.duplicated(["file_name", "row_number"]).any()
    both = rows.merge(fates, on=["file_name", "row_number"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    exact = both[both["deso"].notna() | (both["fate_x"] == "repeat_superseded")]
    assert (exact["fate_x"].replace(FATE_NAMES) == exact["fate_y"]).all(), \
        exact[exact["fate_x"].replace(FATE_NAMES) != exact["fate_y"]].head()
    without = both[both["deso"].isna() & (both["fate_x"] != "repeat_superseded")]
    assert len(without) and without["fate_y"].isin(NO_DESO_FATES).all()
    assert both.loc[both["fate_x"] == "in_area", "fate_y"].eq("in_area").all()

    # The trace table counts every row that reached no area, with its reason ...
    trace = _read("select reason, sum(records) as records, sum(crimes) as crimes "
                  "from marts.police_records_not_in_areas where source = 'police_deso' group by reason")
    by_reason = dict(zip(trace["reason"], trace["records"]))
    for reason, n in fates[fates["fate"] != "in_area"]["fate"].value_counts().items():
        assert by_reason[reason] == n, reason
    assert {"repeat_superseded", "other_municipality", "not_tracked", "unknown_code", "deso_not_linked"} <= set(by_reason)
    # ... so every delivered crime is either in an area or in the trace table.
    delivered = fates["crime_count"].sum()
    in_areas = _read("select sum(police_crimes) from marts.weekly_situation").iloc[0, 0]
    assert in_areas + trace["crimes"].sum() == pytest.approx(delivered, abs=0.05)
    assert "share_outside_areas" in set(trace["reason"])


def test_rows_without_a_municipality_keep_their_county(chain) -> None:
    kept = _read("select county_name, sum(records) as records from marts.police_records_not_in_areas "
                 "where reason = 'unknown_municipality' group by county_name")
    assert len(kept) and kept["county_name"].notna().all() and kept["records"].sum() > 0


def test_unknown_codes_are_surfaced(chain) -> None:
    unmapped = _read("select source_type, rows_unmapped from marts.unmapped_source_types where source = 'police_deso'")
    listed = set(pd.read_csv(DBT_PROJECT_DIR / "seeds" / "police_crime_codes.csv", dtype=str)["crime_code"])
    rows = chain["expected"].rows
    current = rows[rows["fate"] != "repeat_superseded"]
    on_no_list = current[~current["crime_code"].isin(listed)]
    assert len(on_no_list), "the profile plants codes that are on no list"
    assert dict(zip(unmapped["source_type"], unmapped["rows_unmapped"])) == on_no_list["crime_code"].value_counts().to_dict()


def test_the_period_and_the_reports_follow_the_data(chain) -> None:
    period = _read("select * from intermediate.int_data_period").iloc[0]
    first, last = chain["expected"].data_period
    assert period["first_week_start"] == pd.Timestamp(first) and period["last_week_start"] == pd.Timestamp(last)
    # The last registration is a Wednesday: that week is not complete, the one before is.
    complete = (pd.Timestamp(last) - pd.Timedelta(days=7)).date()
    assert period["last_complete_week_start"].date() == complete
    reports = get_settings().reports_dir
    weekly = sorted(p.name for p in (reports / "weekly").glob("*.html"))
    label = f"{complete.isocalendar()[0]}-W{complete.isocalendar()[1]:02d}"
    assert weekly[-1] == f"lagesbild_{label}.html" and len(weekly) == 2
    text = (reports / "weekly" / weekly[-1]).read_text(encoding="utf-8")
    assert "polisanmälda brott" in text and "Inga registrerade insatser" in text
    # No checklist and no survey are said in words; codes on no list are named up front.
    assert "Inga bedömningar från checklistan den här veckan" in text and "Okända typer räknas inte" in text
    assert "Ingen mätning" in sorted((reports / "yearly").glob("*.html"))[-1].read_text(encoding="utf-8")
    assert "Sjöbacka" in text, "the municipality is named as the police's extract names it"
    assert list((reports / "period").glob("*.html")) and list((reports / "yearly").glob("*.html"))
    prioritised = _read("select count(*), sum(events) from marts.period_prioritisation").iloc[0]
    assert prioritised.iloc[0] > 0 and prioritised.iloc[1] > 0
    assert _read("select count(*) from marts.hot_spots").iloc[0, 0] > 0


def test_no_interventions_is_a_note_not_a_failure(chain) -> None:
    notes = _read("select status, note from marts.estimation_notes")
    assert len(notes) and (notes["status"] == "no_interventions").all()
    assert notes["note"].str.startswith("Inga registrerade insatser").all()
    yearly = sorted((get_settings().reports_dir / "yearly").glob("*.html"))
    assert "Inga registrerade insatser" in yearly[-1].read_text(encoding="utf-8")


def test_published_counts_are_all_protected(chain) -> None:
    from est_pipeline.publish.rules import FLAG_COLUMN, Column, unclassified_columns

    threshold = get_settings().small_count_threshold
    with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        assert "police_records_not_in_areas" in tables and "weekly_police_events" in tables
        for table in tables:
            columns = [Column(n, d) for n, d in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position", [table]).fetchall()
                if n != FLAG_COLUMN]
            assert unclassified_columns(table, columns) == [], table
        leaked = con.execute(
            f"select count(*) from marts.weekly_situation where police_crimes > 0 and police_crimes < {threshold}"
        ).fetchone()[0]
        assert leaked == 0
        suppressed = con.execute(
            f"select count(*) from marts.weekly_situation where {FLAG_COLUMN} and police_crimes is null").fetchone()[0]
        assert suppressed > 0
    # The working warehouse keeps the exact (fractional) figures.
    fractional = _read("select count(*) from marts.weekly_situation "
                       "where police_crimes <> round(police_crimes)").iloc[0, 0]
    assert fractional > 0


def test_every_published_table_is_safe_to_sum_or_says_it_is_not(chain) -> None:
    """Fractional police crimes spread over areas: the exact totals still add up, per group."""
    from publish_sums import problems

    settings = get_settings()
    assert problems(settings.published_warehouse_path, settings.warehouse_path) == []
    with duckdb.connect(str(settings.published_warehouse_path), read_only=True) as con:
        blanked = con.execute("select sum(police_crimes) from marts.weekly_situation").fetchone()[0]
        exact = con.execute("select sum(police_crimes) from totals.area_week").fetchone()[0]
    assert exact == pytest.approx(_read("select sum(police_crimes) from marts.weekly_situation").iloc[0, 0], abs=1e-3)
    assert blanked < exact


def test_every_published_table_and_column_is_described(chain) -> None:
    """In words for a BI user: a comment on every table and column, no internal references."""
    import re

    internal = re.compile(r"(?i)\bissue\s*#?\d+|DESIGN\s*§")
    with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where schema_name in ('marts', 'totals', 'reference', 'meta')").fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where schema_name in ('marts', 'totals', 'reference', 'meta')").fetchall()
    assert {t for _, t, _ in tables} >= {"weekly_situation", "area_week", "estimation_notes"}
    assert [(s, t) for s, t, c in tables if not (c or "").strip()] == []
    assert [(s, t, c) for s, t, c, text in columns if not (text or "").strip()] == []
    assert [(s, t) for s, t, c in tables if internal.search(c or "")] == []
    assert [(s, t, c) for s, t, c, text in columns if internal.search(text or "")] == []


def test_interventions_added_later_are_estimated(chain) -> None:
    data_dir: Path = chain["data_dir"]
    target = data_dir / "landing" / "interventions"
    target.mkdir(parents=True, exist_ok=True)
    for path in (data_dir / "later" / "interventions").iterdir():
        shutil.copy(path, target / path.name)
    chain["run"](weekly_reports=1, generate=False, instance=chain["instance"])
    active = _read("select count(distinct area_id) from marts.area_week_interventions").iloc[0, 0]
    assert active >= 3
    notes = _read("select status from marts.estimation_notes order by period_end")
    assert notes["status"].iloc[-1] == "estimated"
    effects = _read("select irr, ci_low, ci_high from marts.intervention_effects where outcome_group = 'police_crimes'")
    assert len(effects) and effects["irr"].map(math.isfinite).all()
    with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.area_week_interventions").fetchone()[0] > 0
        # The estimation's tables are described for BI users too, table and every column.
        for table in ("intervention_effects", "intervention_event_study"):
            comment = con.execute("select comment from duckdb_tables() where schema_name = 'marts' "
                                  "and table_name = ?", [table]).fetchone()[0]
            assert comment and "associations, not proof" in comment, table
            undescribed = con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                "and coalesce(comment, '') = ''", [table]).fetchall()
            assert undescribed == [], (table, undescribed)
