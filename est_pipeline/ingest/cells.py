"""Typing a file's cells column by column, with Python only where a message is needed.

A file arrives as rows of cells (``readers.RawTable``). Here every contract column is
typed at once with pyarrow compute (RE2 regexes, casts, numpy date arithmetic): blank and
``NA`` become NULL, dates follow the column's format decided for the whole file, numbers
accept decimal commas, feed-specific values (ISO weeks, partners, crime codes) are typed
once per distinct value. A value the fast path does not accept as plainly valid goes
through ``convert.convert_value`` one by one, which either types it (an odd but valid
form) or raises the Swedish ``RowProblem`` for the partner, so the rules and messages are
exactly those of the per-cell code, at the speed of the vectorised one.

Then every text column is screened for personal data (``lib.pii.mask_array``), the record
identity is kept from the values as they came (before masking), and the rows with a
problem become quarantine records (JSON of the partner's cells, masked).

Feeds with a row hook (the police events API) and boundary files (GeoJSON, GeoPackage,
Shapefile) are typed row by row: they are small, and their cells are structured.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import zip_longest
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from est_pipeline.ingest import quarantine
from est_pipeline.ingest.convert import DATE_TYPES, convert_value, detect_date_formats
from est_pipeline.ingest.quarantine import Problem
from est_pipeline.ingest.readers import RawTable, is_not_a_record
from est_pipeline.ingest.spec import Column, Feed, FileRejected, RowProblem
from est_pipeline.lib import dates
from est_pipeline.lib.dates import EARLIEST_PLAUSIBLE, week_monday
from est_pipeline.lib.pii import PLACEHOLDERS, add_counts, mask_array
from est_pipeline.settings import get_settings

ARROW_TYPES = {
    "text": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
}

#: Prefix of the columns that carry the record identity's values as they came (unmasked)
#: to the insert, where they become ``_record_key``; they are never stored.
KEY_PREFIX = "_key_"

_TIME = r"(?:[ T](?P<H>[0-9]{1,2})[:.](?P<M>[0-9]{2})(?:[:.](?P<S>[0-9]{2})(?:\.[0-9]+)?)?)?"
_DATE_RE2 = {
    "iso": rf"^(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_TIME}$",
    "slash": rf"^(?P<a>[0-9]{{1,2}})[/.](?P<b>[0-9]{{1,2}})[/.](?P<y>[0-9]{{4}}){_TIME}$",
    "compact": r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"
               r"(?:[ T]?(?P<H>[0-9]{2})[:.]?(?P<M>[0-9]{2})(?:[:.]?(?P<S>[0-9]{2}))?)?$",
}
_DECIMAL = r"^[+-]?[0-9]+(?:[.,][0-9]+)?$"
_INTEGER = r"^[+-]?[0-9]+$"
_INT32 = 2**31 - 1


def zero_pii() -> dict[str, int]:
    return {kind: 0 for kind in PLACEHOLDERS}


@dataclass
class TypedFile:
    """A file's rows after typing: what loads, what goes to quarantine, and why."""

    feed: Feed
    raw: RawTable
    #: The rows that load: the table's columns (typed, masked), the record identity's
    #: values as they came (``_key_<column>``) and ``_row_number``.
    table: pa.Table
    problems: list[Problem]
    #: Quarantine records: row number -> the row as masked JSON.
    records: dict[int, str]
    rows_in: int
    #: Personal data masked in the loaded rows, per kind; per table row where any was.
    pii: dict[str, int] = field(default_factory=zero_pii)
    row_pii: dict[int, dict[str, int]] = field(default_factory=dict)
    quarantine_pii: dict[str, int] = field(default_factory=zero_pii)
    #: Which rows of ``raw`` the table holds (for a row the suite quarantines later).
    raw_index: list[int] = field(default_factory=list)

    @property
    def cells(self) -> list[list[Any]]:
        """The partner's cells of each loaded row."""
        return [self.raw.rows[i][1] for i in self.raw_index]

    @property
    def rows(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.feed.table_columns]
        return self.table.select(names).to_pylist()

    @property
    def row_numbers(self) -> list[int]:
        return self.table.column("_row_number").to_pylist()

    def quarantine_rows(self, positions: list[int], problems: list[Problem]) -> None:
        """Move loaded rows (table positions) to quarantine, with their problems."""
        if not positions:
            return
        self.problems.extend(problems)
        moved = set(positions)
        numbers = self.row_numbers
        for i in sorted(moved):
            record, counts = quarantine.masked_record(self.raw.header, self.raw.rows[self.raw_index[i]][1])
            self.records[numbers[i]] = record
            add_counts(self.quarantine_pii, counts)
            for kind, n in self.row_pii.pop(i, {}).items():
                self.pii[kind] -= n
        keep = [i for i in range(self.table.num_rows) if i not in moved]
        new_position = {old: new for new, old in enumerate(keep)}
        self.table = self.table.take(pa.array(keep, pa.int64()))
        self.raw_index = [self.raw_index[i] for i in keep]
        self.row_pii = {new_position[i]: c for i, c in self.row_pii.items()}


