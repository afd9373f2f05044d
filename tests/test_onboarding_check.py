"""The onboarding check on real reference sets in tmp folders: each planted problem gives
its exact finding code; a clean set gives none and exit code 0; templates are written and,
filled in, make the set pass."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import Polygon

from est_pipeline.onboarding.check import run_check
from est_pipeline.onboarding.cli import main
from est_pipeline.settings import get_settings
from reference_support import (
    SWEREF99TM,
    area_polygon,
    areas_records,
    police_csv,
    write_clean_reference,
    write_gis,
)


@pytest.fixture
def landing(est_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean reference set and police extract; the partition start in effect follows the data."""
    monkeypatch.setenv("EST_PARTITION_START", "2023-03-06")
    write_clean_reference(est_env / "landing")
    return est_env / "landing"


def check(landing: Path, **kwargs):
    return run_check(landing, get_settings(), **kwargs)


def codes(result) -> dict[str, str]:
    """code -> severity of every finding."""
    return {f.code: f.severity for f in result.findings}


def test_clean_set_has_no_findings_and_exit_code_zero(landing: Path, capsys: pytest.CaptureFixture) -> None:
    result = check(landing)
    assert result.findings == []
    assert result.area_ids == ["NV01", "NV02", "NV03"] and result.area_source == "boundaries"
    assert result.suggestion is not None
    assert str(result.suggestion.partition_start) == "2023-03-06" and result.suggestion.first_week == "2023-W10"
    assert result.suggestion.first_period == ("2023-Q1", __import__("datetime").date(2023, 1, 1))
    assert main(["check", "--landing", str(landing)]) == 0
    out = capsys.readouterr().out
    assert "Inga fel och inga varningar." in out and "partition_start = 2023-03-06" in out
    assert "Resultat: 0 fel, 0 varningar (slutkod 0)." in out
    # The output ends with what to do next.
    assert out.rstrip().splitlines()[-1].startswith("  1. Referensdata är klara. Kör hela pipelinen på datan: make run")


def test_shares_of_a_split_deso_must_sum_to_one(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;0,6\nNV02;9001A0010;0,5\nNV02;9001A0020;\nNV03;9001B0030;\n"
        "NV03;9001B0031;0,5\n", encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"shares_do_not_sum_to_one": "error", "partial_deso_share": "warning"}
    [bad] = [f for f in result.findings if f.code == "shares_do_not_sum_to_one"]
    assert bad.details == ["9001A0010: NV01 0,6 + NV02 0,5 = 1,10 (rad 2, 3)"]
    assert result.exit_code == 1
    # A split DeSO with blank shares counts each as 1: 2, not 1.
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO\nNV01;9001A0010\nNV02;9001A0010\nNV02;9001A0020\nNV03;9001B0030\n", encoding="utf-8")
    assert codes(check(landing)) == {"shares_do_not_sum_to_one": "error"}


