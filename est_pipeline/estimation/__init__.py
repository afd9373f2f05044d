"""Uppföljning: which interventions go together with fewer incidents (the yearly follow-up).

Library code only, no Dagster: the asset in ``est_pipeline.defs.estimation`` calls
:func:`est_pipeline.estimation.pipeline.estimate_effects`. Every number produced here is an
association, not a proven causal effect.
"""

from est_pipeline.estimation.errors import PanelError

__all__ = ["PanelError"]
