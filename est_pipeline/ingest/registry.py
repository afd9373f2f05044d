"""The file registry and the raw archive: what arrived, when, and what became of it.

A file is identified by its content hash, so the same file dropped twice (even under
another name) is loaded once. A file with a known name but new content is a correction:
it loads, and the older version's rows leave the raw table while its registry row stays,
marked ``superseded`` with the hash that replaced it, so the history is visible. Where a
table accepts several file names (``areas.geojson`` or ``areas.gpkg``), a new file under
any of them is a correction of the table in the same way.

A shapefile is several files: ``areas.shp`` is the file that is registered, and its
parts (``.shx``, ``.dbf``, ``.prj``, ``.cpg``) are part of its content hash and of its
archive copy; they are never ingested or refused on their own. A part that arrives
after the ``.shp`` changes the hash, so the shapefile is read again, complete.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from est_pipeline.ingest.gis import SHAPEFILE_PARTS, shapefile_parts, sidecar_suffix
from est_pipeline.settings import get_settings

#: Files partners' tools leave behind while writing, and hidden files: never ingested.
_IGNORED_PREFIXES = (".", "~$")
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")


@dataclass(frozen=True)
class LandedFile:
    folder: str
    path: Path
    #: Relative to the feed's landing folder, in POSIX form (the registry's file_name).
    name: str
    size: int
    content_hash: str
    arrived_at: datetime


def local_now() -> datetime:
    """Wall-clock time in the pipeline's time zone, naive (as raw TIMESTAMP columns are)."""
    return datetime.now(ZoneInfo(get_settings().timezone)).replace(tzinfo=None, microsecond=0)


def is_ingestible(path: Path) -> bool:
    return (
        path.is_file()
        and not path.name.startswith(_IGNORED_PREFIXES)
        and not path.name.lower().endswith(_IGNORED_SUFFIXES)
    )


def landing_files(folder: str, sidecars: bool = True) -> list[Path]:
    """Every file in the landing folder; ``sidecars=False`` leaves out the parts of a
    shapefile beside its ``.shp`` (they are read, hashed and archived with it)."""
    files = files_in(get_settings().landing_dir / folder)
    if sidecars:
        return files
    return [p for p in files if not is_sidecar(p)]


