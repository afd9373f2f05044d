"""Bookkeeping of what was written: files, rows, planted flaws, and the report rows.

Every writer goes through ``Output.record`` so that the ground truth's per-file counts are
the counts of the rows actually written, not of what the model intended.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from est_pipeline.demo.config import FileRecord

REPORT_COLUMNS = ["feed", "file_name", "row_number", "report_id", "event_id", "dirt_kind",
                  "dirt_detail", "pii_kinds", "is_duplicate_report"]


class Output:
    def __init__(self, out_dir: Path, landing: str = "landing") -> None:
        self.out_dir = out_dir
        self.landing = out_dir / landing
        self.files: list[FileRecord] = []
        self.dirt: dict[str, Counter] = {}
        self.quirks: dict[str, Counter] = {}
        self.pii: dict[str, Counter] = {}
        self._reports: list[pd.DataFrame] = []

    def path(self, feed: str, file_name: str) -> Path:
        return self.landing / feed / file_name

    def record(self, feed: str, file_name: str, rows: int, dirt: np.ndarray | None = None,
               pii: np.ndarray | None = None, quirks: dict[str, int] | None = None) -> None:
        """Count what a written file holds. ``dirt``/``pii``: per-row kind ("" or None = none)."""
        d = Counter(k for k in (dirt if dirt is not None else []) if k)
        p = Counter(k for k in (pii if pii is not None else []) if k)
        self.files.append(FileRecord(feed=feed, file_name=file_name, rows=rows,
                                     dirt=dict(sorted(d.items())), pii=dict(sorted(p.items()))))
        self.dirt.setdefault(feed, Counter()).update(d)
        self.pii.setdefault(feed, Counter()).update(p)
        if quirks:
            self.quirks.setdefault(feed, Counter()).update({k: v for k, v in quirks.items() if v})

    def add_reports(self, feed: str, file_name: str, first_row: int, report_id, event_id,
                    dirt_kind, dirt_detail, pii_kinds, is_duplicate_report) -> None:
        n = len(report_id)
        blank = lambda v: None if (v is None or v == "" or (isinstance(v, float) and np.isnan(v))) else v  # noqa: E731
        self._reports.append(pd.DataFrame({
            "feed": np.full(n, feed, dtype=object),
            "file_name": np.full(n, file_name, dtype=object),
            "row_number": np.arange(first_row, first_row + n, dtype=np.int32),
            "report_id": np.asarray(report_id, dtype=object).astype(str),
            "event_id": [blank(v) for v in event_id],
            "dirt_kind": [blank(v) for v in dirt_kind],
            "dirt_detail": [blank(v) for v in dirt_detail],
            "pii_kinds": [blank(v) for v in pii_kinds],
            "is_duplicate_report": np.asarray(is_duplicate_report, dtype=bool),
        }))

    def take_reports(self) -> pd.DataFrame:
        """The report rows collected since the last call (written per municipality)."""
        out = pd.concat(self._reports, ignore_index=True) if self._reports else \
            pd.DataFrame({c: [] for c in REPORT_COLUMNS})
        self._reports = []
        return out
