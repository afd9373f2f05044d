"""Running a feed's suite on the parsed rows of one file.

Building a great-expectations context costs far more than validating a small file, so
one ``SuiteRunner`` (one ephemeral context, suites registered once) serves a whole asset
run and validates each file in turn.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from est_pipeline.ingest.spec import Feed


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    action: str
    reason_code: str
    reason_sv: str
    #: Positions (DataFrame index) of the rows the expectation lists as unexpected.
    unexpected_rows: list[int] = field(default_factory=list)
    observed: Any = None


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    expectations: list[ExpectationOutcome]

    def failed(self, action: str) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and e.action == action]

    def summary(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "success": self.success,
            "evaluated": len(self.expectations),
            "failed": [
                {"expectation": e.expectation, "column": e.column, "action": e.action,
                 "unexpected": len(e.unexpected_rows)}
                for e in self.expectations if not e.success
            ],
        }


class SuiteRunner:
    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self._source = self.context.data_sources.add_pandas("est_ingest")
        self._batches: dict[str, Any] = {}
        self._suites: dict[str, Any] = {}

    def _prepare(self, feed: Feed) -> tuple[Any, Any]:
        if feed.table not in self._suites:
            from data_checks.suites import build_suite

            asset = self._source.add_dataframe_asset(feed.table)
            self._batches[feed.table] = asset.add_batch_definition_whole_dataframe(f"{feed.table}_file")
            self._suites[feed.table] = self.context.suites.add(build_suite(feed))
        return self._batches[feed.table], self._suites[feed.table]

    def validate(self, feed: Feed, frame: pd.DataFrame) -> SuiteOutcome:
        batch_definition, suite = self._prepare(feed)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        outcomes = []
        for r in result.results:
            cfg = r.expectation_config
            meta = cfg.meta or {}
            details = r.result or {}
            raised = bool((r.exception_info or {}).get("raised_exception"))
            outcomes.append(
                ExpectationOutcome(
                    expectation=cfg.type,
                    column=cfg.kwargs.get("column"),
                    success=bool(r.success),
                    # An expectation that could not run says nothing about single rows.
                    action="table" if raised else meta.get("action", "table"),
                    reason_code=meta.get("reason_code", "expectation_failed"),
                    reason_sv=meta.get("reason_sv", cfg.type),
                    unexpected_rows=[int(i) for i in details.get("unexpected_index_list") or []],
                    observed=details.get("observed_value"),
                )
            )
        return SuiteOutcome(suite=feed.table, success=bool(result.success), expectations=outcomes)
