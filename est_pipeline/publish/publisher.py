"""Build the published warehouse as a new file and swap it in atomically.

Why a second file: DuckDB lets one process write a file, and while it does, even read-only
readers in other processes fail with ``Could not set lock on file``. BI tools therefore
never open the working warehouse. They open ``published_warehouse_path`` read-only, and
the pipeline never opens that path for writing: it builds the next state in a temp file in
the same folder, checkpoints and closes it (no ``.wal`` left), then ``os.replace``-s it
onto the published path. On POSIX the rename is atomic: a reader that opened the old file
keeps reading the old inode to the end of its connection, a new connection sees the new
file, and nobody ever sees a mix or a lock. If anything fails before the rename (or the
process is killed), the published file is untouched and the temp file is removed, now or
by the next publish.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import duckdb

from est_pipeline.lib import municipality_scope
from est_pipeline.lib.parallel import run_each
from est_pipeline.lib.warehouse import connect
from est_pipeline.publish import comments, rules, totals
from est_pipeline.publish.contents import (
    MARTS_SCHEMA,
    META_SCHEMA,
    REFERENCE_SCHEMA,
    REFERENCE_TABLES,
)
from est_pipeline.settings import REPO_ROOT, get_settings

log = logging.getLogger(__name__)

_SOURCE_ALIAS = "working"
_PUBLISHED_ALIAS = "published"
#: The oldest DuckDB release that can read the published file (see _open_new_file).
PUBLISHED_STORAGE_VERSION = "v1.0.0"
_TEMP_SUFFIX = ".tmp"


class PublishError(RuntimeError):
    """Publishing failed; the published warehouse was left as it was."""


@dataclass(frozen=True)
class SourceInfo:
    """Where one published mart came from, as the orchestrator knows it."""

    table: str
    asset_key: str | None = None
    run_id: str | None = None
    partition: str | None = None
    materialized_at: datetime | None = None
    partitions_materialized: int | None = None
    first_partition: str | None = None
    last_partition: str | None = None


@dataclass
class PublicationResult:
    path: Path
    published_at: datetime
    run_id: str
    row_counts: dict[str, int] = field(default_factory=dict)
    suppressed_rows: dict[str, int] = field(default_factory=dict)
    #: Per table: do sums over its count columns give the true totals (nothing blanked by
    #: rule), and if not, which tables do.
    safe_to_sum: dict[str, bool] = field(default_factory=dict)
    sum_instead: dict[str, str | None] = field(default_factory=dict)
    #: Tables left out of a municipality's file: they hold no municipality to filter by.
    withheld: dict[str, str] = field(default_factory=dict)
    first_week_start: object | None = None
    last_week_start: object | None = None
    seconds: float = 0.0


def publish_warehouse(
    *,
    run_id: str = "manual",
    sources: Sequence[SourceInfo] = (),
    source_path: Path | None = None,
    target_path: Path | None = None,
    manifest_path: Path | None = None,
    lock_timeout_s: float = 300.0,
    after_table: Callable[[str], None] | None = None,
    scope: Scope | None = None,
) -> PublicationResult:
    """Publish every mart and the reference tables as one new, consistent state.

    ``scope`` seals the file to one municipality (:func:`publish_for_municipalities`); without
    it the file holds every municipality's rows. ``after_table`` is called with each table
    name once it is copied (progress logging, and the crash tests that kill a publish
    half-way).
    """
    settings = get_settings()
    source = Path(source_path or settings.warehouse_path)
    target = Path(target_path or settings.published_warehouse_path)
    if not source.exists():
        raise PublishError(f"{source}: the working warehouse does not exist; nothing to publish")
    # An explicit manifest must be readable; the automatic ones are tried best first.
    manifests = [Path(manifest_path)] if manifest_path is not None else comments.find_manifests()
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    with _publisher_lock(target):
        _remove_stale_temp_files(target)
        temp = target.parent / f".{target.name}.{uuid.uuid4().hex}{_TEMP_SUFFIX}"
        try:
            result = _build(
                temp,
                source=source,
                run_id=run_id,
                sources=sources,
                manifests=manifests,
                strict_manifest=manifest_path is not None,
                threshold=settings.small_count_threshold,
                survey_min=settings.survey_min_group_size,
                lock_timeout_s=lock_timeout_s,
                after_table=after_table,
                scope=scope,
            )
            _verify(temp, result.row_counts)
            _fsync(temp)
            os.replace(temp, target)
            _fsync_dir(target.parent)
        except BaseException:
            _unlink_quietly(temp)
            _unlink_quietly(temp.with_name(temp.name + ".wal"))
            raise
    result.path = target
    result.seconds = time.perf_counter() - started
    log.info(
        "Published %d tables (%s rows) to %s in %.1f s",
        len(result.row_counts),
        sum(result.row_counts.values()),
        target,
        result.seconds,
    )
    return result


def _build(
    temp: Path,
    *,
    source: Path,
    run_id: str,
    sources: Sequence[SourceInfo],
    manifests: list[Path],
    strict_manifest: bool,
    threshold: int,
    survey_min: int,
    lock_timeout_s: float,
    after_table: Callable[[str], None] | None,
    scope: Scope | None = None,
) -> PublicationResult:
    published_at = datetime.now(UTC)
    result = PublicationResult(path=temp, published_at=published_at, run_id=run_id)
    withheld: dict[str, str] = {}
    if strict_manifest:
        dbt_docs = comments.docs_from_manifest(manifests[0], MARTS_SCHEMA)
    else:
        _, dbt_docs = comments.docs_from_first_readable(manifests, MARTS_SCHEMA)
    with _open_new_file(temp) as con:
        _attach_read_only(con, source, lock_timeout_s)
        for schema in (MARTS_SCHEMA, totals.TOTALS_SCHEMA, REFERENCE_SCHEMA, META_SCHEMA):
            con.execute(f"CREATE SCHEMA {schema}")

        # The exact totals first: the marts' comments name them.
        areas_ref = next(r for r in REFERENCE_TABLES if r.name == "areas")
        areas_source = _pick_reference_source(con, areas_ref)
        scope_areas = municipality_scope.areas_relation(con, _SOURCE_ALIAS) if scope else None
        totals_docs = totals.build_totals(
            con,
            _SOURCE_ALIAS,
            _columns(con, MARTS_SCHEMA, totals.SOURCE_MART),
            areas_source[:2] if areas_source else None,
        )
        if scope is not None:
            for name in totals_docs:
                con.execute(
                    f"DELETE FROM {totals.TOTALS_SCHEMA}.{_q(name)} WHERE municipality_code IS DISTINCT FROM ?",
                    [scope.municipality_code],
                )
        totals_built = set(totals_docs)

        for table, table_type in _source_marts(con):
            columns = _columns(con, MARTS_SCHEMA, table)
            plan = rules.plan_for(table, columns)
            where = _scope_filter(scope, {c.name for c in columns}, scope_areas)
            if where is None:
                withheld[f"{MARTS_SCHEMA}.{table}"] = _WITHHELD_REASON
                continue
            try:
                con.execute(
                    f"CREATE TABLE {MARTS_SCHEMA}.{_q(table)} AS SELECT\n  "
                    f"{plan.select_list(threshold, survey_min)}\n"
                    f"FROM {_SOURCE_ALIAS}.{MARTS_SCHEMA}.{_q(table)} {where}"
                )
            except duckdb.Error as exc:
                raise PublishError(
                    f"{source}: cannot publish {MARTS_SCHEMA}.{table} ({table_type.lower()}): {exc}"
                ) from exc
            qualified = f"{MARTS_SCHEMA}.{table}"
            result.row_counts[qualified] = _count(con, MARTS_SCHEMA, table)
            result.suppressed_rows[qualified] = (
                _count(con, MARTS_SCHEMA, table, f"WHERE {rules.FLAG_COLUMN}")
                if plan.applies
                else 0
            )
            # A table whose counts the rule can blank is not safe to sum, whatever this
            # publication holds: next week's may blank some. It says so, and where to sum.
            result.safe_to_sum[qualified] = not plan.counts
            result.sum_instead[qualified] = (
                totals.sum_instead(table, totals_built) if plan.counts else None
            )
            docs = comments.merge(_catalog_docs(con, table), dbt_docs.get(table))
            notes = plan.describe(threshold, survey_min)
            if plan.counts:
                warning = _not_safe_to_sum(
                    threshold, result.suppressed_rows[qualified], result.row_counts[qualified],
                    result.sum_instead[qualified],
                )
                docs.description = warning + (" " + docs.description if docs.description else "")
                notes[rules.FLAG_COLUMN] = notes[rules.FLAG_COLUMN] + " " + _sum_from(
                    result.sum_instead[qualified])
            _write_comments(con, MARTS_SCHEMA, table, docs, notes)
            if after_table:
                after_table(qualified)

        for totals_table in totals.TOTALS_TABLES:
            if totals_table.name not in totals_docs:
                continue
            qualified = f"{totals.TOTALS_SCHEMA}.{totals_table.name}"
            _write_comments(
                con, totals.TOTALS_SCHEMA, totals_table.name,
                comments.TableDocs(totals_table.description, totals_docs[totals_table.name]), {},
            )
            result.row_counts[qualified] = _count(con, totals.TOTALS_SCHEMA, totals_table.name)
            result.suppressed_rows[qualified] = 0
            result.safe_to_sum[qualified] = True
            result.sum_instead[qualified] = None
            if after_table:
                after_table(qualified)

        for ref in REFERENCE_TABLES:
            picked = _pick_reference_source(con, ref)
            if picked is None:
                log.info("Reference table %s: no source in the working warehouse", ref.name)
                continue
            schema, table, mapping = picked
            select = ", ".join(f"{expr} AS {_q(col)}" for col, expr in mapping.items())
            # Reference tables are filtered by their published columns (area_id may be
            # omrades_id in the source); the categories belong to every municipality.
            where = _scope_filter(scope, set(mapping), scope_areas, shared=ref.name == "categories")
            if where is None:
                withheld[f"{REFERENCE_SCHEMA}.{ref.name}"] = _WITHHELD_REASON
                continue
            con.execute(
                f"CREATE TABLE {REFERENCE_SCHEMA}.{_q(ref.name)} AS "
                f"SELECT * FROM (SELECT DISTINCT {select} FROM {_SOURCE_ALIAS}.{_q(schema)}.{_q(table)}) {where}"
            )
            _write_comments(
                con,
                REFERENCE_SCHEMA,
                ref.name,
                comments.TableDocs(ref.description, dict(ref.column_docs)),
                {},
            )
            result.row_counts[f"{REFERENCE_SCHEMA}.{ref.name}"] = _count(
                con, REFERENCE_SCHEMA, ref.name
            )
            result.suppressed_rows[f"{REFERENCE_SCHEMA}.{ref.name}"] = 0
            result.safe_to_sum[f"{REFERENCE_SCHEMA}.{ref.name}"] = True
            result.sum_instead[f"{REFERENCE_SCHEMA}.{ref.name}"] = None
            if after_table:
                after_table(f"{REFERENCE_SCHEMA}.{ref.name}")

        result.first_week_start, result.last_week_start = _week_span(con)
        result.withheld = withheld
        _write_publication(con, result, source, sources, threshold, survey_min)
        _write_scope(con, scope, withheld)
        con.execute(f"DETACH {_SOURCE_ALIAS}")
        con.execute(f"CHECKPOINT {_PUBLISHED_ALIAS}")
    return result

_WITHHELD_REASON = (
    "no municipality_code or area_id column to seal it by, and the deployment holds several "
    "municipalities: left out so that no other municipality's rows can be read"
)


@dataclass(frozen=True)
class Scope:
    """One municipality's published file: only its rows and its reference tables.

    ``sole`` is true when the working warehouse holds this municipality alone: a table with
    neither a municipality nor an area column is then entirely its own and is published.
    """

    municipality_code: str
    sole: bool = False


def _scope_filter(
    scope: Scope | None,
    columns: set[str],
    areas: str | None,
    *,
    shared: bool = False,
) -> str | None:
    """The WHERE clause that keeps one municipality's rows; None: withhold the table."""
    if scope is None or shared:
        return ""
    where = municipality_scope.row_filter(columns, scope.municipality_code, areas)
    if where is None:
        return "" if scope.sole else None
    return where


