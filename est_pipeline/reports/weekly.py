"""The weekly lägesbild: a municipality overview and one page per area, for one ISO week.

Every figure in a table is a value of a row of ``marts.weekly_situation``,
``marts.weekly_area_summary`` or ``marts.area_week_interventions`` for the week; the template
tags each with its source (``data-mart``, ``data-key``, ``data-col``, ``data-value``) so that a
test, or a sceptical analyst, can check the report against the mart cell by cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from est_pipeline.reports import charts, html, maps
from est_pipeline.reports import vocabulary as vocab
from est_pipeline.reports.marts import AREAS, columns_of, fetch, relation_exists, require

#: How far back the trend charts look: 26 weeks, the long end of a 12–26 week window.
TREND_WEEKS = 26
#: Rises and falls listed in the overview.
TOP_CHANGES = 8
#: Places listed per area.
TOP_PLACES = 5

SITUATION = "marts.weekly_situation"
SUMMARY = "marts.weekly_area_summary"
INTERVENTIONS = "marts.area_week_interventions"

SITUATION_COLUMNS = [
    "area_id", "week_start", "category",
    "events_police", "events_municipality", "events_housing", "events_reported", "events_total",
    "police_crimes", "incidents_total",
    "rating_max_police", "rating_max_municipality", "rating_max_housing",
    "rating_mean_police", "rating_mean_municipality", "rating_mean_housing",
    "baseline_mean", "change_from_baseline", "change_from_last_week",
    "exceedance_probability", "is_unusually_high",
]
SUMMARY_COLUMNS = [
    "area_id", "week_start", "events_total", "events_reported", "police_crimes", "incidents_total",
    "insecurity_index",
    "categories_flagged", "active_interventions", "top_categories",
]
INTERVENTION_COLUMNS = [
    "area_id", "week_start", "intervention_id", "intervention_type", "intensity",
    "responsible_partners",
]


def report_path(reports_dir: Path, week_start: date) -> Path:
    from est_pipeline.defs.partitions import iso_week_label

    return reports_dir / "weekly" / f"lagesbild_{iso_week_label(week_start)}.html"


@dataclass
class WeeklyReport:
    path: Path
    week_label: str
    summary_md: str
    main_chart: str
    n_areas: int
    n_flagged: int


def _week_label(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def _load(con: duckdb.DuckDBPyConnection, week_start: date) -> dict[str, Any]:
    for relation, columns in (
        (SITUATION, SITUATION_COLUMNS),
        (SUMMARY, SUMMARY_COLUMNS),
        (INTERVENTIONS, INTERVENTION_COLUMNS),
        (AREAS, ["area_id", "area_name", "municipality_code", "municipality_name", "geometry_wkt"]),
        ("raw.places", ["place_id", "area_id", "place_name", "place_kind", "geometry_wkt"]),
    ):
        require(con, relation, columns, "weekly")
    first = week_start - timedelta(weeks=TREND_WEEKS - 1)
    data: dict[str, Any] = {}
    data["areas"] = fetch(
        con, f"select area_id, area_name, municipality_code, municipality_name, geometry_wkt from {AREAS} "
        "order by area_id"
    )
    data["places"] = fetch(
        con,
        "select place_id, area_id, place_name, place_kind, place_type, geometry_wkt "
        "from raw.places order by place_id",
    )
    data["situation"] = fetch(
        con,
        f"select * from {SITUATION} where week_start = ? order by area_id, category",
        [week_start],
    )
    # Chart history: one row per area and week, summed over categories from the mart.
    data["history"] = fetch(
        con,
        f"""
        select area_id, week_start, sum(incidents_total) as events_total,
               sum(baseline_mean) as baseline, bool_or(is_unusually_high) as any_flagged
        from {SITUATION}
        where week_start between ? and ?
        group by area_id, week_start
        order by area_id, week_start
        """,
        [first, week_start],
    )
    data["summary"] = fetch(
        con, f"select * from {SUMMARY} where week_start = ? order by area_id", [week_start]
    )
    # Whether the police's own series has ever had a crime in the chart's window: the report
    # shows its columns then (a municipality without any police delivery is spared them).
    data["history_police"] = fetch(
        con,
        f"select sum(police_crimes) as police_crimes from {SUMMARY} where week_start between ? and ?",
        [first, week_start],
    )
    data["interventions"] = fetch(
        con,
        f"select * from {INTERVENTIONS} where week_start = ? order by area_id, intervention_id",
        [week_start],
    )
    data["events"] = _events(con, week_start)
    data["comments"] = _checklist_comments(con, week_start)
    data["police_events"] = _police_events(con, week_start)
    data["period"] = _data_period(con)
    data["feeds"] = _feed_weeks(con, week_start)
    data["interventions_registered"] = _interventions_registered(con)
    data["unmapped"] = _unmapped(con)
    if not any(f["source"] == "police_events" for f in data["feeds"]):
        data["police_events"] = None  # never delivered: no background line at all
    return data


POLICE_EVENTS = "marts.weekly_police_events"
MUNICIPALITIES = "intermediate.int_municipalities"
DATA_PERIOD = "intermediate.int_data_period"
SOURCE_WEEKS = "intermediate.int_source_weeks"

#: The feeds as partners know them, in the order the report lists them.
FEEDS_SV = {
    "police_local": "Polisen, lokalt händelseutdrag",
    "police_deso": "Polisen, brott kodade till DeSO",
    "police_events": "Polisens händelser (öppna API:et)",
    "fault_reports": "Kommunen, felanmälningar",
    "field_observations": "Kommunen, fältobservationer",
    "property_incidents": "Fastighetsbolaget, ärenden",
    "checklist": "Checklistan (alla samverkansparter)",
}


def _police_events(con: duckdb.DuckDBPyConnection, week_start: date) -> dict[str, Any] | None:
    """This week's events from the police's events API, by type (summaries excluded by the
    mart): ``municipality``, the events the police locate to the municipality, and
    ``counties``, per county the events they locate only to the county (one list per county,
    however many of the deployment's municipalities lie in it). None when the warehouse has
    no such mart (the report then says nothing)."""
    if not relation_exists(con, POLICE_EVENTS):
        return None
    # A mart built before events were located to counties has municipality rows only.
    located = "located_to" in columns_of(con, POLICE_EVENTS)
    municipality = fetch(
        con,
        f"select event_type, sum(events) as events from {POLICE_EVENTS} where week_start = ? "
        + ("and located_to = 'municipality' " if located else "")
        + "group by event_type order by events desc, event_type",
        [week_start],
    )
    counties: list[dict[str, Any]] = []
    if located:
        # Every municipality of a county carries the same county rows: take them once.
        rows = fetch(
            con,
            f"select county_name, event_type, max(events) as events from {POLICE_EVENTS} "
            "where week_start = ? and located_to = 'county' "
            "group by county_name, event_type order by county_name, events desc, event_type",
            [week_start],
        )
        by_county: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            by_county[r["county_name"]].append(r)
        counties = [
            {"county_name": name, "events": events, "total": sum(e["events"] for e in events)}
            for name, events in by_county.items()
        ]
    return {
        "municipality": municipality,
        "municipality_total": sum(r["events"] for r in municipality),
        "counties": counties,
        "home_counties": _home_counties(con) if located else None,
    }


def _home_counties(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The counties of the report's municipalities, or None when one of them has no known
    county (not in the municipalities seed): then no event located only to a county can be
    tied to it, and the report says so rather than that the county had no events."""
    if not relation_exists(con, MUNICIPALITIES) or "county_name" not in columns_of(con, MUNICIPALITIES):
        return None
    names = [r["county_name"] for r in fetch(con, f"select distinct county_name from {MUNICIPALITIES}")]
    if not names or None in names:
        return None
    return sorted(names)


def _data_period(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    if not relation_exists(con, DATA_PERIOD):
        return None
    rows = fetch(con, f"select first_week_start, last_week_start, last_complete_week_start from {DATA_PERIOD}")
    return rows[0] if rows else None


def _feed_weeks(con: duckdb.DuckDBPyConnection, week_start: date) -> list[dict[str, Any]]:
    """Every feed that has ever delivered, with its records for this week (0 = inga rader)."""
    if not relation_exists(con, SOURCE_WEEKS):
        return []
    rows = fetch(
        con,
        f"""
        select source, coalesce(sum(records) filter (where week_start = ?), 0) as records
        from {SOURCE_WEEKS} group by source
        """,
        [week_start],
    )
    order = list(FEEDS_SV)
    rows.sort(key=lambda r: order.index(r["source"]) if r["source"] in order else len(order))
    return [{**r, "name_sv": FEEDS_SV.get(r["source"], r["source"])} for r in rows]


UNMAPPED = "marts.unmapped_source_types"


def _unmapped(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Source types on no list (their rows are in no count), for a prominent note."""
    if not relation_exists(con, UNMAPPED):
        return []
    return fetch(con, f"select source, source_type, rows_unmapped from {UNMAPPED} order by rows_unmapped desc, source, source_type")


def _interventions_registered(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the interventions register holds any valid intervention at all."""
    if not relation_exists(con, INTERVENTIONS):
        return False
    return bool(con.execute(f"select count(*) from {INTERVENTIONS}").fetchone()[0])


def data_notes(week_start: date, period: dict[str, Any] | None, feeds: list[dict[str, Any]],
               interventions_registered: bool, unmapped: list[dict[str, Any]] | None = None) -> list[str]:
    """Plain Swedish notes on what the data can and cannot say about this week, so that an
    empty table is never mistaken for a quiet week."""
    notes: list[str] = []
    if period is None or period["last_week_start"] is None:
        notes.append("Det finns inga data i lagret ännu.")
    else:
        if week_start > period["last_week_start"]:
            notes.append(
                f"Inga data har kommit in för den här veckan ännu: senaste veckan med data är "
                f"{_week_label(period['last_week_start'])}."
            )
        elif week_start > period["last_complete_week_start"]:
            notes.append(
                f"Veckan är inte komplett: leveranserna når inte veckans slut (senaste kompletta "
                f"vecka är {_week_label(period['last_complete_week_start'])}). Siffrorna kan öka."
            )
        if week_start < period["first_week_start"]:
            notes.append(
                f"Veckan ligger före de första data ({_week_label(period['first_week_start'])})."
            )
    empty = [f["name_sv"] for f in feeds if not f["records"]]
    if empty:
        notes.append("Inga rader den här veckan från: " + ", ".join(empty) + ".")
    if unmapped:
        shown = ", ".join(f"'{u['source_type']}' ({FEEDS_SV.get(u['source'], u['source'])}, {u['rows_unmapped']} rader)"
                          for u in unmapped[:5])
        more = f" och {len(unmapped) - 5} till" if len(unmapped) > 5 else ""
        notes.append(
            f"Okända typer räknas inte: {shown}{more}. De finns inte i någon kodlista; lägg till dem "
            "(kategori, eller att de inte följs upp) så räknas de vid nästa körning."
        )
    if not interventions_registered:
        notes.append(
            "Inga registrerade insatser: insatsregistret är tomt, så inga insatser visas och "
            "inga samband kan skattas ännu."
        )
    return notes


#: The event-level model after cross-partner deduplication: where each event happened
#: (place, SWEREF 99 TM point). ``is_counted`` events are the ones the mart's totals count.
EVENTS = "intermediate.int_events__deduplicated"


def _events(con: duckdb.DuckDBPyConnection, week_start: date) -> list[dict[str, Any]] | None:
    """The week's events with their place and point, for the map and the place list.

    ``None`` when the warehouse has no event-level model: the report then says so instead of
    drawing an empty map that would read as "nothing happened".
    """
    if not relation_exists(con, EVENTS):
        return None
    return fetch(
        con,
        f"""
        select area_id, place_id, category, east_sweref, north_sweref
        from {EVENTS}
        where week_start = ? and is_counted and area_id is not null
        """,
        [week_start],
    )


CHECKLIST = "raw.checklist_ratings"


def _checklist_comments(con: duckdb.DuckDBPyConnection, week_start: date) -> list[dict[str, Any]]:
    """The partners' free-text comments for the week, as masked at ingest (never the original)."""
    if not relation_exists(con, CHECKLIST):
        return []
    return fetch(
        con,
        f"""
        select omrades_id as area_id, partner, checklistpunkt, bedomning, kommentar
        from {CHECKLIST}
        where vecka = ? and kommentar is not null and trim(kommentar) <> ''
        order by omrades_id, partner, checklistpunkt
        """,
        [_week_label(week_start)],
    )


def _events_in_row(row: dict[str, Any]) -> bool:
    return bool(
        (row["events_total"] or 0)
        or (row["incidents_total"] or 0)
        or (row["police_crimes"] or 0)
        or (row["events_police"] or 0)
        or (row["events_municipality"] or 0)
        or (row["events_housing"] or 0)
        or row["is_unusually_high"]
    )


def _has_rating(row: dict[str, Any]) -> bool:
    return any(row[f"rating_max_{p}"] is not None for p in vocab.PARTNERS_SV)


def top_categories_sv(text: str | None) -> str:
    """``vandalism (3), graffiti (2)`` -> ``Skadegörelse (3), Klotter (2)``: the mart's text, in Swedish."""
    if not text:
        return "–"
    return re.sub(r"[a-z_]+", lambda m: vocab.category_sv(m.group(0)), text)


def _category_order(row: dict[str, Any]) -> tuple[int, str]:
    """The seed's order (grouped by outcome group), as the partners' checklist reads."""
    order = vocab.categories()
    category = row["category"]
    return (order.index(category) if category in order else len(order), category)


def build_context(con: duckdb.DuckDBPyConnection, week_start: date) -> dict[str, Any]:
    data = _load(con, week_start)
    label = _week_label(week_start)
    areas = {a["area_id"]: a for a in data["areas"]}
    names = {a: areas[a]["area_name"] if a in areas else a for a in
             {r["area_id"] for r in data["situation"]} | set(areas)}

    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(data["situation"], key=_category_order):
        by_area[row["area_id"]].append(row)
    summary = {r["area_id"]: r for r in data["summary"]}
    interventions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data["interventions"]:
        interventions[row["area_id"]].append(row)
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data["history"]:
        history[row["area_id"]].append(row)
    comments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data["comments"]:
        comments[row["area_id"]].append(row)
    places_by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for place in data["places"]:
        places_by_area[place["area_id"]].append(place)

    flagged = [r for r in data["situation"] if r["is_unusually_high"]]
    changed = [r for r in data["situation"] if r["change_from_baseline"] is not None]
    rises = sorted(
        (r for r in changed if r["change_from_baseline"] > 0),
        key=lambda r: (-r["change_from_baseline"], r["area_id"], r["category"]),
    )[:TOP_CHANGES]
    falls = sorted(
        (r for r in changed if r["change_from_baseline"] < 0),
        key=lambda r: (r["change_from_baseline"], r["area_id"], r["category"]),
    )[:TOP_CHANGES]

    area_ids = sorted(set(areas) | set(by_area) | set(summary))
    pages = []
    for area_id in area_ids:
        rows = by_area.get(area_id, [])
        pages.append(
            _area_page(
                area_id,
                names.get(area_id, area_id),
                areas.get(area_id),
                rows,
                summary.get(area_id),
                interventions.get(area_id, []),
                history.get(area_id, []),
                comments.get(area_id, []),
                places_by_area.get(area_id, []),
                data["events"],
                week_start,
            )
        )

    municipality_chart = _municipality_chart(data["history"], week_start)
    municipality = vocab.municipalities_title(data["areas"])
    return {
        "week_label": label,
        "week_number": week_start.isocalendar()[1],
        "week_start": week_start,
        "week_end": week_start + timedelta(days=6),
        "municipality": municipality,
        "names": names,
        "flagged": flagged,
        "rises": rises,
        "falls": falls,
        "summary_rows": [summary[a] for a in area_ids if a in summary],
        "pages": pages,
        "municipality_chart": municipality_chart,
        "trend_weeks": TREND_WEEKS,
        "top_categories_sv": top_categories_sv,
        "events_available": data["events"] is not None,
        "police_events": data["police_events"],
        "police_crimes_total": sum(float(r["police_crimes"] or 0) for r in data["summary"]),
        "has_police_crimes": any(float(r["police_crimes"] or 0) for r in data["history_police"]),
        "feeds": data["feeds"],
        "notes": data_notes(week_start, data["period"], data["feeds"], data["interventions_registered"],
                            data["unmapped"]),
    }


def _trend_series(rows: list[dict[str, Any]], week_start: date) -> tuple[list[str], list[float], list[float | None], list[bool]]:
    """The last TREND_WEEKS weeks, a zero bar for a week that has no mart rows."""
    by_week = {r["week_start"]: r for r in rows}
    labels, events, baseline, flagged = [], [], [], []
    for i in range(TREND_WEEKS - 1, -1, -1):
        week = week_start - timedelta(weeks=i)
        row = by_week.get(week)
        labels.append(_week_label(week))
        events.append(float(row["events_total"] or 0) if row else 0.0)
        baseline.append(float(row["baseline"]) if row and row["baseline"] is not None else None)
        flagged.append(bool(row and row["any_flagged"]))
    return labels, events, baseline, flagged


def _municipality_chart(history: list[dict[str, Any]], week_start: date) -> str:
    weeks: dict[date, dict[str, Any]] = {}
    for row in history:
        agg = weeks.setdefault(row["week_start"], {"week_start": row["week_start"], "events_total": 0.0, "baseline": None, "any_flagged": False})
        agg["events_total"] += float(row["events_total"] or 0)
        if row["baseline"] is not None:
            agg["baseline"] = (agg["baseline"] or 0.0) + float(row["baseline"])
        agg["any_flagged"] = agg["any_flagged"] or bool(row["any_flagged"])
    labels, events, baseline, _ = _trend_series(list(weeks.values()), week_start)
    return charts.weekly_trend(
        labels, events, baseline, [False] * len(labels),
        f"Hela kommunen: händelser och polisanmälda brott per vecka, senaste {TREND_WEEKS} veckorna",
        size=(7.2, 2.6),
    )


def _area_page(
    area_id: str,
    name: str,
    area: dict[str, Any] | None,
    rows: list[dict[str, Any]],
    summary: dict[str, Any] | None,
    interventions: list[dict[str, Any]],
    history: list[dict[str, Any]],
    comments: list[dict[str, Any]],
    places: list[dict[str, Any]],
    events: list[dict[str, Any]] | None,
    week_start: date,
) -> dict[str, Any]:
    labels, counts, baseline, flagged = _trend_series(history, week_start)
    trend = charts.weekly_trend(labels, counts, baseline, flagged, f"{name}: händelser och polisanmälda brott per vecka")

    place_counts: dict[str, int] = defaultdict(int)
    place_categories: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    points: list[tuple[float, float]] = []
    for event in events or []:
        if event["area_id"] != area_id:
            continue
        if event["place_id"]:
            place_counts[event["place_id"]] += 1
            place_categories[event["place_id"]][event["category"]] += 1
        if event["east_sweref"] is not None and event["north_sweref"] is not None:
            points.append((float(event["east_sweref"]), float(event["north_sweref"])))
    standout = sorted(
        (p for p in places if place_counts.get(p["place_id"])),
        key=lambda p: (-place_counts[p["place_id"]], p["place_id"]),
    )[:TOP_PLACES]
    has_shape = bool(area and area["geometry_wkt"]) or any(p["geometry_wkt"] for p in places)
    map_places = [
        maps.MapPlace(p["place_id"], p["place_name"], p["geometry_wkt"], place_counts.get(p["place_id"], 0))
        for p in places
        if p["geometry_wkt"]
    ]
    map_uri = None if not has_shape else maps.area_map(
        area["geometry_wkt"] if area else None,
        map_places,
        points,
        f"{name}: platser och veckans händelser",
    )
    map_numbers = {n.place_id: n.number for n in maps.numbered(map_places)} if map_uri else {}
    return {
        "area_id": area_id,
        "name": name,
        "rows": [r for r in rows if _events_in_row(r)],
        "rated": [r for r in rows if _has_rating(r)],
        "summary": summary,
        "interventions": interventions,
        "comments": comments,
        "standout": [
            {
                "place": p,
                "number": map_numbers.get(p["place_id"]),
                "kind_sv": vocab.PLACE_KINDS_SV.get(p["place_kind"], p["place_kind"]),
                "events": place_counts[p["place_id"]],
                "categories": sorted(place_categories[p["place_id"]].items(), key=lambda kv: (-kv[1], kv[0])),
            }
            for p in standout
        ],
        "trend_chart": trend,
        "map": map_uri,
        "map_legend": [
            {"number": n.number, "name": n.label, "events": n.events}
            for n in maps.numbered(map_places)
        ] if map_uri else [],
    }


def _summary_markdown(ctx: dict[str, Any], path: Path) -> str:
    lines = [
        f"**Lägesbild vecka {ctx['week_number']}** ({ctx['week_label']}, "
        f"{ctx['week_start']:%Y-%m-%d} – {ctx['week_end']:%Y-%m-%d})",
        "",
        f"- Områden: {len(ctx['pages'])}",
        f"- Flaggade område × kategori: {len(ctx['flagged'])}",
    ]
    for row in ctx["flagged"][:10]:
        lines.append(
            f"  - {ctx['names'].get(row['area_id'], row['area_id'])}: "
            f"{vocab.category_sv(row['category'])} {html.fmt_number(row['incidents_total'], 1)} "
            f"händelser (baslinje {html.fmt_number(row['baseline_mean'], 1)})"
        )
    lines += ["", f"Rapport: `{path}`"]
    return "\n".join(lines)


def render_weekly_report(
    con: duckdb.DuckDBPyConnection, week_start: date, reports_dir: Path
) -> WeeklyReport:
    ctx = build_context(con, week_start)
    path = report_path(reports_dir, week_start)
    html.write_report(path, html.render("weekly.html", **ctx))
    return WeeklyReport(
        path=path,
        week_label=ctx["week_label"],
        summary_md=_summary_markdown(ctx, path),
        main_chart=ctx["municipality_chart"],
        n_areas=len(ctx["pages"]),
        n_flagged=len(ctx["flagged"]),
    )
