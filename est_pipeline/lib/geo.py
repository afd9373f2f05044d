"""Point-in-polygon and coordinate transforms for locating partner events.

DuckDB cannot load its spatial extension here (no downloads), so locating points happens in
Python: pyproj for WGS84 ↔ SWEREF 99 TM, shapely 2 (vectorised, STRtree) for polygons. The
dbt Python model ``int_event_points_located`` calls this module; keeping the geometry here
lets it be unit-tested without dbt and reused by other concerns (reports, maps).

All geometry is in SWEREF 99 TM (EPSG:3006, metres): the polygons arrive in it, and the
150 m duplicate rule needs a metric distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

SWEREF99TM = "EPSG:3006"
WGS84 = "EPSG:4326"

#: Generous bounds of SWEREF 99 TM over Sweden (metres). Points outside are treated as
#: unusable (a swapped or zero coordinate) rather than located somewhere absurd.
SWEREF_BOUNDS = (180_000.0, 6_100_000.0, 1_000_000.0, 7_700_000.0)


@lru_cache(maxsize=None)
def _transformer(source_crs: str, target_crs: str) -> Transformer:
    # always_xy: (lon, lat) / (east, north) order whatever the CRS axis convention says.
    return Transformer.from_crs(source_crs, target_crs, always_xy=True)


def wgs84_to_sweref(lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 latitude/longitude → SWEREF 99 TM (east, north) in metres."""
    east, north = _transformer(WGS84, SWEREF99TM).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )
    return np.asarray(east, dtype=float), np.asarray(north, dtype=float)


def sweref_to_wgs84(east: Sequence[float] | np.ndarray, north: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SWEREF 99 TM (east, north) → WGS84 (lat, lon)."""
    lon, lat = _transformer(SWEREF99TM, WGS84).transform(
        np.asarray(east, dtype=float), np.asarray(north, dtype=float)
    )
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


def to_sweref(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    crs: Sequence[str] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bring mixed-CRS points to SWEREF 99 TM (east, north).

    ``crs`` per point: ``EPSG:3006`` means x = east (Öst), y = north (Nord); ``EPSG:4326``
    means x = longitude, y = latitude. Feeds differ (police SWEREF, municipality WGS84),
    so one event table carries both. Points outside Sweden come back as NaN.
    """
    x_arr = np.asarray(x, dtype=float)
    y_arr = np.asarray(y, dtype=float)
    crs_arr = np.asarray(crs, dtype=object)
    east = np.full(x_arr.shape, np.nan)
    north = np.full(x_arr.shape, np.nan)

    is_sweref = crs_arr == SWEREF99TM
    east[is_sweref], north[is_sweref] = x_arr[is_sweref], y_arr[is_sweref]
    is_wgs = crs_arr == WGS84
    if is_wgs.any():
        east[is_wgs], north[is_wgs] = wgs84_to_sweref(y_arr[is_wgs], x_arr[is_wgs])
    unknown = ~(is_sweref | is_wgs) & ~(np.isnan(x_arr) & np.isnan(y_arr))
    if unknown.any():
        bad = sorted({str(c) for c in crs_arr[unknown]})
        raise ValueError(f"unknown coordinate reference system(s) {bad}; expected {SWEREF99TM} or {WGS84}")

    min_e, min_n, max_e, max_n = SWEREF_BOUNDS
    with np.errstate(invalid="ignore"):
        outside = ~((east >= min_e) & (east <= max_e) & (north >= min_n) & (north <= max_n))
    east[outside] = np.nan
    north[outside] = np.nan
    return east, north


class PolygonIndex:
    """Which polygon (place or area) contains each point.

    Built once per dbt run from the reference WKT. A point on a shared border, or inside
    overlapping polygons, goes to the smallest polygon (the most specific place), ties to
    the lowest id, so the answer never depends on row order.
    """

    def __init__(self, ids: Sequence[str], wkt: Sequence[str]) -> None:
        if len(ids) != len(wkt):
            raise ValueError("ids and wkt must have the same length")
        self.ids = np.asarray(ids, dtype=object)
        geoms = shapely.from_wkt(np.asarray(wkt, dtype=object), on_invalid="raise")
        # A self-touching hand-drawn polygon must still answer "contains"; make_valid keeps
        # its area and lets the tree query it.
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            geoms[invalid] = shapely.make_valid(geoms[invalid])
        self.geoms = geoms
        self._areas = shapely.area(geoms)
        self._tree = shapely.STRtree(geoms)

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, east: np.ndarray, north: np.ndarray) -> np.ndarray:
        """Id of the containing polygon per point, ``None`` where no polygon contains it."""
        east = np.asarray(east, dtype=float)
        north = np.asarray(north, dtype=float)
        result = np.full(east.shape, None, dtype=object)
        if len(self.ids) == 0 or east.size == 0:
            return result
        usable = ~(np.isnan(east) | np.isnan(north))
        point_idx = np.flatnonzero(usable)
        if point_idx.size == 0:
            return result
        points = shapely.points(east[point_idx], north[point_idx])
        # "intersects" keeps points exactly on a border (a street between two areas).
        hit_point, hit_poly = self._tree.query(points, predicate="intersects")
        if hit_point.size == 0:
            return result
        # Order hits so the first per point is the smallest polygon, then the lowest id.
        order = np.lexsort((self.ids[hit_poly].astype(str), self._areas[hit_poly], hit_point))
        hit_point, hit_poly = hit_point[order], hit_poly[order]
        first = np.concatenate(([True], hit_point[1:] != hit_point[:-1]))
        result[point_idx[hit_point[first]]] = self.ids[hit_poly[first]]
        return result


def distance_m(east_a: np.ndarray, north_a: np.ndarray, east_b: np.ndarray, north_b: np.ndarray) -> np.ndarray:
    """Euclidean distance in metres between SWEREF 99 TM points (exact enough within a town)."""
    return np.hypot(np.asarray(east_a) - np.asarray(east_b), np.asarray(north_a) - np.asarray(north_b))
