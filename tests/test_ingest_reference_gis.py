"""Boundaries as municipalities have them: GeoPackage, Shapefile, zipped Shapefile, GeoJSON,
in SWEREF 99 TM, WGS84 or a local zone, ingested for real through the loader into DuckDB.
Also the DeSO link and DeSO population files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Polygon

from est_pipeline.ingest.loader import ingest_folder
from est_pipeline.lib.warehouse import connect
from reference_support import (
    SWEREF99TM,
    area_polygon,
    areas_records,
    in_crs,
    write_gis,
    zip_shapefile,
)


@pytest.fixture(scope="module")
def runner():
    from data_checks.runner import SuiteRunner

    return SuiteRunner()


def _ref(est_env: Path) -> Path:
    ref = est_env / "landing" / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    return ref


def _areas() -> dict[str, tuple[str | None, str]]:
    with connect(read_only=True) as con:
        return {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT area_id, municipality_code, geometry_wkt FROM raw.areas").fetchall()}


def _registry() -> dict[str, tuple]:
    with connect(read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT file_name, status, error_code, rows_in, rows_loaded, rows_quarantined, message, superseded_by "
            "FROM raw.file_registry WHERE feed = 'reference'").fetchall()}


def _quarantine(name: str) -> list[tuple]:
    with connect(read_only=True) as con:
        return con.execute(
            "SELECT row_number, column_name, reason_code, reason FROM raw.quarantine WHERE file_name = ? "
            "ORDER BY row_number", [name]).fetchall()


def _assert_same_square(wkt: str, area_id: str) -> None:
    """The stored polygon is the expected SWEREF 99 TM square within a metre."""
    got = shapely.from_wkt(wkt)
    expected = area_polygon(area_id)
    assert got.geom_type == "Polygon"
    assert shapely.hausdorff_distance(got, expected) < 1.0, (wkt, expected.wkt)


def test_geopackage_in_sweref_loads_and_quarantines_bad_geometry(est_env: Path, runner) -> None:
    recs = areas_records(["NV01", "NV02", "NV03", "NV04"])
    recs[0]["Kommunkod"] = "180"  # lost its leading zero as a number in the GIS
    geoms = [area_polygon("NV01"), None, Polygon(), area_polygon("NV02").centroid]
    write_gis(_ref(est_env) / "areas.gpkg", recs, geoms, SWEREF99TM, geometry_type="Unknown")
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 4, 1, 3)
    assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
    areas = _areas()
    assert list(areas) == ["NV01"] and areas["NV01"][0] == "0180"
    _assert_same_square(areas["NV01"][1], "NV01")
    quarantined = _quarantine("areas.gpkg")
    assert [(q[0], q[1], q[2]) for q in quarantined] == [
        (2, "geometry", "invalid_geometry"), (3, "geometry", "invalid_geometry"), (4, "geometry", "invalid_geometry")]
    assert quarantined[0][3] == "fil 'areas.gpkg', rad 2, kolumn 'geometry': objektet saknar geometri"
    assert "tom" in quarantined[1][3] and "yta" in quarantined[2][3] and "Point" in quarantined[2][3]


def test_shapefile_in_wgs84_is_transformed_and_supersedes_the_geopackage(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    write_gis(ref / "areas.gpkg", areas_records(["NV01"]), [area_polygon("NV01")], SWEREF99TM)
    ingest_folder("reference", runner)
    ids = ["NV01", "NV02", "NV03"]
    # No municipality columns: they are optional (dbt derives the code from the DeSO codes).
    write_gis(ref / "areas.shp", areas_records(ids, with_municipality=False),
              [in_crs(area_polygon(a), "EPSG:4326") for a in ids], "EPSG:4326")
    assert {p.suffix for p in ref.iterdir()} >= {".shp", ".shx", ".dbf", ".prj", ".cpg"}
    result = ingest_folder("reference", runner)
    # The sidecars are part of the shapefile: never a file of their own.
    assert [(f.file_name, f.status) for f in result.files] == [("areas.gpkg", "skipped"), ("areas.shp", "loaded")]
    shp = result.files[1]
    assert (shp.rows_in, shp.rows_loaded, shp.rows_quarantined, shp.superseded) == (3, 3, 0, 1)
    areas = _areas()
    assert sorted(areas) == ids
    for area_id in ids:
        assert areas[area_id][0] is None
        _assert_same_square(areas[area_id][1], area_id)
    registry = _registry()
    assert set(registry) == {"areas.gpkg", "areas.shp"}
    assert registry["areas.gpkg"][0] == "superseded" and registry["areas.gpkg"][6] == shp.content_hash
    with connect(read_only=True) as con:
        assert con.execute("SELECT DISTINCT _file_name FROM raw.areas").fetchall() == [("areas.shp",)]
    # The archive keeps the shapefile with its parts.
    archived = {p.name.split("_", 1)[1] for p in (est_env / "archive" / "reference").iterdir()}
    assert {"areas.shp", "areas.shx", "areas.dbf", "areas.prj", "areas.gpkg"} <= archived


def test_zipped_shapefile_in_a_local_sweref_zone(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    ids = ["NV01", "NV02"]
    # SWEREF 99 15 00 (EPSG:3009), a local zone, inside a folder in the zip.
    shp = write_gis(est_env / "gis" / "omraden.shp", areas_records(ids),
                    [in_crs(area_polygon(a), "EPSG:3009") for a in ids], "EPSG:3009")
    zip_shapefile(shp, ref / "areas.zip", folder="export/")
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.rows_in, outcome.rows_loaded) == ("loaded", 2, 2), outcome.message
    areas = _areas()
    for area_id in ids:
        _assert_same_square(areas[area_id][1], area_id)


def test_unreadable_crs_is_refused_with_unknown_crs(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    write_gis(ref / "areas.shp", areas_records(["NV01"]), [area_polygon("NV01")], None)
    (ref / "areas.prj").write_text('PROJCS["Lokalt system",GEOGCS[ okänt', encoding="utf-8")
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.error_code) == ("rejected", "unknown_crs")
    status, code, rows_in, *_ = _registry()["areas.shp"]
    assert (status, code, rows_in) == ("rejected", "unknown_crs", None)
    message = _registry()["areas.shp"][5]
    assert message.startswith("fil 'areas.shp': koordinatsystemet") and "SWEREF 99 TM (EPSG:3006)" in message
    assert _areas() == {}


def test_missing_prj_with_ambiguous_coordinates_is_refused(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    # Local-zone metres without a .prj: they could be anything, so nothing is guessed.
    write_gis(ref / "areas.shp", areas_records(["NV01"]), [in_crs(area_polygon("NV01"), "EPSG:3010")], None)
    assert not (ref / "areas.prj").exists()
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.error_code) == ("rejected", "unknown_crs")
    assert ".prj-filen saknas" in outcome.message and "lokal SWEREF 99-zon" in outcome.message


def test_missing_prj_with_sweref_coordinates_is_read_as_sweref(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    write_gis(ref / "areas.shp", areas_records(["NV01"]), [area_polygon("NV01")], None)
    [outcome] = ingest_folder("reference", runner).files
    assert outcome.status == "loaded" and any("SWEREF 99 TM" in n for n in outcome.notes)
    _assert_same_square(_areas()["NV01"][1], "NV01")


def test_shapefile_without_dbf_waits_for_it(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    write_gis(ref / "areas.shp", areas_records(["NV01"]), [area_polygon("NV01")], SWEREF99TM)
    dbf = (ref / "areas.dbf").read_bytes()
    (ref / "areas.dbf").unlink()
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.error_code) == ("rejected", "incomplete_shapefile")
    assert "areas.dbf" in outcome.message
    # The .dbf arrives: the shapefile is a new version (its hash covers its parts) and loads.
    (ref / "areas.dbf").write_bytes(dbf)
    [again] = ingest_folder("reference", runner).files
    assert (again.status, again.rows_loaded, again.superseded) == ("loaded", 1, 1)
    assert _registry()["areas.shp"][0] == "loaded"


def test_geojson_without_crs_is_wgs84_and_a_bad_crs_is_refused(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    lonlat = in_crs(area_polygon("NV03"), "EPSG:4326")
    feature = {"type": "Feature", "properties": {"area_id": "NV03", "area_name": "Östra"},
               "geometry": shapely.geometry.mapping(lonlat)}
    (ref / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    _assert_same_square(_areas()["NV03"][1], "NV03")
    # A correction whose CRS cannot be read is refused, and the loaded version stays.
    bad = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}},
           "features": [feature]}
    (ref / "areas.geojson").write_text(json.dumps(bad))
    [again] = ingest_folder("reference", runner).files
    assert (again.status, again.error_code) == ("rejected", "unknown_crs")
    assert "EPSG::99999" in again.message
    assert list(_areas()) == ["NV03"]


def test_area_deso_optional_share_area_names_and_deso_population(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    (ref / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Områdesnamn\n"
        "NV01;9001a0010;Centrum\n"      # lower case: normalised
        "NV01;9001A0020 Norrvik;Centrum\n"  # SCB's 'code name' form
        "NV02;90010020;Norra\n"         # not a DeSO code
        "NV02;9001B0030;Norra\n", encoding="utf-8")
    (ref / "deso_population.csv").write_text(
        "DeSO;År;Folkmängd\n9001A0010;2023;1200\n9001A0020;2023;800\n9001X0030;2023;500\n", encoding="utf-8")
    result = {f.file_name: f for f in ingest_folder("reference", runner).files}
    links, pop = result["area_deso.csv"], result["deso_population.csv"]
    assert (links.rows_in, links.rows_loaded, links.rows_quarantined) == (4, 3, 1)
    assert (pop.rows_in, pop.rows_loaded, pop.rows_quarantined) == (3, 2, 1)
    with connect(read_only=True) as con:
        rows = con.execute("SELECT omrades_id, deso, andel, omradesnamn FROM raw.area_deso ORDER BY deso").fetchall()
        assert rows == [("NV01", "9001A0010", None, "Centrum"), ("NV01", "9001A0020", None, "Centrum"),
                        ("NV02", "9001B0030", None, "Norra")]
        assert con.execute("SELECT deso, ar, folkmangd FROM raw.deso_population ORDER BY deso").fetchall() == [
            ("9001A0010", 2023, 1200), ("9001A0020", 2023, 800)]
    [bad_link] = _quarantine("area_deso.csv")
    assert bad_link[:3] == (4, "DeSO", "invalid_format")
    assert bad_link[3].startswith("fil 'area_deso.csv', rad 4, kolumn 'DeSO': '90010020' är ingen DeSO-kod")


def test_shares_outside_zero_to_one_are_quarantined(est_env: Path, runner) -> None:
    (_ref(est_env) / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;0,5\nNV02;9001A0010;0\nNV03;9001A0020;1,5\nNV03;9001A0030;\n",
        encoding="utf-8")
    [outcome] = ingest_folder("reference", runner).files
    assert (outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined) == (4, 2, 2)
    assert [(q[0], q[2]) for q in _quarantine("area_deso.csv")] == [(3, "value_out_of_range"), (4, "value_out_of_range")]
    with connect(read_only=True) as con:
        assert con.execute("SELECT deso, andel FROM raw.area_deso ORDER BY deso").fetchall() == [
            ("9001A0010", 0.5), ("9001A0030", None)]


def test_orphan_sidecar_and_unknown_names(est_env: Path, runner) -> None:
    ref = _ref(est_env)
    (ref / "areas.prj").write_text("GEOGCS[]")  # a part without its .shp: not a file of its own
    (ref / "Areas.GPKG").write_bytes(b"SQLite format 3\x00")
    result = ingest_folder("reference", runner)
    assert [(f.file_name, f.status, f.error_code) for f in result.files] == [
        ("Areas.GPKG", "rejected", "unknown_reference_file")]
    assert "döp om filen till 'areas.gpkg'" in result.files[0].message
