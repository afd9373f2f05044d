"""The ingest assets, checks and sensor, run by Dagster in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg

from est_pipeline.defs.ingest.assets import ALL_KEYS, feed_assets, reference_assets
from est_pipeline.defs.ingest.definitions import build_defs
from est_pipeline.defs.ingest.sensors import landing_sensor
from est_pipeline.ingest import examples

CORPUS = Path(__file__).resolve().parent / "fixtures" / "malformed"
ASSETS = [*feed_assets, reference_assets]


def _checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    mats = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    return {m.asset_key.to_user_string(): m.metadata for m in mats}


def test_definitions_keys_and_job() -> None:
    defs = build_defs()
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == sorted(k.to_user_string() for k in ALL_KEYS)
    assert "raw/police_local_incidents" in keys and "raw/area_deso" in keys
    assert defs.resolve_job_def("ingest_job") is not None
    assert all(a.group_names_by_key[k] == "ingest" for a in ASSETS for k in a.keys)


def test_materialize_all_feeds_with_checks(est_env: Path) -> None:
    examples.write_examples(est_env / "landing")
    # A refused file next to the good ones: the others still load, the warning check fails.
    shutil.copy(CORPUS / "checklist/empty.csv", est_env / "landing/checklist/empty.csv")
    result = dg.materialize(ASSETS)
    assert result.success
    mats = _metadata(result)
    assert len(mats) == 15  # 9 feeds + 6 reference tables
    local = mats["raw/police_local_incidents"]
    assert (local["files_seen"].value, local["files_loaded"].value, local["rows_in"].value,
            local["rows_loaded"].value, local["rows_quarantined"].value) == (1, 1, 3, 3, 0)
    assert local["pii_masked"].value["phone"] == 1
    assert json.loads(json.dumps(local["weeks_touched"].value)) == ["2024-03-04"]
    assert "handelser_v10.csv" in local["files"].value
    checklist = mats["raw/checklist_ratings"]
    assert (checklist["files_rejected"].value, checklist["files_loaded"].value) == (1, 1)
    checks = _checks(result)
    assert len(checks) == 30
    assert checks[("raw/checklist_ratings", "suite")].passed
    assert not checks[("raw/checklist_ratings", "files_accepted")].passed
    assert checks[("raw/checklist_ratings", "files_accepted")].severity == dg.AssetCheckSeverity.WARN
    assert all(e.passed for (k, name), e in checks.items() if k != "raw/checklist_ratings")

    # Second run: everything skipped, nothing new.
    again = dg.materialize(ASSETS)
    mats = _metadata(again)
    assert mats["raw/police_local_incidents"]["files_skipped"].value == 1
    assert mats["raw/police_local_incidents"]["rows_loaded"].value == 0


def test_suite_check_fails_while_a_file_is_held_and_blocks_nothing(est_env: Path) -> None:
    """A mostly broken file is held: the suite check fails (ERROR) on this run and on every
    re-run, but it is not a Dagster blocking check, so nothing downstream is skipped; a file
    with one bad row of two is no evidence and loads."""
    folder = est_env / "landing" / "safety_survey"
    folder.mkdir(parents=True)
    shutil.copy(CORPUS / "safety_survey/out_of_scale.csv", folder)  # 1 of 2 rows quarantined: loads
    header = "Svars-ID,År,Områdes-ID,Åldersgrupp,Trygg_dag,Trygg_kvall,Oro_brott,Problem_ordning\n"
    (folder / "omkodad.csv").write_text(header + "".join(f"S-{i},2023,NV01,16-29,9,3,2,2\n" for i in range(8))
                                        + "S-8,2023,NV01,16-29,3,3,2,2\n", encoding="utf-8")
    survey_asset = next(a for a in feed_assets if a.key == dg.AssetKey(["raw", "safety_survey"]))
    spec = next(s for s in survey_asset.check_specs if s.name == "suite")
    assert not spec.blocking
    for attempt in range(2):  # the second run skips both files as known: the file stays held
        result = dg.materialize([survey_asset], raise_on_error=False)
        assert result.success
        suite = _checks(result)[("raw/safety_survey", "suite")]
        assert not suite.passed and suite.severity == dg.AssetCheckSeverity.ERROR
        assert suite.metadata["held"].value == {"omkodad.csv": "too_many_rows_quarantined"}
    mats = _metadata(result)["raw/safety_survey"]
    assert mats["files_still_held"].value == 1 and mats["files_skipped"].value == 2


def test_sensor_requests_the_feeds_with_new_files(est_env: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance)
    assert isinstance(landing_sensor(ctx), dg.SkipReason)

    paths = examples.write_examples(est_env / "landing", reference=False)
    ctx = dg.build_sensor_context(instance=instance)
    first = landing_sensor(ctx)
    assert isinstance(first, dg.SensorResult)
    [request] = first.run_requests
    assert len(request.asset_selection) == 9

    # Nothing changed since the cursor: skip. One file changes: only its feed runs.
    ctx = dg.build_sensor_context(instance=instance, cursor=first.cursor)
    assert isinstance(landing_sensor(ctx), dg.SkipReason)
    new = paths["checklist"].with_name("checklista_v11.csv")
    new.write_bytes(examples.CHECKLIST.replace("2024-W10", "2024-W11").encode("cp1252"))
    ctx = dg.build_sensor_context(instance=instance, cursor=first.cursor)
    second = landing_sensor(ctx)
    [request] = second.run_requests
    assert request.asset_selection == [dg.AssetKey(["raw", "checklist_ratings"])]
    assert request.run_key != first.run_requests[0].run_key
