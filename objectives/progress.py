"""The progress math of DESIGN §4, in one pure module (no Django, no database).

The same numbers everywhere: pages, API, exports, rollup and tests. Every
function is deterministic and side-effect free; NaN and ±infinity are refused
with ``ValueError`` rather than silently propagated into stored progress.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

KINDS: frozenset[str] = frozenset({"number", "percent", "currency", "milestone"})
DIRECTIONS: frozenset[str] = frozenset({"increase", "decrease"})
KPI_DIRECTIONS: frozenset[str] = frozenset({"higher_is_better", "lower_is_better", "within_range"})
ACHIEVEMENT_CAP: float = 1.5


def _finite(*values: float | None) -> None:
    """Raise ``ValueError`` if any given number (``None`` skipped) is NaN or infinite."""
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"progress math needs finite numbers, got {v!r}")


def clamp01(x: float) -> float:
    """Clamp ``x`` to [0, 1] (±infinity clamps; NaN is refused)."""
    if math.isnan(x):
        raise ValueError("cannot clamp NaN")
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)


def _clamp_achievement(x: float) -> float:
    """Clamp a KPI achievement to [0, ACHIEVEMENT_CAP]."""
    return max(0.0, min(ACHIEVEMENT_CAP, float(x)))


def _ratio(num: float, den: float, half_num: float, half_den: float) -> float:
    """``num / den``; if a difference overflowed (huge finite inputs), the same ratio from halves."""
    if not (math.isfinite(num) and math.isfinite(den)):
        num, den = half_num, half_den
    return num / den


def _weighted_average(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Weighted average of ``(value, weight)`` pairs with weight > 0; None if there are none.

    Weights are divided by the largest one first (no overflow, exact scale invariance up to
    rounding), sums use ``math.fsum``, and the result is kept within [min, max] of the values.
    """
    kept = [(v, w) for v, w in pairs if w > 0]
    if not kept:
        return None
    top = max(w for _v, w in kept)
    den = math.fsum(w / top for _v, w in kept)
    num = math.fsum(v * (w / top) for v, w in kept)
    low = min(v for v, _w in kept)
    high = max(v for v, _w in kept)
    return min(high, max(low, num / den))


# --- key results and objectives ---


def key_result_progress_raw(
    *,
    kind: str,
    start: float,
    target: float,
    current: float | None,
    done: bool | None = None,
    direction: str | None = None,
) -> float:
    """Unclamped progress of a key result (over-achievement shows above 1, regression below 0).

    - ``number``/``percent``/``currency``, target > start: (current − start) / (target − start);
      target < start (a decrease): (start − current) / (start − target).
    - ``milestone``: 1.0 if done else 0.0; when ``done`` is None, done means ``current >= target``
      (a milestone conventionally has start 0 and target 1).
    - target == start: 1.0 if current has reached the target, else 0.0. The intended direction is
      ambiguous here, so by default "reached" means ``current >= target``; ``direction="decrease"``
      makes it ``current <= target`` (``"increase"`` is the default made explicit). ``direction``
      only matters when target == start: otherwise the sign of target − start decides.
    - ``current`` None (no value yet) counts as the start, so progress 0 — including when
      target == start (nothing has been reported, so nothing is reached).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown key-result kind {kind!r}")
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    _finite(start, target, current)
    if kind == "milestone":
        if done is not None:
            return 1.0 if done else 0.0
        return 1.0 if current is not None and current >= target else 0.0
    if current is None:
        return 0.0
    if target > start:
        return _ratio(current - start, target - start, current / 2 - start / 2, target / 2 - start / 2)
    if target < start:
        return _ratio(start - current, start - target, start / 2 - current / 2, start / 2 - target / 2)
    reached = current <= target if direction == "decrease" else current >= target
    return 1.0 if reached else 0.0


def key_result_progress(
    *,
    kind: str,
    start: float,
    target: float,
    current: float | None,
    done: bool | None = None,
    direction: str | None = None,
) -> float:
    """Key-result progress clamped to [0, 1], the value used for rollup."""
    return clamp01(
        key_result_progress_raw(kind=kind, start=start, target=target, current=current, done=done, direction=direction)
    )


@dataclass(frozen=True)
class Contribution:
    """One term of a weighted mean: a progress value and its weight."""

    value: float
    weight: float


def weighted_mean(items: Iterable[Contribution]) -> float:
    """Weighted mean of the clamped values, in [0, 1].

    Weights ≤ 0 contribute nothing; no items (or no positive weight) gives 0.0.
    The result is kept within [min, max] of the contributing values so float
    rounding can never push it outside them.
    """
    pairs: list[tuple[float, float]] = []
    for item in items:
        _finite(item.value, item.weight)
        pairs.append((clamp01(item.value), item.weight))
    result = _weighted_average(pairs)
    return 0.0 if result is None else result


def objective_progress(
    *,
    key_results: Iterable[tuple[float, float]],
    children: Iterable[tuple[float, float, bool]] = (),
    children_contribute: bool = True,
) -> float:
    """P(o): weighted mean over key results ``(progress, weight)`` and aligned children
    ``(progress, weight, cancelled)``. Cancelled children are left out; with
    ``children_contribute`` False only key results count; nothing at all gives 0.0."""
    items = [Contribution(value=p, weight=w) for p, w in key_results]
    if children_contribute:
        items += [Contribution(value=p, weight=w) for p, w, cancelled in children if not cancelled]
    return weighted_mean(items)


# --- expected progress, health, grade, confidence ---


def expected_progress(*, start: date, end: date, on: date) -> float:
    """Elapsed fraction of the cycle, ``(on − start).days / (end − start).days`` clamped to [0, 1].

    0.0 on the first day (and before), 1.0 on the last day (the end day counts as fully
    elapsed) and after. A one-day cycle (end == start) gives 1.0 from its day on, 0.0 before.
    A cycle ending before it starts is invalid: ``ValueError``.
    """
    if end < start:
        raise ValueError("cycle ends before it starts")
    if end == start:
        return 1.0 if on >= start else 0.0
    return clamp01((on - start).days / (end - start).days)


class Health(StrEnum):
    """Objective health; a ``str`` enum, so ``Health.ON_TRACK == "on_track"``."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


