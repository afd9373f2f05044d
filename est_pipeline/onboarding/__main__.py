"""``python -m est_pipeline.onboarding check``."""

from __future__ import annotations

import sys

from est_pipeline.onboarding.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
