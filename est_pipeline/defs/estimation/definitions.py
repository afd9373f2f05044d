"""Dagster definitions for the estimation concern (uppföljning)."""

import dagster as dg

from est_pipeline.defs.estimation.assets import intervention_effects


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[intervention_effects])
