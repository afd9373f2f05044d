"""The weekly lägesbild's notes on the data, against hand-built marts: the police events
API's municipal background line (this week's events in the municipality by type, summaries
already left out by the mart), and a clear note for a feed that delivered nothing this week
and for an empty interventions register."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from test_reports_support import build_fake_warehouse

from est_pipeline.reports.weekly import data_notes, render_weekly_report

WEEK = date(2021, 2, 15)  # 2021-W07
QUIET = WEEK - timedelta(days=7)  # the API delivered nothing this week


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weekly_notes") / "warehouse.duckdb"
    build_fake_warehouse(path, WEEK)
    with duckdb.connect(str(path)) as con:
        con.execute("""create table marts.weekly_police_events as select * from (values
            ('9001', 'Norrvik', DATE '2021-02-15', '2021-W07', 'Inbrott', 'burglary', 'tracked', 3),
            ('9001', 'Norrvik', DATE '2021-02-15', '2021-W07', 'Trafikolycka', NULL, 'not_tracked', 1),
            ('9001', 'Norrvik', DATE '2021-02-01', '2021-W05', 'Rån', 'robbery', 'tracked', 2))
            t(municipality_code, municipality_name, week_start, iso_week_label, event_type, category, decision, events)""")
        con.execute("""create table intermediate.int_source_weeks as select * from (values
            ('police_events', DATE '2021-02-15', 5), ('police_events', DATE '2021-02-01', 2),
            ('checklist', DATE '2021-02-15', 4), ('checklist', DATE '2021-02-08', 4))
            t(source, week_start, records)""")
        con.execute("""create table intermediate.int_data_period as select
            DATE '2020-07-27' as first_week_start, DATE '2021-02-15' as last_week_start,
            DATE '2021-02-15' as last_complete_week_start""")
    return path


def _text(warehouse: Path, week: date, out: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = render_weekly_report(con, week, out)
    return " ".join(report.path.read_text(encoding="utf-8").split())


def test_the_events_api_gives_a_municipal_background_line(warehouse: Path, tmp_path: Path) -> None:
    text = _text(warehouse, WEEK, tmp_path)
    assert "Polisens händelser i kommunen" in text
    assert re.search(r"för kommunen den här veckan \(4 händelser, sammanfattningar ej medräknade\): "
                     r"Inbrott 3, Trafikolycka 1\.", text)
    assert "Rån 2" not in text  # another week's event
    assert "bara anger till länet" in text


def test_a_week_without_events_api_records_says_so(warehouse: Path, tmp_path: Path) -> None:
    text = _text(warehouse, QUIET, tmp_path)
    assert "Polisens öppna händelserapportering har inga händelser angivna till kommunen den här veckan." in text
    assert "Inga rader den här veckan från: Polisens händelser (öppna API:et)." in text


def test_notes_for_an_empty_feed_week_and_no_interventions() -> None:
    period = {"first_week_start": date(2021, 1, 4), "last_week_start": WEEK, "last_complete_week_start": WEEK}
    feeds = [{"source": "checklist", "name_sv": "Checklistan (alla samverkansparter)", "records": 0},
             {"source": "police_deso", "name_sv": "Polisen, brott kodade till DeSO", "records": 12}]
    notes = data_notes(WEEK, period, feeds, interventions_registered=False)
    assert notes[0] == "Inga rader den här veckan från: Checklistan (alla samverkansparter)."
    assert notes[1].startswith("Inga registrerade insatser: insatsregistret är tomt")
    assert data_notes(WEEK, period, feeds[1:], interventions_registered=True) == []
