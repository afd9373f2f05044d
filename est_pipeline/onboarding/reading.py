"""Reading the landing folder before anything is ingested, with the ingest's own code.

Every file is parsed by ``est_pipeline.ingest.loader.parse_file`` with its feed contract,
exactly as the ingest would parse it, but nothing is written: no registry, no archive,
no warehouse. So what the check says a file contains is what the ingest would load, and
a file the ingest would refuse is reported with the same code and message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from est_pipeline.ingest.feeds import FEEDS, REFERENCE_FOLDER
from est_pipeline.ingest.feeds.reference import REFERENCE_FEEDS, REFERENCE_FILE_NAMES
from est_pipeline.ingest.loader import parse_file
from est_pipeline.ingest.quarantine import Problem
from est_pipeline.ingest.registry import files_in, is_sidecar, orphan_sidecars
from est_pipeline.ingest.spec import Feed, FileRejected


@dataclass
class TableRead:
    """One file read as the ingest would read it."""

    feed: Feed
    path: Path
    #: Relative to the landing folder: ``reference/areas.gpkg``.
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_in: int = 0
    #: (error code, Swedish message) when the ingest would refuse the whole file.
    rejected: tuple[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected is None


def read_table(feed: Feed, path: Path, landing: Path) -> TableRead:
    name = path.relative_to(landing).as_posix()
    out = TableRead(feed, path, name)
    arrived = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    try:
        parsed = parse_file(feed, path, arrived)
    except FileRejected as exc:
        out.rejected = (exc.code, f"fil '{path.name}': {exc.message}")
        return out
    except Exception as exc:  # a reader bug must not stop the check
        out.rejected = ("internal_error", f"fil '{path.name}': internt fel vid inläsning ({type(exc).__name__}: {exc})")
        return out
    out.rows, out.row_numbers, out.problems = parsed.rows, parsed.row_numbers, parsed.problems
    out.rows_in = parsed.rows_in
    out.notes = list(parsed.raw.notes)
    return out


@dataclass
class ReferenceInventory:
    """What lies in landing/reference/, by table."""

    folder: Path
    exists: bool
    #: table -> every accepted file present, oldest first (the last one is used)
    present: dict[str, list[Path]] = field(default_factory=dict)
    unknown: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)

    def chosen(self, table: str) -> Path | None:
        files = self.present.get(table) or []
        return files[-1] if files else None


def reference_inventory(landing: Path) -> ReferenceInventory:
    folder = landing / REFERENCE_FOLDER
    inv = ReferenceInventory(folder, folder.is_dir())
    if not inv.exists:
        return inv
    for path in files_in(folder):
        if is_sidecar(path):
            continue
        rel = path.relative_to(folder).as_posix()
        feed = REFERENCE_FILE_NAMES.get(rel)
        if feed is None:
            inv.unknown.append(path)
            continue
        inv.present.setdefault(feed.table, []).append(path)
    for table, files in inv.present.items():
        # The ingest lets the file that arrived last win; the check reads that one.
        files.sort(key=lambda p: (int(p.stat().st_mtime), p.name))
    inv.orphans = orphan_sidecars(folder)
    return inv


def read_reference(inv: ReferenceInventory, landing: Path) -> dict[str, TableRead]:
    """The file used for each table, read; tables without a file are absent."""
    out: dict[str, TableRead] = {}
    for feed in REFERENCE_FEEDS:
        path = inv.chosen(feed.table)
        if path is not None:
            out[feed.table] = read_table(feed, path, landing)
    return out


@dataclass
class FeedDates:
    """The dated rows of one landing folder: the first and last date, and from which file."""

    folder: str
    files: int = 0
    rows: int = 0
    first: date | None = None
    last: date | None = None
    first_file: str | None = None
    rejected: list[TableRead] = field(default_factory=list)


def row_date(feed: Feed, row: dict[str, Any], columns: tuple[str, ...] | None = None) -> date | None:
    """The date that places a row in a week (the first non-blank of the feed's date columns)."""
    for name in columns or feed.event_date:
        value = row.get(name)
        if value is None:
            continue
        if isinstance(value, str):  # an ISO week label (checklist): its Monday
            year, week = value.split("-W")
            return date.fromisocalendar(int(year), int(week), 1)
        if isinstance(value, datetime):
            return value.replace(tzinfo=None).date()
        if isinstance(value, date):
            return value
    return None


#: The police extract's weeks follow the registration date: a crime can be reported years
#: after it happened, and the extract is delivered by registration date.
POLICE_DATE_COLUMNS = ("inskrivningsdatum",)


def police_extract(landing: Path) -> tuple[list[TableRead], FeedDates]:
    """Every file of landing/police_deso/, read with the police_deso feed's parser."""
    feed = FEEDS["police_deso"]
    reads = [read_table(feed, p, landing) for p in files_in(landing / feed.name)]
    return reads, _dates(feed, reads, POLICE_DATE_COLUMNS)


def other_feed_dates(landing: Path) -> list[FeedDates]:
    """First and last dates of every other feed that has files (files it cannot read are skipped)."""
    out = []
    for name, feed in FEEDS.items():
        if name == "police_deso":
            continue
        paths = files_in(landing / name)
        if paths:
            out.append(_dates(feed, [read_table(feed, p, landing) for p in paths], None))
    return out


def _dates(feed: Feed, reads: list[TableRead], columns: tuple[str, ...] | None) -> FeedDates:
    out = FeedDates(feed.name, files=len(reads))
    for read in reads:
        if not read.ok:
            out.rejected.append(read)
            continue
        out.rows += len(read.rows)
        for row in read.rows:
            day = row_date(feed, row, columns)
            if day is None:
                continue
            if out.first is None or day < out.first:
                out.first, out.first_file = day, read.name
            if out.last is None or day > out.last:
                out.last = day
    return out
