"""Hooks through which the floors above add to objectives' pages (they connect
in their ``AppConfig.ready()``; objectives never imports them)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class ImportOrigin:
    """The import an objective came from: its kind, its run's id and when it was applied."""

    kind: str
    run: int
    imported_at: datetime


# Where objectives came from, for the API (the page learns it through
# ``objective_detail_context``): ``transfer`` registers it in its ``ready()``. Given an
# organisation's id and objective ids, it returns the origins of those that were imported,
# in one query for any number; without it, no objective has one.
ImportOrigins = Callable[[int, Collection[int]], dict[int, ImportOrigin]]
_import_origins: list[ImportOrigins] = []


def register_import_origins(fn: ImportOrigins) -> None:
    if fn not in _import_origins:
        _import_origins.append(fn)


def import_origins(*, org_id: int, objective_ids: Collection[int]) -> dict[int, ImportOrigin]:
    """The import each of these objectives came from (absent: not imported)."""
    for fn in _import_origins:
        return fn(org_id, objective_ids) if objective_ids else {}
    return {}
