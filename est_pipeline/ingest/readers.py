"""Turning a partner file into a heading row and numbered rows of cells.

Readers know file formats, not feeds: encodings, delimiters, spreadsheets with title
rows, JSON arrays. Anything that makes the whole file unreadable raises ``FileRejected``
with a message a partner can act on; anything wrong with one row is left for later.
Row numbers are what the partner sees in a spreadsheet (heading = row 1, or the row
below a title), so a quarantine message can be found in the partner's own file; in
GeoJSON, GeoPackage and Shapefile they are the feature's position (1 = the first).
Boundary files are read with pyogrio/pyproj (``gis``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from est_pipeline.ingest.gis import SWEREF99TM, GeometryCell, SourceCrs, infer_crs, read_ogr, resolve_crs
from est_pipeline.ingest.headers import HeaderMatch, match_header, missing_columns_message, restore_truncated
from est_pipeline.ingest.spec import Feed, FileRejected

#: Delimiters a partner export may use, and their names in messages.
DELIMITER_NAMES = {";": "semikolon (;)", ",": "komma (,)", "\t": "tabb", "|": "lodstreck (|)"}
#: How far down a spreadsheet the heading row is looked for (title rows above it).
HEADER_SEARCH_ROWS = 10


#: A cell longer than this is refused: it is Excel's own limit for one cell, so a longer
#: field is almost always a quote that was never closed and swallowed the lines after it.
MAX_FIELD_CHARS = 32_767


@dataclass
class RawTable:
    header: list[Any]
    match: HeaderMatch
    #: (row number as the partner sees it, cells)
    rows: list[tuple[int, list[Any]]]
    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Problems the reader found in single rows (row number -> [(code, message)]): a wrong
    #: number of fields, a quote that never closes, a cut last line, NUL bytes, a cell too
    #: large. Those rows are quarantined; the rest of the file loads.
    problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def add_problem(self, row_number: int, code: str, message: str) -> None:
        self.problems.setdefault(row_number, []).append((code, message))


def file_kind(path: Path, head: bytes) -> str:
    """The format, from the content where it is unambiguous and the name otherwise."""
    suffix = path.suffix.lower()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            "not_a_spreadsheet",
            "filen är en äldre Excel-fil (.xls); spara den som Excel-arbetsbok (.xlsx) eller CSV",
        )
    if suffix in (".xlsx", ".xlsm"):
        if not head.startswith(b"PK"):
            raise FileRejected(
                "not_a_spreadsheet",
                "filen heter .xlsx men är inget Excel-kalkylblad; spara den från Excel som "
                "Excel-arbetsbok (.xlsx) eller skicka den som CSV med filändelsen .csv",
            )
        return "xlsx"
    if suffix == ".geojson":
        return "geojson"
    if suffix == ".gpkg":
        if not head.startswith(b"SQLite format 3"):
            raise FileRejected("unparseable_file", "filen heter .gpkg men är ingen GeoPackage; exportera den igen från GIS")
        return "gpkg"
    if suffix == ".shp":
        if not head.startswith(b"\x00\x00\x27\x0a"):
            raise FileRejected("unparseable_file", "filen heter .shp men är ingen shapefil; exportera den igen från GIS")
        return "shp"
    if suffix == ".zip":
        if not head.startswith(b"PK"):
            raise FileRejected("unparseable_file", "filen heter .zip men är inget zip-arkiv")
        return "zip"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".txt"):
        if head.startswith(b"PK"):
            return "xlsx"  # an Excel file saved with the wrong extension reads fine
        return "csv"
    raise FileRejected(
        "unsupported_file_type",
        f"filtypen '{path.suffix or '(ingen)'}' tas inte emot; skicka CSV (.csv), "
        f"Excel (.xlsx), JSON eller (för områden och platser) GeoJSON, GeoPackage eller shapefil "
        f"enligt flödets beskrivning",
    )


#: UTF-8's byte order mark, which Excel writes at the start of 'CSV UTF-8'.
_BOM = b"\xef\xbb\xbf"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_like_utf16(head: bytes) -> bool:
    """Text saved as UTF-16 without a byte order mark: every other byte is NUL."""
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return max(even.count(0) / len(even), odd.count(0) / max(len(odd), 1)) > 0.4


def decode(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """Decode text: (text, encoding, notes for the registry).

    UTF-16 and binary data are refused with a message that says so. A few NUL bytes in
    an otherwise readable text (a damaged transfer) are not: the rows holding them are
    quarantined by the reader. A UTF-8 byte order mark in front of a Windows-1252 body
    (an editor that added one) is read as Windows-1252 where the feed allows it, with a
    note, instead of showing the partner a heading like 'ï»¿Datum'.
    """
    head = data[:4096]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head):
        raise FileRejected(
            "unknown_encoding",
            "filen är sparad som UTF-16 ('Unicode-text'); spara den som CSV UTF-8 (i Excel: "
            "'CSV UTF-8 (kommaavgränsad)')",
        )
    if data.count(0) * 10 > len(data):
        raise FileRejected(
            "unknown_encoding",
            f"filen är ingen textfil: {data.count(0)} av {len(data)} byte är NUL-tecken (binärdata); "
            f"skicka filen som CSV",
        )
    notes: list[str] = []
    bom = data.startswith(_BOM)
    body = data[len(_BOM):] if bom else data
    try:
        return body.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        bad_line = _line_of(body, exc.start) + (0 if not bom else 0)
        bad_byte = body[exc.start:exc.start + 1].hex().upper()
    if "cp1252" in encodings:
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            if bom:
                notes.append("filen börjar med en UTF-8-markering (BOM) men texten är Windows-1252; "
                             "läst som Windows-1252")
            return text, "cp1252", notes
    allowed = " eller ".join("UTF-8" if e == "utf-8" else "Windows-1252" for e in encodings)
    what = ("filen börjar med en UTF-8-markering (BOM) men texten är inte UTF-8" if bom
            else "filens teckenkodning är inte UTF-8")
    raise FileRejected(
        "unknown_encoding",
        f"{what}: tecknet på rad {bad_line} (byte 0x{bad_byte}) kan inte läsas, troligen är filen "
        f"sparad som Windows-1252 ('ANSI'). Flödet tar emot {allowed}; spara om filen som "
        f"'CSV UTF-8' i Excel",
    )


def _detect_delimiter(header_line: str) -> str | None:
    counts = {d: 0 for d in DELIMITER_NAMES}
    in_quotes = False
    for ch in header_line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


csv.field_size_limit(sys.maxsize)  # large fields are reported per row, never as a crash


def _records(lines: list[str], delimiter: str) -> list[tuple[int, int, list[str]]]:
    """(first physical line, last physical line, cells) of every CSV record."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    out = []
    previous = 0
    for cells in reader:
        out.append((previous + 1, reader.line_num, cells))
        previous = reader.line_num
    return out


