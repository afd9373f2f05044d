"""The small-count rule: what is blanked in the published warehouse, and why.

Removing names is not enough under Swedish secrecy law when a figure concerns only a few
people: "2 assaults in Stairwell 4 this week" can point at a family. So what BI tools see
follows a stated rule, applied only to the published copy; the working warehouse keeps the
exact values, because the pipeline (baselines, estimation) needs them.

The rule is defined by column *names and types*, not per mart, so that marts added later
are covered without touching this module:

1. **Counts.** A numeric column whose name says it counts incidents or people (``events``,
   ``incidents``, ``crimes``, ``records``, ``rows`` as a word of the name, or ``n_*``) is
   published as NULL when its value is above 0 and below ``small_count_threshold``
   (default: 1 and 2, and any fraction below 3, since police crimes spread over areas by
   population share are fractional). Zero stays zero (an absence of events identifies
   nobody); values at or above the threshold stay.
2. **Derived figures.** In a row where any count was blanked, the figures computed from it
   are blanked too, or the count could be recovered (rate × population): every numeric
   column whose name marks it as derived (``per_``, ``rate``, ``share``, ``ratio``,
   ``pct``/``percent``, ``change``, ``baseline``, ``expected``, ``excess``, ``diff``,
   ``duplicate``, ``index``, ``probability``, ``p_value``, ``z`` scores, ``need``,
   ``influence``, ``factor``, ``score``).
3. **Survey groups.** Survey results (numeric columns named ``survey_*``) are published
   as NULL when the group's number of responses (the first present of ``survey_n``,
   ``survey_respondents``, ``survey_responses``, ``n_responses``, ``n_respondents``,
   ``respondents``) is below ``survey_min_group_size`` (default 10).
4. **Flag.** Every table where a rule applies gets a BOOLEAN column
   ``small_count_suppressed``: true when anything in that row was blanked, so a blank
   (NULL) can be told apart from missing data.

Every other numeric column must be declared in ``NOT_COUNTS`` with the reason it identifies
nobody (calendar numbers, public population statistics, ratings, ranks, the partners' own
decisions). ``unclassified_columns`` lists numeric columns that are none of these, and a test
fails on any, so a new count column cannot slip past the rule by its name.
``TABLE_OVERRIDES`` lists the tables where the name-based rule would be wrong (model
estimates are not counts of people). Known limitation: there is no secondary suppression. A
blanked count can sometimes be recovered by subtraction from published counts of the same
row or of another mart (partner counts vs. ``events_reported``, one category vs. the
area-week total of ``weekly_area_summary``). docs/bi.md says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The flag column added to every table where a rule applies.
FLAG_COLUMN = "small_count_suppressed"

_COUNT_NOUN = r"(events|incidents|crimes|records|rows)"
_COUNT_NAME = re.compile(rf"^(n|{_COUNT_NOUN})(_|$)|_{_COUNT_NOUN}(_|$)")
_DERIVED_NAME = re.compile(
    r"(rate|per_|share|ratio|pct|percent|change|baseline|expected|excess|zscore|z_score|_z$"
    r"|diff|duplicate|index|probability|p_value|^need$|influence|factor|score)"
)

#: Numeric columns that count nothing about incidents or people, and why. A numeric
#: column of a published table must be a count, derived, a survey figure, or listed here.
NOT_COUNTS: dict[str, str] = {
    **{c: "calendar number" for c in ("iso_year", "iso_week", "year", "rel_week_from", "rel_week_to")},
    "population": "residents of the area (public population statistics)",
    **{c: "a partner's checklist judgement on the 0-3 scale" for c in (
        "rating_max", "rating_max_police", "rating_max_municipality", "rating_max_housing",
        "rating_mean_police", "rating_mean_municipality", "rating_mean_housing",
        "rating_partner_mean")},
    "checklist_ratings": "number of checklist ratings the partners submitted (about places, not people)",
    "intensity": "the partners' planned intensity of an intervention (1-3)",
    "mean_intensity": "the partners' planned intensity of interventions (1-3)",
    **{c: "a number of weeks, periods or categories, or a rank" for c in (
        "categories_flagged", "baseline_weeks", "previous_periods", "periods_in_window",
        "hot_periods", "prior_hot_periods", "quadrant_order", "priority_rank", "driver_rank",
        "mk_s")},
    **{c: "the partners' own decisions about interventions (public)" for c in (
        "active_interventions", "interventions_count", "interventions_started",
        "interventions_ended", "interventions_evaluated", "interventions_responded",
        "interventions_active", "intervention_weeks", "weeks_with_intervention", "areas_count",
        "area_weeks", "mean_weeks_per_intervention", "max_weeks_per_intervention")},
    "intervention_cost_sek": "public spending on interventions",
    "cost_sek": "public spending on interventions",
    "files": "files delivered by a partner",
    **{c: "a model estimate over many areas and weeks" for c in (
        "irr", "ci_low", "ci_high", "q_value")},
}
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
    # The event study's ratios per relative-week bin, and how many area-weeks each rests on.
    "intervention_event_study": TableOverride(exempt=True),
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
                f"Small-count rule: values above 0 and below {threshold} are published as "
                f"NULL (see {FLAG_COLUMN}); 0 stays 0."
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
    survey_size = next((n for n in _SURVEY_SIZE_NAMES if n in names), None)
    survey_results = tuple(
        c.name
        for c in columns
        if c.is_numeric and _SURVEY_RESULT.search(c.name.lower()) and c.name != survey_size
    )
    counts = tuple(
        c.name
        for c in columns
        if c.is_numeric
        and _COUNT_NAME.search(c.name.lower())
        and not _DERIVED_NAME.search(c.name.lower())
        and c.name not in override.not_counts
        and c.name not in survey_results
        and c.name != survey_size
    )
    derived = tuple(
        c.name
        for c in columns
        if c.is_numeric
        and c.name not in counts
        and c.name not in survey_results
        and c.name != survey_size
        and c.name not in NOT_COUNTS
        and (
            _DERIVED_NAME.search(c.name.lower())
            or any(c.name.startswith(f"{k}_") for k in counts)
        )
    )
    return SuppressionPlan(table, tuple(columns), counts, derived, survey_results, survey_size)


def unclassified_columns(table: str, columns: list[Column]) -> list[str]:
    """Numeric columns the rule neither protects nor knows to be harmless (should be none)."""
    if TABLE_OVERRIDES.get(table, TableOverride()).exempt:
        return []
    plan = plan_for(table, columns)
    known = {*plan.counts, *plan.derived, *plan.survey_results, plan.survey_size}
    return [
        c.name for c in columns
        if c.is_numeric and c.name not in known and c.name not in NOT_COUNTS
        and c.name not in TABLE_OVERRIDES.get(table, TableOverride()).not_counts
    ]


def _small(column: str, threshold: int) -> str:
    """Above zero and below the threshold: 1 and 2, and a fractional 0.4 or 2.6 alike."""
    return f"({_q(column)} > 0 AND {_q(column)} < {int(threshold)})"


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
