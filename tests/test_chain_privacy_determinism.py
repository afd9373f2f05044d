"""The whole chain on generated data with personal identifiers planted in every text column
of every feed: no identifier reaches any table of the working or the published warehouse
or any report; and two clean runs on identical input give identical marts.

Real components throughout: the demo generator, the ingest assets, dbt, the estimation,
the reports and the publisher, materialised in process on an ephemeral instance.

- ``test_no_identifier_leaves_the_raw_archive`` (default suite): one chain, then a scan of
  every VARCHAR column of every table in both warehouses and of every report file.
- ``test_two_clean_runs_give_identical_marts`` (``slow``, about two more minutes): a second
  chain on a copy of the same landing files, then a checksum of every mart and every
  published table. The estimation marts (``intervention_effects``,
  ``intervention_event_study``, ``estimation_notes``) and what reads them are left to the
  estimation's own determinism work and listed, not compared.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import dagster as dg  # noqa: E402
import duckdb  # noqa: E402
import pytest  # noqa: E402
from test_reports_support import chain_keys, dbt_manifest_now, materialise, range_tags  # noqa: E402, F401

from est_pipeline.ingest import examples  # noqa: E402
from est_pipeline.ingest.feeds import FEEDS  # noqa: E402
from est_pipeline.settings import export_dbt_environment  # noqa: E402

DEMO = {"municipalities": 1, "areas": 6, "start_week": "2020-W53", "weeks": 53, "seed": 1}
FIRST_WEEK, LAST_WEEK = "2020-12-28", "2021-12-27"
PERIODS = ("2021-01-01", "2021-10-01")
YEAR = "2021-01-01"
REPORT_WEEKS = ("2021-03-01", "2021-03-08")  # the weeks of the planted rows

#: What is planted, in the forms partners write, and what would betray each if it leaked.
PLANTED = "811218-9876 070-123 45 67 anna.svensson@example.se ABC 123"
TELLTALES = ("811218", "8112189876", "123 45 67", "1234567", "svensson@", "example.se", "ABC 123", "ABC123")
ESTIMATION_MARTS = {"intervention_effects", "intervention_event_study", "estimation_notes",
                    "yearly_intervention_followup"}


def _csv_rows(text: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    return rows[0], rows[1:]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")


def plant(landing: Path) -> int:
    """One file per feed whose rows each carry the identifiers in one text column (the
    columns a feed types itself too: those rows are quarantined, so reasons and raw records
    are scanned as well), with dates moved into the demo's year; and identifiers in the
    names and addresses of the reference data. Returns the number of planted values."""
    planted = 0
    csv_examples = {"police_deso": examples.POLICE_DESO, "police_local": examples.POLICE_LOCAL,
                    "fault_reports": examples.FAULT_REPORTS, "field_observations": examples.FIELD_OBSERVATIONS,
                    "checklist": examples.CHECKLIST, "interventions": examples.INTERVENTIONS,
                    "safety_survey": examples.SAFETY_SURVEY,
                    "property_incidents": "\n".join(";".join("" if v is None else str(v) for v in r)
                                                    for r in [examples.PROPERTY_HEADER, *examples.PROPERTY_ROWS])}
    for name, text in csv_examples.items():
        feed = FEEDS[name]
        delimiter = feed.delimiter
        header, rows = _csv_rows(text.replace("2024", "2021").replace("2023", "2021"), delimiter)
        base = rows[0]
        out = []
        for col in feed.file_columns:
            if col.type != "text" or col.header not in header:
                continue
            i = header.index(col.header)
            row = list(base)
            row[i] = f"{row[i]} {PLANTED}".strip()
            for key in feed.record_key:  # a new record each time
                k = header.index(next(c.header for c in feed.columns if c.name == key))
                if k != i and next(c.type for c in feed.columns if c.name == key) == "text":
                    row[k] = f"{row[k]}-{len(out)}"
            out.append(row)
            planted += 1
        _write_csv(landing / name / f"planted_{name}.csv", header, out, delimiter)
    events = []
    for i, field in enumerate(("name", "summary", "url", "type")):
        record = json.loads(json.dumps(examples.POLICE_EVENTS[0]).replace("2024", "2021"))
        record["id"] = 990000 + i
        record[field] = f"{record[field]} {PLANTED}"
        events.append(record)
        planted += 1
    record = json.loads(json.dumps(examples.POLICE_EVENTS[0]).replace("2024", "2021"))
    record["id"], record["location"]["name"] = 990010, f"Norrvik {PLANTED}"
    events.append(record)
    (landing / "police_events" / "planted_events.json").write_text(json.dumps(events, ensure_ascii=False))
    # A broken export (eight rows of ten with an impossible date): held. Its two good rows,
    # of an event type no other file has, must reach no table downstream of raw.
    header = "Ärendenummer;Registrerad;Ärendetyp;Beskrivning;Adress;Latitud;Longitud\n"
    rows = [f"HELD-{i};2021-03-0{1 + i % 2} 10:00;Hållen skadegörelse;x;;57,93;13,70\n" for i in range(2)]
    rows += [f"HELD-{i};2021-13-01 10:00;Hållen skadegörelse;x;;57,93;13,70\n" for i in range(2, 10)]
    (landing / "fault_reports" / "trasig_export.csv").write_text(header + "".join(rows), encoding="utf-8")
    reference = landing / "reference"
    for name, field in (("areas.geojson", "area_name"), ("places.geojson", "place_name")):
        doc = json.loads((reference / name).read_text(encoding="utf-8"))
        doc["features"][0]["properties"][field] = f"{doc['features'][0]['properties'][field]} {PLANTED}"
        (reference / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        planted += 1
    addresses = reference / "addresses.csv"
    if addresses.exists():
        text = addresses.read_text(encoding="utf-8")
        first = text.splitlines()[1].split(";")
        first[0] = f"{first[0]} {PLANTED}"
        addresses.write_text(text + ";".join(first) + "\n", encoding="utf-8")
        planted += 1
    return planted


def run_chain(data_dir: Path, instance: dg.DagsterInstance) -> None:
    from est_pipeline.definitions import defs
    from est_pipeline.defs.partitions import analysis_period_partitions, weekly_partitions, yearly_partitions

    materialise(defs, instance, chain_keys(defs, None))
    materialise(defs, instance, chain_keys(defs, weekly_partitions), range_tags(FIRST_WEEK, LAST_WEEK))
    materialise(defs, instance, chain_keys(defs, analysis_period_partitions), range_tags(*PERIODS))
    materialise(defs, instance, chain_keys(defs, yearly_partitions), range_tags(YEAR, YEAR))
    materialise(defs, instance, [dg.AssetKey("weekly_report")], range_tags(*REPORT_WEEKS))
    materialise(defs, instance, [dg.AssetKey("period_report")], range_tags(*PERIODS))
    materialise(defs, instance, [dg.AssetKey("yearly_report")], range_tags(YEAR, YEAR))
    graph = defs.resolve_asset_graph()
    publish = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "publish"
               and graph.get(k).is_materializable]
    assert publish
    materialise(defs, instance, publish)


def _env(data_dir: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("EST_DATA_DIR", str(data_dir))
    mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
    mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
    export_dbt_environment()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, dbt_manifest_now: Path) -> Iterator[Path]:
    from est_pipeline.demo import DemoConfig, generate

    root = tmp_path_factory.mktemp("chain_privacy")
    data_dir = root / "a" / "data"
    data_dir.mkdir(parents=True)
    generate(data_dir, DemoConfig(**DEMO))
    assert plant(data_dir / "landing") >= 40
    shutil.copytree(data_dir / "landing", root / "landing_as_delivered", copy_function=shutil.copy2)
    with pytest.MonkeyPatch.context() as mp:
        _env(data_dir, mp)
        run_chain(data_dir, dg.DagsterInstance.ephemeral())
    yield data_dir


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return [tuple(r) for r in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2").fetchall()]


def _leaks(path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in _tables(con):
            columns = [c for c, t in con.execute(
                "select column_name, data_type from information_schema.columns where table_schema = ? "
                "and table_name = ?", [schema, table]).fetchall() if t == "VARCHAR"]
            for column in columns:
                where = " or ".join(f'contains("{column}", ?)' for _ in TELLTALES)
                n = con.execute(f'select count(*) from "{schema}"."{table}" where {where}',
                                list(TELLTALES)).fetchall()[0][0]
                if n:
                    found[f"{schema}.{table}.{column}"] = n
    return found


def test_no_identifier_leaves_the_raw_archive(chain: Path) -> None:
    # The planted values did arrive (the archive keeps the files as they came)...
    archived = b"".join(p.read_bytes() for p in (chain / "archive").rglob("*planted_*"))
    assert PLANTED.encode() in archived
    # ...were loaded, masked, in the raw tables and their quarantine...
    with duckdb.connect(str(chain / "warehouse.duckdb"), read_only=True) as con:
        masked = con.execute("select count(*) from raw.police_local_incidents where "
                             "handelsetyp like '%[personnummer]%[telefon]%[e-post]%[regnr]%'").fetchall()[0][0]
        assert masked == 1
        assert con.execute("select count(*) from raw.quarantine where file_name like 'planted_%'").fetchall()[0][0] > 0
        unmapped = con.execute("select count(*) from marts.unmapped_source_types "
                               "where source_type like '%[personnummer]%'").fetchall()[0][0]
        assert unmapped >= 1
    # ...and no table of either warehouse, and no report, holds any of them.
    assert _leaks(chain / "warehouse.duckdb") == {}
    assert (chain / "published" / "warehouse.duckdb").exists()
    assert _leaks(chain / "published" / "warehouse.duckdb") == {}
    reports = sorted((chain / "reports").rglob("*.html"))
    assert {p.parent.name for p in reports} >= {"weekly", "period", "yearly"}
    for report in reports:
        text = report.read_text(encoding="utf-8")
        assert not [t for t in TELLTALES if t in text], report.name


def test_a_held_file_holds_back_only_its_own_rows(chain: Path) -> None:
    """The chain built every mart (materialise asserts success) while a file was held; its
    rows are in schema held and nowhere downstream."""
    with duckdb.connect(str(chain / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select status, hold_code, rows_loaded from raw.file_registry "
                           "where file_name = 'trasig_export.csv'").fetchall() == [
            ("held", "too_many_rows_quarantined", 2)]
        assert con.execute("select count(*) from held.fault_reports").fetchall()[0][0] == 2
        assert con.execute("select count(*) from raw.fault_reports where arendetyp like 'Hållen%'").fetchall()[0][0] == 0
        assert con.execute("select count(*) from intermediate.int_events__unioned "
                           "where source_event_id like 'HELD-%'").fetchall()[0][0] == 0
        assert con.execute("select count(*) from marts.unmapped_source_types "
                           "where source_type like 'Hållen%'").fetchall()[0][0] == 0
        # ...while the other fault reports of the same weeks count as usual.
        assert con.execute("select count(*) from intermediate.int_events__unioned where source = 'fault_reports' "
                           "and event_at >= '2021-03-01' and event_at < '2021-03-08'").fetchall()[0][0] > 0


def _checksums(path: Path, schemas: tuple[str, ...], skip: set[str]) -> dict[str, str]:
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in _tables(con):
            if schema not in schemas or table in skip:
                continue
            # Order-free: a table is a set of rows; every value, floats to the last bit.
            out[f"{schema}.{table}"] = con.execute(
                f'select count(*) || \':\' || coalesce(md5(string_agg(h, \',\' order by h)), \'\') from '
                f'(select md5(cast(t as varchar)) as h from "{schema}"."{table}" as t)').fetchall()[0][0]
    return out


@pytest.mark.slow
def test_two_clean_runs_give_identical_marts(chain: Path, tmp_path: Path) -> None:
    second = tmp_path / "b" / "data"
    second.mkdir(parents=True)
    shutil.copytree(chain.parent.parent / "landing_as_delivered", second / "landing", copy_function=shutil.copy2)
    with pytest.MonkeyPatch.context() as mp:
        _env(second, mp)
        run_chain(second, dg.DagsterInstance.ephemeral())
    first_marts = _checksums(chain / "warehouse.duckdb", ("marts",), ESTIMATION_MARTS)
    second_marts = _checksums(second / "warehouse.duckdb", ("marts",), ESTIMATION_MARTS)
    assert len(first_marts) >= 12
    assert {k for k in first_marts if first_marts[k] != second_marts.get(k)} == set()
    published = ("marts", "reference")
    first_pub = _checksums(chain / "published" / "warehouse.duckdb", published, ESTIMATION_MARTS)
    second_pub = _checksums(second / "published" / "warehouse.duckdb", published, ESTIMATION_MARTS)
    assert first_pub and {k for k in first_pub if first_pub[k] != second_pub.get(k)} == set()
