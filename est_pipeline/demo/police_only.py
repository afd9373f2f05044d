"""The "police only" demo profile: a municipality that has the police's DeSO extract and nothing else.

Many municipalities start EST with no partner feed but the police's extract of reported
crimes coded to SCB's DeSO areas, their own area boundaries, and which DeSOs make up each
area. This profile writes exactly that, deterministically from a seed:

``landing/police_deso/``
    The extract in its real format (R's ``write.csv``: comma-separated, every value
    double-quoted, UTF-8, a leading unnamed row-index column, ``NA`` for missing values),
    one row per crime report, delivered as several files. The first is a national file
    (other municipalities' rows outnumber the demo municipality's own); the later ones are
    county re-exports that overlap the earlier files by ``Id``: most repeated rows are
    identical, some are corrected (a DeSO filled in, a code changed ...). File names sort
    in delivery order, and the latest delivery of an ``Id`` is the one that counts.
``landing/reference/``
    ``areas.gpkg`` (area polygons, SWEREF 99 TM), ``area_deso.csv`` (which DeSOs make up
    each area, with population shares) and ``deso_population.csv``. No places, addresses
    or area populations: the municipality does not have them.
``later/interventions/insatsregister.csv``
    The interventions register, written outside ``landing/`` because it arrives later: a
    test first runs the chain without it, then copies it into ``landing/interventions/``.
``ground_truth/truth.json``
    The profile, the municipality, the period, every planted quirk counted per file, and
    which Ids each re-export repeats unchanged or corrects. It holds no expected per-area
    counts: tests compute those from the files by the documented rules.

The crime codes and whether each is tracked come from the dbt seed
``police_crime_codes.csv`` (``crime_codes.load_crime_codes``), read at generation time.
"""

from __future__ import annotations

import json
import math
from collections import Counter
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio import raw as ogr_raw

from est_pipeline.demo import register
from est_pipeline.demo.crime_codes import CrimeCodes, load_crime_codes
from est_pipeline.demo.formats import decimal_comma, write_delimited
from est_pipeline.demo.geography import _AREA_FIRST, _AREA_LAST
from est_pipeline.demo.model import BASE_RATE
from est_pipeline.demo.output import Output
from est_pipeline.demo.schedule import INTENSITY_SV, RESPONSIBLE
from est_pipeline.demo.vocabulary import SEEDS_DIR, load_vocabulary

PROFILE = "police_only"
FEED = "police_deso"
FILE_PREFIX = "brott_deso_"
REFERENCE_FILES = ("areas.gpkg", "area_deso.csv", "deso_population.csv")
LATER_DIR = "later"
GPKG_LAYER = "omraden"
#: GeoPackages carry a "last changed" time; a fixed one keeps the file byte-reproducible.
GPKG_TIMESTAMP = "2025-01-01T00:00:00.000Z"
DELIVERY_ORDER_RULE = (
    "File names sort in delivery order: the delivery date (YYYY-MM-DD) follows the prefix "
    "brott_deso_. When several files carry the same Id, the row of the file whose name sorts "
    "last wins, and the Id counts once."
)
HEADER = ["", "Id", "Brottskod", "Brottskod.klartext", "Inskrivningsdatum", "Brottsdatum",
          "Kommun", "Län", "DeSO.område", "Antal"]

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)


@dataclass(frozen=True)
class Delivery:
    file_name: str
    delivered: date
    scope: str  # "national": every municipality; "county": the demo municipality's county
    first_registered: date
    last_registered: date
    #: Ids first delivered long before this file's window, re-delivered with a correction.
    late_corrections: int = 0


DELIVERIES = (
    Delivery("brott_deso_2025-01-15_riket.csv", date(2025, 1, 15), "national",
             date(2024, 1, 1), date(2024, 12, 31)),
    Delivery("brott_deso_2025-07-10_orebro_lan.csv", date(2025, 7, 10), "county",
             date(2024, 10, 1), date(2025, 6, 30)),
    Delivery("brott_deso_2026-01-20_orebro_lan.csv", date(2026, 1, 20), "county",
             date(2025, 4, 1), date(2025, 12, 31), late_corrections=12),
)

#: Real municipalities in the national file: code, name, county, reported crimes per week.
OTHER_MUNICIPALITIES = (
    ("0180", "Stockholm", "Stockholms län", 24.0),
    ("1480", "Göteborg", "Västra Götalands län", 12.0),
    ("1280", "Malmö", "Skåne län", 10.0),
    ("1880", "Örebro", "Örebro län", 9.0),
    ("1883", "Karlskoga", "Örebro län", 3.0),
)
_OTHER_DESO_POOL = 24

