"""The demo generator writes realistic partner files and a ground truth that matches them.

Checks read the files back with plain readers (pandas, openpyxl, json, shapely) and count
independently of the generator's own bookkeeping: a flaw the ground truth claims must be
findable in the file, and nothing the file holds may be missing from the ground truth.
"""

from __future__ import annotations

import filecmp
import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from est_pipeline.demo import DEFAULT_EFFECTS, DemoConfig, generate
from est_pipeline.demo.cli import main as cli_main
from est_pipeline.demo.freetext import luhn_valid
from est_pipeline.settings import DBT_PROJECT_DIR

# 12 areas x 60 weeks from 2020-W30: crosses the 2020/2021 year end and ISO week 2020-W53.
SMALL = DemoConfig(seed=7, areas=12, start_week="2020-W30", weeks=60)

HEADERS = {
    "police_local": "Händelsenummer;Händelsetid;Brottskod;Händelsetyp;Plats;Nord;Öst",
    "police_deso": '"","Id","Brottskod","Brottskod.klartext","Inskrivningsdatum","Brottsdatum",'
                   '"Kommun","Län","DeSO.område","Antal"',
    "fault_reports": "Ärendenummer;Registrerad;Ärendetyp;Beskrivning;Adress;Kommun;Latitud;Longitud",
    "field_observations": "Datum;Plats-ID;Plats;Antal ungdomar;Stämning;Observation;Kommentar",
    "checklist": "Vecka;Partner;Områdes-ID;Plats-ID;Checklistpunkt;Bedömning;Kommentar;Inskickad",
    "interventions": "Insats-ID;Beslutsdatum;Områdes-ID;Plats-ID;Insatstyp;Ansvarig;Startdatum;"
                     "Slutdatum;Intensitet;Kostnad (kr);Beskrivning",
    "safety_survey": "Svars-ID,År,Områdes-ID,Åldersgrupp,Trygg_dag,Trygg_kvall,Oro_brott,Problem_ordning",
}
XLSX_HEADERS = {
    "property_incidents": ("Ärende-ID", "Datum", "Ärendetyp", "Adress", "Kommun", "Fastighet", "Kostnad (kr)",
                           "Beskrivning"),
    "checklist": tuple(HEADERS["checklist"].split(";")),
}
PNR = re.compile(r"(?<![\d])(?:\d{8}|\d{6})[-+]?\d{4}(?![\d])")
PHONE = re.compile(r"(?:\+46 7\d|07\d|08)[- ]\d{3} \d{2,3} \d{2}")
EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
REGNR = re.compile(r"\b[A-Z]{3} ?\d{2}[\dA-Z]\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out, SMALL)
    return out


@pytest.fixture(scope="module")
def truth(demo: Path) -> dict:
    return json.loads((demo / "ground_truth" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mapping() -> pd.DataFrame:
    """Every source type on a list: the partners' mapping and the police's code lists
    (category empty where a code is deliberately not tracked)."""
    seeds = DBT_PROJECT_DIR / "seeds"
    codes = pd.read_csv(seeds / "police_crime_codes.csv", dtype=str)
    types = pd.read_csv(seeds / "police_event_types.csv", dtype=str)
    return pd.concat([
        pd.read_csv(seeds / "category_mapping.csv", dtype=str),
        pd.DataFrame({"source": "police_deso", "source_type": codes["crime_code"], "category": codes["category"]}),
        pd.DataFrame({"source": "police_events", "source_type": types["event_type"], "category": types["category"]}),
    ], ignore_index=True)


def _files(demo: Path, feed: str, suffix: str = "") -> list[Path]:
    return sorted(p for p in (demo / "landing" / feed).iterdir() if p.name.endswith(suffix))


def _read_csv(path: Path, sep: str, encoding: str) -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False)


def _read_xlsx(path: Path) -> tuple[list[tuple], int]:
    """Data rows and the spreadsheet row number of the header (1, or 2 under a title row)."""
    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    header_at = 0 if len(rows[0]) > 1 and rows[0][1] is not None else 1
    width = len(rows[header_at])  # trailing empty cells are not stored: pad them back
    return [tuple(r) + (None,) * (width - len(r)) for r in rows[header_at:]], header_at + 1


def _police_local(demo: Path) -> pd.DataFrame:
    frames = []
    for p in _files(demo, "police_local"):
        df = _read_csv(p, ";", "utf-8-sig")
        df["file"] = p.name
        df["row"] = np.arange(2, len(df) + 2)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    df["x"] = df["Öst"].str.replace(",", ".").astype(float)
    df["y"] = df["Nord"].str.replace(",", ".").astype(float)
    return df


def _places(demo: Path) -> tuple[list[str], list, list[str], list]:
    ref = demo / "landing" / "reference"
    places = json.loads((ref / "places.geojson").read_text(encoding="utf-8"))["features"]
    areas = json.loads((ref / "areas.geojson").read_text(encoding="utf-8"))["features"]
    return ([f["properties"]["place_id"] for f in places], [shapely.geometry.shape(f["geometry"]) for f in places],
            [f["properties"]["area_id"] for f in areas], [shapely.geometry.shape(f["geometry"]) for f in areas])


def _locate(ids: list[str], polys: list, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.full(len(x), None, dtype=object)
    for pid, poly in zip(ids, polys):
        out[shapely.contains_xy(poly, x, y)] = pid
    return out


def _parse_minute(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d %H:%M", errors="coerce")


def _impossible(when: pd.Series, parsed: pd.Series) -> np.ndarray:
    """Unparseable, before 1900, or years after the demo period: what a validator rejects."""
    return (parsed.isna() | (parsed.dt.year < 1900) | (parsed.dt.year > 2025)).to_numpy()


# --- determinism and the CLI -------------------------------------------------------------

def test_same_seed_gives_identical_bytes_and_another_seed_differs(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, SMALL)
    cmp = filecmp.dircmp(demo, again)

    def walk(c: filecmp.dircmp) -> list[str]:
        bad = c.left_only + c.right_only + c.diff_files + c.funny_files
        for sub in c.subdirs.values():
            bad += walk(sub)
        return bad

    # dircmp compares shallowly by stat; compare every file's bytes explicitly.
    files = sorted(p.relative_to(demo) for p in demo.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert not walk(cmp)
    assert all((demo / f).read_bytes() == (again / f).read_bytes() for f in files)

    other = tmp_path / "other"
    generate(other, DemoConfig(seed=8, areas=12, start_week="2020-W30", weeks=60))
    f = "landing/interventions/insatsregister.csv"
    assert (demo / f).read_bytes() != (other / f).read_bytes()


def test_cli_writes_to_the_settings_data_dir_and_prints_a_summary(est_env: Path, capsys) -> None:
    assert cli_main(["--areas", "12", "--weeks", "8", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "police_local" in printed and " s" in printed
    assert (est_env / "ground_truth" / "truth.json").is_file()
    assert any((est_env / "landing" / "police_local").iterdir())


def test_bad_config_is_refused_with_a_clear_message(capsys) -> None:
    with pytest.raises(ValueError, match="2020-W54"):
        DemoConfig(start_week="2020-W54")
    assert cli_main(["--out", "/tmp/never-written", "--start-week", "W01-2020"]) == 2
    assert "2020-W01" in capsys.readouterr().err


# --- formats --------------------------------------------------------------------------

def test_every_feed_has_files_with_the_contract_header(demo: Path, truth: dict) -> None:
    for feed, header in HEADERS.items():
        files = [p for p in _files(demo, feed) if p.suffix == ".csv"]
        assert files, feed
        for p in files:
            raw = p.read_bytes()
            encoding = "cp1252" if feed in ("fault_reports", "checklist", "interventions") else "utf-8-sig"
            first = raw.decode(encoding).splitlines()[0]
            assert first == header, (p.name, first)
    for feed, header in XLSX_HEADERS.items():
        files = _files(demo, feed, ".xlsx")
        assert files, feed
        for p in files:
            rows, _ = _read_xlsx(p)
            assert rows[0] == header, p.name
    # Rows per file in the ground truth are the data rows actually in the file.
    for rec in truth["files"]:
        p = demo / "landing" / rec["feed"] / rec["file_name"]
        if p.suffix == ".xlsx":
            n = len(_read_xlsx(p)[0]) - 1
        elif p.suffix == ".json":
            n = len(json.loads(p.read_text(encoding="utf-8")))
        elif p.suffix == ".geojson":
            n = len(json.loads(p.read_text(encoding="utf-8"))["features"])
        else:
            n = len(p.read_bytes().splitlines()) - 1
        assert n == rec["rows"], rec


def test_encodings_bom_and_decimal_commas(demo: Path) -> None:
    for p in _files(demo, "police_local"):
        assert p.read_bytes().startswith(b"\xef\xbb\xbf"), p.name
    fault = _files(demo, "fault_reports")
    raw = b"".join(p.read_bytes() for p in fault)
    assert "Ärendenummer".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    df = pd.concat([pd.read_csv(p, sep=";", encoding="cp1252", decimal=",") for p in fault])
    assert df["Latitud"].dtype == float and df["Longitud"].dtype == float
    assert df["Latitud"].between(55, 70).all() and df["Longitud"].between(10, 25).all()
    assert all(re.fullmatch(r"\d+,\d{6}", v) for v in pd.concat(
        [_read_csv(p, ";", "cp1252") for p in fault])["Latitud"])
    # Decimal-comma and integer coordinates both occur in the police extract.
    local = _police_local(demo)
    assert local["Nord"].str.contains(",").any() and (~local["Nord"].str.contains(",")).any()
    deso = pd.read_csv(_files(demo, "police_deso")[0], dtype=str)
    assert deso["DeSO.område"].dropna().str.fullmatch(r"\d{4}[A-C]\d{4}").all()
    assert deso["Brottskod"].str.fullmatch(r"\d{4}").all()
    assert b",NA," in b"".join(p.read_bytes() for p in _files(demo, "police_deso"))
    titled = [p for p in _files(demo, "property_incidents") if _read_xlsx(p)[1] == 2]
    assert 0 < len(titled) < len(_files(demo, "property_incidents"))
    # A plain pandas reader gets typed columns: timestamps and SEK amounts.
    sheet = pd.read_excel(titled[0], header=1)
    assert list(sheet.columns) == list(XLSX_HEADERS["property_incidents"])
    assert pd.api.types.is_float_dtype(sheet["Kostnad (kr)"]) and sheet["Kostnad (kr)"].notna().any()
    assert sum(isinstance(v, datetime) for v in sheet["Datum"]) >= len(sheet) - 2


def test_events_api_json_has_its_quirks(demo: Path, truth: dict, mapping: pd.DataFrame) -> None:
    records = [r for p in _files(demo, "police_events") for r in json.loads(p.read_text(encoding="utf-8"))]
    assert records
    assert all(set(r) == {"id", "datetime", "name", "summary", "url", "type", "location"} for r in records)
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2} (\d{1,2}):\d{2}:\d{2} \+0[12]:00$")
    assert all(stamp.match(r["datetime"]) for r in records)
    assert any(len(stamp.match(r["datetime"]).group(1)) == 1 for r in records)  # 7:32, not 07:32
    assert all(r["url"].startswith("/aktuellt/handelser/") for r in records)
    assert sum(r["type"] == "Sammanfattning natt" for r in records) > len(records) / 5
    assert all(re.fullmatch(r"-?\d+\.\d+,-?\d+\.\d+", r["location"]["gps"]) for r in records)
    crossing = [r for r in records if r["name"].startswith("31 december") and r["datetime"][5:10] == "01-01"]
    assert crossing
    known = set(mapping.loc[mapping["source"] == "police_events", "source_type"])
    unknown = sum(r["type"] not in known and r["type"] != "Sammanfattning natt" for r in records)
    assert unknown == truth["dirt"]["police_events"]["unknown_type"] > 0


def test_reference_geography_is_consistent(demo: Path) -> None:
    ref = demo / "landing" / "reference"
    areas_doc = json.loads((ref / "areas.geojson").read_text(encoding="utf-8"))
    assert areas_doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::3006"
    place_ids, place_polys, area_ids, area_polys = _places(demo)
    assert len(area_ids) == 12
    assert not any(a.intersects(b) for i, a in enumerate(area_polys) for b in area_polys[i + 1:])
    places = json.loads((ref / "places.geojson").read_text(encoding="utf-8"))["features"]
    by_area = dict(zip(area_ids, area_polys))
    kinds = {f["properties"]["place_kind"] for f in places}
    assert kinds == {"square", "park", "school_yard", "bus_stop", "shopping_centre", "stairwell",
                     "laundry_room", "garage", "shop"}
    for f, poly in zip(places, place_polys):
        assert by_area[f["properties"]["area_id"]].contains(poly), f["properties"]["place_id"]
        assert re.fullmatch(r"NV\d{2}-P\d{2}", f["properties"]["place_id"])
    addresses = _read_csv(ref / "addresses.csv", ";", "utf-8")
    assert set(addresses["Plats-ID"]) == set(place_ids)
    assert not addresses["Adress"].duplicated().any()
    pop = _read_csv(ref / "population.csv", ";", "utf-8")
    assert pop["Folkmängd"].astype(int).between(700, 7000).all()
    links = _read_csv(ref / "area_deso.csv", ";", "utf-8")
    assert set(links["Områdes-ID"]) == set(area_ids)
    assert links["DeSO"].str.fullmatch(r"9001[A-C]\d{4}").all()


def test_week_53_and_the_year_end_are_in_the_data(demo: Path) -> None:
    local = _police_local(demo)
    times = _parse_minute(local["Händelsetid"])
    assert ((times >= "2020-12-28") & (times < "2021-01-04")).sum() > 0
    assert (times.dt.year == 2020).any() and (times.dt.year == 2021).any()
    weeks = pd.concat([_read_csv(p, ";", "cp1252") for p in _files(demo, "checklist", ".csv")])["Vecka"]
    assert "2020-W53" in set(weeks)


# --- planted flaws ---------------------------------------------------------------------

def test_impossible_dates_in_files_match_the_ground_truth(demo: Path, truth: dict) -> None:
    local = _police_local(demo)
    assert _impossible(local["Händelsetid"], _parse_minute(local["Händelsetid"])).sum() \
        == truth["dirt"]["police_local"]["impossible_date"] > 0
    fault = pd.concat([_read_csv(p, ";", "cp1252") for p in _files(demo, "fault_reports")])
    assert _impossible(fault["Registrerad"], _parse_minute(fault["Registrerad"])).sum() \
        == truth["dirt"]["fault_reports"].get("impossible_date", 0)
    field = pd.concat([_read_csv(p, ";", "utf-8") for p in _files(demo, "field_observations")])
    parsed = pd.to_datetime(field["Datum"], format="%Y-%m-%d", errors="coerce")
    assert _impossible(field["Datum"], parsed).sum() == truth["dirt"]["field_observations"].get("impossible_date", 0)
    housing_bad = 0
    for p in _files(demo, "property_incidents"):
        rows, _ = _read_xlsx(p)
        for r in rows[1:]:
            housing_bad += not isinstance(r[1], datetime) or not 1900 <= r[1].year <= 2025
    assert housing_bad == truth["dirt"]["property_incidents"].get("impossible_date", 0)


def test_outside_coordinates_match_the_ground_truth(demo: Path, truth: dict) -> None:
    _, _, area_ids, area_polys = _places(demo)
    local = _police_local(demo)
    located = _locate(area_ids, area_polys, local["x"].to_numpy(), local["y"].to_numpy())
    assert (located == None).sum() == truth["dirt"]["police_local"]["outside_municipality"] > 0  # noqa: E711
    fault = pd.concat([pd.read_csv(p, sep=";", encoding="cp1252", decimal=",") for p in _files(demo, "fault_reports")])
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True).transform(
        fault["Longitud"].to_numpy(), fault["Latitud"].to_numpy())
    located = _locate(area_ids, area_polys, np.asarray(x), np.asarray(y))
    assert (located == None).sum() == truth["dirt"]["fault_reports"].get("outside_municipality", 0)  # noqa: E711


def test_unknown_types_match_the_ground_truth(demo: Path, truth: dict, mapping: pd.DataFrame) -> None:
    def known(source: str) -> set[str]:
        return set(mapping.loc[mapping["source"] == source, "source_type"])

    local = _police_local(demo)
    fault = pd.concat([_read_csv(p, ";", "cp1252") for p in _files(demo, "fault_reports")])
    field = pd.concat([_read_csv(p, ";", "utf-8") for p in _files(demo, "field_observations")])
    housing = [r[2] for p in _files(demo, "property_incidents") for r in _read_xlsx(p)[0][1:]]
    deso = pd.concat([pd.read_csv(p, dtype=str) for p in _files(demo, "police_deso")])
    found = {
        "police_local": (~local["Händelsetyp"].isin(known("police_local"))).sum(),
        "fault_reports": (~fault["Ärendetyp"].isin(known("fault_reports"))).sum(),
        "field_observations": (~field["Observation"].isin(known("field_observations"))).sum(),
        "property_incidents": sum(t not in known("property_incidents") for t in housing),
        "police_deso": (~deso["Brottskod"].isin(known("police_deso"))).sum(),
    }
    for feed, n in found.items():
        assert n == truth["dirt"][feed].get("unknown_type", 0), feed
    assert found["police_local"] > 0
    # Unknown rates are about one percent of event rows.
    assert 0.002 < found["police_local"] / len(local) < 0.03


def test_personal_data_in_comments_is_counted_and_luhn_valid(demo: Path, truth: dict) -> None:
    texts = {
        "fault_reports": pd.concat([_read_csv(p, ";", "cp1252") for p in _files(demo, "fault_reports")])["Beskrivning"],
        "field_observations": pd.concat([_read_csv(p, ";", "utf-8") for p in _files(demo, "field_observations")])["Kommentar"],
        "property_incidents": pd.Series([r[7] for p in _files(demo, "property_incidents") for r in _read_xlsx(p)[0][1:]]),
        "checklist": pd.concat(
            [_read_csv(p, ";", "cp1252")["Kommentar"] for p in _files(demo, "checklist", ".csv")]
            + [pd.Series([r[6] or "" for r in _read_xlsx(p)[0][1:]]) for p in _files(demo, "checklist", ".xlsx")]),
    }
    all_pnr = []
    forms = set()
    for feed, col in texts.items():
        text = "\n".join(col.fillna("").astype(str))
        pnrs = PNR.findall(text)
        all_pnr += pnrs
        forms |= {(len(re.sub(r"\D", "", p)), re.sub(r"\d", "", p)) for p in pnrs}
        expected = truth["pii"].get(feed, {})
        assert len(pnrs) == expected.get("personnummer", 0), feed
        assert len(PHONE.findall(text)) == expected.get("phone", 0), feed
        assert len(EMAIL.findall(text)) == expected.get("email", 0), feed
        assert len(REGNR.findall(text)) == expected.get("regnr", 0), feed
    assert all_pnr and all(luhn_valid(p) for p in all_pnr)
    assert {10, 12} <= {n for n, _ in forms} and {"-", "", "+"} <= {s for _, s in forms}
    # Coordination numbers (day + 60) are among them.
    assert any(int(re.sub(r"\D", "", p)[-6:-4]) > 60 for p in all_pnr)
    # About 2% of comments carry personal data.
    n_comments = sum((c.fillna("").astype(str) != "").sum() for c in texts.values())
    n_pii = sum(sum(v.values()) for f, v in truth["pii"].items() if f in texts)
    assert 0.005 < n_pii / n_comments < 0.05


def test_luhn_check_itself() -> None:
    assert luhn_valid("811218-9876") and luhn_valid("198112189876") and luhn_valid("8112189876")
    assert not luhn_valid("811218-9875")
    assert luhn_valid("701063-2391")  # a coordination number (day 03 + 60)


# --- duplicates, DeSO aggregate, expected counts ----------------------------------------

def test_duplicates_satisfy_the_rule_and_no_other_pair_does(demo: Path, truth: dict, mapping: pd.DataFrame) -> None:
    cat = {(r.source, r.source_type): r.category for r in mapping.itertuples()}
    place_ids, place_polys, _, _ = _places(demo)
    addr = _read_csv(demo / "landing" / "reference" / "addresses.csv", ";", "utf-8")
    addr_place = dict(zip(addr["Adress"], addr["Plats-ID"]))
    to_sweref = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)

    local = _police_local(demo)
    t = _parse_minute(local["Händelsetid"])
    police = pd.DataFrame({"partner": "police", "id": local["Händelsenummer"],
                           "place": _locate(place_ids, place_polys, local["x"].to_numpy(), local["y"].to_numpy()),
                           "category": [cat.get(("police_local", v)) for v in local["Händelsetyp"]],
                           "lo": t, "hi": t})
    rows = [r for p in _files(demo, "property_incidents") for r in _read_xlsx(p)[0][1:]]
    ht = pd.to_datetime(pd.Series([r[1] if isinstance(r[1], datetime) else None for r in rows]))
    housing = pd.DataFrame({"partner": "housing", "id": [r[0] for r in rows],
                            "place": [addr_place[r[3]] for r in rows],
                            "category": [cat.get(("property_incidents", r[2])) for r in rows], "lo": ht, "hi": ht})
    fault = pd.concat([pd.read_csv(p, sep=";", encoding="cp1252", decimal=",", dtype={"Ärendenummer": str})
                       for p in _files(demo, "fault_reports")])
    fx, fy = to_sweref.transform(fault["Longitud"].to_numpy(), fault["Latitud"].to_numpy())
    ft = _parse_minute(fault["Registrerad"])
    fault_df = pd.DataFrame({"partner": "municipality", "id": fault["Ärendenummer"].to_numpy(),
                             "place": _locate(place_ids, place_polys, np.asarray(fx), np.asarray(fy)),
                             "category": [cat.get(("fault_reports", v)) for v in fault["Ärendetyp"]],
                             "lo": ft.to_numpy(), "hi": ft.to_numpy()})
    field = pd.concat([_read_csv(p, ";", "utf-8") for p in _files(demo, "field_observations")])
    fd = pd.to_datetime(field["Datum"], format="%Y-%m-%d", errors="coerce")
    field_df = pd.DataFrame({"partner": "municipality", "id": field["Datum"].to_numpy(),
                             "place": field["Plats-ID"].to_numpy(),
                             "category": [cat.get(("field_observations", v)) for v in field["Observation"]],
                             "lo": fd.to_numpy(), "hi": (fd + pd.Timedelta(minutes=1439)).to_numpy()})
    allr = pd.concat([police, housing, fault_df, field_df], ignore_index=True).dropna(subset=["place", "category", "lo"])
    m = allr.merge(allr, on=["place", "category"])
    m = m[(m["partner_x"] < m["partner_y"])]
    gap = np.maximum(m["lo_y"] - m["hi_x"], m["lo_x"] - m["hi_y"])
    close = m[gap <= pd.Timedelta(hours=3)]
    found = set(zip(close["id_x"], close["id_y"]))  # ("housing" < "police"): (housing id, police id)

    events = pd.read_parquet(demo / "ground_truth" / "events.parquet")
    planted = events[events["is_duplicate"]]
    assert len(planted) == truth["duplicates"]["count"] > 0
    assert found == set(zip(planted["housing_report_id"], planted["police_report_id"]))
    # The planted shift: housing time = police time - 60 ... + 120 minutes.
    pol = police.set_index("id")["lo"]
    hou = housing.set_index("id")["lo"]
    shift = (hou[planted["housing_report_id"]].to_numpy() - pol[planted["police_report_id"]].to_numpy())
    minutes = shift / np.timedelta64(1, "m")
    assert minutes.min() >= -60 and minutes.max() <= 120
    share = len(planted) / len(housing)
    assert 0.02 < share < 0.12


def test_deso_extract_antal_equals_police_incidents_with_crime_codes(demo: Path, truth: dict) -> None:
    local = _police_local(demo)
    deso = pd.concat([pd.read_csv(p, dtype={"Brottskod": str}) for p in _files(demo, "police_deso")])
    assert deso["Antal"].sum() == (local["Brottskod"] != "").sum()
    by_code = deso.groupby("Brottskod")["Antal"].sum()
    assert by_code.to_dict() == local.loc[local["Brottskod"] != "", "Brottskod"].value_counts().to_dict()
    assert deso["DeSO.område"].isna().sum() == truth["quirks"]["police_deso"]["na_deso"] > 0
    ins = pd.to_datetime(deso["Inskrivningsdatum"])
    crime = pd.to_datetime(deso["Brottsdatum"])
    assert (crime > ins).sum() > 0 and (crime < ins).sum() > 0


def test_expected_weekly_counts_match_the_police_file(demo: Path, mapping: pd.DataFrame) -> None:
    """Counting the police extract independently reproduces the ground truth's police column."""
    cat = dict(zip(mapping.loc[mapping["source"] == "police_local", "source_type"],
                   mapping.loc[mapping["source"] == "police_local", "category"]))
    _, _, area_ids, area_polys = _places(demo)
    local = _police_local(demo)
    t = _parse_minute(local["Händelsetid"])
    df = pd.DataFrame({"area_id": _locate(area_ids, area_polys, local["x"].to_numpy(), local["y"].to_numpy()),
                       "category": local["Händelsetyp"].map(cat), "t": t})
    df = df[~_impossible(local["Händelsetid"], t)].dropna()
    df["week_start"] = (df["t"] - pd.to_timedelta(df["t"].dt.weekday, unit="D")).dt.normalize()
    mine = df.groupby(["area_id", "week_start", "category"]).size()
    exp = pd.read_parquet(demo / "ground_truth" / "expected_weekly_counts.parquet")
    exp["week_start"] = pd.to_datetime(exp["week_start"])
    exp = exp[exp["police"] > 0].set_index(["area_id", "week_start", "category"])["police"]
    assert mine.sort_index().to_dict() == exp.sort_index().to_dict()
    # Every area x week x category is present, zeros included.
    full = pd.read_parquet(demo / "ground_truth" / "expected_weekly_counts.parquet")
    assert len(full) == 12 * 60 * full["category"].nunique()


def test_report_rows_point_at_the_right_spreadsheet_rows(demo: Path) -> None:
    reports = pd.read_parquet(demo / "ground_truth" / "reports.parquet")
    for p in _files(demo, "property_incidents"):
        rows, header_row = _read_xlsx(p)
        expected = {r[0]: header_row + i for i, r in enumerate(rows[1:], start=1)}
        got = reports[reports["file_name"] == p.name].set_index("report_id")["row_number"].to_dict()
        assert got == expected, p.name
    local = _police_local(demo)
    got = reports[reports["feed"] == "police_local"].set_index("report_id")[["file_name", "row_number"]]
    assert got.loc[local["Händelsenummer"], "row_number"].tolist() == local["row"].tolist()
    events = pd.read_parquet(demo / "ground_truth" / "events.parquet")
    linked = reports.dropna(subset=["event_id"])
    assert set(linked["event_id"]) == set(events["event_id"])
    assert events["police_report_id"].notna().sum() == len(local)


def test_schedule_is_staggered_overlapping_and_partly_open(demo: Path, truth: dict) -> None:
    sched = pd.read_csv(demo / "ground_truth" / "treatment_schedule.csv", dtype=str, keep_default_na=False)
    register = _read_csv(demo / "landing" / "interventions" / "insatsregister.csv", ";", "cp1252")
    assert len(register) == len(sched)
    types = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "intervention_types.csv")
    assert set(register["Insatstyp"]) <= set(types["intervention_type_sv"])
    assert sched["start_date"].nunique() > 1  # staggered
    assert (sched["end_date"] == "").any() and (sched["end_date"] != "").any()
    assert sched.groupby("area_id")["intervention_type"].nunique().max() >= 2  # overlapping types
    starts = pd.to_datetime(sched["start_date"])
    assert (starts.dt.weekday == 0).all()
    ends = pd.to_datetime(sched.loc[sched["end_date"] != "", "end_date"])
    assert (ends.dt.weekday == 6).all()
    for typ, n in sched.groupby("intervention_type")["area_id"].nunique().items():
        assert 2 <= n < 12, typ  # some areas never get this type
    assert truth["planted_effects"]["graffiti_removal"]["irr"] == DEFAULT_EFFECTS["graffiti_removal"]


def test_survey_has_small_groups_and_answer_scales(demo: Path) -> None:
    files = _files(demo, "safety_survey")
    # The survey is taken on 1 October: the period 2020-W30 .. 2021-W37 holds only 2020's.
    assert [p.name for p in files] == ["trygghetsmatning_9001_2020.csv"]
    df = pd.concat([pd.read_csv(p) for p in files])
    sizes = df.groupby(["År", "Områdes-ID"]).size()
    assert sizes.max() <= 150 and sizes.min() >= 3
    assert df["Trygg_dag"].between(1, 4).all()
    assert df["Trygg_kvall"].dropna().between(1, 4).all() and df["Trygg_kvall"].isna().any()
    assert df["Oro_brott"].dropna().between(1, 5).all()
    assert not df["Svars-ID"].duplicated().any()


def _crude_rate_ratio(gt: Path, typ: str) -> float:
    """Treated areas' active/inactive rate ratio over the never-treated areas' same ratio."""
    sched = pd.read_csv(gt / "treatment_schedule.csv", dtype=str, keep_default_na=False)
    outcomes = pd.read_parquet(gt / "expected_weekly_outcomes.parquet")
    s = sched[sched["intervention_type"] == typ]
    group = s["target_outcome_group"].iloc[0]
    y = outcomes[outcomes["outcome_group"] == group].pivot(index="week_start", columns="area_id", values="events")
    weeks = pd.to_datetime(y.index)
    control = y[[a for a in y.columns if a not in set(s["area_id"])]].sum(axis=1).to_numpy()
    logs = []
    for r in s.itertuples():
        on = weeks >= pd.Timestamp(r.start_date)
        if r.end_date:
            on &= weeks + pd.Timedelta(days=6) <= pd.Timestamp(r.end_date)
        ya = y[r.area_id].to_numpy()
        treated = (ya[on].sum() + 0.5) / (ya[~on].sum() + 0.5)
        untreated = (control[on].sum() + 0.5) / (control[~on].sum() + 0.5)
        logs.append(np.log(treated / untreated))
    return float(np.exp(np.mean(logs)))


def test_planted_effects_are_visible_in_a_crude_comparison(tmp_path: Path) -> None:
    effects = dict(DEFAULT_EFFECTS, graffiti_removal=0.5)
    generate(tmp_path, DemoConfig(seed=11, areas=24, weeks=104, effects=effects))
    strong = _crude_rate_ratio(tmp_path / "ground_truth", "graffiti_removal")
    placebo = _crude_rate_ratio(tmp_path / "ground_truth", "safety_walk")
    assert 0.3 < strong < 0.75
    assert 0.8 < placebo < 1.25
    truth = json.loads((tmp_path / "ground_truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["planted_effects"]["graffiti_removal"] == {
        "outcome_group": "property", "irr": 0.5, "intervention_type_sv": "Klotterborttagning"}
