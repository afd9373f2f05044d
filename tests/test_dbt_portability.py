"""The dbt project compiles for a second engine (Trino) with no DuckDB-only SQL left in it.

DuckDB-only constructs live behind the dispatched macros of dbt_project/macros/portable.sql
(docs/scale.md, "Portable SQL"). This test compiles the whole project, models and data tests,
with the dbt-trino adapter against a profile whose host nothing listens on: `dbt compile
--no-populate-cache --no-introspect` never opens a connection. It then scans the compiled SQL
for the DuckDB spellings below and names each model or test that still has one, and parses
every compiled file as Trino SQL.

dbt-trino is an optional dependency (`pip install -e '.[portability]'`, `make
test-portability`); without it the slow test is skipped, saying so. Only the scanner's own
check runs in the default suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

# DuckDB spellings that Trino (and ANSI SQL) do not accept. Each has a portable macro or a
# portable rewrite; see dbt_project/macros/portable.sql.
DENY_LIST: dict[str, str] = {
    "qualify (use a subquery with row_number())": r"\bqualify\b",
    "group by all (list the keys, e.g. group by 1, 2)": r"\bgroup\s+by\s+all\b",
    "union [all] by name": r"\bunion\s+(?:all\s+)?by\s+name\b",
    "asof join": r"\basof\s+(?:left\s+)?join\b",
    "strftime (est_iso_week_label)": r"\bstrftime\s*\(",
    "strptime": r"\bstrptime\s*\(",
    "isodow / isoyear (est_isodow, est_isoyear)": r"\biso(?:dow|year)\s*\(",
    "epoch() (est_epoch_seconds)": r"\bepoch(?:_ms|_us|_ns)?\s*\(",
    "make_date (est_make_date)": r"\bmake_(?:date|timestamp)\s*\(",
    "to_days / to_months (est_add_days_interval, est_add_months)": r"\bto_(?:days|weeks|months|years)\s*\(",
    "range() / generate_series() (est_series)": r"\b(?:range|generate_series)\s*\(",
    "list() / list_* functions (est_list_*)": r"\blist_[a-z_]+\s*\(|\blist\s*\(",
    "lambda (est_list_transform, est_list_filter)": r"\blambda\b",
    "string_split (est_split)": r"\bstring_split\s*\(",
    "array_to_string (est_list_join)": r"\barray_to_string\s*\(",
    "regexp_matches / regexp_full_match (est_regexp_*)": r"\bregexp_(?:matches|full_match)\s*\(",
    "arg_min / arg_max (est_arg_min)": r"\barg_(?:min|max)\s*\(",
    "first() / last() aggregate (est_first)": r"(?<![\w.])(?:first|last)\s*\(",
    "mode()": r"\bmode\s*\(",
    "len() (est_list_length)": r"\blen\s*\(",
    "lgamma (est_ln_factorial)": r"\blgamma\s*\(",
    "string_agg (est_string_agg)": r"\bstring_agg\s*\(",
    "unquoted interval, e.g. interval 7 day (est_interval)": r"\binterval\s+\d",
    "integer division // (est_int_div)": r"//",
    ":: cast (use cast(x as type))": r"::",
    "select * exclude / replace": r"\*\s*(?:exclude|replace)\b",
    "columns(...)": r"\bcolumns\s*\(",
    "list literal [..]": r"(?<![\w\])])\[\s*(?:'|\d|case\b)",
    "count_if / any_value": r"\b(?:count_if|any_value)\s*\(",
    "left() (use substr(x, 1, n))": r"(?<![\w.])left\s*\(",
}
_DENY = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in DENY_LIST.items()}


def _code_only(sql: str) -> str:
    """SQL without comments and with string literals emptied (a '::' in a text is fine)."""
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    return re.sub(r"--[^\n]*", " ", sql)


def duckdb_only_constructs(sql: str) -> list[str]:
    """Names of the deny-listed constructs in a compiled SQL text."""
    code = _code_only(sql)
    return [name for name, pattern in _DENY.items() if pattern.search(code)]


def test_scanner_finds_duckdb_constructs_and_passes_portable_sql() -> None:
    duckdb_sql = """
        select *, strftime(d, '%G-W%V') as label, x::int, list(y order by y) as ys
        from t qualify row_number() over (partition by a order by b) = 1
    """
    found = duckdb_only_constructs(duckdb_sql)
    assert any(name.startswith("strftime") for name in found)
    assert any(name.startswith("qualify") for name in found)
    assert any(name.startswith(":: cast") for name in found)
    assert any(name.startswith("list()") for name in found)
    portable_sql = """
        -- a comment may say qualify or strftime(
        select a, 'text with :: and qualify' as note, element_at(array_agg(b order by c), 1) as first_b,
            date_add('day', 7, d) as next_week, interval '7' day as one_week
        from (select *, row_number() over (partition by a order by b) as rank_ from t) as ranked
        where rank_ = 1
        group by 1, 2
    """
    assert duckdb_only_constructs(portable_sql) == []


@pytest.mark.slow
def test_project_compiles_for_trino_without_duckdb_only_sql(tmp_path: Path) -> None:
    pytest.importorskip(
        "dbt.adapters.trino",
        reason="dbt-trino is not installed: pip install -e '.[portability]' (make test-portability)",
    )
    # Nothing listens on port 9 of the loopback: the compile must never need a connection.
    (tmp_path / "profiles.yml").write_text(
        "est_pipeline:\n"
        "  target: trino\n"
        "  outputs:\n"
        "    trino:\n"
        "      type: trino\n"
        "      method: none\n"
        "      user: dbt\n"
        "      host: 127.0.0.1\n"
        "      port: 9\n"
        "      database: est\n"
        "      schema: main\n"
        "      threads: 1\n"
    )
    target_path = tmp_path / "target"
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [
            str(dbt), "compile",
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(tmp_path),
            "--target-path", str(target_path),
            "--log-path", str(tmp_path / "logs"),
            "--no-populate-cache",
            "--no-introspect",
            "--no-partial-parse",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]

    compiled_root = target_path / "compiled" / "est_pipeline"
    compiled = sorted(compiled_root.rglob("*.sql"))
    models = [p for p in compiled if p.parent.suffix != ".yml" and "models" in p.parts]
    assert len(models) >= 50, f"only {len(models)} models compiled: {completed.stdout[-2000:]}"

    offenders = {
        str(path.relative_to(compiled_root)): found
        for path in compiled
        if (found := duckdb_only_constructs(path.read_text()))
    }
    assert not offenders, "DuckDB-only SQL in the Trino compile (put it behind a macro in " \
        "dbt_project/macros/portable.sql):\n" + "\n".join(
            f"  {name}: {', '.join(found)}" for name, found in offenders.items()
        )

    # Every compiled model and test parses as Trino SQL (sqlglot comes with dagster-dbt). The
    # parser is lenient, so this catches syntax, not every unknown function: that is what the
    # deny list is for.
    import sqlglot
    from sqlglot.errors import ParseError

    unparsable = {}
    for path in compiled:
        try:
            sqlglot.parse(path.read_text(), read="trino", error_level=sqlglot.ErrorLevel.RAISE)
        except ParseError as error:
            unparsable[str(path.relative_to(compiled_root))] = str(error).splitlines()[0]
    assert not unparsable, "Not Trino SQL:\n" + "\n".join(f"  {k}: {v}" for k, v in unparsable.items())

    # The point-in-polygon step is the SQL version on Trino (the Python model is DuckDB's).
    located = (compiled_root / "models" / "intermediate" / "spatial_sql" / "int_event_points_located.sql").read_text()
    assert "ST_Intersects" in located
    assert not (compiled_root / "models" / "intermediate" / "int_event_points_located.py").exists()
