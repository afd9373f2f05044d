"""Where the pipeline keeps its files and which rhythm it follows.

Everything is read at call time (not import time) so that tests can point a fresh
pipeline at a temporary folder with ``monkeypatch.setenv``. One variable,
``EST_DATA_DIR``, moves everything; ``EST_WAREHOUSE_PATH`` names the DuckDB file and is
read both here and by ``dbt_project/profiles.yml``.

The rhythm of a deployment (first partition, analysis period, time zone, suppression
thresholds) lives in an optional settings file, ``$EST_DATA_DIR/settings.toml``, that the
onboarding check writes from the data (``python -m est_pipeline.onboarding check
--write-settings``). Precedence: an environment variable, then the settings file, then
the built-in default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

#: The method's analysis periods that a municipality may choose (quarters or tertials).
ANALYSIS_PERIODS = ("quarter", "tertial")
#: The police's public events API (JSON list of events; ``?locationname=`` filters).
POLICE_EVENTS_URL = "https://polisen.se/api/events"

SETTINGS_FILE_NAME = "settings.toml"
#: key in settings.toml -> (environment variable, built-in default)
RHYTHM_SETTINGS: dict[str, tuple[str, Any]] = {
    # Monday of ISO week 2020-W01: the demo's first week.
    "partition_start": ("EST_PARTITION_START", "2019-12-30"),
    "analysis_period": ("EST_ANALYSIS_PERIOD", "quarter"),
    "timezone": ("EST_TIMEZONE", "Europe/Stockholm"),
    "small_count_threshold": ("EST_SMALL_COUNT_THRESHOLD", 3),
    "survey_min_group_size": ("EST_SURVEY_MIN_GROUP_SIZE", 10),
    # The all-municipality BI file besides one sealed file per municipality: auto (only while
    # the deployment holds one municipality), yes or no.
    "publish_combined": ("EST_PUBLISH_COMBINED", "auto"),
    # Processes for the work repeated per municipality (estimation, reports, published
    # files): auto (one per core) or a whole number; 1 keeps everything in one process.
    "workers": ("EST_WORKERS", "auto"),
}
PUBLISH_COMBINED_VALUES = ("auto", "yes", "no")


class SettingsError(ValueError):
    """A setting has a value the pipeline cannot use; the message says where it came from."""


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
    publish_combined: str = "auto"
    workers: str | int = "auto"
    #: The events API the fetcher calls, and the location names it asks for (empty: off).
    police_events_url: str = POLICE_EVENTS_URL
    police_events_locations: tuple[str, ...] = ()
    #: (key, "env" | "file" | "default") for each rhythm setting: where its value came from.
    sources: tuple[tuple[str, str], ...] = ()

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

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_FILE_NAME

    def source(self, key: str) -> str:
        return dict(self.sources).get(key, "default")


def read_settings_file(path: Path) -> dict[str, Any]:
    """The rhythm settings in ``path`` ({} when there is no file)."""
    if not path.is_file():
        return {}
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not a valid TOML file: {exc}") from None
    unknown = sorted(set(values) - set(RHYTHM_SETTINGS))
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(RHYTHM_SETTINGS)}"
        )
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SettingsError(f"cannot write {value!r} to the settings file")
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_settings_file(path: Path, values: dict[str, Any], comment: str = "") -> dict[str, Any]:
    """Set ``values`` in the settings file, keeping its other settings; returns them all."""
    merged = {**read_settings_file(path), **values}
    unknown = sorted(set(merged) - set(RHYTHM_SETTINGS))
    if unknown:
        raise SettingsError(f"unknown setting(s) {', '.join(unknown)}")
    for key, value in merged.items():
        _validate(key, value, str(path))
    lines = ["# est_pipeline settings for this deployment (environment variables override them)."]
    lines += [f"# {line}" for line in comment.splitlines()]
    lines += [f"{key} = {_toml_value(merged[key])}" for key in RHYTHM_SETTINGS if key in merged]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return merged


def _validate(key: str, value: Any, where: str) -> Any:
    """The value typed and checked; SettingsError naming ``where`` (a file or variable)."""
    default = RHYTHM_SETTINGS[key][1]
    if isinstance(default, int):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: {key} must be a whole number, got {value!r}") from None
        if number < 1 or isinstance(value, bool):
            raise SettingsError(f"{where}: {key} must be 1 or more, got {value!r}")
        return number
    text = str(value).strip()
    if key == "partition_start":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise SettingsError(f"{where}: partition_start must be a date YYYY-MM-DD, got {value!r}") from None
        if day.weekday() != 0:
            raise SettingsError(f"{where}: partition_start must be a Monday (weeks are ISO weeks), got {text}, a "
                                f"{day.strftime('%A')}")
        return day.isoformat()
    if key == "publish_combined":
        text = text.lower()
        if text not in PUBLISH_COMBINED_VALUES:
            raise SettingsError(f"{where}: publish_combined must be one of {PUBLISH_COMBINED_VALUES}, got {value!r}")
        return text
    if key == "workers":
        if text.lower() == "auto":
            return "auto"
        try:
            number = int(text)
        except ValueError:
            number = 0
        if number < 1 or isinstance(value, bool):
            raise SettingsError(f"{where}: workers must be auto or a whole number 1 or more, got {value!r}")
        return number
    if key == "analysis_period":
        text = text.lower()
        if text not in ANALYSIS_PERIODS:
            raise SettingsError(f"{where}: analysis_period must be one of {ANALYSIS_PERIODS}, got {value!r}")
        return text
    if key == "timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{where}: timezone {value!r} is not a known time zone") from None
        return text
    return text


def get_settings() -> Settings:
    data_dir = Path(os.environ.get("EST_DATA_DIR", REPO_ROOT / "data")).resolve()
    warehouse = Path(os.environ.get("EST_WAREHOUSE_PATH", data_dir / "warehouse.duckdb")).resolve()
    published = Path(
        os.environ.get("EST_PUBLISHED_WAREHOUSE_PATH", data_dir / "published" / "warehouse.duckdb")
    ).resolve()
    path = data_dir / SETTINGS_FILE_NAME
    from_file = read_settings_file(path)
    rhythm: dict[str, Any] = {}
    sources: list[tuple[str, str]] = []
    for key, (env, default) in RHYTHM_SETTINGS.items():
        if os.environ.get(env, "").strip():
            rhythm[key] = _validate(key, os.environ[env], env)
            sources.append((key, "env"))
        elif key in from_file:
            rhythm[key] = _validate(key, from_file[key], str(path))
            sources.append((key, "file"))
        else:
            rhythm[key] = default
            sources.append((key, "default"))
    return Settings(
        data_dir=data_dir,
        warehouse_path=warehouse,
        published_warehouse_path=published,
        police_events_url=os.environ.get("EST_POLICE_EVENTS_URL", "").strip() or POLICE_EVENTS_URL,
        police_events_locations=tuple(
            name.strip() for name in os.environ.get("EST_POLICE_EVENTS_LOCATIONS", "").split(",") if name.strip()
        ),
        sources=tuple(sources),
        **rhythm,
    )


def export_dbt_environment() -> None:
    """dbt runs in a subprocess and reads the warehouse path from the environment."""
    settings = get_settings()
    os.environ["EST_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
