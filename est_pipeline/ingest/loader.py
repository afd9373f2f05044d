"""Ingesting one landing folder: registry, parse, validate, quarantine, hold, load.

Files stream through in batches: each new file is hashed, archived, read and typed on its
own (``readers``, ``cells``), so memory holds one batch of rows (``BATCH_ROWS``) whatever
the number of files. A batch is validated by the feed's great-expectations suite in one
call, then written in ONE transaction: its rows, its quarantine rows, its registry rows,
the retirement of the versions its files replace. A crash never leaves half a file (or
half a batch) in the warehouse; the files of an unfinished batch are simply read again on
the next run. A file that cannot be read is recorded as rejected; a file whose rows are
mostly refused is held (``holds``); neither stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from est_pipeline.ingest import quarantine, registry
from est_pipeline.ingest.cells import KEY_PREFIX, TypedFile, reason_counts, type_batch, type_file, weeks_of, zero_pii
from est_pipeline.ingest.feeds import REFERENCE_FOLDER, feeds_in_folder
from est_pipeline.ingest.holds import hold_reason
from est_pipeline.ingest.quarantine import Problem
from est_pipeline.ingest.readers import RawTable, read_file
from est_pipeline.ingest.schema import ensure_raw_schema
from est_pipeline.ingest.spec import Feed, FileRejected
from est_pipeline.lib import warehouse
from est_pipeline.lib.pii import add_counts, mask_text

log = logging.getLogger(__name__)

#: Rows held in memory before a batch is validated and written (bounded memory).
BATCH_ROWS = 250_000
#: Files per batch at most (many tiny files: one transaction still stays small).
BATCH_FILES = 2_000

#: Kept for callers that type rows themselves (onboarding): the parsed file.
ParsedFile = TypedFile


def parse_file(feed: Feed, path: Path, arrived: datetime) -> TypedFile:
    """Read and type one file. Raises FileRejected when the file as a whole is unusable."""
    return type_file(feed, read_file(path, feed), arrived)


def validate_batch(parsed_files: list[TypedFile], runner: Any) -> list[Any]:
    """Run the feed's suite once on the rows of a batch of files, then split per file.

    A great-expectations validation has a fixed cost of a few hundred milliseconds
    however small the batch, so validating files one by one took minutes; one validation
    per batch, mapped back to files by row position, gives the same per-file verdict
    (every rule but the column list is row-level).
    """
    from data_checks.runner import ExpectationOutcome, SuiteOutcome

    if not parsed_files:
        return []
    feed = parsed_files[0].feed
    columns = [c.name for c in feed.table_columns]
    tables = [p.table.select(columns) for p in parsed_files]
    frame = pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame(columns=columns)
    outcome = runner.validate(feed, frame)
    per_file = []
    start = 0
    for p in parsed_files:
        stop = start + p.table.num_rows
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


def apply_suite(parsed: TypedFile, outcome: Any) -> Any:
    """Rows a value rule of the suite lists move from the file's rows to quarantine."""
    feed = parsed.feed
    headers = {c.name: c.header for c in feed.columns}
    numbers = parsed.row_numbers
    moved: list[int] = []
    problems: list[Problem] = []
    for exp in outcome.failed("quarantine"):
        values = parsed.table.column(exp.column).to_pylist() if exp.column else None
        for i in exp.unexpected_rows:
            value = values[i] if values is not None else None
            problems.append(Problem(
                numbers[i], headers.get(exp.column or "", exp.column), exp.reason_code,
                exp.reason_sv.format(value=repr(value if not isinstance(value, float) else round(value, 6))),
            ))
            moved.append(i)
    parsed.quarantine_rows(sorted(set(moved)), problems)
    return outcome


@dataclass
class FileOutcome:
    file_name: str
    content_hash: str
    status: str  # loaded | held | rejected | skipped
    table: str | None = None
    error_code: str | None = None
    message: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    pii: dict[str, int] = field(default_factory=zero_pii)
    superseded: int = 0
    #: Rows whose record key was already delivered: not counted twice.
    rows_repeated: int = 0
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suite: Any = None
    weeks: set[date] = field(default_factory=set)
    reason_codes: dict[str, int] = field(default_factory=dict)
    #: Why a held file is held (``holds.HOLD_CODES``).
    hold_code: str | None = None


