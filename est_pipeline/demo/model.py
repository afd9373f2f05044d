"""The incidence model: where and when true events happen, and which partner reports them.

For area a, week t and category c the number of true events is negative binomial, drawn as
a gamma-Poisson mixture:

    mu[a,t,c] = event_rate * exp(level_a + log(base_c) + season_c(t)) * prod_k IRR_k ** D[a,k,t]
    lambda    = mu * G,  G ~ Gamma(shape=dispersion, scale=1/dispersion)   (mean 1)
    y[a,t,c]  ~ Poisson(lambda)          so Var(y) = mu + mu^2 / dispersion

where D[a,k,t] = 1 while intervention type k is active in area a during week t, and IRR_k
applies only to the categories of k's target outcome group (``total``: every category).
season_c(t) = A_c * cos(2 pi (day_of_year(mid-week) - peak_c) / 365.25).

Each event is then given one reporting feed (among those whose mapping knows its category),
a place or an open-ground point, a time, and possibly a planted flaw. A share of housing
incidents is also reported by the police (a cross-partner duplicate). Finally no two
distinct events of one category at one place (or open ground of one area) are left within
six hours of each other, so the three-hour duplicate rule is exact on this data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from est_pipeline.demo.geography import Municipality, open_points, outside_points, points_in_places
from est_pipeline.demo.schedule import Schedule
from est_pipeline.demo.vocabulary import EVENT_FEEDS, Vocabulary

#: Expected events per area and week at level 0, per category (before season and effects).
BASE_RATE = {
    "vandalism": 0.55, "graffiti": 0.45, "littering": 0.50, "fire": 0.15, "lighting": 0.30,
    "burglary": 0.20, "youth_gathering": 0.45, "disturbance": 0.40, "drugs": 0.20,
    "reckless_driving": 0.30, "unsafe_place": 0.15, "social_media_rumour": 0.06,
    "threat_violence": 0.18, "robbery": 0.06, "assault": 0.14, "staff_incident": 0.10,
}
#: Seasonal amplitude (log scale) and peak day of year per category.
SEASON = {
    "vandalism": (0.20, 200), "graffiti": (0.15, 180), "littering": (0.35, 190),
    "fire": (0.30, 120), "lighting": (0.50, 355), "burglary": (0.15, 320),
    "youth_gathering": (0.45, 190), "disturbance": (0.25, 200), "drugs": (0.10, 200),
    "reckless_driving": (0.55, 170), "unsafe_place": (0.30, 340),
    "social_media_rumour": (0.10, 100), "threat_violence": (0.15, 200), "robbery": (0.10, 300),
    "assault": (0.20, 190), "staff_incident": (0.10, 60),
}
_HOURS = {
    "day": [0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 8, 8, 7, 7, 7, 7, 6, 5, 3, 2, 1, 1, 0, 0],
    "evening": [3, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 4, 5, 7, 8, 9, 9, 8, 5],
    "night": [6, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7],
}
_HOUR_PROFILE = {
    "lighting": "day", "littering": "day", "graffiti": "day", "staff_incident": "day",
    "social_media_rumour": "day", "burglary": "night", "assault": "night", "robbery": "night",
}
#: How readily each feed reports an event of a category it knows (relative weights).
FEED_WEIGHT = {"police_local": 1.0, "fault_reports": 1.0, "field_observations": 0.8,
               "property_incidents": 1.0}
#: Share of police / fault-report events at a place (the rest are on open ground).
AT_PLACE = {"police_local": 0.75, "fault_reports": 0.70}
#: Housing categories that the police may also report (planted duplicates).
DUPLICATE_CATEGORIES = ("fire", "vandalism", "graffiti", "staff_incident", "disturbance", "burglary")
DUPLICATE_SHARE = 0.075
DUPLICATE_SHIFT_MIN = (-60, 120)  # housing time = police time + uniform(-60, +120) minutes
SEPARATION_MIN = 6 * 60
#: Planted flaws per event row (only single-report events get one).
DIRT_RATES = {"impossible_date": 0.005, "outside_municipality": 0.005, "unknown_type": 0.010}
COORDINATE_FEEDS = ("police_local", "fault_reports")

MIN_PER_DAY = 1440
MIN_PER_WEEK = 7 * MIN_PER_DAY
_EPOCH = date(1970, 1, 1)


@dataclass
class Events:
    frame: pd.DataFrame  # one row per true event (see ``simulate_events``)
    counts: np.ndarray  # [areas, weeks, categories] drawn counts (before separation drops)
    mu: np.ndarray  # [areas, weeks, categories] model means
    dropped_for_separation: int


def _minutes(d: date) -> int:
    return (d - _EPOCH).days * MIN_PER_DAY


def dst_days(years: range) -> set[int]:
    """Days (as days since epoch) when Swedish clocks change: the last Sundays of March/October."""
    out = set()
    for y in years:
        for month in (3, 10):
            d = date(y, month, 31)
            d -= timedelta(days=(d.weekday() - 6) % 7)
            out.add((d - _EPOCH).days)
    return out


def avoid_dst_hour(t: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Local times between 02:00 and 03:00 do not exist (or exist twice) on DST days: move them."""
    day = t // MIN_PER_DAY
    hour = (t % MIN_PER_DAY) // 60
    bad = np.isin(day, dst) & (hour == 2)
    return np.where(bad, t + 60, t)


