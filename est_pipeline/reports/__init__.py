"""Återkoppling: the Swedish HTML reports the EST partners read (docs/reports.md).

One module per report (``weekly``, ``period``, ``yearly``), each reading its marts with plain
SQL (``marts``) and rendering a Jinja template (``templates/``) into one self-contained file
(``html``), with matplotlib charts and maps embedded as images (``charts``, ``maps``).
"""

from est_pipeline.reports.period import render_period_report
from est_pipeline.reports.weekly import render_weekly_report
from est_pipeline.reports.yearly import render_yearly_report

__all__ = ["render_period_report", "render_weekly_report", "render_yearly_report"]