@dataclass
class FolderResult:
    folder: str
    files: list[FileOutcome]
    #: Files of this folder held by an earlier run and still waiting (name -> hold code).
    still_held: dict[str, str] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def for_table(self, table: str) -> "FolderResult":
        return FolderResult(self.folder, [f for f in self.files if f.table == table or f.table is None])

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files if f.status == "loaded")

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def pii(self) -> dict[str, int]:
        total = zero_pii()
        for f in self.files:
            add_counts(total, f.pii)
        return total

    @property
    def weeks_touched(self) -> list[str]:
        return sorted({w.isoformat() for f in self.files if f.status == "loaded" for w in f.weeks})


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


def _table_or_none(folder: str, name: str) -> str | None:
    try:
        return _feed_for(folder, name).table
    except FileRejected:
        return None


@dataclass
class _Pending:
    file: registry.LandedFile
    archived: Path
    raw: RawTable | None = None
    feed: Feed | None = None
    parsed: TypedFile | None = None
    rejection: tuple[str, str] | None = None
    outcome: FileOutcome | None = None


def _refusal(file: registry.LandedFile, exc: FileRejected) -> tuple[str, str]:
    return exc.code, mask_text(f"fil '{file.name}': {exc.message}")[0] or ""


def _read_one(folder: str, file: registry.LandedFile) -> tuple[Feed, RawTable] | tuple[str, str]:
    """(feed, the file's rows as read), or (error_code, message) when it is refused."""
    try:
        feed = _feed_for(folder, file.name)
        return feed, read_file(file.path, feed)
    except FileRejected as exc:
        return exc.code, mask_text(f"fil '{file.name}': {exc.message}")[0] or ""
    except Exception as exc:  # a reader bug must not stop the other files
        log.exception("ingest of %s/%s failed", folder, file.name)
        return "internal_error", mask_text(f"fil '{file.name}': internt fel vid inläsning "
                                           f"({type(exc).__name__}); kontakta förvaltningen")[0] or ""


def _outcome(item: _Pending) -> FileOutcome:
    """The file's outcome once the suite has run: loaded or held, with its counts."""
    parsed, file = item.parsed, item.file
    assert parsed is not None
    feed = parsed.feed
    outcome = FileOutcome(file.name, file.content_hash, "loaded", table=feed.table, suite=None)
    outcome.rows_in = parsed.rows_in
    outcome.rows_loaded = parsed.table.num_rows
    outcome.rows_quarantined = len({p.row_number for p in parsed.problems})
    add_counts(outcome.pii, parsed.pii)
    add_counts(outcome.pii, parsed.quarantine_pii)
    outcome.extra_columns = [mask_text(str(c))[0] or "" for c in parsed.raw.match.extra]
    outcome.notes = list(parsed.raw.notes) + (
        [f"teckenkodning {parsed.raw.encoding}"] if parsed.raw.encoding == "cp1252" else [])
    outcome.weeks = weeks_of(feed, parsed.table)
    outcome.reason_codes = reason_counts(parsed.problems)
    assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
    return outcome


def _message(outcome: FileOutcome, feed: Feed, notes: list[str]) -> str | None:
    parts = []
    if outcome.hold_code:
        parts.append(outcome.message or "")
    if outcome.rows_in == 0:
        parts.extend(n for n in notes if n.startswith("inga rader"))
    if outcome.rows_quarantined:
        parts.append(f"{outcome.rows_quarantined} av {outcome.rows_in} rader i karantän (se raw.quarantine)")
    if outcome.rows_repeated:
        key_sv = ", ".join(c.header for c in feed.columns if c.name in feed.record_key)
        parts.append(f"{outcome.rows_repeated} av {outcome.rows_loaded} rader upprepar poster som redan "
                     f"levererats (samma {key_sv}); den senaste leveransen gäller och ingenting räknas två gånger")
    parts.extend(n for n in notes if n.startswith("filen börjar med en UTF-8"))
    return mask_text("; ".join(p for p in parts if p))[0] or None