def test_a_partial_single_share_is_only_a_warning(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;1\nNV02;9001A0020;0,5\nNV03;9001B0030;\n", encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"partial_deso_share": "warning"} and result.exit_code == 0


def test_shares_outside_zero_one_and_bad_deso_codes_use_the_ingest_codes(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;1,5\nNV01;9001A0011;0\nNV02;9001A002;\nNV03;9001B0030;\n",
        encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"value_out_of_range": "error", "invalid_format": "error",
                             "area_without_deso": "error", "unlinked_municipal_deso": "warning"}
    [bad] = [f for f in result.findings if f.code == "value_out_of_range"]
    assert bad.file == "reference/area_deso.csv" and len(bad.details) == 2
    assert bad.details[0].startswith("fil 'area_deso.csv', rad 2, kolumn 'Andel': andelen 1,5 ligger utanför (0, 1]")


def test_areas_without_population_and_missing_years(landing: Path) -> None:
    (landing / "reference" / "population.csv").write_text(
        "Områdes-ID;År;Folkmängd\nNV01;2023;1000\nNV01;2024;1010\nNV02;2023;900\nNV09;2023;10\n", encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"area_without_population": "error", "population_years_missing": "warning",
                             "population_unknown_area": "warning"}
    by_code = {f.code: f for f in result.findings}
    assert by_code["area_without_population"].details == ["NV03 (Östra)"]
    assert by_code["population_years_missing"].details == ["2024: 1 område (NV02)"]


def test_a_crs_that_cannot_be_read(landing: Path) -> None:
    ref = landing / "reference"
    (ref / "areas.gpkg").unlink()
    write_gis(ref / "areas.shp", areas_records(["NV01", "NV02", "NV03"]),
              [area_polygon(a) for a in ("NV01", "NV02", "NV03")], None)
    (ref / "areas.prj").write_text('PROJCS["Okänt",GEOGCS[', encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"unknown_crs": "error", "areas_missing": "error"}
    [crs] = [f for f in result.findings if f.code == "unknown_crs"]
    assert crs.file == "reference/areas.shp" and "SWEREF 99 TM (EPSG:3006)" in crs.message


def test_invalid_empty_and_overlapping_geometries(landing: Path) -> None:
    ref = landing / "reference"
    bowtie = Polygon([(514000, 6578000), (516000, 6580000), (516000, 6578000), (514000, 6580000)])
    overlapping = area_polygon("NV02").buffer(100, join_style="mitre")
    write_gis(ref / "areas.gpkg", areas_records(["NV01", "NV02", "NV03", "NV04"]),
              [area_polygon("NV01"), overlapping, bowtie, Polygon()], SWEREF99TM)
    result = check(landing)
    assert codes(result) == {"invalid_geometry": "error", "invalid_polygon": "warning",
                             "overlapping_areas": "warning"}
    by_code = {f.code: f for f in result.findings}
    assert by_code["invalid_geometry"].details == [
        "fil 'areas.gpkg', rad 4, kolumn 'geometry': geometrin är tom"]
    assert by_code["invalid_polygon"].details[0].startswith("område NV03 (objekt 3): Self-intersection")
    assert [d.split(":")[0] for d in by_code["overlapping_areas"].details] == ["NV01 och NV02", "NV02 och NV03"]


def test_area_ids_that_do_not_match_between_files(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;0,6\nNV02;9001A0010;0,4\nNV02;9001A0020;\nNV07;9001B0030;\n",
        encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"area_not_in_boundaries": "error", "area_without_deso": "error"}
    by_code = {f.code: f for f in result.findings}
    assert by_code["area_not_in_boundaries"].details == ["NV07 (rad 5)"]
    assert by_code["area_without_deso"].details == ["NV03 (Östra)"]


def test_area_without_deso_is_a_warning_without_police_extract(landing: Path) -> None:
    shutil.rmtree(landing / "police_deso")
    (landing / "reference" / "area_deso.csv").write_text("Områdes-ID;DeSO\nNV01;9001A0010\nNV02;9001A0020\n")
    result = check(landing)
    assert codes(result) == {"area_without_deso": "warning", "no_data_dates": "warning"}
    assert result.suggestion is None and result.exit_code == 0


def test_deso_codes_of_two_municipalities_and_unlinked_municipal_deso(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\nNV01;9001A0010;\nNV02;9001A0020;\nNV03;9002B0030;\n", encoding="utf-8")
    (landing / "police_deso" / "brott_deso.csv").write_text(police_csv([
        ("P-1", "2023-03-08", "9001A0010", 2), ("P-2", "2023-03-09", "9001C0099", 3),
        ("P-3", "2023-03-10", "9001C0099", 1), ("P-4", "2023-03-10", "1880C1010", 5),
    ]), encoding="utf-8")
    result = check(landing)
    # NV03's Kommunkod (9001) is not the municipality of its DeSO (9002) either.
    assert codes(result) == {"multiple_municipalities": "warning", "unlinked_municipal_deso": "warning",
                             "municipality_code_mismatch": "warning"}
    [unlinked] = [f for f in result.findings if f.code == "unlinked_municipal_deso"]
    # 1880C1010 belongs to another municipality: not reported as the municipality's.
    assert unlinked.details == ["9001C0099: 4 brott"] and "(4 brott)" in unlinked.message
    assert "försvinner inte" in unlinked.message


def test_a_reexport_that_repeats_an_id_counts_the_crime_once(landing: Path, capsys: pytest.CaptureFixture) -> None:
    """As the pipeline counts: the latest file's row of an Id replaces the earlier ones."""
    (landing / "police_deso" / "brott_deso_2.csv").write_text(police_csv([
        ("P-1", "2023-03-08", "9001C0099", 2),  # P-1 moved from a linked DeSO to an unlinked one
        ("p-4 ", "2024-01-11", None, 1),       # the same Id as P-4, however written
        ("P-5", "2023-04-01", "9001C0099", 1),
    ]), encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"unlinked_municipal_deso": "warning"}
    [unlinked] = result.findings
    assert unlinked.details == ["9001C0099: 3 brott"]
    assert "9001A0010" not in result.police_deso_crimes and result.police_crimes_without_deso == 1
    assert result.police_repeated_rows == 2
    main(["check", "--landing", str(landing)])
    out = capsys.readouterr().out
    assert "2 filer, 7 rader, 6 brott" in out and "2 rader gäller brott som en senare fil levererar igen" in out


def test_missing_required_files(landing: Path) -> None:
    ref = landing / "reference"
    (ref / "area_deso.csv").unlink()
    (ref / "population.csv").unlink()
    result = check(landing)
    assert codes(result) == {"area_deso_missing": "error", "population_missing": "error"}
    [need] = [f for f in result.findings if f.code == "area_deso_missing"]
    assert "polisens brott" in need.message and "DeSO" in need.message
    (ref / "areas.gpkg").unlink()
    assert "areas_missing" in codes(check(landing))


def test_areas_defined_by_deso_lists_with_deso_population(landing: Path) -> None:
    ref = landing / "reference"
    (ref / "areas.gpkg").unlink()
    (ref / "population.csv").unlink()
    (ref / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel;Områdesnamn\nNV01;9001A0010;;Centrum\nNV01;9001A0020;;Centrum\n"
        "NV03;9001B0030;;Östra\n", encoding="utf-8")
    (ref / "deso_population.csv").write_text(
        "DeSO;År;Folkmängd\n" + "".join(f"{d};{y};1500\n" for d in ("9001A0010", "9001B0030") for y in (2023, 2024)),
        encoding="utf-8")
    result = check(landing)
    assert result.area_source == "area_deso" and result.area_ids == ["NV01", "NV03"]
    assert result.area_names == {"NV01": "Centrum", "NV03": "Östra"}
    assert codes(result) == {"deso_without_population": "warning"}
    assert [f.details for f in result.findings] == [["9001A0020"]]


def test_inventory_problems(landing: Path) -> None:
    ref = landing / "reference"
    feature = {"type": "Feature", "properties": {"area_id": "NV01", "area_name": "Centrum"},
               "geometry": {"type": "Polygon", "coordinates": [list(area_polygon("NV01").exterior.coords)]}}
    import json
    import os

    (ref / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    os.utime(ref / "areas.geojson", (1_600_000_000, 1_600_000_000))  # older than the GeoPackage
    (ref / "places.dbf").write_bytes(b"\x03")
    (ref / "Population.CSV").write_text("x")
    result = check(landing)
    assert codes(result) == {"multiple_files_for_table": "warning", "incomplete_shapefile": "error",
                             "unknown_reference_file": "error"}
    by_code = {f.code: f for f in result.findings}
    assert "Den som kom in sist, areas.gpkg, används" in by_code["multiple_files_for_table"].message
    assert "Döp om den till 'population.csv'" in by_code["unknown_reference_file"].message
    assert "places.shp saknas" in by_code["incomplete_shapefile"].message
    assert result.tables["areas"].path.name == "areas.gpkg"


def test_consistency_warnings_and_duplicates(landing: Path) -> None:
    ref = landing / "reference"
    recs = areas_records(["NV01", "NV02", "NV03", "NV03"])
    recs[1]["Kommunkod"] = "1880"
    write_gis(ref / "areas.gpkg", recs, [area_polygon(a) for a in ("NV01", "NV02", "NV03")] +
              [area_polygon("NV03").buffer(-10)], SWEREF99TM)
    (ref / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel;Områdesnamn\nNV01;9001A0010;0,6;Centrum\nNV02;9001A0010;0,4;Norr\n"
        "NV02;9001A0020;;Norra\nNV03;9001B0030;;\nNV03;9001B0030;;\n", encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"duplicate_area_id": "error", "overlapping_areas": "warning", "duplicate_link": "error",
                             "area_name_conflict": "warning", "municipality_code_mismatch": "warning"}


def test_national_extract_without_links_needs_the_municipality(landing: Path) -> None:
    (landing / "reference" / "area_deso.csv").unlink()
    ref_gpkg = landing / "reference" / "areas.gpkg"
    write_gis(ref_gpkg, areas_records(["NV01", "NV02", "NV03"], with_municipality=False),
              [area_polygon(a) for a in ("NV01", "NV02", "NV03")], SWEREF99TM)
    (landing / "police_deso" / "brott_deso.csv").write_text(police_csv([
        ("P-1", "2023-03-08", "9001A0010", 2), ("P-2", "2023-03-09", "1880C1010", 3)]), encoding="utf-8")
    result = check(landing)
    assert codes(result) == {"area_deso_missing": "error", "municipality_unknown": "warning"}
    assert "municipality_unknown" not in codes(check(landing, kommunkod={"9001"}))


def test_first_partition_follows_the_data_and_the_period_setting(est_env: Path) -> None:
    write_clean_reference(est_env / "landing")
    other = est_env / "landing" / "field_observations"
    other.mkdir(parents=True)
    (other / "obs.csv").write_text(
        "Datum;Plats-ID;Plats;Antal ungdomar;Stämning;Observation\n2023-02-01;NV01-P01;Torget;4;gul;Grupp\n",
        encoding="utf-8")
    result = run_check(est_env / "landing", get_settings(), analysis_period="tertial")
    s = result.suggestion
    assert (str(s.first_date), s.first_source, str(s.partition_start)) == (
        "2023-02-01", "field_observations/obs.csv", "2023-01-30")
    assert s.first_period[0] == "2023-T1" and s.last_period[0] == "2024-T1" and s.first_year == 2023
    # The default partition start (2019-12-30) is years before the data.
    [mismatch] = [f for f in result.findings if f.code == "partition_start_mismatch"]
    assert "2019-12-30" in mismatch.message and "--write-settings" in mismatch.message


def test_templates_prefilled_and_filled_in_they_pass(est_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("EST_PARTITION_START", "2023-03-06")
    landing = est_env / "landing"
    ref = write_clean_reference(landing)
    (ref / "area_deso.csv").unlink()
    (ref / "population.csv").unlink()
    police = landing / "police_deso" / "brott_deso.csv"
    police.write_text(police_csv([
        ("P-1", "2023-03-08", "9001A0010", 2), ("P-2", "2023-06-01", "9001A0020", 1),
        ("P-3", "2024-01-10", "9001B0030", 1)]), encoding="utf-8")
    # No links yet, so the municipality is told (one municipality in the extract is enough).
    assert main(["check", "--write-templates", str(est_env / "mallar")]) == 1
    out = capsys.readouterr().out
    assert "[FEL] area_deso_missing" in out and "[FEL] population_missing" in out
    assert "mallar/area_deso.csv (6 rader)" in out

    def rows(name: str) -> list[dict[str, str]]:
        with (est_env / "mallar" / name).open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))

    links = rows("area_deso.csv")
    assert [(r["Områdes-ID"], r["DeSO"]) for r in links] == [
        ("NV01", ""), ("NV02", ""), ("NV03", ""), ("", "9001A0010"), ("", "9001A0020"), ("", "9001B0030")]
    assert links[3]["Att göra"].startswith("2 brott i polisens extrakt")
    population = rows("population.csv")
    assert [(r["Områdes-ID"], r["År"], r["Folkmängd"]) for r in population][:2] == [("NV01", "2023", ""),
                                                                                  ("NV01", "2024", "")]
    assert len(population) == 6 and len(rows("deso_population.csv")) == 6
    assert "area_deso.csv" in (est_env / "mallar" / "README.md").read_text(encoding="utf-8")

    # The analyst fills them in (Excel keeps the BOM and the note column) and drops them in.
    fill = {"9001A0010": "NV01", "9001A0020": "NV02", "9001B0030": "NV03"}
    with (ref / "area_deso.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Områdes-ID", "DeSO", "Andel", "Områdesnamn", "Att göra"])
        for r in links:
            if r["DeSO"]:
                w.writerow([fill[r["DeSO"]], r["DeSO"], "", "", ""])
    with (ref / "population.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Områdes-ID", "År", "Folkmängd", "Att göra"])
        for r in population:
            w.writerow([r["Områdes-ID"], r["År"], "1200", ""])
    assert main(["check"]) == 0
    assert "Inga fel och inga varningar." in capsys.readouterr().out


