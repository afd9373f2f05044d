"""The yearly follow-up marts on the hand-made world of test_prioritisation_models.

Years 2023 and 2024 are complete (the data runs from the week of 2023-01-01 to the week of
2024-12-31). Expected values are worked out by hand from the world's definition.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_prioritisation_models import built_world, query


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_world(tmp_path_factory)


def _area_year(warehouse: Path, year: int) -> dict[str, dict]:
    rows = query(warehouse, "select * from marts.yearly_area_followup where year = ? "
                            "and municipality_code = '9001'", [year])
    return {r["area_id"]: r for r in rows}


def test_grain_area_year_for_complete_years_only(warehouse: Path) -> None:
    rows = query(warehouse, "select area_id, year, year_start from marts.yearly_area_followup")
    assert len({(r["area_id"], r["year"]) for r in rows}) == len(rows)
    assert {r["year"] for r in rows} == {2023, 2024}  # 2022 and 2025: a few days only
    assert len(rows) == 2 * 12  # 4 + 8 areas
    assert all(r["year_start"].year == r["year"] and r["year_start"].timetuple().tm_yday == 1 for r in rows)


def test_outcomes_per_1000_and_change(warehouse: Path) -> None:
    """NV01: 2023 4 × 10 = 40 youth events; 2024 10 + 20 + 10 + 10 = 50 (15 youth + 5 drugs in Q2)."""
    y2023, y2024 = _area_year(warehouse, 2023), _area_year(warehouse, 2024)
    nv01 = y2024["NV01"]
    assert (nv01["events_total"], nv01["events_disorder"], nv01["events_property"], nv01["events_violence"]) == (50, 50, 0, 0)
    assert nv01["events_per_1000"] == pytest.approx(50.0)
    assert y2023["NV01"]["events_per_1000"] == pytest.approx(40.0)
    assert nv01["previous_events_per_1000"] == pytest.approx(40.0)
    assert nv01["events_per_1000_change"] == pytest.approx(0.25)
    assert y2023["NV01"]["previous_events_per_1000"] is None  # 2022 is not covered
    # NV02: 2 × 2,000 residents; NV04's littering is property.
    assert y2024["NV02"]["events_per_1000"] == pytest.approx((10 + 20 + 10 + 10) * 1000 / 2000)
    assert y2024["NV04"]["events_property"] == 20
    # Municipality 9001 in 2024: 50 + 50 + 21 + 20 = 141 events over 5,000 residents
    # (NV03 has the extra event of 2024-12-31).
    assert nv01["municipality_events_per_1000"] == pytest.approx(141 * 1000 / 5000)


def test_survey_share_feeling_safe_with_small_groups_suppressed(warehouse: Path) -> None:
    rows = _area_year(warehouse, 2024)
    nv01 = rows["NV01"]
    assert (nv01["survey_respondents"], nv01["survey_suppressed"]) == (12, False)
    assert nv01["survey_share_safe"] == pytest.approx(9 / 12)
    assert nv01["survey_share_safe_daytime"] == pytest.approx(1.0)  # everyone answered 3
    for area in ("NV02", "NV03"):  # 5 answers; 10 responses but 8 answers on Trygg_kvall
        assert rows[area]["survey_suppressed"] is True, area
        assert rows[area]["survey_share_safe"] is None and rows[area]["survey_respondents"] is None, area
    # No survey at all: nothing to suppress, zero respondents.
    assert (rows["NV04"]["survey_respondents"], rows["NV04"]["survey_suppressed"], rows["NV04"]["survey_share_safe"]) == (0, False, None)


def test_interventions_carried_out_with_weeks_and_cost(warehouse: Path) -> None:
    rows = _area_year(warehouse, 2024)
    # INS-001 cleanup 2024-01-29 .. 02-25: 4 weeks, 10,000 kr.
    assert (rows["NV04"]["interventions_count"], rows["NV04"]["intervention_weeks"], rows["NV04"]["intervention_cost_sek"]) == (1, 4, 10000.0)
    # INS-007 open-ended from Monday 2024-04-01 to the end of the data (week of 12-30): 40
    # weeks; INS-008 (its duplicate) does not count.
    nv01 = rows["NV01"]
    assert (nv01["interventions_count"], nv01["intervention_weeks"], nv01["intervention_cost_sek"]) == (1, 40, 120000.0)
    # INS-011: the later delivery (Polis, Kommun; 4,500 kr), one week.
    assert (rows["NV03"]["interventions_count"], rows["NV03"]["intervention_weeks"], rows["NV03"]["intervention_cost_sek"]) == (1, 1, 4500.0)
    assert rows["NV02"]["interventions_count"] == 0  # INS-004, -005, -009 are quarantined


def test_intervention_type_year(warehouse: Path) -> None:
    everything = query(warehouse, "select * from marts.yearly_intervention_followup")
    types = {r["intervention_type"] for r in query(warehouse, "select intervention_type from seeds.intervention_types")}
    # Type × municipality × year: each municipality's rows count only its own interventions.
    assert {(r["intervention_type"], r["municipality_code"], r["year"]) for r in everything} == {
        (t, m, y) for t in types for m in ("9001", "9002") for y in (2023, 2024)}
    assert len(everything) == 2 * 2 * len(types)
    assert not any(r["interventions_count"] or r["interventions_started"] for r in everything
                   if r["municipality_code"] == "9002")  # every registered intervention is in 9001
    rows = [r for r in everything if r["municipality_code"] == "9001"]
    assert {r["municipality_name"] for r in rows} == {"Prioritetsby"}
    by_key = {(r["intervention_type"], r["year"]): r for r in rows}
    cleanup = by_key[("cleanup", 2024)]
    assert (cleanup["interventions_count"], cleanup["areas_count"], cleanup["areas"], cleanup["area_weeks"], cleanup["cost_sek"]) == (1, 1, "NV04", 4, 10000.0)
    assert cleanup["mean_intensity"] == pytest.approx(1.0)
    outreach = by_key[("evening_outreach", 2024)]
    assert (outreach["interventions_count"], outreach["area_weeks"], outreach["max_weeks_per_intervention"]) == (1, 40, 40)
    assert outreach["interventions_ended"] == 0 and outreach["mean_intensity"] == pytest.approx(2.0)
    assert by_key[("cleanup", 2023)]["interventions_count"] == 0
    # No estimation has run in this warehouse: the estimate columns stay empty.
    assert not any(r["has_estimate"] for r in rows)
    assert all(r["irr"] is None for r in rows)
