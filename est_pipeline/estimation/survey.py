"""The survey outcome: share of respondents who feel safe, area × year (trygghetsmätning).

Counts of incidents are not the whole story; the method's aim is that people *feel*
safer. The survey is yearly, so the model is linear in the share with area and year
fixed effects, weighted by respondents (a share from 300 answers says more than one from
30), exposure = the share of the year's weeks each type was active in the area, all types
at once.

Inference has the same few-area calibration as the count headline: with few areas,
cluster-robust t-tests over-reject (11% size with 3 exposed areas of 14 in a check) and a
cluster bootstrap with few exposed areas cannot reject at all. So, per type, randomization
inference after MacKinnon & Webb (2020): with the hypothesis imposed (the outcome minus
b × exposure) every area is "unexposed", so each placebo assignment lays the exposed areas'
paths on a random set of areas (any areas, the exposed ones included), the model is refitted
(it is linear, so a refit is a few vector products), and the observed studentised coefficient
is ranked among the placebo ones; inverted into an interval. Every area stays in every refit,
so the placebos are comparable with the observed coefficient whatever the number of exposed
areas. A 5% test needs 19 possible assignments; with fewer (a single exposed area among
fewer than 19) the data cannot tell, and the note says so.

The fixed effects are swept out with the same deterministic solver as the count models
(weights = respondents), so a re-run gives the same bits.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from est_pipeline.estimation.estimates import Estimate
from est_pipeline.estimation.inference import CANNOT_TELL, sv_int
from est_pipeline.estimation.placebo import MIN_ASSIGNMENTS, assignments, n_assignments
from est_pipeline.estimation.poisson_fe import partial_out_fe

ESTIMATOR = "survey_fe_linear"
OUTCOME = "survey_share_safe"
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
    g = r.groupby(["omrades_id", "ar"], sort=True)["safe"].agg(["size", "sum"]).reset_index()
    g["mean"] = g["sum"] / g["size"]
    g = g.drop(columns="sum")
    return g.rename(columns={"omrades_id": "area_id", "ar": "year", "size": "respondents", "mean": "share_safe"})


def yearly_exposure(interventions: pd.DataFrame) -> pd.DataFrame:
    """area, year, type -> share of the year's Mondays on which the type was active."""
    iv = interventions[["area_id", "week_start", "intervention_type"]].drop_duplicates().copy()
    iv["year"] = pd.to_datetime(iv["week_start"]).dt.year
    n = iv.groupby(["area_id", "year", "intervention_type"], sort=True).size().rename("weeks").reset_index()
    mondays = {y: int(np.sum(pd.date_range(date(y, 1, 1), date(y, 12, 31)).dayofweek == 0)) for y in n["year"].unique()}
    n["exposure"] = n["weeks"] / n["year"].map(mondays)
    return n


class _Design:
    """The weighted two-way FE regression with the fixed effects swept out once."""

    def __init__(self, y, X, w, area, year):
        n_a, n_y = int(area.max()) + 1, int(year.max()) + 1
        self.w, self.area, self.year, self.n_a, self.n_y = w, area, year, n_a, n_y
        self.yt = partial_out_fe(y[:, None], w, area, year, n_a, n_y)[:, 0]
        self.Xt = partial_out_fe(X, w, area, year, n_a, n_y)
        self.n = len(y)

    def partial(self, V: np.ndarray) -> np.ndarray:
        return partial_out_fe(V, self.w, self.area, self.year, self.n_a, self.n_y)

    def fit(self):
        W = self.w[:, None]
        beta = np.linalg.solve((self.Xt * W).T @ self.Xt, (self.Xt * W).T @ self.yt)
        return beta

    def residual_df(self, k: int) -> int:
        return max(self.n - self.n_a - self.n_y + 1 - k, 1)


def _others_projection(d: _Design, j: int):
    """x_j and y with the fixed effects and the other types partialled out (weights w)."""
    w = d.w
    others = np.delete(d.Xt, j, axis=1)
    if others.shape[1]:
        G = (others * w[:, None]).T @ others

        def proj(v):
            return v - others @ np.linalg.solve(G, (others * w[:, None]).T @ v)
    else:
        def proj(v):
            return v
    return proj


