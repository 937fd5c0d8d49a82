"""Selectors for a cycle's objective tree and the teams' progress (DESIGN §4),
live or as of a day from the daily snapshots. The cascade document and the
dashboard (``scorecards/``) are assembled from these.

A handful of queries whatever the size: the cycle's objectives, their key
results, the teams and the team memberships (plus, for ``as_of``, two
snapshot reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from django.db.models import Max, OuterRef, Subquery

from cycles.models import Cycle
from objectives.models import KeyResult, Objective, ObjectiveSnapshot, ObjectiveStatus, TeamSnapshot
from orgs.models import Organization, Team, TeamMember
from orgs.ownership import OwnerType


@dataclass
class ObjectiveRow:
    id: int
    title: str
    owner_type: str
    owner_team: int | None
    owner_user: int | None
    parent: int | None
    status: str
    progress: float
    confidence: int | None


def mean_or_none(values: list[float]) -> float | None:
    return fmean(values) if values else None


def objective_rows(*, org: Organization, cycle: Cycle, as_of: date | None = None) -> list[ObjectiveRow]:
    """The cycle's objectives that are not cancelled, live or from the snapshot of ``as_of``
    (the latest one on or before it; none before the first snapshot)."""
    rows = (
        Objective.objects.filter(organization=org, cycle=cycle).exclude(status=ObjectiveStatus.CANCELLED).order_by("id")
    )
    if as_of is None:
        return [
            ObjectiveRow(*r)
            for r in rows.values_list(
                "id",
                "title",
                "owner_type",
                "owner_team_id",
                "owner_user_id",
                "parent_id",
                "status",
                "progress",
                "confidence",
            )
        ]
    latest = ObjectiveSnapshot.objects.filter(organization=org, cycle=cycle, date__lte=as_of).aggregate(d=Max("date"))[
        "d"
    ]
    if latest is None:
        return []
    snap = ObjectiveSnapshot.objects.filter(objective=OuterRef("pk"), date=latest)
    rows = rows.filter(snapshots__date=latest).annotate(
        snap_progress=Subquery(snap.values("progress")[:1]), snap_confidence=Subquery(snap.values("confidence")[:1])
    )
    return [
        ObjectiveRow(*r)
        for r in rows.values_list(
            "id",
            "title",
            "owner_type",
            "owner_team_id",
            "owner_user_id",
            "parent_id",
            "status",
            "snap_progress",
            "snap_confidence",
        )
    ]


def team_progress(
    *, objectives: list[ObjectiveRow], teams: list[tuple[int, int | None, str]], people: list[tuple[int, int]]
) -> dict[int, tuple[float | None, float | None]]:
    """{team id: (progress, subtree progress)} from the cycle's objectives."""
    children: dict[int | None, list[int]] = {}
    for tid, parent_id, _name in teams:
        children.setdefault(parent_id, []).append(tid)
    own: dict[int, list[float]] = {}
    personal: dict[int, list[float]] = {}
    for o in objectives:
        if o.owner_type == OwnerType.TEAM and o.owner_team is not None:
            own.setdefault(o.owner_team, []).append(o.progress)
        elif o.owner_type == OwnerType.PERSON and o.owner_user is not None:
            personal.setdefault(o.owner_user, []).append(o.progress)
    members: dict[int, set[int]] = {}
    for tid, uid in people:
        members.setdefault(tid, set()).add(uid)
    result: dict[int, tuple[float | None, float | None]] = {}

    def walk(tid: int, trail: frozenset[int]) -> tuple[list[float], set[int]]:
        if tid in trail:
            return [], set()
        values = list(own.get(tid, []))
        users = set(members.get(tid, set()))
        for child in children.get(tid, []):
            v, u = walk(child, trail | {tid})
            values += v
            users |= u
        return values, users

    for tid, _parent, _name in teams:
        values, users = walk(tid, frozenset())
        subtree = values + [p for uid in users for p in personal.get(uid, [])]
        result[tid] = (mean_or_none(own.get(tid, [])), mean_or_none(subtree))
    return result


def key_result_rows(*, org: Organization, objective_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """{objective id: [{"id", "title", "progress"}]} in the objectives' display order, one query."""
    krs: dict[int, list[dict[str, Any]]] = {}
    for kid, oid, title, prog in (
        KeyResult.objects.filter(organization=org, objective_id__in=objective_ids)
        .order_by("objective_id", "position", "id")
        .values_list("id", "objective_id", "title", "progress")
    ):
        krs.setdefault(oid, []).append({"id": kid, "title": title, "progress": prog})
    return krs


def team_rows(*, org: Organization) -> list[tuple[int, int | None, str]]:
    """Every team as ``(id, parent id, name)``, by name."""
    return list(Team.objects.filter(organization=org).order_by("name").values_list("id", "parent_id", "name"))


def team_values(
    *,
    org: Organization,
    cycle: Cycle,
    objectives: list[ObjectiveRow],
    teams: list[tuple[int, int | None, str]],
    as_of: date | None = None,
) -> dict[int, tuple[float | None, float | None]]:
    """{team id: (progress, subtree progress)}: computed from ``objectives`` (live), or read
    from the team snapshots of ``as_of``."""
    if as_of is None:
        people = list(TeamMember.objects.filter(organization=org).values_list("team_id", "user_id"))
        return team_progress(objectives=objectives, teams=teams, people=people)
    latest = TeamSnapshot.objects.filter(organization=org, cycle=cycle, date__lte=as_of).aggregate(d=Max("date"))["d"]
    if latest is None:
        return {tid: (None, None) for tid, _p, _n in teams}
    snaps = {
        t: (p, s)
        for t, p, s in TeamSnapshot.objects.filter(organization=org, cycle=cycle, date=latest).values_list(
            "team_id", "progress", "subtree_progress"
        )
    }
    return {tid: snaps.get(tid, (None, None)) for tid, _p, _n in teams}
