"""The partner feeds that report single events: police (local extract and the DeSO-coded
aggregate), municipal fault reports, youth-outreach field observations, housing incidents.

Each writer takes the municipality's true events, keeps the ones its partner reports,
formats them the way that partner's system exports them, cuts them into period files and
records every row (report id, event id, planted flaw, personal data) for the ground truth.
Report ids are written back onto the events, so each true event knows its reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from est_pipeline.demo import freetext
from est_pipeline.demo.formats import (
    decimal_comma, fmt_date, fmt_minute, impossible_dates, period_keys, to_datetimes,
    write_delimited, write_xlsx,
)
from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.model import MIN_PER_DAY
from est_pipeline.demo.output import Output
from est_pipeline.demo.vocabulary import UNKNOWN_TYPES, Vocabulary, crime_code_texts

PII_SHARE = 0.02

_COST_SEK = {"fire": (5_000, 80_000), "vandalism": (1_000, 25_000), "graffiti": (800, 12_000),
             "burglary": (2_000, 30_000), "staff_incident": (0, 2_000), "disturbance": (0, 3_000)}
MOODS = np.array(["grön", "gul", "orange", "röd"], dtype=object)

_to_wgs84 = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)


def _files(keys: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v for k, v in sorted(pd.Series(keys).groupby(keys, sort=True).indices.items())}


def _types_for(vocab: Vocabulary, source: str, cats: list[str], c_idx: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """One source type per event, drawn among the seed's types for the event's category."""
    out = np.empty(len(c_idx), dtype=object)
    table = vocab.types.get(source, {})
    for j in np.unique(c_idx):
        m = c_idx == j
        options = table.get(cats[j]) or [""]
        out[m] = freetext.pick(options, int(m.sum()), rng)
    return out


def _texts(cats: list[str], c_idx: np.ndarray, unknown: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(c_idx), dtype=object)
    for j in np.unique(c_idx):
        m = c_idx == j
        out[m] = freetext.pick(freetext.CATEGORY_TEXT.get(cats[j], freetext.UNKNOWN_TEXT), int(m.sum()), rng)
    if unknown.any():
        out[unknown] = freetext.pick(freetext.UNKNOWN_TEXT, int(unknown.sum()), rng)
    return out


def _dated(strings: np.ndarray, dirt: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replace the dates of rows planted with an impossible date; returns (strings, detail)."""
    strings = strings.copy()
    detail = np.full(len(strings), None, dtype=object)
    bad = dirt == "impossible_date"
    if bad.any():
        strings[bad], detail[bad] = impossible_dates(strings[bad], rng)
    return strings, detail


