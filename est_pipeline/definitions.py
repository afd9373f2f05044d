"""The Dagster code location: merges the definitions of every concern under ``defs/``."""

from __future__ import annotations

import dagster as dg

from est_pipeline.settings import export_dbt_environment

export_dbt_environment()

from est_pipeline.defs import load_all_defs  # noqa: E402

defs: dg.Definitions = load_all_defs()
