"""Unit and property tests of the pure progress math (DESIGN §4). No database."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from objectives.progress import (
    Contribution,
    Health,
    HealthThresholds,
    clamp01,
    expected_progress,
    grade,
    health,
    key_result_progress,
    key_result_progress_raw,
    objective_progress,
    progress_from_sums,
    weighted_mean,
)

NUMERIC_KINDS = ["number", "percent", "currency"]
NON_FINITE = [math.nan, math.inf, -math.inf]


def raw(**kw: object) -> float:
    kw.setdefault("kind", "number")
    return key_result_progress_raw(**kw)  # type: ignore[arg-type]


def clamped(**kw: object) -> float:
    kw.setdefault("kind", "number")
    return key_result_progress(**kw)  # type: ignore[arg-type]


# --- clamp01 ---


@pytest.mark.parametrize(
    ("x", "expected"),
    [(-5.0, 0.0), (-0.0001, 0.0), (0.0, 0.0), (0.3, 0.3), (1.0, 1.0), (1.0001, 1.0), (7, 1.0), (math.inf, 1.0)],
)
def test_clamp01_limits_to_unit_interval(x: float, expected: float) -> None:
    assert clamp01(x) == expected


def test_clamp01_of_minus_infinity_is_zero() -> None:
    assert clamp01(-math.inf) == 0.0


def test_clamp01_returns_a_float_for_ints() -> None:
    assert isinstance(clamp01(1), float)
    assert isinstance(clamp01(0), float)


def test_clamp01_refuses_nan() -> None:
    with pytest.raises(ValueError):
        clamp01(math.nan)


# --- key-result progress: increase ---


@pytest.mark.parametrize("kind", NUMERIC_KINDS)
def test_increase_progress_is_fraction_of_the_way_from_start_to_target(kind: str) -> None:
    assert raw(kind=kind, start=10, target=20, current=15) == 0.5


def test_increase_at_start_is_zero_and_at_target_is_one() -> None:
    assert raw(start=10, target=20, current=10) == 0.0
    assert raw(start=10, target=20, current=20) == 1.0


def test_increase_over_achievement_is_kept_unclamped_in_raw() -> None:
    assert raw(start=0, target=100, current=150) == 1.5


def test_increase_over_achievement_clamps_to_one() -> None:
    assert clamped(start=0, target=100, current=150) == 1.0


def test_increase_regression_below_start_is_negative_in_raw() -> None:
    assert raw(start=10, target=20, current=5) == -0.5


def test_increase_regression_below_start_clamps_to_zero() -> None:
    assert clamped(start=10, target=20, current=5) == 0.0


def test_increase_works_with_negative_numbers() -> None:
    assert raw(start=-10, target=10, current=0) == 0.5


def test_huge_finite_numbers_do_not_overflow_into_nan() -> None:
    assert raw(start=-1e308, target=1e308, current=1e308) == 1.0
    assert raw(start=-1e308, target=1e308, current=0) == 0.5
    assert raw(start=1e308, target=-1e308, current=0) == 0.5


# --- key-result progress: decrease ---


@pytest.mark.parametrize("kind", NUMERIC_KINDS)
def test_decrease_progress_is_fraction_of_the_way_down_to_target(kind: str) -> None:
    assert raw(kind=kind, start=100, target=50, current=75) == 0.5


def test_decrease_at_start_is_zero_and_at_target_is_one() -> None:
    assert raw(start=100, target=50, current=100) == 0.0
    assert raw(start=100, target=50, current=50) == 1.0


def test_decrease_over_achievement_is_kept_unclamped_in_raw() -> None:
    assert raw(start=100, target=50, current=25) == 1.5
    assert clamped(start=100, target=50, current=25) == 1.0


def test_decrease_going_up_instead_is_negative_in_raw_and_zero_clamped() -> None:
    assert raw(start=100, target=50, current=125) == -0.5
    assert clamped(start=100, target=50, current=125) == 0.0


def test_decrease_direction_kw_is_ignored_when_start_and_target_differ() -> None:
    assert raw(start=100, target=50, current=75, direction="increase") == 0.5
    assert raw(start=0, target=10, current=5, direction="decrease") == 0.5


# --- key-result progress: milestone ---


def test_milestone_done_is_one() -> None:
    assert raw(kind="milestone", start=0, target=1, current=0, done=True) == 1.0


def test_milestone_not_done_is_zero() -> None:
    assert raw(kind="milestone", start=0, target=1, current=1, done=False) == 0.0


def test_milestone_explicit_done_overrides_current() -> None:
    assert raw(kind="milestone", start=0, target=1, current=0, done=True) == 1.0
    assert raw(kind="milestone", start=0, target=1, current=5, done=False) == 0.0


@pytest.mark.parametrize(("current", "expected"), [(0, 0.0), (0.99, 0.0), (1, 1.0), (2, 1.0)])
def test_milestone_without_done_is_done_when_current_reaches_target(current: float, expected: float) -> None:
    assert raw(kind="milestone", start=0, target=1, current=current) == expected


def test_milestone_without_value_or_done_is_zero() -> None:
    assert raw(kind="milestone", start=0, target=1, current=None) == 0.0


def test_milestone_never_exceeds_one_even_raw() -> None:
    assert raw(kind="milestone", start=0, target=1, current=100) == 1.0


# --- key-result progress: start == target ---


@pytest.mark.parametrize(("current", "expected"), [(4.99, 0.0), (5, 1.0), (5.01, 1.0), (1000, 1.0)])
def test_start_equals_target_default_counts_at_or_above_as_reached(current: float, expected: float) -> None:
    assert raw(start=5, target=5, current=current) == expected


@pytest.mark.parametrize(("current", "expected"), [(4.99, 0.0), (5, 1.0), (5.01, 1.0)])
def test_start_equals_target_explicit_increase_matches_default(current: float, expected: float) -> None:
    assert raw(start=5, target=5, current=current, direction="increase") == expected


@pytest.mark.parametrize(("current", "expected"), [(4.99, 1.0), (5, 1.0), (5.01, 0.0), (-1000, 1.0)])
def test_start_equals_target_decrease_counts_at_or_below_as_reached(current: float, expected: float) -> None:
    assert raw(start=5, target=5, current=current, direction="decrease") == expected


@pytest.mark.parametrize("direction", [None, "increase", "decrease"])
def test_start_equals_target_without_value_is_zero(direction: str | None) -> None:
    assert raw(start=5, target=5, current=None, direction=direction) == 0.0


def test_start_equals_target_never_exceeds_one_even_raw() -> None:
    assert raw(start=0, target=0, current=1e9) == 1.0


# --- key-result progress: no value, bad input ---


@pytest.mark.parametrize(("start", "target"), [(0, 10), (10, 0), (-3, 7)])
def test_no_current_value_counts_as_start(start: float, target: float) -> None:
    assert raw(start=start, target=target, current=None) == 0.0
    assert clamped(start=start, target=target, current=None) == 0.0


@pytest.mark.parametrize("kind", ["", "Number", "boolean", "count"])
def test_unknown_kind_is_rejected(kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        raw(kind=kind, start=0, target=1, current=0)
    with pytest.raises(ValueError):
        clamped(kind=kind, start=0, target=1, current=0)


def test_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="direction"):
        raw(start=5, target=5, current=5, direction="sideways")


@pytest.mark.parametrize("bad", NON_FINITE)
@pytest.mark.parametrize("field", ["start", "target", "current"])
def test_non_finite_numbers_are_rejected(field: str, bad: float) -> None:
    kw: dict[str, object] = {"start": 0.0, "target": 10.0, "current": 5.0, field: bad}
    with pytest.raises(ValueError):
        raw(**kw)
    with pytest.raises(ValueError):
        clamped(**kw)


@pytest.mark.parametrize("bad", NON_FINITE)
def test_non_finite_numbers_are_rejected_for_milestones_too(bad: float) -> None:
    with pytest.raises(ValueError):
        raw(kind="milestone", start=0, target=1, current=bad)


def test_key_result_progress_is_clamped_raw() -> None:
    for current in (-50, 0, 25, 50, 100, 250):
        expected = clamp01(raw(start=0, target=100, current=current))
        assert clamped(start=0, target=100, current=current) == expected


# --- weighted mean ---


def test_weighted_mean_of_nothing_is_zero() -> None:
    assert weighted_mean([]) == 0.0


def test_weighted_mean_with_equal_weights_is_plain_mean() -> None:
    assert weighted_mean([Contribution(0.2, 1), Contribution(0.6, 1)]) == pytest.approx(0.4)


def test_weighted_mean_respects_weights() -> None:
    assert weighted_mean([Contribution(1.0, 3), Contribution(0.0, 1)]) == pytest.approx(0.75)


def test_weighted_mean_accepts_fractional_weights() -> None:
    assert weighted_mean([Contribution(1.0, 0.5), Contribution(0.0, 1.5)]) == pytest.approx(0.25)


def test_weighted_mean_zero_weight_contributes_nothing() -> None:
    assert weighted_mean([Contribution(0.8, 1), Contribution(0.0, 0)]) == pytest.approx(0.8)


def test_weighted_mean_negative_weight_is_ignored() -> None:
    assert weighted_mean([Contribution(0.8, 1), Contribution(0.0, -5)]) == pytest.approx(0.8)


def test_weighted_mean_all_zero_weights_is_zero() -> None:
    assert weighted_mean([Contribution(0.8, 0), Contribution(1.0, 0)]) == 0.0


def test_weighted_mean_clamps_values_before_averaging() -> None:
    assert weighted_mean([Contribution(1.5, 1), Contribution(-0.5, 1)]) == pytest.approx(0.5)


def test_weighted_mean_handles_huge_weights_without_overflow() -> None:
    assert weighted_mean([Contribution(1.0, 1e308), Contribution(0.0, 1e308)]) == pytest.approx(0.5)


def test_weighted_mean_accepts_a_generator() -> None:
    assert weighted_mean(Contribution(v, 1) for v in (0.0, 1.0)) == pytest.approx(0.5)


@pytest.mark.parametrize("bad", NON_FINITE)
def test_weighted_mean_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        weighted_mean([Contribution(bad, 1)])
    with pytest.raises(ValueError):
        weighted_mean([Contribution(0.5, bad)])


def test_contribution_is_immutable() -> None:
    item = Contribution(value=0.5, weight=1)
    with pytest.raises(AttributeError):
        item.value = 0.9  # type: ignore[misc]


# --- objective progress ---


def test_objective_without_key_results_or_children_is_zero() -> None:
    assert objective_progress(key_results=[]) == 0.0
    assert objective_progress(key_results=[], children=[]) == 0.0


def test_objective_progress_is_weighted_mean_of_key_results() -> None:
    assert objective_progress(key_results=[(1.0, 1), (0.5, 2), (0.0, 1)]) == pytest.approx(0.5)


def test_objective_progress_clamps_key_result_values() -> None:
    assert objective_progress(key_results=[(1.4, 1), (0.0, 1)]) == pytest.approx(0.5)


def test_objective_key_result_with_zero_weight_contributes_nothing() -> None:
    assert objective_progress(key_results=[(0.9, 1), (0.1, 0)]) == pytest.approx(0.9)


def test_objective_children_contribute_with_their_weight() -> None:
    p = objective_progress(key_results=[(0.0, 1)], children=[(1.0, 3, False)])
    assert p == pytest.approx(0.75)


def test_objective_cancelled_children_are_excluded() -> None:
    p = objective_progress(key_results=[(0.4, 1)], children=[(1.0, 5, True), (0.0, 1, False)])
    assert p == pytest.approx(0.2)


def test_objective_only_cancelled_children_and_no_key_results_is_zero() -> None:
    assert objective_progress(key_results=[], children=[(1.0, 1, True)]) == 0.0


def test_objective_with_only_children_uses_them() -> None:
    assert objective_progress(key_results=[], children=[(0.6, 1, False), (0.2, 1, False)]) == pytest.approx(0.4)


def test_objective_children_switched_off_counts_key_results_only() -> None:
    p = objective_progress(key_results=[(0.4, 1)], children=[(1.0, 5, False)], children_contribute=False)
    assert p == pytest.approx(0.4)


def test_objective_children_switched_off_and_no_key_results_is_zero() -> None:
    assert objective_progress(key_results=[], children=[(1.0, 1, False)], children_contribute=False) == 0.0


# --- expected progress ---

Q1_START = date(2027, 1, 1)
Q1_END = date(2027, 3, 31)  # 89 days after the start


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 12, 1), 0.0),
        (date(2026, 12, 31), 0.0),
        (Q1_START, 0.0),
        (Q1_START + timedelta(days=1), 1 / 89),
        (date(2027, 2, 15), 45 / 89),
        (Q1_END - timedelta(days=1), 88 / 89),
        (Q1_END, 1.0),
        (Q1_END + timedelta(days=1), 1.0),
        (date(2028, 1, 1), 1.0),
    ],
)
def test_expected_progress_is_elapsed_fraction_clamped(on: date, expected: float) -> None:
    assert expected_progress(start=Q1_START, end=Q1_END, on=on) == pytest.approx(expected)


def test_expected_progress_is_one_on_the_end_day() -> None:
    assert expected_progress(start=Q1_START, end=Q1_END, on=Q1_END) == 1.0


def test_expected_progress_halfway_through_an_even_cycle_is_one_half() -> None:
    assert expected_progress(start=date(2027, 1, 1), end=date(2027, 1, 11), on=date(2027, 1, 6)) == 0.5


@pytest.mark.parametrize(
    ("on", "expected"),
    [(date(2027, 5, 31), 0.0), (date(2027, 6, 1), 1.0), (date(2027, 6, 2), 1.0)],
)
def test_zero_length_cycle_is_done_from_its_day_on(on: date, expected: float) -> None:
    day = date(2027, 6, 1)
    assert expected_progress(start=day, end=day, on=on) == expected


def test_expected_progress_rejects_cycle_ending_before_it_starts() -> None:
    with pytest.raises(ValueError):
        expected_progress(start=date(2027, 2, 1), end=date(2027, 1, 1), on=date(2027, 1, 15))


# --- health ---


def test_health_values_are_strings() -> None:
    assert Health.ON_TRACK == "on_track"
    assert Health.AT_RISK.value == "at_risk"
    assert str(Health.OFF_TRACK) == "off_track"
    assert isinstance(Health.ON_TRACK, str)


def test_default_thresholds_match_design() -> None:
    t = HealthThresholds()
    assert (t.off_track_ratio, t.at_risk_ratio, t.off_track_confidence, t.at_risk_confidence) == (0.5, 0.8, 3, 6)


@pytest.mark.parametrize(
    ("progress", "expected_health"),
    [
        (0.0, Health.OFF_TRACK),
        (0.499, Health.OFF_TRACK),
        (0.5, Health.AT_RISK),  # exactly 0.5 × expected is not below it
        (0.799, Health.AT_RISK),
        (0.8, Health.ON_TRACK),  # exactly 0.8 × expected is not below it
        (1.0, Health.ON_TRACK),
    ],
)
def test_health_progress_boundaries_against_full_expectation(progress: float, expected_health: Health) -> None:
    assert health(progress=progress, expected=1.0, confidence=None) is expected_health


@pytest.mark.parametrize(
    ("progress", "expected_health"),
    [(0.24, Health.OFF_TRACK), (0.25, Health.AT_RISK), (0.39, Health.AT_RISK), (0.4, Health.ON_TRACK)],
)
def test_health_progress_boundaries_scale_with_expected(progress: float, expected_health: Health) -> None:
    assert health(progress=progress, expected=0.5, confidence=None) is expected_health


def test_health_at_cycle_start_is_on_track_with_no_progress() -> None:
    assert health(progress=0.0, expected=0.0, confidence=None) is Health.ON_TRACK


@pytest.mark.parametrize(
    ("confidence", "expected_health"),
    [
        (1, Health.OFF_TRACK),
        (3, Health.OFF_TRACK),
        (4, Health.AT_RISK),
        (6, Health.AT_RISK),
        (7, Health.ON_TRACK),
        (10, Health.ON_TRACK),
        (None, Health.ON_TRACK),
    ],
)
def test_health_confidence_boundaries(confidence: int | None, expected_health: Health) -> None:
    assert health(progress=1.0, expected=0.5, confidence=confidence) is expected_health


def test_health_low_confidence_overrides_good_progress() -> None:
    assert health(progress=1.0, expected=0.0, confidence=2) is Health.OFF_TRACK


def test_health_bad_progress_overrides_high_confidence() -> None:
    assert health(progress=0.1, expected=1.0, confidence=10) is Health.OFF_TRACK
    assert health(progress=0.6, expected=1.0, confidence=10) is Health.AT_RISK


def test_health_takes_the_worse_of_progress_and_confidence() -> None:
    assert health(progress=0.6, expected=1.0, confidence=2) is Health.OFF_TRACK
    assert health(progress=0.1, expected=1.0, confidence=5) is Health.OFF_TRACK


def test_health_uses_custom_thresholds() -> None:
    strict = HealthThresholds(off_track_ratio=0.7, at_risk_ratio=0.95, off_track_confidence=5, at_risk_confidence=8)
    assert health(progress=0.6, expected=1.0, confidence=None, thresholds=strict) is Health.OFF_TRACK
    assert health(progress=0.9, expected=1.0, confidence=None, thresholds=strict) is Health.AT_RISK
    assert health(progress=0.95, expected=1.0, confidence=None, thresholds=strict) is Health.ON_TRACK
    assert health(progress=1.0, expected=1.0, confidence=5, thresholds=strict) is Health.OFF_TRACK
    assert health(progress=1.0, expected=1.0, confidence=8, thresholds=strict) is Health.AT_RISK
    assert health(progress=1.0, expected=1.0, confidence=9, thresholds=strict) is Health.ON_TRACK


@pytest.mark.parametrize("bad", NON_FINITE)
def test_health_rejects_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        health(progress=bad, expected=0.5, confidence=None)
    with pytest.raises(ValueError):
        health(progress=0.5, expected=bad, confidence=None)


def test_health_thresholds_are_immutable() -> None:
    with pytest.raises(AttributeError):
        HealthThresholds().off_track_ratio = 0.1  # type: ignore[misc]


# --- grade ---


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (0.0, 0.0),
        (0.04, 0.0),
        (0.05, 0.1),
        (0.14, 0.1),
        (0.15, 0.2),
        (0.25, 0.3),
        (0.35, 0.4),
        (0.45, 0.5),
        (0.55, 0.6),
        (0.65, 0.7),
        (0.7, 0.7),
        (0.75, 0.8),
        (0.85, 0.9),
        (0.94, 0.9),
        (0.95, 1.0),
        (1.0, 1.0),
    ],
)
def test_grade_rounds_half_up_to_a_tenth(progress: float, expected: float) -> None:
    assert grade(progress) == expected


@pytest.mark.parametrize("progress", [1.0001, 1.5, 42.0, math.inf])
def test_grade_of_over_achievement_is_one(progress: float) -> None:
    assert grade(progress) == 1.0


@pytest.mark.parametrize("progress", [-0.0001, -0.3, -math.inf])
def test_grade_of_negative_progress_is_zero(progress: float) -> None:
    assert grade(progress) == 0.0


def test_grade_ignores_float_division_noise() -> None:
    noisy = 0.44999999999999996  # what 0.45 can come out as after arithmetic
    assert noisy < 0.45
    assert grade(noisy) == 0.5


def test_grade_of_computed_progress_matches_the_decimal_intuition() -> None:
    p = key_result_progress(kind="number", start=1, target=2, current=1.45)  # "45 %"
    assert p < 0.45  # 0.44999999999999996
    assert grade(p) == 0.5


def test_grade_returns_float() -> None:
    assert isinstance(grade(0.33), float)
    assert grade(0.33) == 0.3


def test_grade_refuses_nan() -> None:
    with pytest.raises(ValueError):
        grade(math.nan)


# --- properties ---

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0)
loose_value = st.floats(min_value=-2.0, max_value=3.0)
weight = st.floats(min_value=1e-6, max_value=1e6)
weight_or_zero = st.one_of(st.just(0.0), weight)
factor = st.floats(min_value=1e-3, max_value=1e3)
kinds = st.sampled_from(["number", "percent", "currency", "milestone"])
directions = st.sampled_from([None, "increase", "decrease"])


@given(
    kind=kinds,
    start=any_finite,
    target=any_finite,
    current=st.one_of(st.none(), any_finite),
    done=st.one_of(st.none(), st.booleans()),
    direction=directions,
)
def test_property_clamped_progress_is_in_unit_interval(
    kind: str, start: float, target: float, current: float | None, done: bool | None, direction: str | None
) -> None:
    p = key_result_progress(kind=kind, start=start, target=target, current=current, done=done, direction=direction)
    assert 0.0 <= p <= 1.0


@given(kind=kinds, start=finite, target=finite, current=st.one_of(st.none(), finite), direction=directions)
def test_property_raw_progress_is_finite_for_moderate_inputs(
    kind: str, start: float, target: float, current: float | None, direction: str | None
) -> None:
    p = key_result_progress_raw(kind=kind, start=start, target=target, current=current, direction=direction)
    assert math.isfinite(p) or abs(target - start) < 1e-300


@given(kind=st.sampled_from(NUMERIC_KINDS), start=finite, target=finite)
def test_property_reaching_the_target_is_full_progress(kind: str, start: float, target: float) -> None:
    assert key_result_progress(kind=kind, start=start, target=target, current=target) == 1.0


@given(kind=st.sampled_from(NUMERIC_KINDS), start=finite, target=finite)
def test_property_staying_at_start_is_no_progress_unless_start_is_target(
    kind: str, start: float, target: float
) -> None:
    assume(start != target)
    assert key_result_progress(kind=kind, start=start, target=target, current=start) == 0.0


@given(items=st.lists(st.tuples(loose_value, weight_or_zero), max_size=20), k=factor)
def test_property_scaling_all_weights_changes_nothing(items: list[tuple[float, float]], k: float) -> None:
    base = weighted_mean(Contribution(v, w) for v, w in items)
    scaled = weighted_mean(Contribution(v, w * k) for v, w in items)
    assert math.isclose(base, scaled, rel_tol=1e-9, abs_tol=1e-12)


@given(
    krs=st.lists(st.tuples(unit, weight_or_zero), max_size=8),
    children=st.lists(st.tuples(unit, weight_or_zero, st.booleans()), max_size=8),
    k=factor,
    contribute=st.booleans(),
)
def test_property_objective_progress_is_scale_invariant_in_weights(
    krs: list[tuple[float, float]], children: list[tuple[float, float, bool]], k: float, contribute: bool
) -> None:
    base = objective_progress(key_results=krs, children=children, children_contribute=contribute)
    scaled = objective_progress(
        key_results=[(p, w * k) for p, w in krs],
        children=[(p, w * k, c) for p, w, c in children],
        children_contribute=contribute,
    )
    assert 0.0 <= base <= 1.0
    assert math.isclose(base, scaled, rel_tol=1e-9, abs_tol=1e-12)


@given(items=st.lists(st.tuples(loose_value, weight), min_size=1, max_size=20))
def test_property_weighted_mean_lies_between_min_and_max(items: list[tuple[float, float]]) -> None:
    result = weighted_mean(Contribution(v, w) for v, w in items)
    values = [clamp01(v) for v, _w in items]
    assert min(values) <= result <= max(values)


@given(items=st.lists(st.tuples(any_finite, st.floats(allow_nan=False, allow_infinity=False)), max_size=20))
def test_property_weighted_mean_is_in_unit_interval(items: list[tuple[float, float]]) -> None:
    result = weighted_mean(Contribution(v, w) for v, w in items)
    assert 0.0 <= result <= 1.0


@given(p=st.floats(allow_nan=False))
def test_property_grade_is_a_tenth_in_unit_interval(p: float) -> None:
    g = grade(p)
    assert 0.0 <= g <= 1.0
    assert math.isclose(g * 10, round(g * 10), abs_tol=1e-9)
    assert abs(g - clamp01(p)) <= 0.05 + 1e-9


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    length=st.integers(0, 3660),
    offset=st.integers(-4000, 8000),
)
def test_property_expected_progress_is_in_unit_interval_and_monotonic(start: date, length: int, offset: int) -> None:
    end = start + timedelta(days=length)
    on = start + timedelta(days=offset)
    later = on + timedelta(days=1)
    e1 = expected_progress(start=start, end=end, on=on)
    e2 = expected_progress(start=start, end=end, on=later)
    assert 0.0 <= e1 <= e2 <= 1.0


@given(
    krs=st.lists(st.tuples(unit, weight_or_zero), max_size=6),
    children=st.lists(st.tuples(unit, weight_or_zero, st.booleans()), max_size=6),
    contribute=st.booleans(),
)
def test_property_sums_give_the_same_progress_as_the_weighted_mean(
    krs: list[tuple[float, float]], children: list[tuple[float, float, bool]], contribute: bool
) -> None:
    """The rollup and reconcile add stored values up; the definition averages terms."""
    num = math.fsum(p * w for p, w in krs)
    den = math.fsum(w for _p, w in krs)
    if contribute:
        num += math.fsum(p * w for p, w, cancelled in children if not cancelled)
        den += math.fsum(w for _p, w, cancelled in children if not cancelled)
    expected = objective_progress(key_results=krs, children=children, children_contribute=contribute)
    assert math.isclose(progress_from_sums(num, den), expected, rel_tol=1e-9, abs_tol=1e-9)
