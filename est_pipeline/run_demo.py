"""`make demo` and `make run`: every asset over the whole period of the data, through the jobs
the schedules use.

`make demo` first generates the demo data (when the landing folder is empty); `make run` uses
whatever partners have delivered to the landing folder. Either way the period comes from the
data itself: after ingest and harmonisation the warehouse knows the first and last week of
data and the last complete week (``intermediate.int_data_period``), and the weekly, period
and yearly partitions follow it.

Every run is a run of a named job (``ingest_job``, ``harmonise_job``, ``weekly_situation_job``,
``period_prioritisation_job``, ``yearly_followup_job``, ``publish_warehouse_job``) tagged
``est/trigger`` = ``make_demo`` (or ``make_run``) and ``est/phase``, through the Dagster
instance in ``DAGSTER_HOME``, so `make dev` afterwards shows their history under those names.
Partitioned jobs run a range of partitions as ONE run (one dbt invocation for three years of
weeks, not 157); weekly reports are rendered for the last complete weeks only, because one
HTML file per week for three years is not what a newcomer needs to see.

What the terminal shows is one line per phase with its duration, a progress line during long
phases and a closing summary: every report, every warning with what to do about it, and where
to look next. Everything Dagster and dbt print goes to a log file whose path is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import dagster as dg
from dagster._core.definitions.partitions.definition import TimeWindowPartitionsDefinition
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from est_pipeline.settings import export_dbt_environment, get_settings

REPORT_GROUP = "reports"
PUBLISH_GROUP = "publish"
TRIGGER_TAG = "est/trigger"
PHASE_TAG = "est/phase"

INGEST_JOB = "ingest_job"
HARMONISE_JOB = "harmonise_job"
WEEKLY_JOB = "weekly_situation_job"
PERIOD_JOB = "period_prioritisation_job"
YEARLY_JOB = "yearly_followup_job"
PUBLISH_JOB = "publish_warehouse_job"

#: Seconds between progress lines when the output is not a terminal (a terminal gets one
#: line that is rewritten in place every second).
PROGRESS_EVERY_S = 20.0
#: dbt's per-node progress ("212 of 327 OK created sql table model ...").
_DBT_PROGRESS = re.compile(r"^\s*(\d+) of (\d+) (?:START|OK|PASS|WARN|ERROR|FAIL|SKIP)", re.M)


@dataclass(frozen=True)
class DataPeriod:
    """The weeks the data covers, as the warehouse computed it (Mondays)."""

    first_week: date
    last_week: date
    last_complete_week: date


def data_period() -> DataPeriod | None:
    """First, last and last complete week of the data, from ``intermediate.int_data_period``.

    None before anything has been ingested and harmonised.
    """
    from est_pipeline.lib.warehouse import connect

    if not get_settings().warehouse_path.exists():
        return None
    with connect(read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'intermediate' and table_name = 'int_data_period'"
        ).fetchone()[0]
        if not exists:
            return None
        row = con.execute(
            "select first_week_start, last_week_start, last_complete_week_start "
            "from intermediate.int_data_period"
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return DataPeriod(row[0], row[1], row[2] or row[1])


def _partition_keys_in(
    partitions_def: dg.PartitionsDefinition, first: date, last: date
) -> list[str]:
    """Partition keys whose window holds a week of data.

    A week belongs to the period (and ISO year) that holds its Thursday, so 2022-W52
    (Monday 2022-12-26) does not drag a nearly empty 2023 into the demo.
    """
    first_thursday, last_thursday = first + timedelta(days=3), last + timedelta(days=3)
    keys = []
    for key in partitions_def.get_partition_keys():
        if isinstance(partitions_def, TimeWindowPartitionsDefinition):
            window = partitions_def.time_window_for_partition_key(key)
            if window.start.date() <= last_thursday and window.end.date() > first_thursday:
                keys.append(key)
        else:
            keys.append(key)
    return keys


def _label(week: date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def _n(value: float | int) -> str:
    """Thousands separated by a thin space, as the summary's readers write them."""
    return f"{value:,.0f}".replace(",", "\u202f")


# --- what the person at the terminal sees ----------------------------------------------------