def record_key_text(feed: Feed, table: pa.Table) -> pa.Array:
    """The text whose md5 is ``_record_key``: the key's values as delivered (the unmasked
    ``_key_<column>`` copies), text upper case without whitespace, NULL as chr(1), joined
    by chr(31): the same as ``schema.record_key_sql`` computes from stored columns."""
    parts = []
    for name in feed.record_key:
        column = table.column(KEY_PREFIX + name)
        if pa.types.is_string(column.type):
            column = pc.replace_substring_regex(pc.utf8_upper(column), r"\s+", "")
        else:
            column = pc.cast(column, pa.string())
        parts.append(column)
    return pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="\x01")


def _batch_table(feed: Feed, items: list[tuple[int, _Pending]], loaded_at: datetime) -> pa.Table:
    """The rows of a batch's files with provenance, ``_file_seq``, ``_held`` and ``_key``."""
    tables = [item.parsed.table for _, item in items]  # type: ignore[union-attr]
    counts = [t.num_rows for t in tables]
    batch = pa.concat_tables(tables)
    which = pa.array(np.repeat(np.arange(len(items)), counts), pa.int32())
    names = pa.array([item.file.name for _, item in items], pa.string())
    hashes = pa.array([item.file.content_hash for _, item in items], pa.string())
    batch = batch.append_column("_file_name", names.take(which))
    batch = batch.append_column("_content_hash", hashes.take(which))
    batch = batch.append_column("_loaded_at", pa.array(np.full(batch.num_rows, np.datetime64(loaded_at, "us")),
                                                         pa.timestamp("us")))
    batch = batch.append_column("_file_seq", pa.array([seq for seq, _ in items], pa.int32()).take(which))
    held = pa.array([item.outcome is not None and item.outcome.status == "held" for _, item in items], pa.bool_())
    batch = batch.append_column("_held", held.take(which))
    if feed.record_key:
        batch = batch.append_column("_key", record_key_text(feed, batch))
    return batch.drop_columns([c for c in batch.column_names if c.startswith(KEY_PREFIX)])


def _repeats(con: Any) -> dict[int, int]:
    """Rows per file (``_file_seq`` of ``_batch``) whose record key was delivered before:
    by a row already loaded, by a loaded file earlier in the batch, or earlier in the same
    file."""
    rows = con.execute("""
        WITH b AS (SELECT _file_seq, _held, _row_number, _record_key AS k FROM _b),
        seen AS (SELECT DISTINCT _record_key AS k FROM _raw_keys WHERE _record_key IN (SELECT k FROM b)),
        r AS (
            SELECT _file_seq, k,
                row_number() OVER (PARTITION BY k, _file_seq ORDER BY _row_number) AS nth_in_file,
                min(CASE WHEN NOT _held THEN _file_seq END) OVER (PARTITION BY k) AS first_loaded
            FROM b
        )
        SELECT _file_seq, count(*) FROM r LEFT JOIN seen USING (k)
        WHERE seen.k IS NOT NULL OR nth_in_file > 1 OR first_loaded < _file_seq
        GROUP BY _file_seq
    """).fetchall()
    return {int(seq): int(n) for seq, n in rows}


