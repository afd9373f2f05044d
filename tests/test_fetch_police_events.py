"""The police events API fetcher, against a local HTTP server serving recorded responses.

``tests/fixtures/police_events_api/`` holds small responses in the API's own shape (unpadded
hours, relative urls, night summaries, ``lat,lon`` centroids; since 2026 the county as
location). The server listens on 127.0.0.1 on an ephemeral port; the real API is never
called (an unreachable local address is the URL in every test's settings).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from est_pipeline.ingest.fetch_police_events import FetchError, fetch_all, fetch_location, location_slug
from est_pipeline.settings import get_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "police_events_api"
NAME = re.compile(r"^api_(orebro|orebro-lan)_\d{8}T\d{6}Z\.json$")


@dataclass
class Route:
    status: int = 200
    body: bytes = b"[]"
    delay: float = 0.0


@dataclass
class FakeApi:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, location: str, fixture: str | None = None, *, status: int = 200,
              body: bytes | None = None, delay: float = 0.0) -> bytes:
        data = body if body is not None else (FIXTURES / fixture).read_bytes()
        self.routes[location] = Route(status, data, delay)
        return data


@pytest.fixture
def api() -> Iterator[FakeApi]:
    state = FakeApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            state.requests.append((parsed.path, {**query, "user-agent": self.headers.get("User-Agent", "")}))
            route = state.routes.get(query.get("locationname", ""))
            if parsed.path != "/api/events" or route is None:
                route = Route(404, b'{"error": "not found"}')
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/events"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 9 (discard) on the loopback: a call that escapes the fake server fails here.
    monkeypatch.setenv("EST_POLICE_EVENTS_URL", "http://127.0.0.1:9/api/events")
    monkeypatch.delenv("EST_POLICE_EVENTS_LOCATIONS", raising=False)


def _landed(data_dir: Path) -> list[Path]:
    folder = data_dir / "landing" / "police_events"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_fetch_lands_the_body_exactly_as_served(est_env: Path, api: FakeApi) -> None:
    served = api.serve("Örebro", "orebro.json")
    result = fetch_location("Örebro", base_url=api.url)
    assert result.stored and result.records == 4
    files = _landed(est_env)
    assert files == [result.path] and NAME.match(result.path.name)
    assert result.path.read_bytes() == served
    path, query = api.requests[-1]
    assert path == "/api/events" and query["locationname"] == "Örebro"
    assert query["user-agent"].startswith("est_pipeline/") and "EST" in query["user-agent"]
    assert location_slug("Örebro län") == "orebro-lan"


def test_the_same_body_twice_lands_once_and_a_new_body_lands_again(est_env: Path, api: FakeApi) -> None:
    api.serve("Örebro", "orebro.json")
    first = fetch_location("Örebro", base_url=api.url)
    again = fetch_location("Örebro", base_url=api.url)
    assert first.stored and not again.stored and first.path.name in again.note
    assert _landed(est_env) == [first.path]
    served = api.serve("Örebro", "orebro_later.json")
    time.sleep(1.1)  # a new UTC second: a new file name
    later = fetch_location("Örebro", base_url=api.url)
    assert later.stored and later.path.read_bytes() == served
    assert _landed(est_env) == sorted([first.path, later.path])
    # After landing/ is cleaned up, the archive still tells the fetcher what it has.
    archive = est_env / "archive" / "police_events"
    archive.mkdir(parents=True)
    for p in _landed(est_env):
        p.rename(archive / f"0123456789abcdef_{p.name}")
    assert not fetch_location("Örebro", base_url=api.url).stored
    assert _landed(est_env) == []


@pytest.mark.parametrize(("status", "body", "message"), [
    (500, b'{"error": "internal"}', r"HTTP status 500"),
    (200, b'[{"id": 1, "datetime": "2025-06-07 7:32:06 +02:00", "na', r"not valid JSON"),
    (200, b'{"id": 1}', r"not a list"),
    (200, "<html>Underhåll</html>".encode(), r"not valid JSON"),
])
def test_a_bad_answer_raises_naming_the_url_and_lands_nothing(est_env: Path, api: FakeApi, status: int,
                                                              body: bytes, message: str) -> None:
    api.serve("Örebro", status=status, body=body)
    with pytest.raises(FetchError, match=message) as exc:
        fetch_location("Örebro", base_url=api.url)
    assert str(exc.value).startswith(api.url + "?locationname=%C3%96rebro")
    assert _landed(est_env) == []


def test_a_timeout_raises_and_lands_nothing(est_env: Path, api: FakeApi) -> None:
    api.serve("Örebro", "orebro.json", delay=1.5)
    with pytest.raises(FetchError, match=r"timed out") as exc:
        fetch_location("Örebro", base_url=api.url, timeout=0.3)
    assert api.url in str(exc.value)
    assert _landed(est_env) == []


def test_settings_are_read_when_fetching(est_env: Path, api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().police_events_url == "http://127.0.0.1:9/api/events"
    assert fetch_all().results == [] and _landed(est_env) == []  # no location: the fetcher is off
    api.serve("Örebro", "orebro.json")
    api.serve("Örebro län", "orebro_lan_2026.json")
    monkeypatch.setenv("EST_POLICE_EVENTS_URL", api.url)
    monkeypatch.setenv("EST_POLICE_EVENTS_LOCATIONS", " Örebro , Örebro län,")
    assert get_settings().police_events_locations == ("Örebro", "Örebro län")
    report = fetch_all()
    assert report.errors == [] and [r.location for r in report.stored] == ["Örebro", "Örebro län"]
    assert sorted(p.name.split("_")[1] for p in _landed(est_env)) == ["orebro", "orebro-lan"]


def test_the_schedule_runs_only_when_locations_are_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from est_pipeline.defs.ingest.definitions import build_defs

    def schedule() -> dg.ScheduleDefinition:
        return {s.name: s for s in build_defs().schedules}["police_events_fetch_schedule"]

    off = schedule()
    assert off.default_status == dg.DefaultScheduleStatus.STOPPED
    assert off.cron_schedule == "0 * * * *" and off.execution_timezone == "Europe/Stockholm"
    assert off.job_name == "police_events_fetch_job"
    monkeypatch.setenv("EST_POLICE_EVENTS_LOCATIONS", "Örebro")
    assert schedule().default_status == dg.DefaultScheduleStatus.RUNNING


def test_the_job_lands_files_and_the_ingest_loads_them(est_env: Path, api: FakeApi,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from est_pipeline.defs.ingest.fetch import police_events_fetch_job
    from est_pipeline.ingest.loader import ingest_folder

    served = {"Örebro": api.serve("Örebro", "orebro.json"),
              "Örebro län": api.serve("Örebro län", "orebro_lan_2026.json")}
    monkeypatch.setenv("EST_POLICE_EVENTS_URL", api.url)
    monkeypatch.setenv("EST_POLICE_EVENTS_LOCATIONS", "Örebro,Örebro län")
    result = police_events_fetch_job.execute_in_process()
    assert result.success
    files = _landed(est_env)
    assert sorted(p.read_bytes() for p in files) == sorted(served.values())
    assert not (est_env / "warehouse.duckdb").exists()  # fetching never opens the warehouse

    ingested = ingest_folder("police_events")
    assert ingested.rows_loaded == 7 and ingested.rows_quarantined == 0
    with duckdb.connect(str(est_env / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT location_name, is_summary, url, gps_lat, incident_at "
                           "FROM raw.police_events ORDER BY id").fetchall()
        status = con.execute("SELECT DISTINCT status FROM raw.file_registry WHERE feed = 'police_events'").fetchall()
    assert status == [("loaded",)]
    assert sum(r[1] for r in rows) == 2 and all(r[2].startswith("/aktuellt/") for r in rows)
    assert {r[0] for r in rows} == {"Örebro", "Örebro län"} and all(59 < r[3] < 60 for r in rows)
    assert all(r[4] is not None for r in rows)

    # A failing location fails the run; the other location's new response still lands.
    api.serve("Örebro", "orebro_later.json")
    api.serve("Örebro län", status=503, body=b"Service Unavailable")
    time.sleep(1.1)
    failed = police_events_fetch_job.execute_in_process(raise_on_error=False)
    assert not failed.success
    failure = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert "HTTP status 503" in str(failure.event_specific_data.error)
    assert len(_landed(est_env)) == 3
    newest = [p for p in _landed(est_env) if p.name.startswith("api_orebro_")][-1]
    assert json.loads(newest.read_bytes())[0]["id"] == 578342
