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
import zipfile
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


def decode(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str]:
    """Decode text, refusing UTF-16 and binary data instead of producing mojibake."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise FileRejected(
            "unknown_encoding",
            "filen är sparad som UTF-16/Unicode-text eller är ingen textfil; spara den som "
            "CSV UTF-8 (i Excel: 'CSV UTF-8 (kommaavgränsad)')",
        )
    if b"\x00" in data:
        raise FileRejected("unknown_encoding", "filen innehåller NUL-tecken och är ingen textfil")
    for enc in encodings:
        try:
            text = data.decode("utf-8-sig" if enc == "utf-8" else enc)
        except UnicodeDecodeError:
            continue
        return text, enc
    allowed = " eller ".join("UTF-8" if e == "utf-8" else "Windows-1252" for e in encodings)
    raise FileRejected(
        "unknown_encoding",
        f"filens teckenkodning kan inte läsas; den ska vara {allowed}. Spara om filen som "
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


def read_csv(path: Path, feed: Feed, data: bytes) -> RawTable:
    text, encoding = decode(data, feed.encodings)
    if not text.strip():
        raise FileRejected("empty_file", "filen är tom")
    first_line = text.lstrip("\r\n").splitlines()[0]
    found = _detect_delimiter(first_line) or feed.delimiter
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=found))
    except csv.Error as exc:
        raise FileRejected("unparseable_file", f"filen kan inte läsas som CSV: {exc}") from None
    # Leading blank lines are not a heading; the heading is the first non-blank record.
    start = next(i for i, r in enumerate(records) if any(c.strip() for c in r))
    header = records[start]
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
    rows = [
        (i - start + 1, r)
        for i, r in enumerate(records)
        if i > start and any(c.strip() for c in r)
    ]
    if not rows:
        raise FileRejected(
            "empty_file",
            "filen innehåller bara rubrikraden och inga rader; skicka ingen fil när det inte "
            "finns något att rapportera",
        )
    if found != feed.delimiter:
        broken = sum(1 for _, r in rows if len(r) != len(header))
        if broken * 2 > len(rows):
            # Headings without the delimiter in them read fine, but decimal commas or
            # free text split the rows: the file as a whole uses the wrong delimiter.
            raise FileRejected(
                "wrong_delimiter",
                f"filen är avgränsad med {DELIMITER_NAMES.get(found, repr(found))} men ska vara "
                f"avgränsad med {DELIMITER_NAMES[feed.delimiter]}; {broken} av {len(rows)} rader "
                f"får fel antal fält",
            )
    notes = []
    if found != feed.delimiter:
        notes.append(f"avgränsare {DELIMITER_NAMES.get(found, found)} i stället för {DELIMITER_NAMES[feed.delimiter]}")
    return RawTable(header, match, rows, "csv", encoding=encoding, delimiter=found, notes=notes)


def read_xlsx(path: Path, feed: Feed) -> RawTable:
    import openpyxl  # import cost only when a spreadsheet arrives
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise FileRejected(
            "not_a_spreadsheet",
            f"filen kan inte öppnas som Excel-arbetsbok (.xlsx): {exc}. Spara om den från Excel",
        ) from None
    try:
        if not wb.worksheets:
            raise FileRejected("empty_file", "arbetsboken har inga blad")
        ws = wb.worksheets[0]
        all_rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
    finally:
        wb.close()
    numbered = [(i, r) for i, r in enumerate(all_rows, start=1) if any(_filled(c) for c in r)]
    if not numbered:
        raise FileRejected("empty_file", "första bladet i arbetsboken är tomt")
    best: tuple[int, HeaderMatch, list[Any]] | None = None
    for idx, (row_no, cells) in enumerate(numbered):
        if row_no > HEADER_SEARCH_ROWS:
            break
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
    width = len(header)
    rows = [(n, (r + [None] * width)[: max(width, len(r))]) for n, r in numbered[idx + 1 :]]
    if not rows:
        raise FileRejected(
            "empty_file",
            "bladet innehåller bara rubrikraden och inga rader; skicka ingen fil när det inte "
            "finns något att rapportera",
        )
    # Row numbers stay the spreadsheet's own, title rows included: that is the number
    # the partner sees at the left edge in Excel.
    notes = [f"rubrikrad på rad {header_row}"] if header_row != 1 else []
    return RawTable(header, match, rows, "xlsx", notes=notes)


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
    text, _ = decode(data, feed.encodings)
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
    if not doc:
        raise FileRejected("empty_file", "JSON-listan är tom")
    flat = [_flatten(r) if isinstance(r, dict) else r for r in doc]
    header: list[str] = []
    for rec in flat:
        if isinstance(rec, dict):
            header.extend(k for k in rec if k not in header)
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

