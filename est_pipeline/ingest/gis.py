"""Reading boundary files (GeoPackage, Shapefile, zipped Shapefile) and their CRS.

Municipalities export areas from whatever GIS they use, in whatever coordinate system
their GIS department works in: SWEREF 99 TM, one of the SWEREF 99 local zones, the old
RT90 2.5 gon V, or WGS84. The files are read with pyogrio (GDAL) and the coordinate
systems understood by pyproj; nothing here parses a GIS format by hand.

The rule for the coordinate system of a file:

- a declared CRS (a ``.prj`` file, the GeoPackage's spatial reference, a GeoJSON
  ``crs`` member) is used when pyproj can read it, and the file is refused with
  ``unknown_crs`` when it cannot;
- a GeoJSON without a ``crs`` member is WGS84 (RFC 7946), unless its coordinates can
  only be SWEREF 99 TM metres;
- any other file without a CRS is accepted only when the coordinates are unambiguous:
  SWEREF 99 TM metres over Sweden, or longitude/latitude over Sweden. Anything else
  (a local zone, RT90, swapped axes) is refused with ``unknown_crs``, because guessing
  would put the areas in the wrong place without anyone noticing.

Every geometry is stored as WKT in SWEREF 99 TM (EPSG:3006).
"""

from __future__ import annotations

import math
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from est_pipeline.ingest.spec import FileRejected

SWEREF99TM = "EPSG:3006"
WGS84 = "EPSG:4326"

#: Sweden in SWEREF 99 TM (metres), a little generous. Local SWEREF 99 zones have
#: eastings around 150 000 and RT90 around 1 200 000–1 900 000, so neither falls inside.
TM_EAST = (250_000.0, 950_000.0)
TM_NORTH = (6_100_000.0, 7_700_000.0)
#: Sweden in longitude/latitude.
SWEDEN_LON = (10.0, 25.0)
SWEDEN_LAT = (55.0, 70.0)

#: A shapefile is several files; these belong to ``x.shp`` and travel with it. The
#: first four carry data (geometry index, attributes, CRS, encoding) and are part of
#: its content hash; the rest are indexes and metadata GIS programs leave beside it.
SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg")
SHAPEFILE_EXTRAS = (".sbn", ".sbx", ".qix", ".qpj", ".qmd", ".fix", ".aih", ".ain", ".atx",
                    ".ixs", ".mxs", ".shp.xml")
#: Without these the shapefile cannot be read at all.
SHAPEFILE_REQUIRED = (".shx", ".dbf")

_HOW_TO_SAVE = ("spara om filen från GIS-programmet med koordinatsystemet angivet, helst "
                "SWEREF 99 TM (EPSG:3006) eller WGS84 (EPSG:4326), och skicka med alla delar")


def sidecar_suffix(name: str) -> str | None:
    """``areas.dbf`` -> ``.dbf``: the part of a shapefile this file name is, or None."""
    lower = name.lower()
    for suffix in (*SHAPEFILE_PARTS, *SHAPEFILE_EXTRAS):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    return None


def shapefile_parts(shp: Path) -> dict[str, Path]:
    """The parts lying beside ``shp`` (``.dbf`` -> path), matched without regard to case."""
    stem = shp.name[: -len(shp.suffix)].lower()
    parts: dict[str, Path] = {}
    if not shp.parent.is_dir():
        return parts
    for sibling in shp.parent.iterdir():
        lower = sibling.name.lower()
        for suffix in SHAPEFILE_PARTS:
            if lower == stem + suffix and sibling.is_file():
                parts[suffix] = sibling
    return parts


@dataclass(frozen=True)
class SourceCrs:
    """The coordinate system of a file: ``crs`` is what pyproj reads, ``label`` for people."""

    crs: str
    label: str
    inferred: bool = False

    @property
    def is_sweref99tm(self) -> bool:
        return self.crs == SWEREF99TM


