"""The partner pages are generated from the feed contracts and must not drift from them."""

from __future__ import annotations

from est_pipeline.ingest.feeds import FEEDS, REFERENCE_FEEDS
from est_pipeline.ingest.partner_docs import DOCS_DIR, ERRORS_SV, pages


def test_partner_pages_are_up_to_date() -> None:
    for name, text in pages().items():
        on_disk = (DOCS_DIR / name).read_text(encoding="utf-8")
        assert on_disk == text, f"docs/feeds/{name} is stale: run python -m est_pipeline.ingest.partner_docs"


def test_every_feed_has_a_page_naming_every_heading() -> None:
    generated = pages()
    for feed in FEEDS.values():
        page = generated[f"{feed.name}.md"]
        assert f"landing/{feed.name}/" in page
        for col in feed.file_columns:
            assert f"`{col.header}`" in page
    for feed in REFERENCE_FEEDS:
        assert f"`{feed.file_name}`" in generated["reference.md"]


def test_every_error_code_the_code_can_raise_is_documented() -> None:
    import re
    from pathlib import Path

    source = "\n".join(p.read_text() for p in Path(DOCS_DIR.parent.parent / "est_pipeline" / "ingest").rglob("*.py"))
    source += (DOCS_DIR.parent.parent / "data_checks" / "suites.py").read_text()
    raised = set(re.findall(r'(?:FileRejected|RowProblem|DateFormatError|DateValueError)\(\s*"([a-z_]+)"', source))
    raised |= set(re.findall(r'Problem\(\s*row_number, [^,]+, "([a-z_]+)"', source))
    raised |= set(re.findall(r'"(invalid_coordinates|value_out_of_range|value_not_allowed|invalid_format)"', source))
    raised |= set(re.findall(r'add_problem\([^,]+, "([a-z_]+)"', source))
    raised |= set(re.findall(r'return "([a-z_]+)", \(', source))  # hold codes
    assert {"unbalanced_quote", "truncated_record", "nul_bytes", "field_too_large", "too_many_rows_quarantined"} <= raised
    assert raised, "the scan found no codes"
    assert raised - {"duplicate_id", "schema_mismatch"} <= set(ERRORS_SV), raised - set(ERRORS_SV)
