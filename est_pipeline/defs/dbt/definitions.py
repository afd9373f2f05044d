"""Dagster definitions for the dbt concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
