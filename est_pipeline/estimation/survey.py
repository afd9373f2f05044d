"""The survey outcome: share of respondents who feel safe, area × year (trygghetsmätning).

Counts of incidents are not the whole story; the method's aim is that people *feel*
safer. The survey is yearly, so the model is linear in the share with area and year
fixed effects, weighted by respondents (a share from 300 answers says more than one from
30), exposure = the share of the year's weeks each type was active in the area, and
standard errors clustered by area with t(G-1) critical values (few areas, few years).
"""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from est_pipeline.estimation.estimates import Estimate

ESTIMATOR = "survey_fe_linear"
OUTCOME = "survey_share_safe"
INFERENCE = "cluster_robust_cr1_t"
#: "Feeling safe" = answering 3 (ganska trygg) or 4 (mycket trygg) on the evening question.
SAFE_MIN = 3


def survey_area_year(responses: pd.DataFrame) -> pd.DataFrame:
    """Raw responses (``raw.safety_survey`` columns) -> area, year, respondents, share_safe."""
    need = {"ar", "omrades_id", "trygg_kvall"}
    missing = need - set(responses.columns)
    if missing:
        from est_pipeline.estimation.errors import PanelError

        raise PanelError(f"raw.safety_survey: missing column(s) {sorted(missing)}")
    r = responses.dropna(subset=["trygg_kvall"])
    r = r.assign(safe=(r["trygg_kvall"].astype(float) >= SAFE_MIN).astype(float))
    g = r.groupby(["omrades_id", "ar"])["safe"].agg(["size", "mean"]).reset_index()
    return g.rename(columns={"omrades_id": "area_id", "ar": "year", "size": "respondents", "mean": "share_safe"})


def yearly_exposure(interventions: pd.DataFrame) -> pd.DataFrame:
    """area, year, type -> share of the year's Mondays on which the type was active."""
    iv = interventions[["area_id", "week_start", "intervention_type"]].drop_duplicates().copy()
    iv["year"] = pd.to_datetime(iv["week_start"]).dt.year
    n = iv.groupby(["area_id", "year", "intervention_type"]).size().rename("weeks").reset_index()
    mondays = {y: int(np.sum(pd.date_range(date(y, 1, 1), date(y, 12, 31)).dayofweek == 0)) for y in n["year"].unique()}
    n["exposure"] = n["weeks"] / n["year"].map(mondays)
    return n


def estimate_survey(
    area_year: pd.DataFrame, interventions: pd.DataFrame, first_year: int, last_year: int, level: float = 0.95
) -> tuple[list[Estimate], list[str]]:
    """All types at once in one weighted FE regression; returns estimates and notes."""
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    d = area_year[(area_year["year"] >= first_year) & (area_year["year"] <= last_year)].copy()
    notes: list[str] = []
    if d["area_id"].nunique() < 3 or d["year"].nunique() < 2:
        return [], ["survey: fewer than 3 areas or 2 years in the period, survey model skipped"]
    exp = yearly_exposure(interventions)
    wide = exp.pivot_table(index=["area_id", "year"], columns="intervention_type", values="exposure", fill_value=0.0)
    d = d.merge(wide.reset_index(), on=["area_id", "year"], how="left").fillna(0.0)
    types = [c for c in wide.columns if c in d.columns]
    usable = []
    for t in types:
        x = d[t]
        within_area = d.groupby("area_id")[t].transform(lambda s: s - s.mean())
        within_year = d.groupby("year")[t].transform(lambda s: s - s.mean())
        if x.sum() == 0 or np.allclose(within_area, 0) or np.allclose(within_year, 0):
            notes.append(f"survey: {t} does not vary within areas and years, not estimable")
        else:
            usable.append(t)
    if not usable:
        return [], notes
    cols = {t: f"x{i}" for i, t in enumerate(usable)}
    df = d.rename(columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A tight demeaning tolerance: the default left run-to-run noise of ~1e-7 in p-values,
        # and a re-materialised partition must give the same mart.
        fit = pf.feols(f"share_safe ~ {' + '.join(cols.values())} | area_id + year", data=df,
                       weights="respondents", vcov={"CRV1": "area_id"},
                       demeaner=MapDemeaner(fixef_tol=1e-12))
    coef = fit.coef()
    se = fit.se()
    G = int(d["area_id"].nunique())
    crit = stats.t.ppf(0.5 + level / 2, G - 1)
    out = []
    for t, c in cols.items():
        if c not in coef.index:
            notes.append(f"survey: {t} collinear with the fixed effects, not estimable")
            continue
        b, s = float(coef[c]), float(se[c])
        p = float(2 * stats.t.sf(abs(b / s), G - 1)) if s > 0 else float("nan")
        treated = d[d[t] > 0]
        out.append(Estimate(t, OUTCOME, ESTIMATOR, b, b - crit * s, b + crit * s, p, s,
                            int(treated["area_id"].nunique()), int(exp[(exp["intervention_type"] == t)
                            & exp["year"].between(first_year, last_year)]["weeks"].sum()), G, INFERENCE))
    return out, notes
