"""KPI status and achievement (DESIGN §4), in one pure module (no Django, no database)."""

from __future__ import annotations

from enum import StrEnum

from core.numeric import require_finite
from core.plausibility import unusual_value

KPI_DIRECTIONS: frozenset[str] = frozenset({"higher_is_better", "lower_is_better", "within_range"})
ACHIEVEMENT_CAP: float = 1.5


def clamp_achievement(x: float) -> float:
    """Clamp a KPI achievement to [0, ACHIEVEMENT_CAP]."""
    return max(0.0, min(ACHIEVEMENT_CAP, float(x)))


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
    require_finite(value, target, amber_threshold, target_low, target_high)
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
    require_finite(value, target, target_low, target_high)
    if direction == "higher_is_better":
        goal = _need_target(direction, target)
        if goal <= 0:
            return _step(value > goal, value == goal)
        return clamp_achievement(value / goal)
    if direction == "lower_is_better":
        goal = _need_target(direction, target)
        if goal <= 0 or value <= 0:
            return _step(value < goal, value == goal)
        return clamp_achievement(goal / value)
    low, high = _need_range(target_low, target_high)
    if low <= value <= high:
        return 1.0
    if value < low:
        return clamp_achievement(value / low) if low > 0 else 0.0
    return clamp_achievement(high / value) if high > 0 else 0.0


def unusual_measurement(
    *,
    direction: str,
    last: float,
    value: float,
    target: float | None = None,
    amber_threshold: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
) -> str | None:
    """Whether ``value`` after ``last`` looks like a slip of the keyboard (``1,234.5`` where
    ``81`` came last, against a target of 100): the check-ins' rule
    (``core.plausibility.unusual_value``), with the KPI's range standing for the key
    result's start and target. Higher is better: from 0 to the target (the amber band is
    too narrow a range: an ordinary bad month would be asked about). Lower is better: from
    twice the target (or the amber threshold, if further) down to it. A range KPI: from the
    edge opposite to the move to the edge it moves towards. ``"jump"``, ``"wrong_way"`` or
    None (also when the KPI has no target to judge by)."""
    if direction == "within_range":
        if target_low is None or target_high is None or target_low == target_high:
            return None
        start, end = (target_low, target_high) if value >= last else (target_high, target_low)
        return unusual_value(kind="number", start=start, target=end, current=last, value=value)
    if target is None or target <= 0:
        # No natural baseline below a target of 0 or less: only the amber edge can serve.
        if target is None or amber_threshold is None:
            return None
        start = amber_threshold
    elif direction == "higher_is_better":
        start = 0.0
    else:
        start = max(2 * target, amber_threshold if amber_threshold is not None else 0.0)
    return unusual_value(kind="number", start=start, target=target, current=last, value=value)