class Console:
    """The terminal: one line per phase, a progress line during a phase, the summary.

    Everything else (Dagster's and dbt's own output, warnings) is sent to the log file while a
    phase runs (:meth:`capture`), so this writes to a copy of the terminal taken before.
    """

    def __init__(self, log_path: Path, stream: TextIO | None = None) -> None:
        sys.stdout.flush()
        self.out = stream or os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
        self.is_tty = self.out.isatty()
        self.log_path = log_path
        self._lock = threading.Lock()
        self._live = False

    def line(self, text: str = "") -> None:
        with self._lock:
            if self._live:
                self.out.write("\r\033[K")
                self._live = False
            self.out.write(text + "\n")
            self.out.flush()

    def progress(self, text: str) -> None:
        with self._lock:
            if self.is_tty:
                self.out.write("\r\033[K" + text[:150])
                self._live = True
            else:
                self.out.write(text + "\n")
            self.out.flush()

    @contextmanager
    def capture(self) -> Iterator[None]:
        """Send this process's stdout and stderr (and its children's, e.g. dbt) to the log."""
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        # Both levels: the file descriptors (dbt and other child processes, C libraries) and
        # Python's sys.stdout/sys.stderr, which a host such as pytest or a notebook may have
        # replaced with objects that do not write to the descriptors. Dagster's console
        # logger binds to sys.stderr when a run starts, so its lines follow.
        saved_streams = sys.stdout, sys.stderr
        with open(self.log_path, "a", encoding="utf-8", buffering=1) as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            sys.stdout = sys.stderr = log
            try:
                yield
            finally:
                log.flush()
                sys.stdout, sys.stderr = saved_streams
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])


class _Progress(threading.Thread):
    """Says how far a phase has come: Dagster steps done, and dbt's own node counter."""

    def __init__(self, console: Console, label: str, status: Callable[[], str]) -> None:
        super().__init__(daemon=True)
        self.console, self.label, self.status = console, label, status
        self.started = time.monotonic()
        self.stop = threading.Event()

    def run(self) -> None:
        interval = 1.0 if self.console.is_tty else PROGRESS_EVERY_S
        while not self.stop.wait(interval):
            try:
                detail = self.status()
            except Exception:  # progress is a courtesy; never break the run over it
                detail = ""
            elapsed = _duration(time.monotonic() - self.started)
            self.console.progress(f"  … {self.label}: {elapsed}" + (f", {detail}" if detail else ""))


def _dbt_progress(log_path: Path, since: int = 0) -> str:
    """dbt's latest "N of M" written after byte ``since`` of the log (the phase's start); after
    dbt exits Dagster's events follow it, hence the wide tail."""
    try:
        with open(log_path, "rb") as handle:
            handle.seek(max(since, log_path.stat().st_size - 262144))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    found = _DBT_PROGRESS.findall(tail)
    return f"dbt {found[-1][0]} of {found[-1][1]}" if found else ""


def _step_progress(instance: dg.DagsterInstance, run_id: str, total: int) -> str:
    done = instance.get_records_for_run(
        run_id=run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    ).records
    started = instance.get_records_for_run(run_id=run_id, of_type=dg.DagsterEventType.STEP_START).records
    current = started[-1].event_log_entry.step_key if len(started) > len(done) and started else None
    if not current and not done:
        return "starting"
    text = f"step {min(len(done) + (1 if current else 0), total)} of {total}"
    return text + (f" ({current})" if current else "")


# --- the phases --------------------------------------------------------------------------------


@dataclass
class Phase:
    """One run of a named job, as the summary remembers it."""

    label: str
    job: str
    seconds: float
    run_id: str
    result: dg.ExecuteInProcessResult
    detail: str = ""


