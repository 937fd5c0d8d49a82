"""The pure KPI status and achievement math of DESIGN §4 (kpis/status.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.status import ACHIEVEMENT_CAP, KpiStatus, kpi_achievement, kpi_status

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
weight = st.floats(min_value=1e-6, max_value=1e6)
factor = st.floats(min_value=1e-3, max_value=1e3)
NON_FINITE = [math.nan, math.inf, -math.inf]


# --- KPI status ---


def test_kpi_status_values_are_strings() -> None:
    assert [s.value for s in KpiStatus] == ["green", "amber", "red"]
    assert KpiStatus.GREEN == "green"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (120, KpiStatus.GREEN),
        (100.0001, KpiStatus.GREEN),
        (100, KpiStatus.GREEN),
        (99.999, KpiStatus.AMBER),
        (80, KpiStatus.AMBER),
        (79.999, KpiStatus.RED),
        (0, KpiStatus.RED),
        (-10, KpiStatus.RED),
    ],
)
def test_kpi_status_higher_is_better_boundaries(value: float, expected: KpiStatus) -> None:
    assert kpi_status(direction="higher_is_better", value=value, target=100, amber_threshold=80) is expected


@pytest.mark.parametrize(("value", "expected"), [(100, KpiStatus.GREEN), (99.999, KpiStatus.RED), (0, KpiStatus.RED)])
def test_kpi_status_higher_is_better_without_amber_band(value: float, expected: KpiStatus) -> None:
    assert kpi_status(direction="higher_is_better", value=value, target=100) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-5, KpiStatus.GREEN),
        (49.999, KpiStatus.GREEN),
        (50, KpiStatus.GREEN),
        (50.001, KpiStatus.AMBER),
        (60, KpiStatus.AMBER),
        (60.001, KpiStatus.RED),
        (500, KpiStatus.RED),
    ],
)
def test_kpi_status_lower_is_better_boundaries(value: float, expected: KpiStatus) -> None:
    assert kpi_status(direction="lower_is_better", value=value, target=50, amber_threshold=60) is expected


@pytest.mark.parametrize(("value", "expected"), [(50, KpiStatus.GREEN), (50.001, KpiStatus.RED)])
def test_kpi_status_lower_is_better_without_amber_band(value: float, expected: KpiStatus) -> None:
    assert kpi_status(direction="lower_is_better", value=value, target=50) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7.999, KpiStatus.RED),
        (8, KpiStatus.AMBER),
        (9.5, KpiStatus.AMBER),
        (9.999, KpiStatus.AMBER),
        (10, KpiStatus.GREEN),
        (15, KpiStatus.GREEN),
        (20, KpiStatus.GREEN),
        (20.001, KpiStatus.AMBER),
        (22, KpiStatus.AMBER),
        (22.001, KpiStatus.RED),
        (-100, KpiStatus.RED),
    ],
)
def test_kpi_status_within_range_boundaries(value: float, expected: KpiStatus) -> None:
    kw = {"target_low": 10, "target_high": 20, "amber_threshold": 2}
    assert kpi_status(direction="within_range", value=value, **kw) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(9.999, KpiStatus.RED), (10, KpiStatus.GREEN), (20, KpiStatus.GREEN), (20.001, KpiStatus.RED)],
)
def test_kpi_status_within_range_without_amber_band(value: float, expected: KpiStatus) -> None:
    assert kpi_status(direction="within_range", value=value, target_low=10, target_high=20) is expected


def test_kpi_status_within_single_point_range() -> None:
    assert kpi_status(direction="within_range", value=5, target_low=5, target_high=5) is KpiStatus.GREEN
    assert kpi_status(direction="within_range", value=6, target_low=5, target_high=5, amber_threshold=1) is (
        KpiStatus.AMBER
    )


@pytest.mark.parametrize("direction", ["higher_is_better", "lower_is_better"])
def test_kpi_status_one_sided_needs_a_target(direction: str) -> None:
    with pytest.raises(ValueError, match="target"):
        kpi_status(direction=direction, value=1, amber_threshold=1)


@pytest.mark.parametrize(("low", "high"), [(None, 10), (0, None), (None, None)])
def test_kpi_status_within_range_needs_both_bounds(low: float | None, high: float | None) -> None:
    with pytest.raises(ValueError, match="within_range"):
        kpi_status(direction="within_range", value=1, target=5, target_low=low, target_high=high)


def test_kpi_status_within_range_rejects_reversed_bounds() -> None:
    with pytest.raises(ValueError):
        kpi_status(direction="within_range", value=1, target_low=10, target_high=0)


def test_kpi_status_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        kpi_status(direction="sideways", value=1, target=1)


@pytest.mark.parametrize("bad", NON_FINITE)
def test_kpi_status_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        kpi_status(direction="higher_is_better", value=bad, target=1)
    with pytest.raises(ValueError):
        kpi_status(direction="higher_is_better", value=1, target=bad)
    with pytest.raises(ValueError):
        kpi_status(direction="within_range", value=1, target_low=bad, target_high=2)


# --- KPI achievement ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0.0), (50, 0.5), (100, 1.0), (120, 1.2), (150, 1.5), (151, 1.5), (1e9, 1.5), (-20, 0.0)],
)
def test_kpi_achievement_higher_is_value_over_target_clamped(value: float, expected: float) -> None:
    assert kpi_achievement(direction="higher_is_better", value=value, target=100) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [(1, 1.5), (0, 1.0), (-1, 0.0)])
def test_kpi_achievement_higher_with_zero_target_is_beaten_met_or_missed(value: float, expected: float) -> None:
    assert kpi_achievement(direction="higher_is_better", value=value, target=0) == expected


@pytest.mark.parametrize(("value", "expected"), [(-5, 1.5), (-10, 1.0), (-20, 0.0)])
def test_kpi_achievement_higher_with_negative_target_is_beaten_met_or_missed(value: float, expected: float) -> None:
    assert kpi_achievement(direction="higher_is_better", value=value, target=-10) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, 1.0), (100, 0.5), (200, 0.25), (40, 1.25), (25, 1.5), (10, 1.5), (1e9, 50 / 1e9)],
)
def test_kpi_achievement_lower_is_target_over_value_clamped(value: float, expected: float) -> None:
    assert kpi_achievement(direction="lower_is_better", value=value, target=50) == pytest.approx(expected)


@pytest.mark.parametrize("value", [0, -0.0, -3])
def test_kpi_achievement_lower_with_zero_or_negative_value_is_capped(value: float) -> None:
    assert kpi_achievement(direction="lower_is_better", value=value, target=50) == ACHIEVEMENT_CAP


@pytest.mark.parametrize(("value", "expected"), [(-1, 1.5), (0, 1.0), (3, 0.0)])
def test_kpi_achievement_lower_with_zero_target_is_beaten_met_or_missed(value: float, expected: float) -> None:
    assert kpi_achievement(direction="lower_is_better", value=value, target=0) == expected


@pytest.mark.parametrize(("value", "expected"), [(-10, 1.5), (-5, 1.0), (0, 0.0), (4, 0.0)])
def test_kpi_achievement_lower_with_negative_target_is_beaten_met_or_missed(value: float, expected: float) -> None:
    assert kpi_achievement(direction="lower_is_better", value=value, target=-5) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, 1.0),
        (15, 1.0),
        (20, 1.0),
        (5, 0.5),
        (9, 0.9),
        (0, 0.0),
        (-4, 0.0),
        (25, 0.8),
        (40, 0.5),
    ],
)
def test_kpi_achievement_within_range_uses_nearer_bound(value: float, expected: float) -> None:
    assert kpi_achievement(direction="within_range", value=value, target_low=10, target_high=20) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(("value", "expected"), [(-1, 0.0), (0, 1.0), (5, 1.0), (6, 5 / 6)])
def test_kpi_achievement_within_range_starting_at_zero(value: float, expected: float) -> None:
    assert kpi_achievement(direction="within_range", value=value, target_low=0, target_high=5) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(("value", "expected"), [(-12, 0.0), (-8, 1.0), (-1, 0.0), (3, 0.0)])
def test_kpi_achievement_within_negative_range_outside_is_zero(value: float, expected: float) -> None:
    assert kpi_achievement(direction="within_range", value=value, target_low=-10, target_high=-5) == expected


@pytest.mark.parametrize("direction", ["higher_is_better", "lower_is_better"])
def test_kpi_achievement_one_sided_needs_a_target(direction: str) -> None:
    with pytest.raises(ValueError, match="target"):
        kpi_achievement(direction=direction, value=1)


def test_kpi_achievement_within_range_needs_both_bounds() -> None:
    with pytest.raises(ValueError):
        kpi_achievement(direction="within_range", value=1, target_low=0)
    with pytest.raises(ValueError):
        kpi_achievement(direction="within_range", value=1, target_high=0)


def test_kpi_achievement_within_range_rejects_reversed_bounds() -> None:
    with pytest.raises(ValueError):
        kpi_achievement(direction="within_range", value=1, target_low=10, target_high=0)


def test_kpi_achievement_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        kpi_achievement(direction="up", value=1, target=1)


@pytest.mark.parametrize("bad", NON_FINITE)
def test_kpi_achievement_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        kpi_achievement(direction="higher_is_better", value=bad, target=1)
    with pytest.raises(ValueError):
        kpi_achievement(direction="lower_is_better", value=1, target=bad)


# --- properties ---


@given(
    direction=st.sampled_from(["higher_is_better", "lower_is_better", "within_range"]),
    value=any_finite,
    target=any_finite,
    bounds=st.tuples(any_finite, any_finite).map(sorted),
)
def test_property_kpi_achievement_is_within_zero_and_cap(
    direction: str, value: float, target: float, bounds: list[float]
) -> None:
    a = kpi_achievement(direction=direction, value=value, target=target, target_low=bounds[0], target_high=bounds[1])
    assert 0.0 <= a <= ACHIEVEMENT_CAP


@given(
    direction=st.sampled_from(["higher_is_better", "lower_is_better"]),
    value=finite,
    target=finite,
    amber=st.one_of(st.none(), finite),
)
def test_property_green_status_means_at_least_full_achievement(
    direction: str, value: float, target: float, amber: float | None
) -> None:
    status = kpi_status(direction=direction, value=value, target=target, amber_threshold=amber)
    achievement = kpi_achievement(direction=direction, value=value, target=target)
    if status is KpiStatus.GREEN:
        assert achievement >= 1.0
    else:  # a miss by one ulp may round to a ratio of exactly 1.0, never above
        assert achievement <= 1.0
