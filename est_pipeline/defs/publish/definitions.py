"""Dagster definitions for the publish concern: the BI warehouse and when it is rebuilt."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from est_pipeline.defs.publish.assets import build_published_warehouse_asset
from est_pipeline.defs.publish.marts import discover_mart_specs
from est_pipeline.defs.publish.sensors import publish_after_mart_runs, publish_job


def build_defs(mart_specs: Sequence[dg.AssetSpec] | None = None) -> dg.Definitions:
    """``mart_specs`` defaults to the marts of every other concern (see ``marts.py``)."""
    specs = discover_mart_specs() if mart_specs is None else tuple(mart_specs)
    return dg.Definitions(
        assets=[build_published_warehouse_asset(specs)],
        jobs=[publish_job],
        sensors=[publish_after_mart_runs],
    )
