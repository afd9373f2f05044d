"""Dagster definitions for the reports concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
