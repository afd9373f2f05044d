"""Real boundary files for the tests, written with pyogrio (GDAL), and a clean reference set.

Nothing here is a mock: the files are real GeoPackages and Shapefiles as a GIS program
would write them, in the coordinate systems Swedish municipalities use.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyogrio import raw
from pyproj import Transformer
from shapely.geometry import Polygon, box

SWEREF99TM = "EPSG:3006"

#: Three areas side by side in SWEREF 99 TM (2 km squares), north of Norrvik.
AREA_BOXES = {
    "NV01": (510000.0, 6578000.0, 512000.0, 6580000.0),
    "NV02": (512000.0, 6578000.0, 514000.0, 6580000.0),
    "NV03": (514000.0, 6578000.0, 516000.0, 6580000.0),
}
AREA_NAMES = {"NV01": "Centrum", "NV02": "Norra", "NV03": "Östra"}


def area_polygon(area_id: str) -> Polygon:
    return box(*AREA_BOXES[area_id])


def in_crs(geom: Any, crs: str) -> Any:
    """A SWEREF 99 TM geometry expressed in ``crs`` (x = east/longitude)."""
    if crs == SWEREF99TM:
        return geom
    t = Transformer.from_crs(SWEREF99TM, crs, always_xy=True)
    return shapely.transform(geom, lambda x, y: t.transform(x, y), interleaved=False)


def write_gis(path: Path, records: list[dict[str, Any]], geoms: list[Any], crs: str | None,
              driver: str | None = None, layer: str | None = None, geometry_type: str = "Polygon") -> Path:
    """Write a layer: one feature per record (attribute dict) and geometry (shapely or None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    driver = driver or ("GPKG" if path.suffix == ".gpkg" else "ESRI Shapefile")
    fields = list(records[0])
    data = [np.array([r[f] for r in records], dtype=object if isinstance(records[0][f], str) else None)
            for f in fields]
    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "'crs' was not provided": that is the point of some tests
        raw.write(path, wkb, data, fields, driver=driver, geometry_type=geometry_type, crs=crs,
                  layer=layer, append=layer is not None and path.exists())
    return path


def areas_records(ids: list[str], with_municipality: bool = True) -> list[dict[str, Any]]:
    out = []
    for area_id in ids:
        rec: dict[str, Any] = {"Områdes-ID": area_id, "Områdesnamn": AREA_NAMES.get(area_id, area_id)}
        if with_municipality:
            rec.update({"Kommunkod": "9001", "Kommun": "Norrvik"})
        out.append(rec)
    return out


def zip_shapefile(shp: Path, target: Path, folder: str = "") -> Path:
    """Zip ``shp`` and its parts (optionally inside a folder in the zip) and remove them."""
    with zipfile.ZipFile(target, "w") as zf:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            if part == target:
                continue
            zf.write(part, folder + part.name)
            part.unlink()
    return target


def police_csv(rows: list[tuple[str, str, str | None, int]]) -> str:
    """The police's R-style DeSO extract: (id, registration date, DeSO or None, count)."""
    lines = ['"","Id","Brottskod","Brottskod.klartext","Inskrivningsdatum","Brottsdatum","Kommun","Län",'
             '"DeSO.område","Antal"']
    for i, (crime_id, day, deso, count) in enumerate(rows, start=1):
        lines.append(f'"{i}","{crime_id}","1211","Bilbrand","{day}","{day}","Norrvik","Norrviks län",'
                     f'"{deso or "NA"}","{count}"')
    return "\n".join(lines) + "\n"


def write_clean_reference(landing: Path, police: bool = True) -> Path:
    """A consistent reference set (three areas as GeoPackage, links, population) and a
    police DeSO extract covering 2023-W10 to 2024-W02. Returns landing/reference."""
    ref = landing / "reference"
    ids = list(AREA_BOXES)
    write_gis(ref / "areas.gpkg", areas_records(ids), [area_polygon(a) for a in ids], SWEREF99TM)
    (ref / "area_deso.csv").write_text(
        "Områdes-ID;DeSO;Andel\n"
        "NV01;9001A0010;0,6\n"
        "NV02;9001A0010;0,4\n"
        "NV02;9001A0020;\n"
        "NV03;9001B0030;1\n", encoding="utf-8")
    (ref / "population.csv").write_text(
        "Områdes-ID;År;Folkmängd\n" + "".join(f"{a};{y};{1000 + i}\n" for i, a in enumerate(ids) for y in (2023, 2024)),
        encoding="utf-8")
    if police:
        folder = landing / "police_deso"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "brott_deso.csv").write_text(police_csv([
            ("P-1", "2023-03-08", "9001A0010", 2),
            ("P-2", "2023-06-01", "9001A0020", 1),
            ("P-3", "2024-01-10", "9001B0030", 1),
            ("P-4", "2024-01-11", None, 1),
        ]), encoding="utf-8")
    return ref
