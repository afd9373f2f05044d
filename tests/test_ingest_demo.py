"""End to end: the demo generator's files, ingested by Dagster, checked against its ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg

from est_pipeline.defs.ingest.assets import feed_assets, reference_assets
from est_pipeline.lib.warehouse import connect

ASSETS = [*feed_assets, reference_assets]
#: Small, but with ground-truth dirt in it (seed 1 plants impossible dates in this window).
DEMO_ARGS = ["--seed", "1", "--areas", "4", "--weeks", "20", "--start-week", "2024-W01"]
PII_KINDS = {"personnummer": "personal_identity_number", "phone": "phone", "email": "email", "regnr": "vehicle_registration"}


def test_demo_data_ingests_completely(est_env: Path) -> None:
    subprocess.run([sys.executable, "-m", "est_pipeline.demo", "--out", str(est_env), *DEMO_ARGS],
                   check=True, capture_output=True)
    truth = json.loads((est_env / "ground_truth" / "truth.json").read_text())

    result = dg.materialize(ASSETS)
    assert result.success
    with connect(read_only=True) as con:
        registry = {(r[0], r[1]): r[2:] for r in con.execute(
            "SELECT feed, file_name, status, rows_in, rows_loaded, rows_quarantined FROM raw.file_registry").fetchall()}
        quarantined = con.execute(
            "SELECT feed, file_name, reason_code, count(DISTINCT row_number) FROM raw.quarantine GROUP BY ALL").fetchall()
        first = {t: con.execute(f"SELECT * FROM raw.{t} ORDER BY _file_name, _row_number").fetchall()
                 for t in ("police_local_incidents", "checklist_ratings", "property_incidents", "areas")}

    # Every generated file is registered, loaded, and its rows are all accounted for.
    files = truth["files"]
    assert len(files) >= 40
    for f in files:
        status, rows_in, loaded, quarantined_rows = registry[(f["feed"], f["file_name"])]
        assert status == "loaded", f
        assert rows_in == f["rows"], f
        assert rows_in == loaded + quarantined_rows
    assert len(registry) == len(files)

    # Ground-truth dirt: every impossible date is quarantined, and nothing else is.
    planted = sum(d.get("impossible_date", 0) for d in truth["dirt"].values())
    assert planted > 0
    date_rows = sum(n for _, _, code, n in quarantined if code in ("invalid_date", "implausible_date"))
    assert date_rows == planted
    assert {code for _, _, code, _ in quarantined} <= {"invalid_date", "implausible_date"}

    # Personal data planted in free text is masked, kind by kind.
    mats = {e.event_specific_data.materialization.asset_key.to_user_string():
            e.event_specific_data.materialization.metadata for e in result.get_asset_materialization_events()}
    tables = {"checklist": "raw/checklist_ratings", "fault_reports": "raw/fault_reports",
              "interventions": "raw/interventions", "property_incidents": "raw/property_incidents",
              "field_observations": "raw/field_observations", "police_local": "raw/police_local_incidents"}
    for feed, planted_pii in truth["pii"].items():
        masked = mats[tables[feed]]["pii_masked"].value
        for kind, n in planted_pii.items():
            assert masked[PII_KINDS[kind]] == n, (feed, kind)
    assert all(e.passed for e in result.get_asset_check_evaluations() if e.check_name == "suite")

    # Idempotent: a second materialisation changes nothing.
    assert dg.materialize(ASSETS).success
    with connect(read_only=True) as con:
        for table, rows in first.items():
            assert con.execute(f"SELECT * FROM raw.{table} ORDER BY _file_name, _row_number").fetchall() == rows