def season_matrix(week_starts: list[date], categories: list[str]) -> np.ndarray:
    doy = np.array([(w + timedelta(days=3)).timetuple().tm_yday for w in week_starts], dtype=float)
    out = np.empty((len(week_starts), len(categories)))
    for j, c in enumerate(categories):
        amp, peak = SEASON.get(c, (0.15, 200))
        out[:, j] = amp * np.cos(2 * math.pi * (doy - peak) / 365.25)
    return out


def model_means(muni: Municipality, vocab: Vocabulary, schedule: Schedule, effects: dict[str, float],
                week_starts: list[date], event_rate: float) -> np.ndarray:
    cats = vocab.categories
    log_base = np.log([BASE_RATE.get(c, 0.1) for c in cats])
    level = muni.areas["level"].to_numpy()
    log_mu = level[:, None, None] + log_base[None, None, :] + season_matrix(week_starts, cats)[None]
    # target[k, c]: does type k act on category c?
    target = np.zeros((len(schedule.types), len(cats)))
    for k, typ in enumerate(schedule.types):
        group = vocab.intervention_types[typ][1]
        for j, c in enumerate(cats):
            target[k, j] = 1.0 if group == "total" or vocab.outcome_group[c] == group else 0.0
    log_irr = np.log([effects.get(t, 1.0) for t in schedule.types])
    log_mu += np.einsum("akw,kc->awc", schedule.active.astype(float), log_irr[:, None] * target)
    return event_rate * np.exp(log_mu)


def _draw_times(cat_idx: np.ndarray, field: np.ndarray, week_min: np.ndarray, cats: list[str],
                rng: np.random.Generator, dst: np.ndarray) -> np.ndarray:
    n = len(cat_idx)
    profiles = list(_HOURS)
    prof_of_cat = np.array([profiles.index(_HOUR_PROFILE.get(c, "evening")) for c in cats])
    cum = np.cumsum(np.array([_HOURS[p] for p in profiles], dtype=float), axis=1)
    cum /= cum[:, -1:]
    pc = prof_of_cat[cat_idx]
    u = rng.random(n)
    hour = np.empty(n, dtype=np.int64)
    for p in range(len(profiles)):
        m = pc == p
        hour[m] = np.searchsorted(cum[p], u[m], side="right")
    # Youth-outreach workers observe in the evening (17-22).
    hour = np.where(field, 17 + rng.integers(0, 6, size=n), np.minimum(hour, 23))
    day = rng.integers(0, 7, size=n)
    minute = rng.integers(0, 60, size=n)
    return avoid_dst_hour(week_min + day * MIN_PER_DAY + hour * 60 + minute, dst)