def test_templates_are_never_written_into_landing(landing: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check", "--write-templates", str(landing / "reference")]) == 2
    assert "landningsmappen" in capsys.readouterr().err
    assert not (landing / "reference" / "README.md").exists()


def test_the_command_runs_as_a_module(landing: Path) -> None:
    (landing / "reference" / "population.csv").unlink()
    done = subprocess.run([sys.executable, "-m", "est_pipeline.onboarding", "check", "--landing", str(landing)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 1, done.stderr
    assert "[FEL] population_missing" in done.stdout
    assert "Resultat: 1 fel, 0 varningar (slutkod 1).\n\nNästa steg:\n  1. Rätta felen ovan" in done.stdout


def test_every_finding_code_is_explained_on_both_onboarding_pages() -> None:
    from est_pipeline.ingest.partner_docs import ERRORS_SV
    from est_pipeline.onboarding.findings import RULES
    from est_pipeline.settings import REPO_ROOT

    ingest_codes = {"unknown_crs", "unparseable_file", "ambiguous_layer", "incomplete_shapefile", "invalid_geometry",
                    "invalid_coordinates", "invalid_format", "value_out_of_range", "missing_value",
                    "missing_required_column", "unknown_reference_file"}
    assert ingest_codes <= set(ERRORS_SV)
    for page in ("onboarding.md", "onboarding.sv.md"):
        text = (REPO_ROOT / "docs" / page).read_text(encoding="utf-8")
        missing = [c for c in (*RULES, *ingest_codes) if f"`{c}`" not in text]
        assert not missing, (page, missing)
        assert "issue" not in text.lower()
