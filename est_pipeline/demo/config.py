"""What a demo run is asked to produce, and what it reports back.

The configuration is the whole input of the generator: the same config (seed included)
gives byte-identical files, so a test or a benchmark can regenerate a data set instead of
storing it. The planted intervention effects live here too, because they are part of the
experiment the demo data encodes and tests may want stronger effects than the default.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

#: Planted incidence-rate ratios per intervention type (English type names from
#: ``dbt_project/seeds/intervention_types.csv``). A type missing here gets 1.0 (no effect).
DEFAULT_EFFECTS: dict[str, float] = {
    "lighting_improvement": 0.80,
    "evening_outreach": 0.85,
    "police_patrol": 0.90,
    "camera_surveillance": 0.90,
    "graffiti_removal": 0.75,
    "safety_walk": 1.00,  # placebo: the estimator should find nothing here
    "youth_activity": 0.85,
    "cleanup": 0.90,
}

FILE_PERIODS = ("week", "month", "quarter", "year")

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 42
    municipalities: int = 1
    areas: int = 14  # residential areas per municipality
    start_week: str = "2020-W01"
    weeks: int = 157
    event_rate: float = 1.0  # multiplies every category's base rate
    file_period: str = "month"  # how the partners cut their event files
    #: Gamma-Poisson shape (NegBin "size"): Var = mu + mu^2 / dispersion per cell.
    dispersion: float = 2.0
    effects: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EFFECTS))
    #: Probability that a treatable area gets a given intervention type (before targeting).
    treatment_share: float = 0.45

    def __post_init__(self) -> None:
        if self.municipalities < 1:
            raise ValueError("municipalities must be at least 1")
        if self.municipalities > 999:
            raise ValueError("municipalities must be at most 999 (codes 9001-9999)")
        if self.areas < 2:
            raise ValueError("areas must be at least 2 (treated and untreated areas are needed)")
        if self.weeks < 1:
            raise ValueError("weeks must be at least 1")
        if self.event_rate <= 0:
            raise ValueError("event_rate must be positive")
        if self.file_period not in FILE_PERIODS:
            raise ValueError(f"file_period must be one of {FILE_PERIODS}, got {self.file_period!r}")
        if self.dispersion <= 0:
            raise ValueError("dispersion must be positive")
        parse_iso_week(self.start_week)

    @property
    def first_monday(self) -> date:
        return parse_iso_week(self.start_week)

    @property
    def end_date(self) -> date:
        """Exclusive end: the Monday after the last week."""
        return self.first_monday + timedelta(weeks=self.weeks)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_iso_week(label: str) -> date:
    """``2020-W01`` -> the Monday of that ISO week (2019-12-30)."""
    m = _ISO_WEEK.match(label)
    if not m:
        raise ValueError(f"start week must look like 2020-W01, got {label!r}")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"{label!r} is not an ISO week: {exc}") from None


@dataclass
class FileRecord:
    feed: str
    file_name: str
    rows: int
    dirt: dict[str, int] = field(default_factory=dict)
    pii: dict[str, int] = field(default_factory=dict)


@dataclass
class GenerationSummary:
    out_dir: Path
    files: list[FileRecord]
    true_events: int
    duplicates: int
    seconds: float

    @property
    def rows_per_feed(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.feed] = out.get(f.feed, 0) + f.rows
        return dict(sorted(out.items()))

    def format(self) -> str:
        lines = [f"Demo data written to {self.out_dir}"]
        lines.append(f"  {len(self.files)} files, {self.true_events} true events, "
                     f"{self.duplicates} police/housing duplicates")
        for feed, rows in self.rows_per_feed.items():
            n_files = sum(1 for f in self.files if f.feed == feed)
            lines.append(f"  {feed:<20} {n_files:>5} files {rows:>10} rows")
        lines.append(f"  ground truth in {self.out_dir / 'ground_truth'}")
        lines.append(f"  {self.seconds:.1f} s")
        return "\n".join(lines)
