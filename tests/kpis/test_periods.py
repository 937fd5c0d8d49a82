"""Period normalisation (pure): weeks start on Monday, quarters and years at the
fiscal year's start month."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis import periods


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 23)),  # a Monday is its own week
        (date(2026, 11, 29), date(2026, 11, 23)),  # Sunday belongs to the week that began on Monday
        (date(2026, 1, 1), date(2025, 12, 29)),  # a week crossing the new year starts in the old one
        (date(2024, 3, 1), date(2024, 2, 26)),  # leap year
    ],
)
def test_weekly_periods_start_on_monday(day, expected):
    assert periods.period_start(day, frequency="weekly", fiscal_year_start_month=4) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 27), date(2026, 11, 1)),
        (date(2026, 2, 28), date(2026, 2, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_monthly_periods_start_on_the_first(day, expected):
    assert periods.period_start(day, frequency="monthly", fiscal_year_start_month=4) == expected


@pytest.mark.parametrize(
    ("day", "fsm", "expected"),
    [
        # Calendar quarters.
        (date(2026, 11, 27), 1, date(2026, 10, 1)),
        (date(2026, 3, 31), 1, date(2026, 1, 1)),
        # A fiscal year starting in April: quarters start in April, July, October, January.
        (date(2026, 4, 1), 4, date(2026, 4, 1)),
        (date(2026, 6, 30), 4, date(2026, 4, 1)),
        (date(2026, 7, 1), 4, date(2026, 7, 1)),
        (date(2026, 11, 27), 4, date(2026, 10, 1)),
        (date(2027, 2, 15), 4, date(2027, 1, 1)),
        (date(2026, 3, 31), 4, date(2026, 1, 1)),
        # A fiscal year starting in February: quarters start Feb, May, Aug, Nov.
        (date(2026, 1, 15), 2, date(2025, 11, 1)),
        (date(2026, 12, 31), 2, date(2026, 11, 1)),
    ],
)
def test_quarterly_periods_follow_the_fiscal_year(day, fsm, expected):
    assert periods.period_start(day, frequency="quarterly", fiscal_year_start_month=fsm) == expected


@pytest.mark.parametrize(
    ("day", "fsm", "expected"),
    [
        (date(2026, 11, 27), 1, date(2026, 1, 1)),
        (date(2026, 3, 31), 4, date(2025, 4, 1)),
        (date(2026, 4, 1), 4, date(2026, 4, 1)),
        (date(2026, 12, 31), 4, date(2026, 4, 1)),
    ],
)
def test_yearly_periods_start_at_the_fiscal_year_start(day, fsm, expected):
    assert periods.period_start(day, frequency="yearly", fiscal_year_start_month=fsm) == expected


def test_fiscal_quarter_numbers_and_year_names():
    assert periods.fiscal_quarter(date(2026, 4, 1), fiscal_year_start_month=4) == 1
    assert periods.fiscal_quarter(date(2027, 1, 1), fiscal_year_start_month=4) == 4
    assert periods.fiscal_year_name(date(2027, 1, 1), fiscal_year_start_month=4) == "2026/27"
    assert periods.fiscal_year_name(date(2099, 6, 1), fiscal_year_start_month=4) == "2099/00"
    assert periods.fiscal_year_name(date(2027, 1, 1), fiscal_year_start_month=1) == "2027"


def test_shift_end_and_last_periods():
    assert periods.shift(date(2026, 11, 1), frequency="monthly", periods=2) == date(2027, 1, 1)
    assert periods.shift(date(2026, 10, 1), frequency="quarterly", periods=-1) == date(2026, 7, 1)
    assert periods.shift(date(2026, 11, 23), frequency="weekly", periods=-1) == date(2026, 11, 16)
    assert periods.period_end(date(2026, 2, 1), frequency="monthly") == date(2026, 2, 28)
    assert periods.period_end(date(2026, 4, 1), frequency="yearly") == date(2027, 3, 31)
    last = periods.last_periods(3, until=date(2026, 11, 27), frequency="quarterly", fiscal_year_start_month=4)
    assert last == [date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
    capped = periods.last_periods(12, until=date(2026, 11, 27), frequency="monthly", since=date(2026, 9, 15))
    assert capped == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-17", date(2026, 10, 17)),
        (" 2026-10 ", date(2026, 10, 1)),
        ("2026-W48", date(2026, 11, 23)),
        ("2026w01", date(2025, 12, 29)),
    ],
)
def test_parse_period_accepts_days_months_and_iso_weeks(text, expected):
    assert periods.parse_period(text) == expected


@pytest.mark.parametrize("text", ["", "October", "2026-13", "2026-02-30", "17/10/2026", "2026-W60", "0000-01-01"])
def test_parse_period_refuses_anything_else(text):
    with pytest.raises(ValueError, match="not a date"):
        periods.parse_period(text)


def test_unknown_frequency_or_month_is_refused():
    with pytest.raises(ValueError, match="frequency"):
        periods.period_start(date(2026, 1, 1), frequency="daily")
    with pytest.raises(ValueError, match="fiscal year"):
        periods.period_start(date(2026, 1, 1), frequency="quarterly", fiscal_year_start_month=13)


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)),
    frequency=st.sampled_from(sorted(periods.FREQUENCIES)),
    fsm=st.integers(min_value=1, max_value=12),
)
def test_every_day_falls_in_exactly_one_period(day, frequency, fsm):
    start = periods.period_start(day, frequency=frequency, fiscal_year_start_month=fsm)
    end = periods.period_end(start, frequency=frequency)
    assert start <= day <= end
    assert periods.period_start(start, frequency=frequency, fiscal_year_start_month=fsm) == start  # idempotent
    following = end + timedelta(days=1)
    assert periods.period_start(following, frequency=frequency, fiscal_year_start_month=fsm) == following
    if frequency in ("quarterly", "yearly"):
        assert (start.month - fsm) % (3 if frequency == "quarterly" else 12) == 0
