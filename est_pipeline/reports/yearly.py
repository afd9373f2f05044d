"""The yearly follow-up (uppföljning): trends, the safety survey, the insatser carried out, and
which intervention types went with fewer incidents, as a forest plot.

The estimates are associations, and the report says so in plain Swedish next to every figure
of them, and warns when an estimate rests on few areas: municipalities decide budgets on this
page, so an overconfident sentence does real harm. Survey groups that the mart suppressed
(too few respondents) stay suppressed here: the report shows that they were, never a number.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from est_pipeline.reports import charts, html
from est_pipeline.reports import vocabulary as vocab
from est_pipeline.reports.marts import AREAS, columns_of, fetch, relation_exists, require

AREA_FOLLOWUP = "marts.yearly_area_followup"
INTERVENTION_FOLLOWUP = "marts.yearly_intervention_followup"
EFFECTS = "marts.intervention_effects"
NOTES = "marts.estimation_notes"

AREA_COLUMNS = [
    "area_id", "year", "events_total", "events_per_1000",
    "survey_respondents", "survey_share_safe", "survey_suppressed",
    "interventions_count", "intervention_weeks", "intervention_cost_sek",
]
INTERVENTION_COLUMNS = ["intervention_type", "year", "areas_count", "area_weeks", "cost_sek"]
EFFECT_COLUMNS = [
    "intervention_type", "outcome_group", "estimator", "is_headline", "irr", "ci_low",
    "ci_high", "p_value", "q_value", "n_treated_areas", "n_clusters", "pretrend_p_value",
]
#: Below this many treated areas an estimate gets a warning that it rests on few areas.
FEW_AREAS = 10
#: Years shown in the trend chart.
TREND_YEARS = 4
#: Outcome groups in the forest plot, in this order.
OUTCOME_ORDER = ["total", "property", "disorder", "violence", "police_crimes"]

ASSOCIATION_TEXT = (
    "Sambanden visar hur utfallen förändrades när insatsen pågick. "
    "De bevisar inte att insatsen orsakade förändringen."
)


def report_path(reports_dir: Path, year_start: date) -> Path:
    return reports_dir / "yearly" / f"uppfoljning_{year_start.year}.html"


@dataclass
class YearlyReport:
    path: Path
    summary_md: str
    main_chart: str
    n_effects: int


def _is_count_estimator(row: dict[str, Any]) -> bool:
    """The forest plot shows rate ratios; the survey model's share differences go elsewhere."""
    if row.get("estimate_scale") not in (None, "incidence_rate_ratio"):
        return False
    estimator = str(row["estimator"])
    return estimator == "poisson_twfe" or estimator.startswith("robust")


def _effects(con: duckdb.DuckDBPyConnection, year: int) -> list[dict[str, Any]]:
    """The estimates that belong to this year's follow-up.

    The estimation asset is yearly-partitioned; its mart marks the year with ``year`` or with
    a ``period_start``/``period_end`` window. Whichever it has selects the rows.
    """
    if not relation_exists(con, EFFECTS):
        return []
    require(con, EFFECTS, EFFECT_COLUMNS, "yearly")
    cols = set(columns_of(con, EFFECTS))
    if "year" in cols:
        return fetch(
            con,
            f"select * from {EFFECTS} where year = ? order by intervention_type, outcome_group, estimator",
            [year],
        )
    require(con, EFFECTS, ["period_start", "period_end"], "yearly")
    # Estimates whose window ends in this year; if several windows do (a run over a range
    # of years and the year's own run), the year's own, i.e. the latest start, is shown.
    return fetch(
        con,
        f"""
        with candidates as (
            select * from {EFFECTS} where year(period_end - interval 1 day) = ?
        )
        select * from candidates
        where period_start = (select max(period_start) from candidates)
        order by intervention_type, outcome_group, estimator
        """,
        [year],
    )


def _estimation_note(con: duckdb.DuckDBPyConnection, year: int) -> str | None:
    """Why there are no estimates for the year, when the estimation recorded why (no
    interventions registered, nothing estimable)."""
    if not relation_exists(con, NOTES):
        return None
    rows = fetch(
        con,
        f"select status, note from {NOTES} where year(period_end - interval 1 day) = ? "
        "order by period_start desc limit 1",
        [year],
    )
    if not rows or rows[0]["status"] == "estimated":
        return None
    return rows[0]["note"]


def _is_unbounded(low: float, high: float) -> bool:
    """An interval from 0 to infinity: the robust model's bootstrap had too few clusters."""
    return not math.isfinite(float(high)) or float(low) <= 0


