"""Reference files: area and place polygons, the address register, population, DeSO links.

Written once per run (all municipalities in one set of files), as the municipality's GIS
and registry units would deliver them: GeoJSON in SWEREF 99 TM with the CRS named, and
semicolon-separated UTF-8 tables with decimal commas.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from est_pipeline.demo.formats import decimal_comma, write_delimited
from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.output import Output

_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}


def _ring(coords: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 1), round(float(y), 1)] for x, y in coords]


class ReferenceCollector:
    """Gathers each municipality's reference data; ``write`` emits the files at the end."""

    def __init__(self) -> None:
        self.area_features: list[dict] = []
        self.place_features: list[dict] = []
        self.addresses: list[pd.DataFrame] = []
        self.population: list[pd.DataFrame] = []
        self.area_deso: list[pd.DataFrame] = []

    def add(self, muni: Municipality) -> None:
        for (_, a), poly in zip(muni.areas.iterrows(), muni.polygons):
            self.area_features.append({
                "type": "Feature",
                "properties": {"area_id": a["area_id"], "area_name": a["area_name"],
                               "municipality_code": muni.code, "municipality_name": muni.full_name},
                "geometry": {"type": "Polygon", "coordinates": [_ring(poly)]},
            })
        for p in muni.places.itertuples():
            ring = np.array([[p.x0, p.y0], [p.x1, p.y0], [p.x1, p.y1], [p.x0, p.y1], [p.x0, p.y0]])
            self.place_features.append({
                "type": "Feature",
                "properties": {"place_id": p.place_id, "area_id": p.area_id,
                               "place_name": p.place_name, "place_type": p.place_type,
                               "place_kind": p.place_kind},
                "geometry": {"type": "Polygon", "coordinates": [_ring(ring)]},
            })
        self.addresses.append(muni.addresses)
        self.population.append(muni.population)
        self.area_deso.append(muni.area_deso)

    def write(self, out: Output) -> None:
        for name, feats in (("areas.geojson", self.area_features), ("places.geojson", self.place_features)):
            path = out.path("reference", name)
            path.parent.mkdir(parents=True, exist_ok=True)
            doc = {"type": "FeatureCollection", "name": name.split(".")[0], "crs": _CRS, "features": feats}
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            out.record("reference", name, len(feats))

        addr = pd.concat(self.addresses, ignore_index=True)
        n = write_delimited(out.path("reference", "addresses.csv"), list(addr.columns),
                            [addr[c].to_numpy(dtype=object) for c in addr.columns],
                            sep=";", encoding="utf-8")
        out.record("reference", "addresses.csv", n)

        pop = pd.concat(self.population, ignore_index=True)
        n = write_delimited(out.path("reference", "population.csv"), list(pop.columns),
                            [pop[c].astype(str).to_numpy(dtype=object) for c in pop.columns],
                            sep=";", encoding="utf-8")
        out.record("reference", "population.csv", n)

        links = pd.concat(self.area_deso, ignore_index=True)
        n = write_delimited(out.path("reference", "area_deso.csv"), list(links.columns),
                            [links["Områdes-ID"].to_numpy(dtype=object), links["DeSO"].to_numpy(dtype=object),
                             decimal_comma(links["Andel"].to_numpy(), 2)],
                            sep=";", encoding="utf-8")
        out.record("reference", "area_deso.csv", n)
