"""Charts for the reports, drawn with matplotlib and embedded as base64 PNG data URIs.

PNG rather than SVG: matplotlib's SVG carries namespace URLs, and a PNG data URI is also
what the Dagster UI shows in a Markdown preview, so one image serves both. Figures are made
with ``matplotlib.figure.Figure`` (no pyplot global state), which is faster and does not
leak figures when hundreds of weekly reports are rendered in one run.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator  # noqa: E402

from est_pipeline.reports.html import fmt_number  # noqa: E402

DPI = 96
COLOURS = {
    "bar": "#4c78a8",
    "bar_flag": "#d62728",
    "baseline": "#222222",
    "current": "#f28c00",
    "naive": "#9e9e9e",
    "robust": "#1f4e79",
}


#: Room kept between two placed labels (pixels).
LABEL_GAP_PX = 2.0


def candidate_positions(first: tuple[float, float] = (0.0, 0.0), ha: str = "center") -> list[tuple[float, float, str, str, bool]]:
    """Where a label may go: (dx, dy in points, horizontal and vertical alignment, leader
    line). First ``first``; then right, left, above and below the anchor, touching it; then
    rings around it with a leader line to the anchor."""
    positions = [(first[0], first[1], ha, "center", False)]
    if first != (0.0, 0.0):
        positions += [(6.0, 0.0, "left", "center", False), (-6.0, 0.0, "right", "center", False),
                      (0.0, 6.0, "center", "bottom", False), (0.0, -6.0, "center", "top", False)]
    for radius in (14.0, 22.0, 30.0, 40.0, 52.0):
        for k in range(12):
            angle = math.pi / 2 + k * math.pi / 6
            positions.append((radius * math.cos(angle), radius * math.sin(angle), "center", "center", True))
    return positions


def place_labels(
    fig: Figure,
    ax,  # type: ignore[no-untyped-def]
    labels: Sequence[tuple[str, tuple[float, float]]],
    *,
    fontsize: float,
    gid: str,
    bbox: dict[str, object] | None = None,
    first: tuple[float, float] = (0.0, 0.0),
    ha: str = "center",
    fontweight: str = "normal",
    obstacles: Sequence[tuple[float, float]] = (),
    obstacle_px: float = 5.0,
) -> None:
    """Write each label near its anchor (data coordinates) where it overlaps no label already
    written (nor a marker at ``obstacles``): at ``first`` if free, then beside the anchor,
    then on rings around it with a leader line. Measured on the figure's own layout, so call
    it after the figure is laid out."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = fig.bbox
    markers = [
        Bbox.from_extents(px - obstacle_px, py - obstacle_px, px + obstacle_px, py + obstacle_px)
        for px, py in (ax.transData.transform(point) for point in obstacles)
    ]
    placed: list[Bbox] = []
    for text, (x, y) in labels:
        chosen = None
        for dx, dy, h_align, v_align, leader in candidate_positions(first, ha):
            artist = ax.annotate(
                text, (x, y), xytext=(dx, dy), textcoords="offset points",
                ha=h_align, va=v_align, fontsize=fontsize,
                fontweight=fontweight, zorder=6, bbox=bbox, gid=gid, annotation_clip=False,
                arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.8, "shrinkA": 0, "shrinkB": 3}
                if leader else None,
            )
            box = label_box(artist, renderer)
            inside = box.x0 >= frame.x0 and box.y0 >= frame.y0 and box.x1 <= frame.x1 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in (*placed, *markers)):
                chosen = box
                break
            artist.remove()
        if chosen is None:  # nowhere free: write it at the first position rather than drop it
            artist = ax.annotate(text, (x, y), xytext=first, textcoords="offset points", ha=ha,
                                 va="center", fontsize=fontsize, fontweight=fontweight, zorder=6,
                                 bbox=bbox, gid=gid)
            chosen = label_box(artist, renderer)
        placed.append(chosen)


