"""Dagster definitions for the estimation concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
