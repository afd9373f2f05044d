"""Dagster definitions for the reports concern (återkoppling)."""

import dagster as dg

from est_pipeline.defs.reports.assets import period_report, weekly_report, yearly_report


def build_defs() -> dg.Definitions:
    return dg.Definitions(assets=[weekly_report, period_report, yearly_report])