@dataclass(frozen=True)
class HealthThresholds:
    """Health thresholds, configurable per organisation (defaults from DESIGN §4)."""

    off_track_ratio: float = 0.5
    at_risk_ratio: float = 0.8
    off_track_confidence: int = 3
    at_risk_confidence: int = 6


DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = HealthThresholds()


def health(
    *,
    progress: float,
    expected: float,
    confidence: int | None,
    thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
) -> Health:
    """``off_track`` if progress < off_track_ratio × expected or confidence ≤ off_track_confidence;
    ``at_risk`` if progress < at_risk_ratio × expected or confidence ≤ at_risk_confidence;
    ``on_track`` otherwise. Comparisons are strict for ratios (exactly at the threshold is the
    better state) and inclusive for confidence. Unknown confidence (None) is ignored."""
    _finite(progress, expected)
    t = thresholds
    if progress < t.off_track_ratio * expected or (confidence is not None and confidence <= t.off_track_confidence):
        return Health.OFF_TRACK
    if progress < t.at_risk_ratio * expected or (confidence is not None and confidence <= t.at_risk_confidence):
        return Health.AT_RISK
    return Health.ON_TRACK


_NOISE = Decimal("1e-9")
_TENTH = Decimal("0.1")


def grade(progress: float) -> float:
    """End-of-cycle grade: progress clamped to [0, 1], rounded half up to the nearest 0.1.

    Works in Decimal from the float's shortest repr (0.35 → 0.4, not 0.3), after first
    rounding to 9 decimals so division noise such as 0.44999999999999996 grades as 0.45 → 0.5.
    """
    value = Decimal(repr(clamp01(progress))).quantize(_NOISE, rounding=ROUND_HALF_EVEN)
    return float(value.quantize(_TENTH, rounding=ROUND_HALF_UP))


def aggregate_confidence(values: Iterable[int | None]) -> int | None:
    """The weakest link: minimum of the known confidences, None if none is known.

    An objective is as confident as its least-confident key result — one key result
    likely to miss makes the objective likely to miss, and averaging would hide it.
    """
    known = [v for v in values if v is not None]
    return min(known) if known else None


# --- KPIs and scorecards ---