def label_box(text: Text, renderer) -> Bbox:  # type: ignore[no-untyped-def]
    """A label's box on the figure in pixels (its bbox patch if it has one), with a little room."""
    if hasattr(text, "update_positions"):  # an annotation: where its offset puts it now
        text.update_positions(renderer)
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        box = patch.get_window_extent(renderer)
    else:
        box = Text.get_window_extent(text, renderer)
    return Bbox.from_extents(box.x0 - LABEL_GAP_PX, box.y0 - LABEL_GAP_PX, box.x1 + LABEL_GAP_PX, box.y1 + LABEL_GAP_PX)


def label_boxes(fig: Figure, gid: str) -> list[tuple[str, Bbox, float]]:
    """(text, box in pixels, font size) of every label ``place_labels`` wrote with ``gid``:
    what the tests check for overlap and legibility."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return [
        (t.get_text(), label_box(t, renderer), float(t.get_fontsize()))
        for t in fig.findobj(Text)
        if t.get_gid() == gid and t.get_visible()
    ]


def to_data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    # Every figure is laid out with tight_layout already; bbox_inches="tight" would draw it twice.
    fig.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _swedish_axis(ax) -> None:  # type: ignore[no-untyped-def]
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v, 0 if float(v).is_integer() else 1))
    ax.spines[["top", "right"]].set_visible(False)


def weekly_trend(
    labels: Sequence[str],
    events: Sequence[float],
    baseline: Sequence[float | None],
    flagged: Sequence[bool],
    title: str,
    size: tuple[float, float] = (6.4, 2.4),
) -> str:
    """Events per week as bars (red when the week was flagged) with the baseline as a line.

    The current week is the last bar, so the eye lands on it first.
    """
    return to_data_uri(weekly_trend_figure(labels, events, baseline, flagged, title, size))


class _TrendFigure:
    """One weekly-trend figure, drawn once and then re-filled for every area and week.

    A report has one trend chart per area and a backfill renders hundreds of reports: building
    each figure from scratch (axes, bars, legend, tight layout) cost 0.36 s per chart, three
    quarters of it set-up that is the same for every chart of a size. The margins are fixed
    (in inches) instead of measured per chart; the left one follows the widest count on the
    y axis (about 0.075 in per character at the tick font).
    """

    RIGHT_IN, BOTTOM_IN, TOP_IN = 0.12, 0.34, 0.30
    YLABEL_IN, TICK_CHAR_IN = 0.42, 0.075

    def __init__(self, n: int, size: tuple[float, float]) -> None:
        self.fig = fig = Figure(figsize=size)
        self.size = size
        w, h = size
        fig.subplots_adjust(right=1 - self.RIGHT_IN / w, bottom=self.BOTTOM_IN / h, top=1 - self.TOP_IN / h)
        self.ax = ax = fig.add_subplot()
        xs = list(range(n))
        self.xs = xs
        self.bars = ax.bar(xs, [0.0] * n, color=COLOURS["bar"], width=0.75, label="Händelser")
        (self.line,) = ax.plot(xs, [math.nan] * n, color=COLOURS["baseline"], linewidth=1.4, label="Baslinje")
        ax.set_ylabel("Händelser")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=2))
        _swedish_axis(ax)
        self.legend_with_baseline: bool | None = None

    def fill(self, labels: Sequence[str], events: Sequence[float], baseline: Sequence[float | None],
             flagged: Sequence[bool], title: str) -> Figure:
        ax = self.ax
        for bar, value, flag in zip(self.bars, events, flagged):
            bar.set_height(float(value))
            bar.set_facecolor(COLOURS["bar_flag"] if flag else COLOURS["bar"])
        base = [math.nan if b is None else float(b) for b in baseline]
        has_baseline = any(not math.isnan(b) for b in base)
        self.line.set_ydata(base)
        self.line.set_visible(has_baseline)
        if has_baseline != self.legend_with_baseline:
            handles = [self.bars, self.line] if has_baseline else [self.bars]
            ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper left", ncols=2)
            self.legend_with_baseline = has_baseline
        step = max(1, len(labels) // 8)
        ax.set_xticks(self.xs[::step], [labels[i][-3:] for i in range(0, len(labels), step)])
        ax.set_title(title, fontsize=10, loc="left")
        top = max([1.0, *events, *(b for b in base if not math.isnan(b))]) * 1.15
        ax.set_ylim(bottom=0, top=top)
        widest = len(fmt_number(top, 0))
        self.fig.subplots_adjust(left=(self.YLABEL_IN + self.TICK_CHAR_IN * widest) / self.size[0])
        return self.fig


_TREND_FIGURES: dict[tuple[int, tuple[float, float]], _TrendFigure] = {}


def weekly_trend_figure(
    labels: Sequence[str],
    events: Sequence[float],
    baseline: Sequence[float | None],
    flagged: Sequence[bool],
    title: str,
    size: tuple[float, float] = (6.4, 2.4),
) -> Figure:
    """The figure behind :func:`weekly_trend`. Its y axis counts events, so its ticks are
    whole numbers (never 2,5 events). The figure is reused by the next call of the same
    number of weeks and size: turn it into an image before asking for another."""
    key = (len(labels), tuple(size))
    trend = _TREND_FIGURES.get(key)
    if trend is None:
        trend = _TREND_FIGURES[key] = _TrendFigure(len(labels), size)
    return trend.fill(labels, events, baseline, flagged, title)


def need_influence_matrix(
    names: Sequence[str],
    need: Sequence[float],
    influence: Sequence[float],
    ranks: Sequence[int],
    need_split: float,
    influence_split: float,
    first: Sequence[bool],
) -> str:
    """The period's decision in one picture: need up, influence right, top-right first.

    ``first`` marks the areas the mart puts in the high-need, high-influence quadrant; they
    are drawn red, so the picture and the table can never disagree.
    """
    return to_data_uri(need_influence_figure(names, need, influence, ranks, need_split, influence_split, first))


#: Artist id of the area labels in the need × influence matrix.
MATRIX_LABEL_GID = "area-label"


def need_influence_figure(
    names: Sequence[str],
    need: Sequence[float],
    influence: Sequence[float],
    ranks: Sequence[int],
    need_split: float,
    influence_split: float,
    first: Sequence[bool],
) -> Figure:
    """The figure behind :func:`need_influence_matrix`; area labels never overlap."""
    fig = Figure(figsize=(6.8, 5.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = [COLOURS["bar_flag"] if f else COLOURS["robust"] for f in first]
    ax.scatter(influence, need, s=40, c=colours, zorder=3)
    ax.axhline(need_split, color="#999999", linestyle="--", linewidth=0.8)
    ax.axvline(influence_split, color="#999999", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Påverkansmöjlighet")
    ax.set_ylabel("Behov")
    # Shade the quadrant the group acts on first: high need and high influence.
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    ax.fill_between([influence_split, x_high], need_split, y_high, color="#d62728", alpha=0.07, zorder=0)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_title("Skuggat: stort behov och stor påverkansmöjlighet – prioritera först",
                 fontsize=8.5, loc="left", color="#a01c1c")
    _swedish_axis(ax)
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt_number(v, 2))
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v, 2))
    fig.tight_layout()
    # Highest rank first, so the areas acted on first get the spot next to their point.
    order = sorted(range(len(names)), key=lambda i: ranks[i])
    place_labels(
        fig, ax, [(f"{ranks[i]}. {names[i]}", (influence[i], need[i])) for i in order],
        fontsize=8, gid=MATRIX_LABEL_GID, first=(6.0, 0.0), ha="left",
        obstacles=list(zip(influence, need)),
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
    )
    return fig


def _finite_positive(value: float | str | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def forest_plot(
    labels: Sequence[str],
    rows: Sequence[dict[str, float | str | None]],
    title: str,
) -> str:
    """Ratio and 95 % interval per intervention type, robust and naive side by side.

    ``rows`` carry ``label`` (one of ``labels``), ``kind`` (``robust`` or ``naive``),
    ``irr``, ``ci_low``, ``ci_high``. Log scale: a halving and a doubling look equally far
    from 1, the line of no association. An interval with no bound (0 or infinity: the robust
    model's bootstrap with too few areas) runs to the edge of the plot and ends in an arrow,
    so it reads as "unbounded", not as a short, confident bar.
    """
    fig = Figure(figsize=(6.8, 0.55 * max(len(labels), 2) + 1.2))
    ax = fig.add_subplot()
    offsets = {"robust": -0.15, "naive": 0.15}
    names = {"robust": "Robust modell", "naive": "Enkel modell"}
    drawn = [r for r in rows if _finite_positive(r["irr"]) is not None
             and r["ci_low"] is not None and r["ci_high"] is not None]
    finite = [v for r in drawn for v in (_finite_positive(r[c]) for c in ("irr", "ci_low", "ci_high"))
              if v is not None]
    # Limits from the finite values only, a little wider than they are, and always around 1.
    low = min([0.9, *finite]) / 1.15
    high = max([1.1, *finite]) * 1.15
    # One errorbar call per model (not per row): each call builds its own artists, and
    # sixteen calls were most of a yearly report's drawing time.
    seen: set[str] = set()
    for kind in ("robust", "naive"):
        mine = [r for r in drawn if str(r["kind"]) == kind]
        if not mine:
            continue
        seen.add(kind)
        ys = [labels.index(str(r["label"])) + offsets[kind] for r in mine]
        irrs = [float(r["irr"]) for r in mine]  # type: ignore[arg-type]
        bounds = [(_finite_positive(r["ci_low"]), _finite_positive(r["ci_high"])) for r in mine]
        lefts = [irr - (lo if lo is not None else low) for irr, (lo, _) in zip(irrs, bounds)]
        rights = [(hi if hi is not None else high) - irr for irr, (_, hi) in zip(irrs, bounds)]
        ax.errorbar(irrs, ys, xerr=[lefts, rights], fmt="o" if kind == "robust" else "s", linestyle="none",
                    color=COLOURS[kind], ecolor=COLOURS[kind], capsize=3, markersize=5, label=names[kind])
        for side, edge, marker in ((0, low, "<"), (1, high, ">")):
            open_ys = [y for y, b in zip(ys, bounds) if b[side] is None]
            if open_ys:
                ax.plot([edge] * len(open_ys), open_ys, linestyle="none", marker=marker, color=COLOURS[kind],
                        markersize=6, clip_on=False)
    ax.axvline(1.0, color="#444444", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("Kvot (under 1 = färre händelser medan insatsen pågick)")
    ax.set_xlim(low, high)
    # Ticks at least a tenth of the axis apart (on the log scale), so labels never overlap.
    min_gap = (math.log(high) - math.log(low)) / 10
    ticks: list[float] = []
    for t in (0.1, 0.2, 0.3, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2, 3, 5, 10):
        if low <= t <= high and (not ticks or math.log(t) - math.log(ticks[-1]) >= min_gap):
            ticks.append(t)
    if 1.0 not in ticks:
        ticks = sorted([t for t in ticks if abs(math.log(t)) >= min_gap] + [1.0])
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(lambda v, _pos: fmt_number(v, 2))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left", pad=20 if seen else 6)
    if seen:
        ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.02),
                  ncols=2, borderaxespad=0)
    fig.tight_layout()
    return to_data_uri(fig)


def grouped_bars(
    groups: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    ylabel: str,
    percent: bool = False,
) -> str:
    """Bars per group (area) for a few series (years); a missing value leaves a gap."""
    fig = Figure(figsize=(7.2, 3.2))
    ax = fig.add_subplot()
    n = max(len(series), 1)
    width = 0.8 / n
    palette = ["#c6dbef", "#6baed6", "#2171b5", "#08306b", "#f28c00"]
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [math.nan if v is None else float(v) for v in values]
        ax.bar(xs, ys, width=width, label=name, color=palette[i % len(palette)])
    ax.set_xticks(range(len(groups)), groups, rotation=40, ha="right", rotation_mode="anchor", fontsize=8.5)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left")
    _swedish_axis(ax)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v * 100, 0) + " %")
    if n > 1:
        ax.legend(fontsize=8, frameon=False, ncols=min(n, 5), loc="lower left",
                  bbox_to_anchor=(0.0, 1.0), borderaxespad=0)
        ax.set_title(title, fontsize=10, loc="left", pad=18)
    fig.tight_layout()
    return to_data_uri(fig)
