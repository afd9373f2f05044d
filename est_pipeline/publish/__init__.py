"""The published, read-only warehouse for BI tools (docs/bi.md).

``publish_warehouse()`` copies every mart and the reference tables from the working
warehouse into a new DuckDB file, applies the small-count rule (``rules``), writes the dbt
descriptions as comments (``comments``) and swaps the file in atomically (``publisher``).
"""

from est_pipeline.publish.publisher import (
    PublicationResult,
    PublishError,
    SourceInfo,
    publish_warehouse,
)

__all__ = ["PublicationResult", "PublishError", "SourceInfo", "publish_warehouse"]
