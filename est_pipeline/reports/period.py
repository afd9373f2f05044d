"""The prioritisation report for one analysis period (quarter, or tertial where so configured).

The EST group decides next period's insatser from it: the need × influence matrix, the ranked
areas, what drives each area's need, which intervention each partner is suggested to own, and
the hot-spot class. Figures are the rows of the ``marts.period_*`` and ``marts.hot_spots``
marts for the period, tagged with their source like the weekly report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from est_pipeline.reports import charts, html
from est_pipeline.reports import vocabulary as vocab
from est_pipeline.reports.marts import AREAS, fetch, relation_exists, require
from est_pipeline.settings import DBT_PROJECT_DIR, get_settings

PRIORITISATION = "marts.period_prioritisation"
DRIVERS = "marts.period_priority_drivers"
SUGGESTED = "marts.period_suggested_interventions"
HOT_SPOTS = "marts.hot_spots"

PRIORITISATION_COLUMNS = [
    "area_id", "period_start", "need", "influence", "priority_rank", "quadrant",
    "is_high_need", "is_high_influence", "events", "events_per_1000",
]
DRIVER_COLUMNS = [
    "area_id", "period_start", "category", "driver_rank", "events", "need_share",
    "excess_events", "is_driver",
]
SUGGESTED_COLUMNS = ["area_id", "period_start", "intervention_type", "responsible_partner", "category"]
HOT_SPOT_COLUMNS = ["unit_type", "area_id", "period_start", "hot_spot_class"]
#: The defaults of the dbt vars ``high_need_threshold`` / ``high_influence_threshold`` in
#: ``period_prioritisation.sql``.
DEFAULT_HIGH_NEED = 1.0
DEFAULT_HIGH_INFLUENCE = 0.5


def period_label(period_start: date, analysis_period: str | None = None) -> str:
    """``2021-04-01`` -> ``2021-Q2`` (quarters) or ``2021-T2`` (tertials)."""
    kind = analysis_period or get_settings().analysis_period
    if kind == "tertial":
        return f"{period_start.year}-T{(period_start.month - 1) // 4 + 1}"
    return f"{period_start.year}-Q{(period_start.month - 1) // 3 + 1}"


def period_name_sv(period_start: date, analysis_period: str | None = None) -> str:
    kind = analysis_period or get_settings().analysis_period
    label = period_label(period_start, kind)
    number = label[-1]
    return f"{'tertial' if kind == 'tertial' else 'kvartal'} {number} {period_start.year}"


def quadrant_thresholds() -> tuple[float, float]:
    """The need and influence thresholds the mart's quadrants use (dbt vars, same defaults).

    The plot draws its dividing lines where the mart divides, so a point's position and the
    quadrant in the table never disagree.
    """
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        variables = (yaml.safe_load(handle) or {}).get("vars", {}) or {}
    return (
        float(variables.get("high_need_threshold", DEFAULT_HIGH_NEED)),
        float(variables.get("high_influence_threshold", DEFAULT_HIGH_INFLUENCE)),
    )


def report_path(reports_dir: Path, period_start: date) -> Path:
    return reports_dir / "period" / f"prioritering_{period_label(period_start)}.html"


@dataclass
class PeriodReport:
    path: Path
    summary_md: str
    main_chart: str
    n_areas: int


def build_context(con: duckdb.DuckDBPyConnection, period_start: date) -> dict[str, Any]:
    kind = get_settings().analysis_period
    kind_word = "tertialen" if kind == "tertial" else "kvartalet"
    require(con, PRIORITISATION, PRIORITISATION_COLUMNS, "period")
    require(con, DRIVERS, DRIVER_COLUMNS, "period")
    require(con, SUGGESTED, SUGGESTED_COLUMNS, "period")
    require(con, AREAS, ["area_id", "area_name", "municipality_code", "municipality_name"], "period")
    areas = fetch(con, f"select area_id, area_name, municipality_code, municipality_name from {AREAS} "
                       "order by area_id")
    names = {a["area_id"]: a["area_name"] for a in areas}
    ranked = fetch(
        con,
        f"select * from {PRIORITISATION} where period_start = ? order by priority_rank, area_id",
        [period_start],
    )
    # The mart decides what a driver is (top ranks by excess events, excess above zero); the
    # report lists exactly those, so a low-need area shows no made-up "drivers".
    drivers = fetch(
        con,
        f"select * from {DRIVERS} where period_start = ? and is_driver "
        "order by area_id, driver_rank",
        [period_start],
    )
    suggested = fetch(
        con,
        f"select * from {SUGGESTED} where period_start = ? "
        "order by responsible_partner, area_id, intervention_type",
        [period_start],
    )
    hot_spots: dict[str, dict[str, Any]] = {}
    if relation_exists(con, HOT_SPOTS):
        require(con, HOT_SPOTS, HOT_SPOT_COLUMNS, "period")
        for row in fetch(
            con,
            f"select * from {HOT_SPOTS} where period_start = ? and unit_type = 'area'",
            [period_start],
        ):
            hot_spots[row["area_id"]] = row

    drivers_by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in drivers:
        drivers_by_area[row["area_id"]].append(row)
    driver_of = {(d["area_id"], d["category"]): d for d in drivers}
    # Suggestions go to the areas whose need warrants an intervention (the mart's high need,
    # need >= its threshold); each partner reads its list in the order the areas are ranked,
    # each with the reason from the area's own figures.
    rank = {r["area_id"]: int(r["priority_rank"]) for r in ranked}
    warranted = {r["area_id"] for r in ranked if r["is_high_need"]}
    by_partner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(suggested, key=lambda r: (rank.get(r["area_id"], len(rank) + 1), r["area_id"])):
        if row["area_id"] not in warranted:
            continue
        reason = suggestion_reason(row, driver_of.get((row["area_id"], row["category"])), kind_word)
        by_partner[row["responsible_partner"]].append({**row, "reason": reason})
    not_warranted = [names.get(r["area_id"], r["area_id"]) for r in ranked if not r["is_high_need"]]
    partner_order = [p for p in vocab.PARTNERS_SV if p in by_partner] + sorted(
        p for p in by_partner if p not in vocab.PARTNERS_SV
    )

    influence_sides = {bool(r["is_high_influence"]) for r in ranked}
    influences_all = [float(r["influence"]) for r in ranked if r["influence"] is not None]
    chart = ""
    if ranked:
        needs = [float(r["need"]) for r in ranked]
        influences = [float(r["influence"]) for r in ranked]
        need_split, influence_split = quadrant_thresholds()
        chart = charts.need_influence_matrix(
            [names.get(r["area_id"], r["area_id"]) for r in ranked],
            needs,
            influences,
            [int(r["priority_rank"]) for r in ranked],
            need_split,
            influence_split,
            [bool(r["is_high_need"] and r["is_high_influence"]) for r in ranked],
        )
    return {
        "label": period_label(period_start, kind),
        "period_name": period_name_sv(period_start, kind),
        "period_start": period_start,
        "municipality": vocab.municipalities_title(areas),
        "names": names,
        "ranked": ranked,
        "drivers": drivers_by_area,
        "by_partner": [(p, by_partner[p]) for p in partner_order],
        "not_warranted": not_warranted,
        "need_threshold": quadrant_thresholds()[0],
        "influence_threshold": quadrant_thresholds()[1],
        # When every area is on the same side of the influence threshold, the quadrant's
        # influence half says nothing: the report says so once instead of on every row.
        "influence_uniform": len(influence_sides) == 1 and bool(ranked),
        "influence_all_high": influence_sides == {True},
        "influence_range": (min(influences_all), max(influences_all)) if influences_all else None,
        "need_sv": NEED_SV,
        "kind_word": kind_word,
        "hot_spots": hot_spots,
        "hot_spot_sv": vocab.HOT_SPOTS_SV,
        "quadrant_sv": vocab.QUADRANTS_SV,
        "chart": chart,
    }


#: The need half of a quadrant, for the rank table when influence does not discriminate.
NEED_SV = {True: "Stort behov", False: "Litet behov"}


def _normalised(text: str) -> str:
    return " ".join("".join(ch for ch in text.casefold() if ch.isalnum() or ch.isspace()).split())


def suggestion_reason(suggestion: dict[str, Any], driver: dict[str, Any] | None, kind_word: str) -> str:
    """Why this intervention in this area, from the area's own figures: the category that
    drives its need, its events and how many more than expected, and the seed's rationale
    when that says more than the intervention's name."""
    category = vocab.category_sv(suggestion["category"]).lower()
    events = suggestion.get("events")
    excess = suggestion.get("excess_events")
    parts = []
    if events is not None:
        parts.append(f"{html.fmt_count(events)} händelser med {category} under {kind_word}")
    if excess is not None and float(excess) > 0:
        parts.append(f"{html.fmt_number(excess, 1)} fler än kommunens nivå ger")
    if driver is not None and driver.get("need_share") is not None:
        parts.append(f"{html.fmt_percent(driver['need_share'])} av områdets händelser")
    text = (", ".join(parts) + ".") if parts else f"{vocab.category_sv(suggestion['category'])} driver behovet."
    text = text[0].upper() + text[1:]
    rationale = (suggestion.get("rationale_sv") or "").strip()
    name = vocab.intervention_type_sv(suggestion["intervention_type"])
    if rationale and _normalised(rationale) not in _normalised(name):
        text += f" {rationale.rstrip('.')}."
    return text


def _summary_markdown(ctx: dict[str, Any], path: Path) -> str:
    lines = [f"**Prioritering {ctx['period_name']}** ({ctx['label']})", ""]
    for row in ctx["ranked"][:5]:
        lines.append(
            f"{row['priority_rank']}. {ctx['names'].get(row['area_id'], row['area_id'])}: "
            f"behov {html.fmt_number(row['need'], 2)}, påverkan {html.fmt_number(row['influence'], 2)}"
        )
    if not ctx["ranked"]:
        lines.append("Inga områden i prioriteringen för perioden.")
    lines += ["", f"Rapport: `{path}`"]
    return "\n".join(lines)


def render_period_report(
    con: duckdb.DuckDBPyConnection, period_start: date, reports_dir: Path
) -> PeriodReport:
    ctx = build_context(con, period_start)
    path = report_path(reports_dir, period_start)
    html.write_report(path, html.render("period.html", **ctx))
    return PeriodReport(path, _summary_markdown(ctx, path), ctx["chart"], len(ctx["ranked"]))
