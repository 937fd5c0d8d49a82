"""Hooks through which the floors above add to objectives' pages (they connect
in their ``AppConfig.ready()``; objectives never imports them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import django.dispatch

if TYPE_CHECKING:
    from objectives.models import Objective

# Sent while the objective page's context is built, with ``request``,
# ``objective`` and ``context`` (a dict receivers may add keys to).
objective_detail_context = django.dispatch.Signal()


# The coach's verdict on one objective, frozen with a submission for review (DESIGN §3):
# ``rituals`` (the coach's floor) registers it in its ``ready()``. It returns the score and the
# findings as plain dicts; without it a submission freezes no score.
SubmissionSnapshot = Callable[["Objective"], tuple[int | None, list[dict[str, Any]]]]
_snapshots: list[SubmissionSnapshot] = []


def register_submission_snapshot(fn: SubmissionSnapshot) -> None:
    if fn not in _snapshots:
        _snapshots.append(fn)


def submission_snapshot(objective: Objective) -> tuple[int | None, list[dict[str, Any]]]:
    for fn in _snapshots:
        return fn(objective)
    return None, []
