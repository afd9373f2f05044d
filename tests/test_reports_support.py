"""Hand-built marts for the report tests that must not wait for the whole chain.

A small, real DuckDB warehouse whose mart tables follow the documented columns, with values
chosen to exercise every section (flags, rises and falls, ratings, interventions, places with
events, masked comments, suppressed survey groups, robust and naive estimates). The tests in
``test_reports_*.py`` compare the HTML against these tables by SQL, so the values here are not
expected results, only inputs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import duckdb

CATEGORIES = ["vandalism", "graffiti", "littering", "fire", "youth_gathering", "disturbance",
              "drugs", "assault"]
AREAS = [("NV01", "Centrum"), ("NV02", "Björkhagen"), ("NV03", "Åsen")]


def _square(x: float, y: float, size: float) -> str:
    return f"POLYGON(({x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}))"


def build_fake_warehouse(path: Path, last_week: date, weeks: int = 30, seed: int = 7) -> None:
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw; create schema if not exists marts; "
                    "create schema if not exists intermediate")
        con.execute("create table intermediate.int_areas(area_id varchar, area_name varchar, municipality_code varchar, "
                    "municipality_name varchar, geometry_wkt varchar)")
        con.execute("create table raw.places(place_id varchar, area_id varchar, place_name varchar, "
                    "place_type varchar, place_kind varchar, geometry_wkt varchar)")
        for i, (area_id, name) in enumerate(AREAS):
            x0, y0 = 500000 + i * 2000, 6600000
            con.execute("insert into intermediate.int_areas values (?, ?, '9001', 'Norrvik kommun', ?)",
                        [area_id, name, _square(x0, y0, 1500)])
            for j, (kind, ptype) in enumerate([("square", "public"), ("park", "public"), ("stairwell", "semi_public")]):
                con.execute("insert into raw.places values (?, ?, ?, ?, ?, ?)",
                            [f"{area_id}-P{j + 1:02d}", area_id, f"{name} {kind}", ptype, kind,
                             _square(x0 + 100 + j * 450, y0 + 300 + j * 200, 300)])
        con.execute("""create table marts.weekly_situation(area_id varchar, area_name varchar, week_start date,
            iso_week_label varchar, category varchar, events_police integer, events_municipality integer,
            events_housing integer, events_reported integer, events_total integer, events_per_1000 double,
            rating_max_police integer, rating_max_municipality integer, rating_max_housing integer,
            rating_mean_police double, rating_mean_municipality double, rating_mean_housing double,
            baseline_mean double, change_from_last_week integer, change_from_baseline double,
            exceedance_probability double, is_unusually_high boolean, police_crimes double,
            incidents_total double)""")
        con.execute("""create table marts.weekly_area_summary(area_id varchar, week_start date, events_total integer,
            events_reported integer, insecurity_index double, top_categories varchar, categories_flagged integer,
            active_interventions integer, responsible_partners varchar, police_crimes double,
            incidents_total double)""")
        con.execute("""create table marts.area_week_interventions(area_id varchar, week_start date,
            intervention_id varchar, intervention_type varchar, intensity integer, responsible_partners varchar)""")
        con.execute("""create table intermediate.int_events__deduplicated(event_id varchar, area_id varchar,
            place_id varchar, category varchar, partner varchar, week_start date, event_at timestamp,
            east_sweref double, north_sweref double, is_counted boolean)""")
        con.execute("""create table raw.checklist_ratings(vecka varchar, partner varchar, omrades_id varchar,
            plats_id varchar, checklistpunkt varchar, bedomning varchar, kommentar varchar, inskickad timestamp)""")
        first = last_week - timedelta(weeks=weeks - 1)
        prev: dict[tuple[str, str], int] = {}
        for w in range(weeks):
            week = first + timedelta(weeks=w)
            year, num, _ = week.isocalendar()
            for i, (area_id, _name) in enumerate(AREAS):
                total_area = reported_area = flagged_area = police_area = 0
                for category in CATEGORIES:
                    p, m, h = rng.randint(0, 3), rng.randint(0, 2), rng.randint(0, 2)
                    total = p + m + h - (1 if p and h else 0)
                    baseline = round(rng.uniform(0.5, 4.0), 4) if w >= 4 else None
                    flagged = baseline is not None and total >= baseline + 3
                    ratings = [rng.choice([None, 0, 1, 2, 3]) for _ in range(3)]
                    means = [None if r is None else r * 0.75 for r in ratings]
                    con.execute(
                        "insert into marts.weekly_situation values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        [area_id, _name, week, f"{year}-W{num:02d}", category, p, m, h, p + m + h, total,
                         total / 3.2, *ratings, *means, baseline,
                         total - prev.get((area_id, category), 0) if w else None,
                         None if baseline is None else round(total - baseline, 4),
                         None if baseline is None else round(rng.uniform(0.001, 0.9), 5), flagged,
                         # The police's series; a DeSO crime spread by share adds a fraction.
                         p + (0.4 if category == CATEGORIES[0] and i == 0 else 0.0),
                         total + (0.4 if category == CATEGORIES[0] and i == 0 else 0.0)],
                    )
                    prev[(area_id, category)] = total
                    total_area += total
                    police_area += p
                    reported_area += p + m + h
                    flagged_area += flagged
                    if w == weeks - 1:
                        for k in range(total):
                            place = f"{area_id}-P{rng.randint(1, 3):02d}" if k % 3 else None
                            con.execute("insert into intermediate.int_events__deduplicated values (?,?,?,?,?,?,?,?,?,?)",
                                        [f"{area_id}-{category}-{k}", area_id, place, category, "police", week,
                                         week + timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23)),
                                         500000 + i * 2000 + rng.uniform(50, 1450), 6600000 + rng.uniform(50, 1450),
                                         True])
                active = 1 if i != 2 and w > 10 else 0
                con.execute("insert into marts.weekly_area_summary values (?,?,?,?,?,?,?,?,?,?,?)",
                            [area_id, week, total_area, reported_area, round(rng.uniform(0, 100), 1),
                             "vandalism (3), graffiti (2)", flagged_area, active,
                             ["police", "housing, municipality", ""][i] if active else "",
                             police_area + (0.4 if i == 0 else 0.0), total_area + (0.4 if i == 0 else 0.0)])
                if active:
                    con.execute("insert into marts.area_week_interventions values (?,?,?,?,?,?)",
                                [area_id, week, f"INS-{i + 1:03d}", ["police_patrol", "cleanup"][i],
                                 i + 1, ["police", "housing, municipality"][i]])
            con.execute("insert into raw.checklist_ratings values (?, 'Polis', 'NV01', null, 'Klotter', 'röd', "
                        "'Ring [telefon] om nycklarna', null)", [f"{year}-W{num:02d}"])
    finally:
        con.close()


def add_fake_period_and_yearly_marts(path: Path, seed: int = 11) -> None:
    """Prioritisation, follow-up and estimation marts for 2020–2021 (quarters)."""
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    try:
        con.execute("""create table marts.period_prioritisation(area_id varchar, period_start date,
            period_label varchar, events integer, events_per_1000 double, need double, influence double,
            priority_rank integer, quadrant varchar, is_high_need boolean, is_high_influence boolean)""")
        con.execute("""create table marts.period_priority_drivers(area_id varchar, period_start date,
            category varchar, driver_rank integer, events integer, need_share double,
            excess_events double, is_driver boolean)""")
        con.execute("""create table marts.period_suggested_interventions(area_id varchar, period_start date,
            category varchar, intervention_type varchar, responsible_partner varchar, rationale_sv varchar,
            already_active boolean, events double, excess_events double)""")
        con.execute("""create table marts.hot_spots(unit_type varchar, unit_id varchar, area_id varchar,
            place_id varchar, period_start date, hot_spot_class varchar)""")
        for year in (2020, 2021):
            for month in (1, 4, 7, 10):
                start = date(year, month, 1)
                scores = sorted(((rng.uniform(0, 2), rng.uniform(0, 1), a) for a, _ in AREAS), reverse=True)
                for rank, (need, influence, area_id) in enumerate(scores, start=1):
                    high_need, high_influence = need >= 1.0, influence >= 0.5
                    quadrant = ("high_need" if high_need else "low_need") + ("_high_influence" if high_influence else "_low_influence")
                    con.execute("insert into marts.period_prioritisation values (?,?,?,?,?,?,?,?,?,?,?)",
                                [area_id, start, f"{year}-Q{(month - 1) // 3 + 1}", rng.randint(20, 200),
                                 rng.uniform(5, 60), need, influence, rank, quadrant, high_need, high_influence])
                    for k, category in enumerate(rng.sample(CATEGORIES, 4), start=1):
                        con.execute("insert into marts.period_priority_drivers values (?,?,?,?,?,?,?,?)",
                                    [area_id, start, category, k, rng.randint(1, 40), rng.uniform(0.05, 0.5),
                                     5.0 - k * 1.5, k <= 3])
                    # One rationale that says more than the intervention's name, one that repeats it.
                    con.execute("insert into marts.period_suggested_interventions values (?,?,?,?,?,?,?,?,?)",
                                [area_id, start, "graffiti", "graffiti_removal", "municipality",
                                 "Snabb klottersanering inom 24 timmar", False, 14.0, 6.5])
                    con.execute("insert into marts.period_suggested_interventions values (?,?,?,?,?,?,?,?,?)",
                                [area_id, start, "disturbance", "police_patrol", "police", "Polisiär närvaro",
                                 True, 9.0, 2.25])
                    con.execute("insert into marts.hot_spots values ('area', ?, ?, null, ?, ?)",
                                [area_id, area_id, start, rng.choice(["new", "persistent", "intensifying", "none"])])
                    con.execute("insert into marts.hot_spots values ('place', ?, ?, ?, ?, 'persistent')",
                                [f"{area_id}-P01", area_id, f"{area_id}-P01", start])
        con.execute("""create table marts.yearly_area_followup(area_id varchar, year integer, events_total integer,
            events_per_1000 double, survey_respondents integer, survey_share_safe double, survey_suppressed boolean,
            interventions_count integer, intervention_weeks integer, intervention_cost_sek double)""")
        con.execute("""create table marts.yearly_intervention_followup(intervention_type varchar, year integer,
            areas_count integer, area_weeks integer, cost_sek double)""")
        con.execute("""create table marts.intervention_effects(intervention_type varchar, outcome_group varchar,
            estimator varchar, is_headline boolean, irr double, ci_low double, ci_high double,
            p_value double, q_value double, n_treated_areas integer, n_clusters integer,
            pretrend_p_value double, period_start date, period_end date, note varchar,
            estimate_scale varchar, share_difference double, share_difference_ci_low double,
            share_difference_ci_high double)""")
        # The register behind the costs: NV01 started two interventions in 2021 with a cost,
        # NV02 one without (cost not reported), NV03 none.
        con.execute("""create table intermediate.int_interventions_validated(intervention_id varchar,
            area_id varchar, intervention_type varchar, started_on date, cost_sek double, is_valid boolean)""")
        con.execute("""insert into intermediate.int_interventions_validated values
            ('I1', 'NV01', 'police_patrol', date '2021-03-01', 120000, true),
            ('I2', 'NV01', 'cleanup', date '2021-05-03', 30000, true),
            ('I3', 'NV02', 'cleanup', date '2021-02-01', null, true),
            ('I4', 'NV03', 'cleanup', date '2021-02-01', 999, false)""")
        for year in (2020, 2021):
            for i, (area_id, _name) in enumerate(AREAS):
                suppressed = i == 2  # one group below the minimum size
                con.execute("insert into marts.yearly_area_followup values (?,?,?,?,?,?,?,?,?,?)",
                            [area_id, year, rng.randint(100, 400), rng.uniform(20, 90),
                             None if suppressed else rng.randint(30, 90),
                             None if suppressed else rng.uniform(0.4, 0.9), suppressed,
                             rng.randint(0, 3), rng.randint(0, 60), rng.uniform(0, 250000)])
            for kind in ("police_patrol", "cleanup", "lighting_improvement"):
                con.execute("insert into marts.yearly_intervention_followup values (?,?,?,?,?)",
                            [kind, year, rng.randint(1, 3), rng.randint(5, 80), rng.uniform(1000, 90000)])
                for group in ("total", "property"):
                    for estimator in ("poisson_twfe", "robust_imputation"):
                        irr = rng.uniform(0.6, 1.2)
                        con.execute("insert into marts.intervention_effects values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                    [kind, group, estimator, estimator.startswith("robust"), irr,
                                     irr * 0.8, irr * 1.25, rng.uniform(0, 1), rng.uniform(0, 1),
                                     rng.choice([3, 12]), 3, rng.uniform(0, 1), date(year, 1, 1),
                                     date(year + 1, 1, 1), "Samband, inte bevisad orsakseffekt.",
                                     "incidence_rate_ratio", None, None, None])
                diff = rng.uniform(-0.05, 0.08)
                con.execute("insert into marts.intervention_effects values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            [kind, "survey_safe", "survey_fe_linear", False, None, None, None, 0.4, 0.6, 12, 3,
                             None, date(year, 1, 1), date(year + 1, 1, 1), None, "share_difference",
                             diff, diff - 0.05, diff + 0.05])
    finally:
        con.close()


# --- reading a report back -------------------------------------------------------------------

from html.parser import HTMLParser  # noqa: E402


class _FigureParser(HTMLParser):
    """Collects every tagged figure (``<span class="fig" data-mart=…>``) with its shown text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "span" and a.get("class") == "fig":
            self._open = {"mart": a["data-mart"], "key": a["data-key"], "col": a["data-col"],
                          "value": a["data-value"], "text": ""}

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._open is not None:
            self.figures.append(self._open)
            self._open = None