@dataclass
class Runner:
    defs: dg.Definitions
    instance: dg.DagsterInstance
    console: Console
    trigger: str
    phases: list[Phase] = field(default_factory=list)

    def job_keys(self, job_name: str) -> list[dg.AssetKey]:
        job = self.defs.resolve_job_def(job_name)
        return sorted(job.asset_layer.selected_asset_keys, key=lambda k: k.to_user_string())

    def group_of(self, key: dg.AssetKey) -> str | None:
        return self.defs.resolve_asset_graph().get(key).group_name

    def run_job(
        self,
        label: str,
        job_name: str,
        keys: Sequence[dg.AssetKey] | None = None,
        partitions: Sequence[str] | None = None,
        detail: Callable[[], str] | None = None,
    ) -> Phase:
        """One run of ``job_name`` (over the partition range ``partitions``), output to the log."""
        job = self.defs.resolve_job_def(job_name)
        selection = list(keys) if keys is not None else self.job_keys(job_name)
        tags = {TRIGGER_TAG: self.trigger, PHASE_TAG: label}
        if partitions:
            tags[ASSET_PARTITION_RANGE_START_TAG] = partitions[0]
            tags[ASSET_PARTITION_RANGE_END_TAG] = partitions[-1]
        run_id = str(uuid.uuid4())
        total = len(list(job.get_subset(asset_selection=set(selection)).nodes_in_topological_order))

        since = self.console.log_path.stat().st_size if self.console.log_path.exists() else 0

        def status() -> str:
            return ", ".join(
                s for s in (_step_progress(self.instance, run_id, total),
                            _dbt_progress(self.console.log_path, since)) if s
            )

        progress = _Progress(self.console, label, status)
        progress.start()
        started = time.perf_counter()
        try:
            with self.console.capture():
                print(f"\n===== {label}: job {job_name}, run {run_id} =====", flush=True)
                result = job.execute_in_process(
                    instance=self.instance,
                    asset_selection=selection,
                    tags=tags,
                    run_id=run_id,
                    raise_on_error=False,
                )
        finally:
            progress.stop.set()
            progress.join()
        seconds = time.perf_counter() - started
        if not result.success:
            self.console.line(f"  ✗ {label} failed after {_duration(seconds)} ({job_name}, run {run_id})")
            for event in result.all_events:
                if event.event_type_value != "STEP_FAILURE":
                    continue
                message = event.event_specific_data.error.message  # type: ignore[union-attr]
                lines = [line.strip() for line in message.splitlines() if line.strip()][:8]
                self.console.line(f"    {event.step_key}:")
                for line in lines:
                    self.console.line(f"      {line[:160]}")
            self.console.line(f"  The whole log: {self.console.log_path}")
            raise SystemExit(1)
        phase = Phase(label, job_name, seconds, run_id, result)
        phase.detail = detail() if detail else ""
        self.phases.append(phase)
        self.console.line(
            f"  ✓ {label:<34} {_duration(seconds):>9}   {phase.detail}".rstrip() + f"   [{job_name}]"
        )
        return phase


def _default_log_path(generate: bool) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return get_settings().data_dir / "logs" / f"{'demo' if generate else 'run'}-{stamp}.log"


def run(
    weekly_reports: int = 8,
    regenerate: bool = False,
    generate: bool = True,
    instance: dg.DagsterInstance | None = None,
    log_path: Path | None = None,
    stream: TextIO | None = None,
) -> None:
    settings = get_settings()
    export_dbt_environment()
    started = time.perf_counter()
    log_path = Path(log_path or _default_log_path(generate))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    console = Console(log_path, stream)
    try:
        _run(console, settings, started, weekly_reports, regenerate, generate, instance)
    finally:
        if stream is None:
            console.out.close()


