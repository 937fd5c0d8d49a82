"""KPI status and achievement for the three directions and the edges, as KPIs
and their latest measurements report them (the pure math has its own tests)."""

from __future__ import annotations

from datetime import date

import pytest

from kpis.models import Kpi, period_label
from tests.kpis.kpi_factories import make_kpi, record


@pytest.fixture
def higher(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Leads", target=100, amber=80)


@pytest.fixture
def lower(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Absenteeism", direction="lower_is_better", target=2.5, amber=3.5)


@pytest.fixture
def ranged(world_a) -> Kpi:
    return make_kpi(world_a.org, name="Promotions", direction="within_range", target=None, low=30, high=50, amber=10)


@pytest.mark.parametrize(
    ("value", "status", "achievement"),
    [
        (100, "green", 1.0),  # exactly on target is green
        (250, "green", 1.5),  # over-achievement is capped at 1.5
        (99.99, "amber", 0.9999),
        (80, "amber", 0.8),  # the amber threshold itself is amber
        (79.99, "red", 0.7999),
        (0, "red", 0.0),
        (-5, "red", 0.0),  # negative values never raise
    ],
)
def test_higher_is_better(higher, value, status, achievement):
    assert higher.status_for(value) == status
    assert higher.achievement_for(value) == pytest.approx(achievement)


@pytest.mark.parametrize(
    ("value", "status", "achievement"),
    [
        (2.5, "green", 1.0),
        (1.0, "green", 1.5),  # 2.5 / 1.0 = 2.5, capped
        (0, "green", 1.5),  # no ratio for zero: beaten target
        (3.5, "amber", 2.5 / 3.5),
        (3.51, "red", 2.5 / 3.51),
        (10, "red", 0.25),
    ],
)
def test_lower_is_better(lower, value, status, achievement):
    assert lower.status_for(value) == status
    assert lower.achievement_for(value) == pytest.approx(achievement)


@pytest.mark.parametrize(
    ("value", "status", "achievement"),
    [
        (30, "green", 1.0),  # both bounds are inside the range
        (50, "green", 1.0),
        (40, "green", 1.0),
        (20, "amber", 20 / 30),  # 10 below: still within the tolerance
        (19.9, "red", 19.9 / 30),
        (60, "amber", 50 / 60),
        (60.1, "red", 50 / 60.1),
    ],
)
def test_within_range(ranged, value, status, achievement):
    assert ranged.status_for(value) == status
    assert ranged.achievement_for(value) == pytest.approx(achievement)


def test_without_amber_threshold_below_target_is_red(world_a):
    kpi = make_kpi(world_a.org, target=10, amber=None)
    assert kpi.status_for(9.99) == "red"
    assert kpi.status_for(10) == "green"
    assert kpi.bands() == []


def test_no_measurement_means_no_status(higher):
    assert higher.latest_value is None
    assert higher.status is None
    assert higher.achievement is None
    assert higher.status_for(None) is None


def test_status_follows_the_latest_period_not_the_latest_entry(higher):
    record(higher, date(2026, 10, 1), 120)
    record(higher, date(2026, 9, 1), 50)  # backfilled afterwards: older period
    kpi = Kpi.objects.get(pk=higher.pk)
    assert kpi.latest_value == 120
    assert kpi.status == "green"
    assert [m.period for m in kpi.recent()] == [date(2026, 10, 1), date(2026, 9, 1)]


def test_bands_shade_the_amber_zone_and_the_good_range(higher, lower, ranged):
    assert higher.bands() == [(80, 100, "amber")]
    assert lower.bands() == [(2.5, 3.5, "amber")]
    assert ranged.bands() == [(20, 30, "amber"), (30, 50, "green"), (50, 60, "amber")]


def test_period_labels_follow_the_fiscal_year():
    assert period_label(date(2026, 11, 1), frequency="monthly") == "November 2026"
    assert period_label(date(2026, 11, 23), frequency="weekly") == "Week 48, 2026"
    assert period_label(date(2026, 4, 1), frequency="quarterly", fiscal_year_start_month=4) == "Q1 2026/27"
    assert period_label(date(2027, 1, 1), frequency="quarterly", fiscal_year_start_month=4) == "Q4 2026/27"
    assert period_label(date(2026, 10, 1), frequency="quarterly") == "Q4 2026"
    assert period_label(date(2026, 1, 1), frequency="yearly") == "2026"
    assert period_label(date(2026, 4, 1), frequency="yearly", fiscal_year_start_month=4) == "FY 2026/27"