def _plain_words(row: dict[str, Any]) -> str:
    """One sentence a partner can read aloud, with the uncertainty in it."""
    irr, low, high = row["irr"], row["ci_low"], row["ci_high"]
    if irr is None or not math.isfinite(float(irr)):
        return "Sambandet kunde inte skattas för den här insatstypen."
    if low is None or high is None:
        # The mart's "the data cannot tell": an estimate exists, but no interval bounds it.
        return ("Underlaget räcker inte för att säga om insatsen gick ihop med färre eller fler händelser; "
                "se förklaringen intill.")
    pct = round(abs(1 - float(irr)) * 100)
    if pct == 0:
        text = "Medan insatsen pågick var det ungefär lika många händelser som väntat"
    else:
        direction = "färre" if irr < 1 else "fler"
        text = f"Medan insatsen pågick var det i genomsnitt {pct} % {direction} händelser än väntat"
    if _is_unbounded(low, high):
        return text + (
            ", men osäkerheten är så stor att intervallet saknar gräns: skattningen säger inget "
            "om åt vilket håll sambandet går."
        )
    text += f" (osäkerhetsintervall {html.fmt_number(low, 2)}–{html.fmt_number(high, 2)})."
    if low <= 1 <= high:
        text += " Intervallet rymmer både färre och fler händelser, så vi kan inte säga åt vilket håll sambandet går."
    return text


INTERVENTIONS_REGISTER = "intermediate.int_interventions_validated"


def _cost_status(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, dict[str, tuple[int, int]]]:
    """How many interventions started in the year, and how many of them have a reported cost,
    per area and per type: so that a cost of 0 kr is shown as "ej rapporterad" when no
    intervention reported one, and as "–" when none started.

    The marts sum the register's costs (a missing cost counts as nothing), so they cannot
    tell "not reported" from "nothing spent"; the register can.
    """
    empty: dict[str, dict[str, tuple[int, int]]] = {"area": {}, "type": {}}
    if not relation_exists(con, INTERVENTIONS_REGISTER):
        return empty
    needed = {"area_id", "intervention_type", "started_on", "cost_sek", "is_valid"}
    if not needed <= set(columns_of(con, INTERVENTIONS_REGISTER)):
        return empty
    out = empty
    for level, column in (("area", "area_id"), ("type", "intervention_type")):
        for key, started, with_cost in con.execute(
            f"select {column}, count(*), count(cost_sek) from {INTERVENTIONS_REGISTER} "
            "where is_valid and year(started_on) = ? group by all",
            [year],
        ).fetchall():
            out[level][str(key)] = (int(started), int(with_cost))
    return out