def _run(console: Console, settings: Any, started: float, weekly_reports: int, regenerate: bool,
         generate: bool, instance: dg.DagsterInstance | None) -> None:
    log_path = console.log_path
    command = "make demo" if generate else "make run"
    console.line(f"{command}: data in {settings.data_dir}")
    console.line(f"  The full Dagster and dbt log: {log_path}")

    landing_has_files = settings.landing_dir.exists() and any(
        p.is_file() for p in settings.landing_dir.rglob("*")
    )
    generated = False
    if generate and (regenerate or not landing_has_files):
        from est_pipeline.demo.cli import main as generate_main

        t0 = time.perf_counter()
        with console.capture():
            generate_main(["--out", str(settings.data_dir)])
        files = sum(1 for p in settings.landing_dir.rglob("*") if p.is_file())
        console.line(
            f"  ✓ {'generate the demo data':<34} {_duration(time.perf_counter() - t0):>9}   "
            f"{files} partner files in {settings.landing_dir}"
        )
        generated = True
    elif not landing_has_files:
        console.line(
            f"Nothing to run on: {settings.landing_dir} has no files. Drop the partners' files "
            "there (docs/onboarding.md), or run `make demo` for the demo data."
        )
        raise SystemExit(1)
    else:
        console.line(f"  Using the files already in {settings.landing_dir}"
                     + (" (--regenerate to generate new demo data)." if generate else "."))

    t0 = time.perf_counter()
    with console.capture():
        from est_pipeline.definitions import defs

        instance = instance or dg.DagsterInstance.get()
    console.line(f"  ✓ {'load the Dagster definitions':<34} {_duration(time.perf_counter() - t0):>9}")
    runner = Runner(defs, instance, console, trigger="make_demo" if generate else "make_run")

    runner.run_job("ingest", INGEST_JOB, detail=_ingest_detail)
    runner.run_job("harmonise", HARMONISE_JOB)
    period = data_period()
    if period is None:
        console.line(
            "The data covers no week: no file in the landing folder gave a row of this "
            "deployment's municipalities. See raw.file_registry and marts.police_records_not_in_areas."
        )
        raise SystemExit(1)
    console.line(f"    data: weeks {_label(period.first_week)} … {_label(period.last_week)}, "
                 f"last complete week {_label(period.last_complete_week)}")
    partition_start = date.fromisoformat(settings.partition_start)
    if period.first_week < partition_start:
        console.line(f"    note: the data starts in {_label(period.first_week)}, before the first weekly "
                     f"partition ({_label(partition_start)}); set partition_start (`make onboard` "
                     "suggests it) so the earlier weeks get marts.")
    first = max(period.first_week, partition_start)

    def keys_of(job_name: str, groups_out: set[str]) -> list[dg.AssetKey]:
        return [k for k in runner.job_keys(job_name) if runner.group_of(k) not in groups_out]

    def partitions_of(job_name: str) -> list[str]:
        pdef = runner.defs.resolve_job_def(job_name).partitions_def
        assert pdef is not None, job_name
        return _partition_keys_in(pdef, first, period.last_week)

    harmonised = set(runner.job_keys(HARMONISE_JOB))
    weeks = partitions_of(WEEKLY_JOB)
    if weeks:
        runner.run_job(
            f"weekly marts, {len(weeks)} weeks", WEEKLY_JOB,
            [k for k in keys_of(WEEKLY_JOB, {REPORT_GROUP, PUBLISH_GROUP}) if k not in harmonised],
            weeks,
        )
        complete = [k for k in weeks if date.fromisoformat(k[:10]) <= period.last_complete_week]
        report_weeks = complete[-weekly_reports:] if weekly_reports > 0 else []
        if report_weeks:
            runner.run_job(
                f"lägesbild, last {len(report_weeks)} weeks", WEEKLY_JOB,
                [k for k in runner.job_keys(WEEKLY_JOB) if runner.group_of(k) == REPORT_GROUP],
                report_weeks,
            )
    periods = partitions_of(PERIOD_JOB)
    if periods:
        runner.run_job(
            f"prioritisation, {len(periods)} {settings.analysis_period}s", PERIOD_JOB,
            keys_of(PERIOD_JOB, {PUBLISH_GROUP}), periods,
        )
    years = partitions_of(YEARLY_JOB)
    if years:
        runner.run_job(
            f"follow-up and estimation, {len(years)} years", YEARLY_JOB,
            keys_of(YEARLY_JOB, {PUBLISH_GROUP}), years,
        )
    runner.run_job("publish for BI tools", PUBLISH_JOB, detail=_publish_detail)
    _print_summary(runner, time.perf_counter() - started, generated or _demo_truth() is not None)


# --- details and the summary -------------------------------------------------------------------


def _ingest_detail() -> str:
    from est_pipeline.lib.warehouse import connect

    with connect(read_only=True) as con:
        files, loaded, quarantined = con.execute(
            "select count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) "
            "from raw.file_registry where status = 'loaded'"
        ).fetchone()
    return f"{files} files, {_n(loaded)} rows loaded, {_n(quarantined)} set aside"


def _publish_detail() -> str:
    from est_pipeline.lib.warehouse import connect

    path = get_settings().published_warehouse_path
    files = [path] if path.exists() else sorted(path.parent.glob("*/warehouse.duckdb"))
    if not files:
        return "nothing published"
    with connect(files[0], read_only=True) as con:
        tables = con.execute("select count(*) from meta.published_tables").fetchone()[0]
    return f"{tables} tables" + (f" in each of {len(files)} municipality files" if files[0] != path else "")


