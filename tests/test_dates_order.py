"""A date column's day/month order, read from its unambiguous values."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.normalize import month_first_column, normalize_date

DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))


@settings(max_examples=100, deadline=None)
@given(st.lists(DAYS, min_size=1, max_size=30))
def test_a_us_column_is_found_and_every_date_reads_back(days: list[dt.date]) -> None:
    texts = [day.strftime("%m/%d/%Y") for day in days]
    assert month_first_column(texts) is (True if any(day.day > 12 for day in days) else None)
    for day, text in zip(days, texts, strict=True):
        parsed = normalize_date(text, month_first=True)
        assert parsed is not None and (parsed.year, parsed.month, parsed.day) == (
            day.year,
            day.month,
            day.day,
        )


@settings(max_examples=100, deadline=None)
@given(st.lists(DAYS, min_size=1, max_size=30))
def test_a_european_column_is_never_read_month_first(days: list[dt.date]) -> None:
    texts = [day.strftime("%d.%m.%Y") for day in days] + [None, "", "1985", "12 MAR 1985"]
    assert month_first_column(texts) is not True


def test_a_mixed_column_keeps_reading_each_value_on_its_own() -> None:
    assert month_first_column(["25/03/1985", "03/25/1985", "04/01/1990"]) is None
    assert normalize_date("04/01/1990") == normalize_date("1990-01-04")
    assert normalize_date("03/25/1985") == normalize_date("1985-03-25")
