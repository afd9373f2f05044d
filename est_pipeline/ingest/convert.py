"""Typing the cells of one row against the feed's columns.

Everything that can be wrong with a single value (a number that is not a number, an
impossible or implausible date, a blank required value) becomes a ``RowProblem`` for that
row; the rest of the file is unaffected. Date formats are decided per column for the
whole file first (``lib.dates``), because a single value cannot tell day from month.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from est_pipeline.lib import dates
from est_pipeline.ingest.spec import Column, Feed, FileRejected, RowProblem

DATE_TYPES = ("date", "timestamp")


def cell_text(value: Any) -> str | None:
    """A cell as the partner would read it: Excel numbers without a spurious '.0'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    text = str(value).strip()
    return text or None


def detect_date_formats(feed: Feed, header_positions: dict[str, int], rows: list[tuple[int, list[Any]]]) -> dict[str, str | None]:
    formats: dict[str, str | None] = {}
    for col in feed.file_columns:
        if col.type not in DATE_TYPES or col.name not in header_positions:
            continue
        pos = header_positions[col.name]
        values = (cells[pos] if pos < len(cells) else None for _, cells in rows)
        try:
            formats[col.name] = dates.detect_format(values, col.header)
        except dates.DateFormatError as exc:
            raise FileRejected(exc.code, str(exc)) from None
    return formats


_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_number(text: str) -> float:
    """Swedish and international number forms: ``6 543 210,5``, ``1.234,5``, ``12.5``."""
    t = _NUMBER_SPACES.sub("", text).replace("\u2212", "-")
    if "," in t and "." in t:
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif "," in t:
        if t.count(",") > 1:
            raise ValueError(text)
        t = t.replace(",", ".")
    return float(t)


def convert_value(col: Column, value: Any, fmt: str | None, arrived: datetime) -> Any:
    """One cell to its raw type; None for blank. Raises RowProblem."""
    if col.parse is not None:
        if isinstance(value, (dict, list)):
            return col.parse(value)  # structured JSON (a GeoJSON geometry)
        text = cell_text(value)
        return None if text is None else col.parse(text)
    if col.type in DATE_TYPES:
        try:
            dt = dates.parse_value(value, fmt)
            if dt is not None:
                dates.check_plausible(dt, arrived, allow_future=col.future_ok)
        except dates.DateValueError as exc:
            raise RowProblem(exc.code, str(exc)) from None
        if dt is None:
            return None
        return dt.date() if col.type == "date" else dt
    text = cell_text(value)
    if text is None:
        return None
    if col.type == "text":
        return text
    if col.type in ("integer", "bigint", "double"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = parse_number(text)
            except ValueError:
                raise RowProblem("invalid_number", f"'{text}' är inget tal") from None
        if col.type == "double":
            return number
        if not number.is_integer():
            raise RowProblem("invalid_number", f"'{text}' är inget heltal")
        return int(number)
    if col.type == "boolean":
        folded = text.casefold()
        if folded in ("1", "true", "ja", "sant"):
            return True
        if folded in ("0", "false", "nej", "falskt"):
            return False
        raise RowProblem("invalid_value", f"'{text}' är varken ja eller nej")
    raise AssertionError(f"column type {col.type} is typed by the feed's row hook")
