"""Date formats decided per column (lib/dates.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from est_pipeline.lib.dates import DateFormatError, DateValueError, check_plausible, detect_format, parse_value, week_monday


def test_formats_detected() -> None:
    assert detect_format(["2026-03-01", "2026-03-02 14:02"], "Datum") == "iso"
    assert detect_format(["20260301", "20260302"], "Datum") == "compact"
    assert detect_format(["1/3/2026", "13/3/2026"], "Datum") == "dmy"
    assert detect_format(["3/1/2026", "3/13/2026"], "Datum") == "mdy"
    assert detect_format(["1/1/2026", "2/2/2026"], "Datum") == "dmy"  # same either way
    assert detect_format([None, "", datetime(2026, 3, 1)], "Datum") is None


def test_ambiguous_and_mixed_are_file_errors() -> None:
    with pytest.raises(DateFormatError) as exc:
        detect_format(["1/3/2026", "2/3/2026"], "Datum")
    assert exc.value.code == "ambiguous_date_format" and "'Datum'" in str(exc.value)
    with pytest.raises(DateFormatError) as exc:
        detect_format(["2026-03-01", "20260302"], "Datum")
    assert exc.value.code == "mixed_date_formats"
    with pytest.raises(DateFormatError) as exc:
        detect_format(["13/3/2026", "3/13/2026"], "Datum")
    assert exc.value.code == "mixed_date_formats"


def test_parse_values() -> None:
    assert parse_value("1/3/2026", "dmy") == datetime(2026, 3, 1)
    assert parse_value("1/3/2026 7:05", "dmy") == datetime(2026, 3, 1, 7, 5)
    assert parse_value("3/1/2026", "mdy") == datetime(2026, 3, 1)
    assert parse_value("20260301 1402", "compact") == datetime(2026, 3, 1, 14, 2)
    assert parse_value("2026-03-01T14:02:09", "iso") == datetime(2026, 3, 1, 14, 2, 9)
    assert parse_value(20260301, None) == datetime(2026, 3, 1)  # Excel turned it into a number
    assert parse_value(45352, None) == datetime(2024, 3, 1)  # Excel serial day
    assert parse_value(date(2026, 3, 1), None) == datetime(2026, 3, 1)
    assert parse_value("  ", "iso") is None


def test_impossible_and_implausible() -> None:
    with pytest.raises(DateValueError) as exc:
        parse_value("2021-02-30", "iso")
    assert exc.value.code == "invalid_date"
    with pytest.raises(DateValueError) as exc:
        parse_value("igår", "iso")
    assert exc.value.code == "invalid_date"
    arrived = datetime(2026, 3, 10, 12, 0)
    check_plausible(datetime(2026, 3, 11, 8, 0), arrived)  # within a day of arrival
    for bad in (datetime(1999, 12, 31), datetime(2026, 3, 12)):
        with pytest.raises(DateValueError) as exc:
            check_plausible(bad, arrived)
        assert exc.value.code == "implausible_date"
    check_plausible(datetime(2027, 1, 1), arrived, allow_future=True)


def test_week_monday_iso_53() -> None:
    assert week_monday(date(2021, 1, 3)) == date(2020, 12, 28)  # 2020-W53
    assert week_monday(datetime(2026, 3, 1, 23, 0)) == date(2026, 2, 23)
