"""What a scheduled run delivers besides its marts: the report of its rhythm and the BI copy.

The weekly, period and yearly jobs each rebuild marts; the partners read the report built
from them and BI tools the published warehouse. So every such job selects, next to its
marts, the report asset of its rhythm and the ``published/warehouse`` asset, and one run
does all three: marts, then the report and the publication that depend on them.

The report and publish assets are selected by tag and group rather than by key. A concern
loaded on its own (the dbt concern in its tests) then simply has no report or publish
asset to select, instead of failing on an unknown key; the code location, which merges
every concern, resolves each job to its marts, its report and the publication.
"""

from __future__ import annotations

from typing import Literal

import dagster as dg

#: Tag on each report asset naming the rhythm it belongs to.
REPORT_TAG = "est/report"
#: The group of the ``published/warehouse`` asset (the publish concern).
PUBLISH_GROUP = "publish"
#: Run tag that says what started a run (``schedule``, ``late_data_sensor``, ``make_demo`` …).
TRIGGER_TAG = "est/trigger"

Rhythm = Literal["weekly", "period", "yearly"]


def report_tags(rhythm: Rhythm) -> dict[str, str]:
    """The tags a report asset carries so that the job of its rhythm selects it."""
    return {REPORT_TAG: rhythm}


def deliveries(rhythm: Rhythm) -> dg.AssetSelection:
    """The report of ``rhythm`` and the published warehouse."""
    return dg.AssetSelection.tag(REPORT_TAG, rhythm) | dg.AssetSelection.groups(PUBLISH_GROUP)
