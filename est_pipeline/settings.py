"""Where the pipeline keeps its files and which rhythm it follows.

Everything is read from environment variables at call time (not import time) so that
tests can point a fresh pipeline at a temporary folder with ``monkeypatch.setenv``.
One variable, ``EST_DATA_DIR``, moves everything; ``EST_WAREHOUSE_PATH`` names the
DuckDB file and is read both here and by ``dbt_project/profiles.yml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

#: The method's analysis periods that a municipality may choose (DESIGN §1).
ANALYSIS_PERIODS = ("quarter", "tertial")
#: The police's public events API (JSON list of events; ``?locationname=`` filters).
POLICE_EVENTS_URL = "https://polisen.se/api/events"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse_path: Path
    published_warehouse_path: Path
    timezone: str
    partition_start: str
    analysis_period: str
    small_count_threshold: int
    survey_min_group_size: int
    #: The events API the fetcher calls, and the location names it asks for (empty: off).
    police_events_url: str = POLICE_EVENTS_URL
    police_events_locations: tuple[str, ...] = ()

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def ground_truth_dir(self) -> Path:
        return self.data_dir / "ground_truth"


def get_settings() -> Settings:
    data_dir = Path(os.environ.get("EST_DATA_DIR", REPO_ROOT / "data")).resolve()
    warehouse = Path(os.environ.get("EST_WAREHOUSE_PATH", data_dir / "warehouse.duckdb")).resolve()
    published = Path(
        os.environ.get("EST_PUBLISHED_WAREHOUSE_PATH", data_dir / "published" / "warehouse.duckdb")
    ).resolve()
    period = os.environ.get("EST_ANALYSIS_PERIOD", "quarter").strip().lower()
    if period not in ANALYSIS_PERIODS:
        raise ValueError(
            f"EST_ANALYSIS_PERIOD must be one of {ANALYSIS_PERIODS}, got {period!r}"
        )
    return Settings(
        data_dir=data_dir,
        warehouse_path=warehouse,
        published_warehouse_path=published,
        timezone=os.environ.get("EST_TIMEZONE", "Europe/Stockholm"),
        # Monday of ISO week 2020-W01: the demo's first week.
        partition_start=os.environ.get("EST_PARTITION_START", "2019-12-30"),
        analysis_period=period,
        small_count_threshold=int(os.environ.get("EST_SMALL_COUNT_THRESHOLD", "3")),
        survey_min_group_size=int(os.environ.get("EST_SURVEY_MIN_GROUP_SIZE", "10")),
        police_events_url=os.environ.get("EST_POLICE_EVENTS_URL", "").strip() or POLICE_EVENTS_URL,
        police_events_locations=tuple(
            name.strip() for name in os.environ.get("EST_POLICE_EVENTS_LOCATIONS", "").split(",") if name.strip()
        ),
    )


def export_dbt_environment() -> None:
    """dbt runs in a subprocess and reads the warehouse path from the environment."""
    settings = get_settings()
    os.environ["EST_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
