"""Whether a newly typed value looks like a slip of the keyboard (``45`` for ``4,5``,
``1,234.5`` for ``12.345``), so that the page asks before saving it. One rule for every
value people type against a target: key-result check-ins (``objectives``) and KPI
measurements (``kpis``) both ask it here. Pure: no database.
"""

from __future__ import annotations

# A value is "unusual" when it jumps more than this many times the distance still to go
# to the target …
JUMP_FACTOR = 2.0
# … with the distance to go counted as at least this share of the whole range, so a
# value sitting on its target can still move a little without a question.
MIN_REMAINING_SHARE = 0.1


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
