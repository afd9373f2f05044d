"""Ingesting one landing folder: registry, parse, validate, quarantine, load.

Each file is handled on its own and written in its own transaction (its rows, its
quarantine rows, its registry row, and the retirement of the version it replaces), so a
bad file or a crash never leaves half a file in the warehouse, and a refused file never
stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from est_pipeline.ingest import quarantine, registry
from est_pipeline.ingest.convert import convert_value, detect_date_formats
from est_pipeline.ingest.feeds import REFERENCE_FOLDER, feeds_in_folder
from est_pipeline.ingest.quarantine import Problem
from est_pipeline.ingest.readers import RawTable, is_not_a_record, read_file
from est_pipeline.ingest.schema import ensure_raw_schema
from est_pipeline.ingest.spec import Feed, FileRejected, RowProblem
from est_pipeline.lib import warehouse
from est_pipeline.lib.dates import week_monday
from est_pipeline.lib.pii import PLACEHOLDERS, add_counts, mask_text

log = logging.getLogger(__name__)

_ARROW_TYPES = {
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}


def _zero_pii() -> dict[str, int]:
    return {kind: 0 for kind in PLACEHOLDERS}


@dataclass
class ParsedFile:
    feed: Feed
    raw: RawTable
    rows: list[dict[str, Any]]
    row_numbers: list[int]
    row_cells: list[list[Any]]
    row_pii: list[dict[str, int]]
    problems: list[Problem]
    records: dict[int, str]
    quarantine_pii: dict[str, int]
    rows_in: int


def parse_file(feed: Feed, path: Path, arrived: datetime) -> ParsedFile:
    """Read and type one file. Raises FileRejected when the file as a whole is unusable."""
    raw = read_file(path, feed)
    positions = raw.match.positions
    formats = detect_date_formats(feed, positions, raw.rows)
    width = len(raw.header)
    nulls = {t.casefold() for t in feed.null_tokens}
    parsed = ParsedFile(feed, raw, [], [], [], [], [], {}, _zero_pii(), 0)

    for row_number, cells in raw.rows:
        parsed.rows_in += 1
        problems: list[Problem] = []
        row: dict[str, Any] = {}
        by_name: dict[str, Any] = {}
        if is_not_a_record(cells):
            problems.append(Problem(row_number, None, "invalid_record", "posten är inget JSON-objekt"))
        elif raw.kind == "csv" and len(cells) != width:
            problems.append(Problem(
                row_number, None, "wrong_field_count",
                f"raden har {len(cells)} fält men rubrikraden har {width} (avklippt rad, eller en "
                f"avgränsare inuti ett fält utan citattecken)",
            ))
        else:
            for col in feed.file_columns:
                pos = positions.get(col.name)
                value = cells[pos] if pos is not None and pos < len(cells) else None
                if isinstance(value, str) and (not value.strip() or value.strip().casefold() in nulls):
                    value = None
                by_name[col.name] = value
                try:
                    typed = convert_value(col, value, formats.get(col.name), arrived)
                except RowProblem as exc:
                    problems.append(Problem(row_number, col.header, exc.code, exc.message))
                    continue
                if typed is None and not col.nullable:
                    problems.append(Problem(row_number, col.header, "missing_value", "värde saknas"))
                row[col.name] = typed
            if not problems and feed.row_hook is not None:
                try:
                    feed.row_hook(row, by_name, arrived)
                except RowProblem as exc:
                    problems.append(Problem(row_number, None, exc.code, exc.message))
        if problems:
            record, counts = quarantine.masked_record(raw.header, cells)
            parsed.records[row_number] = record
            add_counts(parsed.quarantine_pii, counts)
            parsed.problems.extend(problems)
            continue
        pii = _zero_pii()
        for col in feed.table_columns:
            if col.masked and isinstance(row.get(col.name), str):
                row[col.name], counts = mask_text(row[col.name])
                add_counts(pii, counts)
        parsed.rows.append({c.name: row.get(c.name) for c in feed.table_columns})
        parsed.row_numbers.append(row_number)
        parsed.row_cells.append(cells)
        parsed.row_pii.append(pii)
    return parsed


def validate_batch(parsed_files: list[ParsedFile], runner: Any) -> list[Any]:
    """Run the feed's suite once on the rows of all new files, then split per file.

    A great-expectations validation has a fixed cost of a few hundred milliseconds
    however small the batch, so validating ~300 demo files one by one took minutes;
    one validation per feed and run, mapped back to files by row position, gives the
    same per-file verdict (every rule but the column list is row-level).
    """
    from data_checks.runner import ExpectationOutcome, SuiteOutcome

    if not parsed_files:
        return []
    feed = parsed_files[0].feed
    columns = [c.name for c in feed.table_columns]
    frame = pd.DataFrame([row for p in parsed_files for row in p.rows], columns=columns)
    outcome = runner.validate(feed, frame)
    per_file = []
    start = 0
    for p in parsed_files:
        stop = start + len(p.rows)
        expectations = []
        for e in outcome.expectations:
            rows = [i - start for i in e.unexpected_rows if start <= i < stop]
            # Row-level rules judge each file by its own rows; a whole-table failure
            # (no rows listed) concerns every file.
            success = not rows if e.unexpected_rows else e.success
            expectations.append(ExpectationOutcome(
                e.expectation, e.column, success, e.action, e.reason_code, e.reason_sv, rows, e.observed))
        per_file.append(SuiteOutcome(outcome.suite, all(x.success for x in expectations), expectations))
        start = stop
    return per_file


def apply_suite(parsed: ParsedFile, outcome: Any) -> Any:
    """Rows a value rule of the suite lists move from the file's rows to quarantine."""
    feed = parsed.feed
    headers = {c.name: c.header for c in feed.columns}
    moved: set[int] = set()
    for exp in outcome.failed("quarantine"):
        for i in exp.unexpected_rows:
            value = parsed.rows[i].get(exp.column) if exp.column else None
            parsed.problems.append(Problem(
                parsed.row_numbers[i], headers.get(exp.column or "", exp.column), exp.reason_code,
                exp.reason_sv.format(value=repr(value if not isinstance(value, float) else round(value, 6))),
            ))
            moved.add(i)
    for i in sorted(moved):
        record, counts = quarantine.masked_record(parsed.raw.header, parsed.row_cells[i])
        parsed.records[parsed.row_numbers[i]] = record
        add_counts(parsed.quarantine_pii, counts)
    if moved:
        keep = [i for i in range(len(parsed.rows)) if i not in moved]
        parsed.rows = [parsed.rows[i] for i in keep]
        parsed.row_numbers = [parsed.row_numbers[i] for i in keep]
        parsed.row_cells = [parsed.row_cells[i] for i in keep]
        parsed.row_pii = [parsed.row_pii[i] for i in keep]
    return outcome


