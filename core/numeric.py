"""Numeric helpers shared by the progress and KPI math: pure, no Django."""

from __future__ import annotations

import math
from collections.abc import Iterable


def require_finite(*values: float | None) -> None:
    """Raise ``ValueError`` if any given number (``None`` skipped) is NaN or infinite."""
    for v in values:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"progress math needs finite numbers, got {v!r}")


def weighted_average(pairs: Iterable[tuple[float, float]]) -> float | None:
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
