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
    #: The partner's cells of each loaded row (for a row the suite quarantines later).
    cells: list[list[Any]] = field(default_factory=list)

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
            record, counts = quarantine.masked_record(self.raw.header, self.cells[i])
            self.records[numbers[i]] = record
            add_counts(self.quarantine_pii, counts)
            for kind, n in self.row_pii.pop(i, {}).items():
                self.pii[kind] -= n
        keep = [i for i in range(self.table.num_rows) if i not in moved]
        new_position = {old: new for new, old in enumerate(keep)}
        self.table = self.table.take(pa.array(keep, pa.int64()))
        self.cells = [self.cells[i] for i in keep]
        self.row_pii = {new_position[i]: c for i, c in self.row_pii.items()}


# --- the fast path -----------------------------------------------------------------

def _null_string(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def _strings(values: tuple[Any, ...] | list[Any], kind: str) -> tuple[pa.Array, dict[int, Any]]:
    """The text cells as an Arrow string array; other cells (numbers, dates from a
    spreadsheet, JSON values) apart, by position, to be typed one by one."""
    if kind == "csv":
        return pa.array(values, pa.string()), {}
    natives = {i: v for i, v in enumerate(values) if v is not None and type(v) is not str}
    if not natives:
        return pa.array(values, pa.string()), {}
    return pa.array([None if i in natives else v for i, v in enumerate(values)], pa.string()), natives


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


def _date_format(col: Column, text: pa.Array, values: list[Any]) -> str | None:
    """The column's format: one regex pass per format; the exact rules (and messages) of
    ``lib.dates.detect_format`` when anything but a single ISO or compact form is seen."""
    present = {kind for kind, pattern in _DATE_RE2.items()
               if pc.any(pc.match_substring_regex(text, pattern)).as_py()}
    if len(present) == 1 and present != {"slash"}:
        return present.pop()
    if not present:
        return None
    try:
        return dates.detect_format(values, col.header)
    except dates.DateFormatError as exc:
        raise FileRejected(exc.code, str(exc)) from None


def _parse_dates(col: Column, text: pa.Array, fmt: str, arrived: datetime) -> tuple[pa.Array, np.ndarray]:
    """(typed values, accepted) for text dates in the column's format; values not
    accepted (no match, impossible, implausible) are left to the per-cell path."""
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
    earliest = np.datetime64(EARLIEST_PLAUSIBLE, "D")
    ok &= day >= earliest
    if not col.future_ok:
        ok &= stamp <= np.datetime64(arrived + timedelta(days=1), "us")
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


def _per_value(col: Column, text: pa.Array, fmt: str | None, arrived: datetime,
               ) -> tuple[pa.Array, dict[int, RowProblem]]:
    """Feed-specific typing (``Column.parse``), once per distinct value."""
    encoded = text.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    results: list[Any] = []
    failures: dict[int, RowProblem] = {}
    for k, value in enumerate(distinct):
        try:
            results.append(convert_value(col, value, fmt, arrived))
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


def _type_column(col: Column, values: tuple[Any, ...] | list[Any], kind: str, fmt: str | None,
                 arrived: datetime, null_tokens: tuple[str, ...]) -> tuple[pa.Array, dict[int, RowProblem]]:
    """One column typed: (values, {position: problem})."""
    n = len(values)
    raw, natives = _strings(values, kind)
    text = _clean(raw, null_tokens)
    problems: dict[int, RowProblem] = {}
    slow: list[int] = []
    if col.parse is not None:
        typed, problems = _per_value(col, text, fmt, arrived)
    elif col.type == "text":
        typed = text
    elif col.type in ("integer", "bigint", "double"):
        typed, ok = _parse_numbers(col, text)
        slow = np.flatnonzero(~ok & text.is_valid().to_numpy(zero_copy_only=False)).tolist()
    elif col.type in DATE_TYPES and fmt is not None:
        typed, ok = _parse_dates(col, text, fmt, arrived)
        slow = np.flatnonzero(~ok & text.is_valid().to_numpy(zero_copy_only=False)).tolist()
    else:
        typed = pa.nulls(n, ARROW_TYPES[col.type])
        slow = np.flatnonzero(text.is_valid().to_numpy(zero_copy_only=False)).tolist()
    slow_cells = {i: values[i] for i in slow}
    for i, native in natives.items():
        slow_cells[i] = native
    if slow_cells:
        patch: list[Any] = [None] * n
        for i, cell in slow_cells.items():
            cell = None if isinstance(cell, str) and (not cell.strip() or cell.strip().casefold()
                                                       in {t.casefold() for t in null_tokens}) else cell
            try:
                patch[i] = convert_value(col, cell, fmt, arrived)
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


def _fast(feed: Feed, raw: RawTable, arrived: datetime, skip: set[int]) -> tuple[dict[str, pa.Array], list[tuple[int, Problem]]]:
    """Every contract column of the rows not in ``skip`` (structurally broken rows)."""
    rows = [cells for i, (_, cells) in enumerate(raw.rows) if i not in skip] if skip else \
        [cells for _, cells in raw.rows]
    numbers = [rn for i, (rn, _) in enumerate(raw.rows) if i not in skip] if skip else \
        [rn for rn, _ in raw.rows]
    index = [i for i in range(len(raw.rows)) if i not in skip] if skip else None
    n = len(rows)
    transposed = list(zip_longest(*rows)) if rows else []
    positions = raw.match.positions
    formats: dict[str, str | None] = {}
    columns: dict[str, pa.Array] = {}
    found: list[tuple[int, Problem]] = []
    for col in feed.file_columns:
        pos = positions.get(col.name)
        values = transposed[pos] if pos is not None and pos < len(transposed) else (None,) * n
        fmt = None
        if col.type in DATE_TYPES and col.parse is None:
            text = _clean(_strings(values, raw.kind)[0], feed.null_tokens)
            fmt = formats[col.name] = _date_format(col, text, [v for v in values if isinstance(v, str)])
        typed, problems = _type_column(col, values, raw.kind, fmt, arrived, feed.null_tokens)
        if not col.nullable:
            missing = np.flatnonzero(typed.is_null().to_numpy(zero_copy_only=False)).tolist()
            for i in missing:
                if i not in problems:
                    problems[i] = RowProblem("missing_value", "värde saknas")
        for i, exc in problems.items():
            found.append((index[i] if index else i, Problem(numbers[i], col.header, exc.code, exc.message)))
        columns[col.name] = typed
    if index is not None:
        # Back to every row of the file: the skipped rows are NULL (they are quarantined).
        full = np.full(len(raw.rows), -1, dtype=np.int64)
        full[index] = np.arange(n)
        take = pa.array(full, mask=full < 0)
        columns = {name: arr.take(take) for name, arr in columns.items()}
    return columns, found


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

def type_file(feed: Feed, raw: RawTable, arrived: datetime) -> TypedFile:
    """Type, screen and split one file's rows. Raises FileRejected (a date format that
    cannot be decided for a column)."""
    problems: list[tuple[int, Problem]] = []
    skip: set[int] = set()
    index_of = {row_number: i for i, (row_number, _) in enumerate(raw.rows)} if raw.problems else {}
    for row_number, found in raw.problems.items():
        skip.add(index_of[row_number])
        problems.extend((index_of[row_number], Problem(row_number, None, code, message)) for code, message in found)
    for i, (row_number, cells) in enumerate(raw.rows):
        if is_not_a_record(cells):
            skip.add(i)
            problems.append((i, Problem(row_number, None, "invalid_record", "posten är inget JSON-objekt")))
    by_row = feed.row_hook is not None or raw.kind in ("json", "geojson", "gpkg", "shp", "zip")
    columns, typed_problems = (_per_row if by_row else _fast)(feed, raw, arrived, skip)
    problems.extend(typed_problems)
    problems.sort(key=lambda item: item[0])  # file order; a row's problems in column order
    bad = {i for i, _ in problems}
    good = [i for i in range(len(raw.rows)) if i not in bad]
    take = pa.array(good, pa.int64())
    numbers = pa.array([raw.rows[i][0] for i in good], pa.int32())
    arrays: dict[str, pa.Array] = {}
    for col in feed.table_columns:
        arrays[col.name] = columns[col.name].take(take) if bad else columns[col.name]
    for name in feed.record_key:
        arrays[KEY_PREFIX + name] = arrays[name]
    typed = TypedFile(feed, raw, pa.table({}), [p for _, p in problems], {}, len(raw.rows))
    typed.cells = [raw.rows[i][1] for i in good]
    for col in feed.table_columns:
        if col.type != "text" or not col.screened:
            continue
        masked, changed = mask_array(arrays[col.name])
        arrays[col.name] = masked
        for pos, counts in changed.items():
            add_counts(typed.pii, counts)
            add_counts(typed.row_pii.setdefault(pos, zero_pii()), counts)
    arrays["_row_number"] = numbers
    typed.table = pa.table(arrays)
    for i in sorted(bad):
        row_number, cells = raw.rows[i]
        record, counts = quarantine.masked_record(raw.header, cells)
        typed.records[row_number] = record
        add_counts(typed.quarantine_pii, counts)
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