def figures(html_text: str) -> list[dict[str, str]]:
    parser = _FigureParser()
    parser.feed(html_text)
    return parser.figures


def assert_figures_match(
    con: duckdb.DuckDBPyConnection,
    html_text: str,
    marts: dict[str, tuple[str, list, list[str]]],
) -> int:
    """Every figure of the report equals its mart cell; returns how many were checked.

    ``marts`` maps the report's ``data-mart`` name to ``(sql, params, key columns)``: the mart's
    rows for the partition, selected independently of the report code.
    """
    rows: dict[str, dict[str, dict]] = {}
    for mart, (sql, params, key_columns) in marts.items():
        cursor = con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows[mart] = {}
        for values in cursor.fetchall():
            record = dict(zip(names, values))
            rows[mart]["|".join(str(record[k]) for k in key_columns)] = record
    checked = 0
    for fig in figures(html_text):
        assert fig["mart"] in rows, f"figure from an unexpected mart: {fig}"
        record = rows[fig["mart"]].get(fig["key"])
        assert record is not None, f"figure for a row not in the mart's partition: {fig}"
        expected = record[fig["col"]]
        if expected is None:
            assert fig["value"] == "" and fig["text"] == "–", fig
        elif isinstance(expected, bool):
            assert fig["value"] == str(expected), fig
        elif isinstance(expected, int):
            assert int(fig["value"]) == expected, fig
            assert fig["text"].replace("\u00a0", "").lstrip("+−±") == str(abs(expected)), fig
        else:
            assert float(fig["value"]) == float(expected), fig
        checked += 1
    return checked


