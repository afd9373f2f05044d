"""Ingesting the example files for real: provenance, idempotency, supersede, schema."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from est_pipeline.ingest import examples
from est_pipeline.ingest.feeds import ALL_FOLDERS, all_tables
from est_pipeline.ingest.loader import ensure_schema, ingest_folder
from est_pipeline.ingest.schema import FILE_REGISTRY_COLUMNS, QUARANTINE_COLUMNS, table_columns
from est_pipeline.lib.warehouse import connect


@pytest.fixture(scope="module")
def runner():
    from data_checks.runner import SuiteRunner

    return SuiteRunner()


def ingest_all(runner) -> dict:
    return {folder: ingest_folder(folder, runner) for folder in ALL_FOLDERS}


def snapshot() -> dict[str, list[tuple]]:
    with connect(read_only=True) as con:
        return {
            feed.table: con.execute(f"SELECT * FROM raw.{feed.table} ORDER BY _file_name, _row_number").fetchall()
            for feed in all_tables()
        }


def _columns(con, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()


def test_every_table_exists_with_its_schema_without_files(est_env: Path) -> None:
    ensure_schema()
    with connect(read_only=True) as con:
        for feed in all_tables():
            assert _columns(con, feed.table) == [(n, t.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"))
                                                 for n, t in table_columns(feed)], feed.table
        assert _columns(con, "file_registry") == list(FILE_REGISTRY_COLUMNS)
        assert _columns(con, "quarantine") == list(QUARANTINE_COLUMNS)


def test_examples_load_with_provenance_and_counts(est_env: Path, runner) -> None:
    examples.write_examples(est_env / "landing")
    results = ingest_all(runner)
    for folder, (name, rows) in examples.EXAMPLE_ROWS.items():
        files = results[folder].files
        assert [(f.file_name, f.status, f.rows_in, f.rows_loaded) for f in files] == [(name, "loaded", rows, rows)]
    with connect(read_only=True) as con:
        bad = con.execute(
            "SELECT file_name FROM raw.file_registry WHERE rows_in <> rows_loaded + rows_quarantined").fetchall()
        assert bad == []
        prov = con.execute(
            "SELECT _file_name, _content_hash, _row_number, _loaded_at FROM raw.police_local_incidents "
            "ORDER BY _row_number").fetchall()
        assert [p[2] for p in prov] == [2, 3, 4]
        assert all(len(p[1]) == 64 and p[0] == "handelser_v10.csv" and isinstance(p[3], datetime) for p in prov)
        for path, content_hash in con.execute("SELECT archived_path, content_hash FROM raw.file_registry").fetchall():
            assert Path(path).exists() and Path(path).name.startswith(content_hash[:16])
        # PII masked in the warehouse, but the archive keeps the file as it came.
        comments = [r[0] for r in con.execute("SELECT kommentar FROM raw.checklist_ratings").fetchall()]
        assert "Tips från [personnummer]" in comments
        assert not any("19811218" in str(c) for c in comments)
        assert con.execute("SELECT pii_masked FROM raw.file_registry WHERE feed = 'checklist'").fetchone()[0] == 1
        areas = con.execute("SELECT area_id, geometry_wkt FROM raw.areas ORDER BY area_id").fetchall()
        assert areas[0][0] == "NV01" and areas[0][1].startswith("POLYGON ((510000 6578000")
        assert con.execute("SELECT sum(andel) FROM raw.area_deso WHERE deso = '9001A0010'").fetchone()[0] == pytest.approx(1.0)
    archive = next((est_env / "archive" / "checklist").iterdir())
    assert "19811218-9876" in archive.read_bytes().decode("cp1252")
    assert results["checklist"].pii["personal_identity_number"] == 1
    assert results["field_observations"].weeks_touched == ["2024-03-04"]
    assert results["checklist"].weeks_touched == ["2024-03-04"]  # 2024-W10


def test_police_events_quirks(est_env: Path, runner) -> None:
    examples.write_examples(est_env / "landing", reference=False)
    ingest_folder("police_events", runner)
    with connect(read_only=True) as con:
        rows = con.execute(
            "SELECT id, timezone('UTC', published_at), incident_at, is_summary, gps_lat, gps_lon, url "
            "FROM raw.police_events ORDER BY id").fetchall()
    assert rows[0][:6] == (501234, datetime(2024, 3, 7, 6, 32, 6), datetime(2024, 3, 7, 0, 23), False, 59.3293, 18.0686)
    assert rows[0][6].startswith("/aktuellt/")  # relative url kept
    # Published 1 January 2024 about the night of 31 December: the year before.
    assert rows[1][2] == datetime(2023, 12, 31, 23, 50)
    assert rows[2][3] is True


def test_ingesting_twice_leaves_identical_tables(est_env: Path, runner) -> None:
    examples.write_examples(est_env / "landing")
    ingest_all(runner)
    first = snapshot()
    again = ingest_all(runner)
    assert snapshot() == first
    for result in again.values():
        assert all(f.status == "skipped" for f in result.files)
        assert result.rows_loaded == 0
    with connect(read_only=True) as con:
        statuses = con.execute("SELECT status, count(*) FROM raw.file_registry GROUP BY 1").fetchall()
    assert statuses == [("loaded", 15)]  # 9 feeds + 6 reference files


def test_same_content_under_another_name_is_skipped(est_env: Path, runner) -> None:
    paths = examples.write_examples(est_env / "landing", reference=False)
    ingest_folder("checklist", runner)
    copy = paths["checklist"].with_name("kopia.csv")
    copy.write_bytes(paths["checklist"].read_bytes())
    result = ingest_folder("checklist", runner)
    assert sorted((f.file_name, f.status) for f in result.files) == [
        ("checklista_v10.csv", "skipped"), ("kopia.csv", "skipped")]


def test_corrected_file_supersedes_the_old_one(est_env: Path, runner) -> None:
    paths = examples.write_examples(est_env / "landing", reference=False)
    ingest_folder("interventions", runner)
    with connect(read_only=True) as con:
        old_hash = con.execute("SELECT content_hash FROM raw.file_registry WHERE feed='interventions'").fetchone()[0]
    corrected = examples.INTERVENTIONS.replace("2024-05-31", "2024-06-30") + \
        "I-003;2024-03-01;NV01;;Klotterborttagning;Kommun;2024-03-04;;låg;;\n"
    paths["interventions"].write_bytes(corrected.encode("cp1252"))
    result = ingest_folder("interventions", runner)
    [outcome] = result.files
    assert (outcome.status, outcome.superseded, outcome.rows_loaded) == ("loaded", 1, 3)
    with connect(read_only=True) as con:
        rows = con.execute("SELECT insats_id, slutdatum, _content_hash FROM raw.interventions ORDER BY insats_id").fetchall()
        registry = con.execute(
            "SELECT content_hash, status, superseded_by FROM raw.file_registry WHERE feed='interventions'").fetchall()
    assert [r[0] for r in rows] == ["I-001", "I-002", "I-003"]
    assert rows[1][1] == date(2024, 6, 30)
    assert {r[2] for r in rows} == {outcome.content_hash}
    assert sorted(registry) == sorted([(old_hash, "superseded", outcome.content_hash),
                                       (outcome.content_hash, "loaded", None)])


def test_rejected_correction_keeps_the_loaded_version(est_env: Path, runner) -> None:
    paths = examples.write_examples(est_env / "landing", reference=False)
    ingest_folder("interventions", runner)
    paths["interventions"].write_bytes("nonsens\n".encode())
    [outcome] = ingest_folder("interventions", runner).files
    assert outcome.status == "rejected"
    with connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.interventions").fetchone()[0] == 2


def test_temporary_and_hidden_files_are_ignored(est_env: Path, runner) -> None:
    folder = est_env / "landing" / "checklist"
    folder.mkdir(parents=True)
    (folder / "~$checklista.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / "upload.csv.part").write_bytes(b"x")
    assert ingest_folder("checklist", runner).files == []


def test_record_keys_from_python_equal_the_sql_rule(est_env: Path, runner) -> None:
    """The loader computes _record_key from the values as delivered (pyarrow); a warehouse
    from before record keys gets them from stored values (SQL). Where no value was masked
    both give the same key."""
    from est_pipeline.ingest.feeds import FEEDS
    from est_pipeline.ingest.schema import record_key_sql

    examples.write_examples(est_env / "landing", reference=False)
    ingest_all(runner)
    with connect(read_only=True) as con:
        for feed in FEEDS.values():
            n, differ = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE _record_key IS DISTINCT FROM {record_key_sql(feed)}) "
                f"FROM raw.{feed.table}").fetchall()[0]
            assert n > 0 and differ == 0, feed.name
