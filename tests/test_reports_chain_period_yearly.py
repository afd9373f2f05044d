"""The prioritisation and follow-up reports on the real chain.

Generated demo feeds for one whole ISO year → ingest → dbt (unpartitioned, then the year's
weeks as one range run) → the quarterly marts → the yearly marts and the estimation →
``period_report`` and ``yearly_report``. Every tagged figure in the rendered HTML must equal
the mart cell it names, for the partition rendered: the numbers partners read are the numbers
BI users query.
"""

from __future__ import annotations

import os

# The estimation is fast single-threaded and slow when BLAS threads fight over 2 cores; the
# Makefile exports this, pytest run directly does not. Effective only before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import dagster as dg  # noqa: E402
import duckdb  # noqa: E402
import pytest  # noqa: E402
from test_reports_support import (  # noqa: E402, F401  (dbt_manifest_now is a fixture)
    assert_figures_match,
    chain_keys,
    dbt_manifest_now,
    figures,
    materialise,
    range_tags,
)

from est_pipeline.reports.html import external_references  # noqa: E402
from est_pipeline.reports.yearly import ASSOCIATION_TEXT, FEW_AREAS  # noqa: E402
from est_pipeline.settings import export_dbt_environment, get_settings  # noqa: E402

# 2020-W53 (Monday 2020-12-28) + 53 weeks, to 2021-W52 (ends 2 January 2022): the whole
# calendar year 2021. The follow-up marts take only years the data covers from 1 January
# (int_data_years), so data starting in 2021-W01 (4 January) would leave them empty.
# Six areas keep the chain to about a minute on 2 cores.
DEMO = {"municipalities": 1, "areas": 6, "start_week": "2020-W53", "weeks": 53, "seed": 1}
FIRST_WEEK, LAST_WEEK = "2020-12-28", "2021-12-27"
PERIODS = ("2021-01-01", "2021-10-01")  # 2021-Q1 … 2021-Q4, one range run
REPORT_PERIODS = ("2021-07-01", "2021-10-01")
YEAR = "2021-01-01"


@dataclass
class Chain:
    data_dir: Path
    warehouse: Path
    reports: Path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, dbt_manifest_now: Path) -> Iterator[Chain]:
    data_dir = tmp_path_factory.mktemp("chain_py") / "data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EST_DATA_DIR", str(data_dir))
        mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
        mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
        export_dbt_environment()
        from est_pipeline.definitions import defs
        from est_pipeline.defs.partitions import (
            analysis_period_partitions,
            weekly_partitions,
            yearly_partitions,
        )
        from est_pipeline.demo import DemoConfig, generate

        generate(data_dir, DemoConfig(**DEMO))
        instance = dg.DagsterInstance.ephemeral()
        materialise(defs, instance, chain_keys(defs, None))
        materialise(defs, instance, chain_keys(defs, weekly_partitions), range_tags(FIRST_WEEK, LAST_WEEK))
        materialise(defs, instance, chain_keys(defs, analysis_period_partitions), range_tags(*PERIODS))
        yearly = chain_keys(defs, yearly_partitions)
        assert dg.AssetKey(["marts", "intervention_effects"]) in yearly
        materialise(defs, instance, yearly, range_tags(YEAR, YEAR))
        materialise(defs, instance, [dg.AssetKey("period_report")], range_tags(*REPORT_PERIODS))
        materialise(defs, instance, [dg.AssetKey("yearly_report")], range_tags(YEAR, YEAR))
        yield Chain(data_dir, get_settings().warehouse_path, get_settings().reports_dir)


def _connect(chain: Chain) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(chain.warehouse), read_only=True)


