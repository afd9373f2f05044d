"""The area × week estimation panel, built from the two marts that define it.

``marts.area_week_outcomes`` gives one row per area × week × outcome group (zeros
included) and ``marts.area_week_interventions`` one row per area × week × active
intervention. The estimators want arrays: a count ``y`` per cell and one 0/1 column per
intervention type. Problems in the marts are reported here, with the offending row, so the
estimators never see a malformed panel.

Weeks are carried as integer week numbers (Mondays since 1970-01-05) so that "weeks since an
intervention started" is plain subtraction, also across dropped weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.estimation.errors import PanelError

#: The outcome groups of marts.area_week_outcomes: incidents by group and in total, and the
#: police's own series of reported crimes (fractional where DeSO crimes are spread by share).
OUTCOME_GROUPS = ("property", "disorder", "violence", "total", "police_crimes")
OUTCOMES_TABLE = "marts.area_week_outcomes"
INTERVENTIONS_TABLE = "marts.area_week_interventions"
_EPOCH_MONDAY = np.datetime64("1970-01-05", "D")


def week_number(week_start: pd.Series | np.ndarray) -> np.ndarray:
    """Monday -> integer week number; the inverse of :func:`week_date`."""
    days = (np.asarray(pd.to_datetime(week_start)).astype("datetime64[D]") - _EPOCH_MONDAY).astype(int)
    return days // 7


def week_date(number: np.ndarray | int) -> np.ndarray:
    return _EPOCH_MONDAY + np.asarray(number, dtype=int) * 7


@dataclass
class Panel:
    """One outcome group as a balanced area × week panel, after the unusable cells are gone."""

    outcome_group: str
    area_ids: np.ndarray  # label of each kept area, index = area code
    week_numbers: np.ndarray  # week number of each kept week, index = week code
    area: np.ndarray  # area code per cell
    week: np.ndarray  # week code per cell
    y: np.ndarray  # events per cell (float)
    types: list[str]  # intervention types with at least one active cell in the period
    D: np.ndarray  # cells × types, 1.0 where the type is active
    first_start: np.ndarray  # kept areas × types: first active week number, -1 if never
    n_areas_dropped_all_zero: int = 0
    n_obs_dropped_separated: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_areas(self) -> int:
        return int(self.area_ids.shape[0])

    @property
    def cell_week_number(self) -> np.ndarray:
        return self.week_numbers[self.week]

    def column(self, intervention_type: str) -> np.ndarray:
        return self.D[:, self.types.index(intervention_type)]


def _require_columns(df: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise PanelError(f"{table}: missing column(s) {', '.join(missing)}; have {list(df.columns)}")


def _row_label(row: pd.Series) -> str:
    return f"area {row['area_id']}, week {pd.Timestamp(row['week_start']).date()}"


def build_panel(
    outcomes: pd.DataFrame,
    interventions: pd.DataFrame,
    outcome_group: str,
    period_start: date | None = None,
    period_end: date | None = None,
) -> Panel:
    """The estimation panel of one outcome group over ``[period_start, period_end)``.

    Raises :class:`PanelError` for panels that cannot be estimated at all (no rows, gaps,
    bad counts, all-zero outcomes, no treated areas). Areas whose outcome is zero in every
    week, and weeks that are zero in every area, are dropped and counted: under Poisson
    with area and week fixed effects their fixed effect is minus infinity (the cells are
    "separated") and they carry no information about any intervention.
    """
    _require_columns(outcomes, OUTCOMES_TABLE, ("area_id", "week_start", "outcome_group", "events"))
    _require_columns(interventions, INTERVENTIONS_TABLE, ("area_id", "week_start", "intervention_type"))
    # Any group present in the mart can be estimated (OUTCOME_GROUPS only orders them):
    # counts need not be integers, e.g. crimes spread over areas by population share.

    out = outcomes.loc[outcomes["outcome_group"] == outcome_group, ["area_id", "week_start", "events"]].copy()
    out["week_start"] = pd.to_datetime(out["week_start"])
    if period_start is not None:
        out = out[out["week_start"] >= pd.Timestamp(period_start)]
    if period_end is not None:
        out = out[out["week_start"] < pd.Timestamp(period_end)]
    window = f"[{period_start or 'start'}, {period_end or 'end'})"
    if out.empty:
        raise PanelError(f"{OUTCOMES_TABLE}: no rows for outcome_group '{outcome_group}' in {window}")

    bad = out[out["events"].isna() | (pd.to_numeric(out["events"], errors="coerce") < 0)]
    if not bad.empty:
        row = bad.iloc[0]
        raise PanelError(
            f"{OUTCOMES_TABLE}: {_row_label(row)}, outcome_group {outcome_group}: events = "
            f"{row['events']}, must be a non-negative count ({len(bad)} such row(s))"
        )
    dup = out[out.duplicated(["area_id", "week_start"], keep=False)]
    if not dup.empty:
        raise PanelError(
            f"{OUTCOMES_TABLE}: {_row_label(dup.iloc[0])}, outcome_group {outcome_group} appears "
            f"{int((dup['area_id'] == dup.iloc[0]['area_id']).sum())} times; expected one row per area × week"
        )

    area_ids = np.sort(out["area_id"].unique())
    weeks_all = np.sort(np.unique(week_number(out["week_start"])))
    # The contract says every area × week of the period is present: a gap would silently
    # turn into "no events", so it is an error, not a zero.
    if len(out) != len(area_ids) * len(weeks_all):
        have = set(zip(out["area_id"], week_number(out["week_start"])))
        missing = next((a, w) for a in area_ids for w in weeks_all if (a, w) not in have)
        raise PanelError(
            f"{OUTCOMES_TABLE}: outcome_group {outcome_group} is not a full area × week panel: "
            f"{len(area_ids) * len(weeks_all) - len(out)} cell(s) missing, e.g. area {missing[0]}, "
            f"week {pd.Timestamp(week_date(missing[1])).date()}"
        )
    y_total = float(out["events"].sum())
    if y_total == 0:
        raise PanelError(
            f"{OUTCOMES_TABLE}: all-zero outcomes: outcome_group {outcome_group} has 0 events in every "
            f"area and week of {window}; there is nothing to estimate"
        )

    a_code = np.searchsorted(area_ids, out["area_id"].to_numpy())
    w_code = np.searchsorted(weeks_all, week_number(out["week_start"]))
    y = np.zeros((len(area_ids), len(weeks_all)))
    y[a_code, w_code] = out["events"].to_numpy(dtype=float)

    iv = interventions[["area_id", "week_start", "intervention_type"]].copy()
    iv["week_start"] = pd.to_datetime(iv["week_start"])
    iv["wk"] = week_number(iv["week_start"])
    if period_end is not None:
        iv = iv[iv["week_start"] < pd.Timestamp(period_end)]
    unknown = iv[~iv["area_id"].isin(area_ids)]
    if not unknown.empty:
        row = unknown.iloc[0]
        raise PanelError(
            f"{INTERVENTIONS_TABLE}: {_row_label(row)}, type {row['intervention_type']}: area is not in "
            f"{OUTCOMES_TABLE} ({len(unknown)} such row(s))"
        )
    # First start is taken over all data before the period end, so an intervention that
    # began before the period still counts as "already started" in the event study.
    first = iv.groupby(["area_id", "intervention_type"])["wk"].min()
    in_period = iv[(iv["wk"] >= weeks_all[0]) & (iv["wk"] <= weeks_all[-1])]
    types = sorted(in_period["intervention_type"].unique())
    if not types:
        raise PanelError(
            f"{INTERVENTIONS_TABLE}: no treated areas: no intervention is active in any area in {window}, "
            "so there is no intervention to estimate"
        )
    D = np.zeros((len(area_ids), len(weeks_all), len(types)))
    ia = np.searchsorted(area_ids, in_period["area_id"].to_numpy())
    iw = np.searchsorted(weeks_all, in_period["wk"].to_numpy())
    ik = np.searchsorted(np.array(types), in_period["intervention_type"].to_numpy())
    D[ia, iw, ik] = 1.0
    first_start = np.full((len(area_ids), len(types)), -1, dtype=int)
    for (area_id, itype), wk in first.items():
        if itype in types:
            first_start[np.searchsorted(area_ids, area_id), types.index(itype)] = int(wk)

    keep_a = np.ones(len(area_ids), dtype=bool)
    keep_w = np.ones(len(weeks_all), dtype=bool)
    n_area_zero = 0
    # Iterate: dropping an area can leave a week with only zeros and vice versa.
    while True:
        sub = y[np.ix_(keep_a, keep_w)]
        zero_a = sub.sum(axis=1) == 0
        zero_w = sub.sum(axis=0) == 0
        if not zero_a.any() and not zero_w.any():
            break
        idx_a = np.flatnonzero(keep_a)
        idx_w = np.flatnonzero(keep_w)
        n_area_zero += int(zero_a.sum())
        keep_a[idx_a[zero_a]] = False
        keep_w[idx_w[zero_w]] = False
    n_weeks_zero = int((~keep_w).sum())
    n_obs_sep = n_weeks_zero * int(keep_a.sum())

    ya = y[np.ix_(keep_a, keep_w)]
    Da = D[keep_a][:, keep_w, :]
    n_a, n_w = ya.shape
    area = np.repeat(np.arange(n_a), n_w)
    week = np.tile(np.arange(n_w), n_a)
    panel = Panel(
        outcome_group=outcome_group,
        area_ids=area_ids[keep_a],
        week_numbers=weeks_all[keep_w],
        area=area,
        week=week,
        y=ya.reshape(-1),
        types=types,
        D=Da.reshape(n_a * n_w, len(types)),
        first_start=first_start[keep_a],
        n_areas_dropped_all_zero=n_area_zero,
        n_obs_dropped_separated=n_obs_sep,
    )
    if n_area_zero:
        panel.notes.append(f"{n_area_zero} area(s) with zero events in every week dropped")
    if n_weeks_zero:
        panel.notes.append(f"{n_weeks_zero} week(s) with zero events in every area dropped ({n_obs_sep} cells)")
    return panel


def identification_problem(panel: Panel, k: int) -> str | None:
    """Why intervention type ``k`` cannot be estimated on this panel, or None if it can.

    Checked before fitting because a Poisson fit would otherwise either fail deep inside
    the solver or return a meaningless huge coefficient.
    """
    d = panel.D[:, k]
    name = panel.types[k]
    if d.sum() == 0:
        return f"{name}: no treated area-weeks left after dropping all-zero areas/weeks"
    if d.min() == 1.0:
        return f"{name}: active in every area and every week, so it cannot be told apart from the fixed effects"
    # Active in a week means active in all areas that week (or never differs within an
    # area): collinear with the fixed effects.
    mat = d.reshape(panel.n_areas, -1)
    if np.all(mat.min(axis=0) == mat.max(axis=0)):
        return f"{name}: starts and stops in all areas at the same weeks, so it is collinear with the week fixed effects"
    if np.all(mat.min(axis=1) == mat.max(axis=1)):
        return f"{name}: active in every week of the areas that have it, so it is collinear with the area fixed effects"
    if panel.y[d == 1.0].sum() == 0:
        return f"{name}: zero events in every treated area-week (separated), the ratio is not estimable"
    return None