class _RandomizationTest:
    """Studentised placebo test of "the type's coefficient is b" (see the module docstring)."""

    def __init__(self, d: _Design, j: int, x: np.ndarray, treated: np.ndarray, area_of_row: np.ndarray,
                 n_draws: int, seed: int):
        proj = _others_projection(d, j)
        w = d.w
        self.df = d.residual_df(d.Xt.shape[1])
        y_m = proj(d.yt)
        x_m = proj(d.Xt[:, j])
        self.obs = self._pieces(y_m, x_m, x_m, w)
        # Placebo exposure columns: the exposed areas' paths laid on other areas (any areas:
        # under the hypothesis every area is unexposed).
        n_a = d.n_a
        years = d.year
        path = np.zeros((n_a, d.n_y))
        path[area_of_row, years] = x
        perm, _ = assignments(n_a, len(treated), n_draws, seed)
        cols = np.zeros((d.n, len(perm)))
        for p, row in enumerate(perm):
            xp = np.zeros((n_a, d.n_y))
            xp[row] = path[treated]
            cols[:, p] = xp[area_of_row, years]
        xp_m = np.stack([proj(c) for c in d.partial(cols).T], axis=1) if len(perm) else np.zeros((d.n, 0))
        self.ref = self._pieces(y_m, x_m, xp_m, w)
        self.n_assignments = len(perm)

    @staticmethod
    def _pieces(y_m, x_m, z, w):
        """For regressing (y_m − b x_m) on z: sums that give coefficient and residual SS at any b."""
        z = z if z.ndim == 2 else z[:, None]
        zz = (z * w[:, None] * z).sum(axis=0)
        zy = (z * w[:, None]).T @ y_m
        zx = (z * w[:, None]).T @ x_m
        yy = float((w * y_m * y_m).sum())
        xy = float((w * x_m * y_m).sum())
        xx = float((w * x_m * x_m).sum())
        return zz, zy, zx, yy, xy, xx

    def _t(self, pieces, b):
        zz, zy, zx, yy, xy, xx = pieces
        coef = (zy - b * zx) / zz
        ss = (yy - 2 * b * xy + b * b * xx) - coef**2 * zz
        se = np.sqrt(np.maximum(ss, 0) / self.df / zz)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(se > 0, coef / se, 0.0)

    def p_value(self, b: float) -> float:
        t = abs(float(self._t(self.obs, b)[0]))
        ref = np.abs(self._t(self.ref, b))
        return float((1 + np.sum(ref >= t - 1e-12)) / (self.n_assignments + 1))

    def interval(self, estimate: float, scale: float, level: float = 0.95) -> tuple[float, float]:
        alpha = 1 - level

        def excess(b):
            return alpha - self.p_value(b) + 1e-9

        out = []
        for direction in (-1.0, 1.0):
            near, step = estimate, max(scale, 1e-4)
            far = estimate + direction * step
            found = False
            while abs(far - estimate) <= 10.0:
                if excess(far) > 0:
                    found = True
                    break
                near, step = far, step * 1.6
                far = estimate + direction * step
            if not found:
                out.append(direction * np.inf)
                continue
            # The p-value is a step function of b: bisect to the edge of the acceptance region.
            lo, hi = near, far
            for _ in range(60):
                mid = (lo + hi) / 2
                if excess(mid) > 0:
                    hi = mid
                else:
                    lo = mid
            out.append(lo)
        return out[0], out[1]


def _partialled(d: _Design, j: int) -> tuple[np.ndarray, float]:
    """Type j's exposure with the fixed effects and the other types partialled out, and its
    weighted sum of squares."""
    x_m = _others_projection(d, j)(d.Xt[:, j])
    return x_m, float((d.w * x_m * x_m).sum())


