"""Dagster definitions for the prioritisation concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
