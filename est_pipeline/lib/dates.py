"""Reading the dates partners write, one format per column per file.

Partners export dates as ISO (``2026-03-01``), Swedish (``1/3/2026``, day first) or
compact (``20260301``), with or without a time. A single value like ``1/3/2026`` cannot
say whether it is day or month first, but a whole column usually can: so the format is
decided once per column from every value in the file, and a file that mixes formats, or
where day-first and month-first both fit, is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable

_TIME = r"(?:[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$")
_SLASH = re.compile(rf"^(\d{{1,2}})[/.](\d{{1,2}})[/.](\d{{4}}){_TIME}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})[:.]?(\d{2})(?:[:.]?(\d{2}))?)?$")

#: Human names of the formats, for messages to partners.
FORMAT_NAMES = {
    "iso": "ÅÅÅÅ-MM-DD (t.ex. 2026-03-01)",
    "dmy": "D/M/ÅÅÅÅ (t.ex. 1/3/2026)",
    "mdy": "M/D/ÅÅÅÅ (amerikanskt, t.ex. 3/1/2026)",
    "compact": "ÅÅÅÅMMDD (t.ex. 20260301)",
}

EARLIEST_PLAUSIBLE = date(2000, 1, 1)


class DateFormatError(ValueError):
    """The column's format cannot be decided: the whole file is refused."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class DateValueError(ValueError):
    """One value is not a usable date: that row is quarantined."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _kind(text: str) -> str | None:
    if _ISO.match(text):
        return "iso"
    if _SLASH.match(text):
        return "slash"
    if _COMPACT.match(text):
        return "compact"
    return None


def detect_format(values: Iterable[Any], column: str) -> str | None:
    """Decide the date format of one column from all its text values.

    Returns ``iso``, ``dmy``, ``mdy``, ``compact`` or None (no text dates, e.g. an XLSX
    column of real date cells). Values matching no format are ignored here: they are
    row-level errors, not evidence about the column.
    """
    kinds: dict[str, str] = {}
    day_first_evidence = month_first_evidence = None
    undecided = None
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip()
        kind = _kind(text)
        if kind is None:
            continue
        kinds.setdefault(kind, text)
        if kind == "slash":
            m = _SLASH.match(text)
            assert m is not None
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 and b <= 12:
                day_first_evidence = day_first_evidence or text
            elif b > 12 and a <= 12:
                month_first_evidence = month_first_evidence or text
            elif a != b and a <= 12 and b <= 12:
                undecided = undecided or text
    if len(kinds) > 1:
        examples = ", ".join(f"'{v}'" for v in kinds.values())
        raise DateFormatError(
            "mixed_date_formats",
            f"kolumnen '{column}' blandar datumformat ({examples}); använd ett format i hela "
            f"kolumnen, helst ÅÅÅÅ-MM-DD",
        )
    if not kinds:
        return None
    kind = next(iter(kinds))
    if kind != "slash":
        return kind
    if day_first_evidence and month_first_evidence:
        raise DateFormatError(
            "mixed_date_formats",
            f"kolumnen '{column}' har både dag-först ('{day_first_evidence}') och "
            f"månad-först ('{month_first_evidence}'); använd ett format, helst ÅÅÅÅ-MM-DD",
        )
    if month_first_evidence:
        return "mdy"
    if day_first_evidence or undecided is None:
        return "dmy"
    raise DateFormatError(
        "ambiguous_date_format",
        f"kolumnen '{column}' går inte att tolka entydigt: '{undecided}' kan vara både dag/månad "
        f"och månad/dag och inget datum i filen avgör saken; skriv datum som ÅÅÅÅ-MM-DD",
    )


def _build(y: int, mo: int, d: int, h: str | None, mi: str | None, s: str | None, text: str) -> datetime:
    try:
        return datetime(y, mo, d, int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        raise DateValueError("invalid_date", f"'{text}' är inget giltigt datum") from None


def parse_value(value: Any, fmt: str | None) -> datetime | None:
    """Parse one cell with the column's format; None for blank.

    Spreadsheet cells may already be dates, or numbers: an Excel serial day count, or a
    compact date that Excel turned into a number.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= value <= 29991231:
            value = str(int(value))
            fmt = "compact"
        elif 1 <= value < 2958466:
            return datetime(1899, 12, 30) + timedelta(days=float(value))
        else:
            raise DateValueError("invalid_date", f"'{value}' är inget datum")
    text = str(value).strip()
    if not text:
        return None
    kind = _kind(text)
    if kind is None:
        raise DateValueError("invalid_date", f"'{text}' är inget datum (förväntat format ÅÅÅÅ-MM-DD)")
    if kind == "iso":
        m = _ISO.match(text)
        assert m
        return _build(int(m[1]), int(m[2]), int(m[3]), m[4], m[5], m[6], text)
    if kind == "compact":
        m = _COMPACT.match(text)
        assert m
        return _build(int(m[1]), int(m[2]), int(m[3]), m[4], m[5], m[6], text)
    m = _SLASH.match(text)
    assert m
    first, second = int(m[1]), int(m[2])
    if fmt == "mdy":
        first, second = second, first
    return _build(int(m[3]), second, first, m[4], m[5], m[6], text)


def check_plausible(value: datetime, arrived: datetime, allow_future: bool = False) -> None:
    """Refuse dates before 2000 or after the file arrived (plus a day for time zones)."""
    if value.date() < EARLIEST_PLAUSIBLE:
        raise DateValueError("implausible_date", f"{value:%Y-%m-%d} är före år 2000")
    if not allow_future and value > arrived + timedelta(days=1):
        raise DateValueError(
            "implausible_date",
            f"{value:%Y-%m-%d} ligger efter att filen kom in ({arrived:%Y-%m-%d})",
        )


def week_monday(value: date | datetime) -> date:
    """The Monday of the ISO week that holds ``value`` (the weekly partition key)."""
    d = value.date() if isinstance(value, datetime) else value
    return d - timedelta(days=d.weekday())
