"""The police-only demo profile writes the police's real DeSO extract format, its quirks
and re-exports, GeoPackage boundaries and DeSO links, and a ground truth that matches.

The files are read back with plain readers (``csv``, pyogrio, shapely) and counted
independently of the generator's bookkeeping.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import shapely
from pyogrio import raw as ogr_raw

from est_pipeline.demo import PoliceOnlyConfig, generate, generate_profile
from est_pipeline.demo.cli import main as cli_main
from est_pipeline.demo.register import HEADER as REGISTER_HEADER
from est_pipeline.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"
HEADER_LINE = '"","Id","Brottskod","Brottskod.klartext","Inskrivningsdatum","Brottsdatum","Kommun","Län","DeSO.område","Antal"'
FIELD = r'(?:"(?:[^"]|"")*"|NA)'
R_LINE = re.compile(rf"^{FIELD}(?:,{FIELD})*$")
REAL = {"0180": ("Stockholm", "Stockholms län"), "1480": ("Göteborg", "Västra Götalands län"),
        "1280": ("Malmö", "Skåne län"), "1880": ("Örebro", "Örebro län"), "1883": ("Karlskoga", "Örebro län")}
EXPECTED_FILES = {
    "ground_truth/truth.json",
    "landing/police_deso/brott_deso_2025-01-15_riket.csv",
    "landing/police_deso/brott_deso_2025-07-10_orebro_lan.csv",
    "landing/police_deso/brott_deso_2026-01-20_orebro_lan.csv",
    "landing/reference/areas.gpkg",
    "landing/reference/area_deso.csv",
    "landing/reference/deso_population.csv",
    "later/interventions/insatsregister.csv",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("police_only")
    generate(out, PoliceOnlyConfig(seed=42))
    return out


@pytest.fixture(scope="module")
def truth(demo: Path) -> dict:
    return json.loads((demo / "ground_truth" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_codes() -> dict[str, dict[str, str]]:
    with (SEEDS / "police_crime_codes.csv").open(encoding="utf-8", newline="") as fh:
        return {r["crime_code"]: r for r in csv.DictReader(fh)}


def _extract(path: Path) -> list[dict[str, str]]:
    """Rows as written: an unquoted NA stays the string "NA", a blank field is ""."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return [dict(zip(header, r)) for r in reader]


def _extracts(demo: Path) -> list[Path]:
    return sorted((demo / "landing" / "police_deso").iterdir())


def _semicolon(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- the run --------------------------------------------------------------------------------

def test_cli_profile_writes_exactly_the_police_only_files(tmp_path: Path, capsys) -> None:
    assert cli_main(["--profile", "police_only", "--out", str(tmp_path), "--seed", "5"]) == 0
    assert "police_only" in capsys.readouterr().out
    assert _all_files(tmp_path) == EXPECTED_FILES
    assert cli_main(["--profile", "police_only", "--out", str(tmp_path), "--weeks", "8"]) == 2
    assert "--weeks" in capsys.readouterr().err
    with pytest.raises(ValueError, match="10 to 14"):
        PoliceOnlyConfig(areas=9)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_profile(again, "police_only", seed=42)
    files = _all_files(demo)
    assert files == _all_files(again) == EXPECTED_FILES
    for f in sorted(files):
        assert (demo / f).read_bytes() == (again / f).read_bytes(), f
    other = tmp_path / "other"
    generate(other, PoliceOnlyConfig(seed=43))
    f = "landing/police_deso/brott_deso_2025-01-15_riket.csv"
    assert (demo / f).read_bytes() != (other / f).read_bytes()


def test_switching_profiles_in_one_folder_leaves_nothing_stale(tmp_path: Path) -> None:
    from est_pipeline.demo import DemoConfig

    generate(tmp_path, DemoConfig(seed=3, areas=4, weeks=6))
    generate(tmp_path, PoliceOnlyConfig(seed=3))
    assert _all_files(tmp_path) == EXPECTED_FILES
    generate(tmp_path, DemoConfig(seed=3, areas=4, weeks=6))
    reference = {p.name for p in (tmp_path / "landing" / "reference").iterdir()}
    assert reference == {"areas.geojson", "places.geojson", "addresses.csv", "population.csv", "area_deso.csv"}


# --- the extract's format and quirks ------------------------------------------------------------

def test_extract_is_written_as_r_writes_csv(demo: Path, truth: dict) -> None:
    for path in _extracts(demo):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        lines = data.decode("utf-8").split("\n")
        assert lines[0] == HEADER_LINE and lines[-1] == ""
        body = lines[1:-1]
        assert all(R_LINE.match(line) for line in body), path.name
        assert [line.split(",", 1)[0] for line in body] == [f'"{i}"' for i in range(1, len(body) + 1)]
        rows = _extract(path)
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["Inskrivningsdatum"]) for r in rows)
        assert all(r["Antal"].isdigit() and int(r["Antal"]) >= 1 for r in rows)
        desos = [r["DeSO.område"] for r in rows if r["DeSO.område"] not in ("", "NA")]
        assert all(re.fullmatch(r"\d{4}[A-C]\d{4}", d) for d in desos)
    assert [f["file_name"] for f in truth["files"]] == [p.name for p in _extracts(demo)]
    assert truth["delivery_order"]["files"] == sorted(truth["delivery_order"]["files"])
    delivered = [f["delivered"] for f in truth["files"]]
    assert delivered == sorted(delivered) and len(set(delivered)) == len(delivered)