def _label(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"{crs.name} (EPSG:{epsg})" if epsg else crs.name


@lru_cache(maxsize=64)
def _transformer(source: str) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(source, SWEREF99TM, always_xy=True)


def resolve_crs(declared: str) -> SourceCrs:
    """A declared CRS as pyproj understands it; ``unknown_crs`` when it cannot."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError, ProjError

    text = str(declared).strip()
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise FileRejected(
            "unknown_crs",
            f"koordinatsystemet '{shown}' i filen kan inte läsas; {_HOW_TO_SAVE}",
        ) from None
    epsg = crs.to_epsg()
    if epsg == 3006:
        return SourceCrs(SWEREF99TM, _label(crs))
    key = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    try:
        _transformer(key)
    except (CRSError, ProjError):
        raise FileRejected(
            "unknown_crs",
            f"koordinatsystemet {_label(crs)} kan inte räknas om till SWEREF 99 TM; {_HOW_TO_SAVE}",
        ) from None
    return SourceCrs(key, _label(crs))


def _inside(bounds: tuple[float, float, float, float], east: tuple[float, float], north: tuple[float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return east[0] <= minx and maxx <= east[1] and north[0] <= miny and maxy <= north[1]


def _bounds_text(bounds: tuple[float, float, float, float]) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:,.6g}–{maxx:,.6g}, y {miny:,.6g}–{maxy:,.6g}".replace(",", " ")


def infer_crs(bounds: tuple[float, float, float, float] | None, geojson: bool, what: str) -> SourceCrs:
    """The CRS of a file that names none, from its coordinates (see the module docstring).

    ``what`` says what is missing, for the message (``.prj-filen saknas``).
    """
    if bounds is None or any(math.isnan(v) for v in bounds):
        # No usable geometry at all: every feature is quarantined on its own.
        return SourceCrs(WGS84 if geojson else SWEREF99TM, "okänt (ingen geometri)", inferred=True)
    if _inside(bounds, TM_EAST, TM_NORTH):
        return SourceCrs(SWEREF99TM, "SWEREF 99 TM (EPSG:3006), antaget av koordinaterna", inferred=True)
    if geojson and _inside(bounds, (-180.0, 180.0), (-90.0, 90.0)):
        return SourceCrs(WGS84, "WGS 84 (EPSG:4326), standard för GeoJSON", inferred=True)
    if _inside(bounds, SWEDEN_LON, SWEDEN_LAT):
        return SourceCrs(WGS84, "WGS 84 (EPSG:4326), antaget av koordinaterna", inferred=True)
    hint = ""
    minx, _, maxx, _ = bounds
    if 0 < minx and maxx < TM_EAST[0]:
        hint = " (x-värdena liknar en lokal SWEREF 99-zon, t.ex. SWEREF 99 16 30)"
    elif minx > 1_000_000:
        hint = " (x-värdena liknar RT90 2,5 gon V)"
    raise FileRejected(
        "unknown_crs",
        f"filen anger inget koordinatsystem ({what}) och koordinaterna ({_bounds_text(bounds)}) kan inte "
        f"tolkas säkert{hint}; {_HOW_TO_SAVE}",
    )


def to_sweref(geom: Any, source: str) -> Any:
    """A shapely geometry from ``source`` into SWEREF 99 TM (2D)."""
    import shapely

    geom = shapely.force_2d(geom)
    if source == SWEREF99TM:
        return geom
    transformer = _transformer(source)
    return shapely.transform(geom, lambda x, y: transformer.transform(x, y), interleaved=False)


class GeometryCell(dict):
    """The geometry cell of one feature: ``{"geometry": ...}`` with the file's CRS beside it.

    A dict, so that a quarantined row's raw record shows the geometry; the CRS is an
    attribute so that it is not repeated in every record.
    """

    def __init__(self, geometry: Any, crs: SourceCrs) -> None:
        super().__init__(geometry=geometry)
        self.crs = crs


@dataclass
class OgrTable:
    fields: list[str]
    #: (feature number, attribute values, shapely geometry or None)
    features: list[tuple[int, list[Any], Any]]
    crs: SourceCrs
    notes: list[str] = field(default_factory=list)


def _zip_member(path: Path) -> tuple[str, bool]:
    """The shapefile inside a zip (``/vsizip/`` path for GDAL), and whether a .prj is beside it."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile:
        raise FileRejected("unparseable_file", "filen heter .zip men kan inte öppnas som zip-arkiv") from None
    usable = [n for n in names if "__MACOSX" not in n and not Path(n).name.startswith(".")]
    shps = [n for n in usable if n.lower().endswith(".shp")]
    if not shps:
        raise FileRejected(
            "incomplete_shapefile",
            f"zip-filen innehåller ingen shapefil (.shp); den innehåller {', '.join(usable[:8]) or 'inga filer'}",
        )
    if len(shps) > 1:
        raise FileRejected(
            "incomplete_shapefile",
            f"zip-filen innehåller {len(shps)} shapefiler ({', '.join(shps[:5])}); lägg bara områdena i zip-filen",
        )
    shp = shps[0]
    stem = shp[:-4].lower()
    lowered = {n.lower() for n in usable}
    missing = [s for s in SHAPEFILE_REQUIRED if stem + s not in lowered]
    if missing:
        raise FileRejected(
            "incomplete_shapefile",
            f"shapefilen {shp} i zip-filen saknar {' och '.join(Path(shp).stem + s for s in missing)}; "
            f"zippa alla delar (.shp, .shx, .dbf, .prj, .cpg) tillsammans",
        )
    return f"/vsizip/{path}/{shp}", stem + ".prj" in lowered


def _gpkg_layer(path: Path) -> tuple[str, bool]:
    """The layer to read, and whether it was chosen among several."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise FileRejected("unparseable_file", f"filen kan inte läsas som GeoPackage: {exc}") from None
    spatial = [str(name) for name, gtype in layers if gtype is not None]
    if not spatial:
        raise FileRejected("missing_required_column", "GeoPackage-filen har inget lager med geometri")
    if len(spatial) == 1:
        return spatial[0], False
    wanted = path.stem.lower()
    for name in spatial:
        if name.lower() in (wanted, {"areas": "omraden", "places": "platser"}.get(wanted, "")):
            return name, True
    raise FileRejected(
        "ambiguous_layer",
        f"GeoPackage-filen har {len(spatial)} lager med geometri ({', '.join(spatial[:8])}) och inget heter "
        f"'{path.stem}'; döp om lagret med {path.stem} till '{path.stem}' eller spara bara det lagret i filen",
    )


def read_ogr(path: Path, kind: str) -> OgrTable:
    """A GeoPackage, Shapefile or zipped Shapefile: attributes, geometries and CRS.

    Raises FileRejected (``unparseable_file``, ``incomplete_shapefile``, ``ambiguous_layer``,
    ``unknown_crs``, ``empty_file``) when the file as a whole cannot be used.
    """
    import numpy as np
    import pyogrio
    import shapely
    from pyogrio import raw
    from pyogrio.errors import CRSError

    layer: str | None = None
    among_several = False
    source: str | Path = path
    has_prj = True
    if kind == "shp":
        parts = shapefile_parts(path)
        missing = [s for s in SHAPEFILE_REQUIRED if s not in parts]
        if missing:
            raise FileRejected(
                "incomplete_shapefile",
                f"shapefilen {path.name} saknar {' och '.join(path.stem + s for s in missing)} i samma mapp; "
                f"en shapefil är flera filer (.shp, .shx, .dbf, .prj, .cpg) som ska lämnas tillsammans",
            )
        has_prj = ".prj" in parts
    elif kind == "zip":
        source, has_prj = _zip_member(path)
    elif kind == "gpkg":
        layer, among_several = _gpkg_layer(path)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _fids, wkb, data = raw.read(source, layer=layer, force_2d=True, datetime_as_string=True)
    except CRSError as exc:
        raise FileRejected(
            "unknown_crs",
            f"koordinatsystemet i filen (.prj) kan inte läsas ({exc}); {_HOW_TO_SAVE}",
        ) from None
    except pyogrio.errors.DataSourceError as exc:
        kind_sv = {"gpkg": "GeoPackage", "shp": "shapefil", "zip": "zippad shapefil"}[kind]
        raise FileRejected("unparseable_file", f"filen kan inte läsas som {kind_sv}: {exc}") from None
    except Exception as exc:  # GDAL reports broken files with several error types
        raise FileRejected("unparseable_file", f"filen kan inte läsas: {type(exc).__name__}: {exc}") from None
    if wkb is None:
        raise FileRejected("missing_required_column", "filen har ingen geometri")
    if len(wkb) == 0:
        raise FileRejected("empty_file", "filen innehåller inga objekt")
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    fields = [str(f) for f in meta["fields"]]
    columns = [_python_values(arr) for arr in data]
    features = [(i + 1, [col[i] for col in columns], geoms[i]) for i in range(len(geoms))]
    notes: list[str] = []
    if meta.get("crs"):
        crs = resolve_crs(meta["crs"])
    else:
        usable = [g for g in geoms if g is not None and not g.is_empty]
        bounds = tuple(shapely.total_bounds(np.asarray(usable, dtype=object))) if usable else None
        what = ".prj-filen saknas" if kind in ("shp", "zip") and not has_prj else "inget koordinatsystem angivet"
        crs = infer_crs(bounds, geojson=False, what=what)  # type: ignore[arg-type]
    if crs.inferred:
        notes.append(f"koordinatsystem {crs.label}")
    if among_several:
        notes.append(f"lager '{layer}' av flera")
    return OgrTable(fields, features, crs, notes)


def _python_values(arr: Any) -> list[Any]:
    """A pyogrio field array as Python values; NaN (a null number) becomes None."""
    values = arr.tolist()
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]
