"""The period prioritisation and yearly follow-up reports against hand-built marts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_reports_support import (
    add_fake_period_and_yearly_marts,
    assert_figures_match,
    build_fake_warehouse,
    figures,
)

from est_pipeline.reports.html import external_references
from est_pipeline.reports.period import period_label, render_period_report
from est_pipeline.reports.yearly import ASSOCIATION_TEXT, render_yearly_report

QUARTER = date(2021, 4, 1)
YEAR = date(2021, 1, 1)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("periodic") / "warehouse.duckdb"
    build_fake_warehouse(path, date(2021, 12, 27), weeks=5)
    add_fake_period_and_yearly_marts(path)
    return path


def _render(warehouse: Path, render, start: date, out: Path):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return render(con, start, out)
    finally:
        con.close()


def test_period_labels_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert period_label(date(2021, 4, 1), "quarter") == "2021-Q2"
    assert period_label(date(2021, 9, 1), "tertial") == "2021-T3"
    monkeypatch.setenv("EST_ANALYSIS_PERIOD", "tertial")
    assert period_label(date(2021, 5, 1)) == "2021-T2"


def test_period_report_figures_equal_the_marts(warehouse: Path, tmp_path: Path) -> None:
    report = _render(warehouse, render_period_report, QUARTER, tmp_path)
    assert report.path == tmp_path / "period" / "prioritering_2021-Q2.html"
    text = report.path.read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        checked = assert_figures_match(con, text, {
            "period_prioritisation": (
                "select * from marts.period_prioritisation where period_start = ?", [QUARTER], ["area_id"]),
            "period_priority_drivers": (
                "select * from marts.period_priority_drivers where period_start = ?", [QUARTER],
                ["area_id", "category"]),
        })
        ranks = [r[0] for r in con.execute(
            "select area_id from marts.period_prioritisation where period_start = ? order by priority_rank",
            [QUARTER]).fetchall()]
    finally:
        con.close()
    assert checked >= 3 * 3 + 3 * 3
    # The ranked table lists the areas in the mart's order.
    shown = [f["key"] for f in figures(text) if f["mart"] == "period_prioritisation" and f["col"] == "priority_rank"]
    assert shown == ranks
    assert "Prioritering av insatser, kvartal 2 2021" in text
    assert "Föreslagna insatser per ansvarig samverkanspart" in text
    assert "<h3>Kommun</h3>" in text and "<h3>Polis</h3>" in text
    assert "Klotterborttagning" in text
    assert external_references(text) == []
    assert report.main_chart.startswith("data:image/png;base64,")


def test_yearly_report_figures_equal_the_marts(warehouse: Path, tmp_path: Path) -> None:
    report = _render(warehouse, render_yearly_report, YEAR, tmp_path)
    assert report.path == tmp_path / "yearly" / "uppfoljning_2021.html"
    text = report.path.read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        checked = assert_figures_match(con, text, {
            "yearly_area_followup": (
                "select * from marts.yearly_area_followup where year = 2021", [], ["area_id"]),
            "yearly_intervention_followup": (
                "select * from marts.yearly_intervention_followup where year = 2021", [], ["intervention_type"]),
            "intervention_effects": (
                "select * from marts.intervention_effects where period_start = '2021-01-01'", [],
                ["intervention_type", "outcome_group", "estimator"]),
        })
        n_effects = con.execute(
            "select count(*) from marts.intervention_effects where period_start = '2021-01-01'").fetchone()[0]
    finally:
        con.close()
    effect_rows = {f["key"] for f in figures(text) if f["mart"] == "intervention_effects"}
    assert len(effect_rows) == n_effects  # every estimate, robust and naive, is in the report
    assert checked > 40
    assert ASSOCIATION_TEXT in text
    assert "Robust modell" in text and "Enkel modell" in text
    assert "Bygger på få områden (" in text  # the fixture has estimates on 3 treated areas
    assert "Trygghet i trygghetsmätningen" in text  # the survey model, as share differences
    assert external_references(text) == []


def test_suppressed_survey_groups_stay_suppressed(warehouse: Path, tmp_path: Path) -> None:
    report = _render(warehouse, render_yearly_report, YEAR, tmp_path)
    text = report.path.read_text(encoding="utf-8")
    survey_keys = {f["key"] for f in figures(text)
                   if f["col"] in {"survey_share_safe", "survey_respondents"}}
    assert "NV03" not in survey_keys  # the suppressed group: no number at all
    assert {"NV01", "NV02"} <= survey_keys
    row = re.search(r"<td>Åsen</td>\s*<td[^>]*>([^<]*)</td>", text.split("Trygghetsmätningen 2021")[1])
    assert row and "För få svar" in row.group(1)


def test_only_the_marts_drivers_are_listed(warehouse: Path, tmp_path: Path) -> None:
    text = _render(warehouse, render_period_report, QUARTER, tmp_path).path.read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        drivers = {r[0] for r in con.execute(
            "select area_id || '|' || category from marts.period_priority_drivers "
            "where period_start = ? and is_driver", [QUARTER]).fetchall()}
        not_drivers = con.execute(
            "select count(*) from marts.period_priority_drivers where period_start = ? and not is_driver",
            [QUARTER]).fetchone()[0]
    finally:
        con.close()
    assert not_drivers > 0  # the fixture has categories that are not drivers
    shown = {f["key"] for f in figures(text) if f["mart"] == "period_priority_drivers"}
    assert shown == drivers


def test_an_unbounded_interval_is_worded_as_such() -> None:
    from est_pipeline.reports.html import cell, fmt_number
    from est_pipeline.reports.yearly import _plain_words

    assert fmt_number(float("inf"), 2) == "∞" and fmt_number(-1.25, 2) == "−1,25"
    row = {"irr": 0.8, "ci_low": 0.0, "ci_high": float("inf")}
    words = _plain_words(row)
    assert "saknar gräns" in words and "inf" not in words and "20 % färre" in words
    assert 'data-value="inf">∞<' in str(cell(float("inf"), "intervention_effects", "k", "ci_high"))
    assert "ungefär lika många" in _plain_words({"irr": 1.002, "ci_low": 0.9, "ci_high": 1.1})
