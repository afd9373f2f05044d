"""Dagster definitions for the publish concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
