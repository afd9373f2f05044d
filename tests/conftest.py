"""Shared fixtures: every test gets its own data folder and its own DuckDB file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_HOME", str(Path(__file__).resolve().parent.parent / "dagster_home"))


@pytest.fixture
def est_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh EST_DATA_DIR under tmp_path; returns it. Settings read it at call time."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    monkeypatch.setenv("EST_DATA_DIR", str(data_dir))
    monkeypatch.setenv("EST_WAREHOUSE_PATH", str(data_dir / "warehouse.duckdb"))
    monkeypatch.setenv(
        "EST_PUBLISHED_WAREHOUSE_PATH", str(data_dir / "published" / "warehouse.duckdb")
    )
    return data_dir