def _arrow_rows(feed: Feed, parsed: ParsedFile, file: registry.LandedFile, loaded_at: datetime) -> pa.Table:
    fields = [(c.name, _ARROW_TYPES[c.type]) for c in feed.table_columns]
    fields += [("_file_name", pa.string()), ("_content_hash", pa.string()),
               ("_row_number", pa.int32()), ("_loaded_at", pa.timestamp("us"))]
    tz_columns = [c.name for c in feed.table_columns if c.type == "timestamptz"]
    records = []
    for row, number in zip(parsed.rows, parsed.row_numbers):
        rec = dict(row)
        for name in tz_columns:
            if rec.get(name) is not None:
                rec[name] = rec[name].astimezone(timezone.utc)
        rec.update(_file_name=file.name, _content_hash=file.content_hash, _row_number=number, _loaded_at=loaded_at)
        records.append(rec)
    return pa.Table.from_pylist(records, schema=pa.schema(fields))


def weeks_of(feed: Feed, rows: list[dict[str, Any]]) -> set[date]:
    weeks: set[date] = set()
    for row in rows:
        for name in feed.event_date:
            value = row.get(name)
            if value is None:
                continue
            if isinstance(value, str):  # an ISO week label (checklist)
                year, week = value.split("-W")
                weeks.add(date.fromisocalendar(int(year), int(week), 1))
            else:
                if isinstance(value, datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                weeks.add(week_monday(value))
            break
    return weeks


@dataclass
class FileOutcome:
    file_name: str
    content_hash: str
    status: str  # loaded | rejected | skipped
    table: str | None = None
    error_code: str | None = None
    message: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    pii: dict[str, int] = field(default_factory=_zero_pii)
    superseded: int = 0
    #: Rows whose record key (the partner's id) was already delivered: not counted twice.
    rows_repeated: int = 0
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suite: Any = None
    weeks: set[date] = field(default_factory=set)
    reason_codes: dict[str, int] = field(default_factory=dict)


@dataclass
class FolderResult:
    folder: str
    files: list[FileOutcome]

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def for_table(self, table: str) -> "FolderResult":
        return FolderResult(self.folder, [f for f in self.files if f.table == table or f.table is None])

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def pii(self) -> dict[str, int]:
        total = _zero_pii()
        for f in self.files:
            add_counts(total, f.pii)
        return total

    @property
    def weeks_touched(self) -> list[str]:
        return sorted({w.isoformat() for f in self.files for w in f.weeks})


def _feed_for(folder: str, name: str) -> Feed:
    feeds = feeds_in_folder(folder)
    if folder != REFERENCE_FOLDER:
        return feeds[0]
    for feed in feeds:
        if name in feed.file_names:
            return feed
    expected = ", ".join(n for f in feeds for n in f.file_names)
    hint = ""
    for feed in feeds:
        for accepted in feed.file_names:
            if accepted.lower() == name.lower():
                hint = f" (döp om filen till '{accepted}')"
    raise FileRejected(
        "unknown_reference_file",
        f"okänt filnamn i reference/: '{name}'{hint}. Referensdata tas emot under namnen {expected}",
    )


def _reject(con: Any, file: registry.LandedFile, archived: Path, code: str, message: str) -> FileOutcome:
    outcome = FileOutcome(file.name, file.content_hash, "rejected", error_code=code, message=message)
    try:
        outcome.table = _feed_for(file.folder, file.name).table
    except FileRejected:
        outcome.table = None
    con.begin()
    registry.insert_entry(con, registry.RegistryEntry(
        file, archived, registry.local_now(), "rejected", None, None, None, None, message, code))
    con.commit()
    return outcome


def _parse_one(folder: str, file: registry.LandedFile) -> ParsedFile | tuple[str, str]:
    """The parsed file, or (error_code, message) when it is refused."""
    try:
        feed = _feed_for(folder, file.name)
        return parse_file(feed, file.path, file.arrived_at)
    except FileRejected as exc:
        return exc.code, f"fil '{file.name}': {exc.message}"
    except Exception as exc:  # a reader bug must not stop the other files
        log.exception("ingest of %s/%s failed", folder, file.name)
        return "internal_error", (f"fil '{file.name}': internt fel vid inläsning "
                                  f"({type(exc).__name__}: {exc}); kontakta förvaltningen")


def _write_one(con: Any, file: registry.LandedFile, archived: Path, parsed: ParsedFile, suite: Any) -> FileOutcome:
    feed = parsed.feed
    apply_suite(parsed, suite)
    loaded_at = registry.local_now()
    outcome = FileOutcome(file.name, file.content_hash, "loaded", table=feed.table, suite=suite)
    outcome.rows_in = parsed.rows_in
    outcome.rows_loaded = len(parsed.rows)
    outcome.rows_quarantined = len({p.row_number for p in parsed.problems})
    for pii in parsed.row_pii:
        add_counts(outcome.pii, pii)
    add_counts(outcome.pii, parsed.quarantine_pii)
    outcome.extra_columns = parsed.raw.match.extra
    outcome.notes = parsed.raw.notes + ([f"teckenkodning {parsed.raw.encoding}"] if parsed.raw.encoding == "cp1252" else [])
    outcome.weeks = weeks_of(feed, parsed.rows)
    for p in parsed.problems:
        outcome.reason_codes[p.reason_code] = outcome.reason_codes.get(p.reason_code, 0) + 1
    assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
    message = None
    if outcome.rows_quarantined:
        message = f"{outcome.rows_quarantined} av {outcome.rows_in} rader i karantän (se raw.quarantine)"

    con.begin()
    try:
        names = feed.file_names or (file.name,)
        outcome.superseded = registry.supersede(con, file.folder, names, feed.table, file.content_hash)
        if parsed.rows:
            batch = _arrow_rows(feed, parsed, file, loaded_at)
            con.register("_rows_batch", batch)
            cols = ", ".join(f'"{n}"' for n in batch.schema.names)
            con.execute(f"INSERT INTO raw.{feed.table} ({cols}) SELECT {cols} FROM _rows_batch")
            con.unregister("_rows_batch")
            if feed.record_key:
                outcome.rows_repeated = registry.count_repeats(
                    con, feed.table, feed.record_key, file.name, file.content_hash)
        if outcome.rows_repeated:
            key_sv = ", ".join(c.header for c in feed.columns if c.name in feed.record_key)
            repeated = (f"{outcome.rows_repeated} av {outcome.rows_loaded} rader upprepar poster som redan "
                        f"levererats (samma {key_sv}); den senaste leveransen gäller och ingenting räknas två gånger")
            message = f"{message}; {repeated}" if message else repeated
        quarantine.write(con, file.folder, file.name, file.content_hash, parsed.problems, parsed.records, loaded_at)
        registry.insert_entry(con, registry.RegistryEntry(
            file, archived, loaded_at, "loaded", outcome.rows_in, outcome.rows_loaded,
            outcome.rows_quarantined, sum(outcome.pii.values()), message, None, outcome.rows_repeated))
        con.commit()
    except Exception:
        con.rollback()
        raise
    return outcome


def ingest_folder(
    folder: str,
    runner: Any | None = None,
    log_fn: Callable[[str], None] | None = None,
) -> FolderResult:
    """Ingest every new file in ``landing/<folder>``; already-known files are skipped.

    Three passes: parse every new file (refused files are recorded at once), validate
    the parsed rows with the feed's suite, then write file by file, each in its own
    transaction.
    """
    if runner is None:
        from data_checks.runner import SuiteRunner

        runner = SuiteRunner()
    outcomes: dict[str, FileOutcome] = {}
    order: list[str] = []
    pending: list[tuple[registry.LandedFile, Path, ParsedFile]] = []
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        known = registry.known_hashes(con, folder)
        shapefiles = any("shp" in f.formats for f in feeds_in_folder(folder))
        for path in registry.landing_files(folder, sidecars=not shapefiles):
            file = registry.describe(folder, path)
            order.append(file.name)
            if file.content_hash in known:
                outcomes[file.name] = FileOutcome(file.name, file.content_hash, "skipped",
                                                  table=_table_or_none(folder, file.name))
                continue
            known.add(file.content_hash)
            archived = registry.archive(file)
            parsed = _parse_one(folder, file)
            if isinstance(parsed, tuple):
                outcomes[file.name] = _reject(con, file, archived, *parsed)
            else:
                pending.append((file, archived, parsed))
        for feed in feeds_in_folder(folder):
            batch = [item for item in pending if item[2].feed is feed]
            if len(feed.file_names) > 1:
                # Several accepted names fill one table: the file that arrived last wins.
                batch.sort(key=lambda item: (item[0].arrived_at, item[0].name))
            suites = validate_batch([p for _, _, p in batch], runner)
            for (file, archived, parsed), suite in zip(batch, suites):
                outcomes[file.name] = _write_one(con, file, archived, parsed, suite)
    result = FolderResult(folder, [outcomes[name] for name in order])
    if log_fn and shapefiles:
        for orphan in registry.orphan_sidecars(folder):
            log_fn(f"{folder}/{orphan.name}: del av en shapefil utan .shp bredvid; läses in när .shp-filen kommer")
    if log_fn:
        for o in result.files:
            if o.status != "skipped":
                log_fn(f"{folder}/{o.file_name}: {o.status} ({o.rows_loaded} loaded, {o.rows_quarantined} quarantined)"
                       + (f" [{o.error_code}] {o.message}" if o.error_code else ""))
    return result


def _table_or_none(folder: str, name: str) -> str | None:
    try:
        return _feed_for(folder, name).table
    except FileRejected:
        return None


def ensure_schema() -> None:
    """Create every raw and bookkeeping table (used by assets and by tests)."""
    with warehouse.connect() as con:
        ensure_raw_schema(con)

