"""Holding a file back: the blocking rule, and accepting a held file.

A file whose rows are mostly refused is a sign that the export changed shape, not that a
few rows are dirty, so its rows must not reach the marts unseen. Such a file is *held*:
its good rows are kept in the schema ``held`` (same table, same columns) instead of
``raw``, its quarantine rows are written as usual, and its registry row says ``held`` with
the reason. Everything else goes on: other files of the feed, other feeds and every week
build without it, because nothing downstream reads ``held``. A held file stays held on
every later run (the content hash is known, so it is not read again) until

- a corrected file arrives under the same name (it supersedes the held one), or
- someone accepts it: ``python -m est_pipeline.ingest accept <feed> <file> --by NAME
  --note WHY`` (``make accept``) moves its rows into ``raw`` and records who, when and why
  in the registry; the weeks it touches are rebuilt by the late-data sensor.

The rule (``hold_reason``): a file is held when its great-expectations suite fails a
whole-file rule, or when the share of quarantined rows is above ``MAX_QUARANTINE_SHARE``
*and the file is large enough to show it*: a one-sided binomial test must reject "at most
20 % of this export is broken" at ``HOLD_SIGNIFICANCE``. One bad row of four (25 %) is no
evidence; four of four, seven of ten or 35 of 100 are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The tolerated share of quarantined rows in one file.
MAX_QUARANTINE_SHARE = 0.2
#: How sure the rule must be that the file's share is above MAX_QUARANTINE_SHARE.
HOLD_SIGNIFICANCE = 0.01

HOLD_CODES = ("too_many_rows_quarantined", "suite_failed")


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact (log space, no SciPy needed)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
             for i in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def share_is_too_high(rows_quarantined: int, rows_in: int) -> tuple[bool, float]:
    """(held?, p-value) for ``rows_quarantined`` of ``rows_in``."""
    if rows_in == 0 or rows_quarantined / rows_in <= MAX_QUARANTINE_SHARE:
        return False, 1.0
    p_value = binomial_tail(rows_quarantined, rows_in, MAX_QUARANTINE_SHARE)
    return p_value < HOLD_SIGNIFICANCE, p_value


def hold_reason(rows_in: int, rows_quarantined: int, suite: Any) -> tuple[str, str] | None:
    """(hold code, Swedish message) when the file must be held, else None."""
    if suite is not None:
        failed = suite.failed("table")
        if failed:
            rules = ", ".join(f"{e.reason_sv.split('{')[0].strip() or e.expectation}" for e in failed)
            return "suite_failed", (
                f"filen hålls inne: den bryter mot en regel för hela filen ({rules}); raderna räknas "
                f"inte förrän en rättad fil kommer eller filen godkänns")
    held, p_value = share_is_too_high(rows_quarantined, rows_in)
    if held:
        return "too_many_rows_quarantined", (
            f"filen hålls inne: {rows_quarantined} av {rows_in} rader ({rows_quarantined / rows_in:.0%}) "
            f"gick inte att läsa, fler än de {MAX_QUARANTINE_SHARE:.0%} som kan vara enstaka fel "
            f"(p = {p_value:.2g}); troligen har exporten ändrats. De läsbara raderna räknas inte förrän "
            f"en rättad fil med samma namn kommer eller filen godkänns")
    return None


@dataclass
class Accepted:
    feed: str
    file_name: str
    content_hash: str
    table: str
    rows: int
    weeks: list[date]


class NotHeld(Exception):
    """The named file is not held (unknown, loaded, rejected or superseded)."""


def held(folder: str | None = None) -> list[dict[str, Any]]:
    """Every held file (of one landing folder, or all), oldest first."""
    from est_pipeline.ingest.schema import ensure_raw_schema
    from est_pipeline.lib import warehouse

    with warehouse.connect() as con:
        ensure_raw_schema(con)
        rows = con.execute(
            "SELECT feed, file_name, content_hash, loaded_at, rows_in, rows_loaded, rows_quarantined, hold_code, "
            "message FROM raw.file_registry WHERE status = 'held' AND (? IS NULL OR feed = ?) "
            "ORDER BY loaded_at, feed, file_name", [folder, folder]).fetchall()
    names = ("feed", "file_name", "content_hash", "loaded_at", "rows_in", "rows_loaded", "rows_quarantined",
             "hold_code", "message")
    return [dict(zip(names, r)) for r in rows]


def accept(folder: str, file_name: str, by: str, note: str, report: bool = True) -> Accepted:
    """Accept a held file: its rows move from ``held`` to ``raw`` and count from now on.

    Recorded in the registry (``status`` loaded, ``accepted_at``, ``accepted_by``,
    ``accept_note``). When the file corrected a version that is still loaded (a held
    correction leaves the old version in effect), that version is superseded now. With
    ``report``, a materialisation of the raw table with the file's weeks is reported to the
    Dagster instance, so the late-data sensor rebuilds exactly those weeks.
    """
    from est_pipeline.ingest import registry
    from est_pipeline.ingest.cells import weeks_of
    from est_pipeline.ingest.loader import _feed_for
    from est_pipeline.ingest.schema import ensure_raw_schema, table_columns
    from est_pipeline.lib import warehouse

    if not by.strip() or not note.strip():
        raise ValueError("accepting a held file needs who accepts it (--by) and why (--note)")
    feed = _feed_for(folder, file_name)
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        row = con.execute(
            "SELECT content_hash FROM raw.file_registry WHERE feed = ? AND file_name = ? AND status = 'held'",
            [folder, file_name]).fetchall()
        if not row:
            raise NotHeld(f"{folder}/{file_name} is not held (see: python -m est_pipeline.ingest held)")
        content_hash = row[0][0]
        con.begin()
        try:
            names = feed.file_names or (file_name,)
            old = [v for v in registry.current_versions(con, folder, names) if v[1] != content_hash]
            registry.supersede_versions(con, folder, feed.table, old, content_hash)
            cols = ", ".join(f'"{n}"' for n, _ in table_columns(feed))
            moved = con.execute(
                f"INSERT INTO raw.{feed.table} ({cols}) SELECT {cols} FROM held.{feed.table} "
                f"WHERE _content_hash = ? AND _file_name = ?", [content_hash, file_name]).fetchall()[0][0]
            con.execute(f"DELETE FROM held.{feed.table} WHERE _content_hash = ? AND _file_name = ?",
                        [content_hash, file_name])
            stamp = registry.local_now()
            con.execute(
                "UPDATE raw.file_registry SET status = 'loaded', accepted_at = ?, accepted_by = ?, accept_note = ?, "
                "message = concat_ws('; ', message, ?) WHERE feed = ? AND file_name = ? AND content_hash = ?",
                [stamp, by.strip(), note.strip(), f"godkänd {stamp:%Y-%m-%d %H:%M} av {by.strip()}: {note.strip()}",
                 folder, file_name, content_hash])
            columns = [c for c in feed.event_date]
            table = con.sql(
                f"SELECT {', '.join(columns) or '1 AS x'} FROM raw.{feed.table} WHERE _content_hash = ? AND _file_name = ?",
                params=[content_hash, file_name]).to_arrow_table()
            con.commit()
        except Exception:
            con.rollback()
            raise
    weeks = sorted(weeks_of(feed, table)) if feed.event_date else []
    accepted = Accepted(folder, file_name, content_hash, feed.table, int(moved), weeks)
    if report:
        _report(accepted, by, note)
    return accepted


def _report(accepted: Accepted, by: str, note: str) -> None:
    """A runless materialisation of the raw table: the late-data sensor rebuilds its weeks."""
    import os

    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        return
    instance = dg.DagsterInstance.get()
    instance.report_runless_asset_event(dg.AssetMaterialization(
        asset_key=dg.AssetKey(["raw", accepted.table]),
        description=f"Held file {accepted.file_name} accepted by {by}: {note}",
        metadata={
            "accepted_file": accepted.file_name,
            "accepted_by": by,
            "rows_loaded": accepted.rows,
            "weeks_touched": dg.MetadataValue.json([w.isoformat() for w in accepted.weeks]),
            "weeks_touched_count": len(accepted.weeks),
        },
    ))