_sql_literal = municipality_scope.sql_literal


def _write_scope(con: duckdb.DuckDBPyConnection, scope: Scope | None, withheld: dict[str, str]) -> None:
    """meta.scope: whose rows this file holds, and which tables were left out and why."""
    con.execute(
        f"CREATE TABLE {META_SCHEMA}.scope (municipality_code VARCHAR, table_name VARCHAR, withheld_because VARCHAR)"
    )
    code = scope.municipality_code if scope else None
    con.execute(f"INSERT INTO {META_SCHEMA}.scope VALUES (?, NULL, NULL)", [code])
    for table, reason in sorted(withheld.items()):
        con.execute(f"INSERT INTO {META_SCHEMA}.scope VALUES (?, ?, ?)", [code, table, reason])
    con.execute(
        f"COMMENT ON TABLE {META_SCHEMA}.scope IS "
        + _sql_literal(
            "Whose rows this file holds: municipality_code on every row (NULL: every municipality "
            "of the deployment). Rows with a table_name list tables left out of this file and why."
        )
    )
    for column, text in (
        ("municipality_code", "Four-digit municipality code (kommunkod) whose rows this file holds; "
                              "NULL: every municipality of the deployment."),
        ("table_name", "A table left out of this file (schema.table); NULL on the row that only names "
                       "the municipality."),
        ("withheld_because", "Why the table was left out: it has no column that tells which "
                             "municipality a row belongs to."),
    ):
        con.execute(f"COMMENT ON COLUMN {META_SCHEMA}.scope.{column} IS " + _sql_literal(text))


