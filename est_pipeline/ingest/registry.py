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
import os
import time
from datetime import datetime
from typing import Any
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

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


_SETTINGS: dict[tuple[tuple[str, str], ...], tuple[float, Any]] = {}


def settings() -> Any:
    """``get_settings()``, cached for a few seconds per environment: an ingest of ten
    thousand files would otherwise read settings.toml three times per file."""
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("EST_")))
    now = time.monotonic()
    hit = _SETTINGS.get(key)
    if hit is not None and now - hit[0] < 5:
        return hit[1]
    value = get_settings()
    _SETTINGS.clear()
    _SETTINGS[key] = (now, value)
    return value


def local_now() -> datetime:
    """Wall-clock time in the pipeline's time zone, naive (as raw TIMESTAMP columns are)."""
    # Microseconds kept: "the latest delivery wins" must order two runs in the same second.
    return datetime.now(ZoneInfo(settings().timezone)).replace(tzinfo=None)


def is_ingestible(path: Path) -> bool:
    return (
        path.is_file()
        and not path.name.startswith(_IGNORED_PREFIXES)
        and not path.name.lower().endswith(_IGNORED_SUFFIXES)
    )


def landing_files(folder: str, sidecars: bool = True) -> list[Path]:
    """Every file in the landing folder; ``sidecars=False`` leaves out the parts of a
    shapefile beside its ``.shp`` (they are read, hashed and archived with it)."""
    files = files_in(settings().landing_dir / folder)
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
    root = settings().landing_dir / folder
    stat = path.stat()
    parts = parts_of(path)
    tz = ZoneInfo(settings().timezone)
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
    target = settings().archive_dir / file.folder / f"{file.content_hash[:16]}_{file.name.replace('/', '__')}"
    _copy(file.path, target)
    for part in parts_of(file.path).values():
        _copy(part, target.with_name(target.name[: -len(file.path.suffix)] + part.name[len(file.path.stem):]))
    return target


class Known:
    """What the registry already holds for a landing folder, to decide what to skip.

    A file is skipped when its content is already in effect (loaded or held, under any
    name), or when the same name with the same content was already recorded (a refused
    file is not refused twice). A refused content under a NEW name is recorded again:
    the partner must see that this delivery was refused too (every empty file has the
    same hash, so an empty correction of a loaded file would otherwise vanish unseen).
    """

    def __init__(self, in_effect: set[str], seen: set[tuple[str, str]]) -> None:
        self.in_effect = in_effect
        self.seen = seen

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, folder: str) -> "Known":
        rows = con.execute(
            "SELECT file_name, content_hash, status FROM raw.file_registry WHERE feed = ?", [folder]).fetchall()
        return cls({h for _, h, status in rows if status in ("loaded", "held")}, {(n, h) for n, h, _ in rows})

    def skip(self, file: LandedFile) -> bool:
        return file.content_hash in self.in_effect or (file.name, file.content_hash) in self.seen

    def add(self, file: LandedFile, in_effect: bool = True) -> None:
        """A file of this run: its content is in effect unless it was refused."""
        if in_effect:
            self.in_effect.add(file.content_hash)
        self.seen.add((file.name, file.content_hash))


def known_hashes(con: duckdb.DuckDBPyConnection, folder: str) -> set[str]:
    rows = con.execute("SELECT content_hash FROM raw.file_registry WHERE feed = ?", [folder]).fetchall()
    return {r[0] for r in rows}


