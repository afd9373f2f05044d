"""Reference data: areas and places (GeoJSON), addresses, population, DeSO links.

One landing folder, one fixed file name per table. Polygons are stored as WKT in
SWEREF 99 TM; a GeoJSON in WGS84 (the GeoJSON standard's default) is transformed, so a
municipality can export from any GIS without knowing the contract's projection.
"""

from __future__ import annotations

from typing import Any

from est_pipeline.ingest.spec import Column, Feed, RowProblem

SWEREF_N = (6_100_000.0, 7_700_000.0)
SWEREF_E = (200_000.0, 1_000_000.0)
PLACE_TYPES = ("public", "semi_public")
PLACE_KINDS = ("square", "park", "school_yard", "bus_stop", "shopping_centre",
               "stairwell", "laundry_room", "garage", "shop")


def _is_wgs84(crs: str, bounds: tuple[float, float, float, float]) -> bool:
    if "3006" in crs:
        return False
    if "4326" in crs or "CRS84" in crs.upper():
        return True
    return all(abs(v) <= 180 for v in bounds)


def geometry_wkt(cell: Any) -> str:
    """GeoJSON geometry -> WKT in SWEREF 99 TM, refusing geometry outside Sweden."""
    from shapely.geometry import shape
    from shapely.ops import transform

    geometry = cell.get("geometry") if isinstance(cell, dict) else None
    if not geometry:
        raise RowProblem("invalid_geometry", "objektet saknar geometri")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise RowProblem("invalid_geometry", f"geometrin kan inte läsas: {exc}") from None
    if geom.is_empty:
        raise RowProblem("invalid_geometry", "geometrin är tom")
    if _is_wgs84(cell.get("crs", ""), geom.bounds):
        from pyproj import Transformer

        to_sweref = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)
        geom = transform(to_sweref.transform, geom)
    minx, miny, maxx, maxy = geom.bounds
    if not (SWEREF_E[0] <= minx and maxx <= SWEREF_E[1] and SWEREF_N[0] <= miny and maxy <= SWEREF_N[1]):
        raise RowProblem(
            "invalid_coordinates",
            f"geometrin ligger utanför Sverige i SWEREF 99 TM (x {minx:.0f}–{maxx:.0f}, y {miny:.0f}–{maxy:.0f})",
        )
    return geom.wkt


AREAS = Feed(
    name="reference", folder="reference", file_name="areas.geojson", table="areas",
    formats=("geojson",), title_sv="Områden (areas.geojson)", partner_sv="Kommunen",
    columns=(
        Column("area_id", "area_id", aliases=("Områdes-ID", "id")),
        Column("area_name", "area_name", aliases=("Områdesnamn", "name", "namn")),
        Column("municipality_code", "municipality_code", aliases=("Kommunkod",)),
        Column("municipality_name", "municipality_name", aliases=("Kommun", "Kommunnamn")),
        Column("geometry_wkt", "geometry", parse=geometry_wkt,
               description="GeoJSON-geometri i SWEREF 99 TM (EPSG:3006) eller WGS84"),
    ),
)
PLACES = Feed(
    name="reference", folder="reference", file_name="places.geojson", table="places",
    formats=("geojson",), title_sv="Platser (places.geojson)", partner_sv="Kommunen",
    columns=(
        Column("place_id", "place_id", aliases=("Plats-ID", "id")),
        Column("area_id", "area_id", aliases=("Områdes-ID",)),
        Column("place_name", "place_name", aliases=("Platsnamn", "name", "namn")),
        Column("place_type", "place_type", description="public eller semi_public"),
        Column("place_kind", "place_kind", description=", ".join(PLACE_KINDS)),
        Column("geometry_wkt", "geometry", parse=geometry_wkt,
               description="GeoJSON-geometri i SWEREF 99 TM (EPSG:3006) eller WGS84"),
    ),
)
ADDRESSES = Feed(
    name="reference", folder="reference", file_name="addresses.csv", table="addresses",
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
    name="reference", folder="reference", file_name="population.csv", table="area_population",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Folkmängd (population.csv)",
    partner_sv="Kommunen",
    columns=(
        Column("omrades_id", "Områdes-ID"),
        Column("ar", "År", "integer"),
        Column("folkmangd", "Folkmängd", "integer"),
    ),
)
AREA_DESO = Feed(
    name="reference", folder="reference", file_name="area_deso.csv", table="area_deso",
    formats=("csv",), encodings=("utf-8", "cp1252"), title_sv="Områden och DeSO (area_deso.csv)",
    partner_sv="Kommunen",
    columns=(
        Column("omrades_id", "Områdes-ID"),
        Column("deso", "DeSO", aliases=("DeSO-kod",)),
        Column("andel", "Andel", "double", description="Andel av DeSO:ns befolkning i området, 0–1, decimalkomma"),
    ),
)

REFERENCE_FEEDS = (AREAS, PLACES, ADDRESSES, POPULATION, AREA_DESO)
