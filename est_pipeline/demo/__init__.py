"""The demo data generator: a fictional municipality's partner feeds plus the ground truth.

``generate(out_dir, DemoConfig(...))`` writes ``out_dir/landing/<feed>/...`` in the formats
of docs/architecture.md ("Feeds") and ``out_dir/ground_truth/`` (true events, planted
effects, treatment schedule, planted flaws) so that every later stage can be checked
against what really happened. CLI: ``python -m est_pipeline.demo --help``.
"""

from est_pipeline.demo.config import DEFAULT_EFFECTS, DemoConfig, GenerationSummary
from est_pipeline.demo.generator import generate

__all__ = ["DEFAULT_EFFECTS", "DemoConfig", "GenerationSummary", "generate"]
