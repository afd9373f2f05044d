"""An address that lies in two municipalities locates nothing, rather than the wrong one.

The hand-made world (``test_dbt_support``) plus a second municipality, Sjöby (9002), whose
address register also has a "Storgatan 1". The housing case H1 at "STORGATAN  1" was located
to Norrvik's square through the register; with the address in two municipalities, and no
municipality in the partner's row, it is left unlocated (and counted as such), while the
addresses and property designations that are unique still locate their events.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from test_dbt_support import (  # noqa: F401 (dbt_manifest: session fixture)
    data_env,
    dbt_manifest,
    dbt_only_defs,
    failed_checks,
    read_df,
    run_weekly_job,
    square,
    write_handcrafted_raw,
)

pytestmark = pytest.mark.usefixtures("dbt_manifest")


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory):
    with data_env(tmp_path_factory.mktemp("two_towns") / "data") as data_dir:
        warehouse = data_dir / "warehouse.duckdb"
        write_handcrafted_raw(warehouse)
        with duckdb.connect(str(warehouse)) as con:
            con.execute("insert into raw.areas (area_id, area_name, municipality_code, municipality_name, "
                        "geometry_wkt) values ('SJ01', 'Sjöby centrum', '9002', 'Sjöby', ?)",
                        [square(600000, 6700000, 601000, 6701000)])
            con.execute("insert into raw.addresses (adress, postnummer, ort, plats_id, omrades_id, fastighet) "
                        "values ('Storgatan 1', '80000', 'Sjöby', null, 'SJ01', 'Sjöby 1:1')")
            con.execute("insert into raw.area_population (omrades_id, ar, folkmangd) values ('SJ01', 2021, 1500)")
            # Cases that name their municipality (the optional Kommun column): by name, by the
            # genitive with "kommun", by code, and by a name no register knows.
            con.execute("alter table raw.property_incidents add column kommun varchar")
            # Sjövägen 2 is only in Sjöby's register: a code nobody knows is as good as none.
            con.execute("insert into raw.addresses (adress, postnummer, ort, plats_id, omrades_id, fastighet) "
                        "values ('Sjövägen 2', '80000', 'Sjöby', null, 'SJ01', null)")
            for case, kommun, adress in (("K1", "Sjöby", "Storgatan 1"), ("K2", "Norrviks kommun", "Storgatan 1"),
                                         ("K3", "9002", "Storgatan 1"), ("K4", "Atlantis", "Storgatan 1"),
                                         ("K5", "9999", "Sjövägen 2")):
                con.execute(
                    "insert into raw.property_incidents (arende_id, datum, arendetyp, adress, fastighet, kostnad_kr, "
                    "beskrivning, kommun, _file_name, _content_hash, _row_number, _loaded_at) "
                    "values (?, timestamp '2021-03-04 10:00', 'Skadegörelse', ?, null, null, null, ?, "
                    "'kommun.csv', 'hash-kommun', 2, timestamp '2021-03-15 06:00')", [case, adress, kommun])
        result = run_weekly_job(dbt_only_defs(), dg.DagsterInstance.ephemeral(), "2021-03-01", "2021-03-08")
        rows = read_df("select source_event_id, location_method, place_id, area_id from intermediate.int_events__harmonised")
        # H1's source and week, as the unlocated-events mart counts them.
        unlocated = read_df(
            "with h1 as (select source, week_start from intermediate.int_events__harmonised where source_event_id = 'H1') "
            "select (select coalesce(sum(u.events), 0) from marts.weekly_unlocated_events u join h1 using (source, week_start)) as n, "
            "(select count(*) from intermediate.int_events__harmonised h join h1 using (source, week_start) "
            " where h.location_method = 'unlocated' and h.category is not null) as expected")
        yield result, {r.source_event_id: (r.location_method, r.place_id, r.area_id) for r in rows.itertuples()}, unlocated


def test_an_address_in_two_municipalities_locates_nothing(located) -> None:
    result, got, unlocated = located
    assert result.success
    assert got["H1"][0] == "unlocated" and got["H1"][2] is None
    # Counted where unlocated events are counted, with the others of its source and week.
    assert unlocated["expected"].iloc[0] >= 1
    assert unlocated["n"].iloc[0] == unlocated["expected"].iloc[0]


def test_unique_addresses_and_properties_still_locate(located) -> None:
    _, got, _ = located
    assert got["H3"] == ("property_register", None, "NV02")  # 'Norrvik 2:2' is in one municipality


def test_a_case_that_names_its_municipality_is_located_there(located) -> None:
    """Storgatan 1 is in both municipalities: a case that says which (name, "… kommun" or
    code) is located in that municipality's register; a name or code nobody knows is as good
    as none, so the ambiguous address still locates nothing and a unique one still locates."""
    _, got, _ = located
    assert got["K1"] == ("address_register", None, "SJ01")
    assert got["K3"] == ("address_register", None, "SJ01")
    assert got["K2"] == ("address_register", "NV01-P01", "NV01")  # Norrvik's register: the square
    assert got["K4"][0] == "unlocated" and got["K4"][2] is None
    assert got["K5"] == ("address_register", None, "SJ01")  # unknown code: the unique rule locates it


def test_a_kommun_nobody_knows_is_a_warning_naming_the_file_and_value(located) -> None:
    """K4 ("Atlantis") and K5 ("9999") name no known municipality: the run goes on, and a
    warn check lists each file and value with its rows, so the partner can correct them."""
    result, _, _ = located
    assert ("assert_partner_municipality_known", "WARN") in failed_checks(result)
    evaluation = next(
        e.event_specific_data for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.asset_check_key.name == "assert_partner_municipality_known"
    )
    failing = next(getattr(v, "value", v) for k, v in evaluation.metadata.items() if k.endswith("failed_row_count"))
    assert failing == 2  # one row per file × unknown value: kommun.csv × Atlantis, kommun.csv × 9999
    # What the warning lists: the value as delivered is kept beside the (missing) code.
    unknown = read_df("select source_event_id, partner_municipality, _file_name, _row_number "
                      "from intermediate.int_events__harmonised "
                      "where partner_municipality is not null and partner_municipality_code is null order by 1")
    assert unknown.values.tolist() == [["K4", "Atlantis", "kommun.csv", 2], ["K5", "9999", "kommun.csv", 2]]
