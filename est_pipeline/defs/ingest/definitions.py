"""Dagster definitions for the ingest concern."""

import dagster as dg


def build_defs() -> dg.Definitions:
    return dg.Definitions()
