"""Fetch the police's public events API into ``landing/police_events/``, byte for byte.

For every configured location name (``EST_POLICE_EVENTS_LOCATIONS``) the fetcher asks
``EST_POLICE_EVENTS_URL?locationname=<name>`` and keeps the response body exactly as it
arrived, as one landed file ``api_<location-slug>_<UTC yyyymmddThhmmssZ>.json``. The
landing sensor then ingests it like any partner file; the fetcher itself never opens the
warehouse.

- The body must be a JSON list (what the API returns); anything else, a status other
  than 200, or a timeout raises ``FetchError`` naming the URL and the problem, and
  nothing is written.
- The file is written to ``<name>.part`` and renamed when complete, so the sensor (which
  ignores ``.part``) never reads half a file.
- A body identical to the last one stored for that location (in ``landing/`` or, after a
  clean-up, in ``archive/``) is not stored again; neither is an empty list.

Standard library only (``urllib.request``), so nothing new has to be installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from est_pipeline.settings import get_settings

FEED = "police_events"
TIMEOUT_SECONDS = 30.0
USER_AGENT = ("est_pipeline/0.1 (EST, Effektiv samordning för trygghet: municipal "
              "crime-prevention situation reports; fetches the public events feed hourly)")
_NAME = re.compile(r"^api_(?P<slug>[a-z0-9-]+)_(?P<stamp>\d{8}T\d{6}Z)(?:_\d+)?\.json$")


class FetchError(RuntimeError):
    """The API could not be fetched or did not answer with a JSON list; nothing was stored."""


@dataclass(frozen=True)
class FetchResult:
    location: str
    url: str
    records: int
    size: int
    sha256: str
    #: The landed file, or None when nothing was stored (see ``note``).
    path: Path | None
    note: str = ""

    @property
    def stored(self) -> bool:
        return self.path is not None


@dataclass
class FetchReport:
    results: list[FetchResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def stored(self) -> list[FetchResult]:
        return [r for r in self.results if r.stored]


def location_slug(name: str) -> str:
    """``Örebro län`` -> ``orebro-lan``: ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if not slug:
        raise ValueError(f"location name {name!r} gives no usable file name")
    return slug


def location_url(base_url: str, location: str) -> str:
    query = urllib.parse.urlencode({"locationname": location}, quote_via=urllib.parse.quote)
    return f"{base_url}{'&' if '?' in base_url else '?'}{query}"


def download(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The response body, raising ``FetchError`` for anything but a 200 with a JSON list."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: HTTP status {exc.code} {exc.reason}".rstrip()) from None
    except (TimeoutError, socket.timeout):
        raise FetchError(f"{url}: no answer within {timeout:g} s (timed out)") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"{url}: no answer within {timeout:g} s (timed out)") from None
        raise FetchError(f"{url}: cannot connect ({reason})") from None
    except OSError as exc:  # connection reset while reading, etc.
        raise FetchError(f"{url}: the connection failed ({exc})") from None
    if status != 200:
        raise FetchError(f"{url}: HTTP status {status}, expected 200")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"{url}: the response is not valid JSON ({exc}); {len(body)} bytes") from None
    if not isinstance(data, list):
        raise FetchError(f"{url}: the response is JSON but not a list of events (got {type(data).__name__})")
    return body


def _last_stored(slug: str, landing: Path, archive: Path) -> Path | None:
    """The newest file stored for a location, in landing/ or (cleaned up there) the archive."""
    found: list[tuple[str, str, Path]] = []
    for folder, prefix in ((landing, ""), (archive, "*_")):
        if folder.is_dir():
            for p in folder.glob(f"{prefix}api_{slug}_*.json"):
                m = _NAME.match(p.name.split("_", 1)[1] if prefix else p.name)
                if m and m["slug"] == slug:
                    found.append((m["stamp"], p.name, p))
    return max(found)[2] if found else None


def _write_atomically(folder: Path, name: str, body: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    n = 1
    while target.exists():  # two different bodies within one second
        n += 1
        target = folder / name.replace(".json", f"_{n}.json")
    part = target.with_name(target.name + ".part")
    try:
        with part.open("xb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def fetch_location(location: str, *, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS,
                   now: datetime | None = None) -> FetchResult:
    """Fetch one location and land the body (unless it is the same as the last one)."""
    settings = get_settings()
    url = location_url(base_url or settings.police_events_url, location)
    slug = location_slug(location)
    body = download(url, timeout)
    records = len(json.loads(body))
    digest = hashlib.sha256(body).hexdigest()
    landing = settings.landing_dir / FEED
    if records == 0:
        return FetchResult(location, url, 0, len(body), digest, None, "empty list: nothing to store")
    last = _last_stored(slug, landing, settings.archive_dir / FEED)
    if last is not None and last.stat().st_size == len(body) and last.read_bytes() == body:
        return FetchResult(location, url, records, len(body), digest, None,
                           f"same as the last stored file {last.name}")
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = _write_atomically(landing, f"api_{slug}_{stamp}.json", body)
    return FetchResult(location, url, records, len(body), digest, path)


def fetch_all(locations: list[str] | tuple[str, ...] | None = None, *, base_url: str | None = None,
              timeout: float = TIMEOUT_SECONDS) -> FetchReport:
    """Fetch every location (default: ``EST_POLICE_EVENTS_LOCATIONS``); one failing location
    does not stop the others, its error is in the report."""
    report = FetchReport()
    names = get_settings().police_events_locations if locations is None else tuple(locations)
    for name in names:
        try:
            report.results.append(fetch_location(name, base_url=base_url, timeout=timeout))
        except FetchError as exc:
            report.errors.append(str(exc))
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m est_pipeline.ingest.fetch_police_events [location ...]``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if not args and not get_settings().police_events_locations:
        print("EST_POLICE_EVENTS_LOCATIONS is empty: no location to fetch", file=sys.stderr)
        return 2
    report = fetch_all(args or None)
    for r in report.results:
        print(f"{r.location}: {r.records} events, " + (f"stored {r.path}" if r.stored else r.note))
    for e in report.errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if report.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
