"""Reporting periods of a KPI, derived from its frequency and the organisation's
fiscal year (pure: no Django, no database).

A period is named by its first day. Weeks start on Monday; months on the 1st;
quarters and years on the 1st of a month counted from the fiscal year's start
month (with a fiscal year starting in April, quarters start in April, July,
October and January, and the year on 1 April).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKLY = "weekly"
MONTHLY = "monthly"
QUARTERLY = "quarterly"
YEARLY = "yearly"
FREQUENCIES: frozenset[str] = frozenset({WEEKLY, MONTHLY, QUARTERLY, YEARLY})

_MONTHS = {MONTHLY: 1, QUARTERLY: 3, YEARLY: 12}


def _check(frequency: str, fiscal_year_start_month: int) -> None:
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal year start month must be 1–12, got {fiscal_year_start_month!r}")


def _add_months(day: date, months: int) -> date:
    """The 1st of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(day: date, *, fiscal_year_start_month: int = 1) -> date:
    """First day of the fiscal year containing ``day``."""
    _check(YEARLY, fiscal_year_start_month)
    year = day.year if day.month >= fiscal_year_start_month else day.year - 1
    return date(year, fiscal_year_start_month, 1)


def period_start(day: date, *, frequency: str, fiscal_year_start_month: int = 1) -> date:
    """Normalise any date to the first day of its period."""
    _check(frequency, fiscal_year_start_month)
    if frequency == WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == MONTHLY:
        return day.replace(day=1)
    year_start = fiscal_year_start(day, fiscal_year_start_month=fiscal_year_start_month)
    if frequency == YEARLY:
        return year_start
    months_in = (day.year - year_start.year) * 12 + day.month - year_start.month
    return _add_months(year_start, months_in - months_in % 3)


def shift(start: date, *, frequency: str, periods: int = 1) -> date:
    """The period ``periods`` after (negative: before) the period starting on ``start``."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    if frequency == WEEKLY:
        return start + timedelta(weeks=periods)
    return _add_months(start, _MONTHS[frequency] * periods)


def period_end(start: date, *, frequency: str) -> date:
    """Last day of the period starting on ``start``."""
    return shift(start, frequency=frequency) - timedelta(days=1)


def last_periods(
    count: int, *, until: date, frequency: str, fiscal_year_start_month: int = 1, since: date | None = None
) -> list[date]:
    """The ``count`` period starts ending with the period containing ``until``, oldest first,
    none before the period containing ``since``."""
    end = period_start(until, frequency=frequency, fiscal_year_start_month=fiscal_year_start_month)
    floor = period_start(since, frequency=frequency, fiscal_year_start_month=fiscal_year_start_month) if since else None
    out: list[date] = []
    current = end
    while len(out) < count and (floor is None or current >= floor):
        out.append(current)
        current = shift(current, frequency=frequency, periods=-1)
    return out[::-1]


def fiscal_quarter(start: date, *, fiscal_year_start_month: int = 1) -> int:
    """1–4: the fiscal quarter containing ``start``."""
    year_start = fiscal_year_start(start, fiscal_year_start_month=fiscal_year_start_month)
    months_in = (start.year - year_start.year) * 12 + start.month - year_start.month
    return months_in // 3 + 1


def fiscal_year_name(day: date, *, fiscal_year_start_month: int = 1) -> str:
    """'2026' for a calendar fiscal year; '2026/27' for one starting in another month."""
    year = fiscal_year_start(day, fiscal_year_start_month=fiscal_year_start_month).year
    if fiscal_year_start_month == 1:
        return str(year)
    return f"{year}/{(year + 1) % 100:02d}"


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_period(text: str) -> date:
    """A day inside the period, from ``2026-10-01`` (any day), ``2026-10`` (a month) or
    ``2026-W40`` (an ISO week, its Monday). ``ValueError`` otherwise."""
    value = (text or "").strip()
    try:
        if m := _ISO_DATE.match(value):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _YEAR_MONTH.match(value):
            return date(int(m[1]), int(m[2]), 1)
        if m := _ISO_WEEK.match(value):
            return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None
    raise ValueError(f"not a date: {value!r}")


# The first day of any period recorded or report asked for: earlier "days" are typos, and period
# arithmetic (a trend window of periods before a day, a week before it) must stay after year 1.
EARLIEST = date(1900, 1, 1)
# The last day a report may be asked for: a period's end after it must stay before year 10000.
LAST_REPORT_DAY = date(9000, 12, 31)


def is_report_day(day: date) -> bool:
    """May a report be asked for as of ``day``?"""
    return EARLIEST <= day <= LAST_REPORT_DAY
