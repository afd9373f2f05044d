"""The demo data generator: a fictional municipality's partner feeds plus the ground truth.

``generate(out_dir, DemoConfig(...))`` writes ``out_dir/landing/<feed>/...`` in the formats
of docs/architecture.md ("Feeds") and ``out_dir/ground_truth/`` (true events, planted
effects, treatment schedule, planted flaws) so that every later stage can be checked
against what really happened. CLI: ``python -m est_pipeline.demo --help``.

Profiles: the default (``DemoConfig``) writes every partner feed; ``police_only``
(``PoliceOnlyConfig``, ``est_pipeline.demo.police_only``) writes only the police's
DeSO-coded extract, area boundaries as a GeoPackage and the DeSO links, with the
interventions register set aside in ``later/``. ``generate(out_dir, PoliceOnlyConfig(seed=1))``
or ``generate_profile(out_dir, "police_only", seed=1)``; on the command line
``python -m est_pipeline.demo --profile police_only --out DIR``.
"""

from est_pipeline.demo.config import DEFAULT_EFFECTS, DemoConfig, GenerationSummary
from est_pipeline.demo.generator import PROFILES, generate, generate_profile
from est_pipeline.demo.police_only import PoliceOnlyConfig, PoliceOnlySummary

__all__ = ["DEFAULT_EFFECTS", "PROFILES", "DemoConfig", "GenerationSummary", "PoliceOnlyConfig",
           "PoliceOnlySummary", "generate", "generate_profile"]
