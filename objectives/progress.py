"""The OKR progress math of DESIGN §4, in one pure module (no Django, no database).

The KPI status and achievement math lives in ``kpis/status.py``, the scorecard
score in ``scorecards/scoring.py``.

The same numbers everywhere: pages, API, exports, rollup and tests. Every
function is deterministic and side-effect free; NaN and ±infinity are refused
with ``ValueError`` rather than silently propagated into stored progress.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from core.numeric import require_finite, weighted_average

# ``aligned``: its value is its progress (start 0, target 1), set by the rollup from its contributors.
KINDS: frozenset[str] = frozenset({"number", "percent", "currency", "milestone", "aligned"})
DIRECTIONS: frozenset[str] = frozenset({"increase", "decrease"})


def clamp01(x: float) -> float:
    """Clamp ``x`` to [0, 1] (±infinity clamps; NaN is refused)."""
    if math.isnan(x):
        raise ValueError("cannot clamp NaN")
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)


def _ratio(num: float, den: float, half_num: float, half_den: float) -> float:
    """``num / den``; if a difference overflowed (huge finite inputs), the same ratio from halves."""
    if not (math.isfinite(num) and math.isfinite(den)):
        num, den = half_num, half_den
    return num / den


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
    require_finite(start, target, current)
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
        require_finite(item.value, item.weight)
        pairs.append((clamp01(item.value), item.weight))
    result = weighted_average(pairs)
    return 0.0 if result is None else result


# Statuses of an objective that leave it out of its parent's progress: a cancelled one no
# longer counts, and a draft is not a commitment yet (its 0 % would drag the parent down).
LEFT_OUT_OF_PARENT: frozenset[str] = frozenset({"draft", "cancelled"})


def counts_in_parent(status: str) -> bool:
    """Whether an objective of this status counts in its parent's progress (DESIGN §4)."""
    return status not in LEFT_OUT_OF_PARENT


def objective_progress(
    *,
    key_results: Iterable[tuple[float, float]],
    children: Iterable[tuple[float, float, bool]] = (),
    children_contribute: bool = True,
) -> float:
    """P(o): weighted mean over key results ``(progress, weight)`` and aligned children
    ``(progress, weight, left_out)``. Children left out (cancelled or draft:
    ``not counts_in_parent(status)``) do not count; with ``children_contribute`` False only
    key results count; nothing at all gives 0.0."""
    items = [Contribution(value=p, weight=w) for p, w in key_results]
    if children_contribute:
        items += [Contribution(value=p, weight=w) for p, w, left_out in children if not left_out]
    return weighted_mean(items)


def progress_from_sums(weighted_sum: float, total_weight: float) -> float:
    """P(o) from running sums, as the set-based rollup and reconcile compute it over stored
    progress (already clamped to [0, 1]) and weights (≥ 0, zero weights adding nothing):
    ``Σ w·p / Σ w``, 0.0 when nothing weighs. Equal to ``objective_progress`` on the same
    terms (a property test holds them together), without building a term per key result."""
    return clamp01(weighted_sum / total_weight) if total_weight > 0 else 0.0


# --- expected progress, health, grade ---


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

    @classmethod
    def of(cls, org: object) -> HealthThresholds:
        """The organisation's own thresholds (its ``health_*`` columns, read from the row the
        caller already holds: no query). Anything without them gets the defaults."""
        d = DEFAULT_HEALTH_THRESHOLDS
        return cls(
            off_track_ratio=getattr(org, "health_off_track_ratio", d.off_track_ratio),
            at_risk_ratio=getattr(org, "health_at_risk_ratio", d.at_risk_ratio),
            off_track_confidence=getattr(org, "health_off_track_confidence", d.off_track_confidence),
            at_risk_confidence=getattr(org, "health_at_risk_confidence", d.at_risk_confidence),
        )


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
    require_finite(progress, expected)
    t = thresholds
    if progress < t.off_track_ratio * expected or (confidence is not None and confidence <= t.off_track_confidence):
        return Health.OFF_TRACK
    if progress < t.at_risk_ratio * expected or (confidence is not None and confidence <= t.at_risk_confidence):
        return Health.AT_RISK
    return Health.ON_TRACK


def objective_expected_progress(
    *, cycle_start: date, cycle_end: date, on: date, activated_on: date | None = None
) -> float:
    """An objective's own pace: the elapsed fraction of its cycle counted from the later of the
    cycle's start and the day it was activated. One activated late in the quarter starts at 0
    on its activation day instead of owing the weeks before it existed; ``activated_on`` None
    (or on or before the start) is the cycle's own pace, ``expected_progress``."""
    if cycle_end < cycle_start:
        raise ValueError("cycle ends before it starts")
    if activated_on is None or activated_on <= cycle_start:
        return expected_progress(start=cycle_start, end=cycle_end, on=on)
    start = min(activated_on, cycle_end)
    if on <= start:
        return 0.0
    return expected_progress(start=start, end=cycle_end, on=on)


# Objectives without a health: a draft is not a commitment yet, a cancelled one no longer is.
WITHOUT_HEALTH: frozenset[str] = frozenset({"draft", "cancelled"})


def objective_health(
    *,
    status: str,
    progress: float,
    confidence: int | None,
    commitment: str,
    cycle_start: date | None,
    cycle_end: date | None,
    on: date,
    activated_on: date | None = None,
    thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
    closed: bool = False,
) -> Health | None:
    """The one health rule of an objective, used by every page, document, digest and API.

    None for a draft, a cancelled objective, one without a cycle, or one whose cycle is
    ``closed`` and read as it is now (it is graded, not tracked; an "as of" day inside the
    cycle passes ``closed=False`` and gets the health of that day). Otherwise ``health`` of its
    progress against its own pace (``objective_expected_progress``), scaled by its type's bar:
    an aspirational objective is on track at 0.7 of the way (``success_threshold``), with the
    organisation's ``thresholds``."""
    if closed or status in WITHOUT_HEALTH or cycle_start is None or cycle_end is None:
        return None
    pace = objective_expected_progress(cycle_start=cycle_start, cycle_end=cycle_end, on=on, activated_on=activated_on)
    expected = pace * success_threshold(commitment)
    return health(progress=progress, expected=expected, confidence=confidence, thresholds=thresholds)


_NOISE = Decimal("1e-9")
_TENTH = Decimal("0.1")


def grade(progress: float) -> float:
    """End-of-cycle grade: progress clamped to [0, 1], rounded half up to the nearest 0.1.

    Works in Decimal from the float's shortest repr (0.35 → 0.4, not 0.3), after first
    rounding to 9 decimals so division noise such as 0.44999999999999996 grades as 0.45 → 0.5.
    """
    value = Decimal(repr(clamp01(progress))).quantize(_NOISE, rounding=ROUND_HALF_EVEN)
    return float(value.quantize(_TENTH, rounding=ROUND_HALF_UP))


# --- committed and aspirational objectives ---

SUCCESS_THRESHOLDS: dict[str, float] = {"committed": 1.0, "aspirational": 0.7}


def success_threshold(commitment: str) -> float:
    """The grade that counts as success: 1.0 for a committed objective, 0.7 for an aspirational one."""
    try:
        return SUCCESS_THRESHOLDS[commitment]
    except KeyError:
        raise ValueError(f"unknown commitment {commitment!r}") from None


def achieved(*, grade: float, commitment: str) -> bool:
    """A graded objective met its bar (with a little tolerance for float noise)."""
    require_finite(grade)
    return grade >= success_threshold(commitment) - 1e-9