def write_police_local(muni: Municipality, ev: pd.DataFrame, vocab: Vocabulary, file_period: str,
                       out: Output, rng: np.random.Generator) -> pd.DataFrame:
    """Police local incident extract; returns its rows (for the DeSO aggregate)."""
    cats = vocab.categories
    sel = ev.index[(ev["feed"] == "police_local") | ev["is_dup"]]
    rows = ev.loc[sel].sort_values(["t", "event_id"], kind="stable")
    n = len(rows)
    c_idx = rows["cat_idx"].to_numpy()
    t = rows["t"].to_numpy()
    dirt = rows["dirt"].to_numpy()
    unknown = dirt == "unknown_type"

    typ = _types_for(vocab, "police_local", cats, c_idx, rng)
    code = np.empty(n, dtype=object)
    deso_types = vocab.types.get("police_deso", {})
    for j in np.unique(c_idx):
        m = c_idx == j
        code[m] = freetext.pick(deso_types.get(cats[j]) or [""], int(m.sum()), rng)
    if unknown.any():
        pairs = UNKNOWN_TYPES["police_local"]
        k = rng.integers(0, len(pairs), size=int(unknown.sum()))
        typ[unknown] = np.array([p[0] for p in pairs], dtype=object)[k]
        code[unknown] = np.array([p[1] for p in pairs], dtype=object)[k]

    place_idx = rows["place_idx"].to_numpy()
    a_idx = rows["area_idx"].to_numpy()
    at_place = place_idx >= 0
    plats = np.empty(n, dtype=object)
    names = muni.places["place_name"].to_numpy()
    addrs = muni.places["address"].to_numpy()
    use_name = rng.random(n) < 0.5
    plats[at_place] = np.where(use_name[at_place], names[place_idx[at_place]], addrs[place_idx[at_place]])
    street_pick = rng.integers(0, 3, size=n)
    streets = np.array([muni.streets[a][s] for a, s in zip(a_idx, street_pick)], dtype=object)
    plats[~at_place] = streets[~at_place]

    # Reported coordinates: the true point with a few metres of jitter (still inside the place).
    nord = rows["y"].to_numpy() + rng.uniform(-3, 3, size=n)
    ost = rows["x"].to_numpy() + rng.uniform(-3, 3, size=n)

    yy = (t // MIN_PER_DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    ids = np.array([f"{muni.code}-K{i + 1:06d}-{y % 100:02d}" for i, y in enumerate(yy)], dtype=object)
    when, detail = _dated(fmt_minute(t), dirt, rng)

    keys = period_keys(t // MIN_PER_DAY, file_period)
    for key, idx in _files(keys).items():
        name = f"polis_handelser_{muni.code}_{key}.csv"
        decimals = rng.random() < 0.5  # some exports give decimetres with a decimal comma
        fmt = (lambda v: decimal_comma(v, 2)) if decimals else (lambda v: np.char.mod("%d", np.round(v)).astype(object))
        written = write_delimited(
            out.path("police_local", name),
            ["Händelsenummer", "Händelsetid", "Brottskod", "Händelsetyp", "Plats", "Nord", "Öst"],
            [ids[idx], when[idx], code[idx], typ[idx], plats[idx], fmt(nord[idx]), fmt(ost[idx])],
            sep=";", encoding="utf-8", newline="\r\n", bom=True)
        out.record("police_local", name, written, dirt[idx])
        out.add_reports("police_local", name, 2, ids[idx], rows["event_id"].to_numpy()[idx],
                        dirt[idx], detail[idx], [None] * len(idx), np.zeros(len(idx), bool))
    ev.loc[rows.index, "police_report_id"] = ids
    return pd.DataFrame({"event_id": rows["event_id"].to_numpy(), "t": t, "brottskod": code,
                         "category": np.array(cats, dtype=object)[c_idx],
                         "deso": rows["deso"].to_numpy(), "dirt": dirt})


def write_police_deso(muni: Municipality, police: pd.DataFrame, vocab: Vocabulary, last_day: int,
                      file_period: str, out: Output, rng: np.random.Generator) -> None:
    """The DeSO-coded extract: every police incident with a crime code, aggregated."""
    p = police[police["brottskod"] != ""].reset_index(drop=True)
    n = len(p)
    crime_day = p["t"].to_numpy() // MIN_PER_DAY
    delay = np.where(rng.random(n) < 0.7, 0, np.where(rng.random(n) < 0.67, 1, rng.integers(2, 6, size=n)))
    reg_day = np.minimum(crime_day + delay, np.maximum(crime_day, last_day))
    u = rng.random(n)
    crime_after = u < 0.015  # registered before the stated crime date (a known quirk)
    crime_missing = (u >= 0.015) & (u < 0.025)
    crime_out = np.where(crime_after, reg_day + rng.integers(1, 4, size=n), crime_day)
    deso = p["deso"].to_numpy().astype(object)
    deso_na = rng.random(n) < 0.03
    deso = np.where(deso_na, None, deso)

    g = pd.DataFrame({
        "brottskod": p["brottskod"].to_numpy(),
        "deso": pd.Series(deso, dtype=object).fillna("NA").to_numpy(),
        "reg": reg_day,
        "crime": np.where(crime_missing, -1, crime_out),
    })
    agg = g.groupby(["reg", "brottskod", "deso", "crime"], sort=True).size().reset_index(name="antal")
    known = {c for cs in vocab.types.get("police_deso", {}).values() for c in cs}
    cat_sv = {code: vocab.category_sv[c] for c, codes in vocab.types.get("police_deso", {}).items() for code in codes}
    texts = crime_code_texts()
    klartext = np.array([texts.get(c, cat_sv.get(c, "Övrigt brott")) for c in agg["brottskod"]], dtype=object)
    reg = agg["reg"].to_numpy() * MIN_PER_DAY
    crime = agg["crime"].to_numpy()
    crime_s = np.where(crime < 0, None, fmt_date(np.maximum(crime, 0) * MIN_PER_DAY))
    deso_s = np.where(agg["deso"].to_numpy() == "NA", None, agg["deso"].to_numpy())
    unknown = np.where(~agg["brottskod"].isin(known).to_numpy(), "unknown_type", "")
    ids = np.array([f"{muni.code}{i + 1:07d}" for i in range(len(agg))], dtype=object)

    keys = period_keys(agg["reg"].to_numpy(), file_period)
    for key, idx in _files(keys).items():
        name = f"brott_deso_{muni.code}_{key}.csv"
        written = write_delimited(
            out.path("police_deso", name),
            ["", "Id", "Brottskod", "Brottskod.klartext", "Inskrivningsdatum", "Brottsdatum",
             "Kommun", "Län", "DeSO.område", "Antal"],
            [np.arange(1, len(idx) + 1).astype(str).astype(object), ids[idx],
             agg["brottskod"].to_numpy()[idx], klartext[idx], fmt_date(reg[idx]), crime_s[idx],
             np.full(len(idx), muni.name, dtype=object), np.full(len(idx), muni.county, dtype=object),
             deso_s[idx], agg["antal"].to_numpy()[idx].astype(str).astype(object)],
            sep=",", encoding="utf-8", newline="\n", quote_all=True, na_token="NA")
        quirks = {
            "na_deso": int((deso_s[idx] == None).sum()),  # noqa: E711
            "brottsdatum_missing": int((crime[idx] < 0).sum()),
            "brottsdatum_after_inskrivningsdatum": int((crime[idx] > agg["reg"].to_numpy()[idx]).sum()),
        }
        out.record("police_deso", name, written, unknown[idx], quirks=quirks)
        out.add_reports("police_deso", name, 2, ids[idx], [None] * len(idx), unknown[idx],
                        [None] * len(idx), [None] * len(idx), np.zeros(len(idx), bool))


def write_fault_reports(muni: Municipality, ev: pd.DataFrame, vocab: Vocabulary, file_period: str,
                        out: Output, rng: np.random.Generator) -> None:
    cats = vocab.categories
    rows = ev[ev["feed"] == "fault_reports"].sort_values(["t", "event_id"], kind="stable")
    n = len(rows)
    c_idx = rows["cat_idx"].to_numpy()
    t = rows["t"].to_numpy()
    dirt = rows["dirt"].to_numpy()
    unknown = dirt == "unknown_type"
    typ = _types_for(vocab, "fault_reports", cats, c_idx, rng)
    if unknown.any():
        typ[unknown] = freetext.pick(UNKNOWN_TYPES["fault_reports"], int(unknown.sum()), rng)
    text, pii = freetext.add_pii(_texts(cats, c_idx, unknown, rng), PII_SHARE, rng)
    place_idx = rows["place_idx"].to_numpy()
    addr = np.full(n, None, dtype=object)
    with_addr = (place_idx >= 0) & (rng.random(n) < 0.6)
    addr[with_addr] = muni.places["address"].to_numpy()[place_idx[with_addr]]
    lon, lat = _to_wgs84.transform(rows["x"].to_numpy(), rows["y"].to_numpy())
    ids = np.array([f"FE-{muni.code}-{i + 1:06d}" for i in range(n)], dtype=object)
    when, detail = _dated(fmt_minute(t), dirt, rng)

    for key, idx in _files(period_keys(t // MIN_PER_DAY, file_period)).items():
        name = f"felanmalningar_{muni.code}_{key}.csv"
        written = write_delimited(
            out.path("fault_reports", name),
            ["Ärendenummer", "Registrerad", "Ärendetyp", "Beskrivning", "Adress", "Kommun", "Latitud", "Longitud"],
            [ids[idx], when[idx], typ[idx], text[idx], addr[idx], np.full(len(idx), muni.name, dtype=object),
             decimal_comma(lat[idx], 6), decimal_comma(lon[idx], 6)],
            sep=";", encoding="cp1252", newline="\r\n")
        out.record("fault_reports", name, written, dirt[idx], pii[idx])
        out.add_reports("fault_reports", name, 2, ids[idx], rows["event_id"].to_numpy()[idx],
                        dirt[idx], detail[idx], pii[idx], np.zeros(len(idx), bool))
    ev.loc[rows.index, "municipality_report_id"] = ids


def write_field_observations(muni: Municipality, ev: pd.DataFrame, vocab: Vocabulary,
                             file_period: str, out: Output, rng: np.random.Generator) -> None:
    cats = vocab.categories
    rows = ev[ev["feed"] == "field_observations"].sort_values(["t", "event_id"], kind="stable")
    n = len(rows)
    c_idx = rows["cat_idx"].to_numpy()
    t = rows["t"].to_numpy()
    dirt = rows["dirt"].to_numpy()
    unknown = dirt == "unknown_type"
    typ = _types_for(vocab, "field_observations", cats, c_idx, rng)
    if unknown.any():
        typ[unknown] = freetext.pick(UNKNOWN_TYPES["field_observations"], int(unknown.sum()), rng)
    cat_names = np.array(cats, dtype=object)[c_idx]
    youths = np.where(cat_names == "youth_gathering", rng.integers(5, 31, size=n), rng.integers(0, 11, size=n))
    severe = np.isin(cat_names, ["drugs", "unsafe_place", "reckless_driving"])
    mood = np.minimum(3, rng.integers(0, 3, size=n) + severe.astype(int))
    comment = np.full(n, "", dtype=object)
    has = rng.random(n) < 0.45
    comment[has] = _texts(cats, c_idx[has], unknown[has], rng)
    named = has & (rng.random(n) < 0.05)
    comment[named] = freetext.pick(freetext.NAMED_COMMENTS, int(named.sum()), rng)
    comment, pii = freetext.add_pii(comment, PII_SHARE, rng)
    place_idx = rows["place_idx"].to_numpy()
    when, detail = _dated(fmt_date(t), dirt, rng)

    for key, idx in _files(period_keys(t // MIN_PER_DAY, file_period)).items():
        name = f"faltobservationer_{muni.code}_{key}.csv"
        written = write_delimited(
            out.path("field_observations", name),
            ["Datum", "Plats-ID", "Plats", "Antal ungdomar", "Stämning", "Observation", "Kommentar"],
            [when[idx], muni.places["place_id"].to_numpy()[place_idx[idx]],
             muni.places["place_name"].to_numpy()[place_idx[idx]], youths[idx].astype(str).astype(object),
             MOODS[mood[idx]], typ[idx], np.where(comment[idx] == "", None, comment[idx])],
            sep=";", encoding="utf-8", newline="\n")
        # The feed has no id column: the ground truth names a row by file and row number.
        rid = np.array([f"{name}#{r}" for r in range(2, len(idx) + 2)], dtype=object)
        out.record("field_observations", name, written, dirt[idx], pii[idx])
        out.add_reports("field_observations", name, 2, rid, rows["event_id"].to_numpy()[idx],
                        dirt[idx], detail[idx], pii[idx], np.zeros(len(idx), bool))
        ev.loc[rows.index[idx], "municipality_report_id"] = rid


def write_property_incidents(muni: Municipality, ev: pd.DataFrame, vocab: Vocabulary,
                             file_period: str, out: Output, rng: np.random.Generator) -> None:
    cats = vocab.categories
    rows = ev[ev["feed"] == "property_incidents"].sort_values(["t_housing", "event_id"], kind="stable")
    n = len(rows)
    c_idx = rows["cat_idx"].to_numpy()
    th = rows["t_housing"].to_numpy()
    dirt = rows["dirt"].to_numpy()
    dup = rows["is_dup"].to_numpy()
    unknown = dirt == "unknown_type"
    typ = _types_for(vocab, "property_incidents", cats, c_idx, rng)
    if unknown.any():
        typ[unknown] = freetext.pick(UNKNOWN_TYPES["property_incidents"], int(unknown.sum()), rng)
    text, pii = freetext.add_pii(_texts(cats, c_idx, unknown, rng), PII_SHARE, rng)

    # Address: any of the place's addresses in the register.
    place_idx = rows["place_idx"].to_numpy()
    pid = muni.places["place_id"].to_numpy()[place_idx]
    by_place = muni.addresses.groupby("Plats-ID", sort=False)["Adress"].apply(list).to_dict()
    pick = rng.random(n)
    adress = np.array([by_place[p][int(u * len(by_place[p]))] for p, u in zip(pid, pick)], dtype=object)
    fastighet = muni.places["fastighet"].to_numpy()[place_idx].astype(object)
    fastighet[rng.random(n) < 0.1] = None
    cat_names = np.array(cats, dtype=object)[c_idx]
    cost = np.full(n, np.nan)
    for c, (lo, hi) in _COST_SEK.items():
        m = cat_names == c
        cost[m] = np.round(rng.uniform(lo, hi, size=int(m.sum())), -1)
    cost[rng.random(n) < 0.25] = np.nan
    ids = np.array([f"BA-{muni.code}-{i + 1:06d}" for i in range(n)], dtype=object)
    when_dt = np.array(to_datetimes(th), dtype=object)
    bad_strings, detail = _dated(fmt_minute(th), dirt, rng)
    when = np.where(dirt == "impossible_date", bad_strings, when_dt)  # impossible dates as text

    company = f"Bostads AB {muni.name}"
    titled = int(rng.integers(0, 3))  # every third export has a title row above the header
    for i, (key, idx) in enumerate(_files(period_keys(th // MIN_PER_DAY, file_period)).items()):
        name = f"arenderapport_{muni.code}_{key}.xlsx"
        title = f"Ärenderapport {company}, {key}" if i % 3 == titled else None
        written = write_xlsx(
            out.path("property_incidents", name),
            ["Ärende-ID", "Datum", "Ärendetyp", "Adress", "Kommun", "Fastighet", "Kostnad (kr)", "Beskrivning"],
            [ids[idx], when[idx], typ[idx], adress[idx], np.full(len(idx), muni.name, dtype=object), fastighet[idx],
             cost[idx].tolist(), text[idx]],
            title=title, sheet="Ärenden")
        out.record("property_incidents", name, written, dirt[idx], pii[idx])
        out.add_reports("property_incidents", name, 3 if title else 2, ids[idx],
                        rows["event_id"].to_numpy()[idx], dirt[idx], detail[idx], pii[idx], dup[idx])
    ev.loc[rows.index, "housing_report_id"] = ids
