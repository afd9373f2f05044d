"""Start ingestion when partners drop files.

The cursor remembers (size, mtime) of every landing file seen; a new or changed file
requests a run of the ingest assets of its feed only. Ingestion itself is idempotent by
content hash, so a file seen twice (e.g. after a cursor reset) costs a hash, not a load.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from est_pipeline.defs.ingest.assets import ALL_KEYS, FOLDER_KEYS
from est_pipeline.ingest.feeds import ALL_FOLDERS
from est_pipeline.ingest.registry import landing_files
from est_pipeline.settings import get_settings

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(*ALL_KEYS),
    description="Read every landing folder into the raw tables.",
)


def landing_snapshot() -> dict[str, list[int]]:
    root = get_settings().landing_dir
    snap: dict[str, list[int]] = {}
    for folder in ALL_FOLDERS:
        for path in landing_files(folder):
            stat = path.stat()
            snap[path.relative_to(root).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return snap


@dg.sensor(job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    previous: dict[str, list[int]] = json.loads(context.cursor) if context.cursor else {}
    current = landing_snapshot()
    changed = sorted(p for p, sig in current.items() if previous.get(p) != sig)
    if not changed:
        return dg.SkipReason("no new or changed files in landing/")
    folders = sorted({p.split("/", 1)[0] for p in changed})
    keys = [k for folder in folders for k in FOLDER_KEYS[folder]]
    run_key = hashlib.sha256(json.dumps({p: current[p] for p in changed}).encode()).hexdigest()[:24]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                asset_selection=keys,
                tags={"est/trigger": "landing_sensor", "est/feeds": ",".join(folders)},
            )
        ],
        cursor=json.dumps(current),
    )