def _count_quirks(rows: list[dict[str, str]], codes: dict, muni: str, linked: set[str]) -> dict:
    q: Counter = Counter()
    by_cat: Counter = Counter()
    other: Counter = Counter()
    for r in rows:
        crime, reg = r["Brottsdatum"], date.fromisoformat(r["Inskrivningsdatum"])
        if crime == "":
            q["brottsdatum_blank"] += 1
        elif crime == "NA":
            q["brottsdatum_na"] += 1
        else:
            lag = (reg - date.fromisoformat(crime)).days
            key = ("brottsdatum_later" if lag < 0 else "brottsdatum_same_day" if lag == 0
                   else "brottsdatum_earlier_1_30_days" if lag <= 30
                   else "brottsdatum_earlier_31_364_days" if lag < 365 else "brottsdatum_earlier_365_days_or_more")
            q[key] += 1
        deso = r["DeSO.område"]
        if deso == "":
            q["deso_blank"] += 1
        elif deso == "NA":
            q["deso_na"] += 1
        elif deso.startswith(muni):
            q["own_municipality_deso"] += 1
            q["own_municipality_deso_not_linked"] += deso not in linked
        else:
            q["other_municipality_deso"] += 1
            other[deso[:4]] += 1
        q["kommun_blank_lan_present"] += r["Kommun"] == "" and r["Län"] != ""
        code = r["Brottskod"]
        q["crime_code_leading_zero_lost"] += len(code) < 4
        entry = codes.get(code.zfill(4))
        if entry is None:
            q["crime_code_unknown"] += 1
        elif entry["decision"] == "tracked":
            q["crime_code_tracked"] += 1
            by_cat[entry["category"]] += 1
        else:
            q["crime_code_not_tracked"] += 1
        q["antal_above_1"] += int(r["Antal"]) > 1
        q["antal_total"] += int(r["Antal"])
    out = {k: int(v) for k, v in q.items()}
    out["crime_code_tracked_by_category"] = dict(by_cat)
    out["other_municipality_deso_by_code"] = dict(other)
    return out


def test_planted_quirks_in_the_files_match_the_ground_truth(demo: Path, truth: dict, seed_codes: dict) -> None:
    muni = truth["municipality"]["code"]
    linked = {r["DeSO"] for r in _semicolon(demo / "landing" / "reference" / "area_deso.csv")}
    totals: Counter = Counter()
    for rec in truth["files"]:
        rows = _extract(demo / "landing" / "police_deso" / rec["file_name"])
        assert len(rows) == rec["rows"]
        mine = _count_quirks(rows, seed_codes, muni, linked)
        claimed = {k: v for k, v in rec["quirks"].items()
                   if k not in ("own_municipality_rows", "repeated_identical", "repeated_corrected")}
        assert {k: v for k, v in mine.items() if v} == {k: v for k, v in claimed.items() if v}, rec["file_name"]
        totals.update({k: v for k, v in mine.items() if isinstance(v, int)})
    for quirk in ("brottsdatum_blank", "brottsdatum_na", "brottsdatum_earlier_1_30_days",
                  "brottsdatum_earlier_31_364_days", "brottsdatum_earlier_365_days_or_more",
                  "brottsdatum_later", "deso_blank", "deso_na", "kommun_blank_lan_present",
                  "own_municipality_deso_not_linked", "crime_code_not_tracked", "crime_code_unknown",
                  "crime_code_leading_zero_lost", "antal_above_1"):
        assert totals[quirk] > 0, quirk
    # Most reports are registered within a month of the crime.
    assert totals["brottsdatum_same_day"] + totals["brottsdatum_earlier_1_30_days"] > 0.8 * sum(
        rec["rows"] for rec in truth["files"])