def estimate_survey(
    area_year: pd.DataFrame, interventions: pd.DataFrame, first_year: int, last_year: int, level: float = 0.95,
    n_draws: int = 999, seed: int = 0,
) -> tuple[list[Estimate], list[str]]:
    """All types at once in one weighted FE regression; returns estimates and notes."""
    d = area_year[(area_year["year"] >= first_year) & (area_year["year"] <= last_year)].copy()
    notes: list[str] = []
    if d["area_id"].nunique() < 3 or d["year"].nunique() < 2:
        return [], ["survey: fewer than 3 areas or 2 years in the period, survey model skipped"]
    exp = yearly_exposure(interventions)
    wide = exp.pivot_table(index=["area_id", "year"], columns="intervention_type", values="exposure", fill_value=0.0)
    d = d.merge(wide.reset_index(), on=["area_id", "year"], how="left").fillna(0.0)
    d = d.sort_values(["area_id", "year"], kind="stable").reset_index(drop=True)
    types = sorted(c for c in wide.columns if c in d.columns)
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
    area_ids = np.sort(d["area_id"].unique())
    area = np.searchsorted(area_ids, d["area_id"].to_numpy())
    years = np.sort(d["year"].unique())
    year = np.searchsorted(years, d["year"].to_numpy())
    w = d["respondents"].to_numpy(dtype=float)
    X = d[usable].to_numpy(dtype=float)
    des = _Design(d["share_safe"].to_numpy(dtype=float), X, w, area, year)
    G = int(area_ids.size)
    keep = []
    for j, t in enumerate(usable):  # a type absorbed by the FEs and the other types is not identified
        v = des.Xt[:, j]
        if float((w * v * v).sum()) <= 1e-12 * max(float((w * X[:, j] ** 2).sum()), 1e-300):
            notes.append(f"survey: {t} collinear with the fixed effects, not estimable")
        else:
            keep.append(j)
    if len(keep) < len(usable):
        usable = [usable[j] for j in keep]
        X = X[:, keep]
        des = _Design(d["share_safe"].to_numpy(dtype=float), X, w, area, year)
    beta = des.fit()
    out = []
    for j, t in enumerate(usable):
        b = float(beta[j])
        exposed = np.bincount(area, weights=X[:, j], minlength=G) > 0
        treated = np.flatnonzero(exposed)
        n1, g0 = treated.size, G - treated.size
        x_m, xx = _partialled(des, j)
        resid = des.yt - des.Xt @ beta
        s_g = np.bincount(area, weights=w * x_m * resid, minlength=G)
        se = float(np.sqrt(G / (G - 1) * (s_g**2).sum()) / xx)  # CR1, only to size the interval search
        n_weeks = int(exp[(exp["intervention_type"] == t) & exp["year"].between(first_year, last_year)]["weeks"].sum())
        kw = dict(intervention_type=t, outcome_group=OUTCOME, estimator=ESTIMATOR, log_irr=b, se=se,
                  n_treated_areas=int(n1), n_treated_area_weeks=n_weeks, n_clusters=G, n_control_areas=int(g0))
        if n_assignments(G, n1) >= MIN_ASSIGNMENTS:
            ri = _RandomizationTest(des, j, X[:, j], treated, area, n_draws, seed + j)
            lo, hi = ri.interval(b, se, level)
            if np.isfinite(lo) and np.isfinite(hi):
                out.append(Estimate(ci_low=lo, ci_high=hi, p_value=ri.p_value(0.0),
                                    inference=f"placebo_assignments_{ri.n_assignments}",
                                    detail=(f"Intervallet bygger på ett placebotest: exponeringen lades på andra "
                                            f"områden ({sv_int(ri.n_assignments)} tilldelningar)."), **kw))
                continue
            reason = (f"Data kan inte avgöra: med {n1} områden med insatsen och {g0} utan har skillnaden ingen gräns "
                      "på 95 %-nivån.")
        else:
            reason = (f"Data kan inte avgöra: med {n1} område(n) med insatsen bland {G} finns {n_assignments(G, n1)} "
                      f"sätt att lägga exponeringen på andra områden; ett placebotest på 5 %-nivån kräver minst "
                      f"{MIN_ASSIGNMENTS}.")
        out.append(Estimate(ci_low=np.nan, ci_high=np.nan, p_value=np.nan, inference=CANNOT_TELL, reason=reason, **kw))
    return out, notes