def _demo_truth() -> dict[str, Any] | None:
    path = get_settings().data_dir / "ground_truth" / "truth.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    description: str
    failing: int | None


def _failed_checks(runner: Runner) -> list[FailedCheck]:
    graph = runner.defs.resolve_asset_graph()
    seen: dict[tuple[str, str], FailedCheck] = {}
    for phase in runner.phases:
        for evaluation in phase.result.get_asset_check_evaluations():
            if evaluation.passed:
                continue
            key = evaluation.asset_check_key
            metadata = evaluation.metadata or {}
            failing = next(
                (getattr(v, "value", v) for k, v in metadata.items() if k.endswith("failed_row_count")), None
            )
            description = graph.get_check_spec(key).description if key in graph.asset_check_keys else ""
            seen[(key.asset_key.to_user_string(), key.name)] = FailedCheck(
                key.asset_key.to_user_string(), key.name, description or "", failing
            )
    return sorted(seen.values(), key=lambda w: (w.asset, w.check))


def _report_lines(reports_dir: Path) -> list[str]:
    kinds = [
        ("weekly", "Lägesbild (veckans lägesbild)"),
        ("period", "Prioritering (per analysperiod)"),
        ("yearly", "Uppföljning (årlig uppföljning)"),
    ]
    lines = []
    for folder, title in kinds:
        files = sorted((reports_dir / folder).glob("*.html")) if (reports_dir / folder).exists() else []
        lines.append(f"  {title}: {len(files)} in {reports_dir / folder}")
        names = [p.name for p in files]
        for i in range(0, len(names), 3):
            lines.append("      " + "   ".join(names[i:i + 3]))
    return lines


