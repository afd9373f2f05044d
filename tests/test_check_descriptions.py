"""Every asset check of the code location says, in words, what it checks.

dagster-dbt would show "No description provided" on every dbt test; the translator gives each
check its YAML description or one generated from the test (est_pipeline/defs/dbt/checks.py).
"""

from __future__ import annotations

import json
import re

import pytest
from test_dbt_support import dbt_manifest  # noqa: F401  (session fixture)

from est_pipeline.defs.dbt.checks import (
    GENERATED,
    NEEDS_OWN_DESCRIPTION,
    SEVERITY_SENTENCES,
    check_description,
    own_description,
)

pytestmark = pytest.mark.usefixtures("dbt_manifest")

INTERNAL_REFERENCE = re.compile(r"(?i)\bissue\s*#?\d+|DESIGN\s*§")


@pytest.fixture(scope="module")
def graph():
    from est_pipeline.defs import load_all_defs

    return load_all_defs().resolve_asset_graph()


def test_every_check_has_a_description_in_words(graph) -> None:
    keys = sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    assert len(keys) > 300, "the dbt tests and the feeds' checks"
    for key in keys:
        description = graph.get_check_spec(key).description or ""
        assert len(description) > 40, (key, description)
        assert not description.startswith("dbt test "), f"{key}: a fallback, not a description"
        assert not INTERNAL_REFERENCE.search(description), (key, description)


def test_dbt_checks_say_what_their_severity_does(graph) -> None:
    manifest = json.loads((dbt_manifest_path()).read_text(encoding="utf-8"))
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    dbt_keys = [k for k in graph.asset_check_keys if k.name in tests]
    assert len(dbt_keys) == len(tests)
    for key in dbt_keys:
        test = tests[key.name]
        severity = str(test["config"]["severity"]).lower()
        assert graph.get_check_spec(key).description.endswith(SEVERITY_SENTENCES[severity]), key


def test_tests_whose_meaning_is_in_their_sql_are_described_in_yaml() -> None:
    """expression_is_true and singular tests: a generated sentence would quote SQL."""
    manifest = json.loads((dbt_manifest_path()).read_text(encoding="utf-8"))
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        kind = (node.get("test_metadata") or {}).get("name")
        if kind in NEEDS_OWN_DESCRIPTION or kind is None:
            assert own_description(node), f"{node['name']}: give it a description in its YAML"
        else:
            assert kind in GENERATED or own_description(node), (
                f"{node['name']}: a test of kind {kind!r} needs a description in its YAML or a "
                "sentence in est_pipeline/defs/dbt/checks.py")


def test_generated_descriptions_read_as_sentences() -> None:
    manifest = {"nodes": {"model.p.weekly_situation": {
        "resource_type": "model", "name": "weekly_situation", "schema": "marts"}}}

    def test(kind: str, severity: str = "ERROR", **kwargs: object) -> dict:
        return {"name": f"{kind}_x", "column_name": "area_id", "attached_node": "model.p.weekly_situation",
                "test_metadata": {"name": kind, "kwargs": {"column_name": "area_id", **kwargs}},
                "config": {"severity": severity}, "description": ""}

    assert check_description(test("relationships", to="ref('int_areas')", field="area_id"), manifest) == (
        "Every area_id in marts.weekly_situation exists as area_id in int_areas: nothing points "
        "to a row that is not there. " + SEVERITY_SENTENCES["error"])
    text = check_description(test("has_category_mapping", "warn", source_name="police_events"), manifest)
    assert "police_event_types.csv" in text and text.endswith(SEVERITY_SENTENCES["warn"])
    assert "category_mapping.csv" in check_description(
        test("has_category_mapping", "warn", source_name="fault_reports"), manifest)
    own = {**test("expression_is_true", expression="a = b"), "description": "Reports add up"}
    assert check_description(own, manifest) == "Reports add up. " + SEVERITY_SENTENCES["error"]


def dbt_manifest_path():
    from est_pipeline.defs.dbt.project import get_dbt_project

    return get_dbt_project().manifest_path

