"""The weekly lägesbild against hand-built marts: every figure equals its mart cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_reports_support import assert_figures_match, build_fake_warehouse, figures

from est_pipeline.reports.html import external_references, write_report
from est_pipeline.reports.marts import MartMissingError
from est_pipeline.reports.weekly import render_weekly_report

WEEK = date(2021, 2, 15)  # 2021-W07


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weekly") / "warehouse.duckdb"
    build_fake_warehouse(path, WEEK)
    return path


@pytest.fixture(scope="module")
def report(warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return render_weekly_report(con, WEEK, tmp_path_factory.mktemp("reports"))
    finally:
        con.close()


def test_weekly_report_is_written_where_the_contract_says(report) -> None:
    assert report.path.name == "lagesbild_2021-W07.html"
    assert report.path.parent.name == "weekly"
    text = report.path.read_text(encoding="utf-8")
    assert "<html lang=\"sv\">" in text
    assert "Lägesbild vecka 7" in text


def test_every_weekly_figure_equals_the_mart(report, warehouse: Path) -> None:
    text = report.path.read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        checked = assert_figures_match(
            con,
            text,
            {
                "weekly_situation": (
                    "select * from marts.weekly_situation where week_start = ?", [WEEK],
                    ["area_id", "category"],
                ),
                "weekly_area_summary": (
                    "select * from marts.weekly_area_summary where week_start = ?", [WEEK],
                    ["area_id"],
                ),
            },
        )
        # The overview shows every area's total and flag count; every flagged row appears.
        summary_areas = {f["key"] for f in figures(text)
                         if f["mart"] == "weekly_area_summary" and f["col"] == "incidents_total"}
        areas = {r[0] for r in con.execute(
            "select area_id from marts.weekly_area_summary where week_start = ?", [WEEK]).fetchall()}
        flagged = {f"{a}|{c}" for a, c in con.execute(
            "select area_id, category from marts.weekly_situation "
            "where week_start = ? and is_unusually_high", [WEEK]).fetchall()}
    finally:
        con.close()
    assert checked > 100
    assert summary_areas == areas
    assert flagged, "the fixture should flag something"
    shown_flags = {f["key"] for f in figures(text)
                   if f["mart"] == "weekly_situation" and f["col"] == "exceedance_probability"}
    assert flagged <= shown_flags
    assert report.n_flagged == len(flagged)


def test_weekly_report_has_a_page_per_area_with_map_trend_and_interventions(report) -> None:
    text = report.path.read_text(encoding="utf-8")
    for area_id, name in (("NV01", "Centrum"), ("NV02", "Björkhagen"), ("NV03", "Åsen")):
        assert f'id="omrade-{area_id}"' in text
        assert f"Karta över platserna i {name}" in text
        assert f"Händelser per vecka i {name}" in text
    assert "Polisiär närvaro" in text  # NV01's intervention, in Swedish
    assert "Fastighetsbolag, Kommun" in text  # NV02's responsible partners
    assert "Inga insatser pågår i området" in text  # NV03 has none
    assert "Platser som sticker ut" in text


def test_weekly_report_shows_masked_free_text_only(report) -> None:
    text = report.path.read_text(encoding="utf-8")
    assert "Ring [telefon] om nycklarna" in text


def test_weekly_report_is_self_contained(report) -> None:
    text = report.path.read_text(encoding="utf-8")
    assert external_references(text) == []
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text
    assert text.count('src="data:image/png;base64,') >= 7  # overview + trend and map per area
    assert report.main_chart.startswith("data:image/png;base64,")


def test_write_report_refuses_network_references(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="self-contained"):
        write_report(tmp_path / "x.html", '<img src="https://cdn.example.org/x.png">')
    with pytest.raises(ValueError, match="self-contained"):
        write_report(tmp_path / "y.html", '<script src="//cdn.example.org/x.js"></script>')
    assert not (tmp_path / "x.html").exists()


def test_missing_mart_names_the_relation(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    try:
        with pytest.raises(MartMissingError, match="marts.weekly_situation"):
            render_weekly_report(con, WEEK, tmp_path)
    finally:
        con.close()


def test_rendering_twice_gives_the_same_file(report, warehouse: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        again = render_weekly_report(con, WEEK, tmp_path)
    finally:
        con.close()
    assert again.path.read_bytes() == report.path.read_bytes()
