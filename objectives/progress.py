"""The progress math of DESIGN §4, in one pure module (no database access).

The same numbers everywhere: pages, API, exports, rollup and tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

KINDS = frozenset({"number", "percent", "currency", "milestone"})


def _finite(*values: float | None) -> None:
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError("progress math needs finite numbers")


def clamp01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)


def key_result_progress_raw(
    *,
    kind: str,
    start: float,
    target: float,
    current: float | None,
    done: bool | None = None,
    direction: str | None = None,
) -> float:
    """Unclamped progress of a key result (over-achievement shows above 1).

    Increase: (current − start) / (target − start); decrease: (start − current) /
    (start − target); milestone: 1 when done (``current >= target`` unless
    ``done`` says otherwise); start == target: 1 when current has reached the
    target — by default "reached" means ``current >= target``, ``direction=
    "decrease"`` makes it ``current <= target``. No value yet counts as the start.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown key-result kind {kind!r}")
    _finite(start, target, current)
    if kind == "milestone":
        if done is not None:
            return 1.0 if done else 0.0
        return 1.0 if current is not None and current >= target else 0.0
    if current is None:
        if target == start:
            return 0.0
        current = start
    if target > start:
        return (current - start) / (target - start)
    if target < start:
        return (start - current) / (start - target)
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
    return clamp01(
        key_result_progress_raw(kind=kind, start=start, target=target, current=current, done=done, direction=direction)
    )


@dataclass(frozen=True)
class Contribution:
    value: float
    weight: float


def weighted_mean(items: Iterable[Contribution]) -> float:
    """Weighted mean of clamped values; non-positive weights count for nothing; nothing → 0."""
    num = 0.0
    den = 0.0
    for item in items:
        if item.weight > 0:
            num += item.weight * clamp01(item.value)
            den += item.weight
    return clamp01(num / den) if den > 0 else 0.0


def objective_progress(
    *,
    key_results: Iterable[tuple[float, float]],
    children: Iterable[tuple[float, float, bool]] = (),
    children_contribute: bool = True,
) -> float:
    """P(o): key results are (progress, weight); children are (progress, weight, cancelled)."""
    items = [Contribution(p, w) for p, w in key_results]
    if children_contribute:
        items += [Contribution(p, w) for p, w, cancelled in children if not cancelled]
    return weighted_mean(items)


def expected_progress(*, start: date, end: date, on: date) -> float:
    """Elapsed fraction of the cycle: 0 on its first day, 1 on its last day and after."""
    if end <= start:
        return 1.0 if on >= start else 0.0
    return clamp01((on - start).days / (end - start).days)


class Health(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


@dataclass(frozen=True)
class HealthThresholds:
    off_track_ratio: float = 0.5
    at_risk_ratio: float = 0.8
    off_track_confidence: int = 3
    at_risk_confidence: int = 6


def health(
    *, progress: float, expected: float, confidence: int | None, thresholds: HealthThresholds = HealthThresholds()
) -> Health:  # noqa: B008 — frozen, immutable
    """off_track below half the expected progress or confidence ≤ 3; at_risk below
    80 % of it or confidence ≤ 6; on_track otherwise. Unknown confidence is ignored."""
    t = thresholds
    if progress < t.off_track_ratio * expected or (confidence is not None and confidence <= t.off_track_confidence):
        return Health.OFF_TRACK
    if progress < t.at_risk_ratio * expected or (confidence is not None and confidence <= t.at_risk_confidence):
        return Health.AT_RISK
    return Health.ON_TRACK


def grade(progress: float) -> float:
    """End-of-cycle grade: clamped progress rounded half up to 0.1."""
    value = Decimal(repr(clamp01(progress))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def aggregate_confidence(values: Iterable[int | None]) -> int | None:
    """An objective is as confident as its least confident key result."""
    known = [v for v in values if v is not None]
    return min(known) if known else None


class KpiStatus(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def kpi_status(
    *,
    direction: str,
    value: float,
    target: float | None = None,
    amber_threshold: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
) -> KpiStatus:
    _finite(value, target, amber_threshold, target_low, target_high)
    if direction == "higher_is_better":
        if target is None:
            raise ValueError("higher_is_better needs a target")
        if value >= target:
            return KpiStatus.GREEN
        if amber_threshold is not None and value >= amber_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED
    if direction == "lower_is_better":
        if target is None:
            raise ValueError("lower_is_better needs a target")
        if value <= target:
            return KpiStatus.GREEN
        if amber_threshold is not None and value <= amber_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED
    if direction == "within_range":
        if target_low is None or target_high is None:
            raise ValueError("within_range needs target_low and target_high")
        if target_low <= value <= target_high:
            return KpiStatus.GREEN
        distance = target_low - value if value < target_low else value - target_high
        if amber_threshold is not None and distance <= amber_threshold:
            return KpiStatus.AMBER
        return KpiStatus.RED
    raise ValueError(f"unknown direction {direction!r}")


ACHIEVEMENT_CAP = 1.5


def kpi_achievement(
    *,
    direction: str,
    value: float,
    target: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
) -> float:
    """value / target (higher is better) or target / value (lower is better), in [0, 1.5].
    A zero target or value is handled as the limit (full marks when the goal is met)."""
    _finite(value, target, target_low, target_high)

    def cap(x: float) -> float:
        return max(0.0, min(ACHIEVEMENT_CAP, x))

    if direction == "higher_is_better":
        if target is None:
            raise ValueError("higher_is_better needs a target")
        if target <= 0:
            return ACHIEVEMENT_CAP if value > target else 1.0 if value == target else 0.0
        return cap(value / target)
    if direction == "lower_is_better":
        if target is None:
            raise ValueError("lower_is_better needs a target")
        if value <= 0:
            return ACHIEVEMENT_CAP if value < target or target > 0 else 1.0
        return cap(target / value)
    if direction == "within_range":
        if target_low is None or target_high is None:
            raise ValueError("within_range needs target_low and target_high")
        if target_low <= value <= target_high:
            return 1.0
        if value < target_low:
            return cap(value / target_low) if target_low > 0 else 0.0
        return cap(target_high / value) if value > 0 else 0.0
    raise ValueError(f"unknown direction {direction!r}")


def scorecard_score(
    *, items: Iterable[tuple[str, float, float]], perspective_weights: Mapping[str, float]
) -> float | None:
    """Weighted mean of achievements within each perspective, then of perspectives."""
    per: dict[str, list[tuple[float, float]]] = {}
    for perspective, achievement, weight in items:
        per.setdefault(perspective, []).append((achievement, weight))
    if not per:
        return None
    num = den = 0.0
    for perspective, values in per.items():
        w_sum = sum(w for _a, w in values if w > 0)
        if w_sum <= 0:
            continue
        score = sum(a * w for a, w in values if w > 0) / w_sum
        pw = perspective_weights.get(perspective, 1.0)
        if pw > 0:
            num += score * pw
            den += pw
    return num / den if den > 0 else None