def municipalities_in(source: Path, lock_timeout_s: float = 300.0) -> list[str]:
    """The municipality codes of the working warehouse's areas, sorted."""
    with duckdb.connect(":memory:") as con:
        _attach_read_only(con, source, lock_timeout_s)
        return municipality_scope.municipality_codes(con, _SOURCE_ALIAS)


def municipality_file(published_dir: Path, municipality_code: str) -> Path:
    """Where one municipality's BI file lives: ``published/<kommunkod>/warehouse.duckdb``."""
    return published_dir / municipality_code / "warehouse.duckdb"


def publish_for_municipalities(
    *,
    run_id: str = "manual",
    sources: Sequence[SourceInfo] = (),
    source_path: Path | None = None,
    combined_path: Path | None = None,
    combined: str | None = None,
    lock_timeout_s: float = 300.0,
) -> dict[str, PublicationResult]:
    """One sealed file per municipality, and the all-municipality file only where wanted.

    ``combined`` is the ``publish_combined`` setting: ``auto`` (the default) writes the
    all-municipality file only while the deployment holds one municipality (then it holds
    nothing but that municipality's rows, at the path BI connections have always used),
    ``yes`` always, ``no`` never. Where it is not wanted, a file left from before is removed,
    so that it cannot keep other municipalities' rows readable. Returns the results keyed by
    municipality code, ``"*"`` for the combined file.
    """
    settings = get_settings()
    source = Path(source_path or settings.warehouse_path)
    combined_path = Path(combined_path or settings.published_warehouse_path)
    mode = (combined or settings.publish_combined).lower()
    if not source.exists():
        raise PublishError(f"{source}: the working warehouse does not exist; nothing to publish")
    codes = municipalities_in(source, lock_timeout_s)
    # Each municipality's file is built side by side, one worker process per core: each
    # reads the working warehouse read-only and writes only its own file.
    jobs = [
        {"run_id": run_id, "sources": tuple(sources), "source_path": source,
         "target_path": municipality_file(combined_path.parent, code), "lock_timeout_s": lock_timeout_s,
         "scope": Scope(code, sole=len(codes) == 1)}
        for code in codes
    ]
    results: dict[str, PublicationResult] = dict(zip(codes, run_each(_publish_one, jobs), strict=True))
    if mode == "yes" or (mode == "auto" and len(codes) <= 1):
        results["*"] = publish_warehouse(
            run_id=run_id, sources=sources, source_path=source, target_path=combined_path,
            lock_timeout_s=lock_timeout_s,
        )
    elif combined_path.exists():
        with _publisher_lock(combined_path):
            combined_path.unlink()
        log.info("Removed %s: the deployment holds %d municipalities and publish_combined is %s",
                 combined_path, len(codes), mode)
    return results