def test_period_reports_equal_the_real_marts(chain: Chain) -> None:
    assert sorted(p.name for p in (chain.reports / "period").glob("*.html")) == [
        "prioritering_2021-Q3.html", "prioritering_2021-Q4.html"]
    with _connect(chain) as con:
        for start, label in zip(REPORT_PERIODS, ("2021-Q3", "2021-Q4")):
            period = date.fromisoformat(start)
            text = (chain.reports / "period" / f"prioritering_{label}.html").read_text(encoding="utf-8")
            checked = assert_figures_match(con, text, {
                "period_prioritisation": (
                    "select * from marts.period_prioritisation where period_start = ?", [period],
                    ["area_id"]),
                "period_priority_drivers": (
                    "select * from marts.period_priority_drivers where period_start = ?", [period],
                    ["area_id", "category"]),
            })
            ranked = con.execute(
                "select area_id from marts.period_prioritisation where period_start = ? "
                "order by priority_rank", [period]).fetchall()
            drivers = con.execute(
                "select area_id || '|' || category from marts.period_priority_drivers "
                "where period_start = ? and is_driver", [period]).fetchall()
            # Suggestions for the areas whose need warrants them (the mart's high need) only.
            suggestions = con.execute(
                "select s.intervention_type_sv, s.responsible_partner from marts.period_suggested_interventions s "
                "join marts.period_prioritisation p using (area_id, period_start) "
                "where s.period_start = ? and p.is_high_need", [period]).fetchall()
            low_need = [name for (name,) in con.execute(
                "select area_name from marts.period_prioritisation where period_start = ? and not is_high_need",
                [period]).fetchall()]
            # Every area of the municipality, in the mart's rank order, and nothing else.
            assert len(ranked) == DEMO["areas"]
            shown_ranks = [f["key"] for f in figures(text)
                           if f["mart"] == "period_prioritisation" and f["col"] == "priority_rank"]
            assert shown_ranks == [r[0] for r in ranked]
            # The drivers the mart names are the drivers the report lists (events of each).
            shown_drivers = {f["key"] for f in figures(text)
                             if f["mart"] == "period_priority_drivers" and f["col"] == "events"}
            assert shown_drivers == {d[0] for d in drivers} and shown_drivers
            assert checked >= 5 * len(ranked) + 4 * len(drivers)
            # Suggestions per responsible partner: each partner the mart names has a section
            # listing the mart's intervention types.
            partner_sv = {"municipality": "Kommun", "police": "Polis", "housing": "Fastighetsbolag"}
            section = text.split("Föreslagna insatser per ansvarig samverkanspart")[1]
            for partner in {p for _, p in suggestions}:
                assert f"<h3>{partner_sv[partner]}</h3>" in section
            for intervention_sv, _ in suggestions:
                assert intervention_sv in section
            rows = section.split("Inga förslag för områden med litet behov")[0]
            assert not [a for a in low_need if f"<tr><td>{a}</td>" in rows], "a suggestion for a low-need area"
            assert '<img class="chart" src="data:image/png;base64,' in text  # the matrix plot
            assert external_references(text) == []