#: Codes that are on no list (neither tracked nor deliberately left out), with the police text.
UNKNOWN_CRIME_CODES = (("9999", "Övriga brott, ej specificerade"),
                       ("8899", "Brott mot annan författning, övrigt"))

_P_TRACKED, _P_UNKNOWN = 0.62, 0.008
_P_DESO_BLANK, _P_DESO_NA = 0.015, 0.02
_P_KOMMUN_BLANK = 0.015
_P_ZERO_LOST = 0.05
#: Registration minus crime date: same day, 1-30 days, 31-364 days, >= 1 year, crime date
#: after registration, crime date blank, crime date NA.
_DELAY_SHARES = (0.50, 0.38, 0.08, 0.02, 0.01, 0.005, 0.005)
_ANTAL = ((1, 0.90), (2, 0.06), (3, 0.02), (4, 0.01), (5, 0.005), (8, 0.005))
_AREA_CELL_M = 1500.0
_ORIGIN = (468000.0, 6556000.0)  # SWEREF 99 TM, in Örebro county's west


@dataclass(frozen=True)
class PoliceOnlyConfig:
    seed: int = 42
    areas: int = 12
    #: Own reported crimes per week, all codes (before the seasonal swing).
    crimes_per_week: float = 30.0
    municipality_code: str = "9002"
    municipality_name: str = "Sjöbacka"
    county: str = "Örebro län"
    area_prefix: str = "SB"
    #: Where police_crime_codes.csv and categories.csv are read (default: the dbt seeds).
    seeds_dir: Path | None = None

    def __post_init__(self) -> None:
        if not 10 <= self.areas <= 14:
            raise ValueError("the police_only profile has 10 to 14 areas")
        if self.crimes_per_week <= 0:
            raise ValueError("crimes_per_week must be positive")
        if not (len(self.municipality_code) == 4 and self.municipality_code.isdigit()):
            raise ValueError("municipality_code must be four digits")
        if self.municipality_code in {m[0] for m in OTHER_MUNICIPALITIES}:
            raise ValueError("municipality_code must not be one of the real municipalities in the file")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["seeds_dir"] = None if self.seeds_dir is None else Path(self.seeds_dir).name
        return d


@dataclass
class PoliceOnlySummary:
    out_dir: Path
    files: list[tuple[str, str, int]]  # (folder relative to out_dir, file name, rows)
    ids: int
    own_ids: int
    rows: int
    seconds: float

    def format(self) -> str:
        lines = [f"Demo data (profile {PROFILE}) written to {self.out_dir}",
                 f"  {self.rows} police_deso rows, {self.ids} distinct Ids "
                 f"({self.own_ids} of the demo municipality)"]
        for folder, name, rows in self.files:
            lines.append(f"  {folder + '/' + name:<58} {rows:>7} rows")
        lines.append(f"  ground truth in {self.out_dir / 'ground_truth'}")
        lines.append(f"  {self.seconds:.1f} s")
        return "\n".join(lines)


# --- geography -----------------------------------------------------------------------------

@dataclass
class Geography:
    areas: pd.DataFrame  # area_id, area_name, cx, cy
    polygons: list[np.ndarray]
    desos: pd.DataFrame  # deso, link (whole|split|partial|unlinked), weight, population_2024 ...
    links: pd.DataFrame  # Områdes-ID, DeSO, Andel
    population: pd.DataFrame  # DeSO, År, Folkmängd