def _ends_in_quotes(text: str, delimiter: str) -> bool:
    """Whether CSV text ends inside a quoted field (a quote opened at a field's start and
    never closed), as the csv module reads quotes: only a quote at the start of a field
    opens one, and a doubled quote inside it is a literal quote."""
    in_quotes = False
    at_field_start = True
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif ch == '"' and at_field_start:
            in_quotes = True
        at_field_start = not in_quotes and ch in (delimiter, "\n", "\r")
        i += 1
    return in_quotes


def _split_record(lines: list[str], first: int, last: int, delimiter: str) -> list[list[str]]:
    """Each physical line of a broken record parsed on its own."""
    return [next(csv.reader([lines[i - 1]], delimiter=delimiter), []) for i in range(first, last + 1)]


def read_csv(path: Path, feed: Feed, data: bytes) -> RawTable:
    text, encoding, notes = decode(data, feed.encodings)
    if not text.strip():
        raise FileRejected("empty_file", "filen är tom")
    first_line = text.lstrip("\r\n").splitlines()[0]
    found = _detect_delimiter(first_line) or feed.delimiter
    # Physical lines as the csv module counts them (\n, \r\n or \r), so every record
    # knows the lines it came from and nothing can merge lines unseen.
    lines = list(io.StringIO(text, newline=""))
    records = _records(lines, found)
    # Leading blank lines are not a heading; the heading is the first non-blank record.
    start = next(i for i, r in enumerate(records) if "".join(r[2]).strip())
    header = records[start][2]
    match = match_header(header, feed.file_columns)
    if match.missing_required:
        if found != feed.delimiter:
            raise FileRejected(
                "wrong_delimiter",
                f"rubrikraden är avgränsad med {DELIMITER_NAMES.get(found, repr(found))} men "
                f"kolumnerna känns inte igen; filen ska vara avgränsad med "
                f"{DELIMITER_NAMES[feed.delimiter]}",
            )
        if found == feed.delimiter and match.found <= 1 and len(header) == 1:
            raise FileRejected(
                "wrong_delimiter",
                f"rubrikraden innehåller ingen {DELIMITER_NAMES[feed.delimiter]}; filen ska vara "
                f"avgränsad med {DELIMITER_NAMES[feed.delimiter]}",
            )
        raise FileRejected("missing_required_column", missing_columns_message(match.missing_required, header))
    width = len(header)
    ends_with_newline = text.endswith(("\n", "\r"))
    table = RawTable(header, match, [], "csv", encoding=encoding, delimiter=found, notes=notes)
    row_number = 1
    last_index = len(records) - 1
    for index in range(start + 1, len(records)):
        first, last, cells = records[index]
        at_end = index == last_index
        unbalanced = (last > first or at_end) and _ends_in_quotes("".join(lines[first - 1:last]), found)
        if last > first and (len(cells) != width or unbalanced or any(
                len(part) == width for part in _split_record(lines, first + 1, last, found))):
            # A record over several lines that does not add up: a quote that was never
            # closed swallowed the lines after it. Every physical line becomes a row of its
            # own again, so the valid ones load and none hides inside another.
            for offset, part in enumerate(_split_record(lines, first, last, found)):
                row_number += 1
                line_no = first + offset
                if not "".join(part).strip():
                    continue
                table.rows.append((row_number, part))
                if _ends_in_quotes(lines[line_no - 1], found):
                    table.add_problem(row_number, "unbalanced_quote", (
                        f"ett citattecken (\") öppnar ett fält som aldrig stängs, så raderna efter "
                        f"slogs ihop med den här ({last - first + 1} rader från rad {row_number}); "
                        f"raderna läses nu var för sig. Ta bort citattecknet eller stäng fältet"))
                elif len(part) != width:
                    table.add_problem(row_number, "wrong_field_count", _field_count_message(len(part), width))
                elif line_no == len(lines) and not ends_with_newline:
                    table.add_problem(row_number, "truncated_record", _TRUNCATED)
            continue
        row_number += 1
        if not cells or not (cells[0].strip() or "".join(cells).strip()):
            continue
        table.rows.append((row_number, cells))
        if at_end and unbalanced:
            table.add_problem(row_number, "truncated_record", (
                "filen slutar inne i ett fält inom citattecken: filen är troligen avklippt och raden "
                "ofullständig. Skicka hela filen igen"))
        elif len(cells) != width:
            table.add_problem(row_number, "wrong_field_count", _field_count_message(len(cells), width))
        elif at_end and not ends_with_newline:
            table.add_problem(row_number, "truncated_record", _TRUNCATED)
    if "\x00" in text or max(map(len, lines), default=0) > MAX_FIELD_CHARS:
        for row_number, cells in table.rows:
            _cell_problems(table, row_number, cells)
    if found != feed.delimiter and table.rows:
        broken = sum(1 for _, r in table.rows if len(r) != width)
        if broken * 2 > len(table.rows):
            # Headings without the delimiter in them read fine, but decimal commas or
            # free text split the rows: the file as a whole uses the wrong delimiter.
            raise FileRejected(
                "wrong_delimiter",
                f"filen är avgränsad med {DELIMITER_NAMES.get(found, repr(found))} men ska vara "
                f"avgränsad med {DELIMITER_NAMES[feed.delimiter]}; {broken} av {len(table.rows)} rader "
                f"får fel antal fält",
            )
    if found != feed.delimiter:
        notes.append(f"avgränsare {DELIMITER_NAMES.get(found, found)} i stället för {DELIMITER_NAMES[feed.delimiter]}")
    if not table.rows:
        notes.append(NO_ROWS_NOTE)
    return table