def headline_reason(row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """Why this model is the headline for its intervention type, in the same words as the
    page's introduction (the estimation's rule: the robust model whenever it exists; the
    simple one is a cross-check)."""
    if str(row["estimator"]).startswith("robust"):
        return "Huvudresultat: den robusta modellen, som gäller även när effekten skiljer sig mellan områden och över tid."
    return "Huvudresultat: den robusta modellen kunde inte skattas, så den enkla visas."


def model_notes(row: dict[str, Any]) -> list[str]:
    """What else a partner should know about one estimate, in plain Swedish."""
    notes = []
    n_areas = row.get("n_treated_areas")
    if n_areas is not None and n_areas < FEW_AREAS:
        notes.append(f"Bygger på få områden ({int(n_areas)}).")
    pretrend = row.get("pretrend_p_value")
    if pretrend is not None and math.isfinite(float(pretrend)) and float(pretrend) < 0.05:
        notes.append(
            "Utfallen skilde sig redan före insatsen (sannolikhet "
            f"{html.fmt_probability(pretrend)} för en så stor skillnad om ingen fanns), vilket gör "
            "sambandet mindre säkert."
        )
    return notes


def build_context(con: duckdb.DuckDBPyConnection, year_start: date) -> dict[str, Any]:
    year = year_start.year
    require(con, AREA_FOLLOWUP, AREA_COLUMNS, "yearly")
    require(con, INTERVENTION_FOLLOWUP, INTERVENTION_COLUMNS, "yearly")
    require(con, AREAS, ["area_id", "area_name", "municipality_code", "municipality_name"], "yearly")
    areas = fetch(con, f"select area_id, area_name, municipality_code, municipality_name from {AREAS} "
                       "order by area_id")
    names = {a["area_id"]: a["area_name"] for a in areas}
    area_rows = fetch(
        con, f"select * from {AREA_FOLLOWUP} where year = ? order by area_id", [year]
    )
    trend_rows = fetch(
        con,
        f"select area_id, year, events_per_1000 from {AREA_FOLLOWUP} "
        "where year between ? and ? order by year, area_id",
        [year - TREND_YEARS + 1, year],
    )
    intervention_rows = fetch(
        con,
        f"select * from {INTERVENTION_FOLLOWUP} where year = ? order by intervention_type",
        [year],
    )
    effects = _effects(con, year)

    area_ids = sorted({r["area_id"] for r in trend_rows} | {r["area_id"] for r in area_rows})
    by_year: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in trend_rows:
        by_year[int(row["year"])][row["area_id"]] = row["events_per_1000"]
    trend_chart = charts.grouped_bars(
        [names.get(a, a) for a in area_ids],
        {str(y): [by_year[y].get(a) for a in area_ids] for y in sorted(by_year)},
        "Händelser per 1 000 invånare och år",
        "per 1 000 inv.",
    ) if area_ids else ""
    visible_survey = [r for r in area_rows if not r["survey_suppressed"] and r["survey_share_safe"] is not None]
    survey_chart = charts.grouped_bars(
        [names.get(r["area_id"], r["area_id"]) for r in visible_survey],
        {str(year): [r["survey_share_safe"] for r in visible_survey]},
        f"Andel som känner sig trygga, trygghetsmätningen {year}",
        "andel trygga",
        percent=True,
    ) if visible_survey else ""

    count_effects = [e for e in effects if _is_count_estimator(e)]
    other_effects = [e for e in effects if not _is_count_estimator(e)]
    forest_sections = []
    for group in OUTCOME_ORDER + sorted({e["outcome_group"] for e in count_effects} - set(OUTCOME_ORDER)):
        rows = [e for e in count_effects if e["outcome_group"] == group]
        if not rows:
            continue
        types = sorted({r["intervention_type"] for r in rows}, key=vocab.intervention_type_sv)
        labels = [vocab.intervention_type_sv(t) for t in types]
        chart = charts.forest_plot(
            labels,
            [
                {
                    "label": vocab.intervention_type_sv(r["intervention_type"]),
                    "kind": "robust" if str(r["estimator"]).startswith("robust") else "naive",
                    "irr": r["irr"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                }
                for r in rows
            ],
            vocab.outcome_group_sv(group),
        )
        forest_sections.append(
            {
                "group": group,
                "group_sv": vocab.outcome_group_sv(group),
                "chart": chart,
                "rows": sorted(rows, key=lambda r: (vocab.intervention_type_sv(r["intervention_type"]), not r["is_headline"])),
            }
        )
    few_areas = sorted(
        {
            vocab.intervention_type_sv(e["intervention_type"])
            for e in count_effects
            if e["n_treated_areas"] is not None and e["n_treated_areas"] < FEW_AREAS
        }
    )
    main_chart = forest_sections[0]["chart"] if forest_sections else trend_chart
    return {
        "year": year,
        "municipality": vocab.municipalities_title(areas),
        "names": names,
        "area_rows": area_rows,
        "intervention_rows": intervention_rows,
        "trend_chart": trend_chart,
        "survey_chart": survey_chart,
        "forest_sections": forest_sections,
        "other_effects": other_effects,
        "few_areas": few_areas,
        "few_areas_limit": FEW_AREAS,
        "association_text": ASSOCIATION_TEXT,
        "plain_words": _plain_words,
        "model_notes": model_notes,
        "headline_reason": headline_reason,
        "estimator_sv": vocab.estimator_sv,
        "costs": _cost_status(con, year),
        "main_chart": main_chart,
        "n_effects": len(effects),
        "estimation_note": _estimation_note(con, year),
        "has_police_crimes": any((r.get("police_crimes") or 0) for r in area_rows),
    }


def _summary_markdown(ctx: dict[str, Any], path: Path) -> str:
    lines = [f"**Årlig uppföljning {ctx['year']}**", "", ctx["association_text"], ""]
    headline = [
        r for s in ctx["forest_sections"] if s["group"] == "total" for r in s["rows"] if r["is_headline"]
    ]
    for row in headline:
        lines.append(
            f"- {vocab.intervention_type_sv(row['intervention_type'])}: kvot "
            f"{html.fmt_number(row['irr'], 2)} ({html.fmt_number(row['ci_low'], 2)}–"
            f"{html.fmt_number(row['ci_high'], 2)}), {row['n_treated_areas']} områden"
        )
    if ctx["few_areas"]:
        lines.append(f"\nFärre än {ctx['few_areas_limit']} områden: {', '.join(ctx['few_areas'])}")
    lines += ["", f"Rapport: `{path}`"]
    return "\n".join(lines)


def render_yearly_report(
    con: duckdb.DuckDBPyConnection, year_start: date, reports_dir: Path
) -> YearlyReport:
    ctx = build_context(con, year_start)
    path = report_path(reports_dir, year_start)
    html.write_report(path, html.render("yearly.html", **ctx))
    return YearlyReport(path, _summary_markdown(ctx, path), ctx["main_chart"], ctx["n_effects"])