def build_geography(cfg: PoliceOnlyConfig, years: list[int], rng: np.random.Generator) -> Geography:
    n = cfg.areas
    cols = math.ceil(math.sqrt(n))
    a = np.arange(n)
    cx = _ORIGIN[0] + (a % cols + 0.5) * _AREA_CELL_M
    cy = _ORIGIN[1] + (a // cols + 0.5) * _AREA_CELL_M
    pool = [f + last for f in _AREA_FIRST for last in _AREA_LAST]
    names = [pool[i] for i in rng.permutation(len(pool))[:n]]
    ids = [f"{cfg.area_prefix}{i + 1:02d}" for i in range(n)]
    theta = (np.arange(12) + rng.uniform(-0.2, 0.2, size=(n, 12))) * (2 * math.pi / 12)
    radius = rng.uniform(0.40, 0.47, size=(n, 12)) * _AREA_CELL_M
    polygons = []
    for i in range(n):
        ring = np.round(np.column_stack([cx[i] + radius[i] * np.cos(theta[i]),
                                         cy[i] + radius[i] * np.sin(theta[i])]), 1)
        polygons.append(np.vstack([ring, ring[:1]]))

    # DeSOs: one wholly inside each area (area 4's only partly: the rest of its people live
    # outside every EST area), a second whole one in area 1, one split between the last two
    # areas by population share, and two rural DeSOs that belong to no area.
    code = cfg.municipality_code
    specs: list[tuple[str, str]] = []  # (letter, link)
    specs += [("C" if i < n // 2 else "B", "partial" if i == 3 else "whole") for i in range(n)]
    specs += [("C", "whole"), ("B", "split"), ("A", "unlinked"), ("A", "unlinked")]
    desos = [f"{code}{letter}{(k + 1) * 10:04d}" for k, (letter, _) in enumerate(specs)]
    partial_share = round(float(rng.uniform(0.55, 0.85)), 2)
    split_share = round(float(rng.uniform(0.30, 0.70)), 2)
    links = [(ids[i], desos[i], partial_share if i == 3 else 1.0) for i in range(n)]
    links.append((ids[0], desos[n], 1.0))
    links.append((ids[n - 2], desos[n + 1], split_share))
    links.append((ids[n - 1], desos[n + 1], round(1.0 - split_share, 2)))
    link_df = pd.DataFrame(links, columns=["Områdes-ID", "DeSO", "Andel"])
    link_df = link_df.sort_values(["Områdes-ID", "DeSO"], kind="stable").reset_index(drop=True)

    base = rng.integers(700, 2701, size=len(desos))
    growth = np.exp(np.cumsum(rng.normal(0.004, 0.015, size=(len(desos), len(years))), axis=1))
    pop = np.round(base[:, None] * growth).astype(int)
    level = rng.normal(0.0, 0.45, size=len(desos))
    weight = base * np.exp(level) * np.where([s[1] == "unlinked" for s in specs], 0.5, 1.0)
    deso_df = pd.DataFrame({"deso": desos, "link": [s[1] for s in specs], "weight": weight / weight.sum()})
    population = pd.DataFrame({"DeSO": np.repeat(desos, len(years)), "År": np.tile(years, len(desos)),
                               "Folkmängd": pop.ravel()})
    areas = pd.DataFrame({"area_id": ids, "area_name": names, "cx": cx, "cy": cy})
    return Geography(areas=areas, polygons=polygons, desos=deso_df, links=link_df, population=population)


# --- the crimes ----------------------------------------------------------------------------

def _season(days: np.ndarray) -> np.ndarray:
    doy = np.array([date.fromordinal(int(d)).timetuple().tm_yday for d in days])
    return np.exp(0.15 * np.cos(2 * math.pi * (doy - 200) / 365.25))


def _daily_rows(rate_per_week: float, weights: np.ndarray, days: np.ndarray, season: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(pool index, day ordinal) of every reported crime, Poisson per pool entry and day."""
    counts = rng.poisson(rate_per_week / 7.0 * weights[:, None] * season[None, :])
    d_idx, t_idx = np.nonzero(counts)
    reps = counts[d_idx, t_idx]
    return np.repeat(d_idx, reps), np.repeat(days[t_idx], reps)


def simulate_reports(cfg: PoliceOnlyConfig, geo: Geography, codes: CrimeCodes,
                     rng: np.random.Generator) -> pd.DataFrame:
    """Every crime report that some delivery carries, in its first (uncorrected) version."""
    days = np.arange(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1)
    season = _season(days)
    frames = []
    d_idx, reg = _daily_rows(cfg.crimes_per_week, geo.desos["weight"].to_numpy(), days, season, rng)
    frames.append(pd.DataFrame({"muni": cfg.municipality_code, "kommun": cfg.municipality_name,
                                "lan": cfg.county, "deso": geo.desos["deso"].to_numpy()[d_idx], "reg": reg}))
    national_end = DELIVERIES[0].last_registered.toordinal()
    for mcode, mname, county, rate in OTHER_MUNICIPALITIES:
        letters = rng.choice(np.array(["A", "B", "C"]), size=_OTHER_DESO_POOL, p=[0.15, 0.35, 0.5])
        pool = np.array([f"{mcode}{letters[k]}{(k + 1) * 10:04d}" for k in range(_OTHER_DESO_POOL)], dtype=object)
        w = rng.lognormal(0.0, 0.6, size=_OTHER_DESO_POOL)
        d_idx, reg = _daily_rows(rate, w / w.sum(), days, season, rng)
        df = pd.DataFrame({"muni": mcode, "kommun": mname, "lan": county, "deso": pool[d_idx], "reg": reg})
        if county != cfg.county:  # delivered in the national file only
            df = df[df["reg"] <= national_end]
        frames.append(df)
    rep = pd.concat(frames, ignore_index=True)
    rep["tie"] = rng.random(len(rep))
    rep = rep.sort_values(["reg", "tie"], kind="stable").reset_index(drop=True).drop(columns="tie")
    n = len(rep)

    # Ids: the police's running number per registration year.
    years = np.array([date.fromordinal(int(d)).year for d in rep["reg"]])
    seq = np.zeros(n, dtype=int)
    for y in np.unique(years):
        m = years == y
        seq[m] = np.arange(100001, 100001 + int(m.sum()))
    rep["id"] = [f"K{s}-{y % 100:02d}" for s, y in zip(seq, years)]

    # Crime codes, drawn from the seed: tracked (every category), not tracked, and unknown.
    cats = list(codes.tracked_by_category)
    cat_w = np.array([BASE_RATE.get(c, 0.1) for c in cats])
    kind = rng.choice(3, size=n, p=[_P_TRACKED, 1 - _P_TRACKED - _P_UNKNOWN, _P_UNKNOWN])
    code = np.empty(n, dtype=object)
    t = np.flatnonzero(kind == 0)
    cat_of = rng.choice(len(cats), size=len(t), p=cat_w / cat_w.sum())
    for j, c in enumerate(cats):
        options = codes.tracked_by_category[c]
        m = t[cat_of == j]
        code[m] = np.array(options, dtype=object)[rng.integers(0, len(options), size=len(m))]
    m = np.flatnonzero(kind == 1)
    code[m] = np.array(codes.not_tracked, dtype=object)[rng.integers(0, len(codes.not_tracked), size=len(m))]
    m = np.flatnonzero(kind == 2)
    unknown = np.array([c for c, _ in UNKNOWN_CRIME_CODES], dtype=object)
    code[m] = unknown[rng.integers(0, len(unknown), size=len(m))]
    # Every part of the list must occur among the municipality's own rows of the first file.
    own_first = np.flatnonzero((rep["muni"] == cfg.municipality_code).to_numpy()
                               & (rep["reg"] <= national_end).to_numpy())
    for part in [codes.tracked_by_category[c] for c in cats] + [codes.not_tracked, list(unknown)]:
        present = Counter(code[own_first])
        if not any(present[c] for c in part):
            spare = [i for i in own_first if present[code[i]] > 1]
            code[spare[int(rng.integers(len(spare)))]] = part[0]
    rep["code"] = code
    rep["zero_lost"] = np.array([c.startswith("0") for c in code]) & (rng.random(n) < _P_ZERO_LOST)

    values = np.array([v for v, _ in _ANTAL])
    probs = np.array([p for _, p in _ANTAL])
    rep["antal"] = values[rng.choice(len(values), size=n, p=probs / probs.sum())]

    # Crime date relative to registration.
    shape = rng.choice(len(_DELAY_SHARES), size=n, p=np.array(_DELAY_SHARES) / sum(_DELAY_SHARES))
    delay = np.select(
        [shape == 0, shape == 1, shape == 2, shape == 3, shape == 4],
        [0, np.minimum(30, rng.geometric(0.2, size=n)), rng.integers(31, 365, size=n),
         rng.integers(365, 4 * 365, size=n), -rng.integers(1, 11, size=n)], 0)
    rep["crime"] = np.where(shape >= 5, -1, rep["reg"].to_numpy() - delay)
    rep["crime_missing"] = np.select([shape == 5, shape == 6], ["blank", "na"], "")

    u = rng.random(n)
    rep["deso_missing"] = np.select([u < _P_DESO_BLANK, u < _P_DESO_BLANK + _P_DESO_NA], ["blank", "na"], "")
    rep["kommun_blank"] = rng.random(n) < _P_KOMMUN_BLANK
    return rep


# --- writing the extract -----------------------------------------------------------------

def _iso(days) -> list[str]:
    return [date.fromordinal(int(d)).isoformat() for d in days]


def written(rep: pd.DataFrame, codes: CrimeCodes) -> pd.DataFrame:
    """The rows as they appear in the file (None = NA, "" = blank)."""
    unknown = dict(UNKNOWN_CRIME_CODES)
    code = rep["code"].to_numpy()
    shown = np.where(rep["zero_lost"].to_numpy(), [str(int(c)) for c in code], code)
    crime = rep["crime"].to_numpy()
    crime_s = np.array([None] * len(rep), dtype=object)
    ok = crime >= 0
    crime_s[ok] = _iso(crime[ok])
    crime_s[rep["crime_missing"].to_numpy() == "blank"] = ""
    deso = rep["deso"].to_numpy(dtype=object).copy()
    dm = rep["deso_missing"].to_numpy()
    deso[dm == "blank"] = ""
    deso[dm == "na"] = None
    df = pd.DataFrame({
        "Id": rep["id"].to_numpy(dtype=object),
        "Brottskod": shown.astype(object),
        "Brottskod.klartext": [codes.text.get(c, unknown.get(c, "")) for c in code],
        "Inskrivningsdatum": _iso(rep["reg"].to_numpy()),
        "Brottsdatum": crime_s,
        "Kommun": np.where(rep["kommun_blank"].to_numpy(), "", rep["kommun"].to_numpy()).astype(object),
        "Län": rep["lan"].to_numpy(dtype=object),
        "DeSO.område": deso,
        "Antal": rep["antal"].astype(str).to_numpy(dtype=object),
    }, index=rep.index, dtype=object)
    return df.where(df.notna(), None)


def _quirks(rep: pd.DataFrame, codes: CrimeCodes, cfg: PoliceOnlyConfig, geo: Geography) -> dict:
    reg = rep["reg"].to_numpy()
    crime = rep["crime"].to_numpy()
    has = crime >= 0
    lag = np.where(has, reg - crime, 0)
    own = (rep["muni"] == cfg.municipality_code).to_numpy()
    deso_ok = (rep["deso_missing"] == "").to_numpy()
    deso = rep["deso"].to_numpy()
    own_code = np.array([d.startswith(cfg.municipality_code) for d in deso])
    linked = set(geo.links["DeSO"])
    code = rep["code"].to_numpy()
    tracked = np.array([c in codes.category for c in code])
    not_tracked = np.array([c in set(codes.not_tracked) for c in code])
    by_cat: dict[str, int] = {}
    for c in code[tracked]:
        by_cat[codes.category[c]] = by_cat.get(codes.category[c], 0) + 1
    other: dict[str, int] = {}
    for d in deso[deso_ok & ~own_code]:
        other[d[:4]] = other.get(d[:4], 0) + 1
    return {
        "brottsdatum_blank": int((rep["crime_missing"] == "blank").sum()),
        "brottsdatum_na": int((rep["crime_missing"] == "na").sum()),
        "brottsdatum_same_day": int((has & (lag == 0)).sum()),
        "brottsdatum_earlier_1_30_days": int((has & (lag >= 1) & (lag <= 30)).sum()),
        "brottsdatum_earlier_31_364_days": int((has & (lag >= 31) & (lag <= 364)).sum()),
        "brottsdatum_earlier_365_days_or_more": int((has & (lag >= 365)).sum()),
        "brottsdatum_later": int((has & (lag < 0)).sum()),
        "deso_blank": int((rep["deso_missing"] == "blank").sum()),
        "deso_na": int((rep["deso_missing"] == "na").sum()),
        "kommun_blank_lan_present": int(rep["kommun_blank"].sum()),
        "own_municipality_rows": int(own.sum()),
        "own_municipality_deso": int((deso_ok & own_code).sum()),
        "own_municipality_deso_not_linked": int((deso_ok & own_code & ~np.isin(deso, list(linked))).sum()),
        "other_municipality_deso": int((deso_ok & ~own_code).sum()),
        "other_municipality_deso_by_code": dict(sorted(other.items())),
        "crime_code_tracked": int(tracked.sum()),
        "crime_code_tracked_by_category": dict(sorted(by_cat.items())),
        "crime_code_not_tracked": int(not_tracked.sum()),
        "crime_code_unknown": int((~tracked & ~not_tracked).sum()),
        "crime_code_leading_zero_lost": int(rep["zero_lost"].sum()),
        "antal_above_1": int((rep["antal"] > 1).sum()),
        "antal_total": int(rep["antal"].sum()),
    }


class _Corrector:
    """Applies corrections to the current version of a report, as a re-export shows them."""

    def __init__(self, rep: pd.DataFrame, codes: CrimeCodes, rng: np.random.Generator) -> None:
        self.rep, self.codes, self.rng = rep, codes, rng
        self.pools = {m: sorted(set(rep.loc[rep["muni"] == m, "deso"])) for m in sorted(set(rep["muni"]))}

    def kinds_for(self, i: int, late: bool = False) -> list[str]:
        r, u = self.rep.loc[i], self.rng.random()
        if late:
            options = ["code_changed", "deso_changed", "antal_changed"]
            return [options[int(self.rng.integers(len(options)))]]
        if r["deso_missing"] and u < 0.6:
            return ["deso_filled"]
        if r["crime_missing"] and u < 0.5:
            return ["brottsdatum_filled"]
        if r["kommun_blank"] and u < 0.3:
            return ["kommun_filled"]
        if u < 0.03:
            return ["code_changed"]
        if u < 0.045 and not r["deso_missing"]:
            return ["deso_changed"]
        if u < 0.06:
            return ["antal_changed"]
        return []

    def apply(self, i: int, kind: str) -> None:
        rep, rng = self.rep, self.rng
        if kind == "deso_filled":
            rep.at[i, "deso_missing"] = ""
        elif kind == "brottsdatum_filled":
            rep.at[i, "crime_missing"] = ""
            rep.at[i, "crime"] = int(rep.at[i, "reg"]) - int(rng.integers(0, 4))
        elif kind == "kommun_filled":
            rep.at[i, "kommun_blank"] = False
        elif kind == "antal_changed":
            rep.at[i, "antal"] = int(rep.at[i, "antal"]) + 1
        elif kind == "deso_changed":
            pool = [d for d in self.pools[rep.at[i, "muni"]] if d != rep.at[i, "deso"]]
            rep.at[i, "deso"] = pool[int(rng.integers(len(pool)))]
            rep.at[i, "deso_missing"] = ""
        elif kind == "code_changed":
            old = rep.at[i, "code"]
            old_cat = self.codes.category.get(old)
            other_category = [c for c in self.codes.tracked if self.codes.category[c] != old_cat]
            not_tracked = [c for c in self.codes.not_tracked if c != old]
            # Mostly reclassified to another tracked category, else to a code EST does not track.
            pool = (other_category if rng.random() < 0.7 else not_tracked) or other_category or not_tracked
            new = pool[int(rng.integers(len(pool)))]
            rep.at[i, "code"] = new
            rep.at[i, "zero_lost"] = bool(rep.at[i, "zero_lost"]) and new.startswith("0")
        else:  # pragma: no cover - a generator bug
            raise ValueError(kind)


def write_deliveries(cfg: PoliceOnlyConfig, rep: pd.DataFrame, codes: CrimeCodes, geo: Geography,
                     out: Output, rng: np.random.Generator) -> list[dict]:
    corrector = _Corrector(rep, codes, rng)
    delivered_in: dict[int, str] = {}  # report index -> name of the last file that carried it
    records = []
    for dlv in DELIVERIES:
        in_window = rep["reg"].between(dlv.first_registered.toordinal(), dlv.last_registered.toordinal())
        in_scope = in_window if dlv.scope == "national" else in_window & (rep["lan"] == cfg.county)
        sel = list(np.flatnonzero(in_scope.to_numpy()))
        if dlv.late_corrections:
            old = [i for i in sorted(delivered_in) if delivered_in[i] == DELIVERIES[0].file_name
                   and rep.at[i, "muni"] == cfg.municipality_code and not rep.at[i, "deso_missing"]
                   and not in_scope.iat[i]]
            late = set(rng.choice(old, size=min(dlv.late_corrections, len(old)), replace=False).tolist())
            sel = sorted(set(sel) | late)
        else:
            late = set()
        again = [i for i in sel if i in delivered_in]
        before = written(rep.loc[again], codes)
        kinds = {i: corrector.kinds_for(i, late=i in late) for i in again}
        for i in again:
            for k in kinds[i]:
                corrector.apply(i, k)
        after = written(rep.loc[again], codes)
        identical, corrected = [], []
        for i in again:
            b, a = before.loc[i], after.loc[i]
            changes = {c: [b[c], a[c]] for c in after.columns if b[c] != a[c]}
            if changes:
                corrected.append({"id": rep.at[i, "id"], "previous_file": delivered_in[i],
                                  "kinds": kinds[i], "changes": changes})
            else:
                identical.append(rep.at[i, "id"])
        part = rep.loc[sel].sort_values(["reg", "id"], kind="stable")
        rows = written(part, codes)
        n = write_delimited(
            out.path(FEED, dlv.file_name), HEADER,
            [np.arange(1, len(rows) + 1).astype(str).astype(object)] + [rows[c].to_numpy() for c in HEADER[1:]],
            sep=",", encoding="utf-8", newline="\n", quote_all=True, na_token="NA")
        quirks = _quirks(part, codes, cfg, geo)
        quirks["repeated_identical"] = len(identical)
        quirks["repeated_corrected"] = len(corrected)
        out.record(FEED, dlv.file_name, n)
        records.append({
            "feed": FEED, "file_name": dlv.file_name, "delivery_index": len(records) + 1,
            "delivered": dlv.delivered.isoformat(), "scope": dlv.scope,
            "registered_from": dlv.first_registered.isoformat(), "registered_to": dlv.last_registered.isoformat(),
            "rows": n, "first_delivery_rows": n - len(identical) - len(corrected),
            "quirks": quirks,
            "repeated_identical_ids": identical,
            "corrected": sorted(corrected, key=lambda c: c["id"]),
        })
        for i in sel:
            delivered_in[i] = dlv.file_name
    return records


# --- reference files ---------------------------------------------------------------------

def write_reference(geo: Geography, out_dir: Path) -> list[tuple[str, int]]:
    ref = out_dir / "landing" / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    gpkg = ref / "areas.gpkg"
    gpkg.unlink(missing_ok=True)
    geoms = shapely.to_wkb([shapely.Polygon(p) for p in geo.polygons], output_dimension=2)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        ogr_raw.write(str(gpkg), geoms,
                      [geo.areas["area_id"].to_numpy(dtype=object), geo.areas["area_name"].to_numpy(dtype=object)],
                      ["Områdes-ID", "Områdesnamn"], layer=GPKG_LAYER, driver="GPKG",
                      geometry_type="Polygon", crs="EPSG:3006")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    files = [("areas.gpkg", len(geo.areas))]
    n = write_delimited(ref / "area_deso.csv", ["Områdes-ID", "DeSO", "Andel"],
                        [geo.links["Områdes-ID"].to_numpy(dtype=object), geo.links["DeSO"].to_numpy(dtype=object),
                         _share(geo.links["Andel"].to_numpy())], sep=";", encoding="utf-8")
    files.append(("area_deso.csv", n))
    pop = geo.population
    n = write_delimited(ref / "deso_population.csv", ["DeSO", "År", "Folkmängd"],
                        [pop[c].astype(str).to_numpy(dtype=object) for c in pop.columns], sep=";", encoding="utf-8")
    files.append(("deso_population.csv", n))
    return files


def _share(values: np.ndarray) -> np.ndarray:
    """Decimal comma; a whole share is written ``1`` as analysts type it."""
    text = decimal_comma(values, 2)
    return np.array(["1" if v == 1.0 else t for v, t in zip(values, text)], dtype=object)


# --- interventions, arriving later ---------------------------------------------------------

_STARTS = (date(2024, 4, 1), date(2024, 7, 1), date(2024, 10, 7), date(2025, 1, 6),
           date(2025, 4, 7), date(2025, 7, 7))
_TYPES = ("police_patrol", "evening_outreach", "safety_walk", "youth_activity", "cleanup")
_DESCRIPTION_SV = {
    "police_patrol": "Ökad polisiär närvaro kvällstid",
    "evening_outreach": "Fältassistenter i området fredag och lördag kväll",
    "safety_walk": "Trygghetsvandring med boende och partner",
    "youth_activity": "Öppen fritidsverksamhet för unga",
    "cleanup": "Extra städning av gårdar och soprum",
}


def build_interventions(cfg: PoliceOnlyConfig, geo: Geography, rng: np.random.Generator) -> pd.DataFrame:
    vocab = load_vocabulary(cfg.seeds_dir or SEEDS_DIR)
    n_treated = int(rng.integers(3, 5))
    areas = rng.choice(len(geo.areas), size=n_treated, replace=False).tolist()
    starts = sorted(rng.choice(len(_STARTS), size=n_treated, replace=False).tolist())
    types = rng.choice(len(_TYPES), size=n_treated, replace=False)
    ending = int(rng.integers(n_treated))  # one of them ends after two to four quarters
    rows = []
    for j, (a, s, k) in enumerate(zip(areas, starts, types)):
        typ = _TYPES[int(k)]
        start = _STARTS[s]
        end = start + timedelta(weeks=13 * int(rng.integers(2, 5))) - timedelta(days=1) if j == ending else None
        rows.append({
            "area_id": geo.areas["area_id"].iat[a], "place_id": None,
            "intervention_type": typ, "intervention_type_sv": vocab.intervention_types[typ][0],
            "decided_date": start - timedelta(days=int(rng.integers(14, 60))),
            "start_date": start, "end_date": end,
            "intensity": INTENSITY_SV[int(rng.integers(3))],
            "responsible": RESPONSIBLE.get(typ, "Kommun"),
            "cost_sek": None if typ == "police_patrol" else float(round(rng.uniform(20_000, 300_000), -3)),
            "description": _DESCRIPTION_SV[typ],
        })
    table = pd.DataFrame(rows).sort_values(["decided_date", "area_id"], kind="stable").reset_index(drop=True)
    table.insert(0, "intervention_id", [f"{cfg.area_prefix}-INS-{i + 1:03d}" for i in range(len(table))])
    return table


# --- the run -----------------------------------------------------------------------------

def clear_previous(out_dir: Path) -> None:
    """Remove what an earlier run of either profile wrote (never a partner's own file)."""
    from est_pipeline.demo.generator import _clear_previous  # the default profile's owned files

    _clear_previous(out_dir)
    (out_dir / LATER_DIR / "interventions" / register.FILE_NAME).unlink(missing_ok=True)


def generate_police_only(out_dir: Path, config: PoliceOnlyConfig | None = None) -> PoliceOnlySummary:
    started = time.perf_counter()
    cfg = config or PoliceOnlyConfig()
    out_dir = Path(out_dir)
    seeds_dir = Path(cfg.seeds_dir) if cfg.seeds_dir is not None else SEEDS_DIR
    codes = load_crime_codes(seeds_dir)
    clear_previous(out_dir)

    def rng(component: int) -> np.random.Generator:
        return np.random.default_rng([cfg.seed, int(cfg.municipality_code), component])

    years = list(range(FIRST_DAY.year, LAST_DAY.year + 1))
    geo = build_geography(cfg, years, rng(0))
    rep = simulate_reports(cfg, geo, codes, rng(1))
    out = Output(out_dir)
    deliveries = write_deliveries(cfg, rep, codes, geo, out, rng(2))
    reference = write_reference(geo, out_dir)

    later = Output(out_dir, landing=LATER_DIR)
    table = build_interventions(cfg, geo, rng(3))
    register.write_register(table, later, rng(4))

    written_rows = sum(d["rows"] for d in deliveries)
    own = rep["muni"] == cfg.municipality_code  # every simulated report is in some delivery
    truth = {
        "generator": "est_pipeline.demo",
        "profile": PROFILE,
        "seed": cfg.seed,
        "config": cfg.as_dict(),
        "municipality": {"code": cfg.municipality_code, "name": cfg.municipality_name,
                         "full_name": f"{cfg.municipality_name} kommun", "county": cfg.county,
                         "area_id_prefix": cfg.area_prefix},
        "period": {"first_registration_date": date.fromordinal(int(rep["reg"].min())).isoformat(),
                   "last_registration_date": date.fromordinal(int(rep["reg"].max())).isoformat()},
        "crime_codes": {
            "seed": "dbt_project/seeds/police_crime_codes.csv",
            "tracked": len(codes.category), "not_tracked": len(codes.not_tracked),
            "categories": sorted(codes.tracked_by_category),
            "unknown_codes_planted": [{"code": c, "text": t} for c, t in UNKNOWN_CRIME_CODES],
            "leading_zero_lost": "a code starting with 0 written without it (392 for 0392), "
                                 "the same way in every file that carries the Id",
        },
        "delivery_order": {"rule": DELIVERY_ORDER_RULE, "files": [d["file_name"] for d in deliveries]},
        "ids": {"distinct": int(len(rep)), "own_municipality": int(own.sum()),
                "repeated_rows": sum(d["quirks"]["repeated_identical"] + d["quirks"]["repeated_corrected"]
                                     for d in deliveries),
                "rows_written": written_rows},
        "other_municipalities": [{"code": c, "name": n, "county": k, "files": "national file only"
                                  if k != cfg.county else "every file"} for c, n, k, _ in OTHER_MUNICIPALITIES],
        "areas": [{"area_id": a, "area_name": n} for a, n in zip(geo.areas["area_id"], geo.areas["area_name"])],
        "deso": {link: sorted(geo.desos.loc[geo.desos["link"] == link, "deso"])
                 for link in ("whole", "split", "partial", "unlinked")},
        "reference_files": [{"file_name": n, "rows": r} for n, r in reference],
        "not_written": ["police_local", "police_events", "fault_reports", "field_observations",
                        "property_incidents", "checklist", "safety_survey", "interventions (landing)",
                        "reference: population.csv, places, addresses"],
        "interventions": {
            "file": f"{LATER_DIR}/interventions/{register.FILE_NAME}",
            "rows": len(table),
            "treated_areas": sorted(table["area_id"]),
            "schedule": [{"intervention_id": r.intervention_id, "area_id": r.area_id,
                          "intervention_type": r.intervention_type,
                          "start_date": r.start_date.isoformat(),
                          "end_date": r.end_date.isoformat() if isinstance(r.end_date, date) else ""}
                         for r in table.itertuples()],
            "planted_effects": "none: the register exercises the chain, the crimes do not respond to it",
        },
        "files": deliveries,
    }
    gt = out_dir / "ground_truth"
    gt.mkdir(parents=True, exist_ok=True)
    (gt / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    files = [("landing/police_deso", d["file_name"], d["rows"]) for d in deliveries]
    files += [("landing/reference", n, r) for n, r in reference]
    files.append((f"{LATER_DIR}/interventions", register.FILE_NAME, len(table)))
    return PoliceOnlySummary(out_dir=out_dir, files=files, ids=int(len(rep)), own_ids=int(own.sum()),
                             rows=written_rows, seconds=time.perf_counter() - started)
