"""The file registry and the raw archive: what arrived, when, and what became of it.

A file is identified by its content hash, so the same file dropped twice (even under
another name) is loaded once. A file with a known name but new content is a correction:
it loads, and the older version's rows leave the raw table while its registry row stays,
marked ``superseded`` with the hash that replaced it, so the history is visible.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

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


def landing_files(folder: str) -> list[Path]:
    root = get_settings().landing_dir / folder
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if is_ingestible(p) and not any(
        part.startswith(_IGNORED_PREFIXES) for part in p.relative_to(root).parts[:-1]
    ))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(folder: str, path: Path) -> LandedFile:
    root = get_settings().landing_dir / folder
    stat = path.stat()
    tz = ZoneInfo(get_settings().timezone)
    arrived = datetime.fromtimestamp(stat.st_mtime, tz).replace(tzinfo=None, microsecond=0)
    return LandedFile(
        folder=folder,
        path=path,
        name=path.relative_to(root).as_posix(),
        size=stat.st_size,
        content_hash=sha256_file(path),
        arrived_at=arrived,
    )


def archive(file: LandedFile) -> Path:
    """Keep the file exactly as it came; the archive is the only place PII may remain."""
    target = get_settings().archive_dir / file.folder / f"{file.content_hash[:16]}_{file.name.replace('/', '__')}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(file.path, tmp)
        tmp.replace(target)
    return target


def known_hashes(con: duckdb.DuckDBPyConnection, folder: str) -> set[str]:
    rows = con.execute("SELECT content_hash FROM raw.file_registry WHERE feed = ?", [folder]).fetchall()
    return {r[0] for r in rows}


def current_versions(con: duckdb.DuckDBPyConnection, folder: str, name: str) -> list[tuple[str, str]]:
    """(content_hash, status) of the registry rows a new version of ``name`` replaces."""
    return con.execute(
        "SELECT content_hash, status FROM raw.file_registry "
        "WHERE feed = ? AND file_name = ? AND status IN ('loaded', 'rejected')",
        [folder, name],
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


def supersede(con: duckdb.DuckDBPyConnection, folder: str, name: str, table: str, new_hash: str) -> int:
    """Retire older versions of ``name``: their rows leave ``table``; returns how many."""
    old = current_versions(con, folder, name)
    for content_hash, _status in old:
        con.execute(
            f"DELETE FROM raw.{table} WHERE _content_hash = ? AND _file_name = ?", [content_hash, name]
        )
        con.execute(
            "UPDATE raw.file_registry SET status = 'superseded', superseded_by = ? "
            "WHERE feed = ? AND file_name = ? AND content_hash = ?",
            [new_hash, folder, name, content_hash],
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
    ).fetchone()[0]
