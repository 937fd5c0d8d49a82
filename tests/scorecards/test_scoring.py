"""The pure scorecard score of DESIGN §4 (scorecards/scoring.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.status import ACHIEVEMENT_CAP
from scorecards.scoring import (
    DEFAULT_AMBER_AT,
    DEFAULT_GREEN_AT,
    check_thresholds,
    rag_status,
    score_breakdown,
    scorecard_score,
)

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
weight = st.floats(min_value=1e-6, max_value=1e6)
factor = st.floats(min_value=1e-3, max_value=1e3)
NON_FINITE = [math.nan, math.inf, -math.inf]


# --- scorecard score ---


def test_scorecard_without_items_is_none() -> None:
    assert scorecard_score(items=[], perspective_weights={"financial": 2}) is None


def test_scorecard_with_only_zero_weights_is_none() -> None:
    assert scorecard_score(items=[("financial", 1.0, 0)], perspective_weights={}) is None
    assert scorecard_score(items=[("financial", 1.0, 1)], perspective_weights={"financial": 0}) is None


def test_scorecard_single_item_is_its_achievement() -> None:
    assert scorecard_score(items=[("customer", 0.7, 1)], perspective_weights={}) == pytest.approx(0.7)


def test_scorecard_weights_items_within_a_perspective() -> None:
    items = [("financial", 1.0, 3), ("financial", 0.2, 1)]
    assert scorecard_score(items=items, perspective_weights={}) == pytest.approx(0.8)


def test_scorecard_weights_perspectives_not_items() -> None:
    # Three financial items at 1.0 vs one customer item at 0.0: equal perspective weights → 0.5, not 0.75.
    items = [("financial", 1.0, 1), ("financial", 1.0, 1), ("financial", 1.0, 1), ("customer", 0.0, 1)]
    assert scorecard_score(items=items, perspective_weights={"financial": 1, "customer": 1}) == pytest.approx(0.5)


def test_scorecard_uses_perspective_weights() -> None:
    items = [("financial", 1.0, 1), ("customer", 0.0, 1)]
    assert scorecard_score(items=items, perspective_weights={"financial": 3, "customer": 1}) == pytest.approx(0.75)


def test_scorecard_missing_perspective_weight_counts_as_one() -> None:
    items = [("financial", 1.0, 1), ("learning_growth", 0.0, 1)]
    assert scorecard_score(items=items, perspective_weights={"financial": 1}) == pytest.approx(0.5)


def test_scorecard_perspectives_without_items_are_skipped() -> None:
    weights = {"financial": 1, "customer": 5, "internal_process": 5}
    assert scorecard_score(items=[("financial", 0.6, 1)], perspective_weights=weights) == pytest.approx(0.6)


def test_scorecard_zero_weight_perspective_contributes_nothing() -> None:
    items = [("financial", 1.0, 1), ("customer", 0.0, 1)]
    assert scorecard_score(items=items, perspective_weights={"customer": 0}) == pytest.approx(1.0)


def test_scorecard_zero_weight_item_contributes_nothing() -> None:
    items = [("financial", 1.0, 1), ("financial", 0.0, 0)]
    assert scorecard_score(items=items, perspective_weights={}) == pytest.approx(1.0)


def test_scorecard_accepts_fractional_weights() -> None:
    items = [("financial", 1.0, 0.25), ("financial", 0.0, 0.75), ("customer", 1.0, 0.5)]
    score = scorecard_score(items=items, perspective_weights={"financial": 0.5, "customer": 1.5})
    assert score == pytest.approx((0.25 * 0.5 + 1.0 * 1.5) / 2.0)


def test_scorecard_over_achievement_up_to_cap_counts() -> None:
    assert scorecard_score(items=[("financial", 1.5, 1)], perspective_weights={}) == pytest.approx(1.5)


def test_scorecard_clamps_item_achievements() -> None:
    items = [("financial", 3.0, 1), ("financial", -1.0, 1)]
    assert scorecard_score(items=items, perspective_weights={}) == pytest.approx(0.75)


def test_scorecard_rejects_non_finite_numbers() -> None:
    with pytest.raises(ValueError):
        scorecard_score(items=[("financial", math.nan, 1)], perspective_weights={})
    with pytest.raises(ValueError):
        scorecard_score(items=[("financial", 1.0, math.inf)], perspective_weights={})
    with pytest.raises(ValueError):
        scorecard_score(items=[("financial", 1.0, 1)], perspective_weights={"financial": math.nan})


# --- properties ---


@given(
    items=st.lists(
        st.tuples(st.sampled_from(["financial", "customer", "internal_process"]), st.floats(0, 1.5), weight),
        min_size=1,
        max_size=12,
    ),
    pw=st.dictionaries(st.sampled_from(["financial", "customer", "internal_process"]), weight),
    k=factor,
)
def test_property_scorecard_is_bounded_and_scale_invariant(
    items: list[tuple[str, float, float]], pw: dict[str, float], k: float
) -> None:
    base = scorecard_score(items=items, perspective_weights=pw)
    scaled_items = scorecard_score(items=[(p, a, w * k) for p, a, w in items], perspective_weights=pw)
    scaled_perspectives = scorecard_score(
        items=items, perspective_weights={**{p: 1.0 * k for p, _a, _w in items}, **{p: w * k for p, w in pw.items()}}
    )
    assert base is not None and scaled_items is not None and scaled_perspectives is not None
    assert 0.0 <= base <= ACHIEVEMENT_CAP
    assert math.isclose(base, scaled_items, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(base, scaled_perspectives, rel_tol=1e-9, abs_tol=1e-12)


# --- per perspective, missing measurements, RAG (hand-computed) ---


def test_unmeasured_items_are_left_out_not_counted_as_zero() -> None:
    # Financial: 0.8 (w 2) and an unmeasured item (w 5) → 0.8, not (1.6 + 0) / 7.
    items = [("financial", 0.8, 2), ("financial", None, 5), ("customer", 0.5, 1)]
    result = score_breakdown(items=items, perspective_weights={})
    assert result.perspectives == {"financial": pytest.approx(0.8), "customer": pytest.approx(0.5)}
    assert result.overall == pytest.approx(0.65)


def test_perspective_with_only_unmeasured_items_has_no_score_and_does_not_pull_overall() -> None:
    items = [("financial", 1.2, 1), ("customer", None, 1), ("customer", None, 3)]
    result = score_breakdown(items=items, perspective_weights={"financial": 1, "customer": 9})
    assert result.perspectives == {"financial": pytest.approx(1.2), "customer": None}
    assert result.overall == pytest.approx(1.2)


def test_nothing_measured_is_no_data_not_zero() -> None:
    result = score_breakdown(items=[("financial", None, 1), ("learning_growth", None, 2)], perspective_weights={})
    assert result.perspectives == {"financial": None, "learning_growth": None}
    assert result.overall is None
    assert rag_status(result.overall) is None


def test_hand_computed_four_perspective_scorecard() -> None:
    # financial: (1.0·2 + 0.5·1) / 3 = 0.8333…; customer: 1.5 (capped from 2.0);
    # internal process: (0.6·1 + 0.9·1) / 2 = 0.75; learning & growth: 0.4 (zero-weight item ignored).
    # Perspective weights 3 / 2 / 1 / 0 → (0.8333·3 + 1.5·2 + 0.75·1) / 6 = 1.0416…
    items = [
        ("financial", 1.0, 2),
        ("financial", 0.5, 1),
        ("customer", 2.0, 1),
        ("internal_process", 0.6, 1),
        ("internal_process", 0.9, 1),
        ("learning_growth", 0.4, 1),
        ("learning_growth", 1.5, 0),
    ]
    weights = {"financial": 3, "customer": 2, "internal_process": 1, "learning_growth": 0}
    result = score_breakdown(items=items, perspective_weights=weights)
    assert result.perspectives["financial"] == pytest.approx(2.5 / 3)
    assert result.perspectives["customer"] == pytest.approx(1.5)
    assert result.perspectives["internal_process"] == pytest.approx(0.75)
    assert result.perspectives["learning_growth"] == pytest.approx(0.4)
    assert result.overall == pytest.approx((2.5 + 3.0 + 0.75) / 6)
    statuses = {p: rag_status(s) for p, s in result.perspectives.items()}
    assert statuses == {
        "financial": "amber",
        "customer": "green",
        "internal_process": "amber",
        "learning_growth": "red",
    }


def test_rag_thresholds_are_inclusive_and_configurable() -> None:
    assert rag_status(DEFAULT_GREEN_AT) == "green"
    assert rag_status(DEFAULT_AMBER_AT) == "amber"
    assert rag_status(DEFAULT_AMBER_AT - 1e-9) == "red"
    assert rag_status(0.85, green_at=0.8, amber_at=0.5) == "green"
    assert rag_status(0.45, green_at=0.8, amber_at=0.5) == "red"
    assert rag_status(0.0, green_at=0.0, amber_at=0.0) == "green"


def test_threshold_check_refuses_reversed_or_out_of_range_values() -> None:
    check_thresholds(green_at=1.0, amber_at=0.5)
    check_thresholds(green_at=0.7, amber_at=0.7)
    for green, amber in [(0.5, 0.6), (1.6, 0.5), (0.9, -0.1), (math.nan, 0.5)]:
        with pytest.raises(ValueError):
            check_thresholds(green_at=green, amber_at=amber)