#: The registry's message for a delivery with headings and no rows (a period with no events).
NO_ROWS_NOTE = "inga rader: filen har bara rubrikraden (inga händelser den här perioden)"

_TRUNCATED = ("sista raden slutar utan radbrytning: filen kan vara avklippt mitt i raden, så raden "
              "läses inte in. Skicka hela filen igen (en fil som Excel sparar slutar alltid med en radbrytning)")


def _field_count_message(found: int, width: int) -> str:
    return (f"raden har {found} fält men rubrikraden har {width} (avklippt rad, eller en "
            f"avgränsare inuti ett fält utan citattecken)")


def _cell_problems(table: RawTable, row_number: int, cells: list[Any]) -> None:
    """NUL bytes and cells larger than a spreadsheet cell, per row."""
    for i, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        heading = table.header[i] if i < len(table.header) else f"kolumn {i + 1}"
        if "\x00" in cell:
            table.add_problem(row_number, "nul_bytes", (
                f"kolumn '{heading}' innehåller NUL-tecken (byte 0), ofta efter en trasig överföring "
                f"eller kopiering; exportera filen igen"))
        if len(cell) > MAX_FIELD_CHARS:
            table.add_problem(row_number, "field_too_large", (
                f"kolumn '{heading}' har {len(cell):,} tecken, fler än de {MAX_FIELD_CHARS:,} en cell får ha "
                f"(Excels gräns); oftast har ett citattecken inte stängts").replace(",", "\u00a0"))


