"""The shape of a feed contract, shared by every feed module.

A feed is declared as data (its columns, their types and aliases, which are free text)
so that the reader, the raw table DDL, the great-expectations suite and the partner
documentation all come from one place and cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

#: Raw column types and their DuckDB names.
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
}

PROVENANCE_COLUMNS = (
    ("_file_name", "VARCHAR"),
    ("_content_hash", "VARCHAR"),
    ("_row_number", "INTEGER"),
    ("_loaded_at", "TIMESTAMP"),
    ("_record_key", "VARCHAR"),
)


class FileRejected(Exception):
    """The file cannot be read at all; ``message`` is written for the partner."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RowProblem(Exception):
    """One value of one row is unusable: the row goes to quarantine."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Column:
    """One raw column. ``header`` is the partner's canonical heading."""

    name: str
    header: str
    type: str = "text"
    #: The heading must be in the file (else the file is refused).
    required: bool = True
    #: A blank value is allowed (else the row is quarantined as missing_value).
    nullable: bool = False
    aliases: tuple[str, ...] = ()
    #: Free text where partners write comments: screened for personal data like every text
    #: column, and called out as free text in the partner documentation.
    masked: bool = False
    #: Screened for personal data before it is written (every text column but geometry).
    screened: bool = True
    #: Dates that may lie in the future (planned end of an intervention).
    future_ok: bool = False
    #: Feed-specific typing of the cell text, replacing the generic one for this
    #: column (raise RowProblem to refuse the value).
    parse: Callable[[str], Any] | None = None
    #: Filled by the feed's row hook, never read from the file.
    derived: bool = False
    #: Read from the file but not stored (the row hook turns it into other columns).
    in_table: bool = True
    #: For the partner documentation.
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Feed:
    """A landing sub-folder and the raw table it fills."""

    name: str
    table: str
    columns: tuple[Column, ...]
    #: Accepted file kinds: csv, xlsx, json, geojson, gpkg, shp, zip (a zipped shapefile).
    formats: tuple[str, ...]
    #: Expected CSV delimiter (others are accepted when the headings match).
    delimiter: str = ";"
    #: Encodings tried in order for text files.
    encodings: tuple[str, ...] = ("utf-8",)
    #: Cell values meaning "no value" besides blank.
    null_tokens: tuple[str, ...] = ()
    #: Columns whose date places a row in a week (first non-blank wins), for the
    #: ``weeks_touched`` metadata that lets late files re-run their weeks.
    event_date: tuple[str, ...] = ()
    #: Only these file names belong to the feed (reference data: one table, one or more
    #: accepted names, e.g. ``areas.geojson`` or ``areas.gpkg``). The first is the
    #: documented default. A newer file under any of them replaces the table's rows.
    file_names: tuple[str, ...] = ()
    #: The landing sub-folder when several feeds share one (reference data).
    folder: str | None = None
    #: Feed-specific typing of a row after the generic pass: may fill derived columns,
    #: raise RowProblem. Receives the typed row, the raw cells by column name and the
    #: file's arrival time.
    row_hook: Callable[[dict[str, Any], dict[str, Any], datetime], None] | None = None
    #: Coordinate pairs to check: (north/lat column, east/lon column, system).
    coordinates: tuple[tuple[str, str, str], ...] = ()
    #: The record's identity across deliveries: the partner's own id where there is one,
    #: otherwise the columns that make a record (a content key). A row whose key was
    #: already delivered (in another file under any name or encoding, or earlier in the same
    #: file) is a repeat: it is loaded, counted in the registry's ``rows_repeated``, and dbt
    #: keeps only the latest delivery of each key, so a re-export never counts a record
    #: twice and a corrected record supersedes the old one. Stored as ``_record_key``, an
    #: md5 of the key's values as they came (before masking, trimmed, case and inner
    #: whitespace ignored for text).
    record_key: tuple[str, ...] = ()
    #: Partner-facing sentence on what identifies a record (documentation).
    record_key_sv: str = ""
    title_sv: str = ""
    partner_sv: str = ""
    notes_sv: tuple[str, ...] = field(default_factory=tuple)

    @property
    def file_name(self) -> str | None:
        """The documented default file name (reference data), else None."""
        return self.file_names[0] if self.file_names else None

    @property
    def landing_folder(self) -> str:
        return self.folder or self.name

    @property
    def file_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.derived)

    @property
    def table_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.in_table)
