"""The ground truth: what really happened, so later stages can be checked against it.

Parquet files are written with one row group per municipality (streaming: a national-scale
run never holds more than one municipality in memory). ``truth.json`` holds the stated
model, the planted effects, the planted flaws and the per-file row counts; it contains no
timings or absolute paths, so the same seed gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from est_pipeline.demo import model as model_mod
from est_pipeline.demo import survey as survey_mod
from est_pipeline.demo.config import DemoConfig
from est_pipeline.demo.geography import Municipality
from est_pipeline.demo.model import Events
from est_pipeline.demo.output import Output
from est_pipeline.demo.vocabulary import FEED_PARTNER, UNKNOWN_TYPES, Vocabulary

_S = pa.string()
EVENTS_SCHEMA = pa.schema([
    ("event_id", _S), ("municipality_code", _S), ("area_id", _S), ("place_id", _S),
    ("category", _S), ("outcome_group", _S), ("occurred_at", pa.timestamp("s")),
    ("week_start", pa.date32()), ("police_report_id", _S), ("municipality_report_id", _S),
    ("housing_report_id", _S), ("quarantined", pa.bool_()), ("outside_area", pa.bool_()),
    ("unmapped", pa.bool_()), ("source_feed", _S), ("is_duplicate", pa.bool_()),
    ("x_sweref", pa.float64()), ("y_sweref", pa.float64()),
])
REPORTS_SCHEMA = pa.schema([
    ("feed", _S), ("file_name", _S), ("row_number", pa.int32()), ("report_id", _S),
    ("event_id", _S), ("dirt_kind", _S), ("dirt_detail", _S), ("pii_kinds", _S),
    ("is_duplicate_report", pa.bool_()),
])
WEEKLY_SCHEMA = pa.schema([
    ("municipality_code", _S), ("area_id", _S), ("week_start", pa.date32()), ("category", _S),
    ("outcome_group", _S), ("events", pa.int32()), ("police", pa.int32()),
    ("municipality", pa.int32()), ("housing", pa.int32()), ("model_mean", pa.float64()),
])
OUTCOMES_SCHEMA = pa.schema([
    ("municipality_code", _S), ("area_id", _S), ("week_start", pa.date32()),
    ("outcome_group", _S), ("events", pa.int32()), ("model_mean", pa.float64()),
])


def _str_or_none(values: pd.Series) -> list:
    return [None if (v is None or (isinstance(v, float) and v != v) or v == "") else str(v)
            for v in values.to_numpy(dtype=object)]


class TruthWriter:
    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / "ground_truth"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._events = pq.ParquetWriter(self.dir / "events.parquet", EVENTS_SCHEMA)
        self._reports = pq.ParquetWriter(self.dir / "reports.parquet", REPORTS_SCHEMA)
        self._weekly = pq.ParquetWriter(self.dir / "expected_weekly_counts.parquet", WEEKLY_SCHEMA)
        self._outcomes = pq.ParquetWriter(self.dir / "expected_weekly_outcomes.parquet", OUTCOMES_SCHEMA)
        self.schedules: list[pd.DataFrame] = []
        self.survey: list[pd.DataFrame] = []
        self.areas: list[dict] = []
        self.municipalities: list[dict] = []
        self.true_events = 0
        self.duplicates = 0
        self.dropped = 0

    def add_municipality(self, muni: Municipality, events: Events, vocab: Vocabulary,
                         week_starts: list[date], reports: pd.DataFrame, schedule: pd.DataFrame,
                         survey_expected: pd.DataFrame) -> None:
        ev = events.frame
        cats = vocab.categories
        n = len(ev)
        area_ids = muni.areas["area_id"].to_numpy()
        outside = (ev["dirt"] == "outside_municipality").to_numpy()
        a_idx = ev["area_idx"].to_numpy()
        place_idx = ev["place_idx"].to_numpy()
        cat = np.array(cats, dtype=object)[ev["cat_idx"].to_numpy()]
        group = np.array([vocab.outcome_group[c] for c in cats], dtype=object)[ev["cat_idx"].to_numpy()]
        wk = np.array(week_starts, dtype="datetime64[D]")[ev["week_idx"].to_numpy()]
        place_ids = muni.places["place_id"].to_numpy(dtype=object)
        table = pa.table({
            "event_id": ev["event_id"].to_numpy(dtype=object),
            "municipality_code": [muni.code] * n,
            "area_id": np.where(outside, None, area_ids[a_idx]),
            "place_id": np.where(place_idx >= 0, place_ids[np.maximum(place_idx, 0)], None),
            "category": cat.tolist(),
            "outcome_group": group.tolist(),
            "occurred_at": ev["t"].to_numpy().astype("datetime64[m]").astype("datetime64[s]"),
            "week_start": wk,
            "police_report_id": _str_or_none(ev["police_report_id"]),
            "municipality_report_id": _str_or_none(ev["municipality_report_id"]),
            "housing_report_id": _str_or_none(ev["housing_report_id"]),
            "quarantined": (ev["dirt"] == "impossible_date").to_numpy(),
            "outside_area": outside,
            "unmapped": (ev["dirt"] == "unknown_type").to_numpy(),
            "source_feed": ev["feed"].to_numpy(dtype=object),
            "is_duplicate": ev["is_dup"].to_numpy(),
            "x_sweref": np.round(ev["x"].to_numpy(), 2),
            "y_sweref": np.round(ev["y"].to_numpy(), 2),
        }, schema=EVENTS_SCHEMA)
        self._events.write_table(table)
        if len(reports):
            self._reports.write_table(pa.Table.from_pandas(reports, schema=REPORTS_SCHEMA, preserve_index=False))

        # Expected weekly counts: located, not quarantined, not unmapped; deduplicated.
        counted = ~outside & ~ev["dirt"].isin(["impossible_date", "unknown_type"]).to_numpy()
        shape = (len(area_ids), len(week_starts), len(cats))
        feed = ev["feed"].to_numpy()
        dup = ev["is_dup"].to_numpy()
        key = (a_idx[counted], ev["week_idx"].to_numpy()[counted], ev["cat_idx"].to_numpy()[counted])
        total = np.zeros(shape, dtype=np.int32)
        np.add.at(total, key, 1)
        per_partner = {}
        for partner in ("police", "municipality", "housing"):
            m = np.array([FEED_PARTNER[f] == partner for f in feed], dtype=bool)
            if partner == "police":
                m |= dup
            m = m[counted]
            arr = np.zeros(shape, dtype=np.int32)
            np.add.at(arr, (key[0][m], key[1][m], key[2][m]), 1)
            per_partner[partner] = arr
        a, w, c = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), np.arange(shape[2]), indexing="ij")
        week_arr = np.array(week_starts, dtype="datetime64[D]")
        cat_arr = np.array(cats, dtype=object)
        grp_arr = np.array([vocab.outcome_group[x] for x in cats], dtype=object)
        self._weekly.write_table(pa.table({
            "municipality_code": [muni.code] * total.size,
            "area_id": area_ids[a.ravel()].tolist(),
            "week_start": week_arr[w.ravel()],
            "category": cat_arr[c.ravel()].tolist(),
            "outcome_group": grp_arr[c.ravel()].tolist(),
            "events": total.ravel(),
            "police": per_partner["police"].ravel(),
            "municipality": per_partner["municipality"].ravel(),
            "housing": per_partner["housing"].ravel(),
            "model_mean": events.mu.ravel(),
        }, schema=WEEKLY_SCHEMA))

        groups = sorted(set(grp_arr)) + ["total"]
        rows = []
        for g in groups:
            sel = np.ones(len(cats), bool) if g == "total" else (grp_arr == g)
            rows.append((g, total[:, :, sel].sum(axis=2), events.mu[:, :, sel].sum(axis=2)))
        a2, w2 = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
        self._outcomes.write_table(pa.table({
            "municipality_code": [muni.code] * (len(groups) * a2.size),
            "area_id": np.tile(area_ids[a2.ravel()], len(groups)).tolist(),
            "week_start": np.tile(week_arr[w2.ravel()], len(groups)),
            "outcome_group": np.repeat(groups, a2.size).tolist(),
            "events": np.concatenate([r[1].ravel() for r in rows]).astype(np.int32),
            "model_mean": np.concatenate([r[2].ravel() for r in rows]),
        }, schema=OUTCOMES_SCHEMA))

        self.schedules.append(schedule)
        self.survey.append(survey_expected)
        desos = muni.area_deso.groupby("Områdes-ID")["DeSO"].apply(list).to_dict()
        for r in muni.areas.itertuples():
            self.areas.append({"area_id": r.area_id, "area_name": r.area_name,
                               "municipality_code": muni.code, "level": round(float(r.level), 6),
                               "population_base": int(r.population), "deso": desos.get(r.area_id, [])})
        self.municipalities.append({"code": muni.code, "name": muni.full_name, "county": muni.county,
                                    "areas": len(muni.areas), "area_id_prefix": muni.prefix})
        self.true_events += n
        self.duplicates += int(dup.sum())
        self.dropped += events.dropped_for_separation

    def add_reports_only(self, reports: pd.DataFrame) -> None:
        """Report rows of run-wide feeds (the events API) that belong to no municipality."""
        if len(reports):
            self._reports.write_table(pa.Table.from_pandas(reports, schema=REPORTS_SCHEMA, preserve_index=False))

    def finish(self, config: DemoConfig, vocab: Vocabulary, out: Output) -> None:
        for w in (self._events, self._reports, self._weekly, self._outcomes):
            w.close()
        sched = pd.concat(self.schedules, ignore_index=True) if self.schedules else pd.DataFrame()
        cols = ["intervention_id", "municipality_code", "area_id", "place_id", "intervention_type",
                "start_date", "end_date", "intensity", "planted_irr", "target_outcome_group"]
        if len(sched):
            s = sched[cols].copy()
            for c in ("start_date", "end_date"):
                s[c] = [v.isoformat() if v is not None and not pd.isna(v) else "" for v in s[c]]
            s.to_csv(self.dir / "treatment_schedule.csv", index=False, lineterminator="\n")
        else:
            pd.DataFrame(columns=cols).to_csv(self.dir / "treatment_schedule.csv", index=False)
        if self.survey:
            pd.concat(self.survey, ignore_index=True).to_csv(self.dir / "survey_expected.csv", index=False,
                                                             lineterminator="\n")

        first, end = config.first_monday, config.end_date
        weeks = [first + timedelta(weeks=i) for i in range(config.weeks)]
        labels = [f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}" for w in weeks]
        truth = {
            "generator": "est_pipeline.demo",
            "seed": config.seed,
            "config": config.as_dict(),
            "period": {
                "first_week": labels[0], "last_week": labels[-1], "weeks": config.weeks,
                "start_date": first.isoformat(), "end_date_exclusive": end.isoformat(),
                "week_53": [lab for lab in labels if lab.endswith("W53")],
            },
            "model": {
                "formula": "y[a,t,c] ~ Poisson(mu[a,t,c] * G), G ~ Gamma(shape=dispersion, scale=1/dispersion); "
                           "mu = event_rate * exp(level_a + log(base_rate_c) + season_c(t)) * "
                           "prod_k irr_k ** active[a,k,t] over types k targeting c's outcome group",
                "dispersion": config.dispersion,
                "variance": "mu + mu^2 / dispersion",
                "event_rate": config.event_rate,
                "base_rate_per_area_week": {c: model_mod.BASE_RATE.get(c, 0.1) for c in vocab.categories},
                "season_amplitude_peak_day": {c: list(model_mod.SEASON.get(c, (0.15, 200))) for c in vocab.categories},
                "active_definition": "start_date <= week Monday and (end_date blank or end_date >= week Sunday); "
                                     "starts are Mondays and ends Sundays",
                "feed_weights": model_mod.FEED_WEIGHT,
                "share_at_place": model_mod.AT_PLACE,
            },
            "planted_effects": {
                typ: {"outcome_group": grp, "irr": float(config.effects.get(typ, 1.0)),
                      "intervention_type_sv": sv}
                for typ, (sv, grp) in vocab.intervention_types.items()
            },
            "survey_model": {
                "latent": "eta = intercept + level_slope * z(level) + sum_k shift_k * share of Apr-Sep weeks active; "
                          "answer thresholds on eta + age shift + logistic noise",
                "intercept": survey_mod.SURVEY_INTERCEPT,
                "level_slope": survey_mod.SURVEY_LEVEL_SLOPE,
                "shift_log_odds": {t: round(survey_mod.survey_shift(config.effects, t), 6)
                                   for t in vocab.intervention_types},
                "expected_file": "survey_expected.csv",
            },
            "duplicates": {
                "count": self.duplicates,
                "pairs": "police_local row + property_incidents row of one true event",
                "share_of_eligible_housing_incidents": model_mod.DUPLICATE_SHARE,
                "categories": list(model_mod.DUPLICATE_CATEGORIES),
                "housing_minus_police_minutes": list(model_mod.DUPLICATE_SHIFT_MIN),
                "rule": "same category, same place, |dt| <= 3 h; distinct events of one category at one "
                        "place (or open ground of one area) are >= 6 h apart; field observations "
                        "(date only) occupy their whole day",
            },
            "dropped_for_separation": self.dropped,
            "true_events": self.true_events,
            "dirt_rates": model_mod.DIRT_RATES,
            "dirt": {f: dict(sorted(c.items())) for f, c in sorted(out.dirt.items()) if c},
            "quirks": {f: dict(sorted(c.items())) for f, c in sorted(out.quirks.items()) if c},
            "pii": {f: dict(sorted(c.items())) for f, c in sorted(out.pii.items()) if c},
            "unknown_types": {f: [t if isinstance(t, str) else {"type": t[0], "code": t[1]} for t in ts]
                              for f, ts in UNKNOWN_TYPES.items()},
            "municipalities": self.municipalities,
            "areas": self.areas,
            "files": [{"feed": f.feed, "file_name": f.file_name, "rows": f.rows, "dirt": f.dirt, "pii": f.pii}
                      for f in out.files],
        }
        (self.dir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
