"""``generate``: the whole demo data set, one municipality at a time.

Each municipality gets its own random streams (seed, municipality, component), so a run
is reproducible byte for byte and adding municipalities does not change the first ones.
Files are written as soon as a municipality is simulated; only the small reference files,
the single interventions register and the county-wide events API are written at the end.
"""

from __future__ import annotations

import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from est_pipeline.demo import checklist, event_feeds, events_api, register, survey
from est_pipeline.demo.config import DemoConfig, GenerationSummary
from est_pipeline.demo.geography import build_municipality, years_touched
from est_pipeline.demo.ground_truth import TruthWriter
from est_pipeline.demo.model import simulate_events
from est_pipeline.demo.output import Output
from est_pipeline.demo.police_only import PoliceOnlyConfig, PoliceOnlySummary, generate_police_only
from est_pipeline.demo.reference import ReferenceCollector
from est_pipeline.demo.schedule import build_schedule
from est_pipeline.demo.vocabulary import load_vocabulary

#: Landing folders and the file-name prefixes the generator owns there. Only these files
#: are removed before a run, so a partner file dropped by hand is never deleted.
OWNED_FILES = {
    "police_deso": "brott_deso_", "police_local": "polis_handelser_",
    "police_events": "polisen_handelser_", "fault_reports": "felanmalningar_",
    "field_observations": "faltobservationer_", "property_incidents": "arenderapport_",
    "checklist": "checklista_", "interventions": register.FILE_NAME,
    "safety_survey": "trygghetsmatning_", "reference": "",
}
#: The default profile's reference files, and the police-only profile's (removed as well, so
#: that switching profiles in one data folder leaves no stale boundaries behind).
_REFERENCE_FILES = ("areas.geojson", "places.geojson", "addresses.csv", "population.csv", "area_deso.csv",
                    "areas.gpkg", "deso_population.csv")

#: Demo profiles: the full fictional municipality with every partner feed, and a
#: municipality that has only the police's DeSO extract (``police_only``).
PROFILES = {"default": DemoConfig, "police_only": PoliceOnlyConfig}


def generate_profile(out_dir: Path, profile: str = "default", seed: int = 42
                     ) -> GenerationSummary | PoliceOnlySummary:
    """``generate`` for a named profile with its default settings and the given seed."""
    if profile not in PROFILES:
        raise ValueError(f"unknown demo profile {profile!r}; choose one of {sorted(PROFILES)}")
    return generate(out_dir, PROFILES[profile](seed=seed))


# Component numbers for the random streams.
_GEO, _SCHEDULE, _MODEL, _FEEDS, _CHECKLIST, _SURVEY, _REGISTER, _EVENTS_API = range(8)
_SHARED = 999_999  # stream index for run-wide files (register, events API)


def _clear_previous(out_dir: Path) -> None:
    landing = out_dir / "landing"
    for feed, prefix in OWNED_FILES.items():
        folder = landing / feed
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            if f.is_file() and ((feed == "reference" and f.name in _REFERENCE_FILES)
                                or (feed != "reference" and f.name.startswith(prefix))):
                f.unlink()
    shutil.rmtree(out_dir / "ground_truth", ignore_errors=True)


def generate(out_dir: Path, config: DemoConfig | PoliceOnlyConfig | None = None
             ) -> GenerationSummary | PoliceOnlySummary:
    """Write a demo data set; the config's type selects the profile (``PROFILES``)."""
    if isinstance(config, PoliceOnlyConfig):
        return generate_police_only(out_dir, config)
    started = time.perf_counter()
    config = config or DemoConfig()
    out_dir = Path(out_dir)
    vocab = load_vocabulary()
    _clear_previous(out_dir)
    out = Output(out_dir)
    truth = TruthWriter(out_dir)
    reference = ReferenceCollector()

    first, end_excl = config.first_monday, config.end_date
    week_starts = [first + timedelta(weeks=i) for i in range(config.weeks)]
    years = years_touched(first, end_excl)
    s_years = survey.survey_years(first, end_excl)
    last_day = (end_excl - timedelta(days=1) - date(1970, 1, 1)).days
    registers: list[pd.DataFrame] = []
    points: list[events_api.MunicipalityPoint] = []

    def rng(m: int, component: int) -> np.random.Generator:
        return np.random.default_rng([config.seed, m, component])

    for m in range(config.municipalities):
        muni = build_municipality(m, config.municipalities, config.areas, years, rng(m, _GEO))
        sched = build_schedule(muni, vocab, config.effects, config.treatment_share, week_starts,
                               rng(m, _SCHEDULE))
        events = simulate_events(muni, vocab, sched, config.effects, week_starts, config.event_rate,
                                 config.dispersion, rng(m, _MODEL))
        ev = events.frame
        for col in ("police_report_id", "municipality_report_id", "housing_report_id"):
            ev[col] = pd.Series([None] * len(ev), dtype=object)
        feeds_rng = rng(m, _FEEDS)
        police = event_feeds.write_police_local(muni, ev, vocab, config.file_period, out, feeds_rng)
        event_feeds.write_police_deso(muni, police, vocab, last_day, config.file_period, out, feeds_rng)
        event_feeds.write_fault_reports(muni, ev, vocab, config.file_period, out, feeds_rng)
        event_feeds.write_field_observations(muni, ev, vocab, config.file_period, out, feeds_rng)
        event_feeds.write_property_incidents(muni, ev, vocab, config.file_period, out, feeds_rng)
        checklist.write_checklists(muni, events, vocab, week_starts, config.file_period, out,
                                   rng(m, _CHECKLIST))
        survey_expected = survey.write_survey(muni, sched, config.effects, week_starts, s_years, out,
                                              rng(m, _SURVEY))
        truth.add_municipality(muni, events, vocab, week_starts, out.take_reports(), sched.table,
                               survey_expected)
        reference.add(muni)
        registers.append(sched.table)
        points.append(events_api.MunicipalityPoint(muni.code, muni.name, muni.county, muni.centre))

    register.write_register(pd.concat(registers, ignore_index=True), out, rng(_SHARED, _REGISTER))
    reference.write(out)
    events_api.write_events_api(points, vocab, first, end_excl, config.file_period, out,
                                rng(_SHARED, _EVENTS_API))
    truth.add_reports_only(out.take_reports())
    truth.finish(config, vocab, out)
    return GenerationSummary(out_dir=out_dir, files=list(out.files), true_events=truth.true_events,
                             duplicates=truth.duplicates, seconds=time.perf_counter() - started)
