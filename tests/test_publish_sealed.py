"""One deployment, several municipalities: each gets a published file with only its rows.

A real working warehouse (built with SQL, as in ``test_publish_library``) holding two
municipalities is published with ``publish_for_municipalities``; every table of every schema
in each municipality's file is scanned for the other municipality's area ids, place ids and
municipality code. Tables that carry neither an area nor a municipality cannot be sealed and
must be left out (and listed in ``meta.scope``). The all-municipality file follows the
``publish_combined`` setting, and a combined file left from before is removed when it is no
longer wanted.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from est_pipeline.publish import municipality_file, publish_for_municipalities
from est_pipeline.settings import get_settings

from test_publish_library import build_working_warehouse

NORRVIK, SJOBY = "9001", "9002"
AREAS = {NORRVIK: {"NV01", "NV02"}, SJOBY: {"SB01"}}
PLACES = {NORRVIK: {"NV01-P01"}, SJOBY: {"SB01-P01"}}


def _add_second_municipality(path: Path) -> None:
    """Sjöby (9002) beside the library fixture's Norrvik (9001), in raw, reference and marts,
    plus a mart keyed by municipality and one keyed by neither."""
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO raw.areas VALUES ('SB01', 'Sjöby centrum', '9002', 'Sjöby kommun', "
                    "'POLYGON((0 0,1 0,1 1,0 0))')")
        con.execute("INSERT INTO raw.places VALUES ('SB01-P01', 'SB01', 'Hamnen', 'public', 'square', 'POINT(0 0)')")
        con.execute("INSERT INTO raw.area_population VALUES ('SB01', 2021, 2500)")
        # The weekly mart is a table built from raw.areas at fixture time: Sjöby's rows copy
        # NV01's, so that both sides of the small-count rule occur for it too.
        con.execute("""
            INSERT INTO marts.weekly_situation
            SELECT * REPLACE ('SB01' AS area_id) FROM marts.weekly_situation WHERE area_id = 'NV01'
        """)
        con.execute("INSERT INTO marts.yearly_followup VALUES ('SB01', 2021, 12, 30, 2.9, 2.5)")
        con.execute("""
            CREATE TABLE marts.weekly_police_events AS SELECT * FROM (VALUES
              ('9001', 'Norrvik kommun', DATE '2021-01-04', 'Stöld', 'theft', 4::BIGINT),
              ('9002', 'Sjöby kommun', DATE '2021-01-04', 'Stöld', 'theft', 5::BIGINT))
              t(municipality_code, municipality_name, week_start, event_type, category, events)
        """)
        con.execute("""
            CREATE TABLE marts.unmapped_source_types AS SELECT * FROM (VALUES
              ('police_events', 'Sjöbys hamnbråk', 7::BIGINT)) t(source, source_type, rows_unmapped)
        """)


def _contents(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2").fetchall()
        return {f"{s}.{t}": sorted(con.execute(f'SELECT * FROM {s}."{t}"').fetchall(), key=repr)
                for s, t in tables}


def _mentions(contents: dict[str, list[tuple]], code: str) -> list[tuple[str, tuple]]:
    """Rows anywhere in a file that name one of ``code``'s areas, places or its code."""
    words = AREAS[code] | PLACES[code] | {code}
    return [(table, row) for table, rows in contents.items() for row in rows
            if any(isinstance(v, str) and v in words for v in row)]


@pytest.fixture
def working(est_env: Path) -> Path:
    path = get_settings().warehouse_path
    build_working_warehouse(path)
    _add_second_municipality(path)
    return path


def test_each_municipality_file_holds_only_its_rows(working: Path) -> None:
    results = publish_for_municipalities(run_id="sealed-1")
    published_dir = get_settings().published_warehouse_path.parent
    assert set(results) == {NORRVIK, SJOBY}  # auto: several municipalities, no combined file
    assert not get_settings().published_warehouse_path.exists()

    for code, other in ((NORRVIK, SJOBY), (SJOBY, NORRVIK)):
        path = municipality_file(published_dir, code)
        assert results[code].path == path
        contents = _contents(path)
        # Not one row of the other municipality, in any table of any schema.
        assert _mentions(contents, other) == []
        # Its own rows are all there: every area, the weekly mart, the municipality's mart.
        assert {r[0] for r in contents["reference.areas"]} == AREAS[code]
        assert {r[0] for r in contents["marts.weekly_situation"]} == AREAS[code]
        assert {r[0] for r in contents["marts.weekly_police_events"]} == {code}
        assert {r[0] for r in contents["reference.places"]} == PLACES[code]
        with duckdb.connect(str(path), read_only=True) as con:
            assert {a for (a,) in con.execute("SELECT DISTINCT area_id FROM totals.area_week").fetchall()} == AREAS[code]
        # The categories are everyone's; the table without area or municipality is withheld.
        assert len(contents["reference.categories"]) == 2
        # Neither the source types nor the estimates pooled over both municipalities can be
        # split by municipality: both are withheld, and meta.scope says so.
        withheld = ["marts.intervention_effects", "marts.unmapped_source_types"]
        assert not set(withheld) & set(contents)
        scope = contents["meta.scope"]
        assert {r[0] for r in scope} == {code}
        assert [r[1] for r in scope if r[1]] == withheld
        assert sorted(results[code].withheld) == withheld
        assert all("no municipality_code or area_id column" in r[2] for r in scope if r[1])

    # Sealing loses nothing: the two files together hold the working mart's rows.
    with duckdb.connect(str(working), read_only=True) as con:
        working_rows = con.execute("SELECT count(*) FROM marts.weekly_situation").fetchone()[0]
    assert sum(r.row_counts["marts.weekly_situation"] for r in results.values()) == working_rows


def test_the_combined_file_only_where_configured(working: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    combined = get_settings().published_warehouse_path
    monkeypatch.setenv("EST_PUBLISH_COMBINED", "yes")
    results = publish_for_municipalities(run_id="with-combined")
    assert set(results) == {NORRVIK, SJOBY, "*"}
    contents = _contents(combined)
    assert _mentions(contents, NORRVIK) and _mentions(contents, SJOBY)
    assert "marts.unmapped_source_types" in contents
    assert contents["meta.scope"] == [(None, None, None)]

    # Switched back to auto: the file with both municipalities must not stay readable.
    monkeypatch.delenv("EST_PUBLISH_COMBINED")
    results = publish_for_municipalities(run_id="sealed-again")
    assert set(results) == {NORRVIK, SJOBY} and not combined.exists()


def test_one_municipality_keeps_every_table_and_the_usual_path(est_env: Path) -> None:
    build_working_warehouse(get_settings().warehouse_path)
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        con.execute("CREATE TABLE marts.unmapped_source_types AS SELECT 'x' AS source, 'y' AS source_type, "
                    "3::BIGINT AS rows_unmapped")
    results = publish_for_municipalities(run_id="single")
    assert set(results) == {NORRVIK, "*"}
    own = _contents(results[NORRVIK].path)
    combined = _contents(get_settings().published_warehouse_path)
    # The municipality's file and the usual path hold the same tables and rows.
    assert {k: v for k, v in own.items() if not k.startswith("meta.")} == {
        k: v for k, v in combined.items() if not k.startswith("meta.")}
    assert "marts.unmapped_source_types" in own and results[NORRVIK].withheld == {}


def test_publish_combined_setting_is_checked(est_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from est_pipeline.settings import SettingsError

    monkeypatch.setenv("EST_PUBLISH_COMBINED", "sometimes")
    with pytest.raises(SettingsError, match="publish_combined must be one of"):
        get_settings()
