"""The balanced-scorecard score (DESIGN §4), pure: no Django, no database.

Items are ``(perspective, achievement, weight)``. An achievement of ``None`` means the KPI
has no value yet for the period asked: the item is left out (it is neither 0 % nor 100 %),
so a perspective or a scorecard with nothing measured has no score (``None``), never 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.numeric import require_finite, weighted_average
from kpis.status import ACHIEVEMENT_CAP, clamp_achievement

# The four perspectives, top to bottom as a strategy map draws them.
PERSPECTIVES: tuple[str, ...] = ("financial", "customer", "internal_process", "learning_growth")

# Red / amber / green of a score: green from GREEN_AT, amber from AMBER_AT, red below.
# A KPI exactly on target scores 1.0; 0.9 leaves room for one slightly missed item.
DEFAULT_GREEN_AT: float = 0.9
DEFAULT_AMBER_AT: float = 0.7

Item = tuple[str, "float | None", float]


@dataclass(frozen=True)
class ScoreBreakdown:
    """Scores per perspective (None: no measured item with a positive weight) and overall."""

    perspectives: dict[str, float | None]
    overall: float | None


def perspective_scores(*, items: Iterable[Item]) -> dict[str, float | None]:
    """Weighted mean of the achievements (clamped to [0, 1.5]) of each perspective's
    measured items. Every perspective that has items appears; it is None when none of
    them is measured or all their weights are ≤ 0."""
    per: dict[str, list[tuple[float, float]]] = {}
    for perspective, achievement, weight in items:
        require_finite(achievement, weight)
        values = per.setdefault(perspective, [])
        if achievement is not None:
            values.append((clamp_achievement(achievement), weight))
    return {perspective: weighted_average(values) for perspective, values in per.items()}


def score_breakdown(*, items: Iterable[Item], perspective_weights: Mapping[str, float]) -> ScoreBreakdown:
    """Per-perspective scores, then their weighted mean by ``perspective_weights`` (a
    perspective missing from it weighs 1.0). Perspectives without a score are skipped;
    weights ≤ 0 count for nothing; overall is None when nothing contributes."""
    scores = perspective_scores(items=items)
    pairs: list[tuple[float, float]] = []
    for perspective, score in scores.items():
        pw = perspective_weights.get(perspective, 1.0)
        require_finite(pw)
        if score is not None:
            pairs.append((score, pw))
    return ScoreBreakdown(perspectives=scores, overall=weighted_average(pairs))


def scorecard_score(*, items: Iterable[Item], perspective_weights: Mapping[str, float]) -> float | None:
    """The overall score of ``score_breakdown``."""
    return score_breakdown(items=items, perspective_weights=perspective_weights).overall


# A period stands for the scorecard once KPIs carrying this share of its weight have a value in
# it: the newest period that reaches it is the one shown; a newer, thinner one is "provisional"
# (one early value of one KPI must not move the whole scorecard, nor colour it).
DEFAULT_SETTLED_SHARE: float = 0.6

Measured = tuple[str, bool, float]  # (perspective, has a value, item weight)


def measured_share(*, items: Iterable[Measured], perspective_weights: Mapping[str, float]) -> float:
    """The share (0–1) of the scorecard's weight whose KPIs have a value: within each perspective
    the measured items' share of its item weights, then the weighted mean of the perspectives
    that have items, by ``perspective_weights`` (as the score weighs them). Weights ≤ 0 count
    for nothing; nothing that weighs gives 0.0."""
    per: dict[str, list[float]] = {}
    for perspective, measured, weight in items:
        require_finite(weight)
        if weight <= 0:
            continue
        sums = per.setdefault(perspective, [0.0, 0.0])
        sums[1] += weight
        if measured:
            sums[0] += weight
    pairs: list[tuple[float, float]] = []
    for perspective, (done, total) in per.items():
        pw = perspective_weights.get(perspective, 1.0)
        require_finite(pw)
        pairs.append((done / total, pw))
    return weighted_average(pairs) or 0.0


def is_settled(share: float, *, settled_at: float = DEFAULT_SETTLED_SHARE) -> bool:
    """Whether a period with this measured share stands for the scorecard (not provisional).
    A small tolerance keeps 3 of 5 equal items (0.6 in float arithmetic) settled."""
    return share >= settled_at - 1e-9


def check_thresholds(*, green_at: float, amber_at: float) -> None:
    """``ValueError`` unless 0 ≤ amber_at ≤ green_at ≤ 1.5 (finite)."""
    require_finite(green_at, amber_at)
    if not 0.0 <= amber_at <= green_at <= ACHIEVEMENT_CAP:
        raise ValueError(f"need 0 <= amber_at <= green_at <= {ACHIEVEMENT_CAP}, got {amber_at!r}, {green_at!r}")


def rag_status(
    score: float | None, *, green_at: float = DEFAULT_GREEN_AT, amber_at: float = DEFAULT_AMBER_AT
) -> str | None:
    """``green`` at or above ``green_at``, ``amber`` at or above ``amber_at``, else ``red``;
    None for no score ("no data yet")."""
    if score is None:
        return None
    require_finite(score)
    if score >= green_at:
        return "green"
    if score >= amber_at:
        return "amber"
    return "red"