def _housing_shift(t: np.ndarray, week_min: np.ndarray, rng: np.random.Generator,
                   dst: np.ndarray) -> np.ndarray:
    """Housing time of a duplicate: police time + shift, kept inside the same ISO week."""
    lo, hi = DUPLICATE_SHIFT_MIN
    shift = rng.integers(lo, hi + 1, size=len(t))
    th = np.clip(t + shift, week_min, week_min + MIN_PER_WEEK - 1)
    return avoid_dst_hour(th, dst)


def simulate_events(muni: Municipality, vocab: Vocabulary, schedule: Schedule,
                    effects: dict[str, float], week_starts: list[date], event_rate: float,
                    dispersion: float, rng: np.random.Generator) -> Events:
    cats = vocab.categories
    n_areas, n_weeks, n_cats = len(muni.areas), len(week_starts), len(cats)
    mu = model_means(muni, vocab, schedule, effects, week_starts, event_rate)
    lam = mu * rng.gamma(shape=dispersion, scale=1.0 / dispersion, size=mu.shape)
    counts = rng.poisson(lam)

    cell = np.repeat(np.arange(counts.size), counts.ravel())
    a_idx, rem = np.divmod(cell, n_weeks * n_cats)
    w_idx, c_idx = np.divmod(rem, n_cats)
    n = len(cell)

    # Which feed reports the event: among feeds whose mapping knows the category.
    weight = np.zeros((n_cats, len(EVENT_FEEDS)))
    for j, c in enumerate(cats):
        for f, feed in enumerate(EVENT_FEEDS):
            if c in vocab.types.get(feed, {}):
                weight[j, f] = FEED_WEIGHT[feed]
    cum = np.cumsum(weight, axis=1)
    cum /= cum[:, -1:]
    feed_idx = (rng.random(n)[:, None] > cum[c_idx]).sum(axis=1)
    feed = np.array(EVENT_FEEDS)[feed_idx]

    # Where: a place of the kind the feed sees, or open ground.
    place = np.full(n, -1, dtype=np.int64)
    any_off = muni.place_offsets
    pub_off, pub_idx = muni.places_of_type("public")
    semi_off, semi_idx = muni.places_of_type("semi_public")

    def pick_place(mask: np.ndarray, off: np.ndarray, idx: np.ndarray | None) -> None:
        a = a_idx[mask]
        k = off[a] + (rng.random(mask.sum()) * (off[a + 1] - off[a])).astype(np.int64)
        place[mask] = k if idx is None else idx[k]

    u = rng.random(n)
    pick_place((feed == "police_local") & (u < AT_PLACE["police_local"]), any_off, None)
    pick_place((feed == "fault_reports") & (u < AT_PLACE["fault_reports"]), pub_off, pub_idx)
    pick_place(feed == "field_observations", pub_off, pub_idx)
    pick_place(feed == "property_incidents", semi_off, semi_idx)

    # Planted police/housing duplicates.
    police_cats = set(vocab.types.get("police_local", {}))
    dup_cat = np.array([c in DUPLICATE_CATEGORIES and c in police_cats for c in cats])
    is_dup = (feed == "property_incidents") & dup_cat[c_idx] & (rng.random(n) < DUPLICATE_SHARE)

    # Planted flaws, one kind at most, only on events with a single report.
    u = rng.random(n)
    r_date = DIRT_RATES["impossible_date"]
    r_out = r_date + DIRT_RATES["outside_municipality"]
    r_unk = r_out + DIRT_RATES["unknown_type"]
    coord_feed = np.isin(feed, COORDINATE_FEEDS)
    dirt = np.full(n, "", dtype=object)
    dirt[(u < r_date)] = "impossible_date"
    dirt[(u >= r_date) & (u < r_out) & coord_feed] = "outside_municipality"
    dirt[(u >= r_out) & (u < r_unk)] = "unknown_type"
    dirt[is_dup] = ""
    outside = dirt == "outside_municipality"
    place[outside] = -1

    # Points.
    x = np.empty(n)
    y = np.empty(n)
    at_place = place >= 0
    x[at_place], y[at_place] = points_in_places(muni, place[at_place], rng)
    open_ = (~at_place) & ~outside
    x[open_], y[open_] = open_points(muni, a_idx[open_], rng)
    x[outside], y[outside] = outside_points(int(outside.sum()), rng)

    # DeSO of the point: the place's, or one of the area's for open ground.
    deso = np.full(n, None, dtype=object)
    deso[at_place] = muni.places["deso"].to_numpy()[place[at_place]]
    for a in np.unique(a_idx[open_]):
        m = open_ & (a_idx == a)
        codes, w = muni.area_deso_choices[a]
        deso[m] = codes[rng.choice(len(codes), size=int(m.sum()), p=w)]

    # Times, then enforce the six-hour separation (resample times inside the same week).
    years = range(week_starts[0].year, week_starts[-1].year + 2)
    dst = np.array(sorted(dst_days(years)))
    week_min = np.array([_minutes(w) for w in week_starts], dtype=np.int64)[w_idx]
    field = feed == "field_observations"
    t = _draw_times(c_idx, field, week_min, cats, rng, dst)
    th = np.where(is_dup, _housing_shift(t, week_min, rng, dst), t)
    keep = np.ones(n, dtype=bool)
    key_place = np.where(place >= 0, place, -1 - a_idx)  # open ground: one key per area
    for _ in range(60):
        bad = _separation_conflicts(key_place, c_idx, t, th, field, keep)
        if not bad.any():
            break
        idx = np.flatnonzero(bad)
        t[idx] = _draw_times(c_idx[idx], field[idx], week_min[idx], cats, rng, dst)
        th[idx] = np.where(is_dup[idx], _housing_shift(t[idx], week_min[idx], rng, dst), t[idx])
    else:
        # Crowded cells that still clash after many redraws lose the later event.
        keep &= ~_separation_conflicts(key_place, c_idx, t, th, field, keep)
        while (bad := _separation_conflicts(key_place, c_idx, t, th, field, keep)).any():
            keep &= ~bad
    dropped = int((~keep).sum())

    frame = pd.DataFrame({
        "area_idx": a_idx, "week_idx": w_idx, "cat_idx": c_idx, "feed": feed,
        "place_idx": place, "x": x, "y": y, "deso": deso,
        "t": t, "t_housing": th, "is_dup": is_dup, "dirt": dirt,
    })[keep]
    frame = frame.sort_values(["t", "area_idx", "cat_idx"], kind="stable").reset_index(drop=True)
    frame["event_id"] = [f"E{muni.code}-{i + 1:07d}" for i in range(len(frame))]
    return Events(frame=frame, counts=counts, mu=mu, dropped_for_separation=dropped)


def event_interval(t: np.ndarray, th: np.ndarray, field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The span of time the pipeline could see for an event, in minutes.

    A field observation carries only its date, so it occupies the whole day; a duplicate
    spans its police and housing times.
    """
    lo = np.minimum(t, th)
    hi = np.maximum(t, th)
    day0 = (t // MIN_PER_DAY) * MIN_PER_DAY
    lo = np.where(field, day0, lo)
    hi = np.where(field, day0 + MIN_PER_DAY - 1, hi)
    return lo, hi


def _separation_conflicts(key_place: np.ndarray, c_idx: np.ndarray, t: np.ndarray, th: np.ndarray,
                          field: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Events (the later of a pair) closer than six hours to the previous event of their key."""
    lo, hi = event_interval(t, th, field)
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((lo[idx], c_idx[idx], key_place[idx]))]
    same = (key_place[order][1:] == key_place[order][:-1]) & (c_idx[order][1:] == c_idx[order][:-1])
    close = lo[order][1:] - hi[order][:-1] < SEPARATION_MIN
    bad = np.zeros(len(t), dtype=bool)
    bad[order[1:][same & close]] = True
    return bad
