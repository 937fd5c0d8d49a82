"""The rolled-up cascade of a cycle (DESIGN §4 team/subtree/company progress, §6 cascade contract).

A handful of queries whatever the size: the cycle's objectives, their key
results, the teams and the team memberships (plus, for ``as_of``, two
snapshot reads). Everything else is assembled in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Any

from django.db.models import Max, OuterRef, Subquery

from cycles.models import Cycle
from objectives import progress as math
from objectives.models import KeyResult, Objective, ObjectiveSnapshot, ObjectiveStatus, OwnerType, TeamSnapshot
from orgs.models import Organization, Team, TeamMember


@dataclass
class _Obj:
    id: int
    title: str
    owner_type: str
    owner_team: int | None
    owner_user: int | None
    parent: int | None
    status: str
    progress: float
    confidence: int | None


def _mean(values: list[float]) -> float | None:
    return fmean(values) if values else None


def _objectives(org: Organization, cycle: Cycle, as_of: date | None) -> list[_Obj]:
    rows = (
        Objective.objects.filter(organization=org, cycle=cycle).exclude(status=ObjectiveStatus.CANCELLED).order_by("id")
    )
    if as_of is None:
        return [
            _Obj(*r)
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
        _Obj(*r)
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
    *, objectives: list[_Obj], teams: list[tuple[int, int | None, str]], people: list[tuple[int, int]]
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
        result[tid] = (_mean(own.get(tid, [])), _mean(subtree))
    return result


def cascade(*, org: Organization, cycle: Cycle, as_of: date | None = None, today: date | None = None) -> dict[str, Any]:
    """The cascade document of DESIGN §6."""
    objectives = _objectives(org, cycle, as_of)
    ids = [o.id for o in objectives]
    krs: dict[int, list[dict[str, Any]]] = {}
    for kid, oid, title, prog in (
        KeyResult.objects.filter(organization=org, objective_id__in=ids)
        .order_by("objective_id", "position", "id")
        .values_list("id", "objective_id", "title", "progress")
    ):
        krs.setdefault(oid, []).append({"id": kid, "title": title, "progress": prog})
    day = as_of or today or date.today()  # noqa: DTZ011 — callers pass the organisation's local date
    expected = math.expected_progress(start=cycle.start_date, end=cycle.end_date, on=day)
    by_parent: dict[int | None, list[_Obj]] = {}
    present = set(ids)
    for o in objectives:
        by_parent.setdefault(o.parent if o.parent in present else None, []).append(o)

    def node(o: _Obj, trail: frozenset[int]) -> dict[str, Any]:
        health = None
        if o.status != ObjectiveStatus.DRAFT:
            health = math.health(progress=o.progress, expected=expected, confidence=o.confidence).value
        return {
            "id": o.id,
            "title": o.title,
            "owner_type": o.owner_type,
            "owner_team": o.owner_team,
            "owner_user": o.owner_user,
            "progress": o.progress,
            "health": health,
            "key_results": krs.get(o.id, []),
            "children": [node(c, trail | {o.id}) for c in by_parent.get(o.id, []) if c.id not in trail],
        }

    teams = list(Team.objects.filter(organization=org).order_by("name").values_list("id", "parent_id", "name"))
    if as_of is not None:
        latest = TeamSnapshot.objects.filter(organization=org, cycle=cycle, date__lte=as_of).aggregate(d=Max("date"))[
            "d"
        ]
        snaps = (
            {
                t: (p, s)
                for t, p, s in TeamSnapshot.objects.filter(organization=org, cycle=cycle, date=latest).values_list(
                    "team_id", "progress", "subtree_progress"
                )
            }
            if latest
            else {}
        )
        team_values = {tid: snaps.get(tid, (None, None)) for tid, _p, _n in teams}
    else:
        people = list(TeamMember.objects.filter(organization=org).values_list("team_id", "user_id"))
        team_values = team_progress(objectives=objectives, teams=teams, people=people)
    team_children: dict[int | None, list[tuple[int, int | None, str]]] = {}
    known = {t[0] for t in teams}
    for t in teams:
        team_children.setdefault(t[1] if t[1] in known else None, []).append(t)

    def team_node(t: tuple[int, int | None, str], trail: frozenset[int]) -> dict[str, Any]:
        prog, subtree = team_values.get(t[0], (None, None))
        return {
            "id": t[0],
            "name": t[2],
            "progress": prog,
            "subtree_progress": subtree,
            "children": [team_node(c, trail | {t[0]}) for c in team_children.get(t[0], []) if c[0] not in trail],
        }

    company = [o.progress for o in objectives if o.owner_type == OwnerType.COMPANY]
    return {
        "cycle": cycle.pk,
        "as_of": as_of.isoformat() if as_of else None,
        "progress": _mean(company),
        "objectives": [node(o, frozenset()) for o in by_parent.get(None, [])],
        "teams": [team_node(t, frozenset()) for t in team_children.get(None, [])],
    }
