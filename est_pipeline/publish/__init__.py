"""The published, read-only warehouses for BI tools (docs/bi.md).

``publish_warehouse()`` copies every mart and the reference tables from the working
warehouse into a new DuckDB file, applies the small-count rule (``rules``), writes the dbt
descriptions as comments (``comments``) and swaps the file in atomically (``publisher``).
``publish_for_municipalities()`` does that once per municipality, each file sealed to that
municipality's rows, and for all municipalities only where configured.
"""

from est_pipeline.publish.publisher import (
    PublicationResult,
    PublishError,
    Scope,
    SourceInfo,
    municipality_file,
    publish_for_municipalities,
    publish_warehouse,
)

__all__ = [
    "PublicationResult", "PublishError", "Scope", "SourceInfo", "municipality_file",
    "publish_for_municipalities", "publish_warehouse",
]
