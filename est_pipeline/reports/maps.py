"""The area map: the area's outline, its places shaded by the week's events, event points.

Drawn with matplotlib from the polygons' WKT in SWEREF 99 TM (metres, so the axes can be
equal without reprojection). No tiles and no network: a report must open offline.

Places with events carry a number (1 = most events) in a legible circle; the report lists
the numbers with the places' names under the map, because names written on a small map
overlap each other. Numbers are placed so that they never overlap: a number that would
touch one already placed moves outward with a leader line to its place, measured on the
figure's own layout (:func:`label_boxes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

from est_pipeline.reports.charts import label_boxes as charts_label_boxes
from est_pipeline.reports.charts import place_labels, to_data_uri

_SHADE = LinearSegmentedColormap.from_list("est_events", ["#f4f4f4", "#fdae61", "#d7191c"])
#: Font size of the place numbers (points); the map is shown about 450 px wide.
LABEL_FONT_SIZE = 9.5
#: Artist id of the place numbers, so tests can find them on the figure.
LABEL_GID = "place-number"


@dataclass(frozen=True)
class MapPlace:
    place_id: str
    label: str
    geometry_wkt: str
    events: int


@dataclass(frozen=True)
class NumberedPlace:
    """A place with events as the map numbers it: the legend under the map."""

    number: int
    place_id: str
    label: str
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


def numbered(places: Sequence[MapPlace]) -> list[NumberedPlace]:
    """Places with events, numbered by events (most first), then by name."""
    with_events = sorted((p for p in places if p.events), key=lambda p: (-p.events, p.label, p.place_id))
    return [NumberedPlace(i + 1, p.place_id, p.label, p.events) for i, p in enumerate(with_events)]


def area_map(
    area_wkt: str | None,
    places: Sequence[MapPlace],
    points: Sequence[tuple[float, float]] = (),
    title: str = "",
) -> str:
    """One PNG data URI (see :func:`area_map_figure`)."""
    return to_data_uri(area_map_figure(area_wkt, places, points, title))


def area_map_figure(
    area_wkt: str | None,
    places: Sequence[MapPlace],
    points: Sequence[tuple[float, float]] = (),
    title: str = "",
) -> Figure:
    """The map as a matplotlib figure; places with events carry their number."""
    fig = Figure(figsize=(4.6, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    shapes = []
    if area_wkt:
        area = shapely.from_wkt(area_wkt)
        shapes.append(area)
        for patch in _patch(area, facecolor="none", edgecolor="#333333", linewidth=1.2):
            ax.add_patch(patch)
    most = max([p.events for p in places] + [1])
    anchors: dict[str, tuple[float, float]] = {}
    for place in places:
        geometry = shapely.from_wkt(place.geometry_wkt)
        shapes.append(geometry)
        colour = _SHADE(place.events / most) if place.events else "#e8e8e8"
        for patch in _patch(geometry, facecolor=colour, edgecolor="#666666", linewidth=0.6):
            ax.add_patch(patch)
        if geometry.geom_type == "Point":
            ax.plot(geometry.x, geometry.y, "s", color=colour, markeredgecolor="#666666")
        anchor = geometry.representative_point()
        anchors[place.place_id] = (anchor.x, anchor.y)
    if points:
        xs, ys = zip(*points)
        ax.scatter(xs, ys, s=9, color="#1f1f1f", zorder=4, label="Händelse")
    if shapes:
        minx, miny, maxx, maxy = shapely.total_bounds(shapes)
        pad = max(maxx - minx, maxy - miny) * 0.08 + 1.0
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    # No tick labels, so the only margin to leave is the title's: fixed, instead of
    # tight_layout, which measured every artist of every map (a fifth of a map's cost).
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.93 if title else 0.98)
    # Numbers go on last, on the final layout, so that what is measured is what is drawn.
    _place_numbers(fig, ax, [(n.number, anchors[n.place_id]) for n in numbered(places)])
    return fig


def _place_numbers(fig: Figure, ax, labels: Sequence[tuple[int, tuple[float, float]]]) -> None:  # type: ignore[no-untyped-def]
    place_labels(
        fig, ax, [(str(number), anchor) for number, anchor in labels],
        fontsize=LABEL_FONT_SIZE, gid=LABEL_GID, fontweight="bold",
        bbox={"boxstyle": "circle,pad=0.22", "fc": "white", "ec": "#333333", "lw": 0.8},
    )


def label_boxes(fig: Figure) -> list[tuple[str, Bbox, float]]:
    """(text, box in pixels, font size) of every place number drawn on ``fig``: what the
    tests check for overlap and legibility."""
    return charts_label_boxes(fig, LABEL_GID)
