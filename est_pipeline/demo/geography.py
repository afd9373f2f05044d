"""A fictional geography: municipalities, residential areas, places, addresses, DeSO links.

Everything is laid out on grids in SWEREF 99 TM so that containment is guaranteed by
construction rather than checked afterwards: each area is an irregular 12-gon inside its
own grid cell, every place is an axis-aligned rectangle inside the area's inner square
(which lies inside the polygon's inscribed circle), and municipalities are separated by
kilometres of empty land. Points "outside the municipality" are drawn in the far north,
hundreds of kilometres from any area, so a point-in-polygon test is unambiguous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

AREA_CELL_M = 1200.0  # each area lives in a 1.2 km grid cell
_R_MIN, _R_MAX = 0.40, 0.47  # polygon vertex radius, share of the cell
_N_VERTICES = 12
#: Half side of the square holding the places; its corners (h*sqrt 2) stay inside the
#: polygon's inscribed circle (R_MIN * cell * cos(pi/12) = 464 m).
_PLACE_HALF = 0.27 * AREA_CELL_M
_PLACE_GRID = 4  # 4 x 4 sub-cells for places
#: Radius of the disc from which open-ground points (not at a place) are drawn.
OPEN_RADIUS = 0.38 * AREA_CELL_M
_PLACE_MARGIN = 8.0  # event points keep this far from a place's edge (room for jitter)
_OPEN_BUFFER = 20.0  # open-ground points keep this far from any place

PUBLIC_KINDS = ("square", "park", "school_yard", "bus_stop", "shopping_centre")
SEMI_PUBLIC_KINDS = ("stairwell", "laundry_room", "garage", "shop")
_EXTRA_KINDS = ("stairwell", "stairwell", "laundry_room", "bus_stop", "garage")

_AREA_FIRST = ["Sol", "Ek", "Björk", "Lärk", "Tall", "Gran", "Väster", "Öster", "Norr", "Söder",
               "Berg", "Sjö", "Äng", "Hag", "Lind", "Rönn", "Hassel", "Alm", "Asp", "Mo"]
_AREA_LAST = ["backen", "hagen", "ängen", "staden", "gården", "höjden", "dalen", "lunden",
              "viken", "berga", "torp", "näset"]
_STREET_FIRST = ["Björk", "Lärk", "Tall", "Gran", "Ek", "Hassel", "Rönn", "Al", "Lind", "Asp",
                 "Sälg", "Fläder", "Syren", "Hägg", "Lönn", "Ask", "Bok", "Pil", "Vide", "En",
                 "Kastanj", "Körsbärs", "Äppel", "Päron", "Plommon", "Hallon", "Blåbärs",
                 "Lingon", "Smultron", "Vitsippe"]
_STREET_LAST = ["vägen", "gatan", "stigen", "gränd", "backen", "allén", "slingan", "svängen"]
_STREET_QUALIFIER = ["", "Norra ", "Södra ", "Västra ", "Östra ", "Lilla ", "Stora "]
_MUNI_FIRST = ["Fjäll", "Tall", "Gran", "Björk", "Rönn", "Hassel", "Lärk", "Sälg", "Ask",
               "Alm", "Lönn", "Asp", "Hägg", "Vide", "Vass", "Säv", "Kråk", "Ugg", "Tjäder",
               "Orre"]
_MUNI_LAST = ["vik", "by", "ås", "sund", "torp", "näs", "dal", "holm", "berga", "hamn",
              "fors", "lunda", "mark", "ryd", "stad"]
_COUNTY_NAMES = ["Norrlanda", "Mellanåsa", "Västerfjälla", "Österhavs", "Sjöbygdens",
                 "Skogslanda", "Dalmarka", "Kustlanda", "Älvdala", "Bergslanda",
                 "Slättlanda", "Mosslanda", "Ängslanda", "Hedlanda", "Fjärdlanda",
                 "Vidlanda", "Klippa", "Strandlanda", "Myrlanda", "Sandlanda"]
MUNICIPALITIES_PER_COUNTY = 15

KIND_LABEL_SV = {
    "square": "torg", "park": "park", "school_yard": "skolgård", "bus_stop": "hållplats",
    "shopping_centre": "centrum", "stairwell": "trapphus", "laundry_room": "tvättstuga",
    "garage": "garage", "shop": "butik",
}


@dataclass
class Municipality:
    index: int  # 0-based position in the run
    code: str  # "9001"
    name: str  # "Norrvik"
    prefix: str  # area id prefix, "NV"
    county: str  # "Norrlanda län"
    centre: tuple[float, float]  # SWEREF 99 TM (E, N)
    areas: pd.DataFrame  # area_id, area_name, cx, cy, population, level
    polygons: list[np.ndarray]  # per area: closed ring, (n+1, 2) in SWEREF 99 TM
    places: pd.DataFrame  # place_id, area_idx, area_id, place_name, place_type, place_kind,
    #                       x0, y0, x1, y1, deso, address, fastighet
    addresses: pd.DataFrame  # Adress, Postnummer, Ort, Plats-ID, Områdes-ID, Fastighet
    area_deso: pd.DataFrame  # Områdes-ID, DeSO, Andel
    population: pd.DataFrame  # Områdes-ID, År, Folkmängd
    streets: list[list[str]]  # per area
    area_deso_choices: list[tuple[np.ndarray, np.ndarray]]  # per area: (codes, weights)
    place_offsets: np.ndarray  # CSR over places by area: places of area a are [off[a], off[a+1])

    @property
    def full_name(self) -> str:
        return f"{self.name} kommun"

    def places_of_type(self, place_type: str) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, place indices) of the places of one type, per area."""
        mask = (self.places["place_type"] == place_type).to_numpy()
        idx = np.flatnonzero(mask)
        area_of = self.places["area_idx"].to_numpy()[idx]
        counts = np.bincount(area_of, minlength=len(self.areas))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        return offsets, idx


