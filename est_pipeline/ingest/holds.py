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