class KpiStatus(StrEnum):
    """Traffic-light status of a KPI measurement; a ``str`` enum."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def _need_target(direction: str, target: float | None) -> float:
    """Return ``target`` or raise if a one-sided KPI has none."""
    if target is None:
        raise ValueError(f"{direction} needs a target")
    return target


def _need_range(target_low: float | None, target_high: float | None) -> tuple[float, float]:
    """Return ``(low, high)`` or raise if a range KPI lacks a bound or has them reversed."""
    if target_low is None or target_high is None:
        raise ValueError("within_range needs target_low and target_high")
    if target_low > target_high:
        raise ValueError("within_range needs target_low <= target_high")
    return target_low, target_high


def kpi_status(
    *,
    direction: str,
    value: float,
    target: float | None = None,
    amber_threshold: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
) -> KpiStatus:
    """Status of a measured value.

    - ``higher_is_better``: green if value ≥ target, amber if value ≥ amber_threshold, else red.
    - ``lower_is_better``: green if value ≤ target, amber if value ≤ amber_threshold, else red.
    - ``within_range``: green if target_low ≤ value ≤ target_high, amber if outside the range by
      at most ``amber_threshold`` (an absolute tolerance), else red.

    ``amber_threshold`` None means there is no amber band. Missing targets → ``ValueError``.
    """
    if direction not in KPI_DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    _finite(value, target, amber_threshold, target_low, target_high)
    if direction == "higher_is_better":
        goal = _need_target(direction, target)
        if value >= goal:
            return KpiStatus.GREEN
        if amber_threshold is not None and value >= amber_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED
    if direction == "lower_is_better":
        goal = _need_target(direction, target)
        if value <= goal:
            return KpiStatus.GREEN
        if amber_threshold is not None and value <= amber_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED
    low, high = _need_range(target_low, target_high)
    if low <= value <= high:
        return KpiStatus.GREEN
    distance = low - value if value < low else value - high
    if amber_threshold is not None and distance <= amber_threshold:
        return KpiStatus.AMBER
    return KpiStatus.RED


def _step(better: bool, equal: bool) -> float:
    """Achievement where a ratio means nothing: beaten 1.5, met 1.0, missed 0.0."""
    return ACHIEVEMENT_CAP if better else 1.0 if equal else 0.0


def kpi_achievement(
    *,
    direction: str,
    value: float,
    target: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
) -> float:
    """Achievement of a measured value, always in [0, 1.5].

    - ``higher_is_better``: value / target. A target ≤ 0 makes the ratio meaningless, so then:
      above the target 1.5, equal 1.0, below 0.0.
    - ``lower_is_better``: target / value. With a value ≤ 0 or a target ≤ 0 the ratio is
      meaningless, so then: below the target 1.5 (e.g. value 0 against a positive target),
      equal 1.0, above 0.0.
    - ``within_range``: 1.0 inside the range; below it value / target_low, above it
      target_high / value (both < 1); 0.0 when that bound is ≤ 0 (no meaningful ratio).

    Negative values never raise: the ratio is clamped to [0, 1.5].
    """
    if direction not in KPI_DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    _finite(value, target, target_low, target_high)
    if direction == "higher_is_better":
        goal = _need_target(direction, target)
        if goal <= 0:
            return _step(value > goal, value == goal)
        return _clamp_achievement(value / goal)
    if direction == "lower_is_better":
        goal = _need_target(direction, target)
        if goal <= 0 or value <= 0:
            return _step(value < goal, value == goal)
        return _clamp_achievement(goal / value)
    low, high = _need_range(target_low, target_high)
    if low <= value <= high:
        return 1.0
    if value < low:
        return _clamp_achievement(value / low) if low > 0 else 0.0
    return _clamp_achievement(high / value) if high > 0 else 0.0


def scorecard_score(
    *, items: Iterable[tuple[str, float, float]], perspective_weights: Mapping[str, float]
) -> float | None:
    """Scorecard score from items ``(perspective, achievement, weight)``.

    Weighted mean of the achievements (clamped to [0, 1.5]) within each perspective, then
    weighted mean of the perspectives by ``perspective_weights`` (a perspective missing from
    it weighs 1.0). Weights ≤ 0 count for nothing; perspectives without items are skipped.
    None when nothing contributes (no items, or only zero weights).
    """
    per: dict[str, list[tuple[float, float]]] = {}
    for perspective, achievement, weight in items:
        _finite(achievement, weight)
        per.setdefault(perspective, []).append((_clamp_achievement(achievement), weight))
    scores: list[tuple[float, float]] = []
    for perspective, values in per.items():
        pw = perspective_weights.get(perspective, 1.0)
        _finite(pw)
        score = _weighted_average(values)
        if score is not None:
            scores.append((score, pw))
    return _weighted_average(scores)