# --- the real chain, materialised in-process -------------------------------------------------

import dagster as dg  # noqa: E402
from dagster._core.storage.tags import (  # noqa: E402
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

NOT_IN_CHAIN = {"reports", "publish"}


def range_tags(first: str, last: str) -> dict[str, str]:
    """One run over partitions first..last (inclusive), as `make demo` and backfills do."""
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def materialise(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: list[dg.AssetKey],
    tags: dict[str, str] | None = None,
) -> None:
    """Materialise ``keys`` in-process; a failure shows every failed step's message."""
    result = dg.materialize(
        list(defs.assets or []), resources=defs.resources, instance=instance,
        selection=list(keys), tags=tags, raise_on_error=False,
    )
    failures = [
        f"{e.step_key}: {e.event_specific_data.error.message.strip()[:1500]}"
        for e in result.all_events if e.event_type_value == "STEP_FAILURE"
    ]
    assert result.success, "\n".join(failures)


def chain_keys(defs: dg.Definitions, partitions_def: dg.PartitionsDefinition | None) -> list[dg.AssetKey]:
    """The pipeline's assets (not reports, not publishing) on one partitions definition."""
    graph = defs.resolve_asset_graph()
    keys = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable and node.group_name not in NOT_IN_CHAIN and node.partitions_def == partitions_def:
            keys.append(key)
    return sorted(keys, key=lambda k: k.to_user_string())


from functools import cache  # noqa: E402

import pytest  # noqa: E402


@cache
def _parse_manifest() -> Path:
    from est_pipeline.defs.dbt.project import prepare_manifest

    return prepare_manifest(force=True)


@pytest.fixture(scope="session")
def dbt_manifest_now() -> Path:
    """``dbt parse`` once per session before the chain loads its definitions, so the chain
    runs the models as they are in the checkout, never a stale manifest. (Each module that
    imports this fixture gets its own instance; the cache keeps it to one parse.)"""
    return _parse_manifest()
