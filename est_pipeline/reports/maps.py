"""The area map: the area's outline, its places shaded by the week's events, event points.

Drawn with matplotlib from the polygons' WKT in SWEREF 99 TM (metres, so the axes can be
equal without reprojection). No tiles and no network: a report must open offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from est_pipeline.reports.charts import to_data_uri

_SHADE = LinearSegmentedColormap.from_list("est_events", ["#f4f4f4", "#fdae61", "#d7191c"])


@dataclass(frozen=True)
class MapPlace:
    place_id: str
    label: str
    geometry_wkt: str
    events: int


def _patch(geometry: shapely.Geometry, **style: object) -> list[PathPatch]:
    patches = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        rings = [polygon.exterior, *polygon.interiors]
        vertices, codes = [], []
        for ring in rings:
            coords = list(ring.coords)
            vertices.extend(coords)
            codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY])
        patches.append(PathPatch(MplPath(vertices, codes), **style))
    return patches


def area_map(
    area_wkt: str | None,
    places: Sequence[MapPlace],
    points: Sequence[tuple[float, float]] = (),
    title: str = "",
) -> str:
    """One PNG data URI. Places with events get their count written on them."""
    fig = Figure(figsize=(4.6, 4.2))
    ax = fig.add_subplot()
    shapes = []
    if area_wkt:
        area = shapely.from_wkt(area_wkt)
        shapes.append(area)
        for patch in _patch(area, facecolor="none", edgecolor="#333333", linewidth=1.2):
            ax.add_patch(patch)
    most = max([p.events for p in places] + [1])
    for place in places:
        geometry = shapely.from_wkt(place.geometry_wkt)
        shapes.append(geometry)
        colour = _SHADE(place.events / most) if place.events else "#e8e8e8"
        for patch in _patch(geometry, facecolor=colour, edgecolor="#666666", linewidth=0.6):
            ax.add_patch(patch)
        if geometry.geom_type == "Point":
            ax.plot(geometry.x, geometry.y, "s", color=colour, markeredgecolor="#666666")
        if place.events:
            anchor = geometry.representative_point()
            ax.annotate(
                f"{place.label} ({place.events})", (anchor.x, anchor.y), fontsize=6.5,
                ha="center", va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
    if points:
        xs, ys = zip(*points)
        ax.scatter(xs, ys, s=9, color="#1f1f1f", zorder=4, label="Händelse")
    if shapes:
        minx, miny, maxx, maxy = shapely.total_bounds(shapes)
        pad = max(maxx - minx, maxy - miny) * 0.05 + 1.0
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return to_data_uri(fig)
