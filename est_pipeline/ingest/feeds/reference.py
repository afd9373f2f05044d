"""Reference data: areas and places, addresses, population, DeSO links.

One landing folder; each table accepts one or more fixed file names (areas and places
as GeoJSON, GeoPackage, Shapefile or zipped Shapefile). Polygons are stored as WKT in
SWEREF 99 TM; a file in another coordinate system (WGS84, a SWEREF 99 local zone, RT90)
is transformed (``est_pipeline.ingest.gis``), so a municipality can export from any GIS
without knowing the contract's projection.

A municipality without boundaries defines its areas by the DeSO codes that make them
up: ``area_deso.csv`` with an ``Områdesnamn`` column and no areas file.
"""

from __future__ import annotations

import re
from typing import Any

from est_pipeline.ingest.convert import parse_number
from est_pipeline.ingest.gis import SWEREF99TM, to_sweref
from est_pipeline.ingest.spec import Column, Feed, RowProblem

SWEREF_N = (6_100_000.0, 7_700_000.0)
SWEREF_E = (200_000.0, 1_000_000.0)
PLACE_TYPES = ("public", "semi_public")
PLACE_KINDS = ("square", "park", "school_yard", "bus_stop", "shopping_centre",
               "stairwell", "laundry_room", "garage", "shop")
DESO_PATTERN = r"^\d{4}[A-C]\d{4}$"
#: A DeSO code, optionally followed by its name as SCB's tables print it
#: (``1880C1010 Örebro``); the name is dropped.
_DESO = re.compile(r"^\s*(\d{4}[A-Ca-c]\d{4})(?:\s+\D.*)?\s*$")
#: Accepted file names of the boundary tables, in the order the documentation names them.
GIS_SUFFIXES = (".geojson", ".gpkg", ".shp", ".zip")
GIS_FORMATS = ("geojson", "gpkg", "shp", "zip")


def _geometry(cell: Any) -> Any:
    """The feature's geometry in SWEREF 99 TM (shapely), refusing what cannot be used."""
    from shapely.geometry import shape
    from shapely.geometry.base import BaseGeometry

    geometry = cell.get("geometry") if isinstance(cell, dict) else None
    if geometry is None or (isinstance(geometry, dict) and not geometry):
        raise RowProblem("invalid_geometry", "objektet saknar geometri")
    if isinstance(geometry, BaseGeometry):
        geom = geometry
    else:
        try:
            geom = shape(geometry)
        except Exception as exc:  # shapely raises several types for malformed GeoJSON
            raise RowProblem("invalid_geometry", f"geometrin kan inte läsas: {exc}") from None
    if geom.is_empty:
        raise RowProblem("invalid_geometry", "geometrin är tom")
    crs = getattr(cell, "crs", None)
    source = crs.crs if crs is not None else SWEREF99TM
    try:
        geom = to_sweref(geom, source)
    except Exception as exc:
        raise RowProblem("invalid_coordinates", f"geometrin kan inte räknas om till SWEREF 99 TM: {exc}") from None
    minx, miny, maxx, maxy = geom.bounds
    if not (SWEREF_E[0] <= minx and maxx <= SWEREF_E[1] and SWEREF_N[0] <= miny and maxy <= SWEREF_N[1]):
        where = f" (räknat från {crs.label})" if crs is not None and source != SWEREF99TM else ""
        raise RowProblem(
            "invalid_coordinates",
            f"geometrin ligger utanför Sverige i SWEREF 99 TM{where} (x {minx:.0f}–{maxx:.0f}, "
            f"y {miny:.0f}–{maxy:.0f}); kontrollera filens koordinatsystem",
        )
    return geom


def geometry_wkt(cell: Any) -> str:
    """A feature's geometry -> WKT in SWEREF 99 TM, refusing geometry outside Sweden."""
    return _geometry(cell).wkt


def area_geometry_wkt(cell: Any) -> str:
    """As ``geometry_wkt``, and an area must be a surface (Polygon or MultiPolygon)."""
    geom = _geometry(cell)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise RowProblem(
            "invalid_geometry",
            f"ett område ska vara en yta (Polygon eller MultiPolygon), inte {geom.geom_type}",
        )
    return geom.wkt


def deso_code(text: str) -> str:
    """``1880c1010`` -> ``1880C1010``; SCB's ``1880C1010 Örebro`` is read as its code."""
    m = _DESO.match(text)
    if not m:
        raise RowProblem(
            "invalid_format",
            f"'{text}' är ingen DeSO-kod; en DeSO-kod är fyra siffror (kommunkoden), A, B eller C och "
            f"fyra siffror, t.ex. 1880C1010",
        )
    return m[1].upper()


def share(text: str) -> float:
    """The share of a DeSO in an area: more than 0 and at most 1 (decimal comma allowed)."""
    try:
        value = parse_number(text.rstrip("%").strip())
    except ValueError:
        raise RowProblem("invalid_number", f"andelen '{text}' är inget tal") from None
    if text.strip().endswith("%"):
        value /= 100
    if not 0 < value <= 1:
        raise RowProblem(
            "value_out_of_range",
            f"andelen {text} ligger utanför (0, 1]: skriv ett tal större än 0 och högst 1 (t.ex. 0,4), "
            f"eller lämna tomt när hela DeSO:n hör till området",
        )
    return value


def municipality_code(text: str) -> str:
    """Four digits; a code that lost its leading zero as a number (``180``) is restored."""
    t = text.strip()
    if t.endswith(".0"):
        t = t[:-2]
    if not t.isdigit() or len(t) > 4:
        raise RowProblem("invalid_format", f"kommunkoden '{text}' ska vara fyra siffror, t.ex. 1880")
    return t.zfill(4)


