"""The yearly estimation asset: which interventions go with fewer incidents (uppföljning).

Reads the two panel marts, estimates with :mod:`est_pipeline.estimation`, and writes
``marts.intervention_effects`` and ``marts.intervention_event_study``. A yearly partition
estimates on all data up to the end of its year (what the yearly follow-up reports); a
backfill over several years does each year that way, in one run, reading the panel once.
Run config ``start_year``/``end_year`` instead estimates once over exactly that range of years.

Each municipality is estimated on its own areas (its rows carry ``municipality_code``), so
that a municipality's estimates hold nothing of another's data and can be published in its
sealed file. The windows and municipalities are estimated side by side, one worker process
per core (``est_pipeline.lib.parallel``), and written one at a time, in order. Rows are
replaced per (municipality, period_start, period_end), in one transaction, so re-running a
year gives the same table and readers never see a half-written period.
"""

# No "from __future__ import annotations": Dagster reads the config annotations at runtime.

from collections.abc import Iterator
from datetime import date

import dagster as dg
import pandas as pd

from est_pipeline.defs.partitions import yearly_partitions
from est_pipeline.estimation.errors import PanelError
from est_pipeline.estimation.per_municipality import EstimationJob, estimate_job, split_by_municipality, window_job
from est_pipeline.estimation.pipeline import EFFECT_COLUMNS, EVENT_COLUMNS
from est_pipeline.lib.parallel import Workers
from est_pipeline.lib.warehouse import connect
from est_pipeline.settings import get_settings

EFFECTS_TABLE = "marts.intervention_effects"
EVENT_TABLE = "marts.intervention_event_study"
NOTES_TABLE = "marts.estimation_notes"

_EFFECTS_DDL = f"""
create table if not exists {EFFECTS_TABLE} (
    intervention_type varchar, outcome_group varchar, estimator varchar, is_headline boolean,
    irr double, ci_low double, ci_high double, p_value double, q_value double,
    n_treated_areas integer, n_treated_area_weeks integer, n_clusters integer,
    n_areas_dropped_all_zero integer, n_obs_dropped_separated integer, pretrend_p_value double,
    inference varchar, period_start date, period_end date, interpretation varchar, note varchar,
    estimate_scale varchar, share_difference double, share_difference_ci_low double,
    share_difference_ci_high double, n_control_areas integer, municipality_code varchar
)"""
_EVENT_DDL = f"""
create table if not exists {EVENT_TABLE} (
    intervention_type varchar, outcome_group varchar, estimator varchar, relative_period varchar,
    rel_week_from integer, rel_week_to integer, irr double, ci_low double, ci_high double,
    n_area_weeks integer, inference varchar, period_start date, period_end date, interpretation varchar,
    municipality_code varchar
)"""
# Columns added after the first release: a warehouse created before them gets them here.
_ADDED_COLUMNS = [
    (EFFECTS_TABLE, "n_control_areas", "integer"),
    (EVENT_TABLE, "inference", "varchar"),
    (EFFECTS_TABLE, "municipality_code", "varchar"),
    (EVENT_TABLE, "municipality_code", "varchar"),
    (NOTES_TABLE, "municipality_code", "varchar"),
]


_NOTES_DDL = f"""
create table if not exists {NOTES_TABLE} (
    period_start date, period_end date, status varchar, note varchar, messages varchar,
    municipality_code varchar
)"""

NO_INTERVENTIONS_SV = (
    "Inga registrerade insatser före {end}: det finns inga samband att skatta. Lägesbilden och "
    "prioriteringen påverkas inte. Registrera beslutade insatser i insatsregistret så skattas "
    "sambanden vid nästa körning."
)
NOTHING_ESTIMABLE_SV = (
    "Inga samband kunde skattas för perioden: ingen insatstyp hade både behandlade och "
    "jämförbara obehandlade områdesveckor med händelser. Fler insatser, fler veckor eller fler "
    "områden behövs. Tekniska detaljer står i kolumnen messages."
)
ESTIMATED_SV = "Samband skattade för {n} kombinationer av insatstyp och utfall. Samband, inte bevisade orsakseffekter."


