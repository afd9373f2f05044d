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
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, NullLocator  # noqa: E402

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
    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    xs = range(len(labels))
    colours = [COLOURS["bar_flag"] if flag else COLOURS["bar"] for flag in flagged]
    ax.bar(xs, events, color=colours, width=0.75, label="Händelser")
    base = [math.nan if b is None else float(b) for b in baseline]
    if any(not math.isnan(b) for b in base):
        ax.plot(xs, base, color=COLOURS["baseline"], linewidth=1.4, label="Baslinje")
    step = max(1, len(labels) // 8)
    ax.set_xticks(list(xs)[::step], [labels[i][-3:] for i in range(0, len(labels), step)])
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel("Händelser")
    ax.set_ylim(bottom=0)
    _swedish_axis(ax)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    return to_data_uri(fig)


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
    fig = Figure(figsize=(6.4, 5.0))
    ax = fig.add_subplot()
    colours = [COLOURS["bar_flag"] if f else COLOURS["robust"] for f in first]
    ax.scatter(influence, need, s=40, c=colours, zorder=3)
    for name, x, y, rank in zip(names, influence, need, ranks):
        ax.annotate(f"{rank}. {name}", (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
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
    return to_data_uri(fig)


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
    seen: set[str] = set()
    for row in drawn:
        kind = str(row["kind"])
        y = labels.index(str(row["label"])) + offsets[kind]
        irr = float(row["irr"])  # type: ignore[arg-type]
        ci_low, ci_high = _finite_positive(row["ci_low"]), _finite_positive(row["ci_high"])
        left, right = ci_low if ci_low is not None else low, ci_high if ci_high is not None else high
        ax.errorbar(
            irr, y, xerr=[[irr - left], [right - irr]], fmt="o" if kind == "robust" else "s",
            color=COLOURS[kind], ecolor=COLOURS[kind], capsize=3, markersize=5,
            label=None if kind in seen else names[kind],
        )
        for bound, edge, marker in ((ci_low, low, "<"), (ci_high, high, ">")):
            if bound is None:
                ax.plot([edge], [y], marker=marker, color=COLOURS[kind], markersize=6, clip_on=False)
        seen.add(kind)
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
    fig = Figure(figsize=(7.2, 2.8))
    ax = fig.add_subplot()
    n = max(len(series), 1)
    width = 0.8 / n
    palette = ["#c6dbef", "#6baed6", "#2171b5", "#08306b", "#f28c00"]
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [math.nan if v is None else float(v) for v in values]
        ax.bar(xs, ys, width=width, label=name, color=palette[i % len(palette)])
    ax.set_xticks(range(len(groups)), groups, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10, loc="left")
    _swedish_axis(ax)
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt_number(v * 100, 0) + " %")
    if n > 1:
        ax.legend(fontsize=7, frameon=False, ncols=min(n, 5), loc="lower left",
                  bbox_to_anchor=(0.0, 1.0), borderaxespad=0)
        ax.set_title(title, fontsize=10, loc="left", pad=18)
    fig.tight_layout()
    return to_data_uri(fig)