def municipality_name(index: int) -> str:
    if index == 0:
        return "Norrvik"
    combos = [f + l for f in _MUNI_FIRST for l in _MUNI_LAST if f + l != "Norrvik"]
    base = combos[(index - 1) % len(combos)]
    return base if index - 1 < len(combos) else f"{base} {(index - 1) // len(combos) + 1}"


def municipality_prefix(index: int) -> str:
    if index == 0:
        return "NV"
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    pairs = [a + b for a in letters for b in letters if a + b != "NV"]
    return pairs[(index - 1) % len(pairs)] + ("" if index - 1 < len(pairs) else str((index - 1) // len(pairs)))


def county_name(index: int) -> str:
    c = index // MUNICIPALITIES_PER_COUNTY
    base = _COUNTY_NAMES[c % len(_COUNTY_NAMES)]
    suffix = "" if c < len(_COUNTY_NAMES) else f" {c // len(_COUNTY_NAMES) + 1}"
    return f"{base}{suffix} län"


def _street_pool(rng: np.random.Generator) -> list[str]:
    base = [f + l for f in _STREET_FIRST for l in _STREET_LAST]
    order = rng.permutation(len(base))
    return [q + base[i] for q in _STREET_QUALIFIER for i in order]


def build_municipality(index: int, n_municipalities: int, n_areas: int, years: list[int],
                       rng: np.random.Generator) -> Municipality:
    code = f"{9001 + index}"
    name = municipality_name(index)
    prefix = municipality_prefix(index)
    id_width = max(2, len(str(n_areas)))

    # Municipalities on a square grid, each a square of area cells, kilometres apart.
    m_cols = math.ceil(math.sqrt(n_municipalities))
    a_cols = math.ceil(math.sqrt(n_areas))
    extent = a_cols * AREA_CELL_M
    spacing = extent + 8000.0
    e0 = 420000.0 + (index % m_cols) * spacing
    n0 = 6420000.0 + (index // m_cols) * spacing

    a = np.arange(n_areas)
    cx = e0 + (a % a_cols + 0.5) * AREA_CELL_M
    cy = n0 + (a // a_cols + 0.5) * AREA_CELL_M

    names_pool = [f + l for f in _AREA_FIRST for l in _AREA_LAST]
    pick = rng.permutation(len(names_pool))
    area_names = [names_pool[pick[i % len(names_pool)]] + ("" if i < len(names_pool) else f" {i // len(names_pool) + 1}")
                  for i in range(n_areas)]
    area_ids = [f"{prefix}{i + 1:0{id_width}d}" for i in range(n_areas)]

    population = rng.integers(800, 6001, size=n_areas)
    muni_effect = rng.normal(0.0, 0.2)
    level = 0.8 * np.log(population / 2500.0) + rng.normal(0.0, 0.45, size=n_areas) + muni_effect

    # Irregular 12-gons: vertex radius varies, angles jitter a little.
    theta = (np.arange(_N_VERTICES) + rng.uniform(-0.2, 0.2, size=(n_areas, _N_VERTICES))) \
        * (2 * math.pi / _N_VERTICES)
    radius = rng.uniform(_R_MIN, _R_MAX, size=(n_areas, _N_VERTICES)) * AREA_CELL_M
    vx = cx[:, None] + radius * np.cos(theta)
    vy = cy[:, None] + radius * np.sin(theta)
    polygons = []
    for i in range(n_areas):
        ring = np.round(np.column_stack([vx[i], vy[i]]), 1)
        polygons.append(np.vstack([ring, ring[:1]]))

    # Streets: three per area, unique within the municipality.
    pool = _street_pool(rng)
    streets = [[pool[(3 * i + j) % len(pool)] + ("" if 3 * i + j < len(pool) else f" {(3 * i + j) // len(pool) + 1}")
                for j in range(3)] for i in range(n_areas)]
    house_no: dict[str, int] = {}

    def next_address(street: str) -> str:
        house_no[street] = house_no.get(street, -1) + 2
        return f"{street} {house_no[street]}"

    # DeSO links: one DeSO per area, plus a DeSO shared by two neighbours every fourth area.
    deso_rows: list[tuple[str, str, float]] = []
    area_deso_choices: list[list[tuple[str, float]]] = [[] for _ in range(n_areas)]
    letters = np.where(population < 1500, "A", np.where(population < 3500, "B", "C"))
    for i in range(n_areas):
        primary = f"{code}{letters[i]}{(i + 1) * 10:04d}"
        share = 0.9 if i % 5 == 3 else 1.0  # part of that DeSO lives outside any EST area
        deso_rows.append((area_ids[i], primary, share))
        area_deso_choices[i].append((primary, 0.7))
    for i in range(1, n_areas - 1, 4):
        shared = f"{code}{letters[i]}{(i + 1) * 10 + 5:04d}"
        deso_rows.append((area_ids[i], shared, 0.55))
        deso_rows.append((area_ids[i + 1], shared, 0.45))
        area_deso_choices[i].append((shared, 0.3))
        area_deso_choices[i + 1].append((shared, 0.3))
    choices = []
    for lst in area_deso_choices:
        codes = np.array([c for c, _ in lst])
        w = np.array([w for _, w in lst])
        choices.append((codes, w / w.sum()))
    area_deso = pd.DataFrame(deso_rows, columns=["Områdes-ID", "DeSO", "Andel"])
    area_deso = area_deso.sort_values(["Områdes-ID", "DeSO"], kind="stable").reset_index(drop=True)

    # Places: every kind once per area, plus one to three extra, in distinct sub-cells.
    sub = 2 * _PLACE_HALF / _PLACE_GRID
    place_rows = []
    address_rows = []
    for i in range(n_areas):
        n_extra = int(rng.integers(1, 4))
        kinds = list(PUBLIC_KINDS) + list(SEMI_PUBLIC_KINDS) + \
            [_EXTRA_KINDS[k] for k in rng.choice(len(_EXTRA_KINDS), size=n_extra, replace=False)]
        cells = rng.choice(_PLACE_GRID * _PLACE_GRID, size=len(kinds), replace=False)
        postnummer = f"{(100 + 7 * index) % 900 + 100:03d} {(10 + i) % 100:02d}"
        for j, (kind, cell) in enumerate(zip(kinds, cells)):
            w = rng.uniform(25.0, sub - 30.0)
            h = rng.uniform(25.0, sub - 30.0)
            sx = cx[i] - _PLACE_HALF + (cell % _PLACE_GRID) * sub
            sy = cy[i] - _PLACE_HALF + (cell // _PLACE_GRID) * sub
            x0 = round(sx + rng.uniform(10.0, sub - 10.0 - w), 1)
            y0 = round(sy + rng.uniform(10.0, sub - 10.0 - h), 1)
            x1, y1 = round(x0 + w, 1), round(y0 + h, 1)
            street = streets[i][int(rng.integers(0, 3))]
            semi = kind in SEMI_PUBLIC_KINDS
            n_addr = int(rng.integers(1, 3)) if semi else 1
            addrs = [next_address(street) for _ in range(n_addr)]
            an = area_names[i]
            pname = {
                "square": f"{an}s torg",
                "park": f"Parken i {an}",
                "school_yard": f"{an}skolans skolgård",
                "bus_stop": f"Hållplats {street}",
                "shopping_centre": f"{an}s centrum",
                "stairwell": f"Trapphus {addrs[0]}",
                "laundry_room": f"Tvättstuga {addrs[0]}",
                "garage": f"Garage {addrs[0]}",
                "shop": f"Närbutiken {addrs[0]}",
            }[kind]
            place_id = f"{area_ids[i]}-P{j + 1:02d}"
            fastighet = f"{name} {an} {i + 1}:{j + 1}"
            codes, wts = choices[i]
            deso = str(codes[int(rng.choice(len(codes), p=wts))])
            place_rows.append((place_id, i, area_ids[i], pname, "semi_public" if semi else "public",
                               kind, x0, y0, x1, y1, deso, addrs[0], fastighet))
            for ad in addrs:
                address_rows.append((ad, postnummer, name, place_id, area_ids[i], fastighet))
    places = pd.DataFrame(place_rows, columns=["place_id", "area_idx", "area_id", "place_name",
                                               "place_type", "place_kind", "x0", "y0", "x1", "y1",
                                               "deso", "address", "fastighet"])
    counts = np.bincount(places["area_idx"].to_numpy(), minlength=n_areas)
    place_offsets = np.concatenate([[0], np.cumsum(counts)])
    addresses = pd.DataFrame(address_rows, columns=["Adress", "Postnummer", "Ort", "Plats-ID",
                                                    "Områdes-ID", "Fastighet"])

    # Population changes a little every year.
    growth = np.exp(np.cumsum(rng.normal(0.005, 0.02, size=(n_areas, len(years))), axis=1))
    pop_years = np.round(population[:, None] * growth).astype(int)
    population_df = pd.DataFrame({
        "Områdes-ID": np.repeat(area_ids, len(years)),
        "År": np.tile(years, n_areas),
        "Folkmängd": pop_years.ravel(),
    })

    areas = pd.DataFrame({"area_id": area_ids, "area_name": area_names, "cx": cx, "cy": cy,
                          "population": population, "level": level})
    return Municipality(
        index=index, code=code, name=name, prefix=prefix, county=county_name(index),
        centre=(e0 + extent / 2, n0 + extent / 2), areas=areas, polygons=polygons,
        places=places, addresses=addresses, area_deso=area_deso, population=population_df,
        streets=streets, area_deso_choices=choices, place_offsets=place_offsets,
    )


def points_in_places(muni: Municipality, place_idx: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each place's rectangle, kept off the edges."""
    p = muni.places
    x0 = p["x0"].to_numpy()[place_idx] + _PLACE_MARGIN
    x1 = p["x1"].to_numpy()[place_idx] - _PLACE_MARGIN
    y0 = p["y0"].to_numpy()[place_idx] + _PLACE_MARGIN
    y1 = p["y1"].to_numpy()[place_idx] - _PLACE_MARGIN
    return x0 + rng.random(len(place_idx)) * (x1 - x0), y0 + rng.random(len(place_idx)) * (y1 - y0)


def open_points(muni: Municipality, area_idx: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points inside the area but away from every place (rejection sampling, vectorised)."""
    n = len(area_idx)
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    px0 = muni.places["x0"].to_numpy() - _OPEN_BUFFER
    px1 = muni.places["x1"].to_numpy() + _OPEN_BUFFER
    py0 = muni.places["y0"].to_numpy() - _OPEN_BUFFER
    py1 = muni.places["y1"].to_numpy() + _OPEN_BUFFER
    off = muni.place_offsets
    max_places = int(np.max(np.diff(off))) if len(off) > 1 else 0
    cx = muni.areas["cx"].to_numpy()
    cy = muni.areas["cy"].to_numpy()
    while len(todo):
        a = area_idx[todo]
        r = OPEN_RADIUS * np.sqrt(rng.random(len(todo)))
        t = rng.random(len(todo)) * 2 * math.pi
        tx = cx[a] + r * np.cos(t)
        ty = cy[a] + r * np.sin(t)
        bad = np.zeros(len(todo), dtype=bool)
        for j in range(max_places):
            has = off[a] + j < off[a + 1]
            k = np.where(has, off[a] + j, 0)
            bad |= has & (tx >= px0[k]) & (tx <= px1[k]) & (ty >= py0[k]) & (ty <= py1[k])
        x[todo[~bad]] = tx[~bad]
        y[todo[~bad]] = ty[~bad]
        todo = todo[bad]
    return x, y


def outside_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Valid SWEREF 99 TM points in the far north, far from every demo area."""
    return rng.uniform(650000.0, 780000.0, size=n), rng.uniform(7150000.0, 7350000.0, size=n)


def years_touched(start: date, end_exclusive: date) -> list[int]:
    return list(range(start.year, end_exclusive.year + (0 if end_exclusive.month == 1 and end_exclusive.day == 1 else 1)))
