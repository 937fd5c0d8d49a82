"""The balanced-scorecard score (DESIGN §4), pure: no Django, no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kpis.status import clamp_achievement
from okrkpi.core.numeric import require_finite, weighted_average


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
        require_finite(achievement, weight)
        per.setdefault(perspective, []).append((clamp_achievement(achievement), weight))
    scores: list[tuple[float, float]] = []
    for perspective, values in per.items():
        pw = perspective_weights.get(perspective, 1.0)
        require_finite(pw)
        score = weighted_average(values)
        if score is not None:
            scores.append((score, pw))
    return weighted_average(scores)