def _write_batch(con: Any, folder: str, feed: Feed | None, items: list[_Pending]) -> None:
    """Write a batch of files (one feed, plus refused files) in one transaction."""
    loaded_at = registry.local_now()
    entries: list[registry.RegistryEntry] = []
    problems: list[quarantine.QuarantineRow] = []
    tables: list[pa.Table] = []
    con.begin()
    try:
        if feed is not None:
            names = {i.file.name: (feed.file_names or (i.file.name,)) for i in items if i.parsed is not None}
            replaced = registry.current_versions_many(con, folder, [n for ns in names.values() for n in ns])
        for seq, item in enumerate(items):
            file = item.file
            if item.parsed is None:
                code, message = item.rejection  # type: ignore[misc]
                item.outcome = FileOutcome(file.name, file.content_hash, "rejected", table=_table_or_none(folder, file.name),
                                           error_code=code, message=message)
                entries.append(registry.RegistryEntry(file, item.archived, loaded_at, "rejected",
                                                      None, None, None, None, message, code))
                continue
            assert feed is not None and item.outcome is not None
            outcome = item.outcome
            old = [v for name in names[file.name] for v in replaced.get(name, [])]
            if outcome.status == "held":
                # A held correction leaves the version in effect loaded until it is accepted.
                old = [v for v in old if v[2] != "loaded"]
            outcome.superseded = registry.supersede_versions(con, folder, feed.table, old, file.content_hash)
            tables.append((seq, item))
            problems.extend(quarantine.rows_of(folder, file.name, file.content_hash, item.parsed.problems,
                                               item.parsed.records, loaded_at))
        if tables:
            assert feed is not None
            con.register("_batch", _batch_table(feed, tables, loaded_at))
            try:
                key = "md5(_key)" if feed.record_key else "CAST(NULL AS VARCHAR)"
                con.execute(f"CREATE OR REPLACE TEMP TABLE _b AS SELECT * EXCLUDE ({'_key' if feed.record_key else '_held'}), "
                            f"{'_held, ' if not feed.record_key else ''}{key} AS _record_key FROM _batch")
                if feed.record_key:
                    con.execute(f"CREATE OR REPLACE TEMP VIEW _raw_keys AS SELECT _record_key FROM raw.{feed.table}")
                    repeats = _repeats(con)
                    for seq, item in enumerate(items):
                        if item.outcome is not None and item.parsed is not None:
                            item.outcome.rows_repeated = repeats.get(seq, 0)
                cols = [c.name for c in feed.table_columns] + [
                    "_file_name", "_content_hash", "_row_number", "_loaded_at", "_record_key"]
                listed = ", ".join(f'"{c}"' for c in cols)
                for schema, held in (("raw", False), ("held", True)):
                    con.execute(f"INSERT INTO {schema}.{feed.table} ({listed}) "
                                f"SELECT {listed} FROM _b WHERE _held = {str(held).lower()}")
                con.execute("DROP TABLE _b")
            finally:
                con.unregister("_batch")
        for item in items:
            if item.parsed is None or item.outcome is None:
                continue
            outcome = item.outcome
            outcome.message = _message(outcome, item.parsed.feed, outcome.notes)
            entries.append(registry.RegistryEntry(
                item.file, item.archived, loaded_at, outcome.status, outcome.rows_in, outcome.rows_loaded,
                outcome.rows_quarantined, sum(outcome.pii.values()), outcome.message, None,
                outcome.rows_repeated, outcome.hold_code))
        quarantine.insert(con, problems)
        registry.insert_entries(con, entries)
        con.commit()
    except Exception:
        con.rollback()
        raise


def _type(feed: Feed, items: list[_Pending]) -> None:
    """Type the batch's files together (once per batch, not per file)."""
    reading = [i for i in items if i.raw is not None]
    if not reading:
        return
    try:
        typed = type_batch(feed, [(i.raw, i.file.arrived_at) for i in reading])  # type: ignore[misc]
    except Exception:  # a typing bug must not stop the other files: type them one by one
        log.exception("typing a batch of %s failed; typing file by file", feed.table)
        typed = []
        for i in reading:
            try:
                typed.append(type_file(feed, i.raw, i.file.arrived_at))  # type: ignore[arg-type]
            except FileRejected as exc:
                typed.append(exc)
            except Exception as exc:
                log.exception("ingest of %s failed", i.file.name)
                typed.append(FileRejected("internal_error", f"internt fel vid inläsning ({type(exc).__name__}); "
                                                            f"kontakta förvaltningen"))
    for item, result in zip(reading, typed):
        item.raw = None
        if isinstance(result, FileRejected):
            item.rejection = _refusal(item.file, result)
        else:
            item.parsed = result


def _flush(con: Any, folder: str, feed: Feed | None, items: list[_Pending], runner: Any) -> None:
    """Type a batch, validate it with the feed's suite, decide loaded or held, write it."""
    if feed is not None:
        _type(feed, items)
    parsed = [i for i in items if i.parsed is not None]
    if parsed:
        suites = validate_batch([i.parsed for i in parsed], runner)  # type: ignore[misc]
        for item, suite in zip(parsed, suites):
            apply_suite(item.parsed, suite)  # type: ignore[arg-type]
            item.outcome = _outcome(item)
            item.outcome.suite = suite
            held = hold_reason(item.outcome.rows_in, item.outcome.rows_quarantined, suite)
            if held:
                item.outcome.status = "held"
                item.outcome.hold_code, item.outcome.message = held
    _write_batch(con, folder, feed, items)
    for item in items:
        item.parsed = None  # written: free the rows (memory holds one batch at a time)