def current_versions_many(
    con: duckdb.DuckDBPyConnection, folder: str, names: list[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """{file name: [(file_name, content_hash, status)]} of the registry rows in effect
    (loaded, held or rejected) under each of ``names``, in one query."""
    if not names:
        return {}
    con.register("_names", pa.table({"file_name": pa.array(sorted(set(names)), pa.string())}))
    try:
        rows = con.execute(
            "SELECT file_name, content_hash, status FROM raw.file_registry "
            "WHERE feed = ? AND status IN ('loaded', 'held', 'rejected') "
            "AND file_name IN (SELECT file_name FROM _names)", [folder]).fetchall()
    finally:
        con.unregister("_names")
    out: dict[str, list[tuple[str, str, str]]] = {}
    for name, content_hash, status in rows:
        out.setdefault(name, []).append((name, content_hash, status))
    return out


def current_versions(
    con: duckdb.DuckDBPyConnection, folder: str, names: tuple[str, ...] | list[str]
) -> list[tuple[str, str, str]]:
    """(file_name, content_hash, status) of the registry rows a new file under any of
    ``names`` replaces (the names that fill one table)."""
    return [v for vs in current_versions_many(con, folder, list(names)).values() for v in vs]


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
    hold_code: str | None = None


_ENTRY_SCHEMA = pa.schema([
    ("feed", pa.string()), ("file_name", pa.string()), ("content_hash", pa.string()),
    ("size_bytes", pa.int64()), ("arrived_at", pa.timestamp("us")), ("archived_path", pa.string()),
    ("loaded_at", pa.timestamp("us")), ("status", pa.string()), ("rows_in", pa.int32()),
    ("rows_loaded", pa.int32()), ("rows_quarantined", pa.int32()), ("pii_masked", pa.int32()),
    ("message", pa.string()), ("error_code", pa.string()), ("rows_repeated", pa.int32()),
    ("hold_code", pa.string()),
])


def insert_entries(con: duckdb.DuckDBPyConnection, entries: list[RegistryEntry]) -> None:
    """Registry rows for many files in one statement."""
    if not entries:
        return
    table = pa.Table.from_pylist([
        {"feed": e.file.folder, "file_name": e.file.name, "content_hash": e.file.content_hash,
         "size_bytes": e.file.size, "arrived_at": e.file.arrived_at, "archived_path": str(e.archived_path),
         "loaded_at": e.loaded_at, "status": e.status, "rows_in": e.rows_in, "rows_loaded": e.rows_loaded,
         "rows_quarantined": e.rows_quarantined, "pii_masked": e.pii_masked, "message": e.message,
         "error_code": e.error_code, "rows_repeated": e.rows_repeated, "hold_code": e.hold_code}
        for e in entries
    ], schema=_ENTRY_SCHEMA)
    con.register("_entries", table)
    try:
        cols = ", ".join(_ENTRY_SCHEMA.names)
        con.execute(f"INSERT INTO raw.file_registry ({cols}) SELECT {cols} FROM _entries")
    finally:
        con.unregister("_entries")


def insert_entry(con: duckdb.DuckDBPyConnection, e: RegistryEntry) -> None:
    insert_entries(con, [e])


def supersede_versions(
    con: duckdb.DuckDBPyConnection,
    folder: str,
    table: str,
    old: list[tuple[str, str, str]],
    new_hash: str,
) -> int:
    """Retire the given older versions: their rows leave ``raw.<table>`` (and
    ``held.<table>``), their registry rows become superseded by ``new_hash``."""
    for name, old_hash, _status in old:
        for schema in ("raw", "held"):
            con.execute(f"DELETE FROM {schema}.{table} WHERE _content_hash = ? AND _file_name = ?", [old_hash, name])
        con.execute(
            "UPDATE raw.file_registry SET status = 'superseded', superseded_by = ? "
            "WHERE feed = ? AND file_name = ? AND content_hash = ?",
            [new_hash, folder, name, old_hash],
        )
    return len(old)


def supersede(
    con: duckdb.DuckDBPyConnection,
    folder: str,
    names: tuple[str, ...] | list[str],
    table: str,
    new_hash: str,
) -> int:
    """Retire older versions of a table's files (any of ``names``); returns how many."""
    return supersede_versions(con, folder, table, current_versions(con, folder, names), new_hash)


def held_files(con: duckdb.DuckDBPyConnection, folder: str) -> dict[str, str]:
    """{file name: hold code} of the folder's files that are held."""
    return dict(con.execute(
        "SELECT file_name, hold_code FROM raw.file_registry WHERE feed = ? AND status = 'held' ORDER BY file_name",
        [folder]).fetchall())
