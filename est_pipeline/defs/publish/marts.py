"""Which assets are marts: the ones the published warehouse depends on and is rebuilt after.

Decided from what every asset already declares, so marts that other concerns add later
(dbt models in ``models/marts``, the estimation asset writing ``marts.intervention_effects``)
are picked up without editing this concern. An asset is a mart when any of these holds:
its key starts with ``marts``; its group is ``marts`` (or starts with ``marts``); it carries
the dbt tag ``marts`` (dagster-dbt turns dbt tags into Dagster tags); or its table name
metadata (``dagster/table_name``, ``<database>.marts.<table>``) names schema ``marts``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import dagster as dg

from est_pipeline.publish.contents import MARTS_SCHEMA

_TABLE_NAME_KEY = "dagster/table_name"
PUBLISH_CONCERN = "publish"


def is_mart(
    key: dg.AssetKey,
    group_name: str | None,
    tags: Mapping[str, str] | None,
    metadata: Mapping[str, Any] | None,
) -> bool:
    if key.path and key.path[0] == MARTS_SCHEMA:
        return True
    if group_name and group_name.startswith(MARTS_SCHEMA):
        return True
    if tags and MARTS_SCHEMA in tags:
        return True
    return mart_table_from_metadata(metadata) is not None


def mart_table_from_metadata(metadata: Mapping[str, Any] | None) -> str | None:
    value = (metadata or {}).get(_TABLE_NAME_KEY)
    text = getattr(value, "value", value)
    if not isinstance(text, str):
        return None
    parts = [p.strip('"') for p in text.split(".")]
    if len(parts) >= 2 and parts[-2] == MARTS_SCHEMA:
        return parts[-1]
    return None


def mart_table_name(key: dg.AssetKey, metadata: Mapping[str, Any] | None) -> str:
    """The table in schema ``marts`` an asset writes: from metadata, else the key's last part."""
    return mart_table_from_metadata(metadata) or key.path[-1]


@lru_cache(maxsize=1)
def discover_mart_specs() -> tuple[dg.AssetSpec, ...]:
    """Mart asset specs of every other concern, read once per process.

    The concerns' ``build_defs()`` are called a second time here (``load_all_defs`` calls
    them too) because a Dagster asset's dependencies must be concrete keys when it is
    defined; the cost is measured in docs/bi.md.
    """
    from est_pipeline.defs import CONCERNS

    specs: list[dg.AssetSpec] = []
    for name in CONCERNS:
        if name == PUBLISH_CONCERN:
            continue
        module = importlib.import_module(f"est_pipeline.defs.{name}.definitions")
        for spec in module.build_defs().resolve_all_asset_specs():
            if is_mart(spec.key, spec.group_name, spec.tags, spec.metadata):
                specs.append(spec)
    return tuple(sorted(specs, key=lambda s: s.key.to_user_string()))