def _print_summary(runner: Runner, seconds: float, is_demo: bool) -> None:
    from est_pipeline.lib.warehouse import connect

    console = runner.console
    settings = get_settings()
    console.line("")
    console.line(f"Done in {_duration(seconds)}.")
    reports = sorted(settings.reports_dir.rglob("*.html")) if settings.reports_dir.exists() else []
    console.line("")
    console.line(f"Reports ({len(reports)} HTML files, open them in a browser):")
    # Several municipalities: each has its own folder reports/<kommunkod>/.
    folders = sorted(p for p in settings.reports_dir.iterdir() if p.is_dir() and p.name.isdigit()) \
        if settings.reports_dir.exists() else []
    for folder in folders or [settings.reports_dir]:
        if folders:
            console.line(f"  Kommun {folder.name}:")
        for line in _report_lines(folder):
            console.line(line)

    with connect(read_only=True) as con:
        files = con.execute(
            "select count(*), coalesce(sum(rows_loaded), 0) from raw.file_registry where status = 'loaded'"
        ).fetchone()
        set_aside = con.execute(
            "select reason_code, count(distinct (file_name, row_number)) from raw.quarantine "
            "group by reason_code order by 2 desc"
        ).fetchall()
        unmapped = con.execute(
            "select source, source_type, rows_unmapped from marts.unmapped_source_types "
            "order by rows_unmapped desc"
        ).fetchall() if _relation_exists(con, "marts", "unmapped_source_types") else []
        rejected = con.execute(
            "select count(*) from raw.file_registry where status = 'rejected'"
        ).fetchone()[0]
    console.line("")
    console.line(f"Working warehouse: {settings.warehouse_path}")
    console.line(f"  {files[0]} files loaded, {_n(files[1])} rows."
                 + (f" {rejected} files rejected: raw.file_registry says why." if rejected else ""))
    published = settings.published_warehouse_path
    if published.exists():
        console.line(f"BI copy (open read-only): {published}")
    sealed = sorted(published.parent.glob("*/warehouse.duckdb"))
    if sealed:
        console.line(f"One BI file per municipality, holding only its rows: {len(sealed)} under {published.parent}/<kommunkod>/")
    console.line("  Sum totals from totals.area_week and totals.municipality_week_category; the marts "
                 "blank small counts (docs/bi.md).")

    truth = _demo_truth() if is_demo else None
    warnings = _failed_checks(runner)
    unmapped_checks = [w for w in warnings if _is_unmapped_check(w.check)]
    other_checks = [w for w in warnings if not _is_unmapped_check(w.check)]
    console.line("")
    if not warnings and not set_aside:
        console.line("No warnings: every check passed and no row was set aside.")
    if warnings:
        console.line(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} (checks that failed "
                     "with severity warn; the run went on):")
    for w in unmapped_checks:
        found = f"{w.failing} type{'s' if w.failing != 1 else ''} on no list" if w.failing else "types on no list"
        console.line(f"  ! {w.asset}: {found} ({w.check.split('_stg_')[0]})")
    if unmapped:
        planted = _planted_unknown_types(truth)
        types = ", ".join(f"'{t}' ({s}, {n} rows)" for s, t, n in unmapped[:5])
        more = f" and {len(unmapped) - 5} more" if len(unmapped) > 5 else ""
        console.line(_wrap(
            f"What they mean: {len(unmapped)} event types are on no list that decides what they "
            f"count as, so their rows are kept but not counted: {types}{more} "
            "(marts.unmapped_source_types lists them all, with a file each came in).", "    "))
        if planted is not None and {(s, t) for s, t, _ in unmapped} <= planted:
            console.line(_wrap(
                "Why: the demo generator plants these types on purpose, to show how unknown types "
                "are caught (data/ground_truth/truth.json, \"unknown_types\").", "    "))
        console.line(_wrap(
            "What to do with real data: add each type to dbt_project/seeds/category_mapping.csv "
            "(the partners' own types and checklist items) or police_crime_codes.csv / "
            "police_event_types.csv (police codes), then re-run the weekly job (make run) so "
            "they are counted.", "    "))
    for w in other_checks:
        count = f", {w.failing} failing rows" if w.failing else ""
        console.line(f"  ! {w.asset} · {w.check}{count}")
        console.line(_wrap(w.description.split(" Severity ")[0], "    "))
    if set_aside:
        reasons = ", ".join(f"{code} {n}" for code, n in set_aside)
        total = sum(n for _, n in set_aside)
        console.line(f"  {_n(total)} rows set aside at ingest ({reasons}):")
        console.line(_wrap(
            "raw.quarantine names the file, row, column and the reason in Swedish; the rest of "
            "each file loaded." + (
                " In the demo they are planted on purpose (data/ground_truth/truth.json, \"dirt\")."
                if truth is not None else "") +
            " What to do with real data: send the reasons to the partner and ask for a corrected "
            "file; a new version of the file replaces the old one.", "    "))

    console.line("")
    console.line("Where to look next:")
    latest = sorted(settings.reports_dir.glob("weekly/*.html")) or sorted(settings.reports_dir.glob("*/weekly/*.html"))
    if latest:
        console.line(f"  the latest lägesbild:   {latest[-1]}")
    console.line("  the Dagster UI:         make dev   (these runs are under their job names, tagged "
                 f"{TRIGGER_TAG}={runner.trigger}; checks and their descriptions per asset)")
    console.line("  how it fits together:   README.md, docs/reports.md, docs/bi.md")
    console.line(f"  the full log:           {console.log_path}")


def _is_unmapped_check(check: str) -> bool:
    return check.startswith("has_category_mapping") or check == "assert_every_source_type_mapped"


def _planted_unknown_types(truth: dict[str, Any] | None) -> set[tuple[str, str]] | None:
    if not truth or "unknown_types" not in truth:
        return None
    planted: set[tuple[str, str]] = set()
    for source, types in truth["unknown_types"].items():
        for item in types:
            if isinstance(item, dict):
                planted.update({(source, str(item.get("type"))), (source, str(item.get("code")))})
            else:
                planted.add((source, str(item)))
    return planted


def _relation_exists(con: Any, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0])


def _wrap(text: str, indent: str, width: int = 100) -> str:
    words, lines, current = text.split(), [], indent
    for word in words:
        if len(current) + len(word) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += word + " "
    if current.strip():
        lines.append(current.rstrip())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weekly-reports", type=int, default=8, help="render the last N weeks")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the demo data")
    parser.add_argument("--no-generate", action="store_true",
                        help="never generate demo data: run on what partners delivered (make run)")
    parser.add_argument("--log", type=Path, help="where the full Dagster and dbt log goes")
    args = parser.parse_args(argv)
    run(weekly_reports=args.weekly_reports, regenerate=args.regenerate, generate=not args.no_generate,
        log_path=args.log)


if __name__ == "__main__":
    main(sys.argv[1:])
