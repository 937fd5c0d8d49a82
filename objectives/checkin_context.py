"""What a person needs beside a key result while checking in (pure: no database).

- the value expected by today if progress kept pace with the cycle, and whether
  the key result is ahead or behind that pace;
- whether a newly typed value looks like a slip of the keyboard (``45`` for
  ``4,5``), so the page asks before saving it (``core.plausibility``, the
  one rule that KPI values follow too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.plausibility import unusual_value
from objectives import progress as progress_math

__all__ = ["Pace", "pace", "unusual_value"]  # the typed-value guard lives in core, for KPIs too

# Ahead / behind pace within this share of the range counts as "on pace".
PACE_TOLERANCE = 0.05


@dataclass(frozen=True)
class Pace:
    expected_value: float
    status: str  # "ahead", "on_pace", "behind"


def pace(
    *,
    kind: str,
    start: float,
    target: float,
    current: float,
    cycle_start: date,
    cycle_end: date,
    on: date,
    activated_on: date | None = None,
) -> Pace | None:
    """The value expected by ``on`` at a steady pace from start to target, and where
    the current value stands against it. None for milestones and flat ranges. The pace is
    its objective's own (``objective_expected_progress``: from its activation, when later
    than the cycle's start), as its health reads it."""
    if kind == "milestone" or target == start:
        return None
    share = progress_math.objective_expected_progress(
        cycle_start=cycle_start, cycle_end=cycle_end, on=on, activated_on=activated_on
    )
    expected = start + (target - start) * share
    ahead_by = (current - expected) / (target - start)  # > 0: ahead, whatever the direction
    if ahead_by > PACE_TOLERANCE:
        status = "ahead"
    elif ahead_by < -PACE_TOLERANCE:
        status = "behind"
    else:
        status = "on_pace"
    return Pace(expected_value=expected, status=status)