def test_the_national_file_holds_other_municipalities_with_their_real_codes(demo: Path, truth: dict) -> None:
    muni, name, county = (truth["municipality"][k] for k in ("code", "name", "county"))
    assert muni == "9002" and muni not in REAL
    first = _extract(_extracts(demo)[0])
    desos = [r["DeSO.område"] for r in first if r["DeSO.område"] not in ("", "NA")]
    own = sum(d.startswith(muni) for d in desos)
    assert len(desos) - own >= own > 1000
    assert {d[:4] for d in desos} == set(REAL) | {muni}
    for r in [r for p in _extracts(demo) for r in _extract(p)]:
        deso, kommun = r["DeSO.område"], r["Kommun"]
        if deso in ("", "NA") or kommun == "":
            continue
        expected = (name, county) if deso.startswith(muni) else REAL[deso[:4]]
        assert (kommun, r["Län"]) == expected, r
    # The county re-exports carry only the county's municipalities.
    for path in _extracts(demo)[1:]:
        assert {r["Län"] for r in _extract(path)} == {county}


def test_reexports_overlap_by_id_and_the_ground_truth_names_every_repeat(demo: Path, truth: dict) -> None:
    latest: dict[str, tuple[str, dict]] = {}
    kinds: Counter = Counter()
    for rec in truth["files"]:
        rows = _extract(demo / "landing" / "police_deso" / rec["file_name"])
        ids = [r["Id"] for r in rows]
        assert len(ids) == len(set(ids)), rec["file_name"]
        same, changed = set(), {}
        for r in rows:
            body = {k: v for k, v in r.items() if k}
            if r["Id"] in latest:
                prev_file, prev = latest[r["Id"]]
                if prev == body:
                    same.add(r["Id"])
                else:
                    changed[r["Id"]] = (prev_file, {k: [prev[k], body[k]] for k in body if prev[k] != body[k]})
            latest[r["Id"]] = (rec["file_name"], body)
        assert same == set(rec["repeated_identical_ids"]), rec["file_name"]
        na = lambda v: "NA" if v is None else v  # noqa: E731 - the truth writes NA as null
        claimed = {c["id"]: (c["previous_file"], {k: [na(a), na(b)] for k, (a, b) in c["changes"].items()})
                   for c in rec["corrected"]}
        assert changed == claimed, rec["file_name"]
        kinds.update(k for c in rec["corrected"] for k in c["kinds"])
        if rec["delivery_index"] > 1:
            assert len(same) > 100 and len(changed) > 10
    assert {"deso_filled", "code_changed", "deso_changed", "antal_changed", "brottsdatum_filled"} <= set(kinds)
    # Some Ids come back in a file that does not directly follow their first delivery.
    last = truth["files"][-1]
    assert any(c["previous_file"] == truth["files"][0]["file_name"] for c in last["corrected"])
    assert truth["ids"]["distinct"] == len(latest)
    assert truth["ids"]["repeated_rows"] == sum(f["rows"] for f in truth["files"]) - len(latest)


# --- the crime codes come from the seed -------------------------------------------------------

def test_codes_cover_every_part_of_the_seed(demo: Path, truth: dict, seed_codes: dict) -> None:
    muni = truth["municipality"]["code"]
    unknown = {u["code"]: u["text"] for u in truth["crime_codes"]["unknown_codes_planted"]}
    own_parts: set[str] = set()
    for path in _extracts(demo):
        for r in _extract(path):
            code = r["Brottskod"].zfill(4)
            assert code in seed_codes or code in unknown, code
            text = seed_codes[code]["crime_code_text"] if code in seed_codes else unknown[code]
            assert r["Brottskod.klartext"] == text
            if r["DeSO.område"].startswith(muni):
                entry = seed_codes.get(code)
                own_parts.add("unknown" if entry is None else entry["category"] or entry["decision"])
    categories = {r["category"] for r in seed_codes.values() if r["decision"] == "tracked"}
    assert own_parts == categories | {"not_tracked", "unknown"}
    assert set(truth["crime_codes"]["categories"]) == categories


