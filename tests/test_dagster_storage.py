"""The instance's event log storage (est_pipeline.lib.dagster_storage) on the project's own
dagster.yaml: runs record their events, another process reads them, and a second instance
in this process sees the first one's runs."""


import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from est_pipeline.lib.dagster_storage import FastSqliteEventLogStorage

REPO = Path(__file__).resolve().parent.parent


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b", "c"]))
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"partition": context.partition_key})


def test_events_are_stored_and_readable_across_instances_and_processes(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    instance = dg.DagsterInstance.get()
    assert isinstance(instance.event_log_storage, FastSqliteEventLogStorage)
    for key in ("a", "b", "c"):
        assert dg.materialize([counted], instance=instance, partition_key=key).success
    assert instance.get_materialized_partitions(dg.AssetKey("counted")) == {"a", "b", "c"}
    instance.dispose()

    # The files are Dagster's usual layout, readable by any process on the same home.
    assert (home / "history" / "runs" / "index.db").exists()
    code = (
        "import dagster as dg; i = dg.DagsterInstance.get(); "
        "print(sorted(i.get_materialized_partitions(dg.AssetKey('counted'))), len(i.get_runs()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"DAGSTER_HOME": str(home), "PATH": ""}, check=True)
    assert out.stdout.strip() == "['a', 'b', 'c'] 3"

    again = dg.DagsterInstance.get()
    event = again.get_latest_materialization_event(dg.AssetKey("counted"))
    assert event is not None and event.asset_materialization.metadata["partition"].value == "c"
    again.dispose()
