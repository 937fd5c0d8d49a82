"""What a person needs beside a key result while checking in (pure: no database).

- the value expected by today if progress kept pace with the cycle, and whether
  the key result is ahead or behind that pace;
- whether a newly typed value looks like a slip of the keyboard (``45`` for
  ``4,5``), so the page asks before saving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from objectives import progress as math

# A check-in is "unusual" when it jumps more than this many times the distance
# still to go to the target …
JUMP_FACTOR = 2.0
# … with the distance to go counted as at least this share of the whole range, so
# a key result sitting on its target can still move a little without a question.
MIN_REMAINING_SHARE = 0.1
# Ahead / behind pace within this share of the range counts as "on pace".
PACE_TOLERANCE = 0.05


@dataclass(frozen=True)
class Pace:
    expected_value: float
    status: str  # "ahead", "on_pace", "behind"


def pace(
    *, kind: str, start: float, target: float, current: float, cycle_start: date, cycle_end: date, on: date
) -> Pace | None:
    """The value expected by ``on`` at a steady pace from start to target, and where
    the current value stands against it. None for milestones and flat ranges."""
    if kind == "milestone" or target == start:
        return None
    share = math.expected_progress(start=cycle_start, end=cycle_end, on=on)
    expected = start + (target - start) * share
    ahead_by = (current - expected) / (target - start)  # > 0: ahead, whatever the direction
    if ahead_by > PACE_TOLERANCE:
        status = "ahead"
    elif ahead_by < -PACE_TOLERANCE:
        status = "behind"
    else:
        status = "on_pace"
    return Pace(expected_value=expected, status=status)


def unusual_value(*, kind: str, start: float, target: float, current: float, value: float) -> str | None:
    """``"jump"`` when ``value`` moves more than twice the distance still to go to
    the target (the distance counted as at least a tenth of the range),
    ``"wrong_way"`` when it moves away from the target by more than the whole
    range, else None. Milestones and flat ranges are never unusual."""
    if kind == "milestone" or target == start:
        return None
    span = abs(target - start)
    toward = 1.0 if target > start else -1.0
    step = (value - current) * toward  # > 0: towards (and past) the target
    remaining = max(abs(target - current), MIN_REMAINING_SHARE * span)
    if step > JUMP_FACTOR * remaining:
        return "jump"
    if step < 0 and -step > span:
        return "wrong_way"
    return None