def test_yearly_report_equals_the_real_marts(chain: Chain) -> None:
    assert sorted(p.name for p in (chain.reports / "yearly").glob("*.html")) == ["uppfoljning_2021.html"]
    text = (chain.reports / "yearly" / "uppfoljning_2021.html").read_text(encoding="utf-8")
    effects_sql = ("select * from marts.intervention_effects "
                   "where year(period_end - interval 1 day) = 2021")
    with _connect(chain) as con:
        checked = assert_figures_match(con, text, {
            "yearly_area_followup": (
                "select * from marts.yearly_area_followup where year = 2021", [], ["area_id"]),
            "yearly_intervention_followup": (
                "select * from marts.yearly_intervention_followup where year = 2021", [],
                ["intervention_type"]),
            "intervention_effects": (effects_sql, [], ["intervention_type", "outcome_group", "estimator"]),
        })
        effects = con.execute(
            f"select intervention_type, outcome_group, estimator, n_treated_areas from ({effects_sql})"
        ).fetchall()
        areas = con.execute("select area_id, survey_suppressed from marts.yearly_area_followup "
                            "where year = 2021").fetchall()
        n_types = con.execute("select count(*) from marts.yearly_intervention_followup where year = 2021"
                              ).fetchone()[0]
    assert len(areas) == DEMO["areas"] and n_types > 0 and effects
    # Every estimate the mart holds for the year, robust and naive and the survey model.
    shown = {f["key"] for f in figures(text) if f["mart"] == "intervention_effects"}
    assert shown == {f"{t}|{g}|{e}" for t, g, e, _ in effects}
    estimators = {e for _, _, e, _ in effects}
    assert "poisson_twfe" in estimators and any(e.startswith("robust") for e in estimators)
    assert "Robust modell" in text and "Enkel modell" in text
    assert checked >= 5 * len(areas) + 3 * n_types + 4 * len(effects)
    # The survey: suppressed groups show no number; the others show share and respondents.
    survey_keys = {f["key"] for f in figures(text) if f["col"] in {"survey_share_safe", "survey_respondents"}}
    for area_id, suppressed in areas:
        assert (area_id in survey_keys) == (not suppressed), area_id
    # Association wording, and the few-areas warning that six areas cannot escape.
    assert ASSOCIATION_TEXT in text
    assert any(n is not None and n < FEW_AREAS for *_, n in effects)
    assert "Få områden." in text and "Bygger på få områden (" in text
    assert text.count('<img class="chart" src="data:image/png;base64,') >= 3  # trend, survey, forest
    assert external_references(text) == []


def test_period_and_yearly_schedules_deliver_their_reports(chain: Chain) -> None:
    """The first Monday of January: the period job for the quarter just ended and the yearly
    job for the year just ended, as their schedules ask for them, each rebuild their marts,
    render their report and publish, in one run."""
    from zoneinfo import ZoneInfo

    from est_pipeline.definitions import defs

    stockholm = ZoneInfo("Europe/Stockholm")
    with dg.instance_for_test() as instance:
        _deliver(defs, instance, stockholm, chain)


def _deliver(defs: dg.Definitions, instance: dg.DagsterInstance, stockholm, chain: Chain) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("period_prioritisation_schedule", datetime(2022, 1, 3, 7, 0, tzinfo=stockholm), "2021-10-01",
         chain.reports / "period" / "prioritering_2021-Q4.html", "period_report"),
        ("yearly_followup_schedule", datetime(2022, 1, 3, 8, 0, tzinfo=stockholm), "2021-01-01",
         chain.reports / "yearly" / "uppfoljning_2021.html", "yearly_report"),
    ]
    for name, when, partition, report, report_asset in cases:
        schedule = defs.get_schedule_def(name)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when,
                                       repository_def=defs.get_repository_def()) as context:
            (request,) = schedule.evaluate_tick(context).run_requests
        assert request.partition_key == partition, name
        report.write_text("stale", encoding="utf-8")
        result = defs.resolve_job_def(schedule.job_name).execute_in_process(
            instance=instance, partition_key=request.partition_key,
            tags={**schedule.tags, **request.tags}, raise_on_error=False)
        assert result.success, name
        materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert {report_asset, "published/warehouse"} <= materialised, materialised
        assert instance.get_run_by_id(result.run_id).tags["est/trigger"] == name
        text = report.read_text(encoding="utf-8")
        assert "stale" not in text and external_references(text) == []
        with duckdb.connect(str(get_settings().published_warehouse_path), read_only=True) as con:
            assert con.execute("select run_id from meta.publication").fetchone()[0] == result.run_id
    yearly = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "marts/intervention_effects" in yearly  # the estimation the report shows ran in the job
    with _connect(chain) as con:
        assert_figures_match(con, text, {
            "yearly_area_followup": ("select * from marts.yearly_area_followup where year = 2021", [], ["area_id"]),
            "yearly_intervention_followup": ("select * from marts.yearly_intervention_followup where year = 2021",
                                             [], ["intervention_type"]),
            "intervention_effects": ("select * from marts.intervention_effects "
                                     "where year(period_end - interval 1 day) = 2021", [],
                                     ["intervention_type", "outcome_group", "estimator"]),
        })
