"""Descriptions of the dbt tests that Dagster shows as asset checks.

dagster-dbt turns every dbt test into an asset check and takes its description from the
test's ``meta.description`` only, so out of the box a check reads "No description provided".
An analyst who sees a check fail needs to know, in words, what was checked, what a failure
means and what to do. :func:`check_description` gives that for every test:

1. the test's own ``description`` in the YAML (generic tests), or its ``meta.description``
   (singular tests set it in their ``config()``: dbt's partial parsing can lose the YAML
   description of a singular test, never its config);
2. otherwise a sentence generated from the test itself (its kind, the column, the model and
   the arguments), for the generic tests the project uses;

followed by what the test's severity means for the run. A test of a kind this module does
not know, without a description of its own, still gets a sentence naming the test, the
column and the model; ``tests/test_check_descriptions.py`` fails on it so that its YAML gets
a real description.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")
_SOURCE = re.compile(r"""source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")

SEVERITY_SENTENCES = {
    "warn": "Severity warn: a failure shows as a warning on the asset and the run goes on.",
    "error": (
        "Severity error: a failure marks the check failed and the models built from this one "
        "in the same dbt run are skipped."
    ),
}

#: Where a type on no list is added, per source (the dbt test argument ``source_name``).
_MAPPING_SEEDS = {
    "police_deso": "dbt_project/seeds/police_crime_codes.csv",
    "police_events": "dbt_project/seeds/police_event_types.csv",
}


def _relation(node: Mapping[str, Any] | None) -> str:
    if not node:
        return "the model"
    name = node.get("alias") or node.get("name") or "?"
    if node.get("resource_type") == "source":
        name = node.get("identifier") or node.get("name") or name
    schema = node.get("schema")
    return f"{schema}.{name}" if schema else str(name)


def _attached(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    unique_id = test.get("attached_node")
    if not unique_id:
        parents = (test.get("depends_on") or {}).get("nodes") or []
        unique_id = parents[0] if parents else None
    if not unique_id:
        return None
    return (manifest.get("nodes") or {}).get(unique_id) or (manifest.get("sources") or {}).get(unique_id)


def _target(text: str) -> str:
    """``ref('int_areas')`` -> ``int_areas``; ``source('raw', 'areas')`` -> ``raw.areas``."""
    if m := _REF.search(text or ""):
        return m.group(1)
    if m := _SOURCE.search(text or ""):
        return f"{m.group(1)}.{m.group(2)}"
    return str(text)


def _values(values: Any) -> str:
    items = [str(v) for v in (values or [])]
    if len(items) > 8:
        return ", ".join(items[:8]) + f" and {len(items) - 8} more"
    return ", ".join(items)


def _not_null(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"Every row of {model} has a value in {column} (never empty)."


def _unique(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"{column} identifies the rows of {model}: no value appears twice."


def _relationships(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    to = _target(str(kwargs.get("to", "")))
    field = kwargs.get("field", column)
    return (
        f"Every {column} in {model} exists as {field} in {to}: nothing points to a row "
        "that is not there."
    )


def _accepted_values(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"{column} in {model} is one of: {_values(kwargs.get('values'))}."


def _between(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    return f"{column} in {model} lies between {low} and {high} (empty values are not checked)."


def _not_negative(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"{column} in {model} is never below zero: it counts something."


def _is_monday(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"{column} in {model} is always a Monday, the first day of an ISO week (vecka)."


def _unique_combination(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    columns = kwargs.get("combination_of_columns") or []
    return f"{model} has exactly one row per {' × '.join(str(c) for c in columns)}: no duplicates."


def _complete_grid(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    per = " and every category" if kwargs.get("per_category") else ""
    return (
        f"{model} has a row for every area{per} in every week it covers, zeros included, so "
        "baselines and charts never mistake a missing row for a quiet week."
    )


def _has_category_mapping(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    source = str(kwargs.get("source_name", "the feed"))
    if source in _MAPPING_SEEDS:
        fix = (f"add each code to {_MAPPING_SEEDS[source]}, tracked under an EST category or "
               "not tracked with the reason")
    else:
        fix = ("add a row (source, type, EST category) for each type to "
               "dbt_project/seeds/category_mapping.csv")
    return (
        f"Every {column} the {source} feed delivers ({model}) is on a list that decides what "
        "it counts as: an EST category, or for police codes a decision not to follow it up. "
        "A warning names the types on no list (also in marts.unmapped_source_types and the "
        "weekly report); their rows are kept but not counted. What to do: " + fix + ", then "
        "re-run the weekly job so they are counted."
    )


def _expression(column: str, model: str, kwargs: Mapping[str, Any]) -> str:
    return f"Every row of {model} satisfies: {kwargs.get('expression')}."


GENERATED: dict[str, Callable[[str, str, Mapping[str, Any]], str]] = {
    "not_null": _not_null,
    "unique": _unique,
    "relationships": _relationships,
    "accepted_values": _accepted_values,
    "between": _between,
    "not_negative": _not_negative,
    "is_monday": _is_monday,
    "unique_combination_of_columns": _unique_combination,
    "complete_area_week_grid": _complete_grid,
    "has_category_mapping": _has_category_mapping,
}
#: Tests whose meaning is in their arguments, not their kind: they need a YAML description
#: (the generated fallback quotes SQL, which is no help to an analyst).
NEEDS_OWN_DESCRIPTION = {"expression_is_true"}


def own_description(test: Mapping[str, Any]) -> str | None:
    """The description written for the test in YAML, if any."""
    text = (test.get("description") or "").strip()
    if not text:
        meta = test.get("meta") or (test.get("config") or {}).get("meta") or {}
        text = str(meta.get("description") or "").strip()
    return text or None


def check_description(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """What the check tests, in words, and what a failure does to the run."""
    severity = str((test.get("config") or {}).get("severity") or "error").lower()
    text = own_description(test)
    if text is None:
        metadata = test.get("test_metadata") or {}
        kind = metadata.get("name")
        kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
        column = str(test.get("column_name") or kwargs.get("column_name") or "the value")
        model = _relation(_attached(test, manifest))
        if kind in GENERATED:
            text = GENERATED[kind](column, model, kwargs)
        elif kind == "expression_is_true":
            text = _expression(column, model, kwargs)
        else:
            text = f"dbt test {test.get('name')} on {model}."
    text = text.strip()
    if not text.endswith((".", "!", "?")):
        text += "."
    return f"{text} {SEVERITY_SENTENCES.get(severity, SEVERITY_SENTENCES['error'])}"
