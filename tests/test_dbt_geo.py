"""est_pipeline.lib.geo: the point-in-polygon and CRS code behind int_event_points_located."""

from __future__ import annotations

import numpy as np
import pytest

from est_pipeline.lib.geo import PolygonIndex, distance_m, sweref_to_wgs84, to_sweref, wgs84_to_sweref


def square(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def test_wgs84_sweref_on_the_central_meridian_and_round_trip() -> None:
    """On SWEREF 99 TM's central meridian (15° E) easting is the false easting and northing is
    the GRS80 meridian arc × 0.9996, computed here independently of pyproj."""
    from scipy.integrate import quad

    a, f = 6_378_137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    arc, _ = quad(lambda phi: a * (1 - e2) / (1 - e2 * np.sin(phi) ** 2) ** 1.5, 0, np.radians(60.0))
    east, north = wgs84_to_sweref([60.0], [15.0])
    assert east[0] == pytest.approx(500_000.0, abs=0.001)
    assert north[0] == pytest.approx(0.9996 * arc, abs=0.01)
    lat, lon = sweref_to_wgs84([674_000.0], [6_579_000.0])
    back_e, back_n = wgs84_to_sweref(lat, lon)
    assert (back_e[0], back_n[0]) == pytest.approx((674_000.0, 6_579_000.0), abs=0.001)


def test_mixed_crs_points_and_points_outside_sweden() -> None:
    lat, lon = sweref_to_wgs84([500_500.0], [6_600_500.0])
    east, north = to_sweref(
        [500_500.0, lon[0], 0.0, np.nan],
        [6_600_500.0, lat[0], 0.0, np.nan],
        ["EPSG:3006", "EPSG:4326", "EPSG:3006", None],
    )
    assert east[:2] == pytest.approx([500_500.0, 500_500.0], abs=0.01)
    assert north[:2] == pytest.approx([6_600_500.0, 6_600_500.0], abs=0.01)
    assert np.isnan(east[2]) and np.isnan(east[3])  # (0, 0) is no place in Sweden; NaN stays NaN


def test_unknown_crs_is_an_error_that_names_it() -> None:
    with pytest.raises(ValueError, match="EPSG:9999"):
        to_sweref([1.0], [2.0], ["EPSG:9999"])


def test_locate_smallest_polygon_border_and_outside() -> None:
    index = PolygonIndex(
        ["AREA", "PLACE", "EAST"],
        [square(0, 0, 100, 100), square(10, 10, 20, 20), square(100, 0, 200, 100)],
    )
    found = index.locate(
        np.array([15.0, 50.0, 100.0, 500.0, np.nan]),
        np.array([15.0, 50.0, 50.0, 500.0, 1.0]),
    )
    # inside both: the smaller; on the shared border: the lower id of equal-size squares;
    # outside every polygon and missing coordinates: None
    assert found.tolist() == ["PLACE", "AREA", "AREA", None, None]


def test_empty_index_and_empty_points() -> None:
    assert PolygonIndex([], []).locate(np.array([1.0]), np.array([1.0])).tolist() == [None]
    assert PolygonIndex(["A"], [square(0, 0, 1, 1)]).locate(np.array([]), np.array([])).tolist() == []


def test_distance_in_metres() -> None:
    assert distance_m(np.array([0.0]), np.array([0.0]), np.array([90.0]), np.array([120.0]))[0] == pytest.approx(150.0)
