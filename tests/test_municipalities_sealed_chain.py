"""Two municipalities in one deployment, through the real runner: each is sealed off.

The demo generator makes two municipalities (their own areas, places, addresses and
partner files); ``run()`` (what ``make run`` does) ingests them, builds every mart, estimates,
renders the reports and publishes. Then every table of each municipality's published file
and every report in its folder is scanned for the other municipality's area ids, place ids,
municipality code and name: none may appear. Each municipality's own areas must.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from est_pipeline.settings import get_settings
from test_dbt_support import dbt_manifest  # noqa: F401  (session fixture)

pytestmark = pytest.mark.usefixtures("dbt_manifest")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory):
    from est_pipeline.demo import DemoConfig, generate
    from est_pipeline.run_demo import run

    data_dir = tmp_path_factory.mktemp("two_municipalities") / "data"
    mp = pytest.MonkeyPatch()
    mp.setenv("EST_DATA_DIR", str(data_dir))
    mp.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
    mp.setenv("EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb"))
    mp.delenv("EST_PUBLISH_COMBINED", raising=False)
    try:
        generate(data_dir, DemoConfig(municipalities=2, areas=4, start_week="2021-W01", weeks=60))
        terminal = io.StringIO()
        run(weekly_reports=1, generate=False, instance=dg.DagsterInstance.ephemeral(), stream=terminal)
        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
            areas = con.execute(
                "select municipality_code, municipality_name, area_id from intermediate.int_areas").fetchall()
            places = con.execute("select p.area_id, p.place_id from raw.places p").fetchall()
        identity: dict[str, dict[str, set[str]]] = {}
        for code, name, area in areas:
            own = identity.setdefault(code, {"areas": set(), "places": set(), "names": {name}})
            own["areas"].add(area)
        for area, place in places:
            code = next(c for c, _, a in areas if a == area)
            identity[code]["places"].add(place)
        yield {"data_dir": data_dir, "identity": identity, "terminal": terminal.getvalue()}
    finally:
        mp.undo()


def _other(identity: dict, code: str) -> str:
    return next(c for c in identity if c != code)


def _words(identity: dict, code: str) -> set[str]:
    own = identity[code]
    return own["areas"] | own["places"] | own["names"] | {code}


def test_two_municipalities_each_with_its_own_areas(deployment) -> None:
    identity = deployment["identity"]
    assert len(identity) == 2
    for code, own in identity.items():
        assert len(own["areas"]) == 4 and own["places"]
    a, b = identity
    assert not (_words(identity, a) & _words(identity, b))


def test_each_published_file_holds_only_its_municipality(deployment) -> None:
    identity, published = deployment["identity"], deployment["data_dir"] / "published"
    assert not (published / "warehouse.duckdb").exists()  # several municipalities: no combined file
    for code in identity:
        foreign = _words(identity, _other(identity, code))
        path = published / code / "warehouse.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
            leaks, seen_own = [], set()
            for schema, table in tables:
                for row in con.execute(f'select * from {schema}."{table}"').fetchall():
                    values = {v for v in row if isinstance(v, str)}
                    leaks += [(schema, table, v) for v in values & foreign]
                    seen_own |= values & identity[code]["areas"]
            marts = {t for s, t in tables if s == "marts"}
            effects = con.execute("select distinct municipality_code from marts.intervention_effects").fetchall()
        assert leaks == [], leaks[:10]
        assert seen_own == identity[code]["areas"]
        assert {"weekly_situation", "weekly_area_summary", "intervention_effects",
                "yearly_intervention_followup"} <= marts
        assert effects == [(code,)]


def test_each_municipality_gets_its_own_reports_and_none_of_the_other(deployment) -> None:
    identity, reports = deployment["identity"], get_settings().reports_dir
    for code in identity:
        folder = reports / code
        pages = sorted(folder.rglob("*.html"))
        kinds = {p.parent.name for p in pages}
        assert kinds >= {"weekly", "period", "yearly"}, kinds
        foreign = _words(identity, _other(identity, code))
        own_areas = set()
        for page in pages:
            text = page.read_text(encoding="utf-8")
            tokens = set(re.findall(r"[\w-]+", text))
            assert not (tokens & foreign), (page, sorted(tokens & foreign)[:10])
            for name in identity[_other(identity, code)]["names"]:
                assert name not in text, (page, name)
            own_areas |= tokens & identity[code]["areas"]
        assert own_areas == identity[code]["areas"]
    # Nothing is rendered outside the municipalities' folders.
    assert not list(reports.glob("weekly/*.html"))


def test_the_runner_names_the_municipality_files(deployment) -> None:
    terminal = deployment["terminal"]
    assert "One BI file per municipality" in terminal
    for code in deployment["identity"]:
        assert f"Kommun {code}:" in terminal
