"""Asset checks of the ingest assets, computed from the suites run on every new file.

``suite`` is blocking: when a file breaks a whole-file rule of its great-expectations
suite, or too large a share of its rows had to be quarantined (a sign that the export
changed shape, not that a few rows are dirty), downstream marts would be computed from
a wrong picture, so they must not run. ``files_accepted`` only warns: a refused file
loads nothing, so it cannot poison anything, but someone must ask the partner for a
corrected file.
"""

from __future__ import annotations

import dagster as dg

from est_pipeline.ingest.loader import FileOutcome, FolderResult

#: Above this share of quarantined rows a file is treated as systematically wrong.
MAX_QUARANTINE_SHARE = 0.2

SUITE_CHECK = "suite"
FILES_CHECK = "files_accepted"


def check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            SUITE_CHECK, asset=key, blocking=True,
            description="Great-expectations suite of the feed on every new file: whole-file rules pass "
                        f"and at most {MAX_QUARANTINE_SHARE:.0%} of a file's rows are quarantined.",
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
    if f.rows_in and f.rows_quarantined / f.rows_in > MAX_QUARANTINE_SHARE:
        problems.append(f"{f.rows_quarantined}/{f.rows_in} rows quarantined")
    return problems


def check_results(key: dg.AssetKey, result: FolderResult) -> list[dg.AssetCheckResult]:
    loaded = [f for f in result.files if f.status == "loaded"]
    per_file = {f.file_name: _suite_problems(f) for f in loaded}
    failing = {name: p for name, p in per_file.items() if p}
    suite_meta = {
        "files_validated": len(loaded),
        "files_failing": len(failing),
        "per_file": dg.MetadataValue.json(
            {f.file_name: {"problems": per_file[f.file_name],
                           "suite": f.suite.summary() if f.suite is not None else None,
                           "reason_codes": f.reason_codes}
             for f in loaded}
        ),
    }
    rejected = [f for f in result.files if f.status == "rejected"]
    warnings = {
        f.file_name: [f"{e.expectation}({e.column}): {len(e.unexpected_rows)} rows" for e in f.suite.failed("report")]
        for f in loaded if f.suite is not None and f.suite.failed("report")
    }
    files_meta = {
        "files_rejected": len(rejected),
        "rejected": dg.MetadataValue.json({f.file_name: {"error_code": f.error_code, "message": f.message}
                                           for f in rejected}),
        "suite_warnings": dg.MetadataValue.json(warnings),
    }
    return [
        dg.AssetCheckResult(asset_key=key, check_name=SUITE_CHECK, passed=not failing,
                            severity=dg.AssetCheckSeverity.ERROR, metadata=suite_meta),
        dg.AssetCheckResult(asset_key=key, check_name=FILES_CHECK, passed=not rejected and not warnings,
                            severity=dg.AssetCheckSeverity.WARN, metadata=files_meta),
    ]