def ingest_folder(
    folder: str,
    runner: Any | None = None,
    log_fn: Callable[[str], None] | None = None,
) -> FolderResult:
    """Ingest every new file in ``landing/<folder>``; already-known files are skipped.

    Files are read one at a time and written in batches (``BATCH_ROWS``); the reference
    folder, where several accepted names fill one table and the newest file wins, is
    written file by file in order of arrival.
    """
    if runner is None:
        from data_checks.runner import SuiteRunner

        runner = SuiteRunner()
    outcomes: dict[str, FileOutcome] = {}
    order: list[str] = []
    every: list[_Pending] = []
    reference = folder == REFERENCE_FOLDER
    pending: dict[str, list[_Pending]] = {}
    pending_rows: dict[str, int] = {}
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        known = registry.Known.load(con, folder)
        shapefiles = any("shp" in f.formats for f in feeds_in_folder(folder))
        for path in registry.landing_files(folder, sidecars=not shapefiles):
            file = registry.describe(folder, path)
            order.append(file.name)
            if known.skip(file):
                outcomes[file.name] = FileOutcome(file.name, file.content_hash, "skipped",
                                                  table=_table_or_none(folder, file.name))
                continue
            archived = registry.archive(file)
            read = _read_one(folder, file)
            # Refused by its date formats later, a file is still not in effect: the next
            # run reads it again only under a new name (same as any refused file).
            known.add(file, in_effect=not isinstance(read[0], str))
            if isinstance(read[0], str):
                item = _Pending(file, archived, rejection=read)  # type: ignore[arg-type]
                table = "_rejected"
            else:
                feed, raw = read  # type: ignore[misc]
                item = _Pending(file, archived, raw=raw, feed=feed)
                table = feed.table
            every.append(item)
            pending.setdefault(table, []).append(item)
            pending_rows[table] = pending_rows.get(table, 0) + (len(item.raw.rows) if item.raw else 0)
            if not reference and table != "_rejected" and (
                    pending_rows[table] >= BATCH_ROWS or len(pending[table]) >= BATCH_FILES):
                _flush(con, folder, item.feed, pending.pop(table), runner)
                pending_rows[table] = 0
        for feed in feeds_in_folder(folder):
            items = pending.pop(feed.table, [])
            if not items:
                continue
            if reference:
                # Several accepted names fill one table: the file that arrived last wins.
                items.sort(key=lambda i: (i.file.arrived_at, i.file.name))
                for item in items:
                    _flush(con, folder, feed, [item], runner)
            else:
                _flush(con, folder, feed, items, runner)
        rejected = pending.pop("_rejected", [])
        if rejected:
            _write_batch(con, folder, None, rejected)
        still_held = registry.held_files(con, folder)
    for item in every:
        assert item.outcome is not None
        outcomes[item.file.name] = item.outcome
    result = FolderResult(folder, [outcomes[name] for name in order], still_held=still_held)
    _log(result, folder, shapefiles, log_fn)
    return result


#: At most this many files are logged one by one per run; the rest are summed up.
LOGGED_FILES = 50


def _log(result: FolderResult, folder: str, shapefiles: bool, log_fn: Callable[[str], None] | None) -> None:
    """A few log lines per run, not one per file: every refused or held file (up to
    LOGGED_FILES), and one summary line."""
    if log_fn is None:
        return
    if shapefiles:
        for orphan in registry.orphan_sidecars(folder):
            log_fn(f"{folder}/{orphan.name}: del av en shapefil utan .shp bredvid; läses in när .shp-filen kommer")
    notable = [o for o in result.files if o.status in ("rejected", "held")]
    for o in notable[:LOGGED_FILES]:
        log_fn(f"{folder}/{o.file_name}: {o.status} [{o.error_code or o.hold_code}] {o.message}")
    if len(notable) > LOGGED_FILES:
        log_fn(f"{folder}: {len(notable) - LOGGED_FILES} more refused or held files (see raw.file_registry)")
    log_fn(f"{folder}: {result.count('loaded')} loaded, {result.count('held')} held, {result.count('rejected')} "
           f"rejected, {result.count('skipped')} already known; {result.rows_loaded} rows loaded, "
           f"{result.rows_quarantined} quarantined, {sum(f.rows_repeated for f in result.files)} repeats")


def ensure_schema() -> None:
    """Create every raw and bookkeeping table (used by assets and by tests)."""
    with warehouse.connect() as con:
        ensure_raw_schema(con)
