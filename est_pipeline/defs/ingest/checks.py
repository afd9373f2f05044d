"""Asset checks of the ingest assets, computed from the suites run on every new file.

``suite`` (severity ERROR) fails while any file of the feed is *held*: it broke a
whole-file rule of its great-expectations suite, or too large a share of its rows had to
be quarantined for chance to explain it (``est_pipeline.ingest.holds``). The check is not
a Dagster *blocking* check, on purpose: a blocking check stops every asset downstream of
the raw table, and the unpartitioned dbt models are one step, so one small file would
stop every feed and every week. The block is in the data instead: a held file's rows are
kept in schema ``held``, which nothing downstream reads, so marts build from everything
else and never from the held rows. The check keeps failing on every run, new files or
not, until the file is corrected or accepted (``make accept``).

``files_accepted`` only warns: a refused file loads nothing, so it cannot poison anything,
but someone must ask the partner for a corrected file.
"""

from __future__ import annotations

import dagster as dg

from est_pipeline.ingest.holds import HOLD_SIGNIFICANCE, MAX_QUARANTINE_SHARE
from est_pipeline.ingest.loader import FileOutcome, FolderResult

SUITE_CHECK = "suite"
FILES_CHECK = "files_accepted"
#: Files listed one by one in check metadata at most (the rest are counted).
LISTED_FILES = 100


def check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            SUITE_CHECK, asset=key, blocking=False,
            description="Great-expectations suite of the feed on every new file. Fails while a file is held: "
                        "a whole-file rule failed, or more than "
                        f"{MAX_QUARANTINE_SHARE:.0%} of its rows were quarantined (binomial test, "
                        f"{HOLD_SIGNIFICANCE:.0%} level). A held file's rows stay out of the marts until "
                        "a corrected file arrives or someone accepts it (make accept); other files, feeds "
                        "and weeks build.",
        ),
        dg.AssetCheckSpec(
            FILES_CHECK, asset=key, blocking=False,
            description="No new file was refused and no suite warning (e.g. duplicate ids).",
        ),
    ]


def _suite_problems(f: FileOutcome) -> list[str]:
    problems = []
    if f.suite is not None:
        problems += [f"{e.expectation}({e.column or ''})" for e in f.suite.failed("table")]
    if f.hold_code:
        problems.append(f"held: {f.hold_code} ({f.rows_quarantined}/{f.rows_in} rows quarantined)")
    return problems


def check_results(key: dg.AssetKey, result: FolderResult, table: str | None = None) -> list[dg.AssetCheckResult]:
    validated = [f for f in result.files if f.status in ("loaded", "held") and (table is None or f.table == table)]
    held_now = {f.file_name: f.hold_code for f in validated if f.status == "held"}
    still = {name: code for name, code in result.still_held.items() if name not in held_now and (
        table is None or _table_of(result, name) in (None, table))}
    per_file = {f.file_name: _suite_problems(f) for f in validated}
    notable = [f for f in validated if per_file[f.file_name] or f.rows_quarantined]
    suite_meta = {
        "files_validated": len(validated),
        "files_held_now": len(held_now),
        "files_still_held": len(still),
        "held": dg.MetadataValue.json({**{n: c for n, c in still.items()}, **held_now}),
        "per_file": dg.MetadataValue.json(
            {f.file_name: {"problems": per_file[f.file_name],
                           "suite": f.suite.summary() if f.suite is not None else None,
                           "reason_codes": f.reason_codes}
             for f in notable[:LISTED_FILES]}
        ),
        "files_not_listed": max(0, len(notable) - LISTED_FILES),
    }
    rejected = [f for f in result.files if f.status == "rejected" and (table is None or f.table in (None, table))]
    warnings = {
        f.file_name: [f"{e.expectation}({e.column}): {len(e.unexpected_rows)} rows" for e in f.suite.failed("report")]
        for f in validated if f.suite is not None and f.suite.failed("report")
    }
    files_meta = {
        "files_rejected": len(rejected),
        "rejected": dg.MetadataValue.json({f.file_name: {"error_code": f.error_code, "message": f.message}
                                           for f in rejected[:LISTED_FILES]}),
        "suite_warnings": dg.MetadataValue.json(dict(list(warnings.items())[:LISTED_FILES])),
    }
    return [
        dg.AssetCheckResult(asset_key=key, check_name=SUITE_CHECK, passed=not held_now and not still,
                            severity=dg.AssetCheckSeverity.ERROR, metadata=suite_meta),
        dg.AssetCheckResult(asset_key=key, check_name=FILES_CHECK, passed=not rejected and not warnings,
                            severity=dg.AssetCheckSeverity.WARN, metadata=files_meta),
    ]


def _table_of(result: FolderResult, name: str) -> str | None:
    from est_pipeline.ingest.loader import _table_or_none

    return _table_or_none(result.folder, name)
