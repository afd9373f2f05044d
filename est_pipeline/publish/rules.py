"""The small-count rule (DESIGN §9): what is blanked in the published warehouse, and why.

Removing names is not enough under Swedish secrecy law when a figure concerns only a few
people: "2 assaults in Stairwell 4 this week" can point at a family. So what BI tools see
follows a stated rule, applied only to the published copy; the working warehouse keeps the
exact values, because the pipeline (baselines, estimation) needs them.

The rule is defined by column *names and types*, not per mart, so that marts added later
are covered without touching this module:

1. **Counts.** An integer column whose name says it counts events (``events``,
   ``events_*``, ``*_events``, ``n_*``) is published as NULL
   when its value is between 1 and ``small_count_threshold - 1`` (default 1..2). Zero stays
   zero (an absence of events identifies nobody); values at or above the threshold stay.
2. **Derived figures.** In a row where any count was blanked, the figures computed from it
   are blanked too, or the count could be recovered (rate × population): every numeric,
   non-count column whose name marks it as derived (``rate``, ``per_``, ``share``,
   ``ratio``, ``pct``/``percent``, ``change``, ``baseline``, ``expected``, ``z``-scores,
   ``diff``, ``duplicate``) or that starts with the name of a count column of the table.
3. **Survey groups.** Survey results (numeric columns named ``survey_*``) are published
   as NULL when the group's number of responses (the first present of ``survey_n``,
   ``survey_respondents``, ``survey_responses``, ``n_responses``, ``n_respondents``,
   ``respondents``) is below
   ``survey_min_group_size`` (default 10).
4. **Flag.** Every table where a rule applies gets a BOOLEAN column
   ``small_count_suppressed``: true when anything in that row was blanked, so a blank
   (NULL) can be told apart from missing data.

``TABLE_OVERRIDES`` below lists the tables where the name-based rule would be wrong
(model estimates are not counts of people). Known limitation: there is no secondary
suppression. A blanked count can sometimes be recovered by subtraction from published
counts of the same row or of another mart (partner counts vs. ``events_reported``, one
category vs. the area-week total of ``weekly_area_summary``). docs/bi.md says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The flag column added to every table where a rule applies.
FLAG_COLUMN = "small_count_suppressed"

_COUNT_NAME = re.compile(r"^(events|n)(_.*)?$|_events$")
_DERIVED_NAME = re.compile(
    r"(rate|per_|share|ratio|pct|percent|change|baseline|expected|zscore|z_score|diff"
    r"|duplicate)"
)
_SURVEY_RESULT = re.compile(r"^survey_")
_SURVEY_SIZE_NAMES = (
    "survey_n",
    "survey_respondents",
    "survey_responses",
    "n_responses",
    "n_respondents",
    "respondents",
)

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}
_NUMERIC_PREFIXES = ("DECIMAL", "DOUBLE", "FLOAT", "REAL")


@dataclass(frozen=True)
class TableOverride:
    """An exception to the name-based rule for one published table."""

    #: The table holds no counts of events or people (model output): publish as is.
    exempt: bool = False
    #: Columns that look like counts but are not (e.g. number of areas in a model).
    not_counts: frozenset[str] = field(default_factory=frozenset)


#: Marts where the name-based rule would blank the wrong things. Keys are table names in
#: schema ``marts``.
TABLE_OVERRIDES: dict[str, TableOverride] = {
    # Incidence-rate ratios, confidence intervals and numbers of treated areas and weeks:
    # model estimates over many areas, not counts of events at one place.
    "intervention_effects": TableOverride(exempt=True),
}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str

    @property
    def is_integer(self) -> bool:
        return self.data_type.upper() in _INTEGER_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self.data_type.upper().startswith(_NUMERIC_PREFIXES)


@dataclass(frozen=True)
class SuppressionPlan:
    """Which columns of one table the rule touches; turns into a SELECT list."""

    table: str
    columns: tuple[Column, ...]
    counts: tuple[str, ...]
    derived: tuple[str, ...]
    survey_results: tuple[str, ...]
    survey_size: str | None

    @property
    def applies(self) -> bool:
        return bool(self.counts or (self.survey_results and self.survey_size))

    def select_list(self, threshold: int, survey_min: int) -> str:
        """SQL expressions that publish the table with the rule applied."""
        small = [_small(c, threshold) for c in self.counts]
        survey_small = (
            f"({_q(self.survey_size)} < {int(survey_min)})"
            if self.survey_results and self.survey_size
            else None
        )
        any_small = " OR ".join(small) if small else None
        exprs = []
        for col in self.columns:
            name = _q(col.name)
            if col.name in self.counts:
                exprs.append(f"CASE WHEN {_small(col.name, threshold)} THEN NULL ELSE {name} END AS {name}")
            elif col.name in self.derived and any_small:
                exprs.append(f"CASE WHEN {any_small} THEN NULL ELSE {name} END AS {name}")
            elif col.name in self.survey_results and survey_small:
                exprs.append(f"CASE WHEN {survey_small} THEN NULL ELSE {name} END AS {name}")
            else:
                exprs.append(name)
        if self.applies:
            conditions = [c for c in (any_small, survey_small) if c]
            exprs.append(f"coalesce({' OR '.join(conditions)}, false) AS {_q(FLAG_COLUMN)}")
        return ",\n  ".join(exprs)

    def describe(self, threshold: int, survey_min: int) -> dict[str, str]:
        """Column -> the sentence appended to its comment, so BI users see the rule."""
        notes: dict[str, str] = {}
        for c in self.counts:
            notes[c] = (
                f"Small-count rule: values 1-{threshold - 1} are published as NULL "
                f"(see {FLAG_COLUMN}); 0 stays 0."
            )
        for c in self.derived:
            if self.counts:
                notes[c] = "Small-count rule: NULL where a count of this row was suppressed."
        if self.survey_size:
            for c in self.survey_results:
                notes[c] = (
                    f"Survey rule: NULL when {self.survey_size} < {survey_min} responses."
                )
        if self.applies:
            notes[FLAG_COLUMN] = (
                "True when a value in this row was blanked by the small-count or survey "
                "rule (docs/bi.md); the working warehouse keeps the exact value."
            )
        return notes


def plan_for(table: str, columns: list[Column]) -> SuppressionPlan:
    """Classify the columns of one mart by the rule above."""
    override = TABLE_OVERRIDES.get(table, TableOverride())
    if override.exempt:
        return SuppressionPlan(table, tuple(columns), (), (), (), None)
    names = {c.name for c in columns}
    if FLAG_COLUMN in names:
        raise ValueError(
            f"marts.{table} already has a column named {FLAG_COLUMN!r}, which the publisher "
            "adds itself; rename it in the mart."
        )
    counts = tuple(
        c.name
        for c in columns
        if c.is_integer
        and _COUNT_NAME.search(c.name.lower())
        and c.name not in override.not_counts
        and not _SURVEY_RESULT.search(c.name.lower())
    )
    survey_size = next((n for n in _SURVEY_SIZE_NAMES if n in names), None)
    survey_results = tuple(
        c.name
        for c in columns
        if c.is_numeric and _SURVEY_RESULT.search(c.name.lower()) and c.name != survey_size
    )
    derived = tuple(
        c.name
        for c in columns
        if c.is_numeric
        and c.name not in counts
        and c.name not in survey_results
        and c.name != survey_size
        and (
            _DERIVED_NAME.search(c.name.lower())
            or any(c.name.startswith(f"{k}_") for k in counts)
        )
    )
    return SuppressionPlan(table, tuple(columns), counts, derived, survey_results, survey_size)


def _small(column: str, threshold: int) -> str:
    return f"({_q(column)} BETWEEN 1 AND {int(threshold) - 1})"


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