_GEOMETRY_SV = ("Geometrin (GeoJSON-geometri, eller geometrin i GeoPackage/shapefil) i SWEREF 99 TM "
                "(EPSG:3006) eller ett annat koordinatsystem som anges i filen; räknas om till SWEREF 99 TM")


def _gis_names(stem: str) -> tuple[str, ...]:
    return tuple(stem + suffix for suffix in GIS_SUFFIXES)


AREAS = Feed(
    name="reference", folder="reference", file_names=_gis_names("areas"), table="areas",
    formats=GIS_FORMATS, title_sv="Områden (areas.geojson, .gpkg, .shp eller .zip)", partner_sv="Kommunen",
    columns=(
        Column("area_id", "area_id", aliases=("Områdes-ID", "id"), description="Områdets id, t.ex. NV01"),
        Column("area_name", "area_name", aliases=("Områdesnamn", "name", "namn"),
               description="Områdets namn"),
        Column("municipality_code", "municipality_code", aliases=("Kommunkod",), required=False, nullable=True,
               parse=municipality_code,
               description="Kommunkod, fyra siffror (t.ex. 1880). Kan utelämnas: den följer av DeSO-koderna"),
        Column("municipality_name", "municipality_name", aliases=("Kommun", "Kommunnamn"), required=False,
               nullable=True, description="Kommunens namn. Kan utelämnas"),
        Column("geometry_wkt", "geometry", parse=area_geometry_wkt, screened=False,
               description=_GEOMETRY_SV + ". Ett område är en yta (Polygon eller MultiPolygon)"),
    ),
)
PLACES = Feed(
    name="reference", folder="reference", file_names=_gis_names("places"), table="places",
    formats=GIS_FORMATS, title_sv="Platser (places.geojson, .gpkg, .shp eller .zip)", partner_sv="Kommunen",
    columns=(
        Column("place_id", "place_id", aliases=("Plats-ID", "id"), description="Platsens id, t.ex. NV01-P03"),
        Column("area_id", "area_id", aliases=("Områdes-ID",), description="Området platsen ligger i"),
        Column("place_name", "place_name", aliases=("Platsnamn", "name", "namn"), description="Platsens namn"),
        Column("place_type", "place_type", description="public eller semi_public"),
        Column("place_kind", "place_kind", description=", ".join(PLACE_KINDS)),
        Column("geometry_wkt", "geometry", parse=geometry_wkt, screened=False, description=_GEOMETRY_SV),
    ),
)
ADDRESSES = Feed(
    name="reference", folder="reference", file_names=("addresses.csv",), table="addresses",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Adressregister (addresses.csv)",
    partner_sv="Kommunen och fastighetsbolaget",
    columns=(
        Column("adress", "Adress"),
        Column("postnummer", "Postnummer", nullable=True),
        Column("ort", "Ort", nullable=True),
        Column("plats_id", "Plats-ID", nullable=True),
        Column("omrades_id", "Områdes-ID"),
        Column("fastighet", "Fastighet", nullable=True, required=False),
    ),
)
POPULATION = Feed(
    name="reference", folder="reference", file_names=("population.csv",), table="area_population",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Folkmängd per område (population.csv)",
    partner_sv="Kommunen",
    columns=(
        Column("omrades_id", "Områdes-ID", description="Områdets id, som i områdesfilen"),
        Column("ar", "År", "integer", description="Året folkmängden gäller (t.ex. 31 december)"),
        Column("folkmangd", "Folkmängd", "integer", aliases=("Befolkning",), description="Antal invånare"),
    ),
)
AREA_DESO = Feed(
    name="reference", folder="reference", file_names=("area_deso.csv",), table="area_deso",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Områden och DeSO (area_deso.csv)",
    partner_sv="Kommunen",
    columns=(
        Column("omrades_id", "Områdes-ID", description="Områdets id, som i områdesfilen"),
        Column("deso", "DeSO", aliases=("DeSO-kod",), parse=deso_code,
               description="DeSO-kod, t.ex. 1880C1010 (SCB:s form `1880C1010 Örebro` går också bra)"),
        Column("andel", "Andel", "double", required=False, nullable=True, parse=share,
               description="Andel av DeSO:ns befolkning som bor i området, större än 0 och högst 1, "
                           "decimalkomma. Tomt = hela DeSO:n hör till området (andel 1)"),
        Column("omradesnamn", "Områdesnamn", required=False, nullable=True,
               description="Områdets namn: en kommun utan områdesgränser beskriver sina områden här, "
                           "som listan av DeSO:er varje område består av"),
    ),
)
DESO_POPULATION = Feed(
    name="reference", folder="reference", file_names=("deso_population.csv",), table="deso_population",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Folkmängd per DeSO (deso_population.csv)",
    partner_sv="Kommunen (från SCB)",
    columns=(
        Column("deso", "DeSO", aliases=("DeSO-kod", "Region"), parse=deso_code,
               description="DeSO-kod, t.ex. 1880C1010 (SCB:s form `1880C1010 Örebro` går också bra)"),
        Column("ar", "År", "integer", description="Året folkmängden gäller (t.ex. 31 december)"),
        Column("folkmangd", "Folkmängd", "integer", aliases=("Befolkning", "Antal"),
               description="Antal invånare i DeSO:n"),
    ),
)

REFERENCE_FEEDS = (AREAS, PLACES, ADDRESSES, POPULATION, AREA_DESO, DESO_POPULATION)
#: The feed of each accepted reference file name.
REFERENCE_FILE_NAMES: dict[str, Feed] = {name: feed for feed in REFERENCE_FEEDS for name in feed.file_names}