class EstimationConfig(dg.Config):
    """Optional: estimate once over ``start_year``..``end_year`` (inclusive) instead of
    cumulatively up to each partition's year."""

    start_year: int | None = None
    end_year: int | None = None
    n_draws: int = 999
    method: str = "auto"  # auto (= absorbed) | absorbed | statsmodels | pyfixest
    seed: int = 20240101


def _read_inputs(end: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict[str, str | None]]:
    """The panel marts, the survey, and each area's municipality (from the areas model)."""
    path = get_settings().warehouse_path
    if not path.exists():
        raise PanelError(
            f"marts.area_week_outcomes does not exist: there is no warehouse at {path} yet; "
            "materialise the dbt marts first"
        )
    with connect(read_only=True) as con:
        tables = {
            f"{s}.{t}"
            for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
        for needed in ("marts.area_week_outcomes", "marts.area_week_interventions"):
            if needed not in tables:
                raise PanelError(f"{needed} does not exist in the warehouse: materialise the dbt marts first")
        outcomes = con.execute(
            "select area_id, week_start, outcome_group, events, population from marts.area_week_outcomes "
            "where week_start < ?", [end]
        ).df()
        interventions = con.execute(
            "select area_id, week_start, intervention_id, intervention_type, intensity "
            "from marts.area_week_interventions where week_start < ?", [end]
        ).df()
        survey = None
        if "raw.safety_survey" in tables:
            survey = con.execute(
                "select ar, omrades_id, trygg_kvall from raw.safety_survey where ar < ?", [end.year + (end.month > 1)]
            ).df()
        areas_table = next((t for t in ("intermediate.int_areas", "raw.areas") if t in tables), None)
        municipality_of = dict(con.execute(
            f"select area_id, municipality_code from {areas_table}").fetchall()) if areas_table else {}
    return outcomes, interventions, survey, municipality_of


def _windows(context: dg.AssetExecutionContext, config: EstimationConfig) -> list[tuple[date | None, date]]:
    if config.start_year is not None or config.end_year is not None:
        if config.start_year is None or config.end_year is None or config.end_year < config.start_year:
            raise dg.Failure(f"run config needs start_year <= end_year, got {config.start_year}..{config.end_year}")
        return [(date(config.start_year, 1, 1), date(config.end_year + 1, 1, 1))]
    keys = context.partition_keys
    return [(None, date.fromisoformat(k[:10]).replace(year=date.fromisoformat(k[:10]).year + 1)) for k in keys]


def _write(effects: pd.DataFrame, events: pd.DataFrame, start: date, end: date,
           status: str, note: str, messages: list[str], cumulative: bool, municipality: str | None) -> None:
    """Replace one estimation period: its effect rows, event-study rows and its note.

    A yearly partition estimates on all data before its end, so its rows are replaced by
    period_end whatever start the data gave them last time (a period that once had
    estimates and now has none loses its stale rows); an explicit start..end range
    replaces exactly that range.
    """
    with connect() as con:
        con.execute("begin transaction")
        try:
            con.execute("create schema if not exists marts")
            con.execute(_EFFECTS_DDL)
            con.execute(_EVENT_DDL)
            con.execute(_NOTES_DDL)
            for table, column, kind in _ADDED_COLUMNS:
                con.execute(f"alter table {table} add column if not exists {column} {kind}")
            for table in (EFFECTS_TABLE, EVENT_TABLE, NOTES_TABLE):
                # Rows from before estimates carried a municipality (NULL) are replaced too.
                con.execute(
                    f"delete from {table} where period_end = ? and (? or period_start = ?) "
                    "and (municipality_code is null or municipality_code = ?)",
                    [end, cumulative, start, municipality],
                )
            if len(effects):
                con.register("eff_df", effects[EFFECT_COLUMNS])
                con.execute(f"insert into {EFFECTS_TABLE} by name select *, ?::varchar as municipality_code from eff_df",
                            [municipality])
            if len(events):
                con.register("ev_df", events[EVENT_COLUMNS])
                con.execute(f"insert into {EVENT_TABLE} by name select *, ?::varchar as municipality_code from ev_df",
                            [municipality])
            con.execute(
                f"insert into {NOTES_TABLE} (period_start, period_end, status, note, messages, municipality_code) "
                "values (?, ?, ?, ?, ?, ?)",
                [start, end, status, note, "\n".join(messages) or None, municipality],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


@dg.asset(
    key=["marts", "intervention_effects"],
    deps=[dg.AssetKey(["area_week_outcomes"]), dg.AssetKey(["area_week_interventions"])],
    partitions_def=yearly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="estimation",
    kinds={"python", "duckdb"},
    description=(
        "Samband mellan insatser och händelser: IRR per insatstyp × utfall (Poisson TWFE och robust "
        "imputation), vild kluster-bootstrap, förtrender, BH-q-värden. Även marts.intervention_event_study "
        "och marts.estimation_notes (en rad per period: skattat, inga insatser, eller inget skattbart)."
    ),
)
def intervention_effects(context: dg.AssetExecutionContext, config: EstimationConfig) -> dg.MaterializeResult:
    summary = []
    n_rows = 0
    messages: list[str] = []
    windows = _windows(context, config)
    latest = max(end for _, end in windows)
    try:
        outcomes_all, interventions_all, survey_all, municipality_of = _read_inputs(latest)
    except PanelError as exc:
        raise dg.Failure(description=f"estimation for data before {latest}: {exc}") from exc
    parts = split_by_municipality(outcomes_all, interventions_all, survey_all, municipality_of)
    del outcomes_all, interventions_all, survey_all
    several = len(parts) > 1

    def jobs() -> Iterator[EstimationJob]:
        """One job per window and municipality, made as the workers ask for them (one
        municipality's window in memory at a time beside the panel), written in this order."""
        for start, end in windows:
            for code, outcomes, interventions, survey in parts:
                job = window_job(code, outcomes, interventions, survey, start, end, config.method, config.n_draws,
                                 config.seed)
                if several and job.outcomes.empty:
                    continue  # a municipality with no weeks before this window's end: nothing to say yet
                yield job

    with Workers(most_jobs=len(windows) * len(parts)) as workers:
        for outcome in workers.imap(estimate_job, jobs()):
            code, start, end, period_start = outcome.municipality, outcome.start, outcome.end, outcome.period_start
            label = f"[{period_start}, {end})" + (f" {code}" if several else "")
            where = f"{end.year}{' ' + code if several else ''}"
            if outcome.no_interventions:
                # A municipality that has registered no interventions yet: a note, not a failure.
                note = NO_INTERVENTIONS_SV.format(end=end.isoformat())
                _write(pd.DataFrame(), pd.DataFrame(), period_start, end, "no_interventions", note, [],
                       start is None, code)
                messages.append(f"{where}: no interventions registered before {end}")
                summary.append(f"### {label}\n\n{note}")
                context.log.info(f"{label}: {note}")
                continue
            if outcome.panel_error is not None:
                raise dg.Failure(description=f"estimation for {label}: {outcome.panel_error}")
            if outcome.nothing_estimable is not None:
                _write(pd.DataFrame(), pd.DataFrame(), period_start, end, "nothing_estimable",
                       NOTHING_ESTIMABLE_SV, [outcome.nothing_estimable], start is None, code)
                messages.append(f"{where}: {outcome.nothing_estimable}")
                summary.append(f"### {label}\n\n{NOTHING_ESTIMABLE_SV}")
                context.log.warning(f"{label}: {outcome.nothing_estimable}")
                continue
            result = outcome.result
            assert result is not None
            period_start = result.effects["period_start"].iloc[0]
            _write(result.effects, result.event_study, period_start, end, "estimated",
                   ESTIMATED_SV.format(n=int(result.effects["is_headline"].sum())), result.messages,
                   start is None, code)
            n_rows += len(result.effects)
            messages += [f"{where}: {m}" for m in result.messages]
            head = result.effects[result.effects["is_headline"]]
            summary.append(
                f"### {label} — {outcome.seconds:.1f} s\n\n"
                + head[["intervention_type", "outcome_group", "estimator", "irr", "ci_low", "ci_high", "p_value",
                        "q_value"]]
                .round(3).to_markdown(index=False)
            )
            context.log.info(f"estimated {label}: {len(result.effects)} rows")
    return dg.MaterializeResult(
        metadata={
            "rows_written": n_rows,
            "headline": dg.MetadataValue.md("\n\n".join(summary) + "\n\n*Samband, inte bevisade orsakseffekter.*"),
            "messages": dg.MetadataValue.md("\n".join(f"- {m}" for m in messages) or "none"),
        }
    )
