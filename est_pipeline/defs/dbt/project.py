"""The dbt project as Dagster sees it: where it is, which dbt runs it, and its manifest.

``@dbt_assets`` reads ``target/manifest.json`` when the code location loads. ``dagster dev``
rebuilds it for us; everywhere else (``make demo``, ``make test``, a fresh checkout) nothing
does, so :func:`prepare_manifest` runs ``dbt parse`` when the manifest is missing (or when
asked to, after editing models). target/ is never committed.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from est_pipeline.settings import DBT_PROJECT_DIR, export_dbt_environment


def dbt_executable() -> str:
    """The dbt of this virtualenv, so a bare ``pytest`` or ``dagster`` finds it without PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


@cache
def get_dbt_project() -> DbtProject:
    """One DbtProject per process (cached: it reads dbt_project.yml from disk)."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest(force: bool = False) -> Path:
    """Make sure ``target/manifest.json`` exists and return its path.

    ``force=True`` re-parses even if a manifest is there (``make test``, ``make demo``,
    the tests' session fixture), so model edits are never hidden by a stale manifest.
    Under ``dagster dev`` dagster-dbt's own preparer re-parses on every load.
    """
    project = get_dbt_project()
    if force or not project.manifest_path.exists() or project.preparer.using_dagster_dev():
        export_dbt_environment()
        # A forced parse is a full one: dbt's partial parsing has been seen to drop the
        # descriptions of singular tests after an unrelated YAML file changed, and those
        # descriptions are what Dagster shows on the asset checks.
        args = ["parse", "--quiet"] + (["--no-partial-parse"] if force else [])
        (
            DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
            .cli(args, target_path=project.target_path)
            .wait()
        )
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt parse did not write {project.manifest_path}; run "
            f"`dbt parse --project-dir {project.project_dir}` to see why"
        )
    return project.manifest_path


@cache
def dbt_resource() -> DbtCliResource:
    """One resource object per process: the concerns' definitions merge by identity."""
    return DbtCliResource(project_dir=get_dbt_project(), dbt_executable=dbt_executable())


if __name__ == "__main__":
    # `python -m est_pipeline.defs.dbt.project`: what `make demo` / `make test` run first.
    import time

    started = time.perf_counter()
    path = prepare_manifest(force=True)
    print(f"  ✓ {'dbt manifest (dbt parse)':<34} {time.perf_counter() - started:7.1f} s   {path}")