def files_in(root: Path) -> list[Path]:
    """The files under ``root`` a partner delivered (temporary and hidden ones left out)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if is_ingestible(p) and not any(
        part.startswith(_IGNORED_PREFIXES) for part in p.relative_to(root).parts[:-1]
    ))


def is_sidecar(path: Path) -> bool:
    """A part of a shapefile (``areas.dbf``, ``areas.prj``, ...), never a file of its own."""
    return sidecar_suffix(path.name) is not None


def orphan_sidecars(folder: str | Path) -> list[Path]:
    """Shapefile parts in the landing folder (a name, or a path) with no ``.shp`` beside them."""
    files = files_in(folder) if isinstance(folder, Path) else landing_files(folder)
    shps = {(p.parent, p.name[:-4].lower()) for p in files if p.suffix.lower() == ".shp"}
    out = []
    for p in files:
        suffix = sidecar_suffix(p.name)
        if suffix and (p.parent, p.name[: -len(suffix)].lower()) not in shps:
            out.append(p)
    return out


def _update(digest: "hashlib._Hash", path: Path) -> None:
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    _update(digest, path)
    return digest.hexdigest()


def parts_of(path: Path) -> dict[str, Path]:
    """The shapefile parts that belong to ``path`` (empty unless it is a ``.shp``)."""
    if path.suffix.lower() != ".shp":
        return {}
    return shapefile_parts(path)


def content_hash(path: Path) -> str:
    """sha256 of the file; for a shapefile, of the ``.shp`` and each part present, in a
    fixed order, so that a changed or late ``.dbf`` or ``.prj`` is a new version."""
    parts = parts_of(path)
    if not parts:
        return sha256_file(path)
    digest = hashlib.sha256()
    _update(digest, path)
    for suffix in SHAPEFILE_PARTS:
        if suffix in parts:
            digest.update(b"\x00" + suffix.encode() + b"\x00")
            _update(digest, parts[suffix])
    return digest.hexdigest()


def describe(folder: str, path: Path) -> LandedFile:
    root = get_settings().landing_dir / folder
    stat = path.stat()
    parts = parts_of(path)
    tz = ZoneInfo(get_settings().timezone)
    mtime = max([stat.st_mtime, *(p.stat().st_mtime for p in parts.values())])
    arrived = datetime.fromtimestamp(mtime, tz).replace(tzinfo=None, microsecond=0)
    return LandedFile(
        folder=folder,
        path=path,
        name=path.relative_to(root).as_posix(),
        size=stat.st_size + sum(p.stat().st_size for p in parts.values()),
        content_hash=content_hash(path),
        arrived_at=arrived,
    )


def _copy(source: Path, target: Path) -> None:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(source, tmp)
        tmp.replace(target)


def archive(file: LandedFile) -> Path:
    """Keep the file exactly as it came (a shapefile with its parts, under the same
    prefix); the archive is the only place PII may remain."""
    target = get_settings().archive_dir / file.folder / f"{file.content_hash[:16]}_{file.name.replace('/', '__')}"
    _copy(file.path, target)
    for part in parts_of(file.path).values():
        _copy(part, target.with_name(target.name[: -len(file.path.suffix)] + part.name[len(file.path.stem):]))
    return target


def known_hashes(con: duckdb.DuckDBPyConnection, folder: str) -> set[str]:
    rows = con.execute("SELECT content_hash FROM raw.file_registry WHERE feed = ?", [folder]).fetchall()
    return {r[0] for r in rows}


def current_versions(
    con: duckdb.DuckDBPyConnection, folder: str, names: tuple[str, ...] | list[str]
) -> list[tuple[str, str, str]]:
    """(file_name, content_hash, status) of the registry rows a new file under any of
    ``names`` replaces (the names that fill one table)."""
    marks = ", ".join("?" for _ in names)
    return con.execute(
        "SELECT file_name, content_hash, status FROM raw.file_registry "
        f"WHERE feed = ? AND file_name IN ({marks}) AND status IN ('loaded', 'rejected')",
        [folder, *names],
    ).fetchall()


@dataclass
class RegistryEntry:
    file: LandedFile
    archived_path: Path
    loaded_at: datetime
    status: str
    rows_in: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    pii_masked: int | None
    message: str | None
    error_code: str | None
    rows_repeated: int | None = None


def insert_entry(con: duckdb.DuckDBPyConnection, e: RegistryEntry) -> None:
    con.execute(
        "INSERT INTO raw.file_registry (feed, file_name, content_hash, size_bytes, arrived_at, "
        "archived_path, loaded_at, status, rows_in, rows_loaded, rows_quarantined, pii_masked, "
        "message, superseded_by, error_code, rows_repeated) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        [
            e.file.folder, e.file.name, e.file.content_hash, e.file.size, e.file.arrived_at,
            str(e.archived_path), e.loaded_at, e.status, e.rows_in, e.rows_loaded,
            e.rows_quarantined, e.pii_masked, e.message, e.error_code, e.rows_repeated,
        ],
    )


def supersede(
    con: duckdb.DuckDBPyConnection,
    folder: str,
    names: tuple[str, ...] | list[str],
    table: str,
    new_hash: str,
) -> int:
    """Retire older versions of a table's files (any of ``names``): their rows leave
    ``table``; returns how many."""
    old = current_versions(con, folder, names)
    for name, old_hash, _status in old:
        con.execute(
            f"DELETE FROM raw.{table} WHERE _content_hash = ? AND _file_name = ?", [old_hash, name]
        )
        con.execute(
            "UPDATE raw.file_registry SET status = 'superseded', superseded_by = ? "
            "WHERE feed = ? AND file_name = ? AND content_hash = ?",
            [new_hash, folder, name, old_hash],
        )
    return len(old)


def count_repeats(con: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...], name: str, content_hash: str) -> int:
    """Rows of the file just written whose record key was delivered before: by another
    file still loaded, or by an earlier row of the same file."""
    same = " AND ".join(f'o."{k}" IS NOT DISTINCT FROM n."{k}"' for k in key)
    keys = ", ".join(f'"{k}"' for k in key)
    return con.execute(
        f"""
        WITH n AS (
            SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY _row_number) AS nth
            FROM raw.{table} WHERE _content_hash = ? AND _file_name = ?
        )
        SELECT count(*) FROM n
        WHERE nth > 1 OR EXISTS (
            SELECT 1 FROM raw.{table} AS o
            WHERE NOT (o._content_hash = n._content_hash AND o._file_name = n._file_name) AND {same}
        )
        """,
        [content_hash, name],
    ).fetchall()[0][0]  # fetchall: a fetchone() result stays open and blocks the next statement