def read_xlsx(path: Path, feed: Feed) -> RawTable:
    """The first sheet, read with python-calamine (Rust; ~15x faster than openpyxl)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise FileRejected("empty_file", "arbetsboken har inga blad")
        # From A1, blank rows and columns included, so row numbers are Excel's own.
        all_rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except FileRejected:
        raise
    except Exception as exc:  # calamine raises its own errors for broken zip/xml
        raise FileRejected(
            "not_a_spreadsheet",
            f"filen kan inte öppnas som Excel-arbetsbok (.xlsx) ({type(exc).__name__}). Spara om den från Excel",
        ) from None
    numbered = [(i, r) for i, r in enumerate(all_rows, start=1) if any(_filled(c) for c in r)]
    if not numbered:
        raise FileRejected("empty_file", "första bladet i arbetsboken är tomt")
    best: tuple[int, HeaderMatch, list[Any]] | None = None
    for idx, (row_no, cells) in enumerate(numbered):
        if row_no > HEADER_SEARCH_ROWS:
            break
        cells = [None if c == "" else c for c in cells]
        match = match_header(cells, feed.file_columns)
        if not match.missing_required:
            best = (idx, match, cells)
            break
        if best is None or match.found > best[1].found:
            best = (idx, match, cells)
    assert best is not None
    idx, match, header = best
    if match.missing_required:
        raise FileRejected(
            "missing_required_column",
            missing_columns_message(match.missing_required, header)
            + f" (rubrikraden söks bland de {HEADER_SEARCH_ROWS} första raderna i första bladet)",
        )
    header_row = numbered[idx][0]
    # Empty cells come as '' from calamine: blank, as an empty CSV field is (typing turns
    # both into NULL).
    rows = numbered[idx + 1:]
    # Row numbers stay the spreadsheet's own, title rows included: that is the number
    # the partner sees at the left edge in Excel.
    notes = [f"rubrikrad på rad {header_row}"] if header_row != 1 else []
    table = RawTable(header, match, rows, "xlsx", notes=notes)
    texts = [c for _, r in rows for c in r if type(c) is str]
    if max(map(len, texts), default=0) > MAX_FIELD_CHARS or "\x00" in "".join(texts):
        for row_number, cells in rows:
            _cell_problems(table, row_number, cells)
    if not rows:
        table.notes.append(NO_ROWS_NOTE)
    return table


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _load_json(data: bytes, feed: Feed) -> Any:
    text, _, _ = decode(data, feed.encodings)
    if not text.strip():
        raise FileRejected("empty_file", "filen är tom")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRejected(
            "invalid_json",
            f"filen är ingen giltig JSON: {exc.msg} på rad {exc.lineno}, tecken {exc.colno}"
            f" (är filen avklippt?)",
        ) from None


def read_json(path: Path, feed: Feed, data: bytes) -> RawTable:
    doc = _load_json(data, feed)
    if isinstance(doc, dict):
        # Some exports wrap the array: {"data": [...]} or {"events": [...]}.
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise FileRejected("invalid_json", "filen ska innehålla en JSON-lista med händelser")
        doc = lists[0]
    if not isinstance(doc, list):
        raise FileRejected("invalid_json", "filen ska innehålla en JSON-lista med händelser")
    flat = [_flatten(r) if isinstance(r, dict) else r for r in doc]
    header: list[str] = []
    for rec in flat:
        if isinstance(rec, dict):
            header.extend(k for k in rec if k not in header)
    if not doc:
        # An empty list is an answer with no events (a quiet period), not an error.
        header = [c.header for c in feed.file_columns]
        return RawTable(header, match_header(header, feed.file_columns), [], "json",
                        notes=["inga rader: JSON-listan är tom (inga händelser den här perioden)"])
    match = match_header(header, feed.file_columns)
    if match.missing_required:
        raise FileRejected("missing_required_column", missing_columns_message(match.missing_required, header))
    rows = [
        (i, [rec.get(h) for h in header] if isinstance(rec, dict) else [_NotARecord(rec)])
        for i, rec in enumerate(flat, start=1)
    ]
    return RawTable(header, match, rows, "json")


@dataclass
class _NotARecord:
    value: Any


def is_not_a_record(cells: list[Any]) -> bool:
    return len(cells) == 1 and isinstance(cells[0], _NotARecord)


def _geojson_crs(doc: dict[str, Any], features: list[Any]) -> SourceCrs:
    """The declared CRS of a FeatureCollection, or WGS84 (RFC 7946) unless the
    coordinates can only be SWEREF 99 TM."""
    member = doc.get("crs")
    if member is not None:
        name = ((member.get("properties") or {}).get("name") if isinstance(member, dict) else None)
        if not name:
            raise FileRejected(
                "unknown_crs",
                "GeoJSON-filens 'crs' saknar namn (t.ex. urn:ogc:def:crs:EPSG::3006); ta bort 'crs' om "
                "koordinaterna är WGS84 eller spara om filen i SWEREF 99 TM (EPSG:3006)",
            )
        return resolve_crs(str(name))
    import numpy as np
    import shapely
    from shapely.geometry import shape

    shapes = []
    for f in features:
        geometry = f.get("geometry") if isinstance(f, dict) else None
        if not geometry:
            continue
        try:
            shapes.append(shape(geometry))
        except Exception:  # a broken geometry is quarantined with its own row later
            continue
    usable = [g for g in shapes if not g.is_empty]
    bounds = tuple(shapely.total_bounds(np.asarray(usable, dtype=object))) if usable else None
    return infer_crs(bounds, geojson=True, what="'crs' saknas")  # type: ignore[arg-type]


def read_geojson(path: Path, feed: Feed, data: bytes) -> RawTable:
    """A FeatureCollection: properties become columns, the geometry one more column."""
    doc = _load_json(data, feed)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise FileRejected("invalid_json", "filen ska vara en GeoJSON FeatureCollection")
    features = doc.get("features") or []
    if not features:
        raise FileRejected("empty_file", "FeatureCollection saknar objekt (features)")
    header: list[str] = []
    for f in features:
        if isinstance(f, dict):
            header.extend(k for k in (f.get("properties") or {}) if k not in header)
    header.append("geometry")
    match = match_header(header, feed.file_columns)
    if match.missing_required:
        raise FileRejected("missing_required_column", missing_columns_message(match.missing_required, header))
    crs = _geojson_crs(doc, features)
    rows = []
    for i, f in enumerate(features, start=1):
        if not isinstance(f, dict):
            rows.append((i, [_NotARecord(f)]))
            continue
        props = f.get("properties") or {}
        rows.append((i, [props.get(h) for h in header[:-1]] + [GeometryCell(f.get("geometry"), crs)]))
    notes = [f"koordinatsystem {crs.label}"] if crs.inferred and crs.crs == SWEREF99TM else []
    return RawTable(header, match, rows, "geojson", notes=notes)


def read_gis(path: Path, feed: Feed, kind: str) -> RawTable:
    """GeoPackage, Shapefile or zipped Shapefile: attributes as columns, then the geometry.

    Row numbers are the feature's position in the file (1 = the first feature), as the
    attribute table of a GIS program lists them.
    """
    table = read_ogr(path, kind)
    fields: list[Any] = list(table.fields)
    if kind in ("shp", "zip"):
        fields = restore_truncated(fields, feed.file_columns)
    header: list[Any] = [*fields, "geometry"]
    match = match_header(header, feed.file_columns)
    if match.missing_required:
        raise FileRejected("missing_required_column", missing_columns_message(match.missing_required, header))
    rows = [(n, [*values, GeometryCell(geom, table.crs)]) for n, values, geom in table.features]
    return RawTable(header, match, rows, kind, notes=table.notes)


def read_file(path: Path, feed: Feed) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise FileRejected("empty_file", "filen är tom (0 byte)")
    kind = file_kind(path, data[:16])
    if kind not in feed.formats:
        accepted = ", ".join(f.upper() for f in feed.formats)
        raise FileRejected(
            "unsupported_file_type",
            f"flödet tar emot {accepted}, inte {kind.upper()}",
        )
    if kind == "xlsx":
        return read_xlsx(path, feed)
    if kind == "json":
        return read_json(path, feed, data)
    if kind == "geojson":
        return read_geojson(path, feed, data)
    if kind in ("gpkg", "shp", "zip"):
        return read_gis(path, feed, kind)
    return read_csv(path, feed, data)

