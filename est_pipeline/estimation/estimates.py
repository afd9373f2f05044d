"""The record every estimator returns, on the log scale; the mart is built from these."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Estimate:
    intervention_type: str
    outcome_group: str
    estimator: str  # poisson_twfe | robust_imputation | survey_fe_linear
    log_irr: float
    ci_low: float  # log scale (share difference for the survey model)
    ci_high: float
    p_value: float
    se: float  # cluster-robust (CR1) standard error, for reference and for sizing searches
    n_treated_areas: int
    n_treated_area_weeks: int
    n_clusters: int
    inference: str
    notes: list[str] = field(default_factory=list)
    reason: str | None = None  # Swedish: why the data cannot bound the ratio (interval and p are nan)
    detail: str | None = None  # Swedish: what the interval rests on
    n_control_areas: int | None = None  # never-treated areas that placebo inference learnt the noise from

    @property
    def informative(self) -> bool:
        return self.reason is None

    @property
    def irr(self) -> float:
        return float(np.exp(self.log_irr))
