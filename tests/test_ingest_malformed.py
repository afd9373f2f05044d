"""The corpus of bad partner files: the exact outcome of each, ingested for real."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from est_pipeline.ingest.feeds import ALL_FOLDERS
from est_pipeline.ingest.loader import FolderResult, ingest_folder
from est_pipeline.lib.warehouse import connect

CORPUS = Path(__file__).resolve().parent / "fixtures" / "malformed"

# file -> (status, error_code, rows_in, rows_loaded, {row_number: reason_code})
EXPECTED: dict[str, tuple[str, str | None, int, int, dict[int, str]]] = {
    "fault_reports/utf16_export.csv": ("rejected", "unknown_encoding", 0, 0, {}),
    "police_deso/saved_as_cp1252.csv": ("rejected", "unknown_encoding", 0, 0, {}),
    "fault_reports/comma_delimited.csv": ("rejected", "wrong_delimiter", 0, 0, {}),
    "property_incidents/renamed_csv.xlsx": ("rejected", "not_a_spreadsheet", 0, 0, {}),
    "field_observations/missing_column.csv": ("rejected", "missing_required_column", 0, 0, {}),
    "checklist/empty.csv": ("rejected", "empty_file", 0, 0, {}),
    "checklist/header_only.csv": ("loaded", None, 0, 0, {}),
    "police_local/utf8_bom.csv": ("loaded", None, 2, 2, {}),
    "field_observations/swedish_dates.csv": ("loaded", None, 3, 3, {}),
    "field_observations/compact_dates.csv": ("loaded", None, 2, 2, {}),
    "field_observations/ambiguous_dates.csv": ("rejected", "ambiguous_date_format", 0, 0, {}),
    "field_observations/mixed_formats.csv": ("rejected", "mixed_date_formats", 0, 0, {}),
    "field_observations/impossible_date.csv": ("loaded", None, 3, 2, {3: "invalid_date"}),
    "field_observations/implausible_date.csv": ("loaded", None, 2, 1, {2: "implausible_date"}),
    "property_incidents/title_row.xlsx": ("loaded", None, 3, 2, {5: "invalid_date"}),
    "police_deso/truncated.csv": ("loaded", None, 3, 2, {4: "truncated_record"}),
    "fault_reports/reordered_extra_columns.csv": ("loaded", None, 2, 2, {}),
    "police_local/invalid_coordinates.csv": ("loaded", None, 3, 2, {3: "invalid_coordinates"}),
    "police_events/truncated.json": ("rejected", "invalid_json", 0, 0, {}),
    "checklist/bad_values.csv": ("loaded", None, 3, 1, {2: "value_not_allowed", 3: "invalid_week"}),
    "safety_survey/out_of_scale.csv": ("loaded", None, 2, 1, {2: "value_out_of_range"}),
    "reference/unknown_name.csv": ("rejected", "unknown_reference_file", 0, 0, {}),
}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, FolderResult], Path]:
    """Ingest the whole corpus once (module scope keeps the suite fast)."""
    data_dir = tmp_path_factory.mktemp("corpus") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EST_DATA_DIR", str(data_dir))
        mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
        for rel in EXPECTED:
            target = data_dir / "landing" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(CORPUS / rel, target)
        from data_checks.runner import SuiteRunner

        runner = SuiteRunner()
        results = {folder: ingest_folder(folder, runner) for folder in ALL_FOLDERS}
        with connect() as con:
            registry = {
                f"{r[0]}/{r[1]}": r
                for r in con.execute(
                    "SELECT feed, file_name, status, error_code, rows_in, rows_loaded, rows_quarantined, message "
                    "FROM raw.file_registry").fetchall()
            }
            quarantine = con.execute(
                "SELECT feed, file_name, row_number, column_name, reason_code, reason, raw_record "
                "FROM raw.quarantine").fetchall()
            tables = {
                "property_incidents": con.execute(
                    "SELECT arende_id, _row_number FROM raw.property_incidents ORDER BY _row_number").fetchall(),
                "field_observations": con.execute(
                    "SELECT _file_name, datum FROM raw.field_observations ORDER BY _file_name, _row_number").fetchall(),
                "fault_reports": con.execute(
                    "SELECT arendenummer, arendetyp, latitud, longitud, adress, beskrivning FROM raw.fault_reports "
                    "ORDER BY _row_number").fetchall(),
                "checklist_ratings": con.execute(
                    "SELECT vecka, partner, bedomning FROM raw.checklist_ratings").fetchall(),
            }
    return {"results": results, "registry": registry, "quarantine": quarantine, "tables": tables}  # type: ignore[return-value]


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_corpus_file_outcome(corpus_run, rel: str) -> None:
    status, code, rows_in, rows_loaded, bad_rows = EXPECTED[rel]
    feed, name = rel.split("/", 1)
    reg = corpus_run["registry"][rel]
    assert reg[2] == status, reg
    assert reg[3] == code, reg
    if status == "rejected":
        # Rejected: nothing counted, and a message naming the file for the partner.
        assert reg[4] is None and reg[5] is None
        assert reg[7].startswith(f"fil '{name}':") and len(reg[7]) > 30
        return
    assert (reg[4], reg[5], reg[6]) == (rows_in, rows_loaded, len(bad_rows))
    assert reg[4] == reg[5] + reg[6]
    got = {(q[2], q[4]) for q in corpus_run["quarantine"] if q[0] == feed and q[1] == name}
    assert got == set(bad_rows.items())
    for q in corpus_run["quarantine"]:
        if q[1] == name:
            assert q[5].startswith(f"fil '{name}', rad {q[2]}")
            json.loads(q[6])  # the raw record is valid JSON


def test_rejection_messages_are_actionable(corpus_run) -> None:
    reg = corpus_run["registry"]
    assert "UTF-16" in reg["fault_reports/utf16_export.csv"][7]
    assert "UTF-8" in reg["police_deso/saved_as_cp1252.csv"][7]
    msg = reg["fault_reports/comma_delimited.csv"][7]
    assert "komma" in msg and "semikolon" in msg
    assert "'Antal ungdomar'" in reg["field_observations/missing_column.csv"][7]
    assert "'1/3/2024'" in reg["field_observations/ambiguous_dates.csv"][7] or \
        "'2/3/2024'" in reg["field_observations/ambiguous_dates.csv"][7]
    assert "areas.geojson" in reg["reference/unknown_name.csv"][7]


def test_title_row_keeps_spreadsheet_row_numbers(corpus_run) -> None:
    assert corpus_run["tables"]["property_incidents"] == [("B-1", 4), ("B-3", 6)]


def test_date_formats_decided_per_file(corpus_run) -> None:
    from datetime import date

    rows = corpus_run["tables"]["field_observations"]
    swedish = [d for f, d in rows if f == "swedish_dates.csv"]
    assert swedish == [date(2024, 3, 1), date(2024, 3, 15), date(2024, 3, 2)]
    compact = [d for f, d in rows if f == "compact_dates.csv"]
    assert compact == [date(2024, 3, 1), date(2024, 3, 2)]


def test_reordered_columns_load_by_heading(corpus_run) -> None:
    rows = corpus_run["tables"]["fault_reports"]
    assert rows[0] == ("F-10", "Klotter", 59.3293, 18.0686, "Storgatan 1", "Klotter på fasaden")
    assert rows[1][4] is None and rows[1][5] == "Skräp, ring [telefon]"
    outcome = next(f for f in corpus_run["results"]["fault_reports"].files if f.file_name == "reordered_extra_columns.csv")
    assert outcome.extra_columns == ["Handläggare"]


def test_checklist_values_normalised(corpus_run) -> None:
    assert corpus_run["tables"]["checklist_ratings"] == [("2024-W10", "Fastighetsbolag", "grön")]


def test_quarantine_raw_record_is_masked(corpus_run) -> None:
    for q in corpus_run["quarantine"]:
        assert "070-123" not in q[6]
