"""The weekly lägesbild's notes on the data, against hand-built marts: the police events
API's background lines (this week's events in the municipality by type, and the events the
police locate only to the county, said to be the county's; summaries already left out by the
mart), and a clear note for a feed that delivered nothing this week and for an empty
interventions register."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from test_reports_support import build_fake_warehouse

from est_pipeline.reports.weekly import data_notes, render_weekly_report

WEEK = date(2021, 2, 15)  # 2021-W07
QUIET = WEEK - timedelta(days=7)  # the API delivered nothing this week
COUNTY_ONLY = WEEK + timedelta(days=7)  # only events located to the county


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weekly_notes") / "warehouse.duckdb"
    build_fake_warehouse(path, WEEK)
    with duckdb.connect(str(path)) as con:
        # Two of the deployment's municipalities lie in the same county: each carries the
        # county's rows, which the report shows once.
        con.execute("""create table marts.weekly_police_events as select * from (values
            ('9001', 'Norrvik', DATE '2021-02-15', '2021-W07', 'municipality', 'Norrviks län', 'Inbrott', 'burglary', 'tracked', 3),
            ('9001', 'Norrvik', DATE '2021-02-15', '2021-W07', 'municipality', 'Norrviks län', 'Trafikolycka', NULL, 'not_tracked', 1),
            ('9001', 'Norrvik', DATE '2021-02-01', '2021-W05', 'municipality', 'Norrviks län', 'Rån', 'robbery', 'tracked', 2),
            ('9001', 'Norrvik', DATE '2021-02-15', '2021-W07', 'county', 'Norrviks län', 'Brand', 'fire', 'tracked', 4),
            ('9001', 'Norrvik', DATE '2021-02-22', '2021-W08', 'county', 'Norrviks län', 'Brand', 'fire', 'tracked', 3),
            ('9001', 'Norrvik', DATE '2021-02-22', '2021-W08', 'county', 'Norrviks län', 'Misshandel', 'assault', 'tracked', 11),
            ('9003', 'Västby', DATE '2021-02-22', '2021-W08', 'county', 'Norrviks län', 'Brand', 'fire', 'tracked', 3),
            ('9003', 'Västby', DATE '2021-02-22', '2021-W08', 'county', 'Norrviks län', 'Misshandel', 'assault', 'tracked', 11))
            t(municipality_code, municipality_name, week_start, iso_week_label, located_to, county_name, event_type,
              category, decision, events)""")
        con.execute("""create table intermediate.int_municipalities as select * from (values
            ('9001', 'Norrvik', '90', 'Norrviks län')) t(municipality_code, municipality_name, county_code, county_name)""")
        con.execute("""create table intermediate.int_source_weeks as select * from (values
            ('police_events', DATE '2021-02-15', 5), ('police_events', DATE '2021-02-01', 2),
            ('police_events', DATE '2021-02-22', 14),
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
    assert "Polisens händelser i kommunen och länet" in text
    assert re.search(r"för kommunen den här veckan \(4 händelser, sammanfattningar ej medräknade\): "
                     r"Inbrott 3, Trafikolycka 1\.", text)
    assert "Rån 2" not in text  # another week's event
    # The county's events of the week on a line of their own, said to be the county's.
    assert re.search(r"I Norrviks län den här veckan \(polisen anger sedan 2026 bara länet för sina händelser, "
                     r"inte kommunen\): 4 händelser, sammanfattningar ej medräknade, varav Brand 4\.", text)
    # A week with the municipality's events only: the line as before, the county's events
    # would have a line of their own.
    text = _text(warehouse, date(2021, 2, 1), tmp_path / "w05")
    assert re.search(r"för kommunen den här veckan \(2 händelser, sammanfattningar ej medräknade\): Rån 2\.", text)
    assert "Händelser som polisen bara anger till länet redovisas på en egen rad när de finns." in text
    assert "I Norrviks län den här veckan" not in text


def test_events_located_only_to_the_county_are_the_countys_line(warehouse: Path, tmp_path: Path) -> None:
    text = _text(warehouse, COUNTY_ONLY, tmp_path)
    assert "Polisens händelser i länet" in text
    # Once, though both municipalities of the county carry the rows.
    assert len(re.findall(r"I Norrviks län den här veckan", text)) == 1
    assert re.search(r"I Norrviks län den här veckan \(polisen anger sedan 2026 bara länet för sina händelser, "
                     r"inte kommunen\): 14 händelser, sammanfattningar ej medräknade, varav Misshandel 11, Brand 3\.", text)
    assert "Händelserna gäller hela länet, inte bara kommunen" in text
    assert "De räknas inte i något område och inte som kommunens händelser." in text
    assert "för kommunen den här veckan" not in text
    assert "har inga händelser angivna till kommunen" not in text


def test_a_week_without_events_api_records_says_so(warehouse: Path, tmp_path: Path) -> None:
    text = _text(warehouse, QUIET, tmp_path)
    assert "Polisens öppna händelserapportering har inga händelser angivna till kommunen den här veckan." in text
    assert "Det finns inte heller några händelser som polisen bara anger till Norrviks län." in text
    assert "I Norrviks län den här veckan" not in text
    assert "Inga rader den här veckan från: Polisens händelser (öppna API:et)." in text


def test_a_municipality_of_no_known_county_says_county_events_are_left_out(warehouse: Path, tmp_path: Path) -> None:
    """Not in the municipalities seed, its county is unknown: an empty week does not claim the
    county had no events, it says they cannot be tied to the municipality."""
    unknown = tmp_path / "unknown_county.duckdb"
    shutil.copy(warehouse, unknown)
    with duckdb.connect(str(unknown)) as con:
        con.execute("update intermediate.int_municipalities set county_code = null, county_name = null")
    text = _text(unknown, QUIET, tmp_path)
    assert ("Polisens öppna händelserapportering har inga händelser angivna till kommunen den här veckan. "
            "Händelser som polisen bara anger till länet kan inte knytas till kommunen och ingår inte.") in text
    assert "Det finns inte heller" not in text


def test_notes_for_an_empty_feed_week_and_no_interventions() -> None:
    period = {"first_week_start": date(2021, 1, 4), "last_week_start": WEEK, "last_complete_week_start": WEEK}
    feeds = [{"source": "checklist", "name_sv": "Checklistan (alla samverkansparter)", "records": 0},
             {"source": "police_deso", "name_sv": "Polisen, brott kodade till DeSO", "records": 12}]
    notes = data_notes(WEEK, period, feeds, interventions_registered=False)
    assert notes[0] == "Inga rader den här veckan från: Checklistan (alla samverkansparter)."
    assert notes[1].startswith("Inga registrerade insatser: insatsregistret är tomt")
    assert data_notes(WEEK, period, feeds[1:], interventions_registered=True) == []
