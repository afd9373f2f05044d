"""One great-expectations suite per feed: the value rules the raw layer promises.

Parsing (types, dates, required values) happens in the readers; these suites hold the
rules about *values*: allowed sets, ranges, patterns, plausible coordinates, unique ids.
Every expectation carries ``meta``:

- ``action``: ``quarantine`` (rows it lists are moved to ``raw.quarantine``; the rest of
  the file loads), ``table`` (a whole-file rule; failing it fails the blocking asset
  check, because downstream marts would be wrong), or ``report`` (shown as a warning:
  e.g. a duplicate id, which dbt handles but the partner should know about);
- ``reason_code`` and ``reason_sv`` (Swedish, for the partner; ``{value}`` is filled in).
"""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe

from est_pipeline.ingest.feeds import FEEDS, REFERENCE_FEEDS
from est_pipeline.ingest.feeds._common import INTENSITIES, PARTNERS, RATINGS
from est_pipeline.ingest.feeds.reference import PLACE_KINDS, PLACE_TYPES, SWEREF_E, SWEREF_N
from est_pipeline.ingest.spec import Feed

WGS84_LAT = (55.0, 70.0)
WGS84_LON = (10.0, 25.0)
DESO_PATTERN = r"^\d{4}[A-C]\d{4}$"


def _meta(action: str, reason_code: str = "", reason_sv: str = "") -> dict[str, str]:
    return {"action": action, "reason_code": reason_code, "reason_sv": reason_sv}


def in_set(column: str, values: tuple[str, ...]) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=list(values),
        meta=_meta("quarantine", "value_not_allowed",
                   f"värdet {{value}} är inte tillåtet (tillåtna: {', '.join(values)})"),
    )


def between(column: str, low: float | None, high: float | None, code: str = "value_out_of_range") -> gxe.Expectation:
    if code == "invalid_coordinates":
        text = f"koordinaten {{value}} ligger utanför det rimliga intervallet {low:g}–{high:g}"
    elif high is None:
        text = f"värdet {{value}} får inte vara mindre än {low:g}"
    else:
        text = f"värdet {{value}} ligger utanför skalan {low:g}–{high:g}"
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, meta=_meta("quarantine", code, text)
    )


def pattern(column: str, regex: str, example: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=regex,
        meta=_meta("quarantine", "invalid_format", f"värdet {{value}} har fel format (t.ex. {example})"),
    )


def unique(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeUnique(
        column=column, meta=_meta("report", "duplicate_id", "id {value} förekommer flera gånger (i filen eller bland filerna i samma inläsning)")
    )


def coordinates(feed: Feed) -> list[gxe.Expectation]:
    out: list[gxe.Expectation] = []
    for north, east, system in feed.coordinates:
        n_range, e_range = (SWEREF_N, SWEREF_E) if system == "sweref99tm" else (WGS84_LAT, WGS84_LON)
        out.append(between(north, *n_range, code="invalid_coordinates"))
        out.append(between(east, *e_range, code="invalid_coordinates"))
    return out


def value_rules(feed: Feed) -> list[gxe.Expectation]:
    this_year_plus = date.today().year + 1
    rules: dict[str, list[gxe.Expectation]] = {
        "police_deso_crimes": [
            pattern("brottskod", r"^\d{4}$", "1211"),
            pattern("deso_omrade", DESO_PATTERN, "9001A0010"),
            between("antal", 0, None),
        ],
        "police_local_incidents": [unique("handelsenummer")],
        "police_events": [unique("id")],
        "fault_reports": [unique("arendenummer")],
        "field_observations": [in_set("stamning", RATINGS), between("antal_ungdomar", 0, 1000)],
        "property_incidents": [unique("arende_id"), between("kostnad_kr", 0, None)],
        "checklist_ratings": [
            pattern("vecka", r"^\d{4}-W\d{2}$", "2021-W07"),
            in_set("partner", PARTNERS),
            in_set("bedomning", RATINGS),
        ],
        "interventions": [unique("insats_id"), in_set("intensitet", INTENSITIES), between("kostnad_kr", 0, None)],
        "safety_survey": [
            unique("svars_id"),
            between("ar", 2000, this_year_plus),
            between("trygg_dag", 1, 4),
            between("trygg_kvall", 1, 4),
            between("oro_brott", 1, 5),
            between("problem_ordning", 1, 5),
        ],
        "areas": [unique("area_id")],
        "places": [unique("place_id"), in_set("place_type", PLACE_TYPES), in_set("place_kind", PLACE_KINDS)],
        "addresses": [],
        "area_population": [between("folkmangd", 0, None), between("ar", 2000, this_year_plus)],
        "area_deso": [pattern("deso", DESO_PATTERN, "9001A0010"), between("andel", 0, 1)],
        "deso_population": [
            pattern("deso", DESO_PATTERN, "9001A0010"),
            between("folkmangd", 0, None),
            between("ar", 2000, this_year_plus),
        ],
    }
    return coordinates(feed) + rules[feed.table]


def build_suite(feed: Feed) -> gx.ExpectationSuite:
    """The suite of one raw table: whole-file shape rules plus the value rules."""
    suite = gx.ExpectationSuite(name=feed.table)
    columns = [c.name for c in feed.table_columns]
    suite.add_expectation(
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=columns,
            meta=_meta("table", "schema_mismatch", "kolumnerna stämmer inte med kontraktet"),
        )
    )
    for col in feed.table_columns:
        if not col.nullable and not col.derived:
            suite.add_expectation(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=col.name,
                    meta=_meta("table", "missing_value", f"'{col.header}' saknar värde"),
                )
            )
    for expectation in value_rules(feed):
        suite.add_expectation(expectation)
    return suite


def all_suites() -> dict[str, gx.ExpectationSuite]:
    return {feed.table: build_suite(feed) for feed in (*FEEDS.values(), *REFERENCE_FEEDS)}