def _publish_one(arguments: dict) -> PublicationResult:
    """:func:`publish_warehouse` with ``arguments``, in whichever process publishes it."""
    return publish_warehouse(**arguments)


@contextmanager
def _open_new_file(temp: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The new published file, written in a storage format older BI drivers can read.

    DuckDB 2.0 writes ``v2.0.0+`` files by default, which the DuckDB ODBC driver or
    Power BI connector of an analyst's PC (often a 1.x release) refuses to open. ATTACH
    with an explicit STORAGE_VERSION is the only way to choose the format, hence an
    in-memory connection with the new file attached and made the default database.
    """
    con = duckdb.connect()
    try:
        con.execute(
            f"ATTACH {comments.sql_literal(str(temp))} AS {_PUBLISHED_ALIAS} "
            f"(STORAGE_VERSION {comments.sql_literal(PUBLISHED_STORAGE_VERSION)})"
        )
        con.execute(f"USE {_PUBLISHED_ALIAS}")
        yield con
        con.execute("USE memory")
        con.execute(f"DETACH {_PUBLISHED_ALIAS}")
    finally:
        con.close()


def _attach_read_only(con: duckdb.DuckDBPyConnection, source: Path, timeout_s: float) -> None:
    """Attach the working warehouse read-only, waiting while another process writes it.

    Runs are serialised (run queue, ``warehouse`` pool), so waiting is the exception: an
    analyst's ad-hoc session or a run started outside the queue.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.2
    while True:
        try:
            con.execute(f"ATTACH {comments.sql_literal(str(source))} AS {_SOURCE_ALIAS} (READ_ONLY)")
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise PublishError(f"{source}: cannot open the working warehouse: {exc}") from exc
            log.info("Working warehouse is locked by another process; retrying in %.1f s", delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _source_marts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        """
        SELECT table_name, table_type FROM information_schema.tables
        WHERE table_catalog = ? AND table_schema = ?
        ORDER BY table_name
        """,
        [_SOURCE_ALIAS, MARTS_SCHEMA],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[rules.Column]:
    rows = con.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_catalog = ? AND table_schema = ? AND table_name = ?
        ORDER BY ordinal_position
        """,
        [_SOURCE_ALIAS, schema, table],
    ).fetchall()
    return [rules.Column(name, dtype) for name, dtype in rows]


def _catalog_docs(con: duckdb.DuckDBPyConnection, table: str) -> comments.TableDocs:
    """Comments the working warehouse already carries (dbt persist_docs, estimation)."""
    row = con.execute(
        """
        SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?
          AND table_name = ?
        UNION ALL
        SELECT comment FROM duckdb_views() WHERE database_name = ? AND schema_name = ?
          AND view_name = ?
        """,
        [_SOURCE_ALIAS, MARTS_SCHEMA, table] * 2,
    ).fetchone()
    cols = con.execute(
        """
        SELECT column_name, comment FROM duckdb_columns()
        WHERE database_name = ? AND schema_name = ? AND table_name = ? AND comment IS NOT NULL
        """,
        [_SOURCE_ALIAS, MARTS_SCHEMA, table],
    ).fetchall()
    return comments.TableDocs(row[0] if row else None, {c: text for c, text in cols if text})


def _write_comments(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    docs: comments.TableDocs,
    rule_notes: dict[str, str],
) -> None:
    existing = {c.name for c in _published_columns(con, schema, table)}
    if docs.description:
        con.execute(
            f"COMMENT ON TABLE {schema}.{_q(table)} IS {comments.sql_literal(docs.description)}"
        )
    for column in sorted(existing):
        text = " ".join(
            _sentence(t) for t in (docs.columns.get(column), rule_notes.get(column)) if t
        )
        if text:
            con.execute(
                f"COMMENT ON COLUMN {schema}.{_q(table)}.{_q(column)} IS {comments.sql_literal(text)}"
            )


def _published_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[rules.Column]:
    rows = con.execute(
        """
        SELECT column_name, data_type FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = ? AND table_name = ?
        """,
        [schema, table],
    ).fetchall()
    return [rules.Column(n, t) for n, t in rows]


def _pick_reference_source(
    con: duckdb.DuckDBPyConnection, ref
) -> tuple[str, str, dict[str, str]] | None:
    for schema, table, mapping in ref.sources:
        cols = {c.name for c in _columns(con, schema, table)}
        if cols and set(mapping.values()) <= cols:
            return schema, table, {k: _q(v) for k, v in mapping.items()}
    return None


def _week_span(con: duckdb.DuckDBPyConnection) -> tuple[object | None, object | None]:
    """First and last week_start over every published mart that has one."""
    tables = con.execute(
        """
        SELECT table_name FROM duckdb_columns()
        WHERE database_name = current_database() AND schema_name = ? AND column_name = 'week_start'
        """,
        [MARTS_SCHEMA],
    ).fetchall()
    if not tables:
        return None, None
    union = " UNION ALL ".join(
        f"SELECT min(week_start) AS lo, max(week_start) AS hi FROM {MARTS_SCHEMA}.{_q(t)}"
        for (t,) in tables
    )
    lo, hi = con.execute(f"SELECT min(lo), max(hi) FROM ({union})").fetchone()
    return lo, hi


def _write_publication(
    con: duckdb.DuckDBPyConnection,
    result: PublicationResult,
    source: Path,
    sources: Sequence[SourceInfo],
    threshold: int,
    survey_min: int,
) -> None:
    partition_summary = "; ".join(
        f"{s.table}: {s.first_partition} .. {s.last_partition} ({s.partitions_materialized})"
        for s in sources
        if s.first_partition
    )
    con.execute(
        f"""
        CREATE TABLE {META_SCHEMA}.publication (
            published_at TIMESTAMPTZ, run_id VARCHAR, source_warehouse VARCHAR,
            pipeline_version VARCHAR, tables INTEGER, total_rows BIGINT,
            first_week_start DATE, last_week_start DATE, partitions VARCHAR,
            small_count_threshold INTEGER, survey_min_group_size INTEGER)
        """
    )
    con.execute(
        f"INSERT INTO {META_SCHEMA}.publication VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.published_at,
            result.run_id,
            str(source),
            pipeline_version(),
            len(result.row_counts),
            sum(result.row_counts.values()),
            result.first_week_start,
            result.last_week_start,
            partition_summary or None,
            threshold,
            survey_min,
        ],
    )
    by_table = {s.table: s for s in sources}
    con.execute(
        f"""
        CREATE TABLE {META_SCHEMA}.published_tables (
            table_schema VARCHAR, table_name VARCHAR, row_count BIGINT, suppressed_rows BIGINT,
            safe_to_sum BOOLEAN, sum_instead VARCHAR, source_asset VARCHAR, source_run_id VARCHAR, source_partition VARCHAR,
            materialized_at TIMESTAMPTZ, partitions_materialized INTEGER,
            first_partition VARCHAR, last_partition VARCHAR)
        """
    )
    for qualified, rows in result.row_counts.items():
        schema, table = qualified.split(".", 1)
        info = by_table.get(table) if schema == MARTS_SCHEMA else None
        con.execute(
            f"INSERT INTO {META_SCHEMA}.published_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                schema,
                table,
                rows,
                result.suppressed_rows.get(qualified, 0),
                result.safe_to_sum.get(qualified, True),
                result.sum_instead.get(qualified),
                info.asset_key if info else None,
                info.run_id if info else None,
                info.partition if info else None,
                info.materialized_at if info else None,
                info.partitions_materialized if info else None,
                info.first_partition if info else None,
                info.last_partition if info else None,
            ],
        )
    for table, text in {
        "publication": "One row: when this published state was built, by which Dagster run, "
        "from which warehouse and partitions, and the small-count settings applied.",
        "published_tables": "One row per published table: rows, rows with blanked values, "
        "whether sums over the table give the true totals (safe_to_sum) and if not which "
        "tables do (sum_instead), and the Dagster run and partitions that last materialised "
        "the mart.",
    }.items():
        con.execute(f"COMMENT ON TABLE {META_SCHEMA}.{table} IS {comments.sql_literal(text)}")
    for table, columns in META_COLUMN_DOCS.items():
        for column, text in columns.items():
            con.execute(
                f"COMMENT ON COLUMN {META_SCHEMA}.{table}.{_q(column)} IS {comments.sql_literal(text)}"
            )


META_COLUMN_DOCS: dict[str, dict[str, str]] = {
    "publication": {
        "published_at": "When this state was built (UTC).",
        "run_id": "The Dagster run that published it.",
        "source_warehouse": "The working warehouse it was copied from.",
        "pipeline_version": "Version and commit of the pipeline that published it.",
        "tables": "Number of published tables.",
        "total_rows": "Rows in all published tables together.",
        "first_week_start": "Earliest week (Monday) in any published mart with weeks.",
        "last_week_start": "Latest week (Monday) in any published mart with weeks.",
        "partitions": "Per mart: the first and last partition materialised and how many.",
        "small_count_threshold": "Counts above 0 and below this are published as NULL in the marts.",
        "survey_min_group_size": "Survey groups with fewer respondents are published as NULL.",
    },
    "published_tables": {
        "table_schema": "Schema of the published table (marts, totals, reference).",
        "table_name": "Name of the published table.",
        "row_count": "Rows in the published table.",
        "suppressed_rows": "Rows in which a value was blanked by the small-count or survey rule.",
        "safe_to_sum": "True when nothing in the table's counts is ever blanked, so sums over it "
        "are the true totals; false when the small-count rule can blank its counts.",
        "sum_instead": "For a table that is not safe to sum: the exact totals tables to sum instead.",
        "source_asset": "The Dagster asset that builds the mart.",
        "source_run_id": "The Dagster run that last materialised it.",
        "source_partition": "The partition of that materialisation.",
        "materialized_at": "When it was last materialised.",
        "partitions_materialized": "How many partitions of the mart have been materialised.",
        "first_partition": "First materialised partition.",
        "last_partition": "Last materialised partition.",
    },
}


def _verify(temp: Path, expected: dict[str, int]) -> None:
    """Reopen the finished file read-only: what BI tools will open must open, complete."""
    with connect(temp, read_only=True) as con:
        for qualified, rows in expected.items():
            schema, table = qualified.split(".", 1)
            got = _count(con, schema, table)
            if got != rows:
                raise PublishError(f"{temp}: {qualified} has {got} rows after checkpoint, expected {rows}")
    if temp.with_name(temp.name + ".wal").exists():
        raise PublishError(f"{temp}: a .wal file is left after CHECKPOINT and close")


def _not_safe_to_sum(threshold: int, blanked: int, rows: int, instead: str | None) -> str:
    return (
        f"NOT SAFE TO SUM: counts above 0 and below {threshold} are published as NULL (the "
        f"small-count rule), here in {blanked:,} of {rows:,} rows, so sums over this table "
        f"under-count. {_sum_from(instead)}"
    )


def _sum_from(instead: str | None) -> str:
    if instead:
        return f"For true totals sum {instead} (exact, never blanked)."
    return (
        "There is no exact totals table at this grain; rows with a blanked value have "
        f"{rules.FLAG_COLUMN} = true."
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str, where: str = "") -> int:
    return con.execute(f"SELECT count(*) FROM {schema}.{_q(table)} {where}").fetchone()[0]


@contextmanager
def _publisher_lock(target: Path) -> Iterator[None]:
    """One publisher per published file, even outside the run queue (e.g. ad-hoc CLI)."""
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_temp_files(target: Path) -> None:
    """Temp files of publishes that were killed; safe because we hold the publisher lock."""
    for stale in target.parent.glob(f".{target.name}.*{_TEMP_SUFFIX}*"):
        log.info("Removing stale temp file %s", stale)
        _unlink_quietly(stale)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pipeline_version() -> str:
    try:
        version = metadata.version("est_pipeline")
    except metadata.PackageNotFoundError:
        version = "unknown"
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+{commit}" if commit else version


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
