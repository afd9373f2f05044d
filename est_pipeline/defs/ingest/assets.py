"""One asset per feed (and one multi-asset for reference data), all file-driven.

An asset run ingests whatever is new in its landing folder; files already loaded are
skipped, so materialising again is harmless. The metadata tells the analyst what
happened to every file and which weeks the new rows belong to (``weeks_touched``), so a
late file can trigger a re-run of exactly those weekly partitions.
"""


import json

import dagster as dg

from est_pipeline.defs.ingest.checks import check_results, check_specs
from est_pipeline.ingest.feeds import FEEDS, REFERENCE_FEEDS, REFERENCE_FOLDER
from est_pipeline.ingest.loader import FolderResult, ingest_folder

GROUP = "ingest"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


#: Files listed one by one in the ``files`` metadata table at most: a backfill of
#: thousands of files is summed up, and every file that needs attention comes first.
LISTED_FILES = 100


def _attention(f) -> int:  # type: ignore[no-untyped-def]
    """Sort order: refused and held files first, then files with quarantined rows or
    repeats, then the rest."""
    if f.status in ("rejected", "held"):
        return 0
    if f.rows_quarantined or f.rows_repeated or f.superseded:
        return 1
    return 2


def files_table(result: FolderResult) -> str:
    lines = [
        "| file | status | rows in | loaded | quarantined | repeats | pii masked | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    new = sorted((f for f in result.files if f.status != "skipped"), key=_attention)
    for f in new[:LISTED_FILES]:
        note = f.message or ""
        if f.superseded:
            note = f"supersedes previous version. {note}"
        if f.extra_columns:
            note += f" extra columns ignored: {', '.join(f.extra_columns)}"
        note = note.replace("|", "\\|").replace("\n", " ")
        pii = sum(f.pii.values())
        code = f.error_code or f.hold_code
        lines.append(f"| {f.file_name} | {f.status}{' (' + code + ')' if code else ''} | "
                     f"{f.rows_in} | {f.rows_loaded} | {f.rows_quarantined} | {f.rows_repeated} | {pii} | {note.strip()} |")
    if len(new) > LISTED_FILES:
        lines.append(f"| … {len(new) - LISTED_FILES} more new files (see raw.file_registry) | | | | | | | |")
    skipped = result.count("skipped")
    if skipped:
        lines.append(f"| {skipped} files already known | skipped | | | | | | |")
    return "\n".join(lines)


def feed_metadata(result: FolderResult) -> dict[str, object]:
    return {
        "files_seen": len(result.files),
        "files_loaded": result.count("loaded"),
        "files_held": result.count("held"),
        "files_still_held": len(result.still_held),
        "files_skipped": result.count("skipped"),
        "files_superseded": sum(f.superseded for f in result.files),
        "files_rejected": result.count("rejected"),
        "rows_in": result.rows_in,
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "rows_repeated": sum(f.rows_repeated for f in result.files),
        "pii_masked": dg.MetadataValue.json(result.pii),
        "pii_masked_total": sum(result.pii.values()),
        "files": dg.MetadataValue.md(files_table(result)),
        "extra_columns": dg.MetadataValue.json(
            {f.file_name: f.extra_columns for f in result.files if f.extra_columns}),
        "weeks_touched": dg.MetadataValue.json(result.weeks_touched),
        "weeks_touched_count": len(result.weeks_touched),
    }


def _feed_asset(folder: str, table: str, description: str) -> dg.AssetsDefinition:
    key = raw_key(table)

    @dg.asset(
        key=key, group_name=GROUP, check_specs=check_specs(key), description=description,
        kinds={"duckdb", "python"},
    )
    def _ingest(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        result = ingest_folder(folder, log_fn=context.log.info)
        return dg.MaterializeResult(metadata=feed_metadata(result), check_results=check_results(key, result))

    _ingest.__name__ = f"ingest_{folder}"
    return _ingest


feed_assets = [
    _feed_asset(feed.name, feed.table,
                f"{feed.title_sv}: landing/{feed.name}/ -> raw.{feed.table}. Partner page: docs/feeds/{feed.name}.md")
    for feed in FEEDS.values()
]

REFERENCE_KEYS = [raw_key(f.table) for f in REFERENCE_FEEDS]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(raw_key(f.table), group_name=GROUP, kinds={"duckdb", "python"},
                     description=f"{f.title_sv}: landing/reference/{' | '.join(f.file_names)} -> raw.{f.table}")
        for f in REFERENCE_FEEDS
    ],
    check_specs=[spec for key in REFERENCE_KEYS for spec in check_specs(key)],
    name="ingest_reference",
)
def reference_assets(context: dg.AssetExecutionContext):
    """Reference data arrive rarely and together; one run reads the whole folder."""
    result = ingest_folder(REFERENCE_FOLDER, log_fn=context.log.info)
    for i, (feed, key) in enumerate(zip(REFERENCE_FEEDS, REFERENCE_KEYS)):
        # Files with an unknown name belong to no table; they are reported (refused)
        # once, on the first reference asset.
        part = FolderResult(result.folder, [
            f for f in result.files if f.table == feed.table or (i == 0 and f.table is None)],
            still_held={n: c for n, c in result.still_held.items() if n in feed.file_names})
        yield dg.MaterializeResult(asset_key=key, metadata=feed_metadata(part))
        yield from check_results(key, part, table=feed.table)
    unknown = [f for f in result.files if f.table is None]
    if unknown:
        context.log.warning("reference files refused: " + json.dumps(
            {f.file_name: f.message for f in unknown}, ensure_ascii=False))


ALL_KEYS = [raw_key(f.table) for f in FEEDS.values()] + REFERENCE_KEYS
FOLDER_KEYS: dict[str, list[dg.AssetKey]] = {
    **{name: [raw_key(f.table)] for name, f in FEEDS.items()},
    REFERENCE_FOLDER: REFERENCE_KEYS,
}