# --- the fast path -----------------------------------------------------------------

def _null_string(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _strings(values: list[Any], spans: list[tuple[int, int]] | str) -> tuple[pa.Array, dict[int, Any]]:
    """The text cells as an Arrow string array; other cells (numbers, dates from a
    spreadsheet, JSON values) apart, by position, to be typed one by one. ``spans``: the
    (start, stop) ranges of ``values`` that may hold such cells (not CSV), or "csv"."""
    if spans == "csv":
        return pa.array(values, pa.string()), {}
    ranges = [(0, len(values))] if isinstance(spans, str) else spans
    natives = {i: values[i] for start, stop in ranges for i in range(start, stop)
               if values[i] is not None and type(values[i]) is not str}
    if not natives:
        return pa.array(values, pa.string()), {}
    values = list(values)
    for i in natives:
        values[i] = None
    return pa.array(values, pa.string()), natives


def _clean(arr: pa.Array, null_tokens: tuple[str, ...]) -> pa.Array:
    """Trim, and blank or a null token (``NA``) -> NULL."""
    t = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(t, "")
    if null_tokens:
        blank = pc.or_(blank, pc.is_in(pc.utf8_lower(t), value_set=pa.array([x.casefold() for x in null_tokens])))
    return pc.if_else(blank, _null_string(len(t)), t)


def _ints(struct: pa.StructArray, name: str, default: int = 0) -> np.ndarray:
    text = pc.struct_field(struct, name)  # "" where an optional group did not take part
    text = pc.if_else(pc.equal(text, ""), _null_string(len(text)), text)
    values = pc.cast(text, pa.int32(), safe=False)
    return values.fill_null(default).to_numpy(zero_copy_only=False).astype(np.int64)


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    month_start = (y - 1970) * 12 + (m - 1)
    first = month_start.astype("datetime64[M]").astype("datetime64[D]")
    following = (month_start + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (following - first).astype(np.int64)


def _date_formats(col: Column, text: pa.Array, file_of_row: np.ndarray, files: int,
                  values_of: Any) -> tuple[list[str | None], dict[int, FileRejected]]:
    """Each file's format for the column: one regex pass per format over the whole batch,
    counted per file; the exact rules (and messages) of ``lib.dates.detect_format`` for a
    file where anything but a single ISO or compact form is seen."""
    present = {}
    for kind, pattern in _DATE_RE2.items():
        hits = pc.match_substring_regex(text, pattern).fill_null(False).to_numpy(zero_copy_only=False)
        present[kind] = np.bincount(file_of_row, weights=hits, minlength=files) > 0
    formats: list[str | None] = []
    refused: dict[int, FileRejected] = {}
    for f in range(files):
        kinds = {kind for kind in present if present[kind][f]}
        if len(kinds) == 1 and kinds != {"slash"}:
            formats.append(kinds.pop())
        elif not kinds:
            formats.append(None)
        else:
            try:
                formats.append(dates.detect_format(values_of(f), col.header))
            except dates.DateFormatError as exc:
                refused[f] = FileRejected(exc.code, str(exc))
                formats.append(None)
    return formats, refused


def _parse_dates(col: Column, text: pa.Array, fmt: str, latest: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """(typed values, accepted) for text dates in one format; values not accepted (no
    match, impossible, implausible: before 2000 or after ``latest``, per row) are left to
    the per-cell path."""
    pattern = _DATE_RE2["slash" if fmt in ("dmy", "mdy") else fmt]
    found = pc.extract_regex(text, pattern)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    if fmt in ("dmy", "mdy"):
        a, b = _ints(found, "a"), _ints(found, "b")
        d, m = (a, b) if fmt == "dmy" else (b, a)
    else:
        m, d = _ints(found, "m"), _ints(found, "d")
    y = _ints(found, "y", 2000)
    hh, mi, ss = _ints(found, "H"), _ints(found, "M"), _ints(found, "S")
    ok = matched & (m >= 1) & (m <= 12) & (d >= 1) & (hh <= 23) & (mi <= 59) & (ss <= 59)
    m_safe, y_safe = np.where(ok, m, 1), np.where(ok, y, 2000)
    ok &= d <= _days_in_month(y_safe, m_safe)
    day = (((y_safe - 1970) * 12 + (m_safe - 1)).astype("datetime64[M]").astype("datetime64[D]")
           + np.where(ok, d - 1, 0).astype("timedelta64[D]"))
    stamp = (day.astype("datetime64[us]") + (hh * 3600 + mi * 60 + ss).astype("timedelta64[s]"))
    ok &= day >= np.datetime64(EARLIEST_PLAUSIBLE, "D")
    if not col.future_ok:
        ok &= stamp <= latest
    if col.type == "date":
        return pa.array(day, pa.date32(), mask=~ok), ok
    return pa.array(stamp, pa.timestamp("us"), mask=~ok), ok


def _parse_numbers(col: Column, text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    text = pc.replace_substring_regex(text, r"^\+", "")
    if col.type == "double":
        ok = pc.match_substring_regex(text, _DECIMAL).fill_null(False)
        values = pc.cast(pc.replace_substring(pc.if_else(ok, text, _null_string(len(text))), ",", "."), pa.float64())
        return values, ok.to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(text, _INTEGER).fill_null(False)
    values = pc.cast(pc.if_else(ok, text, _null_string(len(text))), pa.int64())
    small = pc.less_equal(pc.abs(values), _INT32).fill_null(False)
    accepted = pc.and_(ok, small).to_numpy(zero_copy_only=False)
    return pc.cast(pc.if_else(small, values, pa.nulls(len(values), pa.int64())), ARROW_TYPES[col.type], safe=False), accepted


def _per_value(col: Column, text: pa.Array) -> tuple[pa.Array, dict[int, RowProblem]]:
    """Feed-specific typing (``Column.parse``), once per distinct value."""
    encoded = text.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    results: list[Any] = []
    failures: dict[int, RowProblem] = {}
    for k, value in enumerate(distinct):
        try:
            results.append(convert_value(col, value, None, datetime.max))
        except RowProblem as exc:
            failures[k] = exc
            results.append(None)
    typed = pc.take(pa.array(results, ARROW_TYPES[col.type]), encoded.indices)
    if not failures:
        return typed, {}
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    bad = {i: failures[int(k)] for i, k in enumerate(indices) if valid[i] and int(k) in failures}
    return typed, bad


@dataclass
class _Batch:
    """The rows of several files of one feed, column by column."""

    files: int
    file_of_row: np.ndarray
    #: Per file: the latest plausible time (arrival + a day), as numpy microseconds.
    latest: np.ndarray
    arrived: list[datetime]
    #: "csv" when every file is a CSV file, else the row ranges of the other files.
    spans: list[tuple[int, int]] | str
    null_tokens: tuple[str, ...]


def _type_column(col: Column, values: list[Any], batch: _Batch, formats: list[str | None] | None,
                 ) -> tuple[pa.Array, dict[int, RowProblem]]:
    """One column of a batch typed: (values, {row: problem})."""
    n = len(values)
    raw, natives = _strings(values, batch.spans)
    text = _clean(raw, batch.null_tokens)
    problems: dict[int, RowProblem] = {}
    slow: list[int] = []
    valid = text.is_valid().to_numpy(zero_copy_only=False)
    if col.parse is not None:
        typed, problems = _per_value(col, text)
    elif col.type == "text":
        typed = text
    elif col.type in ("integer", "bigint", "double"):
        typed, ok = _parse_numbers(col, text)
        slow = np.flatnonzero(~ok & valid).tolist()
    elif col.type in DATE_TYPES and formats is not None and any(formats):
        typed = pa.nulls(n, ARROW_TYPES[col.type])
        fmt_of_row = np.array([formats[f] or "" for f in range(batch.files)], dtype=object)[batch.file_of_row] \
            if batch.files > 1 else np.full(n, formats[0] or "", dtype=object)
        accepted = np.zeros(n, dtype=bool)
        for fmt in sorted({f for f in formats if f}):
            rows = np.flatnonzero(fmt_of_row == fmt)
            if not len(rows):
                continue
            take = pa.array(rows, pa.int64())
            part, ok = _parse_dates(col, text.take(take), fmt, batch.latest[batch.file_of_row[rows]])
            accepted[rows] = ok
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            full = np.full(n, -1, dtype=np.int64)
            full[rows] = np.arange(len(rows))
            placed = part.take(pa.array(full, mask=full < 0))
            typed = pc.if_else(pa.array(mask), placed, typed)
        slow = np.flatnonzero(~accepted & valid).tolist()
    else:
        typed = pa.nulls(n, ARROW_TYPES[col.type])
        slow = np.flatnonzero(valid).tolist()
    slow_cells = {i: values[i] for i in slow}
    for i, native in natives.items():
        slow_cells[i] = native
    if slow_cells:
        nulls = {t.casefold() for t in batch.null_tokens}
        patch: list[Any] = [None] * n
        for i, cell in slow_cells.items():
            if isinstance(cell, str) and (not cell.strip() or cell.strip().casefold() in nulls):
                cell = None
            f = int(batch.file_of_row[i])
            try:
                patch[i] = convert_value(col, cell, formats[f] if formats else None, batch.arrived[f])
            except RowProblem as exc:
                problems[i] = exc
        if col.type == "integer":
            for i, v in enumerate(patch):
                if isinstance(v, int) and abs(v) > _INT32:
                    patch[i] = None
                    problems[i] = RowProblem("invalid_number", f"talet {v} är för stort")
        if col.type == "timestamptz":
            patch = [v.astimezone(timezone.utc) if isinstance(v, datetime) and v.tzinfo else v for v in patch]
        mask = np.zeros(n, dtype=bool)
        mask[list(slow_cells)] = True
        typed = pc.if_else(pa.array(mask), pa.array(patch, ARROW_TYPES[col.type]), typed.cast(ARROW_TYPES[col.type]))
    return typed.cast(ARROW_TYPES[col.type]), problems


def _fast(feed: Feed, parts: list[tuple[RawTable, datetime, set[int]]],
          ) -> tuple[dict[str, pa.Array], list[list[tuple[int, Problem]]], dict[int, FileRejected]]:
    """Every contract column of a batch of files (rows in ``skip`` left out: they are
    structurally broken and quarantined). Returns the columns over the batch's kept rows
    (file after file), each file's problems (by the file's row index) and the files whose
    date format cannot be decided (refused whole)."""
    kept: list[list[int]] = []
    transposed: list[list[tuple[Any, ...]]] = []
    for raw, _, skip in parts:
        index = [i for i in range(len(raw.rows)) if i not in skip] if skip else list(range(len(raw.rows)))
        rows = [raw.rows[i][1] for i in index] if skip else [cells for _, cells in raw.rows]
        kept.append(index)
        transposed.append(list(zip_longest(*rows)) if rows else [])
    counts = [len(k) for k in kept]
    files = len(parts)
    file_of_row = np.repeat(np.arange(files), counts)
    latest = np.array([np.datetime64(arrived + timedelta(days=1), "us") for _, arrived, _ in parts])
    starts = np.concatenate([[0], np.cumsum(counts)])
    spans: list[tuple[int, int]] | str = "csv" if all(raw.kind == "csv" for raw, _, _ in parts) else [
        (int(starts[f]), int(starts[f + 1])) for f, (raw, _, _) in enumerate(parts) if raw.kind != "csv"]
    batch = _Batch(files, file_of_row, latest, [a for _, a, _ in parts], spans, feed.null_tokens)

    def values_for(col: Column) -> list[Any]:
        values: list[Any] = []
        for f, (raw, _, _) in enumerate(parts):
            pos = raw.match.positions.get(col.name)
            t = transposed[f]
            values.extend(t[pos] if pos is not None and pos < len(t) else (None,) * counts[f])
        return values

    columns: dict[str, pa.Array] = {}
    found: list[list[tuple[int, Problem]]] = [[] for _ in parts]
    refused: dict[int, FileRejected] = {}
    numbers = [raw.rows[i][0] for (raw, _, _), index in zip(parts, kept) for i in index]
    for col in feed.file_columns:
        values = values_for(col)
        formats = None
        if col.type in DATE_TYPES and col.parse is None:
            text = _clean(_strings(values, batch.spans)[0], feed.null_tokens)
            formats, refused_here = _date_formats(
                col, text, file_of_row, files,
                lambda f: [v for v in values[starts[f]:starts[f + 1]] if isinstance(v, str)])
            for f, exc in refused_here.items():
                refused.setdefault(f, exc)
        typed, problems = _type_column(col, values, batch, formats)
        if not col.nullable:
            for i in np.flatnonzero(typed.is_null().to_numpy(zero_copy_only=False)).tolist():
                problems.setdefault(i, RowProblem("missing_value", "värde saknas"))
        for i, exc in problems.items():
            f = int(file_of_row[i])
            found[f].append((kept[f][i - starts[f]], Problem(numbers[i], col.header, exc.code, exc.message)))
        columns[col.name] = typed
    return columns, found, refused


# --- the per-row path (row hooks, boundary files) --------------------------------------

def _per_row(feed: Feed, raw: RawTable, arrived: datetime, skip: set[int]) -> tuple[dict[str, pa.Array], list[tuple[int, Problem]]]:
    positions = raw.match.positions
    formats = detect_date_formats(feed, positions, raw.rows)
    nulls = {t.casefold() for t in feed.null_tokens}
    rows: list[dict[str, Any] | None] = []
    found: list[tuple[int, Problem]] = []
    for index, (row_number, cells) in enumerate(raw.rows):
        if index in skip:
            rows.append(None)
            continue
        problems: list[Problem] = []
        row: dict[str, Any] = {}
        by_name: dict[str, Any] = {}
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
        found.extend((index, p) for p in problems)
        for name in [c.name for c in feed.columns if c.type == "timestamptz"]:
            if isinstance(row.get(name), datetime) and row[name].tzinfo is not None:
                row[name] = row[name].astimezone(timezone.utc)
        rows.append(None if problems else row)
    columns = {
        c.name: pa.array([r.get(c.name) if r is not None else None for r in rows], ARROW_TYPES[c.type])
        for c in feed.table_columns
    }
    return columns, found


# --- the common tail --------------------------------------------------------------------

def _structural(raw: RawTable) -> tuple[set[int], list[tuple[int, Problem]]]:
    """Rows the reader found broken (and JSON entries that are no objects)."""
    problems: list[tuple[int, Problem]] = []
    skip: set[int] = set()
    index_of = {row_number: i for i, (row_number, _) in enumerate(raw.rows)} if raw.problems else {}
    for row_number, found in raw.problems.items():
        skip.add(index_of[row_number])
        problems.extend((index_of[row_number], Problem(row_number, None, code, message)) for code, message in found)
    if raw.kind == "json":
        for i, (row_number, cells) in enumerate(raw.rows):
            if is_not_a_record(cells):
                skip.add(i)
                problems.append((i, Problem(row_number, None, "invalid_record", "posten är inget JSON-objekt")))
    return skip, problems


def type_batch(feed: Feed, files: list[tuple[RawTable, datetime]]) -> list[TypedFile | FileRejected]:
    """Type, screen and split the rows of several files of one feed at once: the vectorised
    work runs once per batch, not once per file. Each file gets its TypedFile, or the
    FileRejected of a date format that cannot be decided for one of its columns."""
    out: list[TypedFile | FileRejected | None] = [None] * len(files)
    structural = [_structural(raw) for raw, _ in files]
    by_row = feed.row_hook is not None or any(raw.kind in ("json", "geojson", "gpkg", "shp", "zip")
                                              for raw, _ in files)
    live = list(range(len(files)))
    while True:
        parts = [(files[f][0], files[f][1], structural[f][0]) for f in live]
        if by_row:
            per = [_per_row(feed, raw, arrived, skip) for raw, arrived, skip in parts]
            columns = {c.name: pa.concat_arrays([p[0][c.name] for p in per]) if per else pa.nulls(0, ARROW_TYPES[c.type])
                       for c in feed.table_columns}
            found = [p[1] for p in per]
            refused: dict[int, FileRejected] = {}
            lengths = [len(raw.rows) for raw, _, _ in parts]
            full = True
        else:
            columns, found, refused = _fast(feed, parts)
            lengths = [len(raw.rows) - len(skip) for raw, _, skip in parts]
            full = False
        if not refused:
            break
        for k, exc in refused.items():
            out[live[k]] = exc
        live = [f for k, f in enumerate(live) if k not in refused]
    if not live:
        return out  # type: ignore[return-value]
    # Rows of the batch in order; in the fast path skipped rows are not in ``columns``.
    good = np.ones(sum(lengths), dtype=bool)
    start = 0
    row_index: list[np.ndarray] = []
    for k, f in enumerate(live):
        raw, skip = files[f][0], structural[f][0]
        index = np.arange(len(raw.rows)) if full else np.array(
            [i for i in range(len(raw.rows)) if i not in skip], dtype=np.int64)
        if full and skip:
            good[start + np.array(sorted(skip), dtype=np.int64)] = False
        bad_here = {i for i, _ in found[k]}
        if bad_here:
            position = {int(i): start + j for j, i in enumerate(index)}
            good[[position[i] for i in bad_here if i in position]] = False
        row_index.append(index)
        start += lengths[k]
    keep = pa.array(np.flatnonzero(good), pa.int64())
    arrays = {c.name: columns[c.name].take(keep) for c in feed.table_columns}
    for name in feed.record_key:
        arrays[KEY_PREFIX + name] = arrays[name]
    changed_all: dict[int, dict[str, int]] = {}
    for col in feed.table_columns:
        if col.type != "text" or not col.screened:
            continue
        arrays[col.name], changed = mask_array(arrays[col.name])
        for pos, counts in changed.items():
            add_counts(changed_all.setdefault(pos, zero_pii()), counts)
    numbers = np.concatenate([np.array([files[f][0].rows[i][0] for i in idx], dtype=np.int32)
                              for f, idx in zip(live, row_index)]) if live else np.array([], np.int32)
    arrays["_row_number"] = pa.array(numbers[good], pa.int32())
    table = pa.table(arrays)
    start = 0
    first = 0
    for k, f in enumerate(live):
        raw, arrived = files[f]
        n_good = int(good[start:start + lengths[k]].sum())
        problems = sorted(structural[f][1] + found[k], key=lambda item: item[0])
        typed = TypedFile(feed, raw, table.slice(first, n_good), [p for _, p in problems], {}, len(raw.rows))
        typed.raw_index = row_index[k][good[start:start + lengths[k]]].tolist()
        for pos in range(first, first + n_good):
            if pos in changed_all:
                typed.row_pii[pos - first] = changed_all[pos]
                add_counts(typed.pii, changed_all[pos])
        for i in sorted({i for i, _ in problems}):
            row_number, cells = raw.rows[i]
            record, counts = quarantine.masked_record(raw.header, cells)
            typed.records[row_number] = record
            add_counts(typed.quarantine_pii, counts)
        out[f] = typed
        start += lengths[k]
        first += n_good
    return out  # type: ignore[return-value]


def type_file(feed: Feed, raw: RawTable, arrived: datetime) -> TypedFile:
    """Type, screen and split one file's rows. Raises FileRejected (a date format that
    cannot be decided for a column)."""
    [typed] = type_batch(feed, [(raw, arrived)])
    if isinstance(typed, FileRejected):
        raise typed
    return typed


def weeks_of(feed: Feed, table: pa.Table) -> set[date]:
    """The Mondays of the weeks the rows belong to (first non-blank event date)."""
    if not feed.event_date or table.num_rows == 0:
        return set()
    first = feed.event_date[0]
    if pa.types.is_string(table.schema.field(first).type):  # an ISO week label (checklist)
        weeks = set()
        for label in pc.unique(table.column(first)).to_pylist():
            if label:
                year, week = label.split("-W")
                weeks.add(date.fromisocalendar(int(year), int(week), 1))
        return weeks
    days = None
    for name in feed.event_date:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            if column.type.tz is not None:  # the week in the pipeline's time zone
                column = pc.local_timestamp(column.cast(pa.timestamp("us", tz=get_settings().timezone)))
            column = pc.cast(column, pa.date32())
        days = column if days is None else pc.coalesce(days, column)
    return {week_monday(d) for d in pc.unique(days).to_pylist() if d is not None}


def reason_counts(problems: list[Problem]) -> dict[str, int]:
    return dict(Counter(p.reason_code for p in problems))
