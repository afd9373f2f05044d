"""Table and column descriptions for the published warehouse.

BI tools (DBeaver, Metabase, Superset, Power BI through ODBC) show DuckDB's ``COMMENT ON``
text next to a table or column, so the descriptions written once in dbt's YAML reach the
analyst without a separate data dictionary. Two sources, the later winning:

1. comments already in the working warehouse (dbt-duckdb writes them with
   ``persist_docs``, the estimation asset may write its own);
2. dbt's ``target/manifest.json``: model and column descriptions of every model in the
   ``marts`` schema, and of the dbt sources declared there (the tables the estimation step
   writes from Python).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from est_pipeline.settings import DBT_PROJECT_DIR

log = logging.getLogger(__name__)


@dataclass
class TableDocs:
    description: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


def find_manifests(dbt_project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """Manifests to read descriptions from, best first.

    ``target/manifest.json`` is the one the code location parses (``make manifest``);
    dagster-dbt runs leave more under ``target/<invocation>/``, newest first after it. A
    dbt run may be writing one of them right now, so callers try them in order.
    """
    target = dbt_project_dir / "target"
    if not target.is_dir():
        return []
    main = target / "manifest.json"
    others = sorted(
        (p for p in target.glob("*/manifest.json") if p.is_file()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    return ([main] if main.is_file() else []) + others


def docs_from_first_readable(
    manifests: list[Path], schema: str = "marts"
) -> tuple[Path | None, dict[str, TableDocs]]:
    """Descriptions from the first manifest that parses; descriptions never fail a publish."""
    for path in manifests:
        try:
            return path, docs_from_manifest(path, schema)
        except ValueError as exc:
            log.warning("Skipping dbt manifest: %s", exc)
    return None, {}


def docs_from_manifest(manifest_path: Path | None, schema: str = "marts") -> dict[str, TableDocs]:
    """Model name -> descriptions, for models that dbt builds into ``schema``."""
    if manifest_path is None or not manifest_path.exists():
        return {}
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{manifest_path}: cannot read the dbt manifest: {exc}") from exc
    docs: dict[str, TableDocs] = {}
    nodes = [*(manifest.get("nodes") or {}).values(), *(manifest.get("sources") or {}).values()]
    for node in nodes:
        if node.get("resource_type") not in ("model", "seed", "snapshot", "source"):
            continue
        if (node.get("schema") or "").lower() != schema:
            continue
        name = node.get("identifier") if node.get("resource_type") == "source" else None
        name = name or node.get("alias") or node.get("name")
        columns = {
            col_name: (col.get("description") or "").strip()
            for col_name, col in (node.get("columns") or {}).items()
            if (col.get("description") or "").strip()
        }
        docs[name] = TableDocs((node.get("description") or "").strip() or None, columns)
    return docs


def merge(base: TableDocs | None, override: TableDocs | None) -> TableDocs:
    out = TableDocs()
    for part in (base, override):
        if part is None:
            continue
        if part.description:
            out.description = part.description
        out.columns.update({k: v for k, v in part.columns.items() if v})
    return out


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