def test_the_generator_reads_the_code_list_when_it_runs(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "police_crime_codes.csv").write_text(
        "crime_code,crime_code_text,category,decision,reason\n"
        "0123,Påhittad misshandel,assault,tracked,test\n"
        "4567,Påhittat klotter,graffiti,tracked,test\n"
        "4568,Påhittat klotter på tåg,graffiti,tracked,test\n"
        "7654,Påhittat trafikbrott,,not_tracked,test\n", encoding="utf-8")
    out = tmp_path / "out"
    generate(out, PoliceOnlyConfig(seed=1, seeds_dir=seeds))
    codes = Counter(r["Brottskod"].zfill(4) for p in _extracts(out) for r in _extract(p))
    assert set(codes) - {"9999", "8899"} == {"0123", "4567", "4568", "7654"}
    texts = {r["Brottskod.klartext"] for p in _extracts(out) for r in _extract(p)}
    assert "Påhittat trafikbrott" in texts
    (seeds / "police_crime_codes.csv").write_text(
        "crime_code,crime_code_text,category,decision,reason\n0123,X,no_such_category,tracked,test\n",
        encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_category"):
        generate(out, PoliceOnlyConfig(seed=1, seeds_dir=seeds))


# --- reference data -------------------------------------------------------------------------

def test_reference_is_a_geopackage_and_deso_links_with_every_kind_of_link(demo: Path, truth: dict) -> None:
    ref = demo / "landing" / "reference"
    assert {p.name for p in ref.iterdir()} == {"areas.gpkg", "area_deso.csv", "deso_population.csv"}
    meta, _, wkb, fields = ogr_raw.read(ref / "areas.gpkg")
    assert meta["crs"] == "EPSG:3006" and meta["geometry_type"] == "Polygon"
    assert list(meta["fields"]) == ["Områdes-ID", "Områdesnamn"]
    area_ids = list(fields[0])
    polys = shapely.from_wkb(wkb)
    assert 10 <= len(area_ids) <= 14 and len(set(area_ids)) == len(area_ids)
    assert all(p.is_valid and p.area > 300_000 for p in polys)
    assert not any(a.intersects(b) for i, a in enumerate(polys) for b in polys[i + 1:])
    e, n = shapely.get_coordinates(polys).T
    assert 200_000 < e.min() and e.max() < 1_000_000 and 6_100_000 < n.min() and n.max() < 7_700_000

    muni = truth["municipality"]["code"]
    raw = (ref / "area_deso.csv").read_text(encoding="utf-8")
    assert raw.splitlines()[0] == "Områdes-ID;DeSO;Andel" and "," in raw and "." not in raw
    links = _semicolon(ref / "area_deso.csv")
    assert {r["Områdes-ID"] for r in links} == set(area_ids)
    shares: dict[str, list[float]] = {}
    for r in links:
        assert re.fullmatch(rf"{muni}[A-C]\d{{4}}", r["DeSO"])
        shares.setdefault(r["DeSO"], []).append(float(r["Andel"].replace(",", ".")))
    whole = [d for d, s in shares.items() if s == [1.0]]
    split = [d for d, s in shares.items() if len(s) == 2]
    partial = [d for d, s in shares.items() if len(s) == 1 and s[0] < 1]
    assert len(whole) >= len(area_ids) - 3
    assert split and all(abs(sum(shares[d]) - 1) < 1e-9 for d in split)
    assert partial and all(0 < shares[d][0] < 1 for d in partial)

    pop = _semicolon(ref / "deso_population.csv")
    pop_desos = {r["DeSO"] for r in pop}
    assert set(shares) < pop_desos  # some DeSOs of the municipality belong to no area
    assert {r["År"] for r in pop} == {"2024", "2025"}
    assert len(pop) == 2 * len(pop_desos) and all(700 <= int(r["Folkmängd"]) <= 3500 for r in pop)
    unlinked = pop_desos - set(shares)
    assert unlinked == set(truth["deso"]["unlinked"])
    used = {r["DeSO.område"] for p in _extracts(demo) for r in _extract(p)}
    assert unlinked <= used  # crimes happen there too, and must end up in no area


def test_interventions_wait_outside_landing(demo: Path, truth: dict) -> None:
    assert not (demo / "landing" / "interventions").exists()
    path = demo / "later" / "interventions" / "insatsregister.csv"
    text = path.read_bytes().decode("cp1252")
    assert text.splitlines()[0] == ";".join(REGISTER_HEADER)
    rows = _semicolon(path, "cp1252")
    areas = {r["Områdes-ID"] for r in rows}
    assert 3 <= len(areas) <= 4 and areas <= {a["area_id"] for a in truth["areas"]}
    starts = [date.fromisoformat(r["Startdatum"]) for r in rows]
    assert len(set(starts)) == len(starts) and all(s.weekday() == 0 for s in starts)
    with (SEEDS / "intervention_types.csv").open(encoding="utf-8") as fh:
        assert {r["Insatstyp"] for r in rows} <= {t["intervention_type_sv"] for t in csv.DictReader(fh)}
    assert all(r["Plats-ID"] == "" for r in rows)
    assert sorted(areas) == truth["interventions"]["treated_areas"]


def test_ground_truth_states_the_period_and_no_expected_counts(demo: Path, truth: dict) -> None:
    regs = [r["Inskrivningsdatum"] for p in _extracts(demo) for r in _extract(p)]
    assert truth["profile"] == "police_only"
    assert truth["period"] == {"first_registration_date": min(regs), "last_registration_date": max(regs)}
    assert (date.fromisoformat(max(regs)) - date.fromisoformat(min(regs))).days > 700
    text = json.dumps(truth)
    assert "expected" not in text and "crimes_per_area" not in text
